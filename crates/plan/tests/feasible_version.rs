//! The `version` operand's go-version rules and the `semver` operand's strict rules, as tables:
//! what parses, how versions order, and which constraint strings a version satisfies.

use std::cmp::Ordering;

use drover_plan::feasible::version::{ConstraintKind, Version, VersionConstraints};
use proptest::prelude::*;

#[test]
fn lenient_and_strict_parsing() {
    // (input, parses leniently, parses strictly)
    let cases = [
        ("1.2.3", true, true),
        ("1", true, true),
        ("1.0", true, true),
        ("v1.2.3", true, true),
        ("1.2.3.4.5", true, true),
        ("1.2-5", true, true),
        ("1.2-beta.5", true, true),
        ("1.2.0-x.Y.0+metadata", true, true),
        ("1.2.3-rc1-with-hyphen", true, true),
        ("1.2.0-X-1.2.0+metadata~dist", true, true),
        // A prerelease may skip its dash only leniently.
        ("1.7rc2", true, false),
        ("v1.7rc2", true, false),
        ("1.0-", true, false),
        ("", false, false),
        ("foo", false, false),
        ("1.2.beta", false, false),
        ("1.2.", false, false),
        (".1", false, false),
        ("\n1.2", false, false),
        (" 1.2", false, false),
        ("foo1.2.3", false, false),
        ("controller-v0.40.2", false, false),
        ("1.2+", false, false),
        ("1.2-beta..1", false, false),
        ("1.2.3+meta+more", false, false),
        ("99999999999999999999.0", false, false),
    ];
    for (input, lenient, strict) in cases {
        assert_eq!(
            Version::parse(input).is_some(),
            lenient,
            "lenient {input:?}"
        );
        assert_eq!(
            Version::parse_semver(input).is_some(),
            strict,
            "strict {input:?}"
        );
    }
    assert_eq!(Version::parse("1.7rc2").unwrap().prerelease(), "rc2");
    assert_eq!(
        Version::parse("1.2-beta.5+m").unwrap().prerelease(),
        "beta.5"
    );
    assert_eq!(Version::parse("1.0-").unwrap().prerelease(), "-");
}

#[test]
fn ordering() {
    let cases = [
        ("1.2.3", "1.4.5", Ordering::Less),
        ("1.2", "1.1.4", Ordering::Greater),
        ("1.2", "1.2.0", Ordering::Equal),
        ("01.2", "1.2", Ordering::Equal),
        ("1.2-beta", "1.2-beta", Ordering::Equal),
        // A release ranks above its prereleases; metadata never matters.
        ("1.2", "1.2-beta", Ordering::Greater),
        ("1.2+foo", "1.2+beta", Ordering::Equal),
        ("1.2.3-beta+foo", "1.2.3-beta", Ordering::Equal),
        ("1.0.3-", "1.0.3", Ordering::Less),
        ("1.0.2alpha", "1.0.2-alpha", Ordering::Equal),
        // More segments compare as if the shorter side were padded with zeros.
        ("1.2.0.0", "1.2", Ordering::Equal),
        ("1.2.0.0.1", "1.2", Ordering::Greater),
        ("1.2.3.0", "1.2.3.4", Ordering::Less),
        // Prereleases compare part by part: numbers numerically, below words.
        ("1.2-beta.1", "1.2-beta.2", Ordering::Less),
        ("1.2-beta.11", "1.2-beta.2", Ordering::Greater),
        ("1.2-beta.2", "1.2-beta.x", Ordering::Less),
        ("3.0-alpha.3", "3.0-rc.1", Ordering::Less),
        ("3.0-alpha3", "3.0-rc1", Ordering::Less),
        ("3.2-rc.1-1-g123", "3.2-rc.2", Ordering::Greater),
        // A missing part ranks below a numeric part but above a word.
        ("3.2-alpha.1", "3.2-alpha", Ordering::Greater),
        ("1.2-beta", "1.2-beta.3", Ordering::Less),
        ("5.4-alpha", "5.4-alpha.beta", Ordering::Greater),
        ("1.7rc2", "1.7rc1", Ordering::Greater),
        ("1.7rc2", "1.7", Ordering::Less),
    ];
    for (a, b, expected) in cases {
        let (va, vb) = (Version::parse(a).unwrap(), Version::parse(b).unwrap());
        assert_eq!(va.compare(&vb), expected, "{a} <=> {b}");
    }
}

#[track_caller]
fn check(kind: ConstraintKind, cases: &[(&str, &str, bool)]) {
    for &(constraint, version, expected) in cases {
        let parsed = VersionConstraints::parse(constraint, kind)
            .unwrap_or_else(|| panic!("{constraint:?} should parse"));
        let version = Version::parse(version).unwrap();
        assert_eq!(
            parsed.check(&version),
            expected,
            "{version:?} against {constraint}"
        );
    }
}

#[test]
fn go_version_constraints() {
    check(
        ConstraintKind::Version,
        &[
            (">= 1.0, < 1.2", "1.1.5", true),
            ("< 1.0, < 1.2", "1.1.5", false),
            ("= 1.0", "1.1.5", false),
            ("= 1.0", "1.0.0", true),
            ("1.0", "1.0.0", true),
            ("!= 1.0", "1.0.1", true),
            ("  >=1.0  ,<2", "1.5", true),
            // `~>` pins every written segment but the last.
            ("~> 1.0", "2.0", false),
            ("~> 1.0", "1.1", true),
            ("~> 1.0", "1.2.3", true),
            ("~> 1.0.0", "1.2.3", false),
            ("~> 1.0.0", "1.0.7", true),
            ("~> 1.0.7", "1.0.4", false),
            ("~> 1.0.7", "1.0.8", true),
            ("~> 1.0.7", "1.0.7.5", true),
            ("~> 1.0.7", "1.0.6.99", false),
            ("~> 1.0.9.5", "1.0.9.5.1", true),
            ("~> 1.0.9.5", "1.0.9.4", false),
            ("~> 1", "7.3", true),
            // Prereleases only satisfy ordering constraints on the same release.
            ("~> 2.0", "2.1.0-beta", false),
            ("~> 2.1.0-a", "2.2.0", false),
            ("~> 2.1.0-a", "2.1.0", false),
            ("~> 2.1.0-a", "2.1.0-beta", true),
            ("> 2.0", "2.1.0-beta", false),
            (">= 2.1.0-a", "2.1.0-beta", true),
            (">= 2.1.0-a", "2.1.1-beta", false),
            (">= 2.1.0-a", "2.1.1", true),
            ("<= 2.1.0-a", "2.0.0", true),
            (">= 0.6.1", "1.3.0-beta1", false),
            // Equality has no prerelease rule, and metadata is ignored.
            ("= 1.3.0-beta1", "1.3.0-beta1+ent", true),
        ],
    );
}

#[test]
fn semver_constraints() {
    check(
        ConstraintKind::Semver,
        &[
            (">= 1.0, < 1.4", "1.2.3", true),
            (">= 1.0, < 1.4", "1.4", false),
            // Plain semver ordering: prereleases of other releases compare normally.
            (">= 0.6.1", "1.3.0-beta1", true),
            (">= 1.6.0-beta1", "1.7.0-alpha1", true),
            (">= 1.7.0", "1.7.0-beta", false),
            (">= 1.7.0-dev", "1.7.0", true),
            (">= 1.7.0-a", "1.7.0-beta.1", true),
            (">= 1.7.0-dev", "1.7.0-rc.1", true),
            ("= 1.3.0-beta1", "1.3.0-beta1+ent", true),
            ("!= 1.3.0", "1.3.1", true),
        ],
    );
}

#[test]
fn malformed_constraints() {
    let cases = [
        (">= 1.x", ConstraintKind::Version),
        ("", ConstraintKind::Version),
        (">= 1.0,", ConstraintKind::Version),
        ("=> 1.0", ConstraintKind::Version),
        (
            "11387778780781445675529500000000000000000",
            ConstraintKind::Version,
        ),
        // `semver` has no pessimistic operator and wants a dash before a prerelease.
        ("~> 1.0", ConstraintKind::Semver),
        (">= 1.7rc1", ConstraintKind::Semver),
    ];
    for (constraint, kind) in cases {
        assert!(
            VersionConstraints::parse(constraint, kind).is_none(),
            "{constraint:?} ({kind:?}) should not parse"
        );
    }
    assert!(VersionConstraints::parse(">= 1.7rc1", ConstraintKind::Version).is_some());
}

/// Versions without leading zeros in numeric prerelease parts (where go-version's ordering is
/// not antisymmetric).
fn version() -> impl Strategy<Value = String> {
    let segments = prop::collection::vec(0u8..4, 1..5)
        .prop_map(|s| s.iter().map(u8::to_string).collect::<Vec<_>>().join("."));
    let part = prop_oneof![
        (0u8..12).prop_map(|n| n.to_string()),
        prop::sample::select(vec!["alpha", "beta", "rc", "x1"]).prop_map(str::to_owned),
    ];
    let prerelease = prop::option::of(prop::collection::vec(part, 1..3).prop_map(|p| p.join(".")));
    (segments, prerelease).prop_map(|(s, p)| match p {
        Some(p) => format!("{s}-{p}"),
        None => s,
    })
}

proptest! {
    #[test]
    fn compare_is_antisymmetric_and_transitive(a in version(), b in version(), c in version()) {
        let (a, b, c) = (
            Version::parse(&a).unwrap(),
            Version::parse(&b).unwrap(),
            Version::parse(&c).unwrap(),
        );
        prop_assert_eq!(a.compare(&b), b.compare(&a).reverse());
        if a.compare(&b).is_le() && b.compare(&c).is_le() {
            prop_assert!(a.compare(&c).is_le());
        }
    }
}

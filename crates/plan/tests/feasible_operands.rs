//! Every constraint operand and target, as one table: the node below, a constraint, and whether
//! the node meets it. Covers interpolation (`${attr.*}`, `${meta.*}`, `${node.*}`) and missing
//! attributes on either side.

use std::collections::BTreeMap;

use drover_model::{Constraint, Node};
use drover_plan::feasible::meets_constraint;

fn node() -> Node {
    let attrs = [
        ("kernel.name", "linux"),
        ("cpu.numcores", "8"),
        ("cpu.frequency", "2.5"),
        ("nomad.version", "1.7.3"),
        ("driver.docker.version", "24.0.7"),
        ("tags", "ssd, gpu,fast"),
        ("unique.hostname", "web-01"),
        ("empty", ""),
    ];
    let meta = [("rack", "r1"), ("zone", "a"), ("pattern", "^lin")];
    Node {
        id: "node-1".into(),
        name: "web-01".into(),
        datacenter: "dc1".to_owned(),
        node_class: "large".to_owned(),
        node_pool: "prod".to_owned(),
        attributes: map(&attrs),
        meta: map(&meta),
        ..Node::default()
    }
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[track_caller]
fn check(cases: &[(&str, &str, &str, bool)]) {
    let node = node();
    for &(l_target, operand, r_target, expected) in cases {
        let constraint = Constraint {
            l_target: l_target.to_owned(),
            operand: operand.to_owned(),
            r_target: r_target.to_owned(),
        };
        assert_eq!(
            meets_constraint(&constraint, &node, "global"),
            expected,
            "{l_target} {operand} {r_target}"
        );
    }
}

#[test]
fn targets() {
    check(&[
        ("${node.unique.id}", "=", "node-1", true),
        ("${node.unique.name}", "=", "web-01", true),
        ("${node.datacenter}", "=", "dc1", true),
        ("${node.class}", "=", "large", true),
        ("${node.pool}", "=", "prod", true),
        ("${node.region}", "=", "global", true),
        ("${attr.kernel.name}", "=", "linux", true),
        ("${attr.unique.hostname}", "=", "web-01", true),
        ("${meta.rack}", "=", "r1", true),
        // Interpolation works on either side, and literals compare as themselves.
        ("linux", "=", "${attr.kernel.name}", true),
        ("${meta.zone}", "=", "${meta.zone}", true),
        ("abc", "=", "abc", true),
        // A missing closing brace still names the key, as in Nomad.
        ("${attr.kernel.name", "=", "linux", true),
        // Unknown interpolations are never found.
        ("${node.unknown}", "is_set", "", false),
        ("${env.HOME}", "is_not_set", "", true),
    ]);
}

#[test]
fn equality() {
    check(&[
        ("${attr.kernel.name}", "=", "linux", true),
        ("${attr.kernel.name}", "==", "linux", true),
        ("${attr.kernel.name}", "is", "linux", true),
        ("${attr.kernel.name}", "=", "windows", false),
        ("${attr.kernel.name}", "=", "Linux", false),
        // Both sides must be found.
        ("${attr.missing}", "=", "", false),
        ("${attr.missing}", "=", "${meta.missing}", false),
        ("${attr.empty}", "=", "", true),
    ]);
}

#[test]
fn inequality_holds_for_missing_attributes() {
    check(&[
        ("${attr.kernel.name}", "!=", "windows", true),
        ("${attr.kernel.name}", "not", "windows", true),
        ("${attr.kernel.name}", "!=", "linux", false),
        ("${attr.missing}", "!=", "linux", true),
        ("linux", "!=", "${attr.missing}", true),
        // Missing reads as the empty string: both missing, or missing against "", are equal.
        ("${attr.missing}", "!=", "${meta.missing}", false),
        ("${attr.missing}", "!=", "", false),
    ]);
}

#[test]
fn ordering() {
    check(&[
        // Integers compare numerically.
        ("${attr.cpu.numcores}", ">", "4", true),
        ("${attr.cpu.numcores}", ">=", "8", true),
        ("${attr.cpu.numcores}", "<", "10", true),
        ("${attr.cpu.numcores}", "<=", "7", false),
        // Floats when either side is not an integer.
        ("${attr.cpu.frequency}", ">", "2.25", true),
        ("${attr.cpu.frequency}", "<", "10", true),
        // Lexically otherwise.
        ("${attr.kernel.name}", ">", "darwin", true),
        ("${attr.kernel.name}", "<", "freebsd", false),
        ("10", "<", "9a", true),
        ("${attr.missing}", "<", "5", false),
        ("5", ">", "${attr.missing}", false),
    ]);
}

#[test]
fn is_set_and_is_not_set() {
    check(&[
        ("${attr.kernel.name}", "is_set", "", true),
        ("${attr.empty}", "is_set", "", true),
        ("${attr.missing}", "is_set", "", false),
        ("${meta.rack}", "is_not_set", "", false),
        ("${meta.missing}", "is_not_set", "", true),
    ]);
}

#[test]
fn regexp() {
    check(&[
        ("${attr.kernel.name}", "regexp", "^lin", true),
        ("${attr.kernel.name}", "regexp", "nux$", true),
        ("${attr.kernel.name}", "regexp", "^win", false),
        ("${attr.unique.hostname}", "regexp", "web-[0-9]+", true),
        // The pattern may come from the node too.
        ("${attr.kernel.name}", "regexp", "${meta.pattern}", true),
        // A pattern that does not compile never matches.
        ("${attr.kernel.name}", "regexp", "(", false),
        ("${attr.missing}", "regexp", ".*", false),
    ]);
}

#[test]
fn version_and_semver() {
    check(&[
        ("${attr.nomad.version}", "version", ">= 1.6, < 2.0", true),
        ("${attr.nomad.version}", "version", "~> 1.7.0", true),
        ("${attr.nomad.version}", "version", "~> 1.8", false),
        ("${attr.driver.docker.version}", "version", "> 20", true),
        ("${attr.nomad.version}", "semver", ">= 1.7.0", true),
        ("${attr.nomad.version}", "semver", "~> 1.7", false),
        ("${attr.kernel.name}", "version", ">= 1.0", false),
        (
            "${attr.nomad.version}",
            "version",
            "not a constraint",
            false,
        ),
        ("${attr.missing}", "version", ">= 0", false),
    ]);
}

#[test]
fn set_contains() {
    check(&[
        ("${attr.tags}", "set_contains", "ssd", true),
        ("${attr.tags}", "set_contains", "gpu, ssd", true),
        ("${attr.tags}", "set_contains_all", "ssd,fast", true),
        ("${attr.tags}", "set_contains_all", "ssd,nvme", false),
        ("${attr.tags}", "set_contains_any", "nvme, fast", true),
        ("${attr.tags}", "set_contains_any", "nvme,hdd", false),
        ("${attr.missing}", "set_contains_any", "ssd", false),
        ("${attr.tags}", "set_contains", "${attr.missing}", false),
    ]);
}

#[test]
fn distinct_operands_pass_here_and_unknown_operands_fail() {
    check(&[
        ("", "distinct_hosts", "true", true),
        ("${meta.rack}", "distinct_property", "2", true),
        ("${attr.kernel.name}", "~=", "linux", false),
        ("${attr.kernel.name}", "", "linux", false),
    ]);
}

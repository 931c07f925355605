//! Version matching for the `version` and `semver` constraint operands.
//!
//! Our own implementation of the rules of hashicorp/go-version (which Nomad uses for `version`) and
//! of Nomad's semver constraints (`helper/constraints/semver`, used for `semver`):
//! - [`Version::parse`] is go-version's lenient parser: an optional `v`, any number of numeric
//!   segments (padded with zeros to three), a prerelease that may skip its `-` when it starts with a
//!   letter (`1.2.3beta`), and `+metadata`. [`Version::parse_semver`] requires the `-`.
//! - [`Version::compare`] orders versions; metadata never matters, a release ranks above its
//!   prereleases, and prereleases compare part by part (with go-version's quirk for missing parts).
//! - [`VersionConstraints`] parses a comma-separated list (all must hold). The `version` flavour has
//!   `~>` and go-version's prerelease rule for ordering operators; the `semver` flavour has neither
//!   and parses its versions strictly.
//!
//! A node's version (the left side of a constraint) is always parsed leniently, for both operands.

use std::cmp::Ordering;

/// A parsed version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// At least three segments (padded with zeros).
    segments: Vec<i64>,
    /// How many segments were written: `~> 1.2` pins one segment, `~> 1.2.3` two.
    written: usize,
    prerelease: String,
}

impl Version {
    /// go-version's `NewVersion`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::parse_with(s, false)
    }

    /// go-version's `NewSemver`: like [`Version::parse`] but a prerelease must follow a `-`.
    pub fn parse_semver(s: &str) -> Option<Self> {
        Self::parse_with(s, true)
    }

    fn parse_with(s: &str, strict: bool) -> Option<Self> {
        let s = s.strip_prefix('v').unwrap_or(s);
        let numeric_end = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        let (numeric, rest) = s.split_at(numeric_end);
        let mut segments = numeric
            .split('.')
            .map(|part| {
                if part.is_empty() {
                    None
                } else {
                    part.parse::<i64>().ok()
                }
            })
            .collect::<Option<Vec<_>>>()?;
        let written = segments.len();
        if segments.len() < 3 {
            segments.resize(3, 0);
        }

        let (pre, metadata) = match rest.split_once('+') {
            Some((pre, metadata)) => (pre, Some(metadata)),
            None => (rest, None),
        };
        if metadata.is_some_and(|m| !is_dotted_identifiers(m)) {
            return None;
        }
        let prerelease = if pre.is_empty() {
            ""
        } else if let Some(after_dash) = pre.strip_prefix('-').filter(|p| is_dotted_identifiers(p))
        {
            after_dash
        } else if !strict
            && is_dotted_identifiers(pre)
            && pre.starts_with(|c: char| c.is_ascii_alphabetic() || c == '-' || c == '~')
        {
            pre
        } else {
            return None;
        };
        Some(Self {
            segments,
            written,
            prerelease: prerelease.to_owned(),
        })
    }

    pub fn prerelease(&self) -> &str {
        &self.prerelease
    }

    /// go-version's `Compare`.
    pub fn compare(&self, other: &Self) -> Ordering {
        if self.segments == other.segments {
            return match (self.prerelease.is_empty(), other.prerelease.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_prereleases(&self.prerelease, &other.prerelease),
            };
        }
        // Versions of different lengths compare as if the shorter one were padded with zeros.
        let len = self.segments.len().max(other.segments.len());
        for i in 0..len {
            let left = self.segments.get(i).copied().unwrap_or(0);
            let right = other.segments.get(i).copied().unwrap_or(0);
            match left.cmp(&right) {
                Ordering::Equal => continue,
                unequal => return unequal,
            }
        }
        Ordering::Equal
    }
}

/// Dot-separated, non-empty identifiers of `[0-9A-Za-z-~]`.
fn is_dotted_identifiers(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'~')
        })
}

fn compare_prereleases(left: &str, right: &str) -> Ordering {
    if left == right {
        return Ordering::Equal;
    }
    let mut left_parts = left.split('.');
    let mut right_parts = right.split('.');
    loop {
        match (left_parts.next(), right_parts.next()) {
            (None, None) => return Ordering::Equal,
            (l, r) => match compare_prerelease_part(l.unwrap_or(""), r.unwrap_or("")) {
                Ordering::Equal => continue,
                unequal => return unequal,
            },
        }
    }
}

/// One dot-separated part of two prereleases. Numeric parts rank below alphanumeric ones. A missing
/// part ranks below a numeric part but above an alphanumeric one (go-version's rule, kept as is).
/// Two numeric parts that differ only in leading zeros never compare equal, as in go-version.
fn compare_prerelease_part(left: &str, right: &str) -> Ordering {
    if left == right {
        return Ordering::Equal;
    }
    let left_num = left.parse::<i64>().ok();
    let right_num = right.parse::<i64>().ok();
    if left.is_empty() {
        return if right_num.is_some() {
            Ordering::Less
        } else {
            Ordering::Greater
        };
    }
    if right.is_empty() {
        return if left_num.is_some() {
            Ordering::Greater
        } else {
            Ordering::Less
        };
    }
    match (left_num, right_num) {
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) if left > right => Ordering::Greater,
        (Some(l), Some(r)) if l > r => Ordering::Greater,
        _ => Ordering::Less,
    }
}

/// Which constraint language a string is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstraintKind {
    /// The `version` operand: go-version constraints.
    Version,
    /// The `semver` operand: Nomad's strict semver constraints.
    Semver,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Equal,
    NotEqual,
    Greater,
    Less,
    GreaterEqual,
    LessEqual,
    Pessimistic,
}

/// Operators in the order they are tried: the two-character ones first, so `>=` never reads as
/// `>` followed by a malformed version. The empty operator means `=`.
const GO_VERSION_OPS: [(&str, Op); 8] = [
    ("<=", Op::LessEqual),
    (">=", Op::GreaterEqual),
    ("!=", Op::NotEqual),
    ("~>", Op::Pessimistic),
    ("<", Op::Less),
    (">", Op::Greater),
    ("=", Op::Equal),
    ("", Op::Equal),
];

const SEMVER_OPS: [(&str, Op); 7] = [
    ("<=", Op::LessEqual),
    (">=", Op::GreaterEqual),
    ("!=", Op::NotEqual),
    ("<", Op::Less),
    (">", Op::Greater),
    ("=", Op::Equal),
    ("", Op::Equal),
];

/// A parsed constraint string such as `">= 1.0, < 1.4"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionConstraints {
    kind: ConstraintKind,
    items: Vec<(Op, Version)>,
}

impl VersionConstraints {
    /// Parses every comma-separated piece; `None` if any piece is malformed.
    pub fn parse(s: &str, kind: ConstraintKind) -> Option<Self> {
        let items = s
            .split(',')
            .map(|piece| parse_single(piece, kind))
            .collect::<Option<Vec<_>>>()?;
        Some(Self { kind, items })
    }

    /// Whether `version` satisfies every piece.
    pub fn check(&self, version: &Version) -> bool {
        self.items
            .iter()
            .all(|(op, wanted)| self.check_one(*op, version, wanted))
    }

    fn check_one(&self, op: Op, v: &Version, c: &Version) -> bool {
        let cmp = v.compare(c);
        let ordered = |ok: bool| match self.kind {
            ConstraintKind::Version => ok && prerelease_compatible(v, c),
            ConstraintKind::Semver => ok,
        };
        match op {
            Op::Equal => cmp == Ordering::Equal,
            Op::NotEqual => cmp != Ordering::Equal,
            Op::Greater => ordered(cmp == Ordering::Greater),
            Op::Less => ordered(cmp == Ordering::Less),
            Op::GreaterEqual => ordered(cmp != Ordering::Less),
            Op::LessEqual => ordered(cmp != Ordering::Greater),
            Op::Pessimistic => pessimistic(v, c),
        }
    }
}

fn parse_single(piece: &str, kind: ConstraintKind) -> Option<(Op, Version)> {
    let piece = trim_go_space(piece);
    let ops: &[(&str, Op)] = match kind {
        ConstraintKind::Version => &GO_VERSION_OPS,
        ConstraintKind::Semver => &SEMVER_OPS,
    };
    ops.iter().find_map(|(text, op)| {
        let rest = trim_go_space(piece.strip_prefix(text)?);
        let version = match kind {
            ConstraintKind::Version => Version::parse(rest),
            ConstraintKind::Semver => Version::parse_semver(rest),
        }?;
        Some((*op, version))
    })
}

/// Go's regexp `\s`: ASCII space, tab, newline, form feed and carriage return.
fn trim_go_space(s: &str) -> &str {
    s.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\x0c' | '\r'))
}

/// go-version's prerelease rule for ordering operators: a prerelease version only matches a
/// constraint on a prerelease of the same release.
fn prerelease_compatible(v: &Version, c: &Version) -> bool {
    match (v.prerelease.is_empty(), c.prerelease.is_empty()) {
        (false, false) => v.segments == c.segments,
        (false, true) => false,
        _ => true,
    }
}

/// `~>`: at least the constraint, and the same up to the second-to-last written segment.
fn pessimistic(v: &Version, c: &Version) -> bool {
    if !prerelease_compatible(v, c) || (!c.prerelease.is_empty() && v.prerelease.is_empty()) {
        return false;
    }
    if v.compare(c) == Ordering::Less {
        return false;
    }
    let padded = c.segments.len();
    if padded > v.segments.len() {
        return false;
    }
    let pinned = c.written.saturating_sub(1);
    v.segments[..pinned] == c.segments[..pinned] && c.segments[padded - 1] <= v.segments[padded - 1]
}

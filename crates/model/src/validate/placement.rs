//! Constraints, affinities and spreads, wherever they appear.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use super::push_nested;
use crate::gotext::quote;
use crate::job::job_type;
use crate::{Affinity, Constraint, Job, Spread, constraint};

pub(super) fn constraint_list_errors(out: &mut Vec<String>, constraints: &[Constraint]) {
    for (index, c) in constraints.iter().enumerate() {
        let prefix = format!("Constraint {} validation failed: ", index + 1);
        push_nested(out, &prefix, constraint_errors(c));
    }
}

/// System jobs may not have spreads.
pub(super) fn spread_list_errors(out: &mut Vec<String>, job: &Job, spreads: &[Spread]) {
    if job.job_type == job_type::SYSTEM {
        if !spreads.is_empty() {
            out.push("System jobs may not have a spread block".to_string());
        }
    } else {
        for (index, s) in spreads.iter().enumerate() {
            let prefix = format!("Spread {} validation failed: ", index + 1);
            push_nested(out, &prefix, spread_errors(s));
        }
    }
}

/// System jobs may not have affinities.
pub(super) fn affinity_list_errors(out: &mut Vec<String>, job: &Job, affinities: &[Affinity]) {
    if job.job_type == job_type::SYSTEM {
        if !affinities.is_empty() {
            out.push("System jobs may not have an affinity block".to_string());
        }
        return;
    }
    for (index, a) in affinities.iter().enumerate() {
        let prefix = format!("Affinity {} validation failed: ", index + 1);
        push_nested(out, &prefix, affinity_errors(a));
    }
}

const COMPARISONS: [&str; 9] = ["=", "==", "is", "!=", "not", "<", "<=", ">", ">="];

pub(super) fn constraint_errors(c: &Constraint) -> Vec<String> {
    let mut out = Vec::new();
    if c.operand.is_empty() {
        out.push("Missing constraint operand".to_string());
    }
    let mut requires_l_target = true;
    match c.operand.as_str() {
        constraint::operand::DISTINCT_HOSTS => requires_l_target = false,
        constraint::operand::SET_CONTAINS
        | constraint::operand::SET_CONTAINS_ALL
        | constraint::operand::SET_CONTAINS_ANY => {
            if c.r_target.is_empty() {
                out.push("Set contains constraint requires an RTarget".to_string());
            }
        }
        constraint::operand::REGEX | constraint::operand::VERSION | constraint::operand::SEMVER => {
            out.extend(pattern_error(&c.operand, &c.r_target, "constraint"));
        }
        constraint::operand::DISTINCT_PROPERTY if !c.r_target.is_empty() => {
            match c.r_target.parse::<u64>() {
                Err(e) => out.push(format!(
                    "Failed to convert RTarget {} to uint64: strconv.ParseUint: parsing {}: {}",
                    quote(&c.r_target),
                    quote(&c.r_target),
                    go_parse_error(&e)
                )),
                Ok(0) => out.push(
                    "Distinct Property must have an allowed count of 1 or greater: 0 < 1"
                        .to_string(),
                ),
                Ok(_) => {}
            }
        }
        constraint::operand::DISTINCT_PROPERTY => {}
        constraint::operand::ATTRIBUTE_IS_SET | constraint::operand::ATTRIBUTE_IS_NOT_SET => {
            if !c.r_target.is_empty() {
                out.push(format!(
                    "Operator {} does not support an RTarget",
                    quote(&c.operand)
                ));
            }
        }
        op if COMPARISONS.contains(&op) => {
            if c.r_target.is_empty() {
                out.push(format!("Operator {} requires an RTarget", quote(op)));
            }
        }
        op => out.push(format!("Unknown constraint type {}", quote(op))),
    }
    if requires_l_target {
        if c.l_target.is_empty() {
            out.push("no attribute provided but is required by operator".to_string());
        } else if let Err(e) = check_constraint_attribute(&c.l_target) {
            out.push(e);
        }
    }
    out
}

/// The compile error in Go's words where Go's RE2 and Rust's regex agree on the cause
/// (`error parsing regexp: missing closing ]: `[a``), else in Rust's.
fn regex_error(pattern: &str, error: &regex::Error) -> String {
    const GO_CODES: [(&str, &str); 9] = [
        ("unclosed character class", "missing closing ]"),
        ("unclosed group", "missing closing )"),
        ("unopened group", "unexpected )"),
        (
            "repetition operator missing expression",
            "missing argument to repetition operator",
        ),
        (
            "invalid character class range",
            "invalid character class range",
        ),
        (
            "incomplete escape sequence",
            "trailing backslash at end of expression",
        ),
        ("unrecognized escape sequence", "invalid escape sequence"),
        ("invalid repetition count range", "invalid repeat count"),
        ("nest limit exceeded", "expression nests too deeply"),
    ];
    let text = error.to_string();
    let cause = text.rsplit("error: ").next().unwrap_or(&text).trim();
    let message = match GO_CODES.iter().find(|(rust, _)| cause.starts_with(rust)) {
        Some((_, go)) => format!("error parsing regexp: {go}: `{pattern}`"),
        None => cause.to_string(),
    };
    format!("Regular expression failed to compile: {message}")
}

/// Go's `strconv` error reasons.
fn go_parse_error(e: &std::num::ParseIntError) -> &'static str {
    match e.kind() {
        std::num::IntErrorKind::PosOverflow => "value out of range",
        _ => "invalid syntax",
    }
}

fn check_constraint_attribute(target: &str) -> Result<(), String> {
    if !target.starts_with('$') {
        return Ok(());
    }
    if !target.starts_with("${") {
        return Err(format!(
            "attribute {} is missing an opening brace",
            quote(target)
        ));
    }
    if !target.ends_with('}') {
        return Err(format!(
            "attribute {} is missing a closing brace",
            quote(target)
        ));
    }
    const EXACT: [&str; 5] = [
        "${node.unique.id}",
        "${node.datacenter}",
        "${node.unique.name}",
        "${node.class}",
        "${node.pool}",
    ];
    const PREFIXES: [&str; 3] = ["${attr.", "${device.", "${meta."];
    if EXACT.contains(&target) || PREFIXES.iter().any(|p| target.starts_with(p)) {
        Ok(())
    } else {
        Err(format!("unsupported attribute {}", quote(target)))
    }
}

/// One part of a go-version constraint list (`>= 1.2`, `~> 1.0`, `1.2.3-beta+build`).
static VERSION_PART: LazyLock<Regex> = LazyLock::new(|| {
    constant_regex(
        r"^\s*(=|!=|>|<|>=|=>|<=|=<|~>)?\s*v?([0-9]+(\.[0-9]+)*?)(-([0-9]+[0-9A-Za-z\-~]*(\.[0-9A-Za-z\-~]+)*)|(-?([A-Za-z\-~]+[0-9A-Za-z\-~]*(\.[0-9A-Za-z\-~]+)*)))?(\+([0-9A-Za-z\-~]+(\.[0-9A-Za-z\-~]+)*))?\s*$",
    )
});

/// One part of a Nomad semver constraint list: no pessimistic operator, at most three segments.
static SEMVER_PART: LazyLock<Regex> = LazyLock::new(|| {
    constant_regex(
        r"^\s*(=|!=|>|<|>=|<=)?\s*v?([0-9]+(\.[0-9]+){0,2})(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?\s*$",
    )
});

fn constant_regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a constant pattern compiles")
}

/// The right-target checks constraints and affinities share for `regexp`, `version` and
/// `semver`; `kind` ("constraint" or "affinity") names the block in the message.
fn pattern_error(operand: &str, r_target: &str, kind: &str) -> Option<String> {
    let (part, name) = match operand {
        constraint::operand::REGEX => {
            return Regex::new(r_target)
                .err()
                .map(|e| regex_error(r_target, &e));
        }
        constraint::operand::VERSION => (&*VERSION_PART, "Version"),
        _ => (&*SEMVER_PART, "Semver"),
    };
    // go-version names the first malformed part of the comma-separated list.
    r_target
        .split(',')
        .find(|p| !part.is_match(p))
        .map(|p| format!("{name} {kind} is invalid: Malformed constraint: {p}"))
}

fn affinity_errors(a: &Affinity) -> Vec<String> {
    let mut out = Vec::new();
    if a.operand.is_empty() {
        out.push("Missing affinity operand".to_string());
    }
    match a.operand.as_str() {
        constraint::operand::SET_CONTAINS
        | constraint::operand::SET_CONTAINS_ALL
        | constraint::operand::SET_CONTAINS_ANY => {
            if a.r_target.is_empty() {
                out.push("Set contains operators require an RTarget".to_string());
            }
        }
        constraint::operand::REGEX | constraint::operand::VERSION | constraint::operand::SEMVER => {
            out.extend(pattern_error(&a.operand, &a.r_target, "affinity"));
        }
        op if COMPARISONS.contains(&op) => {
            if a.r_target.is_empty() {
                out.push(format!("Operator {} requires an RTarget", quote(op)));
            }
        }
        op => out.push(format!("Unknown affinity operator {}", quote(op))),
    }
    if a.l_target.is_empty() {
        out.push("No LTarget provided but is required".to_string());
    }
    if a.weight == 0 {
        out.push("Affinity weight cannot be zero".to_string());
    }
    if !(-100..=100).contains(&a.weight) {
        out.push("Affinity weight must be within the range [-100,100]".to_string());
    }
    out
}

fn spread_errors(s: &Spread) -> Vec<String> {
    let mut out = Vec::new();
    if s.attribute.is_empty() {
        out.push("Missing spread attribute".to_string());
    }
    if s.weight <= 0 || s.weight > 100 {
        out.push("Spread block must have a positive weight from 0 to 100".to_string());
    }
    let mut seen = BTreeSet::new();
    let mut sum = 0u64;
    for target in &s.spread_target {
        if !seen.insert(&target.value) {
            out.push(format!(
                "Spread target value {} already defined",
                quote(&target.value)
            ));
        }
        if target.percent > 100 {
            out.push(format!(
                "Spread target percentage for value {} must be between 0 and 100",
                quote(&target.value)
            ));
        }
        sum += u64::from(target.percent);
    }
    if sum > 100 {
        out.push(format!(
            "Sum of spread target percentages must not be greater than 100%; got {sum}%"
        ));
    }
    out
}

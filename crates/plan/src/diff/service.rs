//! Services of a group or task, with their checks.

use std::collections::BTreeMap;

use drover_model::{Service, ServiceCheck};
use serde_json::Value;

use super::flat::{Flat, flat_diffs};
use super::objects::{
    block_diff, keyed_diffs, list, map_type, matched_diffs, object, presence, string_set_diff,
    strings,
};
use super::text::Text;
use super::types::ObjectDiff;
use super::value::value_diff;

/// Services have no identity. One old and one new service are diffed directly; otherwise each old
/// service takes the best-scoring unmatched new one (same position +1, same port label +2, same
/// name +3, a match needs more than 2), and what stays unmatched was deleted or added.
pub(crate) fn service_diffs(old: &[Service], new: &[Service], contextual: bool) -> Vec<ObjectDiff> {
    matched_diffs(old, new, best_match, |o, n| service_diff(o, n, contextual))
}

/// The first unmatched new service with the highest score above the threshold.
fn best_match(index: usize, service: &Service, new: &[Service], taken: &[bool]) -> Option<usize> {
    let mut best: Option<(usize, u8)> = None;
    for (i, candidate) in new.iter().enumerate().filter(|(i, _)| !taken[*i]) {
        let score = u8::from(i == index)
            + 2 * u8::from(service.port_label == candidate.port_label)
            + 3 * u8::from(service.name == candidate.name);
        if score > 2 && best.is_none_or(|(_, s)| score > s) {
            best = Some((i, score));
        }
    }
    best.map(|(i, _)| i)
}

fn service_diff(
    old: Option<&Service>,
    new: Option<&Service>,
    contextual: bool,
) -> Option<ObjectDiff> {
    let mut diff = block_diff("Service", old, new, contextual)?;
    diff.objects.extend(string_set_diff(
        "CanaryTags",
        strings(old, |s| &s.canary_tags),
        strings(new, |s| &s.canary_tags),
        contextual,
    ));
    diff.objects.extend(string_set_diff(
        "Tags",
        strings(old, |s| &s.tags),
        strings(new, |s| &s.tags),
        contextual,
    ));
    diff.objects.extend(keyed_diffs(
        list(old, |s| &s.checks),
        list(new, |s| &s.checks),
        |c| c.name.as_str(),
        |o, n| check_diff(o, n, contextual),
    ));
    diff.objects.extend(value_diff(
        "ConsulConnect",
        old.and_then(|s| s.connect.as_ref()),
        new.and_then(|s| s.connect.as_ref()),
        contextual,
    ));
    diff.objects.extend(value_diff(
        "Identity",
        old.and_then(|s| s.identity.as_ref()),
        new.and_then(|s| s.identity.as_ref()),
        contextual,
    ));
    diff.objects.extend(weights_diff(
        old.and_then(|s| s.weights.as_ref()),
        new.and_then(|s| s.weights.as_ref()),
        contextual,
    ));
    Some(diff)
}

fn check_diff(
    old: Option<&ServiceCheck>,
    new: Option<&ServiceCheck>,
    contextual: bool,
) -> Option<ObjectDiff> {
    let mut diff = block_diff("Check", old, new, contextual)?;
    let empty = BTreeMap::new();
    diff.objects.extend(header_diff(
        old.map_or(&empty, |c| &c.header),
        new.map_or(&empty, |c| &c.header),
        contextual,
    ));
    diff.objects.extend(block_diff(
        "CheckRestart",
        old.and_then(|c| c.check_restart.as_ref()),
        new.and_then(|c| c.check_restart.as_ref()),
        contextual,
    ));
    Some(diff)
}

/// HTTP headers, one field per value: `Name[i]`.
fn header_diff(
    old: &BTreeMap<String, Vec<String>>,
    new: &BTreeMap<String, Vec<String>>,
    contextual: bool,
) -> Option<ObjectDiff> {
    let diff_type = map_type(old, new)?;
    Some(object(
        "Header",
        diff_type,
        flat_diffs(header_flat(old), header_flat(new), contextual),
    ))
}

fn header_flat(headers: &BTreeMap<String, Vec<String>>) -> Flat<'_> {
    let mut f = Flat::default();
    for (name, values) in headers {
        for (i, v) in values.iter().enumerate() {
            f.put(Text::indexed(name, i), v);
        }
    }
    f
}

/// DNS SRV weights; Nomad shows each only when positive.
fn weights_diff(old: Option<&Value>, new: Option<&Value>, contextual: bool) -> Option<ObjectDiff> {
    let diff_type = presence(old, new)?;
    Some(object(
        "Weights",
        diff_type,
        flat_diffs(weights_flat(old), weights_flat(new), contextual),
    ))
}

fn weights_flat(weights: Option<&Value>) -> Flat<'_> {
    let mut f = Flat::default();
    for name in ["Passing", "Warning"] {
        let value = weights.and_then(|w| w.get(name)).and_then(Value::as_i64);
        if let Some(v) = value.filter(|v| *v > 0) {
            f.put(name, v);
        }
    }
    f
}

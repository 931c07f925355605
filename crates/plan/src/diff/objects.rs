//! The building blocks every level shares: object diffs typed by presence or by their fields,
//! sets keyed by an identity, string sets, positional lists.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use drover_model::{Affinity, Constraint};
use serde_json::Value;

use super::flat::{Primitives, field_diff, field_diffs, value_map_diffs};
use super::text::Text;
use super::types::{DiffType, FieldDiff, ObjectDiff, sort_fields, sort_objects};

/// The type of a block that is there or not: `None` when both sides are equal, Added when only
/// the new side has it, Deleted when only the old side has it, Edited otherwise.
pub(crate) fn presence<T: PartialEq + ?Sized>(
    old: Option<&T>,
    new: Option<&T>,
) -> Option<DiffType> {
    match (old, new) {
        _ if old == new => None,
        (None, _) => Some(DiffType::Added),
        (_, None) => Some(DiffType::Deleted),
        _ => Some(DiffType::Edited),
    }
}

pub(crate) fn object(name: &str, diff_type: DiffType, fields: Vec<FieldDiff>) -> ObjectDiff {
    ObjectDiff {
        diff_type,
        name: Text::copy(name),
        fields,
        objects: Vec::new(),
    }
}

/// A block typed by presence whose fields are its primitive flattening (most of Nomad's
/// per-block diffs); callers append nested objects.
pub(crate) fn block_diff<T: Primitives + PartialEq>(
    name: &str,
    old: Option<&T>,
    new: Option<&T>,
    contextual: bool,
) -> Option<ObjectDiff> {
    let (Some(o), Some(n)) = (old, new) else {
        let diff_type = presence(old, new)?;
        return Some(object(name, diff_type, field_diffs(old, new, contextual)));
    };
    let fields = field_diffs(old, new, contextual);
    // A changed field shows the two differ without comparing them whole first; without one
    // they may still differ in what the fields leave out (lists, nested blocks).
    if !changed(&fields) && o == n {
        return None;
    }
    Some(object(name, DiffType::Edited, fields))
}

/// Whether any field changed.
pub(crate) fn changed(fields: &[FieldDiff]) -> bool {
    fields.iter().any(|f| f.diff_type != DiffType::None)
}

/// Nomad's `primitiveObjectDiff`: the type comes from the field diffs, not from presence. Any
/// Edited field, or Added and Deleted fields together, make it Edited; only Added fields, Added;
/// only Deleted fields, Deleted; no changed field, no object at all.
pub(crate) fn primitive_object_diff(name: &str, fields: Vec<FieldDiff>) -> Option<ObjectDiff> {
    let diff_type = type_from_fields(&fields)?;
    Some(object(name, diff_type, fields))
}

/// [`primitive_object_diff`] of two optional blocks. Equal blocks have no changed field, so
/// they give no object without being compared whole first.
pub(crate) fn primitive_block_diff<T: Primitives>(
    name: &str,
    old: Option<&T>,
    new: Option<&T>,
    contextual: bool,
) -> Option<ObjectDiff> {
    if old.is_none() && new.is_none() {
        return None;
    }
    primitive_object_diff(name, field_diffs(old, new, contextual))
}

pub(crate) fn type_from_fields(fields: &[FieldDiff]) -> Option<DiffType> {
    let has = |t| fields.iter().any(|f| f.diff_type == t);
    let (added, deleted) = (has(DiffType::Added), has(DiffType::Deleted));
    if has(DiffType::Edited) || (added && deleted) {
        Some(DiffType::Edited)
    } else if added {
        Some(DiffType::Added)
    } else if deleted {
        Some(DiffType::Deleted)
    } else {
        None
    }
}

/// Pairs the elements of two lists by a key, as Nomad does by putting each list into a map: a
/// later element wins over an earlier one with the same key. Pairs come in key order.
pub(crate) fn pair_by_key<'a, T, K: Ord>(
    old: &'a [T],
    new: &'a [T],
    key: impl Fn(&'a T) -> K,
) -> Vec<(Option<&'a T>, Option<&'a T>)> {
    // One element a side (a task's artifact, a group's only task) needs no map.
    if let ([o], [n]) = (old, new) {
        return match key(o).cmp(&key(n)) {
            Ordering::Equal => vec![(Some(o), Some(n))],
            Ordering::Less => vec![(Some(o), None), (None, Some(n))],
            Ordering::Greater => vec![(None, Some(n)), (Some(o), None)],
        };
    }
    // Two versions of a job most often list the same groups and tasks in the same order: then
    // the pairs are the two lists side by side, sorted, unless a key repeats.
    if old.len() == new.len() {
        let mut pairs = Vec::with_capacity(old.len());
        for (o, n) in old.iter().zip(new) {
            let k = key(o);
            if k != key(n) {
                break;
            }
            pairs.push((k, o, n));
        }
        if pairs.len() == old.len() {
            pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            if pairs.windows(2).all(|w| w[0].0 != w[1].0) {
                return pairs
                    .into_iter()
                    .map(|(_, o, n)| (Some(o), Some(n)))
                    .collect();
            }
        }
    }
    let mut pairs: BTreeMap<K, (Option<&'a T>, Option<&'a T>)> = BTreeMap::new();
    for o in old {
        pairs.entry(key(o)).or_default().0 = Some(o);
    }
    for n in new {
        pairs.entry(key(n)).or_default().1 = Some(n);
    }
    pairs.into_values().collect()
}

/// Diffs of the pairs `pair_by_key` finds, sorted in Nomad's object order.
pub(crate) fn keyed_diffs<'a, T, K: Ord>(
    old: &'a [T],
    new: &'a [T],
    key: impl Fn(&'a T) -> K,
    diff: impl Fn(Option<&'a T>, Option<&'a T>) -> Option<ObjectDiff>,
) -> Vec<ObjectDiff> {
    let mut out: Vec<ObjectDiff> = pair_by_key(old, new, key)
        .into_iter()
        .filter_map(|(o, n)| diff(o, n))
        .collect();
    sort_objects(&mut out);
    out
}

/// Nomad's `primitiveObjectSetDiff` (constraints, affinities, artifacts): elements keyed by an
/// identity, each pair diffed by its primitive fields. A changed constraint has a new identity,
/// so it shows as one Deleted plus one Added object.
pub(crate) fn primitive_set_diff<'a, T: Primitives + PartialEq, K: Ord>(
    name: &str,
    old: &'a [T],
    new: &'a [T],
    key: impl Fn(&'a T) -> K,
    contextual: bool,
) -> Vec<ObjectDiff> {
    if old == new {
        return Vec::new();
    }
    keyed_diffs(old, new, key, |o, n| {
        primitive_object_diff(name, field_diffs(o, n, contextual))
    })
}

/// Nomad's matching of lists without an identity (services, templates): one old and one new
/// element are diffed directly; otherwise each old element, in order, pairs with the unmatched
/// new element `find` picks (`find(old_index, old, new, taken)`), and what stays unmatched was
/// deleted or added. Sorted in Nomad's object order.
pub(crate) fn matched_diffs<'a, T: PartialEq>(
    old: &'a [T],
    new: &'a [T],
    find: impl Fn(usize, &T, &[T], &[bool]) -> Option<usize>,
    diff: impl Fn(Option<&'a T>, Option<&'a T>) -> Option<ObjectDiff>,
) -> Vec<ObjectDiff> {
    // The element diff tells an equal pair itself: comparing the lists first would compare
    // a changed element twice.
    if let ([o], [n]) = (old, new) {
        return diff(Some(o), Some(n)).into_iter().collect();
    }
    if old == new {
        return Vec::new();
    }
    let mut taken = vec![false; new.len()];
    let mut out = Vec::new();
    for (i, o) in old.iter().enumerate() {
        let matched = find(i, o, new, &taken);
        if let Some(j) = matched {
            taken[j] = true;
        }
        out.extend(diff(Some(o), matched.map(|j| &new[j])));
    }
    for (n, _) in new.iter().zip(&taken).filter(|(_, taken)| !**taken) {
        out.extend(diff(None, Some(n)));
    }
    sort_objects(&mut out);
    out
}

/// Diffs of two lists matched by position: the common prefix pairwise, then the old tail as
/// deletions and the new tail as additions; sorted in Nomad's object order.
pub(crate) fn positional_diffs<'a, T>(
    old: &'a [T],
    new: &'a [T],
    diff: impl Fn(Option<&'a T>, Option<&'a T>) -> Option<ObjectDiff>,
) -> Vec<ObjectDiff> {
    let len = old.len().max(new.len());
    let mut out: Vec<ObjectDiff> = (0..len)
        .filter_map(|i| diff(old.get(i), new.get(i)))
        .collect();
    sort_objects(&mut out);
    out
}

/// Nomad's `stringSetDiff`: each element of either set is a field named after the set. Unchanged
/// sets give nothing, or a None object listing every element when contextual.
pub(crate) fn string_set_diff<'a>(
    name: &str,
    old: impl IntoIterator<Item = &'a str>,
    new: impl IntoIterator<Item = &'a str>,
    contextual: bool,
) -> Option<ObjectDiff> {
    let old: BTreeSet<&str> = old.into_iter().collect();
    let new: BTreeSet<&str> = new.into_iter().collect();
    if old == new && !contextual {
        return None;
    }
    let mut fields = Vec::new();
    let (mut added, mut removed) = (false, false);
    for &o in &old {
        if !new.contains(o) {
            removed = true;
            fields.extend(field_diff(name, o, "", contextual));
        } else {
            fields.extend(field_diff(name, o, o, contextual));
        }
    }
    for &n in new.difference(&old) {
        added = true;
        fields.extend(field_diff(name, "", n, contextual));
    }
    sort_fields(&mut fields);
    let diff_type = match (added, removed) {
        (true, true) => DiffType::Edited,
        (true, false) => DiffType::Added,
        (false, true) => DiffType::Deleted,
        (false, false) if fields.is_empty() => return None,
        (false, false) => DiffType::None,
    };
    Some(object(name, diff_type, fields))
}

/// A string set that Nomad drops when unchanged, even in contextual mode.
pub(crate) fn changed_string_set_diff<'a>(
    name: &str,
    old: impl IntoIterator<Item = &'a str>,
    new: impl IntoIterator<Item = &'a str>,
    contextual: bool,
) -> Option<ObjectDiff> {
    string_set_diff(name, old, new, contextual).filter(|d| d.diff_type != DiffType::None)
}

/// The strings of an optional block's list field, for the set diffs above.
pub(crate) fn strings<'a, T, S: AsRef<str> + 'a>(
    block: Option<&'a T>,
    field: impl FnOnce(&'a T) -> &'a Vec<S>,
) -> impl Iterator<Item = &'a str> {
    list(block, field).iter().map(AsRef::as_ref)
}

/// Constraints of a job, group or task, keyed like Nomad's `Constraint.DiffID`.
pub(crate) fn constraint_diffs(
    old: &[Constraint],
    new: &[Constraint],
    contextual: bool,
) -> Vec<ObjectDiff> {
    let key = |c: &Constraint| format!("{} {} {}", c.l_target, c.operand, c.r_target);
    primitive_set_diff("Constraint", old, new, key, contextual)
}

/// Affinities of a job, group or task, keyed like Nomad's `Affinity.DiffID`.
pub(crate) fn affinity_diffs(
    old: &[Affinity],
    new: &[Affinity],
    contextual: bool,
) -> Vec<ObjectDiff> {
    let key = |a: &Affinity| format!("{} {} {} {}", a.l_target, a.operand, a.r_target, a.weight);
    primitive_set_diff("Affinity", old, new, key, contextual)
}

/// A list field of an optional parent; empty when the parent is absent.
pub(crate) fn list<'a, P, T>(
    parent: Option<&'a P>,
    field: impl FnOnce(&'a P) -> &'a Vec<T>,
) -> &'a [T] {
    parent.map_or(&[], |p| field(p))
}

/// The type Nomad gives the diff of a map: nothing when equal, Added from an empty map, Deleted
/// to an empty one, Edited otherwise.
pub(crate) fn map_type<V: PartialEq>(
    old: &BTreeMap<String, V>,
    new: &BTreeMap<String, V>,
) -> Option<DiffType> {
    (old != new).then(|| changed_map_type(old, new))
}

/// The type of the diff of two maps known to differ.
fn changed_map_type<V>(old: &BTreeMap<String, V>, new: &BTreeMap<String, V>) -> DiffType {
    if old.is_empty() {
        DiffType::Added
    } else if new.is_empty() {
        DiffType::Deleted
    } else {
        DiffType::Edited
    }
}

/// Nomad's diff of an opaque map (a task's `Config`, a scaling policy): typed Added when the old
/// map is empty, Deleted when the new one is, Edited otherwise; fields from the full flattening.
pub(crate) fn opaque_map_diff(
    name: &str,
    old: &BTreeMap<String, Value>,
    new: &BTreeMap<String, Value>,
    contextual: bool,
) -> Option<ObjectDiff> {
    let fields = value_map_diffs(old, new, contextual);
    // A changed field shows the maps differ without comparing them whole; without one they
    // may still differ (an empty list flattens to no field at all).
    if !changed(&fields) && old == new {
        return None;
    }
    Some(object(name, changed_map_type(old, new), fields))
}

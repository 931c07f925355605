//! Diffs of blocks the model keeps as opaque JSON (Consul Connect, workload identities, actions,
//! NUMA, CSI mount options). Nomad has a typed diff for each; drover shapes them the same way
//! from the JSON itself: scalar members are fields, lists of scalars are string sets, nested
//! objects are sub-objects named after their member, lists of objects are sub-objects matched
//! by position. `null` counts as absent.

use serde_json::{Map, Value};

use super::flat::{Flat, flat_diffs, scalar_string, scalar_val};
use super::objects::{object, positional_diffs, presence, string_set_diff};
use super::text::Text;
use super::types::ObjectDiff;

fn as_object(value: Option<&Value>) -> Option<&Map<String, Value>> {
    value.and_then(Value::as_object)
}

/// The diff of one opaque block named `name`, typed by presence.
pub(crate) fn value_diff(
    name: &str,
    old: Option<&Value>,
    new: Option<&Value>,
    contextual: bool,
) -> Option<ObjectDiff> {
    let (old, new) = (as_object(old), as_object(new));
    let diff_type = presence(old, new)?;
    let mut diff = object(
        name,
        diff_type,
        flat_diffs(scalar_fields(old), scalar_fields(new), contextual),
    );
    let empty = Map::new();
    let (old, new) = (old.unwrap_or(&empty), new.unwrap_or(&empty));
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let (o, n) = (old.get(key), new.get(key));
        let is = |f: fn(&Value) -> bool| o.is_some_and(f) || n.is_some_and(f);
        if is(Value::is_object) {
            diff.objects.extend(value_diff(key, o, n, contextual));
        } else if is(Value::is_array) {
            diff.objects.extend(list_diff(key, o, n, contextual));
        }
    }
    Some(diff)
}

/// A list member: a string set when it holds scalars, positional sub-objects otherwise.
fn list_diff(
    name: &str,
    old: Option<&Value>,
    new: Option<&Value>,
    contextual: bool,
) -> Vec<ObjectDiff> {
    let (old, new) = (array(old), array(new));
    if old.iter().chain(new).any(Value::is_object) {
        return positional_diffs(old, new, |o, n| value_diff(name, o, n, contextual));
    }
    let (old, new): (Vec<String>, Vec<String>) = (
        old.iter().map(scalar_string).collect(),
        new.iter().map(scalar_string).collect(),
    );
    string_set_diff(
        name,
        old.iter().map(String::as_str),
        new.iter().map(String::as_str),
        contextual,
    )
    .into_iter()
    .collect()
}

fn array(value: Option<&Value>) -> &[Value] {
    value.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// The scalar members of an opaque object, as fields.
pub(crate) fn scalar_members(value: Option<&Value>) -> Flat<'_> {
    scalar_fields(as_object(value))
}

fn scalar_fields(value: Option<&Map<String, Value>>) -> Flat<'_> {
    let mut flat = Flat::default();
    for (k, v) in value.into_iter().flatten() {
        if !(v.is_null() || v.is_object() || v.is_array()) {
            flat.put(Text::copy(k), scalar_val(v));
        }
    }
    flat
}

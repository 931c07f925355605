//! Flattened values, Nomad's `flatmap.Flatten` without reflection: each model struct lists its
//! primitive fields itself ([`Primitives`]), under Nomad's names and printed as Go's `%v` prints
//! them (bools "true"/"false", integers in decimal, durations as nanoseconds).
//!
//! Explicit listings rather than a walk over `serde_json::to_value`: JSON cannot tell a struct
//! (skipped in primitive mode) from a string map (expanded as `Name[key]`), nor a nil pointer
//! from an empty list, and building a JSON tree per block would cost more than the diff itself.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Display;

use serde_json::Value;

use super::types::{DiffType, FieldDiff};

/// A flattened object: field path to printed value, ordered by path.
#[derive(Debug, Default)]
pub(crate) struct Flat(BTreeMap<Cow<'static, str>, String>);

impl Flat {
    pub(crate) fn put(&mut self, name: impl Into<Cow<'static, str>>, value: impl Display) {
        self.0.insert(name.into(), value.to_string());
    }

    pub(crate) fn str(&mut self, name: &'static str, value: &str) {
        self.0.insert(Cow::Borrowed(name), value.to_owned());
    }

    /// A Go pointer field that Nomad prints explicitly: "" when nil.
    pub(crate) fn opt(&mut self, name: &'static str, value: Option<impl Display>) {
        match value {
            Some(v) => self.put(name, v),
            None => self.str(name, ""),
        }
    }

    /// A string map, one entry per key as `Name[key]`.
    pub(crate) fn map(&mut self, name: &str, map: &BTreeMap<String, String>) {
        for (k, v) in map {
            self.0.insert(Cow::Owned(format!("{name}[{k}]")), v.clone());
        }
    }

    /// Nomad's full (non-primitive) flattening of an opaque value, as for a task's `Config`:
    /// maps become `prefix[key]` (bare `key` at the top), lists `prefix[i]`, null "nil".
    pub(crate) fn value(&mut self, prefix: String, value: &Value) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    let path = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}[{k}]")
                    };
                    self.value(path, v);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    self.value(format!("{prefix}[{i}]"), v);
                }
            }
            scalar => {
                self.0.insert(Cow::Owned(prefix), scalar_string(scalar));
            }
        }
    }

    /// A map of opaque values, flattened fully under `name` (bare keys when `name` is empty).
    pub(crate) fn value_map(&mut self, name: &str, map: &BTreeMap<String, Value>) {
        for (k, v) in map {
            let path = if name.is_empty() {
                k.clone()
            } else {
                format!("{name}[{k}]")
            };
            self.value(path, v);
        }
    }
}

/// How Nomad prints a scalar of an opaque value.
pub(crate) fn scalar_string(value: &Value) -> String {
    match value {
        Value::Null => "nil".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Model structs that Nomad's primitive flattening sees: their primitive fields and string maps,
/// without nested blocks, lists or pointers.
pub(crate) trait Primitives {
    fn primitives(&self, flat: &mut Flat);
}

/// The primitive flattening of an optional block; an absent block flattens to nothing.
pub(crate) fn flat<T: Primitives>(value: Option<&T>) -> Flat {
    let mut flat = Flat::default();
    if let Some(v) = value {
        v.primitives(&mut flat);
    }
    flat
}

/// One field's change, or `None` when unchanged and not contextual. "" means absent, so a value
/// going from "" to "x" is Added.
pub(crate) fn field_diff(name: &str, old: &str, new: &str, contextual: bool) -> Option<FieldDiff> {
    let diff_type = if old == new {
        if !contextual {
            return None;
        }
        DiffType::None
    } else if old.is_empty() {
        DiffType::Added
    } else if new.is_empty() {
        DiffType::Deleted
    } else {
        DiffType::Edited
    };
    Some(FieldDiff {
        diff_type,
        name: name.to_owned(),
        old: old.to_owned(),
        new: new.to_owned(),
        annotations: Vec::new(),
    })
}

/// The field diffs of two flattened objects, in name order; a path on one side only is compared
/// with "".
pub(crate) fn field_diffs(old: &Flat, new: &Flat, contextual: bool) -> Vec<FieldDiff> {
    let mut out = Vec::new();
    let mut old_iter = old.0.iter().peekable();
    let mut new_iter = new.0.iter().peekable();
    loop {
        let (name, o, n) = match (old_iter.peek().copied(), new_iter.peek().copied()) {
            (None, None) => break,
            (Some((ko, vo)), Some((kn, vn))) if ko == kn => {
                old_iter.next();
                new_iter.next();
                (ko, vo.as_str(), vn.as_str())
            }
            (Some((ko, vo)), Some((kn, _))) if ko < kn => {
                old_iter.next();
                (ko, vo.as_str(), "")
            }
            (Some((ko, vo)), None) => {
                old_iter.next();
                (ko, vo.as_str(), "")
            }
            (_, Some((kn, vn))) => {
                new_iter.next();
                (kn, "", vn.as_str())
            }
        };
        out.extend(field_diff(name, o, n, contextual));
    }
    out
}

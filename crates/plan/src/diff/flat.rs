//! Flattened values, Nomad's `flatmap.Flatten` without reflection: each model struct lists its
//! primitive fields itself ([`Primitives`]), under Nomad's names and printed as Go's `%v` prints
//! them (bools "true"/"false", integers in decimal, durations as nanoseconds).
//!
//! Explicit listings rather than a walk over `serde_json::to_value`: JSON cannot tell a struct
//! (skipped in primitive mode) from a string map (expanded as `Name[key]`), nor a nil pointer
//! from an empty list, and building a JSON tree per block would cost more than the diff itself.
//! A flattening borrows the job's strings and prints numbers and `Name[key]` paths only for the
//! fields that reach the output, so a large diff allocates little besides its result.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::Value;

use super::text::Text;
use super::types::{DiffType, FieldDiff};

/// A field path: a plain name, a map entry `Name[key]`, or a path built at run time.
#[derive(Debug)]
pub(crate) enum Key<'a> {
    Name(&'static str),
    Entry(&'static str, &'a str),
    Path(Text),
}

impl Key<'_> {
    fn parts(&self) -> [&str; 4] {
        match self {
            Key::Name(n) => [n, "", "", ""],
            Key::Entry(n, k) => [n, "[", k, "]"],
            Key::Path(p) => [p, "", "", ""],
        }
    }

    /// The order of the printed paths, without printing them.
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            // Both sides of a diff list the same names: most comparisons are of one literal.
            (Key::Name(a), Key::Name(b)) if std::ptr::eq(*a, *b) => Ordering::Equal,
            (Key::Name(a), Key::Name(b)) => a.cmp(b),
            (Key::Entry(a, x), Key::Entry(b, y)) if std::ptr::eq(*a, *b) => x.cmp(y),
            (Key::Path(a), Key::Path(b)) => a.cmp(b),
            _ => cmp_concatenated(&self.parts(), &other.parts()),
        }
    }

    fn into_text(self) -> Text {
        match self {
            Key::Name(n) => Text::from_static(n),
            Key::Path(p) => p,
            Key::Entry(..) => Text::concat(&self.parts()),
        }
    }
}

impl From<&'static str> for Key<'_> {
    fn from(name: &'static str) -> Self {
        Key::Name(name)
    }
}

impl From<Text> for Key<'_> {
    fn from(path: Text) -> Self {
        Key::Path(path)
    }
}

/// Compares the concatenations of two lists of parts, a chunk at a time.
fn cmp_concatenated(a: &[&str], b: &[&str]) -> Ordering {
    let (mut a, mut b) = (
        a.iter().map(|s| s.as_bytes()),
        b.iter().map(|s| s.as_bytes()),
    );
    let (mut x, mut y): (&[u8], &[u8]) = (&[], &[]);
    loop {
        while x.is_empty() {
            match a.next() {
                Some(part) => x = part,
                None => break,
            }
        }
        while y.is_empty() {
            match b.next() {
                Some(part) => y = part,
                None => break,
            }
        }
        if x.is_empty() || y.is_empty() {
            return x.len().cmp(&y.len());
        }
        let n = x.len().min(y.len());
        match x[..n].cmp(&y[..n]) {
            Ordering::Equal => (x, y) = (&x[n..], &y[n..]),
            unequal => return unequal,
        }
    }
}

/// A primitive value, printed only when it reaches the output.
#[derive(Debug)]
pub(crate) enum Val<'a> {
    Str(&'a str),
    Owned(String),
    Int(i64),
    Uint(u64),
    Bool(bool),
}

impl Val<'_> {
    fn text(&self) -> Cow<'_, str> {
        match self {
            Val::Str(s) => Cow::Borrowed(s),
            Val::Owned(s) => Cow::Borrowed(s),
            Val::Int(i) => Cow::Owned(i.to_string()),
            Val::Uint(u) => Cow::Owned(u.to_string()),
            Val::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        }
    }

    /// Numbers are printed straight into the `Text`, inline.
    fn into_text(self) -> Text {
        match self {
            Val::Str(s) => Text::copy(s),
            Val::Owned(s) => Text::from(s),
            Val::Int(i) => Text::int(i),
            Val::Uint(u) => Text::uint(u),
            Val::Bool(b) => Text::from_static(if b { "true" } else { "false" }),
        }
    }

    /// Equal as printed.
    fn same(&self, other: &Self) -> bool {
        match (self, other) {
            (Val::Str(a), Val::Str(b)) => a == b,
            (Val::Int(a), Val::Int(b)) => a == b,
            (Val::Uint(a), Val::Uint(b)) => a == b,
            (Val::Bool(a), Val::Bool(b)) => a == b,
            _ => self.text() == other.text(),
        }
    }
}

impl<'a> From<&'a str> for Val<'a> {
    fn from(s: &'a str) -> Self {
        Val::Str(s)
    }
}

impl<'a> From<&'a String> for Val<'a> {
    fn from(s: &'a String) -> Self {
        Val::Str(s)
    }
}

impl From<String> for Val<'_> {
    fn from(s: String) -> Self {
        Val::Owned(s)
    }
}

impl From<i64> for Val<'_> {
    fn from(i: i64) -> Self {
        Val::Int(i)
    }
}

impl From<i8> for Val<'_> {
    fn from(i: i8) -> Self {
        Val::Int(i.into())
    }
}

impl From<u64> for Val<'_> {
    fn from(u: u64) -> Self {
        Val::Uint(u)
    }
}

impl From<bool> for Val<'_> {
    fn from(b: bool) -> Self {
        Val::Bool(b)
    }
}

/// A flattened object: field paths and their values. The model listings put their fields in
/// path order already (checked in debug builds); paths built at run time are sorted when diffed.
#[derive(Debug, Default)]
pub(crate) struct Flat<'a> {
    entries: Vec<(Key<'a>, Val<'a>)>,
    unordered: bool,
}

impl<'a> Flat<'a> {
    pub(crate) fn put(&mut self, name: impl Into<Key<'a>>, value: impl Into<Val<'a>>) {
        let name = name.into();
        self.unordered |= matches!(name, Key::Path(_));
        self.entries.push((name, value.into()));
    }

    /// A Go pointer field that Nomad prints explicitly: "" when nil.
    pub(crate) fn opt(&mut self, name: &'static str, value: Option<i64>) {
        match value {
            Some(v) => self.put(name, v),
            None => self.put(name, ""),
        }
    }

    /// A string map, one entry per key as `Name[key]`.
    pub(crate) fn map(&mut self, name: &'static str, map: &'a BTreeMap<String, String>) {
        self.entries.reserve(map.len());
        self.entries
            .extend(map.iter().map(|(k, v)| (Key::Entry(name, k), Val::Str(v))));
    }

    /// Nomad's full (non-primitive) flattening of an opaque value, as for a task's `Config`:
    /// maps become `prefix[key]` (bare `key` at the top), lists `prefix[i]`, null "nil".
    pub(crate) fn value(&mut self, prefix: Text, value: &'a Value) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    self.value(sub_path(&prefix, k), v);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    self.value(Text::indexed(&prefix, i), v);
                }
            }
            scalar => self.put(prefix, scalar_val(scalar)),
        }
    }

    /// A map of opaque values, flattened fully under `name` (bare keys when `name` is empty).
    pub(crate) fn value_map(&mut self, name: &str, map: &'a BTreeMap<String, Value>) {
        self.entries.reserve(map.len());
        for (k, v) in map {
            self.value(sub_path(name, k), v);
        }
    }

    /// Sorted by path; of equal paths the first is kept.
    fn sorted(mut self) -> Vec<(Key<'a>, Val<'a>)> {
        if self.unordered {
            self.entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            self.entries
                .dedup_by(|later, earlier| later.0.cmp(&earlier.0).is_eq());
        } else {
            debug_assert!(
                self.entries.is_sorted_by(|a, b| a.0.cmp(&b.0).is_lt()),
                "a primitive listing is out of path order: {:?}",
                self.entries
            );
        }
        self.entries
    }
}

/// A map entry's path under `prefix`: `prefix[key]`, or the bare key at the top.
fn sub_path(prefix: &str, key: &str) -> Text {
    if prefix.is_empty() {
        Text::copy(key)
    } else {
        Text::concat(&[prefix, "[", key, "]"])
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

pub(crate) fn scalar_val(value: &Value) -> Val<'_> {
    match value {
        Value::String(s) => Val::Str(s),
        Value::Bool(b) => Val::Bool(*b),
        other => Val::Owned(scalar_string(other)),
    }
}

/// Model structs that Nomad's primitive flattening sees: their primitive fields and string maps,
/// without nested blocks, lists or pointers.
pub(crate) trait Primitives {
    fn primitives<'a>(&'a self, flat: &mut Flat<'a>);
}

/// The primitive flattening of an optional block; an absent block flattens to nothing.
pub(crate) fn flat<T: Primitives>(value: Option<&T>) -> Flat<'_> {
    let mut flat = Flat::default();
    if let Some(v) = value {
        // Room for a small block's fields, so that most flattenings allocate once.
        flat.entries.reserve(16);
        v.primitives(&mut flat);
    }
    flat
}

/// One field's change, or `None` when unchanged and not contextual. "" means absent, so a value
/// going from "" to "x" is Added.
pub(crate) fn field_diff(name: &str, old: &str, new: &str, contextual: bool) -> Option<FieldDiff> {
    let diff_type = change(old == new, old.is_empty(), new.is_empty(), contextual)?;
    Some(FieldDiff {
        diff_type,
        name: Text::copy(name),
        old: Text::copy(old),
        new: Text::copy(new),
        annotations: Vec::new(),
    })
}

fn change(same: bool, old_empty: bool, new_empty: bool, contextual: bool) -> Option<DiffType> {
    if same {
        contextual.then_some(DiffType::None)
    } else if old_empty {
        Some(DiffType::Added)
    } else if new_empty {
        Some(DiffType::Deleted)
    } else {
        Some(DiffType::Edited)
    }
}

/// The field diffs of two flattened objects, in path order; a path on one side only is compared
/// with "". Consumes both sides so that printed paths and values move into the output.
pub(crate) fn field_diffs(old: Flat<'_>, new: Flat<'_>, contextual: bool) -> Vec<FieldDiff> {
    let (old, new) = (old.sorted(), new.sorted());
    let mut out = Vec::with_capacity(old.len().max(new.len()));
    let (mut old, mut new) = (old.into_iter().peekable(), new.into_iter().peekable());
    loop {
        let order = match (old.peek(), new.peek()) {
            (Some((ko, _)), Some((kn, _))) => ko.cmp(kn),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => break,
        };
        let (key, o, n) = match order {
            Ordering::Equal => {
                let ((key, o), (_, n)) = (old.next().expect("peeked"), new.next().expect("peeked"));
                (key, Some(o), Some(n))
            }
            Ordering::Less => {
                let (key, o) = old.next().expect("peeked");
                (key, Some(o), None)
            }
            Ordering::Greater => {
                let (key, n) = new.next().expect("peeked");
                (key, None, Some(n))
            }
        };
        let same = match (&o, &n) {
            (Some(o), Some(n)) => o.same(n),
            _ => false,
        };
        if same && !contextual {
            continue;
        }
        let (o, n) = (text(o), text(n));
        // A value printed as "" counts as absent.
        let same = same || o == n;
        if let Some(diff_type) = change(same, o.is_empty(), n.is_empty(), contextual) {
            out.push(FieldDiff {
                diff_type,
                name: key.into_text(),
                old: o,
                new: n,
                annotations: Vec::new(),
            });
        }
    }
    out
}

/// A value as printed; "" when absent.
fn text(value: Option<Val<'_>>) -> Text {
    value.map_or_else(Text::default, Val::into_text)
}

//! Field diffs, Nomad's `flatmap.Flatten` and `fieldDiffs` without reflection: each model struct
//! lists its primitive fields itself ([`Primitives`]), under Nomad's names, with values that
//! print as Go's `%v` prints them (bools "true"/"false", integers in decimal, durations as
//! nanoseconds).
//!
//! A listing walks the old and the new version of a block in lockstep ([`Fields`]): each field
//! is read from both sides as a typed value and compared as Nomad compares the printed values;
//! kept values stay typed ([`FieldValue`]), printed only when shown; string maps are merged
//! entry by entry. Neither side is flattened into paths first, so a large diff allocates
//! little besides its result. A task's opaque `Config` is walked in
//! step too ([`value_map_diffs`]); the other shapes known only at run time (secrets' config, DNS
//! lists, ports) are flattened into path-sorted lists ([`Flat`]) and merged.
//!
//! Explicit listings rather than a walk over `serde_json::to_value`: JSON cannot tell a struct
//! (skipped in primitive mode) from a string map (expanded as `Name[key]`), nor a nil pointer
//! from an empty list.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::iter::Peekable;

use drover_model::SmolStr;
use serde_json::Value;

use super::field_value::FieldValue;
use super::text::Text;
use super::types::{Annotations, DiffType, FieldDiff};

/// A value read from the model. Nomad compares the printed values; a scalar compares as it is
/// where that gives the same answer, and is kept typed ([`FieldValue`]), printed when shown.
pub(crate) trait Scalar: Sized {
    /// Whether the two print the same.
    fn same(&self, other: &Self) -> bool;

    /// Whether it prints as "", which Nomad reads as absent.
    fn is_blank(&self) -> bool;

    fn into_value(self) -> FieldValue;
}

impl Scalar for &str {
    #[inline(always)]
    fn same(&self, other: &Self) -> bool {
        same_str(self, other)
    }

    #[inline(always)]
    fn is_blank(&self) -> bool {
        self.is_empty()
    }

    #[inline(always)]
    fn into_value(self) -> FieldValue {
        FieldValue::Text(Text::copy(self))
    }
}

/// Owned strings compare and print as the text they hold.
macro_rules! text_scalar {
    ($($t:ty),*) => {$(
        impl Scalar for &$t {
            #[inline(always)]
            fn same(&self, other: &Self) -> bool {
                self.as_str().same(&other.as_str())
            }

            #[inline(always)]
            fn is_blank(&self) -> bool {
                self.is_empty()
            }

            #[inline(always)]
            fn into_value(self) -> FieldValue {
                self.as_str().into_value()
            }
        }
    )*};
}

text_scalar!(String, SmolStr);

/// Integers and booleans print the same exactly when they are equal, and never as "".
macro_rules! typed_scalar {
    ($($t:ty => $variant:ident),*) => {$(
        impl Scalar for $t {
            #[inline(always)]
            fn same(&self, other: &Self) -> bool {
                self == other
            }

            #[inline(always)]
            fn is_blank(&self) -> bool {
                false
            }

            #[inline(always)]
            fn into_value(self) -> FieldValue {
                FieldValue::$variant(self.into())
            }
        }
    )*};
}

typed_scalar!(i64 => Int, i8 => Int, u64 => Uint, bool => Bool);

/// A value whose kind is known only at run time (opaque JSON, a pointer printed "nil").
#[derive(Debug)]
pub(crate) enum Val<'a> {
    Str(&'a str),
    Owned(String),
    Int(i64),
    Bool(bool),
}

impl Val<'_> {
    /// Runs `f` on the value as Nomad prints it.
    fn with_str<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        match self {
            Val::Str(s) => f(s),
            Val::Owned(s) => f(s),
            Val::Int(i) => f(&Text::int(*i)),
            Val::Bool(b) => f(if *b { "true" } else { "false" }),
        }
    }
}

impl Scalar for Val<'_> {
    /// Compared as they are when of one kind, as printed otherwise ("true" and `true`).
    fn same(&self, other: &Self) -> bool {
        match (self, other) {
            (Val::Str(a), Val::Str(b)) => a == b,
            (Val::Int(a), Val::Int(b)) => a == b,
            (Val::Bool(a), Val::Bool(b)) => a == b,
            _ => self.with_str(|a| other.with_str(|b| a == b)),
        }
    }

    fn is_blank(&self) -> bool {
        match self {
            Val::Str(s) => s.is_empty(),
            Val::Owned(s) => s.is_empty(),
            _ => false,
        }
    }

    fn into_value(self) -> FieldValue {
        match self {
            Val::Str(s) => FieldValue::Text(Text::copy(s)),
            Val::Owned(s) => FieldValue::Text(Text::from(s)),
            Val::Int(i) => FieldValue::Int(i),
            Val::Bool(b) => FieldValue::Bool(b),
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

impl From<bool> for Val<'_> {
    fn from(b: bool) -> Self {
        Val::Bool(b)
    }
}

/// Model structs that Nomad's primitive flattening sees: they list their primitive fields and
/// string maps, in path order, without nested blocks, lists or pointers.
pub(crate) trait Primitives: Sized {
    fn primitives(fields: &mut Fields<'_, Self>);
}

/// The field diffs of two versions of a block, either of which may be absent (an absent block
/// has no fields, so each field of the other side is compared with "").
pub(crate) fn field_diffs<T: Primitives>(
    old: Option<&T>,
    new: Option<&T>,
    contextual: bool,
) -> Vec<FieldDiff> {
    let mut fields = Fields::new(old, new, contextual);
    T::primitives(&mut fields);
    fields.into_diffs()
}

/// Field diffs being built from the two versions of one block, a listed field at a time. The
/// listings are in path order (checked in debug builds), so the output is too.
pub(crate) struct Fields<'a, T> {
    old: Option<&'a T>,
    new: Option<&'a T>,
    /// Counting the fields a listing can give rather than diffing them.
    sizing: bool,
    sink: Sink,
}

impl<'a, T: Primitives> Fields<'a, T> {
    /// Runs the listing once without comparing anything, so that the output is allocated once
    /// at its full size when the first changed field comes.
    pub(crate) fn new(old: Option<&'a T>, new: Option<&'a T>, contextual: bool) -> Self {
        let mut fields = Fields {
            old,
            new,
            sizing: true,
            sink: Sink::new(contextual),
        };
        T::primitives(&mut fields);
        fields.sizing = false;
        fields
    }
}

impl<'a, T> Fields<'a, T> {
    pub(crate) fn into_diffs(self) -> Vec<FieldDiff> {
        self.sink.out
    }

    /// A field that every version has.
    pub(crate) fn put<V: Scalar>(&mut self, name: &'static &'static str, get: impl Fn(&'a T) -> V) {
        if self.sizing {
            self.sink.room += 1;
            return;
        }
        let (old, new) = (self.old.map(&get), self.new.map(&get));
        self.push(name, old, new);
    }

    /// A field Nomad lists only when set (a Go pointer it adds by hand).
    pub(crate) fn put_some<V: Scalar>(
        &mut self,
        name: &'static &'static str,
        get: impl Fn(&'a T) -> Option<V>,
    ) {
        if self.sizing {
            self.sink.room += 1;
            return;
        }
        let (old, new) = (self.old.and_then(&get), self.new.and_then(&get));
        self.push(name, old, new);
    }

    /// A string map, one field per key as `Name[key]`, in key order.
    pub(crate) fn map(
        &mut self,
        name: &'static str,
        get: impl Fn(&'a T) -> &'a BTreeMap<String, String>,
    ) {
        let (old, new) = (self.old.map(&get), self.new.map(&get));
        if self.sizing {
            self.sink.room += old
                .map_or(0, BTreeMap::len)
                .max(new.map_or(0, BTreeMap::len));
            return;
        }
        self.sink.map(name, old, new);
    }

    /// Fields whose paths are known only at run time (opaque values, filtered maps), in the
    /// order of their printed paths.
    pub(crate) fn paths(&mut self, list: impl Fn(&'a T, &mut Flat<'a>)) {
        if self.sizing {
            return;
        }
        let flat = |block: Option<&'a T>| {
            let mut flat = Flat::default();
            if let Some(block) = block {
                list(block, &mut flat);
            }
            flat
        };
        let (old, new) = (flat(self.old), flat(self.new));
        self.sink.merge(old, new);
    }

    fn push<V: Scalar>(&mut self, name: &'static &'static str, old: Option<V>, new: Option<V>) {
        debug_assert!(
            self.sink.out.last().is_none_or(|last| *last.name < **name),
            "a primitive listing is out of path order at {name}"
        );
        self.sink.push(Text::name(name), old, new);
    }
}

/// Where field diffs go.
struct Sink {
    out: Vec<FieldDiff>,
    contextual: bool,
    /// The room to allocate for the first diff: a block with no changed field allocates
    /// nothing, one with changes allocates once.
    room: usize,
}

impl Sink {
    fn new(contextual: bool) -> Self {
        Sink {
            out: Vec::new(),
            contextual,
            room: 0,
        }
    }

    /// Appends the diff of one field, if any: a field missing on one side is compared with "",
    /// one missing on both sides is not there at all. The two values are compared as Nomad
    /// compares them, printed, but without printing them (see [`Scalar::same`]). One copy of
    /// this code per kind of value serves every listing (it is not inlined into each), which
    /// keeps the walk over a task's many blocks within the instruction cache.
    #[inline(never)]
    fn push<V: Scalar>(&mut self, name: impl Name, old: Option<V>, new: Option<V>) {
        let old_blank = old.as_ref().is_none_or(V::is_blank);
        let new_blank = new.as_ref().is_none_or(V::is_blank);
        let same = match (&old, &new) {
            (Some(o), Some(n)) => o.same(n),
            (None, None) => return,
            _ => old_blank && new_blank,
        };
        let Some(diff_type) = change(same, old_blank, new_blank, self.contextual) else {
            return;
        };
        if self.out.capacity() == 0 {
            self.out.reserve_exact(self.room);
        }
        // Built by the closure after `extend` made room, so the diff is written straight into
        // its slot: with `push`, the diff was assembled on the stack first (the vector may grow
        // between the two) and copied in 16-byte moves, each of which stalled on the narrower
        // stores that had just assembled it (store-to-load forwarding fails).
        self.out.extend(std::iter::once_with(|| FieldDiff {
            diff_type,
            name: name.text(),
            old: value(old),
            new: value(new),
            annotations: Annotations::default(),
        }));
    }

    /// A string map, one field per key as `name[key]`, in key order.
    #[inline(never)]
    fn map(
        &mut self,
        name: &'static str,
        old: Option<&BTreeMap<String, String>>,
        new: Option<&BTreeMap<String, String>>,
    ) {
        merge_maps(old, new, |key, o, n| {
            self.push(
                Entry(name, key),
                o.map(String::as_str),
                n.map(String::as_str),
            );
        });
    }

    /// Consumes both flattenings so that printed paths and values move into the output.
    fn merge(&mut self, old: Flat<'_>, new: Flat<'_>) {
        let (old, new) = (old.sorted(), new.sorted());
        self.room = self.room.max(old.len().max(new.len()));
        merge(
            old.into_iter(),
            new.into_iter(),
            |a, b| a.0.cmp(&b.0),
            |o, n| {
                let (path, o, n) = match (o, n) {
                    (Some((path, o)), n) => (path, Some(o), n.map(|(_, n)| n)),
                    (None, Some((path, n))) => (path, None, Some(n)),
                    (None, None) => return,
                };
                self.push(path, o, n);
            },
        );
    }
}

/// A field's name as [`Sink::push`] is given it: a built text, or the parts of a map entry's
/// name (a third of a large diff's fields), which `push` then builds where it writes the diff.
/// A built text goes through memory (`push` is not inlined), and copying it into the diff read
/// it back in other widths than it had been written in, which stalls (store-to-load forwarding
/// fails).
trait Name {
    fn text(self) -> Text;
}

impl Name for Text {
    #[inline(always)]
    fn text(self) -> Text {
        self
    }
}

/// A string map's entry: `map[key]`.
struct Entry<'a>(&'static str, &'a str);

impl Name for Entry<'_> {
    #[inline(always)]
    fn text(self) -> Text {
        Text::entry(self.0, self.1)
    }
}

/// Walks two sequences sorted by `cmp` in step, calling `each` with the elements of equal keys,
/// or with the element of one side whose key the other side lacks.
fn merge<I: Iterator>(
    old: I,
    new: I,
    cmp: impl Fn(&I::Item, &I::Item) -> Ordering,
    mut each: impl FnMut(Option<I::Item>, Option<I::Item>),
) {
    let (mut old, mut new): (Peekable<I>, Peekable<I>) = (old.peekable(), new.peekable());
    loop {
        let order = match (old.peek(), new.peek()) {
            (Some(o), Some(n)) => cmp(o, n),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => return,
        };
        match order {
            Ordering::Equal => each(old.next(), new.next()),
            Ordering::Less => each(old.next(), None),
            Ordering::Greater => each(None, new.next()),
        }
    }
}

/// Walks two optional maps in step by key, calling `each` with every key of either and its
/// value on each side. Most often both maps have the same keys, so each step is one key
/// comparison and one step of each iterator.
fn merge_maps<'v, M, V: 'v>(
    old: Option<&'v M>,
    new: Option<&'v M>,
    mut each: impl FnMut(&'v str, Option<&'v V>, Option<&'v V>),
) where
    &'v M: IntoIterator<Item = (&'v String, &'v V)>,
{
    fn step<I: Iterator>(side: &mut Option<I>) -> Option<I::Item> {
        side.as_mut().and_then(Iterator::next)
    }
    let (mut old, mut new) = (old.map(<&M>::into_iter), new.map(<&M>::into_iter));
    let (mut o, mut n) = (step(&mut old), step(&mut new));
    loop {
        match (o, n) {
            (Some((old_key, old_value)), Some((new_key, new_value))) => {
                match key_order(old_key, new_key) {
                    Ordering::Equal => {
                        each(old_key, Some(old_value), Some(new_value));
                        (o, n) = (step(&mut old), step(&mut new));
                    }
                    Ordering::Less => {
                        each(old_key, Some(old_value), None);
                        o = step(&mut old);
                    }
                    Ordering::Greater => {
                        each(new_key, None, Some(new_value));
                        n = step(&mut new);
                    }
                }
            }
            (Some((key, value)), None) => {
                each(key, Some(value), None);
                o = step(&mut old);
            }
            (None, Some((key, value))) => {
                each(key, None, Some(value));
                n = step(&mut new);
            }
            (None, None) => return,
        }
    }
}

/// The order of two map keys, which are most often equal: told apart without a call to
/// `memcmp` when they are.
#[inline(always)]
fn key_order(a: &str, b: &str) -> Ordering {
    if same_str(a, b) {
        Ordering::Equal
    } else {
        a.cmp(b)
    }
}

/// String equality with short strings (nearly all keys and values) compared as two
/// overlapping words each, rather than through a call to `memcmp`.
#[inline(always)]
fn same_str(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let len = a.len();
    if len != b.len() {
        return false;
    }
    let word =
        |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap_or_default());
    let half =
        |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().unwrap_or_default());
    match len {
        17.. => a == b,
        8.. => word(a, 0) == word(b, 0) && word(a, len - 8) == word(b, len - 8),
        4.. => half(a, 0) == half(b, 0) && half(a, len - 4) == half(b, len - 4),
        // The first, middle and last bytes are all of them.
        1.. => a[0] == b[0] && a[len / 2] == b[len / 2] && a[len - 1] == b[len - 1],
        0 => true,
    }
}

/// A flattening built at run time: field paths and their values, sorted by path when diffed.
#[derive(Debug, Default)]
pub(crate) struct Flat<'a> {
    entries: Vec<(Text, Val<'a>)>,
}

impl<'a> Flat<'a> {
    pub(crate) fn put(&mut self, path: impl Into<Text>, value: impl Into<Val<'a>>) {
        self.entries.push((path.into(), value.into()));
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
    fn sorted(mut self) -> Vec<(Text, Val<'a>)> {
        self.entries.sort_by(|a, b| a.0.cmp(&b.0));
        self.entries.dedup_by(|later, earlier| later.0 == earlier.0);
        self.entries
    }
}

/// A map entry's path under `prefix`: `prefix[key]`, or the bare key at the top.
fn sub_path(prefix: &str, key: &str) -> Text {
    if prefix.is_empty() {
        Text::copy(key)
    } else {
        Text::entry(prefix, key)
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

/// The field diffs of two run-time flattenings, in path order.
pub(crate) fn flat_diffs(old: Flat<'_>, new: Flat<'_>, contextual: bool) -> Vec<FieldDiff> {
    let mut sink = Sink::new(contextual);
    sink.merge(old, new);
    sink.out
}

/// The field diffs of two opaque maps under Nomad's full flattening (a task's `Config`), in
/// path order. Both maps are walked in step, which gives path order unless an array has more
/// than ten elements (`a[10]` prints before `a[2]`), a key extends its previous sibling (`a`,
/// `a b`: `a b` prints before `a[0]`) or the two sides shape a value differently; then both
/// sides are flattened and sorted instead.
pub(crate) fn value_map_diffs(
    old: &BTreeMap<String, Value>,
    new: &BTreeMap<String, Value>,
    contextual: bool,
) -> Vec<FieldDiff> {
    let mut sink = Sink::new(contextual);
    sink.room = leaves(old.values()).max(leaves(new.values()));
    if !sink.walk_map("", Some(old), Some(new)) {
        sink.out.clear();
        let (mut old_flat, mut new_flat) = (Flat::default(), Flat::default());
        old_flat.value_map("", old);
        new_flat.value_map("", new);
        sink.merge(old_flat, new_flat);
    }
    sink.out
}

/// The number of scalars in opaque values: the fields their flattening gives.
fn leaves<'v>(values: impl Iterator<Item = &'v Value>) -> usize {
    values
        .map(|value| match value {
            Value::Object(map) => leaves(map.values()),
            Value::Array(items) => leaves(items.iter()),
            _ => 1,
        })
        .sum()
}

impl Sink {
    /// False when the walk order may differ from the path order (see [`value_map_diffs`]).
    fn walk_map<'v, M>(&mut self, prefix: &str, old: Option<&'v M>, new: Option<&'v M>) -> bool
    where
        &'v M: IntoIterator<Item = (&'v String, &'v Value)>,
    {
        let (mut in_order, mut previous) = (true, None::<&str>);
        merge_maps(old, new, |key, o, n| {
            in_order &= previous.is_none_or(|p| !key.starts_with(p));
            previous = Some(key);
            if in_order {
                in_order = self.walk(sub_path(prefix, key), o, n);
            }
        });
        in_order
    }

    fn walk(&mut self, path: Text, old: Option<&Value>, new: Option<&Value>) -> bool {
        if !self.contextual && old == new {
            return true;
        }
        let container = |v: &Value| v.is_object() || v.is_array();
        match (old, new) {
            (Some(Value::Object(o)), Some(Value::Object(n))) => {
                self.walk_map(&path, Some(o), Some(n))
            }
            (Some(Value::Object(o)), None) => self.walk_map(&path, Some(o), None),
            (None, Some(Value::Object(n))) => self.walk_map(&path, None, Some(n)),
            (Some(Value::Array(o)), Some(Value::Array(n))) => self.walk_list(&path, o, n),
            (Some(Value::Array(o)), None) => self.walk_list(&path, o, &[]),
            (None, Some(Value::Array(n))) => self.walk_list(&path, &[], n),
            (Some(o), Some(n)) if container(o) || container(n) => false,
            _ => {
                self.push(path, old.map(scalar_val), new.map(scalar_val));
                true
            }
        }
    }

    fn walk_list(&mut self, path: &str, old: &[Value], new: &[Value]) -> bool {
        let len = old.len().max(new.len());
        len <= 10 && (0..len).all(|i| self.walk(Text::indexed(path, i), old.get(i), new.get(i)))
    }
}

/// One field's change, or `None` when unchanged and not contextual. "" means absent, so a value
/// going from "" to "x" is Added.
pub(crate) fn field_diff(name: &str, old: &str, new: &str, contextual: bool) -> Option<FieldDiff> {
    let diff_type = change(old == new, old.is_empty(), new.is_empty(), contextual)?;
    Some(FieldDiff {
        diff_type,
        name: Text::copy(name),
        old: Text::copy(old).into(),
        new: Text::copy(new).into(),
        annotations: Annotations::default(),
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

/// A value to keep; "" when absent.
#[inline(always)]
fn value(value: Option<impl Scalar>) -> FieldValue {
    match value {
        Some(value) => value.into_value(),
        None => FieldValue::default(),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    /// Opaque values with the shapes that make the walk order differ from the path order: keys
    /// that extend each other, long lists, a key shaped differently on the two sides.
    fn value() -> impl Strategy<Value = Value> {
        let key = prop::sample::select(vec!["a", "a b", "aB", "a[0]", "b", "b]"]);
        let scalar = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            (0..3_i64).prop_map(Value::from),
            prop::sample::select(vec!["", "x", "y"]).prop_map(Value::from),
        ];
        scalar.prop_recursive(3, 24, 12, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..12).prop_map(Value::Array),
                prop::collection::btree_map(key.clone(), inner, 0..4).prop_map(|m| {
                    Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
                }),
            ]
        })
    }

    fn top(value: Value) -> BTreeMap<String, Value> {
        match value {
            Value::Object(map) => map.into_iter().collect(),
            other => BTreeMap::from([("a".to_owned(), other)]),
        }
    }

    fn sorted_flattenings(
        old: &BTreeMap<String, Value>,
        new: &BTreeMap<String, Value>,
        contextual: bool,
    ) -> Vec<FieldDiff> {
        let (mut old_flat, mut new_flat) = (Flat::default(), Flat::default());
        old_flat.value_map("", old);
        new_flat.value_map("", new);
        flat_diffs(old_flat, new_flat, contextual)
    }

    #[test]
    fn walking_a_nested_config_gives_its_paths_in_order() {
        let old = top(json!({"m": {"k": 1, "l": [true, null]}, "p": ["x"]}));
        let new = top(json!({"m": {"k": 2, "l": [true]}, "p": ["x", "y"]}));
        let diffs = value_map_diffs(&old, &new, false);
        let got: Vec<_> = diffs
            .iter()
            .map(|f| (f.diff_type, &*f.name, f.old.to_string(), f.new.to_string()))
            .collect();
        let expected = [
            (DiffType::Edited, "m[k]", "1", "2"),
            (DiffType::Deleted, "m[l][1]", "nil", ""),
            (DiffType::Added, "p[1]", "", "y"),
        ]
        .map(|(t, name, old, new)| (t, name, old.to_owned(), new.to_owned()));
        assert_eq!(got, expected);
    }

    proptest! {
        #[test]
        fn walking_two_configs_matches_sorting_their_flattenings(
            old in value(),
            new in value(),
            contextual in any::<bool>(),
        ) {
            let (old, new) = (top(old), top(new));
            prop_assert_eq!(
                value_map_diffs(&old, &new, contextual),
                sorted_flattenings(&old, &new, contextual)
            );
        }
    }
}

//! A field's old or new value. Nomad prints every value as a string (Go's `%v`), but a large
//! diff holds tens of thousands of them: integers and booleans are kept as the model holds them
//! and printed only where the diff is serialized or shown, strings are copied once. A value
//! compares, orders, displays and serializes as its printed text, so it reads the same as the
//! string Nomad sends.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::text::Text;

/// A value as Nomad prints it: "" means absent.
#[derive(Clone)]
pub enum FieldValue {
    Text(Text),
    /// Signed integers and durations (nanoseconds), printed in decimal.
    Int(i64),
    Uint(u64),
    /// Printed "true" or "false".
    Bool(bool),
}

/// Two words, so that a field diff (a name and two values) stays one cache line.
const _: () = assert!(std::mem::size_of::<FieldValue>() == 16);

impl FieldValue {
    /// Runs `f` on the printed text (numbers are printed on the stack, inline).
    pub fn with_str<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        match self {
            FieldValue::Text(t) => f(t),
            FieldValue::Int(i) => f(&Text::int(*i)),
            FieldValue::Uint(u) => f(&Text::uint(*u)),
            FieldValue::Bool(b) => f(if *b { "true" } else { "false" }),
        }
    }

    /// True when the printed text is "" (the value is absent).
    pub fn is_empty(&self) -> bool {
        matches!(self, FieldValue::Text(t) if t.is_empty())
    }
}

impl Default for FieldValue {
    fn default() -> Self {
        FieldValue::Text(Text::default())
    }
}

impl From<Text> for FieldValue {
    fn from(text: Text) -> Self {
        FieldValue::Text(text)
    }
}

impl From<String> for FieldValue {
    fn from(s: String) -> Self {
        FieldValue::Text(s.into())
    }
}

impl From<&'static str> for FieldValue {
    fn from(s: &'static str) -> Self {
        FieldValue::Text(s.into())
    }
}

/// Equal when printed the same: `5` as a number equals "5" as a string.
impl PartialEq for FieldValue {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (FieldValue::Text(a), FieldValue::Text(b)) => a == b,
            (FieldValue::Int(a), FieldValue::Int(b)) => a == b,
            (FieldValue::Uint(a), FieldValue::Uint(b)) => a == b,
            (FieldValue::Bool(a), FieldValue::Bool(b)) => a == b,
            _ => self.with_str(|a| other.with_str(|b| a == b)),
        }
    }
}

impl Eq for FieldValue {}

impl PartialEq<str> for FieldValue {
    fn eq(&self, other: &str) -> bool {
        self.with_str(|s| s == other)
    }
}

impl PartialEq<&str> for FieldValue {
    fn eq(&self, other: &&str) -> bool {
        self.with_str(|s| s == *other)
    }
}

impl PartialOrd for FieldValue {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The order of the printed texts (`10` before `9`), as Nomad sorts its strings.
impl Ord for FieldValue {
    fn cmp(&self, other: &Self) -> Ordering {
        self.with_str(|a| other.with_str(|b| a.cmp(b)))
    }
}

impl fmt::Debug for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_str(|s| fmt::Debug::fmt(s, f))
    }
}

impl fmt::Display for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_str(|s| f.write_str(s))
    }
}

impl Serialize for FieldValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.with_str(|s| serializer.serialize_str(s))
    }
}

impl<'de> Deserialize<'de> for FieldValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Text::deserialize(deserializer).map(FieldValue::Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_compare_order_and_serialize_as_printed() {
        let cases = [
            (FieldValue::Int(-5_000_000_000), "-5000000000"),
            (FieldValue::Uint(u64::MAX), "18446744073709551615"),
            (FieldValue::Bool(true), "true"),
            (FieldValue::Bool(false), "false"),
            (FieldValue::from("nil"), "nil"),
            (FieldValue::default(), ""),
        ];
        for (value, printed) in cases {
            assert_eq!(value.to_string(), printed);
            assert_eq!(value, FieldValue::from(printed.to_owned()));
            assert_eq!(value.is_empty(), printed.is_empty());
            assert_eq!(
                serde_json::to_string(&value).unwrap(),
                serde_json::to_string(printed).unwrap()
            );
        }
        assert_eq!(FieldValue::Int(5), FieldValue::Uint(5));
        assert_ne!(FieldValue::Int(5), FieldValue::Int(6));
        assert!(FieldValue::Int(10) < FieldValue::Int(9));
        let nil = FieldValue::from("nil");
        assert!(FieldValue::Bool(false) < nil);
    }
}

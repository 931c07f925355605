//! A record serialized straight into the part of its JSON an expression reads: the top-level
//! fields its selectors start with, each exactly as `serde_json::to_value` writes it. A list
//! filter runs on every record of a table, and most of a record (a job's groups and tasks) is
//! never read, so building the whole JSON tree per record costs far more than evaluating.
//!
//! A record that is not a struct or a map at the top is serialized whole.

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;
use serde::ser::{self, Impossible};
use serde_json::{Map, Value};

use crate::ast::{Expr, Selector};

/// The top-level names `expr` may read from the record. Selectors that start with a name
/// bound by `any`/`all` are included too: a field the record lacks is simply not written.
pub(crate) fn top_level_fields(expr: &Expr) -> BTreeSet<String> {
    let mut fields = BTreeSet::new();
    collect(expr, &mut fields);
    fields
}

fn collect(expr: &Expr, fields: &mut BTreeSet<String>) {
    let mut add = |selector: &Selector| {
        if let Some(first) = selector.parts.first() {
            fields.insert(first.name.clone());
        }
    };
    match expr {
        Expr::And(items) | Expr::Or(items) => items.iter().for_each(|e| collect(e, fields)),
        Expr::Not(inner) => collect(inner, fields),
        Expr::Match(m) => add(&m.selector),
        Expr::Collection(c) => {
            add(&c.selector);
            collect(&c.inner, fields);
        }
    }
}

/// The record's JSON with only `fields` at the top; `null` if it cannot be serialized (as
/// `serde_json::to_value(..).unwrap_or_default()` gives).
pub(crate) fn project<T: Serialize + ?Sized>(record: &T, fields: &BTreeSet<String>) -> Value {
    match record.serialize(Projection { fields }) {
        Ok(value) => value,
        Err(Unprojected::Whole) => serde_json::to_value(record).unwrap_or_default(),
        Err(Unprojected::Json(_)) => Value::Null,
    }
}

struct Projection<'f> {
    fields: &'f BTreeSet<String>,
}

#[derive(Debug)]
enum Unprojected {
    /// Not a struct or a map at the top (or a map key that is not a string).
    Whole,
    Json(serde_json::Error),
}

impl fmt::Display for Unprojected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unprojected::Whole => f.write_str("not a struct or a map"),
            Unprojected::Json(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Unprojected {}

impl ser::Error for Unprojected {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Unprojected::Json(serde_json::Error::custom(msg))
    }
}

fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, Unprojected> {
    serde_json::to_value(value).map_err(Unprojected::Json)
}

/// Everything but a struct or a map is serialized whole by [`project`].
macro_rules! whole {
    ($($method:ident($($arg:ty),*);)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<Value, Unprojected> {
            Err(Unprojected::Whole)
        })*
    };
}

impl<'f> ser::Serializer for Projection<'f> {
    type Ok = Value;
    type Error = Unprojected;
    type SerializeSeq = Impossible<Value, Unprojected>;
    type SerializeTuple = Impossible<Value, Unprojected>;
    type SerializeTupleStruct = Impossible<Value, Unprojected>;
    type SerializeTupleVariant = Impossible<Value, Unprojected>;
    type SerializeMap = ProjectedMap<'f>;
    type SerializeStruct = ProjectedMap<'f>;
    type SerializeStructVariant = Impossible<Value, Unprojected>;

    whole! {
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
        serialize_f32(f32);
        serialize_f64(f64);
        serialize_char(char);
        serialize_str(&str);
        serialize_bytes(&[u8]);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(&'static str);
        serialize_unit_variant(&'static str, u32, &'static str);
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<Value, Unprojected> {
        Err(Unprojected::Whole)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<Value, Unprojected> {
        Err(Unprojected::Whole)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Value, Unprojected> {
        Err(Unprojected::Whole)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Unprojected> {
        Err(Unprojected::Whole)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Unprojected> {
        Err(Unprojected::Whole)
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Unprojected> {
        Err(Unprojected::Whole)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Unprojected> {
        Err(Unprojected::Whole)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<ProjectedMap<'f>, Unprojected> {
        Ok(ProjectedMap::new(self.fields))
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<ProjectedMap<'f>, Unprojected> {
        Ok(ProjectedMap::new(self.fields))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Unprojected> {
        Err(Unprojected::Whole)
    }
}

/// The top-level object, keeping the wanted entries.
struct ProjectedMap<'f> {
    fields: &'f BTreeSet<String>,
    map: Map<String, Value>,
    /// The key of the map entry whose value comes next, if it is kept.
    key: Option<String>,
}

impl<'f> ProjectedMap<'f> {
    fn new(fields: &'f BTreeSet<String>) -> Self {
        ProjectedMap {
            fields,
            map: Map::new(),
            key: None,
        }
    }

    fn put<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Unprojected> {
        if self.fields.contains(key) {
            self.map.insert(key.to_string(), to_value(value)?);
        }
        Ok(())
    }
}

impl ser::SerializeStruct for ProjectedMap<'_> {
    type Ok = Value;
    type Error = Unprojected;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Unprojected> {
        self.put(key, value)
    }

    fn end(self) -> Result<Value, Unprojected> {
        Ok(Value::Object(self.map))
    }
}

impl ser::SerializeMap for ProjectedMap<'_> {
    type Ok = Value;
    type Error = Unprojected;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Unprojected> {
        // serde_json writes non-string keys as strings; such a record is serialized whole.
        let Value::String(key) = to_value(key)? else {
            return Err(Unprojected::Whole);
        };
        self.key = self.fields.contains(&key).then_some(key);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unprojected> {
        if let Some(key) = self.key.take() {
            self.map.insert(key, to_value(value)?);
        }
        Ok(())
    }

    fn end(self) -> Result<Value, Unprojected> {
        Ok(Value::Object(self.map))
    }
}

//! HCL type constraints (`string`, `list(number)`, `object({a = string})`, ...) as written in
//! `variable` blocks and `convert()`, and the conversion of a value to such a type.

use crate::error::{DResult, Diag};
use crate::value::{self, Map, Value};
use hcl_edit::Span;
use hcl_edit::expr::{Expression, ObjectKey};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Type {
    Any,
    String,
    Number,
    Bool,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    /// Attribute types; optional attributes may be absent and become null.
    Object(BTreeMap<String, (Type, bool)>),
    Tuple(Vec<Type>),
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Any => f.write_str("any"),
            Type::String => f.write_str("string"),
            Type::Number => f.write_str("number"),
            Type::Bool => f.write_str("bool"),
            Type::List(t) => write!(f, "list of {t}"),
            Type::Set(t) => write!(f, "set of {t}"),
            Type::Map(t) => write!(f, "map of {t}"),
            Type::Object(_) => f.write_str("object"),
            Type::Tuple(_) => f.write_str("tuple"),
        }
    }
}

impl Type {
    /// The type a variable without a `type` takes from its default: primitives are kept, and
    /// collections accept any collection of the same kind.
    pub fn of(value: &Value) -> Type {
        match value {
            Value::String(_) => Type::String,
            Value::Number(_) => Type::Number,
            Value::Bool(_) => Type::Bool,
            Value::Array(_) => Type::List(Box::new(Type::Any)),
            Value::Object(_) => Type::Map(Box::new(Type::Any)),
            Value::Null => Type::Any,
        }
    }

    /// Reads a type expression.
    pub fn parse(expr: &Expression) -> DResult<Type> {
        let invalid = |detail: &str| Diag::new(expr.span(), "Invalid type specification", detail);
        match expr {
            Expression::Variable(name) => match name.as_str() {
                "any" => Ok(Type::Any),
                "string" => Ok(Type::String),
                "number" => Ok(Type::Number),
                "bool" => Ok(Type::Bool),
                "list" | "set" | "map" | "object" | "tuple" => Err(invalid(&format!(
                    "The {} type constructor requires one argument specifying the element type.",
                    name.as_str()
                ))),
                other => Err(invalid(&format!(
                    "The keyword {other:?} is not a valid type."
                ))),
            },
            Expression::FuncCall(call)
                if call.name.namespace.is_empty() && call.args.len() == 1 =>
            {
                let name = call.name.name.as_str();
                let arg = &call.args.iter().next().unwrap_or(expr);
                match name {
                    "list" => Ok(Type::List(Box::new(Type::parse(arg)?))),
                    "set" => Ok(Type::Set(Box::new(Type::parse(arg)?))),
                    "map" => Ok(Type::Map(Box::new(Type::parse(arg)?))),
                    "tuple" => match arg {
                        Expression::Array(items) => Ok(Type::Tuple(
                            items.iter().map(Type::parse).collect::<DResult<_>>()?,
                        )),
                        _ => Err(invalid(
                            "The tuple type constructor requires a list of types.",
                        )),
                    },
                    "object" => Type::parse_object(arg),
                    _ => Err(invalid(&format!(
                        "Keyword {name:?} is not a valid type constructor."
                    ))),
                }
            }
            _ => Err(invalid(
                "A type specification is either a primitive type keyword (bool, number, string) or a complex type constructor call, like list(string).",
            )),
        }
    }

    fn parse_object(arg: &Expression) -> DResult<Type> {
        let Expression::Object(object) = arg else {
            return Err(Diag::new(
                arg.span(),
                "Invalid type specification",
                "The object type constructor requires an object of attribute types.",
            ));
        };
        let mut attrs = BTreeMap::new();
        for (key, value) in object.iter() {
            let name = match key {
                ObjectKey::Ident(ident) => ident.as_str().to_owned(),
                ObjectKey::Expression(Expression::String(s)) => s.value().clone(),
                ObjectKey::Expression(other) => {
                    return Err(Diag::new(
                        other.span(),
                        "Invalid type specification",
                        "Object type attribute names must be identifiers.",
                    ));
                }
            };
            let expr = value.expr();
            let attr = match expr {
                Expression::FuncCall(call)
                    if call.name.name.as_str() == "optional" && call.args.len() == 1 =>
                {
                    let inner = call.args.iter().next().unwrap_or(expr);
                    (Type::parse(inner)?, true)
                }
                _ => (Type::parse(expr)?, false),
            };
            attrs.insert(name, attr);
        }
        Ok(Type::Object(attrs))
    }

    /// Converts a value to this type, or says why it can't be.
    pub fn convert(&self, value: Value) -> Result<Value, String> {
        if value.is_null() {
            return Ok(value);
        }
        let required = || format!("{self} required");
        match self {
            Type::Any => Ok(value),
            Type::String => value::to_string(&value).map(Value::String),
            Type::Number => value::to_f64(&value).and_then(value::number),
            Type::Bool => value::to_bool(&value).map(Value::Bool),
            Type::List(elem) | Type::Set(elem) => {
                let Value::Array(items) = value else {
                    return Err(required());
                };
                let mut items = items
                    .into_iter()
                    .map(|item| elem.convert(item))
                    .collect::<Result<Vec<_>, _>>()?;
                if matches!(self, Type::Set(_)) {
                    items = set_of(items);
                }
                Ok(Value::Array(items))
            }
            Type::Map(elem) => {
                let Value::Object(entries) = value else {
                    return Err(required());
                };
                let converted = entries
                    .into_iter()
                    .map(|(k, v)| {
                        elem.convert(v)
                            .map(|v| (k.clone(), v))
                            .map_err(|e| format!("element {k:?}: {e}"))
                    })
                    .collect::<Result<Map, _>>()?;
                Ok(Value::Object(converted))
            }
            Type::Object(attrs) => {
                let Value::Object(mut entries) = value else {
                    return Err(required());
                };
                let mut converted = Map::new();
                for (name, (ty, optional)) in attrs {
                    match entries.remove(name) {
                        Some(v) => {
                            let v = ty
                                .convert(v)
                                .map_err(|e| format!("attribute {name:?}: {e}"))?;
                            converted.insert(name.clone(), v);
                        }
                        None if *optional => {
                            converted.insert(name.clone(), Value::Null);
                        }
                        None => return Err(format!("attribute {name:?} is required")),
                    }
                }
                Ok(Value::Object(converted))
            }
            Type::Tuple(types) => match value {
                Value::Array(items) if items.len() == types.len() => items
                    .into_iter()
                    .zip(types)
                    .map(|(item, ty)| ty.convert(item))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::Array),
                _ => Err(format!("tuple with {} elements required", types.len())),
            },
        }
    }
}

/// A set as HCL orders it: duplicates removed, strings and numbers sorted, others in first-seen
/// order.
pub(crate) fn set_of(items: Vec<Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::with_capacity(items.len());
    for item in items {
        if !out.iter().any(|seen| value::equal(seen, &item)) {
            out.push(item);
        }
    }
    if out.iter().all(Value::is_string) {
        out.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    } else if out.iter().all(Value::is_number) {
        out.sort_by(|a, b| {
            a.as_f64()
                .partial_cmp(&b.as_f64())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ty(src: &str) -> Type {
        Type::parse(&hcl_edit::parser::parse_expr(src).unwrap()).unwrap()
    }

    #[test]
    fn converts_to_declared_types() {
        assert_eq!(
            ty("list(number)").convert(json!(["1", 2])),
            Ok(json!([1, 2]))
        );
        assert_eq!(
            ty("set(string)").convert(json!(["b", "a", "b"])),
            Ok(json!(["a", "b"]))
        );
        assert_eq!(
            ty("object({a = string, b = optional(number)})").convert(json!({"a": 1, "c": 2})),
            Ok(json!({"a": "1", "b": null}))
        );
        assert_eq!(
            ty("map(bool)").convert(json!({"x": "true"})),
            Ok(json!({"x": true}))
        );
        assert_eq!(
            ty("list(string)").convert(json!("x")),
            Err("list of string required".to_owned())
        );
        assert_eq!(
            ty("tuple([string, number])").convert(json!([1, "2"])),
            Ok(json!(["1", 2]))
        );
    }

    #[test]
    fn rejects_unknown_type_keywords() {
        let expr = hcl_edit::parser::parse_expr("strng").unwrap();
        assert!(Type::parse(&expr).is_err());
    }
}

//! HCL values as JSON values, and the implicit conversions HCL applies between them (number and
//! bool to string, numeric string to number, ...).
//!
//! HCL's lists, tuples and sets are all JSON arrays here, and maps and objects are JSON objects.
//! Objects iterate in key order, which is the order HCL itself uses for maps and objects.

use serde_json::Number;

pub(crate) type Value = serde_json::Value;
pub(crate) type Map = serde_json::Map<String, Value>;

/// The most data one expression may produce (string bytes, plus a few bytes per element), so
/// that doubling strings or lists through locals cannot exhaust memory.
pub(crate) const MAX_SIZE: usize = 4 << 20;

/// Whether a value holds more than [`MAX_SIZE`] of data; stops counting once it does.
pub(crate) fn too_large(value: &Value) -> bool {
    fn size(value: &Value, budget: &mut usize) -> bool {
        let own = match value {
            Value::String(s) => s.len(),
            _ => 8,
        };
        if own > *budget {
            return false;
        }
        *budget -= own;
        match value {
            Value::Array(items) => items.iter().all(|item| size(item, budget)),
            Value::Object(entries) => entries.iter().all(|(k, v)| {
                *budget = budget.saturating_sub(k.len());
                size(v, budget)
            }),
            _ => true,
        }
    }
    let mut budget = MAX_SIZE;
    !size(value, &mut budget)
}

/// The name of a value's type, as error messages spell it.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

/// A number value; integral values become integers so they print and serialize without a
/// fraction. Infinities and NaN have no JSON form and are rejected.
pub(crate) fn number(f: f64) -> Result<Value, String> {
    // 2^63 as f64: integral values below it in magnitude convert to i64 exactly.
    const I64_BOUND: f64 = 9_223_372_036_854_775_808.0;
    if !f.is_finite() {
        return Err("the result is not a finite number".to_owned());
    }
    if f.fract() == 0.0 && f.abs() < I64_BOUND {
        return Ok(Value::from(f as i64));
    }
    Number::from_f64(f)
        .map(Value::Number)
        .ok_or_else(|| "the result is not a finite number".to_owned())
}

pub(crate) fn format_number(n: &Number) -> String {
    match n.as_i64() {
        Some(i) => i.to_string(),
        None => match n.as_u64() {
            Some(u) => u.to_string(),
            None => n.as_f64().unwrap_or_default().to_string(),
        },
    }
}

/// The value as a string, converting numbers and bools the way HCL does.
pub(crate) fn to_string(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(format_number(n)),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err("string required".to_owned()),
    }
}

/// The value as a number; numeric strings convert.
pub(crate) fn to_f64(value: &Value) -> Result<f64, String> {
    match value {
        Value::Number(n) => Ok(n.as_f64().unwrap_or_default()),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .ok_or_else(|| format!("a number is required, not the string {s:?}")),
        _ => Err("a number is required".to_owned()),
    }
}

/// The value as a whole number.
pub(crate) fn to_i64(value: &Value) -> Result<i64, String> {
    if let Value::Number(n) = value
        && let Some(i) = n.as_i64()
    {
        return Ok(i);
    }
    let f = to_f64(value)?;
    if f.fract() != 0.0 || f.abs() > 9.0e18 {
        return Err("a whole number is required".to_owned());
    }
    Ok(f as i64)
}

/// The value as a bool; the strings "true" and "false" convert.
pub(crate) fn to_bool(value: &Value) -> Result<bool, String> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s == "true" => Ok(true),
        Value::String(s) if s == "false" => Ok(false),
        _ => Err("bool required".to_owned()),
    }
}

/// HCL equality: like JSON equality, except that numbers compare by value (1 == 1.0).
pub(crate) fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| equal(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((kx, vx), (ky, vy))| kx == ky && equal(vx, vy))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integral_results_are_integers() {
        assert_eq!(number(4.0), Ok(json!(4)));
        assert_eq!(number(2.5), Ok(json!(2.5)));
        assert!(number(f64::INFINITY).is_err());
    }

    #[test]
    fn conversions_follow_hcl() {
        assert_eq!(to_string(&json!(1.5)), Ok("1.5".to_owned()));
        assert_eq!(to_string(&json!(true)), Ok("true".to_owned()));
        assert_eq!(to_f64(&json!("12")), Ok(12.0));
        assert!(to_f64(&json!("x")).is_err());
        assert_eq!(to_bool(&json!("false")), Ok(false));
        assert!(to_bool(&json!(1)).is_err());
        assert!(equal(&json!([1, {"a": 2}]), &json!([1.0, {"a": 2.0}])));
        assert!(!equal(&json!(1), &json!("1")));
    }
}

//! Numeric functions: abs, ceil, floor, log, max, min, parseint, pow, signum.

use super::{Result, fixed, integer, number, string};
use crate::value::{self, Value};

pub(super) fn call(name: &str, args: Vec<Value>) -> Result<Value> {
    match name {
        "abs" => unary(args, f64::abs),
        "ceil" => unary(args, f64::ceil),
        "floor" => unary(args, f64::floor),
        "signum" => unary(args, |f| if f == 0.0 { 0.0 } else { f.signum() }),
        "log" => {
            let [n, base] = fixed(args)?;
            value::number(number(&n)?.ln() / number(&base)?.ln())
        }
        "pow" => {
            let [n, power] = fixed(args)?;
            value::number(number(&n)?.powf(number(&power)?))
        }
        "max" | "min" => {
            let numbers = args.iter().map(number).collect::<Result<Vec<_>>>()?;
            let pick = if name == "max" { f64::max } else { f64::min };
            let result = numbers
                .into_iter()
                .reduce(pick)
                .ok_or("at least one argument is required")?;
            value::number(result)
        }
        _ => parse_int(args),
    }
}

fn unary(args: Vec<Value>, f: impl Fn(f64) -> f64) -> Result<Value> {
    let [n] = fixed(args)?;
    value::number(f(number(&n)?))
}

/// `parseint(string, base)`: digits 0-9, then a-z, then A-Z (bases up to 62), with an optional
/// sign.
fn parse_int(args: Vec<Value>) -> Result<Value> {
    let [text, base] = fixed(args)?;
    let (text, base) = (string(&text)?, integer(&base)?);
    if !(2..=62).contains(&base) {
        return Err("base must be between 2 and 62".to_owned());
    }
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(&text)),
    };
    let invalid = || format!("cannot parse {text:?} as a base {base} integer");
    if digits.is_empty() {
        return Err(invalid());
    }
    let mut result: i64 = 0;
    for c in digits.chars() {
        let digit = match c {
            '0'..='9' => c as i64 - '0' as i64,
            'a'..='z' => c as i64 - 'a' as i64 + 10,
            'A'..='Z' if base > 36 => c as i64 - 'A' as i64 + 36,
            'A'..='Z' => c as i64 - 'A' as i64 + 10,
            _ => return Err(invalid()),
        };
        if digit >= base {
            return Err(invalid());
        }
        result = result
            .checked_mul(base)
            .and_then(|r| r.checked_add(digit))
            .ok_or_else(invalid)?;
    }
    Ok(Value::from(if negative { -result } else { result }))
}

//! `format`'s printf-style verbs, with Go's spelling of the results: `%v %#v %t %s %q %d %b %o
//! %x %X %e %E %f %g %G %%`, the flags `+ - # 0` and space, widths, precisions and explicit
//! argument indexes (`%[2]s`).

use super::Result;
use super::encoding::json_encode;
use crate::value::{self, Value};

#[derive(Debug, Default)]
struct Spec {
    plus: bool,
    minus: bool,
    sharp: bool,
    zero: bool,
    space: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

pub(super) fn format(template: &str, args: &[Value]) -> Result<String> {
    let mut out = String::new();
    let mut chars = template.chars().peekable();
    let mut next_arg = 0;
    let mut used = 0;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push('%');
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&flag) = chars.peek() {
            match flag {
                '+' => spec.plus = true,
                '-' => spec.minus = true,
                '#' => spec.sharp = true,
                '0' => spec.zero = true,
                ' ' => spec.space = true,
                _ => break,
            }
            chars.next();
        }
        if chars.peek() == Some(&'[') {
            chars.next();
            let index = digits(&mut chars).ok_or("invalid argument index")?;
            if chars.next() != Some(']') || index == 0 {
                return Err("invalid argument index".to_owned());
            }
            next_arg = index - 1;
        }
        spec.width = digits(&mut chars);
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.precision = Some(digits(&mut chars).unwrap_or(0));
        }
        let verb = chars
            .next()
            .ok_or("format string ends in the middle of a verb")?;
        let arg = args.get(next_arg).ok_or_else(|| {
            format!(
                "not enough arguments for \"%{verb}\": need index {} but have {} total",
                next_arg + 1,
                args.len()
            )
        })?;
        next_arg += 1;
        used = used.max(next_arg);
        let text = verb_text(verb, &spec, arg)
            .map_err(|e| format!("unsupported value for \"%{verb}\" at {}: {e}", next_arg - 1))?;
        pad(&mut out, &text, &spec, verb);
    }
    if used < args.len() {
        return Err(format!(
            "too many arguments; only {used} used by format string"
        ));
    }
    Ok(out)
}

fn digits(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<usize> {
    let mut number: Option<usize> = None;
    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
        chars.next();
        number = Some(
            number
                .unwrap_or(0)
                .saturating_mul(10)
                .saturating_add(d as usize),
        );
    }
    number.map(|n| n.min(1024))
}

fn verb_text(verb: char, spec: &Spec, arg: &Value) -> Result<String> {
    match verb {
        'v' if spec.sharp => Ok(json_encode(arg)),
        'v' => match arg {
            Value::Array(_) | Value::Object(_) => Ok(json_encode(arg)),
            Value::Null => Ok("null".to_owned()),
            Value::Number(n) => Ok(signed(value::format_number(n), spec)),
            other => value::to_string(other),
        },
        't' => value::to_bool(arg).map(|b| b.to_string()),
        's' => {
            let text = value::to_string(arg)?;
            Ok(match spec.precision {
                Some(p) => text.chars().take(p).collect(),
                None => text,
            })
        }
        'q' => value::to_string(arg).map(|s| format!("{s:?}")),
        'd' | 'b' | 'o' | 'x' | 'X' => {
            let f = value::to_f64(arg)?;
            if f.fract() != 0.0 || f.abs() >= 9.2e18 {
                return Err("number must be an integer".to_owned());
            }
            let n = f as i64;
            let magnitude = n.unsigned_abs();
            let digits = match verb {
                'd' => magnitude.to_string(),
                'b' => format!("{magnitude:b}"),
                'o' => format!("{}{magnitude:o}", if spec.sharp { "0" } else { "" }),
                'x' => format!("{}{magnitude:x}", if spec.sharp { "0x" } else { "" }),
                _ => format!("{}{magnitude:X}", if spec.sharp { "0X" } else { "" }),
            };
            Ok(signed(
                if n < 0 { format!("-{digits}") } else { digits },
                spec,
            ))
        }
        'e' | 'E' | 'f' | 'g' | 'G' => {
            let f = value::to_f64(arg)?;
            let text = match verb {
                'f' => format!("{:.*}", spec.precision.unwrap_or(6), f),
                'e' | 'E' => exponent(f, spec.precision.unwrap_or(6)),
                _ => general(f, spec.precision),
            };
            let text = if verb.is_uppercase() {
                text.to_uppercase()
            } else {
                text
            };
            Ok(signed(text, spec))
        }
        other => Err(format!("unrecognized format verb '{other}'")),
    }
}

/// Adds the `+` or space sign flag to a non-negative number.
fn signed(text: String, spec: &Spec) -> String {
    if text.starts_with('-') {
        text
    } else if spec.plus {
        format!("+{text}")
    } else if spec.space {
        format!(" {text}")
    } else {
        text
    }
}

/// Go's `%e`: one digit, a fraction of `precision` digits, and a signed exponent of at least two
/// digits.
fn exponent(f: f64, precision: usize) -> String {
    let rust = format!("{f:.precision$e}");
    let (mantissa, exp) = rust.split_once('e').unwrap_or((&rust, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    format!(
        "{mantissa}e{}{:02}",
        if exp < 0 { '-' } else { '+' },
        exp.abs()
    )
}

/// Go's `%g`: the shortest representation, in exponent form for large and small magnitudes.
fn general(f: f64, precision: Option<usize>) -> String {
    let shortest = match precision {
        Some(p) => format!("{:.*e}", p.saturating_sub(1), f),
        None => format!("{f:e}"),
    };
    let (mantissa, exp) = shortest.split_once('e').unwrap_or((&shortest, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let limit = precision.map_or(6, |p| p.max(1) as i32);
    if exp < -4 || exp >= limit {
        let mantissa = trim_fraction(mantissa);
        format!(
            "{mantissa}e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.abs()
        )
    } else {
        let digits = mantissa.replace(['.', '-'], "");
        let decimals = (digits.len() as i32 - 1 - exp).max(0) as usize;
        trim_fraction(&format!("{f:.decimals$}")).to_owned()
    }
}

fn trim_fraction(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

fn pad(out: &mut String, text: &str, spec: &Spec, verb: char) {
    let len = text.chars().count();
    let fill = spec.width.unwrap_or(0).saturating_sub(len);
    if spec.minus {
        out.push_str(text);
        out.extend(std::iter::repeat_n(' ', fill));
    } else if spec.zero && "dbboxXeEfgG".contains(verb) {
        // Zeros go between the sign and the digits.
        let (sign, digits) = match text.chars().next() {
            Some(c @ ('-' | '+' | ' ')) => (c.to_string(), &text[1..]),
            _ => (String::new(), text),
        };
        out.push_str(&sign);
        out.extend(std::iter::repeat_n('0', fill));
        out.push_str(digits);
    } else {
        out.extend(std::iter::repeat_n(' ', fill));
        out.push_str(text);
    }
}

#[cfg(test)]
mod tests {
    use super::format;
    use serde_json::json;

    #[test]
    fn float_verbs_read_like_go() {
        let cases = [
            ("%e", json!(1500), "1.500000e+03"),
            ("%.2E", json!(0.000123), "1.23E-04"),
            ("%g", json!(1_000_000), "1e+06"),
            ("%g", json!(123_456), "123456"),
            ("%g", json!(1e21), "1e+21"),
            ("%g", json!(0.00001), "1e-05"),
            ("%g", json!(3.25), "3.25"),
            ("%+d", json!(5), "+5"),
            ("%05d", json!(-42), "-0042"),
            ("%#x", json!(255), "0xff"),
            ("%8.3f|", json!(1.23456), "   1.235|"),
            ("%v", json!({"a": 1}), "{\"a\":1}"),
        ];
        for (template, arg, expected) in cases {
            assert_eq!(
                format(template, &[arg]).as_deref(),
                Ok(expected),
                "{template}"
            );
        }
    }

    #[test]
    fn argument_counts_are_checked() {
        assert!(
            format("%s %s", &[json!("a")])
                .unwrap_err()
                .contains("need index 2")
        );
        assert!(
            format("%s", &[json!("a"), json!("b")])
                .unwrap_err()
                .contains("too many")
        );
    }
}

//! Go's `strconv` rules, which go-bexpr uses to read a literal as the kind of the selected field
//! (`ParseBool`, `ParseInt`/`ParseUint` with base 0, `ParseFloat`) and to read and write quoted
//! strings. Reproducing them keeps `Priority == 0x32` or `Count == 1_0` meaning what they mean in
//! Nomad.

use std::fmt::Write as _;

/// Why a literal could not be read as a number or a boolean (`strconv.ErrSyntax`, `ErrRange`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumError {
    Syntax,
    Range,
}

impl NumError {
    pub(crate) fn text(self) -> &'static str {
        match self {
            NumError::Syntax => "invalid syntax",
            NumError::Range => "value out of range",
        }
    }
}

/// `strconv.ParseBool`.
pub(crate) fn parse_bool(s: &str) -> Result<bool, NumError> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(NumError::Syntax),
    }
}

fn lower(b: u8) -> u8 {
    b | 0x20
}

/// `strconv.ParseUint(s, 0, 64)`: a `0b`, `0o`, `0x` or leading-`0` prefix picks the base and
/// underscores may separate digits.
pub(crate) fn parse_uint(s: &str) -> Result<u64, NumError> {
    let b = s.as_bytes();
    if b.is_empty() {
        return Err(NumError::Syntax);
    }
    let (base, digits): (u64, &[u8]) = if b[0] == b'0' {
        match b.get(1).map(|&c| lower(c)) {
            Some(b'b') if b.len() >= 3 => (2, &b[2..]),
            Some(b'o') if b.len() >= 3 => (8, &b[2..]),
            Some(b'x') if b.len() >= 3 => (16, &b[2..]),
            _ => (8, &b[1..]),
        }
    } else {
        (10, b)
    };
    let mut n: u64 = 0;
    let mut underscores = false;
    for &c in digits {
        let d = match c {
            b'_' => {
                underscores = true;
                continue;
            }
            b'0'..=b'9' => c - b'0',
            _ if lower(c).is_ascii_lowercase() => lower(c) - b'a' + 10,
            _ => return Err(NumError::Syntax),
        };
        if u64::from(d) >= base {
            return Err(NumError::Syntax);
        }
        n = n
            .checked_mul(base)
            .and_then(|n| n.checked_add(u64::from(d)))
            .ok_or(NumError::Range)?;
    }
    if underscores && !underscore_ok(s) {
        return Err(NumError::Syntax);
    }
    Ok(n)
}

/// `strconv.ParseInt(s, 0, 64)`.
pub(crate) fn parse_int(s: &str) -> Result<i64, NumError> {
    let (negative, magnitude) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let n = parse_uint(magnitude)?;
    let limit = 1u64 << 63;
    if n > limit || (n == limit && !negative) {
        return Err(NumError::Range);
    }
    // n <= 2^63 here; the cast wraps 2^63 to i64::MIN, which negation keeps.
    let n = n as i64;
    Ok(if negative { n.wrapping_neg() } else { n })
}

/// `strconv.ParseFloat(s, 64)`: decimal or hexadecimal (`0x1p-2`) floats, `inf`, `infinity`,
/// `nan`, underscores between digits.
pub(crate) fn parse_float(s: &str) -> Result<f64, NumError> {
    if let Some(f) = special_float(s) {
        return Ok(f);
    }
    let b = s.as_bytes();
    let mut i = 0;
    let negative = match b.first() {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let hex = b.len() >= i + 2 && b[i] == b'0' && lower(b[i + 1]) == b'x';
    if hex {
        i += 2;
    }
    let mantissa_start = i;
    let (mut digits, mut dot, mut underscores) = (false, false, false);
    while i < b.len() {
        match b[i] {
            b'_' => underscores = true,
            b'.' if dot => break,
            b'.' => dot = true,
            b'0'..=b'9' => digits = true,
            c if hex && (b'a'..=b'f').contains(&lower(c)) => digits = true,
            _ => break,
        }
        i += 1;
    }
    if !digits {
        return Err(NumError::Syntax);
    }
    let mantissa_end = i;
    let mut exponent: i32 = 0;
    let exponent_mark = if hex { b'p' } else { b'e' };
    if i < b.len() && lower(b[i]) == exponent_mark {
        i += 1;
        let mut sign = 1;
        match b.get(i) {
            Some(b'+') => i += 1,
            Some(b'-') => {
                sign = -1;
                i += 1;
            }
            _ => {}
        }
        if !b.get(i).is_some_and(u8::is_ascii_digit) {
            return Err(NumError::Syntax);
        }
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            if b[i] == b'_' {
                underscores = true;
            } else if exponent < 10_000 {
                exponent = exponent * 10 + i32::from(b[i] - b'0');
            }
            i += 1;
        }
        exponent *= sign;
    } else if hex {
        return Err(NumError::Syntax);
    }
    if i != b.len() || (underscores && !underscore_ok(s)) {
        return Err(NumError::Syntax);
    }
    let value = if hex {
        hex_float(&b[mantissa_start..mantissa_end], exponent)
    } else {
        let cleaned: String = s.chars().filter(|&c| c != '_').collect();
        cleaned.parse::<f64>().map_err(|_| NumError::Syntax)?
    };
    if value.is_infinite() {
        return Err(NumError::Range);
    }
    Ok(if negative && hex { -value } else { value })
}

/// Go's `special`: `inf`/`infinity` with an optional sign and a bare `nan`, in any case.
fn special_float(s: &str) -> Option<f64> {
    let (sign, rest) = match s.as_bytes().first() {
        Some(b'-') => (-1.0, &s[1..]),
        Some(b'+') => (1.0, &s[1..]),
        _ => (1.0, s),
    };
    if rest.eq_ignore_ascii_case("inf") || rest.eq_ignore_ascii_case("infinity") {
        return Some(sign * f64::INFINITY);
    }
    s.eq_ignore_ascii_case("nan").then_some(f64::NAN)
}

/// The value of a hexadecimal mantissa (digits, `_` and at most one `.`) times 2^exponent.
fn hex_float(mantissa: &[u8], exponent: i32) -> f64 {
    let mut value: u64 = 0;
    let mut scale = exponent;
    let mut after_dot = false;
    for &c in mantissa {
        let d = match c {
            b'.' => {
                after_dot = true;
                continue;
            }
            b'_' => continue,
            b'0'..=b'9' => c - b'0',
            _ => lower(c) - b'a' + 10,
        };
        if value >> 60 == 0 {
            value = value * 16 + u64::from(d);
            if after_dot {
                scale -= 4;
            }
        } else if !after_dot {
            // Digits past 64 bits of precision only scale the value.
            scale += 4;
        }
    }
    value as f64 * 2f64.powi(scale)
}

/// Go's `underscoreOK`: underscores may only sit between digits, or after a base prefix.
fn underscore_ok(s: &str) -> bool {
    let mut b = s.as_bytes();
    if let Some(b'+' | b'-') = b.first() {
        b = &b[1..];
    }
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if b.len() >= 2 && b[0] == b'0' && matches!(lower(b[1]), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = lower(b[1]) == b'x';
    }
    while i < b.len() {
        let c = b[i];
        i += 1;
        if c.is_ascii_digit() || (hex && (b'a'..=b'f').contains(&lower(c))) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else if saw == b'_' {
            return false;
        } else {
            saw = b'!';
        }
    }
    saw != b'_'
}

/// Go's `strconv.Quote` (printable characters kept, the rest escaped), as go-bexpr's `%q`.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x80 && c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `strconv.Unquote` of one complete string literal: a backquoted raw string (carriage returns
/// dropped) or a double-quoted string with Go escapes. An escape that spells bytes which are not
/// UTF-8 (`"\xff"`) is rejected, since the value must be a Rust string.
pub(crate) fn unquote(literal: &str) -> Option<String> {
    let body = literal.get(1..literal.len().checked_sub(1)?)?;
    if literal.starts_with('`') {
        return Some(body.chars().filter(|&c| c != '\r').collect());
    }
    let mut out: Vec<u8> = Vec::with_capacity(body.len());
    let mut rest = body.as_bytes();
    while let Some((&c, tail)) = rest.split_first() {
        rest = tail;
        match c {
            b'\n' => return None,
            b'\\' => {
                let (&e, tail) = rest.split_first()?;
                rest = tail;
                match e {
                    b'a' => out.push(7),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'v' => out.push(11),
                    b'\\' => out.push(b'\\'),
                    b'"' => out.push(b'"'),
                    b'x' => out.push(u8::try_from(take_digits(&mut rest, 2, 16)?).ok()?),
                    b'u' | b'U' => {
                        let width = if e == b'u' { 4 } else { 8 };
                        let c = char::from_u32(take_digits(&mut rest, width, 16)?)?;
                        out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                    }
                    b'0'..=b'7' => {
                        let high = u32::from(e - b'0');
                        let low = take_digits(&mut rest, 2, 8)?;
                        out.push(u8::try_from(high * 64 + low).ok()?);
                    }
                    _ => return None,
                }
            }
            _ => out.push(c),
        }
    }
    String::from_utf8(out).ok()
}

/// Reads exactly `count` digits in `radix` from the front of `rest`.
fn take_digits(rest: &mut &[u8], count: usize, radix: u32) -> Option<u32> {
    let digits = rest.get(..count)?;
    *rest = &rest[count..];
    digits.iter().try_fold(0u32, |acc, &d| {
        char::from(d).to_digit(radix).map(|v| acc * radix + v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_follow_go_base_prefixes() {
        let cases: &[(&str, Result<i64, NumError>)] = &[
            ("50", Ok(50)),
            ("-50", Ok(-50)),
            ("+7", Ok(7)),
            ("0x32", Ok(50)),
            ("0o17", Ok(15)),
            ("017", Ok(15)),
            ("0b101", Ok(5)),
            ("1_000", Ok(1000)),
            ("0x_1f", Ok(31)),
            ("1__0", Err(NumError::Syntax)),
            ("_1", Err(NumError::Syntax)),
            ("08", Err(NumError::Syntax)),
            ("0x", Err(NumError::Syntax)),
            ("", Err(NumError::Syntax)),
            ("-", Err(NumError::Syntax)),
            ("1.5", Err(NumError::Syntax)),
            ("9223372036854775807", Ok(i64::MAX)),
            ("-9223372036854775808", Ok(i64::MIN)),
            ("9223372036854775808", Err(NumError::Range)),
            ("99999999999999999999x", Err(NumError::Range)),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_int(input), *expected, "{input}");
        }
        assert_eq!(parse_uint("18446744073709551615"), Ok(u64::MAX));
        assert_eq!(parse_uint("-1"), Err(NumError::Syntax));
    }

    #[test]
    fn floats_follow_go_syntax() {
        let cases: &[(&str, Result<f64, NumError>)] = &[
            ("1.5", Ok(1.5)),
            ("-2", Ok(-2.0)),
            ("1.", Ok(1.0)),
            (".5", Ok(0.5)),
            ("1e3", Ok(1000.0)),
            ("1_0.5", Ok(10.5)),
            ("0x1p-2", Ok(0.25)),
            ("-0x1.8p1", Ok(-3.0)),
            ("Inf", Ok(f64::INFINITY)),
            ("-infinity", Ok(f64::NEG_INFINITY)),
            ("0x10", Err(NumError::Syntax)),
            ("1e", Err(NumError::Syntax)),
            ("infin", Err(NumError::Syntax)),
            ("+nan", Err(NumError::Syntax)),
            ("abc", Err(NumError::Syntax)),
            ("1e400", Err(NumError::Range)),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_float(input), *expected, "{input}");
        }
        assert!(parse_float("NaN").is_ok_and(f64::is_nan));
    }

    #[test]
    fn unquote_reads_go_escapes() {
        let cases: &[(&str, Option<&str>)] = &[
            (r#""plain""#, Some("plain")),
            (r#""tab\there""#, Some("tab\there")),
            (r#""\x41\101\u00e9\U0001F600""#, Some("AAé😀")),
            (r#""\xc3\xa9""#, Some("é")),
            ("`raw\\n\r`", Some("raw\\n")),
            (r#""\q""#, None),
            (r#""\'""#, None),
            (r#""\xff""#, None),
            (r#""\ud800""#, None),
            (r#""\400""#, None),
            ("\"line\nbreak\"", None),
        ];
        for (input, expected) in cases {
            assert_eq!(unquote(input).as_deref(), *expected, "{input}");
        }
    }

    #[test]
    fn quote_escapes_like_go() {
        assert_eq!(quote("a\"b\\c\n\u{1}é"), r#""a\"b\\c\n\x01é""#);
    }
}

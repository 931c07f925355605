//! Go's text formats that reach users through Nomad's messages: `time.Duration` strings
//! (`10m0s`), `%q` quoting, `%v` of string slices, and go-multierror's list format.

use crate::Nanos;

/// `time.Duration.String()`: `0s`, `1.5s`, `10m0s`, `1h0m0s`, `500ms`, `1µs`, `-5s`.
pub fn duration(nanos: Nanos) -> String {
    if nanos == 0 {
        return "0s".to_string();
    }
    let sign = if nanos < 0 { "-" } else { "" };
    let n = nanos.unsigned_abs();
    let text = if n < 1_000 {
        format!("{n}ns")
    } else if n < 1_000_000 {
        format!("{}µs", decimal(n, 1_000))
    } else if n < 1_000_000_000 {
        format!("{}ms", decimal(n, 1_000_000))
    } else {
        let hours = n / 3_600_000_000_000;
        let minutes = n / 60_000_000_000 % 60;
        let seconds = decimal(n % 60_000_000_000, 1_000_000_000);
        if hours > 0 {
            format!("{hours}h{minutes}m{seconds}s")
        } else if minutes > 0 {
            format!("{minutes}m{seconds}s")
        } else {
            format!("{seconds}s")
        }
    };
    format!("{sign}{text}")
}

/// `value / unit` with the fraction's trailing zeros dropped, as Go prints durations.
fn decimal(value: u64, unit: u64) -> String {
    let (whole, fraction) = (value / unit, value % unit);
    if fraction == 0 {
        return whole.to_string();
    }
    let width = unit.ilog10() as usize;
    let digits = format!("{fraction:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// Go's `%q` of a string.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `%v` of a `[]string`: `[a b c]`.
pub fn list(items: &[String]) -> String {
    format!("[{}]", items.join(" "))
}

/// go-multierror's default text: `1 error occurred:\n\t* a\n\n` or
/// `2 errors occurred:\n\t* a\n\t* b\n\n`.
pub fn multierror(errors: &[String]) -> String {
    let points: Vec<String> = errors.iter().map(|e| format!("* {e}")).collect();
    let noun = if errors.len() == 1 { "error" } else { "errors" };
    format!(
        "{} {noun} occurred:\n\t{}\n\n",
        errors.len(),
        points.join("\n\t")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HOUR, MINUTE, SECOND};

    #[test]
    fn durations_print_like_go() {
        let cases = [
            (0, "0s"),
            (1, "1ns"),
            (1_500, "1.5µs"),
            (500_000_000, "500ms"),
            (5 * SECOND, "5s"),
            (1_500_000_000, "1.5s"),
            (10 * MINUTE, "10m0s"),
            (HOUR, "1h0m0s"),
            (24 * HOUR + 30 * SECOND, "24h0m30s"),
            (-5 * SECOND, "-5s"),
        ];
        for (nanos, expected) in cases {
            assert_eq!(duration(nanos), expected, "{nanos}");
        }
    }

    #[test]
    fn quotes_like_go() {
        assert_eq!(quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(quote("nul\0"), r#""nul\x00""#);
        assert_eq!(quote("héllo"), "\"héllo\"");
    }

    #[test]
    fn multierror_lists_like_go() {
        assert_eq!(multierror(&["a".into()]), "1 error occurred:\n\t* a\n\n");
        assert_eq!(
            multierror(&["a".into(), "b".into()]),
            "2 errors occurred:\n\t* a\n\t* b\n\n"
        );
    }
}

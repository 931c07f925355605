//! Go's duration syntax (`time.ParseDuration`): `300ms`, `1.5h`, `2h45m`, `-1m`. Nomad's `?wait`
//! query parameter and the agent's time flags take it, so the same strings work here.

use std::time::Duration;

/// Parses a Go duration into signed nanoseconds; `None` when Go would answer with an error.
pub fn parse_nanos(text: &str) -> Option<i64> {
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(digits);
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let scale: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() && fraction.is_empty() {
            return None;
        }
        let whole: u128 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        let mut value = whole.checked_mul(scale)?;
        let mut place = scale;
        for digit in fraction.bytes() {
            place /= 10;
            value += u128::from(digit - b'0') * place;
        }
        total = total.checked_add(value)?;
        rest = after;
    }
    let total = i64::try_from(total).ok()?;
    Some(if negative { -total } else { total })
}

/// A non-negative Go duration, for flags.
pub fn parse(text: &str) -> Result<Duration, String> {
    match parse_nanos(text) {
        Some(nanos) if nanos >= 0 => Ok(Duration::from_nanos(nanos as u64)),
        _ => Err(format!(
            "invalid duration {text:?} (examples: 500ms, 10s, 1m30s)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_nanos;

    fn check(input: &str, expected: Option<i64>) {
        assert_eq!(parse_nanos(input), expected, "{input:?}");
    }

    #[test]
    fn go_durations() {
        check("0", Some(0));
        check("-0", Some(0));
        check("300ms", Some(300_000_000));
        check("1.5h", Some(5_400_000_000_000));
        check("2h45m", Some(9_900_000_000_000));
        check("-1m", Some(-60_000_000_000));
        check("1us", Some(1_000));
        check(".5s", Some(500_000_000));
        check("5", None);
        check("", None);
        check("s", None);
        check(".s", None);
        check("5x", None);
        check("3000000h", None);
    }
}

//! Go duration strings ("30s", "1h30m", "1.5h", "-2m", "250ms"), as jobspec durations are
//! written, to nanoseconds. Same grammar and units as Go's `time.ParseDuration`: no days, no
//! spaces.

pub(crate) fn parse(input: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {input:?}");
    let (negative, mut rest) = match input.as_bytes().first() {
        Some(b'-') => (true, &input[1..]),
        Some(b'+') => (false, &input[1..]),
        _ => (false, input),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let whole_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (whole, after) = rest.split_at(whole_len);
        let (fraction, after) = match after.strip_prefix('.') {
            Some(after) => {
                let len = after.bytes().take_while(u8::is_ascii_digit).count();
                after.split_at(len)
            }
            None => ("", after),
        };
        if whole.is_empty() && fraction.is_empty() {
            return Err(invalid());
        }
        let unit_len = after
            .char_indices()
            .find(|(_, c)| *c == '.' || c.is_ascii_digit())
            .map_or(after.len(), |(i, _)| i);
        let (unit, after) = after.split_at(unit_len);
        let scale: u128 = match unit {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => return Err(format!("time: missing unit in duration {input:?}")),
            other => {
                return Err(format!(
                    "time: unknown unit {other:?} in duration {input:?}"
                ));
            }
        };
        let whole: u128 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| invalid())?
        };
        let mut part = whole.checked_mul(scale).ok_or_else(invalid)?;
        // Fractional digits beyond nanosecond precision are dropped, as Go does.
        let mut unit_scale = scale;
        for digit in fraction.bytes() {
            unit_scale /= 10;
            part += u128::from(digit - b'0') * unit_scale;
        }
        total = total.checked_add(part).ok_or_else(invalid)?;
        rest = after;
    }
    let limit = if negative {
        i64::MIN.unsigned_abs() as u128
    } else {
        i64::MAX as u128
    };
    if total > limit {
        return Err(invalid());
    }
    let magnitude = total as i128;
    Ok((if negative { -magnitude } else { magnitude }) as i64)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn parses_go_durations() {
        let cases = [
            ("0", 0),
            ("30s", 30_000_000_000),
            ("1h30m", 5_400_000_000_000),
            ("1.5h", 5_400_000_000_000),
            ("-2m", -120_000_000_000),
            ("250ms", 250_000_000),
            ("1us", 1_000),
            ("1µs", 1_000),
            (".5s", 500_000_000),
            ("1.000000001s", 1_000_000_001),
        ];
        for (input, nanos) in cases {
            assert_eq!(parse(input), Ok(nanos), "{input}");
        }
    }

    #[test]
    fn rejects_what_go_rejects() {
        assert_eq!(
            parse("1d"),
            Err(r#"time: unknown unit "d" in duration "1d""#.to_owned())
        );
        assert_eq!(
            parse("10"),
            Err(r#"time: missing unit in duration "10""#.to_owned())
        );
        assert_eq!(parse(""), Err(r#"time: invalid duration """#.to_owned()));
        assert_eq!(
            parse("1 s"),
            Err(r#"time: unknown unit " s" in duration "1 s""#.to_owned())
        );
        assert!(parse("9999999999h").is_err());
        assert!(parse(".s").is_err());
    }
}

//! Nomad's CLI output helpers: aligned `key = value` blocks and tables (its `columnize`
//! settings), times in RFC 3339 local time, relative times ("5m2s ago") and short IDs.

use chrono::{DateTime, Local, SecondsFormat};
use drover_core::model::gotext;

/// IDs are shown cut to this length unless `-verbose` asks for all of them.
pub const SHORT_ID: usize = 8;
pub const FULL_ID: usize = 36;

/// How much of each ID a command shows.
pub fn id_length(verbose: bool) -> usize {
    if verbose { FULL_ID } else { SHORT_ID }
}

/// `key|value` rows as aligned `key = value` lines; empty values read `<none>`.
pub fn kv(rows: &[String]) -> String {
    columnize(rows, " = ", Some("<none>"))
}

/// `a|b|c` rows as an aligned table; empty cells read `<none>` (so columns stay awk-able).
pub fn list(rows: &[String]) -> String {
    columnize(rows, "  ", Some("<none>"))
}

/// Aligns the `|`-separated cells of every row; the last cell of a row is not padded.
fn columnize(rows: &[String], glue: &str, empty: Option<&str>) -> String {
    let cells: Vec<Vec<&str>> = rows
        .iter()
        .map(|row| {
            row.split('|')
                .map(|cell| match (cell.trim(), empty) {
                    ("", Some(empty)) => empty,
                    (cell, _) => cell,
                })
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = Vec::new();
    for row in &cells {
        for (i, cell) in row.iter().enumerate() {
            let width = cell.chars().count();
            match widths.get_mut(i) {
                Some(max) => *max = (*max).max(width),
                None => widths.push(width),
            }
        }
    }
    let lines: Vec<String> = cells
        .iter()
        .map(|row| {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                if i + 1 == row.len() {
                    line.push_str(cell);
                } else {
                    let pad = widths[i] - cell.chars().count();
                    line.push_str(cell);
                    line.push_str(&" ".repeat(pad));
                    line.push_str(glue);
                }
            }
            line
        })
        .collect();
    lines.join("\n")
}

/// At most `length` characters of an ID.
pub fn limit(id: &str, length: usize) -> &str {
    match id.char_indices().nth(length) {
        Some((end, _)) => &id[..end],
        None => id,
    }
}

/// Unix nanoseconds as Nomad prints times (`2006-01-02T15:04:05Z07:00`, local time); empty for
/// the zero time and the epoch.
pub fn time(unix_nanos: i64) -> String {
    if unix_nanos < 1_000_000_000 {
        return String::new();
    }
    DateTime::from_timestamp_nanos(unix_nanos)
        .with_timezone(&Local)
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The time now, as [`time`] prints it.
pub fn now() -> String {
    time(now_nanos())
}

pub fn now_nanos() -> i64 {
    Local::now().timestamp_nanos_opt().unwrap_or_default()
}

/// Go's duration text of `to - from`, both cut to whole seconds first (Nomad's
/// `formatTimeDifference(first, second, time.Second)`).
pub fn difference(from: i64, to: i64) -> String {
    let second = 1_000_000_000;
    gotext::duration(to.div_euclid(second) * second - from.div_euclid(second) * second)
}

/// Nomad's `prettyTimeDiff`: the distance between two times in its two largest units
/// (`1h2m`, `3d4h`, `5mo2d`), rounded to seconds, with "ago" or "from now".
pub fn time_diff(then: i64, now: i64) -> String {
    if then == 0 {
        return String::new();
    }
    let round = |nanos: i64| (nanos + 500_000_000).div_euclid(1_000_000_000);
    let (then, now) = (round(then), round(now));
    let (seconds, suffix) = if now >= then {
        (now - then, "ago")
    } else {
        (then - now, "from now")
    };
    let mut rest = seconds as u64;
    let mut units = Vec::new();
    for (unit, size) in [("s", 60), ("m", 60), ("h", 24), ("d", 30), ("mo", 12)] {
        units.push((rest % size, unit));
        rest /= size;
    }
    units.push((rest, "y"));
    let parts: Vec<String> = units
        .iter()
        .rev()
        .filter(|(count, _)| *count > 0)
        .take(2)
        .map(|(count, unit)| format!("{count}{unit}"))
        .collect();
    if parts.is_empty() {
        format!("0s {suffix}")
    } else {
        format!("{} {suffix}", parts.concat())
    }
}

/// A JSON value as Nomad's CLI prints it: indented with four spaces.
pub fn json(value: &impl serde::Serialize) -> String {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    match value.serialize(&mut serializer) {
        Ok(()) => String::from_utf8_lossy(&out).into_owned(),
        Err(e) => format!("<{e}>"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_values_align_on_the_equals_sign() {
        let rows = [
            "ID|web".to_string(),
            "Submit Date|".to_string(),
            "Type|service".to_string(),
        ];
        assert_eq!(
            kv(&rows),
            "ID          = web\nSubmit Date = <none>\nType        = service"
        );
    }

    #[test]
    fn tables_pad_every_column_but_the_last() {
        let rows = [
            "ID|Type|Status".to_string(),
            "example|service|running".to_string(),
            "b||dead".to_string(),
        ];
        assert_eq!(
            list(&rows),
            "ID       Type     Status\nexample  service  running\nb        <none>   dead"
        );
    }

    #[test]
    fn relative_times() {
        let s = 1_000_000_000;
        let now = 1_700_000_000 * s;
        let check = |then: i64, expected: &str| assert_eq!(time_diff(then, now), expected);
        check(now, "0s ago");
        check(now - 5 * s, "5s ago");
        check(now - 3_725 * s, "1h2m ago");
        check(now - (86_400 * 33 + 7_200) * s, "1mo3d ago");
        check(now + 90 * s, "1m30s from now");
        check(0, "");
    }

    #[test]
    fn ids_are_cut() {
        assert_eq!(limit("0123456789abcdef", SHORT_ID), "01234567");
        assert_eq!(limit("abc", SHORT_ID), "abc");
    }
}

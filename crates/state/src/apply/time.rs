//! Go `time.Time` values as the model carries them: RFC 3339 strings with trimmed nanoseconds
//! (`time.RFC3339Nano`), where the empty string and Go's zero time both mean "unset".

use chrono::{DateTime, SecondsFormat, Utc};
use drover_model::Nanos;

/// Go's zero `time.Time` as JSON shows it.
const GO_ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// Unix nanoseconds of an RFC 3339 time; `None` when unset or unreadable.
pub(super) fn parse(rfc3339: &str) -> Option<i64> {
    if rfc3339.is_empty() || rfc3339 == GO_ZERO_TIME {
        return None;
    }
    DateTime::parse_from_rfc3339(rfc3339)
        .ok()?
        .timestamp_nanos_opt()
}

/// An RFC 3339 time in UTC with trailing zero nanoseconds trimmed, as Go writes it.
pub(super) fn format(unix_nanos: i64) -> String {
    let full = DateTime::<Utc>::from_timestamp_nanos(unix_nanos)
        .to_rfc3339_opts(SecondsFormat::Nanos, true);
    // `full` ends in ".nnnnnnnnnZ"; Go drops trailing zeros, and the dot with them.
    let (seconds, fraction) = full.split_at(full.len() - 11);
    let digits = fraction[1..10].trim_end_matches('0');
    if digits.is_empty() {
        format!("{seconds}Z")
    } else {
        format!("{seconds}.{digits}Z")
    }
}

/// `unix_nanos + duration`, formatted.
pub(super) fn after(unix_nanos: i64, duration: Nanos) -> String {
    format(unix_nanos.saturating_add(duration))
}

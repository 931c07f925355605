//! Go's `time.Time` as Nomad's JSON carries it: RFC 3339 in UTC with trailing zero nanoseconds
//! trimmed (`time.RFC3339Nano`), and Go's zero time for "not set". drover keeps such instants
//! as unix nanoseconds where it computes with them.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serializer};

/// Go's zero `time.Time` as JSON shows it.
pub const GO_ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// An instant as Go writes it: `2026-11-26T23:42:07.5Z`.
pub fn format_rfc3339(unix_nanos: i64) -> String {
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

/// Unix nanoseconds of an RFC 3339 instant; `None` when it is empty, Go's zero time, malformed,
/// or out of the range of unix nanoseconds.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    if text.is_empty() || text == GO_ZERO_TIME {
        return None;
    }
    DateTime::parse_from_rfc3339(text)
        .ok()?
        .timestamp_nanos_opt()
}

/// Serde for a `time.Time` field kept as unix nanoseconds, 0 meaning "not set": written as RFC
/// 3339 (Go's zero time for 0); read from RFC 3339, or from an integer as older logs wrote it.
pub mod unix_nanos {
    use super::*;

    pub fn serialize<S: Serializer>(unix_nanos: &i64, serializer: S) -> Result<S::Ok, S::Error> {
        match *unix_nanos {
            0 => serializer.serialize_str(GO_ZERO_TIME),
            n => serializer.serialize_str(&format_rfc3339(n)),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Text(String),
            Nanos(i64),
        }
        match Written::deserialize(deserializer)? {
            Written::Nanos(n) => Ok(n),
            Written::Text(text) if text.is_empty() || text == GO_ZERO_TIME => Ok(0),
            Written::Text(text) => parse_rfc3339(&text)
                .ok_or_else(|| serde::de::Error::custom(format!("invalid RFC 3339 time {text:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_as_go_does() {
        for (nanos, text) in [
            (0, "1970-01-01T00:00:00Z"),
            (1_795_736_774_500_000_000, "2026-11-26T23:46:14.5Z"),
            (1_795_736_774_000_000_001, "2026-11-26T23:46:14.000000001Z"),
        ] {
            assert_eq!(format_rfc3339(nanos), text);
            assert_eq!(parse_rfc3339(text), Some(nanos));
        }
    }

    #[test]
    fn reads_what_go_writes() {
        assert_eq!(
            parse_rfc3339("2017-05-25T23:41:23.240184101Z"),
            Some(1_495_755_683_240_184_101)
        );
        assert_eq!(
            parse_rfc3339("2017-05-26T01:41:23.5+02:00"),
            Some(1_495_755_683_500_000_000)
        );
        for nanos in [1, 951_782_400_000_000_000, 4_102_444_799_999_999_999, -1] {
            assert_eq!(parse_rfc3339(&format_rfc3339(nanos)), Some(nanos));
        }
    }

    #[test]
    fn unset_and_malformed_times_read_as_none() {
        for text in ["", GO_ZERO_TIME, "yesterday", "2026-13-01T00:00:00Z"] {
            assert_eq!(parse_rfc3339(text), None, "{text}");
        }
        assert_eq!(
            parse_rfc3339("2026-11-26T23:46:14+01:00"),
            parse_rfc3339("2026-11-26T22:46:14Z")
        );
    }
}

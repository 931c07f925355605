//! Timestamp functions over RFC 3339 strings: formatdate and timeadd. Neither reads a clock.

use super::{Result, fixed, string};
use crate::duration;
use crate::value::Value;
use chrono::{DateTime, Datelike, FixedOffset, SecondsFormat, TimeDelta, Timelike};

pub(super) fn call(name: &str, args: Vec<Value>) -> Result<Value> {
    let [first, second] = fixed(args)?;
    let (first, second) = (string(&first)?, string(&second)?);
    if name == "timeadd" {
        let time = parse(&first)?;
        let nanos = duration::parse(&second)?;
        let later = time
            .checked_add_signed(TimeDelta::nanoseconds(nanos))
            .ok_or("the result is out of range")?;
        return Ok(Value::String(
            later.to_rfc3339_opts(SecondsFormat::Secs, true),
        ));
    }
    format_date(&first, &parse(&second)?).map(Value::String)
}

fn parse(text: &str) -> Result<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(text).map_err(|e| format!("not a valid RFC3339 timestamp: {e}"))
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// `formatdate`'s mnemonics: runs of one letter (`YYYY`, `MM`, `hh`, `ZZZZZ`, ...) are fields,
/// text in single quotes is literal (`''` is a quote), and anything else is copied.
fn format_date(format: &str, time: &DateTime<FixedOffset>) -> Result<String> {
    let mut out = String::new();
    let chars: Vec<char> = format.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            if chars.get(i + 1) == Some(&'\'') {
                out.push('\'');
                i += 2;
                continue;
            }
            i += 1;
            loop {
                match (chars.get(i), chars.get(i + 1)) {
                    (Some('\''), Some('\'')) => {
                        out.push('\'');
                        i += 2;
                    }
                    (Some('\''), _) => {
                        i += 1;
                        break;
                    }
                    (Some(&other), _) => {
                        out.push(other);
                        i += 1;
                    }
                    (None, _) => return Err("unterminated literal '".to_owned()),
                }
            }
            continue;
        }
        if !c.is_ascii_alphabetic() {
            out.push(c);
            i += 1;
            continue;
        }
        let run = chars[i..].iter().take_while(|&&d| d == c).count();
        let field: String = chars[i..i + run].iter().collect();
        i += run;
        out.push_str(
            &date_field(c, run, time)
                .ok_or_else(|| format!("invalid date format verb {field:?}"))?,
        );
    }
    Ok(out)
}

fn date_field(verb: char, len: usize, time: &DateTime<FixedOffset>) -> Option<String> {
    let hour12 = match time.hour() % 12 {
        0 => 12,
        h => h,
    };
    let offset = time.offset().local_minus_utc();
    let (sign, offset) = (if offset < 0 { '-' } else { '+' }, offset.abs());
    let (offset_h, offset_m) = (offset / 3600, offset % 3600 / 60);
    Some(match (verb, len) {
        ('Y', 2) => format!("{:02}", time.year() % 100),
        ('Y', 4) => format!("{:04}", time.year()),
        ('M', 1) => time.month().to_string(),
        ('M', 2) => format!("{:02}", time.month()),
        ('M', 3) => MONTHS[time.month0() as usize][..3].to_owned(),
        ('M', 4) => MONTHS[time.month0() as usize].to_owned(),
        ('D', 1) => time.day().to_string(),
        ('D', 2) => format!("{:02}", time.day()),
        ('E', 3) => WEEKDAYS[time.weekday().num_days_from_monday() as usize][..3].to_owned(),
        ('E', 4) => WEEKDAYS[time.weekday().num_days_from_monday() as usize].to_owned(),
        ('h', 1) => time.hour().to_string(),
        ('h', 2) => format!("{:02}", time.hour()),
        ('H', 1) => hour12.to_string(),
        ('H', 2) => format!("{hour12:02}"),
        ('A', 2) => (if time.hour() < 12 { "AM" } else { "PM" }).to_owned(),
        ('a', 2) => (if time.hour() < 12 { "am" } else { "pm" }).to_owned(),
        ('m', 1) => time.minute().to_string(),
        ('m', 2) => format!("{:02}", time.minute()),
        ('s', 1) => time.second().to_string(),
        ('s', 2) => format!("{:02}", time.second()),
        ('Z', 1) if offset == 0 => "Z".to_owned(),
        ('Z', 3) if offset == 0 => "UTC".to_owned(),
        ('Z', 1 | 5) => format!("{sign}{offset_h:02}:{offset_m:02}"),
        ('Z', 3 | 4) => format!("{sign}{offset_h:02}{offset_m:02}"),
        _ => return None,
    })
}

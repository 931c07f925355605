//! Cron specs as Nomad reads them: the grammar, the error texts and the next-time rules of
//! `hashicorp/cronexpr`, the library behind `periodic { cron = ... }`.
//!
//! Fields, by count (more than 7 are ignored, fewer than 5 are an error):
//!
//! | fields | meaning                                                |
//! |--------|--------------------------------------------------------|
//! | 5      | minute hour day-of-month month day-of-week             |
//! | 6      | minute hour day-of-month month day-of-week **year**    |
//! | 7      | second minute hour day-of-month month day-of-week year |
//!
//! Without a seconds field the second is 0; without a year field every year from 1970 to 2099
//! matches. `@yearly`/`@annually`, `@monthly`, `@weekly`, `@daily` and `@hourly` stand for
//! 7-field specs; nothing else starting with `@` is known (not `@midnight`, not `@reboot`).
//! Each field is a comma list of `*` or `?`, `v`, `a-b`, `*/n`, `v/n` and `a-b/n`; month and
//! weekday names (`jan`, `january`, `mon`, `monday`) in any case; weekday 7 is Sunday. The
//! day of month also takes `L` (last day), `LW` (last weekday) and `vW` (the weekday nearest
//! day v, within the month); the day of week takes `vL` (last such weekday of the month) and
//! `v#k` (its k-th, 1..5). When both day fields are restricted a day matches either (Vixie).
//!
//! Time zones: a spec matches wall-clock time in a zone. A wall time that a daylight-saving
//! gap skips never happens, so it does not run; one that a fall-back repeats happens twice,
//! so it runs twice. That is cronexpr's behavior too (see `docs/compat.md` for the few cases
//! where cronexpr's own arithmetic strays from it, and for the quirks chosen away from).

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike};
/// The IANA time zone a periodic block names (see [`time_zone`]).
pub use chrono_tz::Tz;

/// Why a spec is not a cron spec: cronexpr's text, which Nomad wraps as
/// `Invalid cron spec "<spec>": <text>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CronError(String);

/// A parsed cron spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronSpec {
    seconds: Values,
    minutes: Values,
    hours: Values,
    months: Values,
    /// Offsets from 1970.
    years: Values,
    /// `None` when the field is `*` or `?`.
    days_of_month: Option<DaysOfMonth>,
    days_of_week: Option<DaysOfWeek>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct DaysOfMonth {
    days: Values,
    last: bool,
    last_weekday: bool,
    /// `vW`: the weekday nearest to each of these days.
    nearest_weekday: Values,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct DaysOfWeek {
    /// 0 = Sunday.
    days: Values,
    /// `v#k`: `(k - 1) * 7 + v`.
    nth: Values,
    /// `vL`.
    last: Values,
}

/// The years cronexpr knows.
const MIN_YEAR: i32 = 1970;
const MAX_YEAR: i32 = 2099;

const NANOS_PER_SECOND: i64 = 1_000_000_000;
const SECONDS_PER_DAY: i64 = 86_400;

const MACROS: [(&str, &str); 6] = [
    ("@yearly", "0 0 0 1 1 * *"),
    ("@annually", "0 0 0 1 1 * *"),
    ("@monthly", "0 0 0 1 * * *"),
    ("@weekly", "0 0 0 * * 0 *"),
    ("@daily", "0 0 0 * * * *"),
    ("@hourly", "0 0 * * * * *"),
];

const MONTH_NAMES: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const MONTH_FULL_NAMES: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const WEEKDAY_NAMES: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const WEEKDAY_FULL_NAMES: [&str; 7] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];

/// One field's name (as errors say it), bounds and accepted values.
struct Field {
    name: &'static str,
    min: u32,
    /// The top of `*` and of `v/n`, and the largest step.
    max: u32,
    /// The largest value written (7 for Sunday in the day of week).
    max_value: u32,
    /// Years are written with four digits, the rest with one or two.
    digits: usize,
    /// Subtracted from a value before it is stored (years are kept as offsets from 1970).
    offset: u32,
    names: &'static [&'static str],
    full_names: &'static [&'static str],
    /// What the first name stands for.
    first_name: u32,
}

const SECOND: Field = Field::numeric("second", 0, 59);
const MINUTE: Field = Field::numeric("minute", 0, 59);
const HOUR: Field = Field::numeric("hour", 0, 23);
const DAY_OF_MONTH: Field = Field::numeric("day-of-month", 1, 31);
const MONTH: Field = Field {
    names: &MONTH_NAMES,
    full_names: &MONTH_FULL_NAMES,
    first_name: 1,
    ..Field::numeric("month", 1, 12)
};
const DAY_OF_WEEK: Field = Field {
    max_value: 7,
    names: &WEEKDAY_NAMES,
    full_names: &WEEKDAY_FULL_NAMES,
    ..Field::numeric("day-of-week", 0, 6)
};
const YEAR: Field = Field {
    digits: 4,
    offset: MIN_YEAR as u32,
    ..Field::numeric("year", MIN_YEAR as u32, MAX_YEAR as u32)
};

impl Field {
    const fn numeric(name: &'static str, min: u32, max: u32) -> Self {
        Self {
            name,
            min,
            max,
            max_value: max,
            digits: 2,
            offset: 0,
            names: &[],
            full_names: &[],
            first_name: 0,
        }
    }

    /// A single value: digits (at most two, or exactly four for years) or a name.
    fn value(&self, text: &str) -> Option<u32> {
        let named = |names: &[&str]| names.iter().position(|n| *n == text);
        if let Some(index) = named(self.names).or_else(|| named(self.full_names)) {
            return Some(self.first_name + index as u32);
        }
        let digits_ok = if self.digits == 4 {
            text.len() == 4
        } else {
            (1..=2).contains(&text.len())
        };
        if !digits_ok || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let value: u32 = text.parse().ok()?;
        (self.min..=self.max_value)
            .contains(&value)
            .then_some(value)
    }

    fn syntax_error(&self, entry: &str) -> CronError {
        CronError(format!("syntax error in {} field: '{entry}'", self.name))
    }
}

/// One comma-separated entry of a field.
enum Entry {
    /// `*` or `?`.
    All,
    /// `first..=last` by `step`: a value, a range, or either with an interval.
    Span { first: u32, last: u32, step: u32 },
    /// Nothing generic (lowercased): the day fields' letters, or a syntax error.
    Other(String),
}

/// An interval as cronexpr reads it: only the numbers it has tokens for (0-59 with at most
/// one leading zero, and the years) count; any other is 0, which is invalid.
fn interval(text: &str) -> u32 {
    let value: u32 = text.parse().unwrap_or(0);
    match text.len() {
        1 | 2 if value <= 59 => value,
        4 if (MIN_YEAR as u32..=MAX_YEAR as u32).contains(&value) => value,
        _ => 0,
    }
}

fn parse_entry(field: &Field, raw: &str) -> Result<Entry, CronError> {
    let entry = raw.to_ascii_lowercase();
    let entry = entry.as_str();
    if entry == "*" || entry == "?" {
        return Ok(Entry::All);
    }
    let range = |text: &str| {
        let (first, last) = text.split_once('-')?;
        Some((field.value(first)?, field.value(last)?))
    };
    if let Some(value) = field.value(entry) {
        return Ok(Entry::Span {
            first: value,
            last: value,
            step: 1,
        });
    }
    if let Some((first, last)) = range(entry) {
        return Ok(Entry::Span {
            first,
            last,
            step: 1,
        });
    }
    let Some((base, step)) = entry
        .split_once('/')
        .filter(|(_, step)| !step.is_empty() && step.bytes().all(|b| b.is_ascii_digit()))
    else {
        return Ok(Entry::Other(entry.to_string()));
    };
    let bounds = if base == "*" {
        Some((field.min, field.max))
    } else if let Some(value) = field.value(base) {
        Some((value, field.max))
    } else {
        range(base)
    };
    let Some((first, last)) = bounds else {
        return Ok(Entry::Other(entry.to_string()));
    };
    let step = interval(step);
    if step < 1 || step > field.max {
        return Err(CronError(format!("invalid interval {entry}")));
    }
    Ok(Entry::Span { first, last, step })
}

/// The entries of one field, each with its text as written, for error messages. Every interval
/// is checked before any entry is interpreted, as cronexpr does.
fn parse_field<'a>(field: &Field, text: &'a str) -> Result<Vec<(Entry, &'a str)>, CronError> {
    let entries: Vec<&str> = text.split(',').filter(|e| !e.is_empty()).collect();
    if entries.is_empty() {
        return Err(CronError(format!(
            "{} field: missing directive",
            field.name
        )));
    }
    entries
        .into_iter()
        .map(|raw| Ok((parse_entry(field, raw)?, raw)))
        .collect()
}

/// Seconds, minutes, hours, months and years: a `*` anywhere in the list stands for the
/// whole field, and cronexpr stops reading the list there.
fn parse_plain(field: &Field, text: &str) -> Result<Values, CronError> {
    let offset = field.offset;
    let mut values = Values::default();
    for (entry, raw) in parse_field(field, text)? {
        match entry {
            Entry::All => return Ok(Values::span(field.min - offset, field.max - offset, 1)),
            Entry::Span { first, last, step } => {
                values.extend(Values::span(first - offset, last - offset, step));
            }
            Entry::Other(_) => return Err(field.syntax_error(raw)),
        }
    }
    Ok(values)
}

fn parse_days_of_month(text: &str) -> Result<Option<DaysOfMonth>, CronError> {
    let field = &DAY_OF_MONTH;
    let mut restricted = true;
    let mut set = DaysOfMonth::default();
    for (entry, raw) in parse_field(field, text)? {
        match entry {
            Entry::All => restricted = false,
            Entry::Span { first, last, step } => set.days.extend(Values::span(first, last, step)),
            Entry::Other(lower) => {
                if lower == "l" {
                    set.last = true;
                } else if lower == "lw" {
                    set.last_weekday = true;
                } else if let Some(day) = lower.strip_suffix('w').and_then(|d| field.value(d)) {
                    set.nearest_weekday.insert(day);
                } else {
                    return Err(field.syntax_error(raw));
                }
            }
        }
    }
    Ok(restricted.then_some(set))
}

fn parse_days_of_week(text: &str) -> Result<Option<DaysOfWeek>, CronError> {
    let field = &DAY_OF_WEEK;
    let mut restricted = true;
    let mut set = DaysOfWeek::default();
    for (entry, raw) in parse_field(field, text)? {
        match entry {
            Entry::All => restricted = false,
            Entry::Span { first, last, step } => {
                // 0 and 7 are both Sunday: a range may start on 7 or end on 0 (`mon-sun`).
                let first = if first == 7 && last < 7 { 0 } else { first };
                let last = if last == 0 && first > 0 { 7 } else { last };
                for day in (first..=last).step_by(step as usize) {
                    set.days.insert(day % 7);
                }
            }
            Entry::Other(lower) => {
                if let Some(day) = lower.strip_suffix('l').and_then(|d| field.value(d)) {
                    set.last.insert(day % 7);
                } else if let Some((day, week)) = lower.split_once('#').and_then(|(d, k)| {
                    let week = match k.as_bytes() {
                        [k @ b'1'..=b'5'] => u32::from(k - b'1'),
                        _ => return None,
                    };
                    Some((field.value(d)?, week))
                }) {
                    set.nth.insert(week * 7 + day % 7);
                } else {
                    return Err(field.syntax_error(raw));
                }
            }
        }
    }
    Ok(restricted.then_some(set))
}

/// Replaces each `@macro` where it appears, as cronexpr does before it splits fields.
fn expand_macros(spec: &str) -> String {
    let mut out = String::with_capacity(spec.len());
    let mut rest = spec;
    while !rest.is_empty() {
        if let Some((name, expansion)) = MACROS.iter().find(|(name, _)| rest.starts_with(name)) {
            out.push_str(expansion);
            rest = &rest[name.len()..];
        } else {
            let c = rest.chars().next().unwrap_or_default();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

impl CronSpec {
    /// Parses a spec as cronexpr does; the error is its text.
    pub fn parse(spec: &str) -> Result<Self, CronError> {
        let expanded = expand_macros(spec);
        // Go's `\S+`: fields are separated by ASCII space, tab, newline, form feed and return.
        let mut fields: Vec<&str> = expanded
            .split([' ', '\t', '\n', '\r', '\x0c'])
            .filter(|f| !f.is_empty())
            .take(7)
            .collect();
        if fields.len() < 5 {
            return Err(CronError("missing field(s)".to_string()));
        }
        // Shorter specs get second 0 first, then every year last.
        if fields.len() < 7 {
            fields.insert(0, "0");
        }
        if fields.len() < 7 {
            fields.push("*");
        }
        Ok(Self {
            seconds: parse_plain(&SECOND, fields[0])?,
            minutes: parse_plain(&MINUTE, fields[1])?,
            hours: parse_plain(&HOUR, fields[2])?,
            days_of_month: parse_days_of_month(fields[3])?,
            months: parse_plain(&MONTH, fields[4])?,
            days_of_week: parse_days_of_week(fields[5])?,
            years: parse_plain(&YEAR, fields[6])?,
        })
    }

    /// The first time strictly after the second holding `after` (unix nanoseconds) whose
    /// wall-clock reading in `zone` matches, in unix nanoseconds; `None` when no such time
    /// comes before the end of 2099.
    pub fn next_after(&self, zone: &Tz, after: i64) -> Option<i64> {
        if self.seconds.is_empty() || self.minutes.is_empty() || self.hours.is_empty() {
            return None;
        }
        let mut t = after.div_euclid(NANOS_PER_SECOND) + 1;
        // Every pass moves `t` forward, and the year check ends the search.
        loop {
            let local = wall_clock(zone, t)?;
            let date = local.date();
            if date.year() > MAX_YEAR {
                return None;
            }
            if !self.matches_day(date) {
                let day = self.next_day(date)?;
                t = (t + 1).max(first_instant_at(zone, day));
                continue;
            }
            // Until the zone's offset changes, wall-clock time runs in step with real time:
            // the next matching wall time is the answer if no change comes before it.
            let now = local.num_seconds_from_midnight();
            let offset = offset_at(zone, t);
            match self.next_second_of_day(now) {
                Some(second) => {
                    let candidate = t + i64::from(second - now);
                    if offset_at(zone, candidate) == offset {
                        return Some(candidate * NANOS_PER_SECOND);
                    }
                }
                None => {
                    let tomorrow = first_instant_at(zone, date.succ_opt()?);
                    if offset_at(zone, tomorrow - 1) == offset {
                        t = (t + 1).max(tomorrow);
                        continue;
                    }
                }
            }
            // The offset changes later today: walk real time a minute at a time until past it.
            let (second, minute, hour) = (local.second(), local.minute(), local.hour());
            t += if self.hours.contains(hour) && self.minutes.contains(minute) {
                match self.seconds.next(second) {
                    Some(next) if next == second => return Some(t * NANOS_PER_SECOND),
                    Some(next) => i64::from(next - second),
                    None => i64::from(60 - second),
                }
            } else {
                i64::from(60 - second)
            };
        }
    }

    /// The first matching second of the day at or after `now` (seconds since midnight).
    fn next_second_of_day(&self, now: u32) -> Option<u32> {
        let (hour, minute, second) = (now / 3600, now / 60 % 60, now % 60);
        let at = |h: u32, m: u32, s: u32| h * 3600 + m * 60 + s;
        let first_second = self.seconds.next(0)?;
        let first_minute = self.minutes.next(0)?;
        if self.hours.contains(hour) {
            if self.minutes.contains(minute)
                && let Some(s) = self.seconds.next(second)
            {
                return Some(at(hour, minute, s));
            }
            if let Some(m) = self.minutes.next(minute + 1) {
                return Some(at(hour, m, first_second));
            }
        }
        let h = self.hours.next(hour + 1)?;
        Some(at(h, first_minute, first_second))
    }

    fn matches_day(&self, date: NaiveDate) -> bool {
        self.has_year(date.year())
            && self.months.contains(date.month())
            && self.days_of(date.year(), date.month()).contains(date.day())
    }

    /// The first matching day after `date`.
    fn next_day(&self, date: NaiveDate) -> Option<NaiveDate> {
        let mut day = date.succ_opt()?;
        loop {
            let (year, month) = (day.year(), day.month());
            if year > MAX_YEAR {
                return None;
            }
            if !self.has_year(year) {
                let next = (year.max(MIN_YEAR - 1) + 1 - MIN_YEAR) as u32;
                let next = MIN_YEAR + self.years.next(next)? as i32;
                day = NaiveDate::from_ymd_opt(next, 1, 1)?;
                continue;
            }
            if self.months.contains(month)
                && let Some(d) = self.days_of(year, month).next(day.day())
            {
                return NaiveDate::from_ymd_opt(year, month, d);
            }
            day = match self.months.next(month + 1) {
                Some(next) => NaiveDate::from_ymd_opt(year, next, 1)?,
                None => NaiveDate::from_ymd_opt(year + 1, 1, 1)?,
            };
        }
    }

    fn has_year(&self, year: i32) -> bool {
        (MIN_YEAR..=MAX_YEAR).contains(&year) && self.years.contains((year - MIN_YEAR) as u32)
    }

    /// The matching days of a month.
    fn days_of(&self, year: i32, month: u32) -> Values {
        let Some(first) = NaiveDate::from_ymd_opt(year, month, 1) else {
            return Values::default();
        };
        let last = days_in_month(first);
        if self.days_of_month.is_none() && self.days_of_week.is_none() {
            return Values::span(1, last, 1);
        }
        let first_weekday = first.weekday().num_days_from_sunday();
        let weekday = |day: u32| (first_weekday + day - 1) % 7;
        // The weekday nearest to a day, without leaving the month.
        let nearest = |day: u32| match weekday(day) {
            6 if day > 1 => day - 1,
            6 => day + 2,
            0 if day < last => day + 1,
            0 => day - 2,
            _ => day,
        };
        let mut days = Values::default();
        if let Some(dom) = &self.days_of_month {
            if dom.last {
                days.insert(last);
            }
            if dom.last_weekday {
                days.insert(nearest(last));
            }
            for day in 1..=last {
                if dom.days.contains(day) {
                    days.insert(day);
                }
                if dom.nearest_weekday.contains(day) {
                    days.insert(nearest(day));
                }
            }
        }
        if let Some(dow) = &self.days_of_week {
            for day in 1..=last {
                let wd = weekday(day);
                let week = (day - 1) / 7;
                if dow.days.contains(wd)
                    || dow.nth.contains(week * 7 + wd)
                    || (dow.last.contains(wd) && day + 7 > last)
                {
                    days.insert(day);
                }
            }
        }
        days
    }
}

/// A set of small numbers: a field's values (years as offsets from 1970).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Values([u64; 3]);

impl Values {
    /// `first..=last` by `step`; a backwards range is empty, as in cronexpr.
    fn span(first: u32, last: u32, step: u32) -> Self {
        let mut values = Self::default();
        for v in (first..=last).step_by(step as usize) {
            values.insert(v);
        }
        values
    }

    fn insert(&mut self, value: u32) {
        self.0[value as usize / 64] |= 1 << (value % 64);
    }

    fn extend(&mut self, other: Self) {
        for (word, more) in self.0.iter_mut().zip(other.0) {
            *word |= more;
        }
    }

    fn contains(&self, value: u32) -> bool {
        self.0
            .get(value as usize / 64)
            .is_some_and(|word| word >> (value % 64) & 1 == 1)
    }

    fn is_empty(&self) -> bool {
        self.0 == [0; 3]
    }

    /// The smallest member at or above `from`.
    fn next(&self, from: u32) -> Option<u32> {
        let start = from as usize / 64;
        self.0
            .iter()
            .enumerate()
            .skip(start)
            .find_map(|(index, word)| {
                let word = if index == start {
                    word >> (from % 64) << (from % 64)
                } else {
                    *word
                };
                (word != 0).then(|| index as u32 * 64 + word.trailing_zeros())
            })
    }
}

fn days_in_month(first: NaiveDate) -> u32 {
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(NaiveDate::MAX);
    (next - first).num_days() as u32
}

fn wall_clock(zone: &Tz, t: i64) -> Option<NaiveDateTime> {
    Some(
        DateTime::from_timestamp(t, 0)?
            .with_timezone(zone)
            .naive_local(),
    )
}

/// The zone's offset from UTC at `t` (unix seconds), in seconds.
fn offset_at(zone: &Tz, t: i64) -> i32 {
    DateTime::from_timestamp(t, 0)
        .map(|utc| utc.with_timezone(zone).offset().fix().local_minus_utc())
        .unwrap_or(0)
}

/// The first instant (unix seconds) whose wall clock reads `day` 00:00 or later: the earlier
/// of two midnights, or the end of a daylight-saving gap that swallows midnight.
fn first_instant_at(zone: &Tz, day: NaiveDate) -> i64 {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    if let Some(first) = zone.from_local_datetime(&midnight).earliest() {
        return first.timestamp();
    }
    // The gap lies between the offsets of the day before and the day after; in between,
    // wall-clock time only grows, so search for where it first reaches midnight.
    let wall = midnight.and_utc().timestamp();
    let before = offset_at(zone, wall - SECONDS_PER_DAY);
    let after = offset_at(zone, wall + SECONDS_PER_DAY);
    let (mut low, mut high) = (
        wall - i64::from(before.max(after)),
        wall - i64::from(before.min(after)),
    );
    while low + 1 < high {
        let mid = low + (high - low) / 2;
        if mid + i64::from(offset_at(zone, mid)) >= wall {
            high = mid;
        } else {
            low = mid;
        }
    }
    high
}

/// The time zone a periodic block names: an IANA name, or `""`/`"UTC"` for UTC. Nomad's
/// `"Local"` (the server's zone) is UTC here: the model knows no host.
pub fn time_zone(name: &str) -> Option<Tz> {
    match name {
        "" | "UTC" | "Local" => Some(Tz::UTC),
        _ => name.parse().ok(),
    }
}

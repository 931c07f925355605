//! `next_launch`: Nomad's cron specs (hashicorp/cronexpr's grammar and next-time rules) in a
//! periodic block's time zone, and the spec errors `Job::validate` reports.

use chrono::{DateTime, SecondsFormat};
use drover_core::periodic::{PeriodicError, next_launch};
use drover_model::{Job, PeriodicConfig};

const NANOS: i64 = 1_000_000_000;

/// Unix nanoseconds of an RFC 3339 time such as `2019-11-03T01:30:00-07:00`.
fn t(text: &str) -> i64 {
    DateTime::parse_from_rfc3339(text)
        .expect(text)
        .timestamp_nanos_opt()
        .expect("a time in range")
}

/// A launch as RFC 3339 in UTC, or "never".
fn show(nanos: Option<i64>) -> String {
    nanos.map_or("never".to_string(), |nanos| {
        DateTime::from_timestamp_nanos(nanos).to_rfc3339_opts(SecondsFormat::Secs, true)
    })
}

fn periodic(specs: &[&str], zone: &str) -> PeriodicConfig {
    let (spec, specs) = match specs {
        [one] => (one.to_string(), Vec::new()),
        many => (String::new(), many.iter().map(|s| s.to_string()).collect()),
    };
    PeriodicConfig {
        spec,
        specs,
        spec_type: "cron".to_string(),
        time_zone: zone.to_string(),
        ..PeriodicConfig::default()
    }
}

/// Follows `spec` from `from`: each launch after the previous one.
fn check_series(spec: &str, zone: &str, from: &str, expected: &[&str]) {
    let config = periodic(&[spec], zone);
    let mut after = t(from);
    for want in expected {
        let got = next_launch(&config, after).expect("a valid spec");
        assert_eq!(
            show(got),
            show(Some(t(want))),
            "{spec:?} in {zone:?} after {}",
            show(Some(after))
        );
        after = t(want);
    }
}

fn check(spec: &str, from: &str, expected: &str) {
    check_series(spec, "UTC", from, &[expected]);
}

fn check_never(spec: &str, from: &str) {
    let got = next_launch(&periodic(&[spec], "UTC"), t(from)).expect("a valid spec");
    assert_eq!(show(got), "never", "{spec:?} after {from}");
}

#[test]
fn five_fields_are_minute_to_day_of_week() {
    check("* * * * *", "2013-01-01T00:00:00Z", "2013-01-01T00:01:00Z");
    check("* * * * *", "2013-01-01T00:00:59Z", "2013-01-01T00:01:00Z");
    check("* * * * *", "2012-12-31T23:59:00Z", "2013-01-01T00:00:00Z");
    check(
        "17-43/5 * * * *",
        "2013-01-01T00:30:00Z",
        "2013-01-01T00:32:00Z",
    );
    check(
        "17-43/5 * * * *",
        "2013-01-01T00:50:00Z",
        "2013-01-01T01:17:00Z",
    );
    check(
        "15-30/4,55 * * * *",
        "2013-01-01T00:16:00Z",
        "2013-01-01T00:19:00Z",
    );
    check(
        "15-30/4,55 * * * *",
        "2012-12-31T23:55:00Z",
        "2013-01-01T00:15:00Z",
    );
    check(
        "5/20 * * * *",
        "2013-01-01T00:06:00Z",
        "2013-01-01T00:25:00Z",
    );
    check(
        "*/5 * * * *",
        "2009-11-10T23:22:30Z",
        "2009-11-10T23:25:00Z",
    );
    check(
        "0 0-15 * * *",
        "2013-01-01T15:00:00Z",
        "2013-01-02T00:00:00Z",
    );
    check("0 0 29 2 *", "2013-03-01T00:00:00Z", "2016-02-29T00:00:00Z");
    check("0 0 * 04 *", "2013-09-02T00:00:00Z", "2014-04-01T00:00:00Z");
    check(
        "0 0 1 jan-mar *",
        "2013-04-01T00:00:00Z",
        "2014-01-01T00:00:00Z",
    );
    check(
        "0 0 1 SEPTEMBER *",
        "2013-01-01T00:00:00Z",
        "2013-09-01T00:00:00Z",
    );
    check("? ? ? ? ?", "2013-01-01T00:00:00Z", "2013-01-01T00:01:00Z");
}

#[test]
fn six_fields_end_with_the_year_not_start_with_seconds() {
    check(
        "30 * * * * 2025",
        "2025-06-01T10:00:00Z",
        "2025-06-01T10:30:00Z",
    );
    check(
        "0 0 1 1 * 2030",
        "2020-05-05T00:00:00Z",
        "2030-01-01T00:00:00Z",
    );
    check_never("0 12 * * * 2020-2021/1", "2021-12-31T12:00:00Z");
}

#[test]
fn seven_fields_are_second_to_year() {
    check(
        "* * * * * * *",
        "2013-01-01T00:00:00Z",
        "2013-01-01T00:00:01Z",
    );
    check(
        "* * * * * * *",
        "2013-01-01T23:59:59Z",
        "2013-01-02T00:00:00Z",
    );
    check(
        "*/5 * * * * * *",
        "2013-01-01T00:00:00Z",
        "2013-01-01T00:00:05Z",
    );
    check(
        "30 15 10 * * * *",
        "2013-01-01T00:00:00Z",
        "2013-01-01T10:15:30Z",
    );
    check(
        "0 0 0 1 1 * 2098-2099",
        "2013-01-01T00:00:00Z",
        "2098-01-01T00:00:00Z",
    );
    // Fields past the seventh are ignored.
    check(
        "0 0 0 1 1 * 2020 whatever",
        "2013-01-01T00:00:00Z",
        "2020-01-01T00:00:00Z",
    );
}

#[test]
fn the_next_launch_is_after_the_second_holding_the_start() {
    check(
        "* * * * * * *",
        "2013-01-01T00:00:00.5Z",
        "2013-01-01T00:00:01Z",
    );
    check(
        "0 * * * * * *",
        "2013-01-01T00:00:00.000000001Z",
        "2013-01-01T00:01:00Z",
    );
    check(
        "* * * * * * *",
        "1969-12-31T23:59:59.5Z",
        "1970-01-01T00:00:00Z",
    );
}

#[test]
fn years_end_in_2099() {
    check_never("* * * * * * 2099", "2099-12-31T23:59:59Z");
    check_never("0 0 29 2 * 1980", "2009-11-10T23:22:30Z");
    check_never("0 0 30 2 *", "2013-01-01T00:00:00Z");
    check(
        "* * * * * 2050",
        "2013-08-31T00:00:00Z",
        "2050-01-01T00:00:00Z",
    );
    // A backwards range matches nothing.
    check_never("0 5-2 * * *", "2013-01-01T00:00:00Z");
}

#[test]
fn days_of_week() {
    check(
        "0 0 * * MON",
        "2013-01-01T00:00:00Z",
        "2013-01-07T00:00:00Z",
    );
    check(
        "0 0 * * friday",
        "2013-01-28T00:00:00Z",
        "2013-02-01T00:00:00Z",
    );
    // 7 is Sunday, like 0.
    check(
        "0 0 * * 6,7",
        "2013-01-01T00:00:00Z",
        "2013-01-05T00:00:00Z",
    );
    check(
        "0 0 * * 6,7",
        "2013-01-05T00:00:00Z",
        "2013-01-06T00:00:00Z",
    );
    check("0 0 * * 7", "2013-01-01T00:00:00Z", "2013-01-06T00:00:00Z");
    // A range that ends on Sunday includes it (cronexpr stops at Saturday: docs/compat.md).
    check(
        "0 0 * * 5-7",
        "2013-01-05T00:00:00Z",
        "2013-01-06T00:00:00Z",
    );
    check(
        "0 0 * * mon-sun",
        "2013-01-05T00:00:00Z",
        "2013-01-06T00:00:00Z",
    );
    check(
        "0 0 * * */2",
        "2013-01-01T00:00:00Z",
        "2013-01-03T00:00:00Z",
    );
    // The fifth Saturday; the last Friday.
    check(
        "0 0 * * 6#5",
        "2013-09-02T00:00:00Z",
        "2013-11-30T00:00:00Z",
    );
    check("0 0 * * 5L", "2013-09-02T00:00:00Z", "2013-09-27T00:00:00Z");
    check(
        "0 0 * * FRIL",
        "2013-09-28T00:00:00Z",
        "2013-10-25T00:00:00Z",
    );
}

#[test]
fn days_of_month() {
    check(
        "0 0 14W * *",
        "2013-03-31T00:00:00Z",
        "2013-04-15T00:00:00Z",
    );
    check(
        "0 0 14W * *",
        "2013-08-31T00:00:00Z",
        "2013-09-13T00:00:00Z",
    );
    check(
        "0 0 30W * *",
        "2013-03-02T00:00:00Z",
        "2013-03-29T00:00:00Z",
    );
    check(
        "0 0 30W * *",
        "2013-09-02T00:00:00Z",
        "2013-09-30T00:00:00Z",
    );
    check(
        "0 0 30W * *",
        "2013-11-02T00:00:00Z",
        "2013-11-29T00:00:00Z",
    );
    // 1W never leaves the month: Saturday the 1st moves to Monday the 3rd.
    check("0 0 1W * *", "2013-05-31T00:00:00Z", "2013-06-03T00:00:00Z");
    check("0 0 L * *", "2014-02-01T00:00:00Z", "2014-02-28T00:00:00Z");
    check("0 0 L * *", "2016-02-15T00:00:00Z", "2016-02-29T00:00:00Z");
    check("0 0 LW * *", "2013-11-02T00:00:00Z", "2013-11-29T00:00:00Z");
    check("0 0 LW * *", "2014-08-15T00:00:00Z", "2014-08-29T00:00:00Z");
    // Both day fields restricted: either matches (Monday the 30th, then Tuesday the 1st).
    check("0 0 1 * 1", "2013-09-28T00:00:00Z", "2013-09-30T00:00:00Z");
    check("0 0 1 * 1", "2013-09-30T00:00:00Z", "2013-10-01T00:00:00Z");
    // Only one restricted: only it counts.
    check("0 0 1 * *", "2013-09-02T00:00:00Z", "2013-10-01T00:00:00Z");
    check("0 0 * * 1", "2013-09-28T00:00:00Z", "2013-09-30T00:00:00Z");
}

#[test]
fn predefined_specs() {
    let from = "2013-05-05T10:20:00Z"; // a Sunday
    check("@yearly", from, "2014-01-01T00:00:00Z");
    check("@annually", from, "2014-01-01T00:00:00Z");
    check("@monthly", from, "2013-06-01T00:00:00Z");
    check("@weekly", from, "2013-05-12T00:00:00Z");
    check("@daily", from, "2013-05-06T00:00:00Z");
    check("@hourly", from, "2013-05-05T11:00:00Z");
}

#[test]
fn several_specs_launch_at_the_earliest() {
    let config = periodic(&["0 12 * * *", "30 6 * * *"], "UTC");
    let next = |from| show(next_launch(&config, t(from)).unwrap());
    assert_eq!(next("2013-01-01T07:00:00Z"), "2013-01-01T12:00:00Z");
    assert_eq!(next("2013-01-01T13:00:00Z"), "2013-01-02T06:30:00Z");
    // A spec that is over leaves the others (Nomad's loop would answer "never" here).
    let config = periodic(&["0 0 1 1 * 2000", "0 * * * *"], "UTC");
    assert_eq!(
        show(next_launch(&config, t("2013-01-01T07:10:00Z")).unwrap()),
        "2013-01-01T08:00:00Z"
    );
    // `Spec` wins over `Specs` when both are set, as in Nomad.
    let mut both = periodic(&["@daily"], "UTC");
    both.specs = vec!["@hourly".to_string()];
    assert_eq!(
        show(next_launch(&both, t("2013-01-01T07:10:00Z")).unwrap()),
        "2013-01-02T00:00:00Z"
    );
}

#[test]
fn time_zones_read_wall_clock_time() {
    check_series(
        "0 9 * * *",
        "America/New_York",
        "2021-06-01T00:00:00Z",
        &["2021-06-01T09:00:00-04:00", "2021-06-02T09:00:00-04:00"],
    );
    check_series(
        "0 9 * * *",
        "Asia/Kolkata",
        "2021-06-01T00:00:00Z",
        &["2021-06-01T09:00:00+05:30"],
    );
    check_series(
        "0 0 * * *",
        "Europe/Berlin",
        "2021-12-31T12:00:00Z",
        &["2022-01-01T00:00:00+01:00"],
    );
    // "" and "Local" are UTC.
    check_series(
        "0 9 * * *",
        "",
        "2021-06-01T00:00:00Z",
        &["2021-06-01T09:00:00Z"],
    );
    check_series(
        "0 9 * * *",
        "Local",
        "2021-06-01T00:00:00Z",
        &["2021-06-01T09:00:00Z"],
    );
}

#[test]
fn a_wall_time_in_a_spring_forward_gap_does_not_happen() {
    // Los Angeles skipped 02:00-03:00 on 2019-03-10.
    let la = "America/Los_Angeles";
    check_series(
        "2 2 * * * 2019",
        la,
        "2019-03-09T01:00:00-08:00",
        &[
            "2019-03-09T02:02:00-08:00",
            "2019-03-11T02:02:00-07:00",
            "2019-03-12T02:02:00-07:00",
        ],
    );
    check_series(
        "0 1 * * * 2019",
        la,
        "2019-03-09T00:00:00-08:00",
        &[
            "2019-03-09T01:00:00-08:00",
            "2019-03-10T01:00:00-08:00",
            "2019-03-11T01:00:00-07:00",
        ],
    );
    check_series(
        "0 4 * * * 2019",
        la,
        "2019-03-09T01:00:00-08:00",
        &["2019-03-09T04:00:00-08:00", "2019-03-10T04:00:00-07:00"],
    );
    // Nomad's own DST test: 02:00 on 11-13 March 2017, the 12th skipped.
    check_series(
        "0 2 11-13 3 * 2017",
        la,
        "2017-03-11T01:00:00-08:00",
        &["2017-03-11T10:00:00Z", "2017-03-13T09:00:00Z"],
    );
    // Lord Howe moves by half an hour: 02:00-02:30 is skipped on 2019-10-06.
    check_series(
        "3 2 * * * 2019",
        "Australia/Lord_Howe",
        "2019-10-05T00:00:00+10:30",
        &["2019-10-05T02:03:00+10:30", "2019-10-07T02:03:00+11:00"],
    );
    // Santiago skipped its midnight on 2019-09-08 (00:00 became 01:00).
    check_series(
        "0 0 * * *",
        "America/Santiago",
        "2019-09-07T12:00:00-04:00",
        &["2019-09-09T00:00:00-03:00"],
    );
}

#[test]
fn a_wall_time_a_fall_back_repeats_happens_twice() {
    // Los Angeles repeated 01:00-02:00 on 2019-11-03.
    let la = "America/Los_Angeles";
    check_series(
        "30 1 * * * 2019",
        la,
        "2019-11-03T00:00:00-07:00",
        &[
            "2019-11-03T01:30:00-07:00",
            "2019-11-03T01:30:00-08:00",
            "2019-11-04T01:30:00-08:00",
        ],
    );
    check_series(
        "30 1 * * * 2019",
        la,
        "2019-11-03T01:40:00-07:00",
        &["2019-11-03T01:30:00-08:00", "2019-11-04T01:30:00-08:00"],
    );
    check_series(
        "0 2 * * * 2019",
        la,
        "2019-11-03T00:00:00-07:00",
        &["2019-11-03T02:00:00-08:00", "2019-11-04T02:00:00-08:00"],
    );
    check_series(
        "30 * * * * 2019",
        la,
        "2019-11-03T00:00:00-07:00",
        &[
            "2019-11-03T00:30:00-07:00",
            "2019-11-03T01:30:00-07:00",
            "2019-11-03T01:30:00-08:00",
            "2019-11-03T02:30:00-08:00",
        ],
    );
    check_series(
        "31 1 * * * 2019",
        "Australia/Lord_Howe",
        "2019-04-06T00:00:00+11:00",
        &[
            "2019-04-06T01:31:00+11:00",
            "2019-04-07T01:31:00+11:00",
            "2019-04-07T01:31:00+10:30",
            "2019-04-08T01:31:00+10:30",
        ],
    );
}

#[test]
fn every_minute_stays_a_minute_apart_across_transitions() {
    let config = periodic(&["* * * * *"], "America/Los_Angeles");
    for start in ["2019-03-10T00:00:00-08:00", "2019-11-03T00:00:00-07:00"] {
        let mut after = t(start);
        for _ in 0..240 {
            let next = next_launch(&config, after).unwrap().unwrap();
            assert_eq!(next - after, 60 * NANOS, "after {}", show(Some(after)));
            after = next;
        }
    }
}

#[test]
fn bad_specs_and_zones_are_errors() {
    let err = next_launch(&periodic(&["foo"], "UTC"), 0).unwrap_err();
    assert_eq!(
        err.to_string(),
        "failed parsing cron expression: foo: missing field(s)"
    );
    let err = next_launch(&periodic(&["@daily"], "Mars/Olympus_Mons"), 0).unwrap_err();
    assert_eq!(
        err,
        PeriodicError::InvalidTimeZone("Mars/Olympus_Mons".to_string())
    );
    assert_eq!(err.to_string(), "unknown time zone Mars/Olympus_Mons");
    // Only cron specs launch; Nomad answers the zero time for anything else.
    let mut other = periodic(&["@daily"], "UTC");
    other.spec_type = "_internal_test".to_string();
    assert_eq!(next_launch(&other, 0), Ok(None));
}

/// The nested periodic entry `Job::validate` reports for `periodic`.
fn periodic_errors(periodic: PeriodicConfig) -> Vec<String> {
    let mut job = Job {
        id: "report".into(),
        job_type: "batch".into(),
        periodic: Some(periodic),
        ..Job::default()
    };
    job.canonicalize();
    let Err(errors) = job.validate() else {
        return Vec::new();
    };
    let entry = errors
        .errors()
        .iter()
        .find(|e| e.contains(" occurred:\n\t* ") && !e.starts_with("Task group"))
        .cloned();
    let Some(entry) = entry else {
        return Vec::new();
    };
    entry
        .lines()
        .filter_map(|line| line.strip_prefix("\t* "))
        .map(str::to_string)
        .collect()
}

fn check_invalid(spec: &str, message: &str) {
    assert_eq!(
        periodic_errors(periodic(&[spec], "UTC")),
        vec![format!("Invalid cron spec {spec:?}: {message}")],
        "{spec:?}"
    );
}

fn check_valid(spec: &str) {
    assert_eq!(
        periodic_errors(periodic(&[spec], "UTC")),
        Vec::<String>::new(),
        "{spec:?}"
    );
}

#[test]
fn validation_reports_cronexprs_messages() {
    check_invalid("foo", "missing field(s)");
    check_invalid("* *", "missing field(s)");
    check_invalid("@foo", "missing field(s)");
    check_invalid("@midnight", "missing field(s)");
    check_invalid("@reboot", "missing field(s)");
    check_invalid("60 * * * *", "syntax error in minute field: '60'");
    check_invalid("* 24 * * *", "syntax error in hour field: '24'");
    check_invalid("* * 0 * *", "syntax error in day-of-month field: '0'");
    check_invalid("* * * 13 *", "syntax error in month field: '13'");
    check_invalid("* * * * 8", "syntax error in day-of-week field: '8'");
    check_invalid("* * * * * 1969", "syntax error in year field: '1969'");
    check_invalid("60 * * * * * *", "syntax error in second field: '60'");
    check_invalid("* * 15X * *", "syntax error in day-of-month field: '15X'");
    check_invalid(
        "* * * * MON#6",
        "syntax error in day-of-week field: 'MON#6'",
    );
    check_invalid("*/0 * * * *", "invalid interval */0");
    check_invalid("*/60 * * * *", "invalid interval */60");
    check_invalid("* * * * */7", "invalid interval */7");
    check_invalid("* * * JAN/13 *", "invalid interval jan/13");
    check_invalid(", * * * *", "minute field: missing directive");
    check_invalid("junk,* * * * *", "syntax error in minute field: 'junk'");
    // Every interval of a field is checked before its entries are read.
    check_invalid("junk,*/0 * * * *", "invalid interval */0");
    // The first bad field is reported.
    check_invalid("99 99 * * *", "syntax error in minute field: '99'");
}

#[test]
fn validation_accepts_what_cronexpr_accepts() {
    for spec in [
        "0 0 29 2 *",
        "@hourly",
        "0 0-15 * * *",
        "1,,2 * * * *",
        "0 0 L,15 * *",
        "0 0 LW * *",
        "0 0 * * 1#1,5L",
        "0 0 * * 0-7",
        "0 0 1 Jan,FEB,december *",
        "05 07 * * *",
        "0 0 0 1 1 * 2020 and more",
        // A `*` ends the list: cronexpr reads no further.
        "*,junk * * * *",
        // A backwards range is not an error, it just never matches.
        "0 5-2 * * *",
    ] {
        check_valid(spec);
    }
}

#[test]
fn validation_checks_every_spec_and_the_time_zone() {
    let errors = periodic_errors(periodic(&["@daily", "bad", "* * * * 9"], "Nowhere/City"));
    assert_eq!(
        errors,
        vec![
            "Invalid time zone \"Nowhere/City\": unknown time zone Nowhere/City".to_string(),
            "Invalid cron spec \"bad\": missing field(s)".to_string(),
            "Invalid cron spec \"* * * * 9\": syntax error in day-of-week field: '9'".to_string(),
        ]
    );
    // A disabled block is not checked.
    let mut disabled = periodic(&["bad"], "UTC");
    disabled.enabled = false;
    assert_eq!(periodic_errors(disabled), Vec::<String>::new());
}

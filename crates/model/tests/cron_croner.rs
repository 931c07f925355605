//! Our cron evaluator against croner, an independent implementation, on the grammar both
//! read alike: numeric values, ranges, steps and lists, the Vixie day rule, in UTC (their
//! daylight-saving rules differ on purpose: ours are cronexpr's).

use chrono::{DateTime, Datelike, Utc};
use croner::parser::{CronParser, Seconds, Year};
use drover_model::cron::CronSpec;
use proptest::prelude::*;

/// One entry, rendered for both parsers (croner wants `v-max/n` for cronexpr's `v/n`).
#[derive(Debug, Clone)]
enum Entry {
    Star,
    Value(u32),
    Range(u32, u32),
    StarStep(u32),
    ValueStep(u32, u32),
    RangeStep(u32, u32, u32),
}

impl Entry {
    fn render(&self, max: u32, croner: bool) -> String {
        match *self {
            Entry::Star => "*".to_string(),
            Entry::Value(v) => v.to_string(),
            Entry::Range(a, b) => format!("{a}-{b}"),
            Entry::StarStep(n) => format!("*/{n}"),
            Entry::ValueStep(v, n) if croner => format!("{v}-{max}/{n}"),
            Entry::ValueStep(v, n) => format!("{v}/{n}"),
            Entry::RangeStep(a, b, n) => format!("{a}-{b}/{n}"),
        }
    }
}

fn entry(min: u32, max: u32, max_step: u32) -> impl Strategy<Value = Entry> {
    let value = min..=max;
    let ordered = (min..=max, min..=max).prop_map(|(a, b)| (a.min(b), a.max(b)));
    prop_oneof![
        Just(Entry::Star),
        value.clone().prop_map(Entry::Value),
        ordered.clone().prop_map(|(a, b)| Entry::Range(a, b)),
        (1..=max_step).prop_map(Entry::StarStep),
        (value, 1..=max_step).prop_map(|(v, n)| Entry::ValueStep(v, n)),
        (ordered, 1..=max_step).prop_map(|((a, b), n)| Entry::RangeStep(a, b, n)),
    ]
}

/// A field: one entry, or a short list without `*` (cronexpr stops reading a list at `*`).
fn field(min: u32, max: u32, max_step: u32) -> impl Strategy<Value = Vec<Entry>> {
    prop_oneof![
        entry(min, max, max_step).prop_map(|e| vec![e]),
        prop::collection::vec(
            entry(min, max, max_step)
                .prop_filter("no star in lists", |e| { !matches!(e, Entry::Star) }),
            2..4
        ),
    ]
}

fn render(fields: &[(Vec<Entry>, u32)], croner: bool) -> String {
    let rendered: Vec<String> = fields
        .iter()
        .map(|(entries, max)| {
            let list: Vec<String> = entries.iter().map(|e| e.render(*max, croner)).collect();
            list.join(",")
        })
        .collect();
    rendered.join(" ")
}

fn spec() -> impl Strategy<Value = Vec<(Vec<Entry>, u32)>> {
    (
        field(0, 59, 30),
        field(0, 59, 30),
        field(0, 23, 12),
        field(1, 31, 15),
        field(1, 12, 6),
        field(0, 6, 3),
    )
        .prop_map(|(s, m, h, dom, mon, dow)| {
            vec![
                (s, 59),
                (m, 59),
                (h, 23),
                (dom, 31),
                (mon, 12),
                (dow, 6),
                (vec![Entry::Star], 2099),
            ]
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn next_matches_croner(fields in spec(), start in 946_684_800i64..3_786_912_000i64) {
        let ours = CronSpec::parse(&render(&fields, false)).expect("a valid spec");
        let theirs = CronParser::builder()
            .seconds(Seconds::Required)
            .year(Year::Required)
            .build()
            .parse(&render(&fields, true));
        let Ok(theirs) = theirs else {
            // croner refuses some ranges cronexpr reads (a backwards step range, say).
            return Ok(());
        };
        let from = DateTime::<Utc>::from_timestamp(start, 0).unwrap();
        let expected = theirs.find_next_occurrence(&from, false).ok();
        let got = ours
            .next_after(&chrono_tz::Tz::UTC, start * 1_000_000_000)
            .map(|nanos| DateTime::<Utc>::from_timestamp(nanos / 1_000_000_000, 0).unwrap());
        match (got, expected) {
            (Some(got), Some(expected)) => prop_assert_eq!(got, expected),
            // cronexpr's years end in 2099; croner's go on.
            (None, Some(expected)) => prop_assert!(expected.year() > 2099),
            (got, None) => prop_assert!(got.is_none()),
        }
    }
}

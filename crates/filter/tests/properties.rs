//! Properties over generated expressions: the canonical text of a parsed expression parses back
//! to the same expression, and no input, well-formed or not, makes parsing or evaluation panic.
//! Both go through `fuzzing::check`, the body of the fuzz target. Evaluating a serializable
//! record gives what evaluating its whole JSON gives.

use std::collections::BTreeMap;

use drover_filter::{Filter, fuzzing};
use proptest::prelude::*;
use serde::Serialize;
use serde_json::json;

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Group {
    name: String,
    count: i64,
}

/// A record shaped as the list endpoints' records are: a struct with strings, numbers, lists,
/// maps, nested structs and a null.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Record {
    status: String,
    name: String,
    priority: i64,
    datacenters: Vec<String>,
    meta: BTreeMap<String, String>,
    task_groups: Vec<Group>,
    stop: bool,
    #[serde(rename = "x")]
    missing: Option<String>,
}

const KEYWORDS: &[&str] = &[
    "and", "or", "not", "in", "is", "empty", "nil", "contains", "matches", "any", "all", "as",
];

fn identifier() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "Status",
            "Meta",
            "TaskGroups",
            "Name",
            "Datacenters",
            "x"
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z][a-zA-Z0-9_/]{0,6}"
            .prop_filter("not a keyword", |s| { !KEYWORDS.contains(&s.as_str()) }),
    ]
}

/// The body of a double-quoted string: characters the grammar allows, and valid Go escapes.
fn quoted() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => "[^\"\\\\\n]{1,4}",
        1 => prop::sample::select(vec![
            r"\n", r"\t", r"\\", r"\x41", r"\u00e9", r"\U0001F600", r"\101", r"\x22", r"\a",
        ])
        .prop_map(str::to_owned),
    ];
    prop::collection::vec(piece, 0..4).prop_map(|pieces| format!("\"{}\"", pieces.concat()))
}

fn selector() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        identifier().prop_map(|id| format!(".{id}")),
        "[0-9]{1,3}".prop_map(|d| format!(".{d}")),
        quoted().prop_map(|q| format!("[{q}]")),
        "[^`]{0,5}".prop_map(|r| format!("[ `{r}` ]")),
    ];
    let dotted = (identifier(), prop::collection::vec(part, 0..3))
        .prop_map(|(first, rest)| format!("{first}{}", rest.concat()));
    let pointer = prop::collection::vec("[a-zA-Z0-9_.~:|é-]{1,5}", 0..3).prop_map(|segments| {
        format!(
            "\"{}\"",
            segments.iter().map(|s| format!("/{s}")).collect::<String>()
        )
    });
    prop_oneof![4 => dotted, 1 => pointer]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        "-?(0|[1-9][0-9]{0,5})(\\.[0-9]{1,3})?",
        quoted(),
        "[^`]{0,6}".prop_map(|r| format!("`{r}`")),
        identifier(),
    ]
}

fn pattern() -> impl Strategy<Value = String> {
    "\\^?[a-z0-9]{0,4}(\\.\\*)?\\$?".prop_map(|p| format!("\"{p}\""))
}

fn space() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![" ", "  ", "\t", "\n", " \r\n "])
}

fn comparison() -> impl Strategy<Value = String> {
    let op = prop::sample::select(vec!["==", "!=", "contains", "not contains"]);
    let binary = (selector(), space(), op, space(), value())
        .prop_map(|(s, w1, op, w2, v)| format!("{s}{w1}{op}{w2}{v}"));
    let membership = (
        value(),
        prop::sample::select(vec!["in", "not in"]),
        selector(),
    )
        .prop_map(|(v, op, s)| format!("{v} {op} {s}"));
    let unary = (
        selector(),
        prop::sample::select(vec!["is empty", "is not empty", "is nil", "is not nil"]),
    )
        .prop_map(|(s, op)| format!("{s} {op}"));
    let regex = (
        selector(),
        prop::sample::select(vec!["matches", "not matches"]),
        pattern(),
    )
        .prop_map(|(s, op, p)| format!("{s} {op} {p}"));
    prop_oneof![3 => binary, 2 => membership, 1 => unary, 1 => regex]
}

/// A well-formed expression. Collections are parenthesized, since the grammar allows a bare one
/// only as a whole expression or the last operand of `or`.
fn expression() -> impl Strategy<Value = String> {
    comparison().prop_recursive(4, 24, 3, |inner| {
        let binding = prop_oneof![
            identifier(),
            (identifier(), identifier()).prop_map(|(k, v)| format!("{k}, {v}")),
            identifier().prop_map(|k| format!("{k}, _")),
            identifier().prop_map(|v| format!("_, {v}")),
        ];
        prop_oneof![
            (inner.clone(), space(), inner.clone()).prop_map(|(a, w, b)| format!("{a}{w}and {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} or{}{b}", " ")),
            inner.clone().prop_map(|a| format!("not {a}")),
            inner.clone().prop_map(|a| format!("( {a})")),
            (
                prop::sample::select(vec!["any", "all"]),
                selector(),
                binding,
                inner
            )
                .prop_map(|(q, s, b, body)| format!("({q} {s} as {b} {{ {body} }})")),
        ]
    })
}

/// Fragments of the language glued together at random: mostly wrong, sometimes right.
fn token_soup() -> impl Strategy<Value = String> {
    let token = prop::sample::select(vec![
        "a", "Meta", ".", "0", "[", "]", "(", ")", "{", "}", "\"", "`", "\\", "/", "-", "1.5",
        "==", "!=", "and", "or", "not", "in", "is", "empty", "nil", "contains", "matches", "any",
        "all", "as", ",", "_", "~", " ", "\n", "é", "\"/a\"", "\"x\"",
    ]);
    prop::collection::vec(token, 0..24).prop_map(|tokens| tokens.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn canonical_text_parses_back_to_the_same_expression(text in expression()) {
        let parsed = Filter::parse(&text);
        prop_assert!(parsed.is_ok(), "{text:?}: {}", parsed.unwrap_err());
        fuzzing::check(text.as_bytes());
    }

    #[test]
    fn a_record_evaluates_as_its_whole_json(text in expression()) {
        let filter = Filter::parse(&text).expect("well-formed");
        let record = Record {
            status: "running".to_string(),
            name: "web-1".to_string(),
            priority: 50,
            datacenters: vec!["dc1".to_string(), "dc2".to_string()],
            meta: BTreeMap::from([("team".to_string(), "web".to_string())]),
            task_groups: vec![Group { name: "web".to_string(), count: 2 }],
            stop: false,
            missing: None,
        };
        let whole = serde_json::to_value(&record).expect("json");
        prop_assert_eq!(filter.evaluate_record(&record), filter.evaluate(&whole));
        // A map at the top (a flattened record), and a record that is not one.
        prop_assert_eq!(filter.evaluate_record(&whole), filter.evaluate(&whole));
        let list = json!(["running"]);
        prop_assert_eq!(filter.evaluate_record(&list), filter.evaluate(&list));
    }

    #[test]
    fn token_soup_never_panics(text in token_soup()) {
        fuzzing::check(text.as_bytes());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        fuzzing::check(&bytes);
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        fuzzing::check(text.as_bytes());
    }
}

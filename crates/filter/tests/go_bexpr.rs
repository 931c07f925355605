//! go-bexpr's own evaluation cases ("Nested Structs and Maps" in its `evaluate_test.go`), with
//! its Go test value written as JSON. Where go-bexpr tells a Go struct from a map, the JSON
//! object is a map here; those cases are listed apart with the result drover gives.

use drover_filter::Filter;
use serde_json::{Value, json};

fn record() -> Value {
    json!({
        "Nested": {
            "Map": {
                "foo": "bar", "bar": "baz", "abc": "123", "colon": "co:lon", "co:lon": "co:lon",
                "email": "foo@example.com"
            },
            "MapOfStructs": {"one": {"Foo": 42, "Baz": "exported"}, "two": {"Foo": 77, "Baz": "consul"}},
            "SliceOfInts": [1, 3, 5, 7, 9],
            "SliceOfStructs": [{"X": 1, "Y": 2}, {"X": 3, "Y": 5}],
            "SliceOfInfs": ["foobar", 1, true],
            "SliceOfPointersToStructs": [{"X": 1, "Y": 2}, null]
        },
        "TopInt": 5
    })
}

fn check(cases: &[(&str, Result<bool, &str>)]) {
    let record = record();
    let mut failures = Vec::new();
    for (expression, expected) in cases {
        let filter = Filter::parse(expression).expect("go-bexpr's cases parse");
        let actual = filter.evaluate(&record).map_err(|e| e.to_string());
        if actual != expected.map_err(str::to_owned) {
            failures.push(format!(
                "{expression}: expected {expected:?}, got {actual:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn same_results_as_go_bexpr() {
    check(&[
        ("Nested.Map.foo == bar", Ok(true)),
        ("Nested.Map.foo contains ba", Ok(true)),
        ("Nested.Map.foo == baz", Ok(false)),
        ("Nested.Map is not empty", Ok(true)),
        (
            "Nested.Map contains foo and Nested.Map contains bar",
            Ok(true),
        ),
        (r#"Nested.Map.colon == "co:lon""#, Ok(true)),
        (r#""/Nested/Map/co:lon" == "co:lon""#, Ok(true)),
        ("Nested.Map contains nope", Ok(false)),
        ("Nested.Map contains bar", Ok(true)),
        ("Nested.Map.bar == `bazel`", Ok(false)),
        ("TopInt != 0", Ok(true)),
        (
            "Nested.Map contains nope or (Nested.Map contains bar and Nested.Map.bar == `bazel`) or TopInt != 0",
            Ok(true),
        ),
        ("Nested.MapOfStructs.one.Foo == 42", Ok(true)),
        ("Nested.MapOfStructs.one.Baz == `exported`", Ok(true)),
        ("Nested.MapOfStructs.two.Foo == 77", Ok(true)),
        ("Nested.MapOfStructs.two.Baz == `consul`", Ok(true)),
        ("7 in Nested.SliceOfInts", Ok(true)),
        (
            r#""/Nested/SliceOfInts" == "7""#,
            Err("unable to find suitable primitive comparison function for matching"),
        ),
        (
            "Nested.MapOfStructs is empty or (Nested.SliceOfInts contains 7 and 9 in Nested.SliceOfInts)",
            Ok(true),
        ),
        ("Nested.SliceOfStructs.0.X == 1", Ok(true)),
        ("Nested.SliceOfStructs.0.Y == 4", Ok(false)),
        (r#""foobar" in "/Nested/SliceOfInfs""#, Ok(true)),
        (r#""1" in "/Nested/SliceOfInfs""#, Ok(true)),
        (r#""2" in "/Nested/SliceOfInfs""#, Ok(false)),
        (r#""true" in "/Nested/SliceOfInfs""#, Ok(true)),
        (
            r#""/Nested/Map/email" matches "(foz|foo)@example.com""#,
            Ok(true),
        ),
        ("Nested.Map.notfound == 4", Ok(false)),
        ("Nested.Map.notfound != 4", Ok(true)),
        ("4 in Nested.Map.notfound", Ok(false)),
        ("4 not in Nested.Map.notfound", Ok(true)),
        ("Nested.Map.notfound is empty", Ok(true)),
        ("Nested.Map.notfound is not empty", Ok(false)),
        (r#"Nested.Map.notfound matches ".*""#, Ok(false)),
        (r#"Nested.Map.notfound not matches ".*""#, Ok(true)),
        ("all Nested.SliceOfInts as i { i != 42 }", Ok(true)),
        ("all Nested.SliceOfInts as i { i == 1 }", Ok(false)),
        // A map's default binding is its key.
        (r#"all Nested.Map as v { v == "bar" }"#, Ok(false)),
        (r#"all Nested.Map as v { v != "hello" }"#, Ok(true)),
        (
            "all Nested.Map as k, k { TopInt == 5 }",
            Err(r#""k" cannot be used as a placeholder for both the index and the value"#),
        ),
        (r#"all Nested.Map as k, _ { k != "foo" }"#, Ok(false)),
        (r#"all Nested.Map as k, _ { k != "hello" }"#, Ok(true)),
        (
            r#"all Nested.Map as k, v { k != "foo" or v != "baz" }"#,
            Ok(true),
        ),
        (
            r#"all TopInt as k, v { k != "foo" or v != "baz" }"#,
            Err("TopInt is not a list or a map"),
        ),
        ("any Nested.SliceOfInts as i { i == 1 }", Ok(true)),
        ("any Nested.SliceOfInts as i { i == 42 }", Ok(false)),
        (
            r#"any Nested.SliceOfStructs as i { "/i/X" == 1 }"#,
            Ok(true),
        ),
        (r#"any Nested.Map as k { k != "bar" }"#, Ok(true)),
        (r#"any Nested.Map as k { k == "bar" }"#, Ok(true)),
        (r#"any Nested.Map as k { k == "hello" }"#, Ok(false)),
        (
            r#"any Nested.Map as k, v { k == "foo" and v == "bar" }"#,
            Ok(true),
        ),
        (
            r#"any Nested.Map as k { k.Color == "red" }"#,
            Err("/k references a string so /k/Color is invalid"),
        ),
        (
            r#"any Nested.SliceOfInts as i, _ { i.Color == "red" }"#,
            Err("/i references a int so /i/Color is invalid"),
        ),
        ("Nested.SliceOfPointersToStructs.0 is nil", Ok(false)),
        ("Nested.SliceOfPointersToStructs.1 is nil", Ok(true)),
        ("Nested.SliceOfPointersToStructs.0 is not nil", Ok(true)),
        ("Nested.SliceOfPointersToStructs.1 is not nil", Ok(false)),
    ]);
}

/// go-bexpr answers these with an error because the Go value is a struct (or a nil pointer to
/// one); over JSON it is an object (or `null`), which behaves as a map (see `docs/compat.md`).
#[test]
fn objects_behave_as_maps() {
    check(&[
        // go-bexpr: couldn't find key: struct field with name "bar"
        ("Nested.MapOfStructs.one.bar == `unexported`", Ok(false)),
        // go-bexpr: couldn't find key: struct field with name "Notfound"
        ("Nested.Notfound == 4", Ok(false)),
        ("Nested.Notfound != 4", Ok(true)),
        ("4 in Nested.Notfound", Ok(false)),
        ("Nested.Notfound is empty", Ok(true)),
        // go-bexpr: cannot perform in/contains operations on type struct
        ("Map in Nested", Ok(true)),
        // go-bexpr: cannot perform is-empty operations on type struct / invalid
        ("Nested.SliceOfPointersToStructs.0 is empty", Ok(false)),
        ("Nested.SliceOfPointersToStructs.1 is empty", Ok(true)),
    ]);
}

//! The body of the `filter` fuzz target (`fuzz/fuzz_targets/filter.rs`). It lives here so that
//! ordinary tests run it over the seed corpus in `fuzz/corpus/filter/` as well.

use std::sync::LazyLock;

use serde_json::{Value, json};

use crate::Filter;

/// Records with every JSON kind, empty and non-empty, for the fuzzed filters to run against.
static RECORDS: LazyLock<[Value; 3]> = LazyLock::new(|| {
    [
        json!({
            "ID": "web",
            "Name": "web/api",
            "Status": "running",
            "Priority": 50,
            "Index": 18446744073709551615u64,
            "Weight": -0.5,
            "Stop": false,
            "Datacenters": ["dc1", "dc2"],
            "Mixed": [1, "1", true, null, 2.5, [], {}],
            "Meta": {"team": "pay", "empty": "", "": "blank", "a/b": "slash", "t~": "tilde"},
            "Empty": {},
            "None": [],
            "Periodic": null,
            "TaskGroups": [
                {"Name": "api", "Count": 3, "Tasks": [{"Name": "main", "Env": {"A": "1"}}]},
                {"Name": "db", "Count": 1, "Tasks": null}
            ]
        }),
        json!({}),
        json!({"Status": null, "Meta": null, "TaskGroups": [null, 1, "x"]}),
    ]
});

/// Parses arbitrary bytes as a filter. When they parse, checks that the canonical text parses
/// back to an equal filter and prints the same, and evaluates the filter against sample
/// records.
///
/// # Panics
///
/// When the canonical text does not read back: that is what the fuzzer looks for. Any other
/// panic comes from a bug in parsing or evaluation.
pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(filter) = Filter::parse(&text) else {
        return;
    };
    let printed = filter.to_string();
    let reparsed = Filter::parse(&printed)
        .unwrap_or_else(|e| panic!("canonical text {printed:?} of {text:?} fails: {e}"));
    assert_eq!(reparsed, filter, "{text:?} printed as {printed:?}");
    assert_eq!(reparsed.to_string(), printed, "canonical text of {text:?}");
    for record in RECORDS.iter() {
        assert_eq!(
            filter.matches(record),
            filter.evaluate(record) == Ok(true),
            "{text:?}"
        );
    }
}

//! `Job::validate`: a table of cases with Nomad's exact messages
//! (`tests/golden/model/validate/cases.json`), the multi-error text, warnings and the limits.
//!
//! Each case starts from a small valid service job, sets the fields its `set` names (JSON
//! pointers into the job), canonicalizes it unless `raw`, and expects exactly `errors` (the
//! top-level entries; nested group and task lists are Nomad's text inside them).

use std::path::Path;

use drover::model::{Job, ValidationConfig, decode_value};
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[derive(Deserialize)]
struct Case {
    name: String,
    #[serde(default)]
    set: Map<String, Value>,
    #[serde(default)]
    raw: bool,
    #[serde(default)]
    config: Option<Config>,
    errors: Vec<String>,
}

#[derive(Deserialize)]
struct Config {
    max_priority: Option<i64>,
    max_count: Option<i64>,
}

fn base_job() -> Value {
    json!({
        "ID": "web",
        "Datacenters": ["dc1"],
        "TaskGroups": [{"Name": "g", "Tasks": [{"Name": "t", "Driver": "docker"}]}]
    })
}

/// Sets `value` at `pointer`, creating objects (and appending to arrays) on the way.
fn set(document: &mut Value, pointer: &str, value: Value) {
    if pointer.is_empty() {
        *document = value;
        return;
    }
    let mut target = document;
    for token in pointer.trim_start_matches('/').split('/') {
        target = match target {
            Value::Array(items) => {
                let index: usize = token.parse().expect("array index");
                if index == items.len() {
                    items.push(json!({}));
                }
                &mut items[index]
            }
            Value::Object(members) => members.entry(token).or_insert(json!({})),
            other => panic!("cannot descend into {other} at {token}"),
        };
    }
    *target = value;
}

fn check(case: &Case) {
    let mut document = base_job();
    for (pointer, value) in &case.set {
        set(&mut document, pointer, value.clone());
    }
    let mut job: Job =
        decode_value(document, "Job").unwrap_or_else(|e| panic!("{}: {e}", case.name));
    if !case.raw {
        job.canonicalize();
    }
    let mut config = ValidationConfig::default();
    if let Some(c) = &case.config {
        config.max_priority = c.max_priority.unwrap_or(config.max_priority);
        config.max_count = c.max_count.unwrap_or(config.max_count);
    }
    let actual = match job.validate_with(&config) {
        Ok(()) => Vec::new(),
        Err(errors) => errors.errors().to_vec(),
    };
    assert_eq!(actual, case.errors, "case: {}", case.name);
}

#[test]
fn validation_cases_give_nomads_messages() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/model/validate/cases.json");
    let text = std::fs::read_to_string(&path).expect("cases");
    let cases: Vec<Case> = serde_json::from_str(&text).expect("cases json");
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    let failing: Vec<String> = cases
        .iter()
        .filter(|case| std::panic::catch_unwind(|| check(case)).is_err())
        .map(|case| case.name.clone())
        .collect();
    assert!(failing.is_empty(), "failing cases: {failing:#?}");
}

#[test]
fn display_is_nomads_multierror_text() {
    let mut job: Job = decode_value(json!({"ID": "a b", "Priority": 500}), "Job").expect("decode");
    job.canonicalize();
    let error = job.validate().expect_err("invalid");
    assert_eq!(
        error.to_string(),
        "3 errors occurred:\n\t* Job ID contains a space\n\t* Missing job task groups\n\t* job priority must be between [1, 100]\n\n"
    );
}

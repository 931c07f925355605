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

/// The base job with `set` applied, canonicalized.
fn job_with(set_fields: Value) -> Job {
    let mut document = base_job();
    for (pointer, value) in set_fields.as_object().expect("object") {
        set(&mut document, pointer, value.clone());
    }
    let mut job: Job = decode_value(document, "Job").expect("decode");
    job.canonicalize();
    job
}

#[test]
fn warnings_give_nomads_entries_and_text() {
    let check = |set_fields: Value, expected: &[&str]| {
        let job = job_with(set_fields.clone());
        assert_eq!(job.warnings(), expected, "{set_fields}");
    };
    check(json!({}), &[]);
    check(
        json!({"/TaskGroups/0/Count": 2, "/TaskGroups/0/Update": {"MaxParallel": 3}}),
        &[
            "Group \"g\" has warnings: 1 error occurred:\n\t* Update max parallel count is greater than task group count (3 > 2). A destructive change would result in the simultaneous replacement of all allocations.\n\n",
        ],
    );
    check(
        json!({"/TaskGroups/0/Networks": [{"MBits": 10}],
               "/TaskGroups/0/Tasks/0/Resources": {"IOPS": 5, "Networks": [{"MBits": 1}]}}),
        &[
            "Group \"g\" has warnings: 2 errors occurred:\n\t* mbits has been deprecated as of Nomad 0.12.0. Please remove mbits from the network block\n\t* Task \"t\" has warnings: 2 errors occurred:\n\t* IOPS has been deprecated as of Nomad 0.9.0. Please remove IOPS from resource block.\n\t* task network resources have been deprecated as of Nomad 0.12.0. Please configure networking via group network block.\n\n\n\n",
        ],
    );
    check(
        json!({"/TaskGroups/0/Services": [{"Name": "web"}],
               "/TaskGroups/0/Tasks/0/Services": [{"Name": "t"}]}),
        &[
            "task \"t\" in group \"g\" defines services, but has no shutdown_delay set",
            "group \"g\" defines services, but neither the group nor any of its tasks have shutdown_delay set",
        ],
    );
    check(
        json!({"/TaskGroups/0/Services": [{"Name": "web", "TaskName": "t"}]}),
        &[
            "group \"g\" references task \"t\" in a service definition, but the task has no shutdown_delay set",
        ],
    );
    check(
        json!({"/TaskGroups/1": {"Name": "h", "Tasks": [{"Name": "t", "Driver": "docker"}], "Update": {"Canary": 1}},
               "/TaskGroups/0/Update": {"Canary": 1, "AutoPromote": true}}),
        &["auto_promote must be true for all groups to enable automatic promotion"],
    );
    check(
        json!({"/Type": "batch", "/Periodic": {"Spec": "@daily"}}),
        &["cron is deprecated and may be removed in a future release. Use crons instead"],
    );

    let job = job_with(json!({"/Type": "batch", "/Periodic": {"Spec": "@daily"},
                              "/TaskGroups/0/Networks": [{"MBits": 10}]}));
    assert_eq!(
        drover::model::format_warnings(&job.warnings()),
        "2 warnings:\n\n* Group \"g\" has warnings: 1 error occurred:\n\t* mbits has been deprecated as of Nomad 0.12.0. Please remove mbits from the network block\n* cron is deprecated and may be removed in a future release. Use crons instead"
    );
    assert_eq!(drover::model::format_warnings(&[]), "");
}

#[test]
fn spec_changed_ignores_exactly_the_server_managed_fields() {
    let old = job_with(json!({}));
    let check = |set_fields: Value, changed: bool| {
        let mut document = serde_json::to_value(&old).expect("encode");
        for (pointer, value) in set_fields.as_object().expect("object") {
            set(&mut document, pointer, value.clone());
        }
        let new: Job = decode_value(document, "Job").expect("decode");
        assert_eq!(old.spec_changed(&new), changed, "{set_fields}");
    };
    check(json!({}), false);
    for ignored in [
        json!({"/Status": "running"}),
        json!({"/StatusDescription": "x"}),
        json!({"/Stable": true}),
        json!({"/Version": 7}),
        json!({"/SubmitTime": 123}),
        json!({"/CreateIndex": 5, "/ModifyIndex": 6, "/JobModifyIndex": 7}),
    ] {
        check(ignored, false);
    }
    for counted in [
        json!({"/Meta": {"k": "v"}}),
        json!({"/NomadTokenID": "token"}),
        json!({"/VersionTag": {"Name": "v1"}}),
        json!({"/UI": {"Description": "d"}}),
        json!({"/Payload": "aGVsbG8="}),
        json!({"/Priority": 60}),
        json!({"/TaskGroups/0/Count": 2}),
        json!({"/TaskGroups/0/Tasks/0/Env": {"A": "b"}}),
        json!({"/TaskGroups/0/Tasks/0/Config": {"image": "redis"}}),
    ] {
        check(counted, true);
    }
}

//! Golden round-trips of the seed's sample payloads and responses through drover-model's types:
//! each sample decodes, re-encodes to the golden file under `tests/golden/model/encoded/`, and
//! every field the sample carries keeps its value (`null`, `[]`, `{}` and an absent field count as
//! equal). Run with `UPDATE_GOLDEN=1` to rewrite the golden files after an intended change.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use drover::model::{
    AllocListStub, AllocMetric, Deployment, Evaluation, Job, JobListStub, JobScaleStatus,
    JobSubmission, JobSummary, ServiceRegistration, decode_value,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Sample fields drover reads but does not write back, and why.
const DROPPED: &[(&str, &str, &str)] = &[
    (
        "read_job_response.json",
        "VaultToken",
        "tokens are no longer part of Nomad's job (removed in 1.x); ignored on input",
    ),
    (
        "parse_response.json",
        "VaultToken",
        "tokens are no longer part of Nomad's job (removed in 1.x); ignored on input",
    ),
    (
        "versions_response.json",
        "ConsulToken",
        "tokens are no longer part of Nomad's job (removed in 1.x); ignored on input",
    ),
    (
        "versions_response.json",
        "VaultToken",
        "tokens are no longer part of Nomad's job (removed in 1.x); ignored on input",
    ),
    (
        "versions_diffs_response.json",
        "ConsulToken",
        "tokens are no longer part of Nomad's job (removed in 1.x); ignored on input",
    ),
    (
        "versions_diffs_response.json",
        "VaultToken",
        "tokens are no longer part of Nomad's job (removed in 1.x); ignored on input",
    ),
    (
        "read_job_response.json",
        "LogConfig.Enabled",
        "legacy field; Nomad 2 carries `Disabled` instead",
    ),
    (
        "versions_response.json",
        "LogConfig.Enabled",
        "legacy field; Nomad 2 carries `Disabled` instead",
    ),
    (
        "versions_diffs_response.json",
        "LogConfig.Enabled",
        "legacy field; Nomad 2 carries `Disabled` instead",
    ),
    (
        "submission_response.json",
        "JobIndex",
        "older documentation's name; Nomad 2 writes `JobModifyIndex` (drover reads both)",
    ),
    (
        "parse_response.json",
        "SubmitTime",
        "the API-layer job has a nil pointer here; drover's job carries 0 until registered",
    ),
];

/// Samples that carry no drover-model type at all: request and response envelopes of the Jobs
/// API, owned by drover-core.
const NOT_MODEL: &[&str] = &[
    "create_job_response.json",
    "dispatch_payload.json",
    "dispatch_response.json",
    "evaluate_payload.json",
    "evaluate_response.json",
    "parse_payload.json",
    "periodic_force_response.json",
    "revert_payload.json",
    "revert_response.json",
    "scale_payload.json",
    "scale_response.json",
    "stable_payload.json",
    "stable_response.json",
    "stop_response.json",
    "update_job_response.json",
];

/// Each model-carrying sample: the file, the JSON pointer of the part that is a model type
/// (the rest is an envelope owned by drover-core or a diff owned by drover-plan), and the check.
#[allow(clippy::type_complexity)]
const COVERED: &[(&str, &str, fn(&str, &str))] = &[
    ("allocations_response.json", "", check::<Vec<AllocListStub>>),
    ("create_job_payload.json", "/Job", check::<Job>),
    ("deployment_response.json", "", check::<Deployment>),
    ("deployments_response.json", "", check::<Vec<Deployment>>),
    ("evaluations_response.json", "", check::<Vec<Evaluation>>),
    ("list_jobs_response.json", "", check::<Vec<JobListStub>>),
    ("parse_response.json", "", check::<Job>),
    (
        "plan_response.json",
        "/CreatedEvals",
        check::<Vec<Evaluation>>,
    ),
    (
        "plan_response.json",
        "/FailedTGAllocs",
        check::<BTreeMap<String, AllocMetric>>,
    ),
    ("read_job_response.json", "", check::<Job>),
    ("scale_status_response.json", "", check::<JobScaleStatus>),
    (
        "services_response.json",
        "",
        check::<Vec<ServiceRegistration>>,
    ),
    ("submission_response.json", "", check::<JobSubmission>),
    ("summary_response.json", "", check::<JobSummary>),
    ("versions_response.json", "/Versions", check::<Vec<Job>>),
    (
        "versions_diffs_response.json",
        "/Versions",
        check::<Vec<Job>>,
    ),
];

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/model")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Decodes the part of `file` at `pointer` as `T`, re-encodes it, compares it with the sample
/// and with its golden file.
fn check<T: DeserializeOwned + Serialize>(file: &str, pointer: &str) {
    let sample = read_json(&golden_dir().join("seed").join(file));
    let part = sample
        .pointer(pointer)
        .cloned()
        .expect("pointer into sample");
    let decoded: T = decode_value(part.clone(), file).unwrap_or_else(|e| panic!("{e}"));
    let encoded = serde_json::to_value(&decoded).expect("encode");

    let dropped: Vec<&str> = DROPPED
        .iter()
        .filter(|(f, _, _)| *f == file)
        .map(|(_, field, _)| *field)
        .collect();
    let mut differences = Vec::new();
    compare("", &part, &encoded, &dropped, &mut differences);
    assert!(
        differences.is_empty(),
        "{file}{pointer} changed in the round trip:\n{}",
        differences.join("\n")
    );

    let name = format!(
        "{}{}.json",
        file.trim_end_matches(".json"),
        pointer.replace('/', "_")
    );
    let golden_path = golden_dir().join("encoded").join(name);
    // Straight from the type, so the file shows drover's field order.
    let text = serde_json::to_string_pretty(&decoded).expect("pretty") + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden_path, &text).expect("write golden");
    }
    let golden = std::fs::read_to_string(&golden_path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1)", golden_path.display()));
    assert_eq!(text, golden, "{} differs", golden_path.display());
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        Value::Object(members) => members.is_empty(),
        _ => false,
    }
}

/// Records every field of `sample` whose value `encoded` does not keep. `path` is the field path
/// without array indices (`TaskGroups.Tasks.LogConfig`), matched against `dropped` suffixes.
fn compare(path: &str, sample: &Value, encoded: &Value, dropped: &[&str], out: &mut Vec<String>) {
    if dropped
        .iter()
        .any(|d| path == *d || path.ends_with(&format!(".{d}")))
    {
        return;
    }
    match (sample, encoded) {
        _ if is_empty(sample) && is_empty(encoded) => {}
        (Value::Object(fields), Value::Object(encoded_fields)) => {
            for (name, value) in fields {
                let child = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                let encoded_value = encoded_fields.get(name).unwrap_or(&Value::Null);
                compare(&child, value, encoded_value, dropped, out);
            }
        }
        (Value::Array(items), Value::Array(encoded_items))
            if items.len() == encoded_items.len() =>
        {
            for (item, encoded_item) in items.iter().zip(encoded_items) {
                compare(path, item, encoded_item, dropped, out);
            }
        }
        _ if sample == encoded => {}
        _ => out.push(format!("  {path}: sample {sample}, encoded {encoded}")),
    }
}

#[test]
fn every_seed_sample_is_covered_or_explained() {
    let mut files: Vec<String> = std::fs::read_dir(golden_dir().join("seed"))
        .expect("seed dir")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    files.sort();
    for file in files {
        let covered = COVERED.iter().any(|(f, _, _)| *f == file);
        let explained = NOT_MODEL.contains(&file.as_str());
        assert!(
            covered != explained,
            "{file}: cover it or list it, not both or neither"
        );
    }
}

#[test]
fn seed_samples_round_trip() {
    for (file, pointer, check) in COVERED {
        check(file, pointer);
    }
}

#[test]
fn malformed_job_names_the_field() {
    let cases = [
        (
            r#"{"ID": "x", "TaskGroups": [{"Name": "g", "Count": "x"}]}"#,
            r#"Job.TaskGroups[0].Count: invalid type: string "x", expected i64"#,
        ),
        (
            r#"{"TaskGroups": [{"Tasks": [{"Resources": {"CPU": true}}]}]}"#,
            "Job.TaskGroups[0].Tasks[0].Resources.CPU: invalid type: boolean `true`, expected i64",
        ),
        (
            r#"{"Affinities": [{"Weight": 300}]}"#,
            "Job.Affinities[0].Weight: invalid value: integer `300`, expected i8",
        ),
        (r#"{"Payload": "%%%"}"#, "Job.Payload: illegal base64 data"),
        (
            r#""a job""#,
            r#"Job: invalid type: string "a job", expected struct Job"#,
        ),
        (r#"{"ID": "x",}"#, "trailing comma at line 1 column 12"),
    ];
    for (input, expected) in cases {
        let error = drover::model::decode_job(input.as_bytes()).expect_err(input);
        assert_eq!(error.to_string(), expected, "{input}");
    }
}

#[test]
fn an_envelope_decoded_with_an_empty_root_names_its_members() {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    #[allow(dead_code)]
    struct Register {
        job: Job,
    }
    let error =
        drover::model::decode::<Register>(br#"{"Job": {"TaskGroups": [{"Count": "x"}]}}"#, "")
            .err()
            .expect("wrong type");
    assert_eq!(
        error.to_string(),
        r#"Job.TaskGroups[0].Count: invalid type: string "x", expected i64"#
    );
}

#[test]
fn null_reads_as_absent() {
    let job = drover::model::decode_job(
        br#"{"ID": "x", "Priority": null, "TaskGroups": [{"Name": "g", "Count": null, "Tasks": null}]}"#,
    )
    .expect("decodes");
    assert_eq!(job.priority, 0);
    assert_eq!(
        job.task_groups[0].count, 1,
        "an absent count is Nomad's default 1"
    );
    assert!(job.task_groups[0].tasks.is_empty());
}

//! `Job::canonicalize`: the Parse Job sample, golden canonicalizations per job type, and
//! idempotence on every job the seed carries.

use std::path::{Path, PathBuf};

use drover::model::{Job, decode_job, decode_value};
use serde_json::Value;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/model")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn canonical(input: &str) -> Job {
    let mut job = decode_job(input.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    job.canonicalize();
    job
}

/// Fields of the Parse sample's response that drover deliberately fills differently, and why.
const PARSE_DIFFERENCES: &[(&str, &str)] = &[
    (
        "Datacenters",
        "the sample shows only the API layer; the server layer (which drover always applies) sets [\"*\"]",
    ),
    (
        "Update",
        "the sample predates the API layer's default update block for service jobs; Nomad 2 stores Stagger 30s, MaxParallel 1",
    ),
    (
        "SubmitTime",
        "a nil pointer in the API-layer job; drover's job carries 0",
    ),
    ("VaultToken", "no longer part of Nomad's job"),
];

#[test]
fn parse_sample_canonicalizes_to_its_response() {
    // The job the sample's response describes: only the ID and the type were given.
    let job = canonical(r#"{"ID": "my-job", "Type": "service"}"#);
    let encoded = serde_json::to_value(&job).expect("encode");
    let response: Value =
        serde_json::from_str(&read(&golden_dir().join("seed/parse_response.json"))).expect("json");
    let mut checked = 0;
    for (field, expected) in response.as_object().expect("object") {
        if PARSE_DIFFERENCES.iter().any(|(f, _)| f == field) {
            continue;
        }
        let actual = encoded.get(field).unwrap_or(&Value::Null);
        assert_eq!(actual, expected, "{field}");
        checked += 1;
    }
    assert!(checked > 20, "compared only {checked} fields");
    assert_eq!(job.datacenters, ["*"]);
    let update = job.update.expect("job-level update");
    assert_eq!(
        (update.stagger, update.max_parallel),
        (Some(30_000_000_000), Some(1))
    );
}

/// Each `tests/golden/model/canonicalize/<name>.input.json` canonicalizes to `<name>.output.json`.
/// Run with `UPDATE_GOLDEN=1` to rewrite the outputs after an intended change.
#[test]
fn golden_canonicalizations() {
    let dir = golden_dir().join("canonicalize");
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("canonicalize dir")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.to_string_lossy().ends_with(".input.json"))
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 6, "only {} golden inputs", inputs.len());
    for input in inputs {
        let job = canonical(&read(&input));
        let text = serde_json::to_string_pretty(&job).expect("encode") + "\n";
        let output = PathBuf::from(
            input
                .to_string_lossy()
                .replace(".input.json", ".output.json"),
        );
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&output, &text).expect("write golden");
        }
        assert_eq!(text, read(&output), "{} differs", output.display());
    }
}

/// Every job of the seed samples and of the golden inputs.
fn all_jobs() -> Vec<(String, Job)> {
    let seed = golden_dir().join("seed");
    let mut jobs = Vec::new();
    for (file, pointer) in [
        ("create_job_payload.json", "/Job"),
        ("read_job_response.json", ""),
        ("parse_response.json", ""),
        ("versions_response.json", "/Versions/0"),
        ("versions_diffs_response.json", "/Versions/0"),
        ("versions_diffs_response.json", "/Versions/1"),
    ] {
        let sample: Value = serde_json::from_str(&read(&seed.join(file))).expect("json");
        let part = sample.pointer(pointer).cloned().expect("pointer");
        jobs.push((
            format!("{file}{pointer}"),
            decode_value(part, "Job").expect("decode"),
        ));
    }
    for entry in std::fs::read_dir(golden_dir().join("canonicalize")).expect("dir") {
        let path = entry.expect("entry").path();
        if path.to_string_lossy().ends_with(".input.json") {
            let job = decode_job(read(&path).as_bytes()).expect("decode");
            jobs.push((path.display().to_string(), job));
        }
    }
    jobs
}

#[test]
fn canonicalize_is_idempotent_on_every_known_job() {
    for (name, mut job) in all_jobs() {
        job.canonicalize();
        let once = job.clone();
        job.canonicalize();
        assert_eq!(job, once, "{name}");
    }
}

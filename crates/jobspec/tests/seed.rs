//! The seed's parse sample (`POST /v1/jobs/parse` with `Canonicalize: true`), copied from the
//! API documentation into `tests/seed/`.

use drover_jobspec::{ParseOptions, parse};
use serde_json::Value;
use std::path::Path;

fn read(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/seed")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The documentation's response was not produced from its own request: it names the job
/// "my-job" and has no groups while the request's HCL declares job "example" with group
/// "cache". So ID, Name and TaskGroups are checked against the request, and the fields that
/// canonicalization fills are checked against the response. Datacenters, Update and the other
/// blocks are left out: the response shows only Nomad's API-side defaults, while
/// `Job::canonicalize` also applies the server's.
#[test]
fn seed_parse_sample_canonicalizes_like_nomad() {
    let payload = read("parse_payload.json");
    let expected = read("parse_response.json");
    let src = payload["JobHCL"].as_str().unwrap();
    let mut job = parse(src, &ParseOptions::default()).unwrap();
    assert_eq!(payload["Canonicalize"], Value::Bool(true));
    job.canonicalize();
    let actual = serde_json::to_value(&job).unwrap();

    assert_eq!(actual["ID"], "example");
    assert_eq!(actual["Name"], "example");
    assert_eq!(actual["TaskGroups"][0]["Name"], "cache");
    for key in [
        "AllAtOnce",
        "CreateIndex",
        "JobModifyIndex",
        "ModifyIndex",
        "Namespace",
        "ParentID",
        "Priority",
        "Region",
        "Stable",
        "Status",
        "StatusDescription",
        "Stop",
        "Type",
        "Version",
    ] {
        assert_eq!(actual[key], expected[key], "{key}");
    }
}

//! Revert and stable (`/v1/job/:id/revert`, `/v1/job/:id/stable`) through the engine: the
//! seed's sample payloads, the agent's 400s and the server's 500s.

mod engine_common;

use drover::core::api::{JobRevertRequest, JobStabilityRequest};
use drover::model::JobSubmission;
use engine_common::*;

/// Registers `my-job` four times (versions 0 to 3), each with its own `meta.v` and source.
fn four_versions(f: &Fixture) {
    for v in 0..4 {
        let mut job = sample_job("my-job");
        job.meta.insert("v".to_string(), v.to_string());
        let mut request = register(job);
        request.submission = Some(JobSubmission {
            source: format!("v{v}"),
            format: "hcl2".to_string(),
            ..JobSubmission::default()
        });
        f.engine.register_job(&ctx(), request).unwrap();
    }
}

fn revert_sample() -> JobRevertRequest {
    serde_json::from_slice(&sample("revert_payload.json")).unwrap()
}

fn stable_sample() -> JobStabilityRequest {
    serde_json::from_slice(&sample("stable_payload.json")).unwrap()
}

#[test]
fn revert_registers_the_old_spec_as_a_new_version_with_its_source() {
    let f = fixture();
    four_versions(&f);
    let response = f
        .engine
        .revert_job(&ctx(), "my-job", &revert_sample())
        .unwrap();
    assert!(!response.eval_id.is_empty());
    assert_eq!(response.job_modify_index, response.eval_create_index);

    let job = f.engine.read_job(&ctx(), "my-job").unwrap().value;
    assert_eq!((job.version, job.meta["v"].as_str()), (4, "2"));
    assert!(!job.stable);
    let submission = f.engine.job_submission(&ctx(), "my-job", 4).unwrap().value;
    assert_eq!(submission.source, "v2");
}

#[test]
fn revert_to_an_identical_spec_only_creates_an_evaluation() {
    let f = fixture();
    f.engine
        .register_job(&ctx(), register(sample_job("my-job")))
        .unwrap();
    // Version 1 changes the priority; version 2 equals version 0 again.
    let mut changed = sample_job("my-job");
    changed.priority = 70;
    f.engine.register_job(&ctx(), register(changed)).unwrap();
    f.engine
        .register_job(&ctx(), register(sample_job("my-job")))
        .unwrap();
    let before = f.engine.read_job(&ctx(), "my-job").unwrap().value;
    let request = JobRevertRequest {
        job_id: "my-job".to_string(),
        job_version: 0,
        enforce_prior_version: Some(2),
    };
    let response = f.engine.revert_job(&ctx(), "my-job", &request).unwrap();
    let after = f.engine.read_job(&ctx(), "my-job").unwrap().value;
    assert_eq!(after.version, 2);
    assert_eq!(response.job_modify_index, before.job_modify_index);
    assert!(response.eval_create_index > before.modify_index);
}

#[test]
fn revert_errors() {
    let f = fixture();
    let revert = |id: &str, job_id: &str, version: u64, enforce: Option<u64>| {
        let request = JobRevertRequest {
            job_id: job_id.to_string(),
            job_version: version,
            enforce_prior_version: enforce,
        };
        f.engine.revert_job(&ctx(), id, &request)
    };
    check_error(
        revert("my-job", "", 1, None),
        400,
        "JobID must be specified",
    );
    check_error(
        revert("my-job", "other", 1, None),
        400,
        "Job ID does not match",
    );
    check_error(
        revert("my-job", "my-job", 1, None),
        500,
        "job \"my-job\" not found",
    );
    four_versions(&f);
    check_error(
        revert("my-job", "my-job", 3, None),
        500,
        "can't revert to current version",
    );
    check_error(
        revert("my-job", "my-job", 9, None),
        500,
        "job \"my-job\" in namespace \"default\" at version 9 not found",
    );
    check_error(
        revert("my-job", "my-job", 1, Some(2)),
        500,
        "Current job has version 3; enforcing version 2",
    );
    assert_eq!(
        f.engine.read_job(&ctx(), "my-job").unwrap().value.version,
        3
    );
}

#[test]
fn stable_marks_a_version_without_an_evaluation() {
    let f = fixture();
    four_versions(&f);
    let evals_before = job_evals(&f.engine, "my-job").len();
    let response = f
        .engine
        .set_job_stability(&ctx(), "my-job", &stable_sample())
        .unwrap();
    assert!(response.index > 0);
    let versions = f
        .engine
        .job_versions(&ctx(), "my-job", &Default::default())
        .unwrap()
        .value
        .versions;
    let stable: Vec<(u64, bool)> = versions.iter().map(|j| (j.version, j.stable)).collect();
    assert_eq!(stable, [(3, false), (2, true), (1, false), (0, false)]);
    assert_eq!(job_evals(&f.engine, "my-job").len(), evals_before);
}

#[test]
fn stable_errors() {
    let f = fixture();
    let stable = |id: &str, job_id: &str, version: u64| {
        let request = JobStabilityRequest {
            job_id: job_id.to_string(),
            job_version: version,
            stable: true,
        };
        f.engine.set_job_stability(&ctx(), id, &request)
    };
    check_error(stable("my-job", "", 0), 400, "JobID must be specified");
    check_error(stable("my-job", "other", 0), 400, "Job ID does not match");
    check_error(
        stable("my-job", "my-job", 0),
        500,
        "job \"my-job\" in namespace \"default\" at version 0 not found",
    );
    four_versions(&f);
    check_error(
        stable("my-job", "my-job", 7),
        500,
        "job \"my-job\" in namespace \"default\" at version 7 not found",
    );
}

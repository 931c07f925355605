//! Dispatch (`/v1/job/:id/dispatch`) through the engine: the seed's sample payload, children
//! and their evaluations, idempotency tokens, and every error Nomad lists.

mod engine_common;

use std::sync::Arc;

use drover::core::api::{JobDeregisterOptions, JobDispatchRequest};
use drover::model::{Job, ParameterizedJobConfig};
use engine_common::*;

/// A batch job `params` taking an optional payload, `key` optional and `need` required
/// when `required` is set.
fn parameterized(payload: &str, required: &[&str]) -> Job {
    let mut job = sample_job("params");
    job.job_type = "batch".into();
    job.update = None;
    Arc::make_mut(&mut job.task_groups[0]).update = None;
    Arc::make_mut(&mut job.task_groups[0]).reschedule_policy = None;
    Arc::make_mut(&mut job.task_groups[0]).migrate = None;
    job.parameterized_job = Some(ParameterizedJobConfig {
        payload: payload.to_string(),
        meta_required: required.iter().map(|k| k.to_string()).collect(),
        meta_optional: vec!["key".to_string()],
    });
    job
}

/// The seed's sample with its payload made valid base64: the sample's `A28C3==` is 7
/// characters, which Nomad's decoder rejects too.
fn dispatch_sample() -> JobDispatchRequest {
    let raw = sample("dispatch_payload.json");
    assert!(serde_json::from_slice::<JobDispatchRequest>(&raw).is_err());
    let fixed = String::from_utf8(raw)
        .unwrap()
        .replace("A28C3==", "A28C3w==");
    serde_json::from_str(&fixed).unwrap()
}

#[test]
fn the_sample_payload_dispatches_a_child_with_an_evaluation() {
    let f = fixture();
    f.engine
        .register_job(&ctx(), register(parameterized("optional", &[])))
        .unwrap();
    let response = f
        .engine
        .dispatch_job(&ctx(), "params", dispatch_sample(), "")
        .unwrap();
    assert!(
        response
            .dispatched_job_id
            .starts_with("params/dispatch-1704067200-")
    );
    assert_eq!(
        response.dispatched_job_id.len(),
        "params/dispatch-1704067200-".len() + 8
    );
    assert_eq!(response.eval_create_index, response.index);
    assert_eq!(response.job_create_index, response.index);

    let child = f
        .engine
        .read_job(&ctx(), &response.dispatched_job_id)
        .unwrap()
        .value;
    assert_eq!(child.parent_id, "params");
    assert_eq!(child.name, child.id);
    assert!(child.dispatched);
    assert_eq!(child.meta["key"], "Value");
    assert_eq!(child.payload, dispatch_sample().payload);
    assert_eq!(child.submit_time, START);
    let evals = job_evals(&f.engine, &child.id);
    assert_eq!(evals.len(), 1);
    assert_eq!(evals[0].id, response.eval_id);
    assert_eq!(evals[0].triggered_by, "job-register");
}

#[test]
fn a_prefix_template_and_a_priority_shape_the_child() {
    let f = fixture();
    f.engine
        .register_job(&ctx(), register(parameterized("optional", &[])))
        .unwrap();
    let request = JobDispatchRequest {
        id_prefix_template: "nightly".to_string(),
        priority: 80,
        ..JobDispatchRequest::default()
    };
    let response = f
        .engine
        .dispatch_job(&ctx(), "params", request, "")
        .unwrap();
    assert!(
        response
            .dispatched_job_id
            .starts_with("params/dispatch-nightly-1704067200-")
    );
    let evals = job_evals(&f.engine, &response.dispatched_job_id);
    assert_eq!(evals[0].priority, 80);
}

#[test]
fn an_idempotency_token_answers_the_existing_child() {
    let f = fixture();
    f.engine
        .register_job(&ctx(), register(parameterized("optional", &[])))
        .unwrap();
    let first = f
        .engine
        .dispatch_job(&ctx(), "params", dispatch_sample(), "token-1")
        .unwrap();
    let again = f
        .engine
        .dispatch_job(&ctx(), "params", dispatch_sample(), "token-1")
        .unwrap();
    assert_eq!(again.dispatched_job_id, first.dispatched_job_id);
    assert_eq!(again.job_create_index, first.job_create_index);
    assert_eq!(again.eval_id, "");
    assert_eq!(again.eval_create_index, 0);
    let other = f
        .engine
        .dispatch_job(&ctx(), "params", dispatch_sample(), "token-2")
        .unwrap();
    assert_ne!(other.dispatched_job_id, first.dispatched_job_id);
}

#[test]
fn dispatch_errors() {
    let f = fixture();
    let with = |payload: &[u8], meta: &[(&str, &str)], priority: i32| JobDispatchRequest {
        payload: payload.to_vec(),
        meta: meta
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        priority,
        ..JobDispatchRequest::default()
    };
    let mismatched = JobDispatchRequest {
        job_id: "other".to_string(),
        ..JobDispatchRequest::default()
    };
    check_error(
        f.engine.dispatch_job(&ctx(), "params", mismatched, ""),
        400,
        "Job ID does not match",
    );
    check_error(
        f.engine
            .dispatch_job(&ctx(), "params", with(b"", &[], 0), ""),
        500,
        "parameterized job not found",
    );
    f.engine
        .register_job(&ctx(), register(sample_job("plain")))
        .unwrap();
    check_error(
        f.engine
            .dispatch_job(&ctx(), "plain", with(b"", &[], 0), ""),
        500,
        "Specified job \"plain\" is not a parameterized job",
    );

    f.engine
        .register_job(&ctx(), register(parameterized("required", &["need"])))
        .unwrap();
    let cases: &[(JobDispatchRequest, &str)] = &[
        (
            with(b"", &[("need", "1")], 0),
            "Payload is not provided but required by parameterized job",
        ),
        (
            with(&[0; 16385], &[("need", "1")], 0),
            "Payload exceeds maximum size; 16385 > 16384",
        ),
        (
            with(b"x", &[("need", "1"), ("zz", "1"), ("aa", "1")], 0),
            "Dispatch request included unpermitted metadata keys: [aa zz]",
        ),
        (
            with(b"x", &[("key", "1")], 0),
            "Dispatch did not provide required meta keys: [need]",
        ),
        (
            with(b"x", &[("need", "1")], 101),
            "dispatch job priority must be between [1, 100]",
        ),
        (
            with(b"x", &[("need", "1")], -1),
            "dispatch job priority must be between [1, 100]",
        ),
    ];
    for (request, message) in cases {
        check_error(
            f.engine.dispatch_job(&ctx(), "params", request.clone(), ""),
            500,
            message,
        );
    }
    // A dispatched child is not itself parameterized.
    let child = f
        .engine
        .dispatch_job(&ctx(), "params", with(b"x", &[("need", "1")], 0), "")
        .unwrap()
        .dispatched_job_id;
    check_error(
        f.engine
            .dispatch_job(&ctx(), &child, with(b"x", &[("need", "1")], 0), ""),
        500,
        &format!("Specified job \"{child}\" is not a parameterized job"),
    );

    f.engine
        .register_job(&ctx(), register(parameterized("forbidden", &[])))
        .unwrap();
    check_error(
        f.engine
            .dispatch_job(&ctx(), "params", with(b"x", &[], 0), ""),
        500,
        "Payload provided but forbidden by parameterized job",
    );
    f.engine
        .deregister_job(&ctx(), "params", &JobDeregisterOptions::default())
        .unwrap();
    check_error(
        f.engine
            .dispatch_job(&ctx(), "params", with(b"", &[], 0), ""),
        500,
        "Specified job \"params\" is stopped",
    );
}

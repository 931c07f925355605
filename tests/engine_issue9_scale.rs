//! Scale and scale status (`/v1/job/:id/scale`) through the engine: the seed's sample
//! payload, event-only requests, every scaling error, desired counts, live allocations by
//! client status, the stopped flag, and the 404.

mod engine_common;

use std::sync::Arc;

use drover::core::api::{JobDeregisterOptions, ScalingRequest};
use drover::model::ClientStatus;
use drover::model::ScalingPolicy;
use drover::state::ClientAllocUpdate;
use engine_common::*;

#[test]
fn scale_status_counts_the_live_allocations_of_each_group() {
    let f = fixture();
    f.engine.upsert_node(node("n1", "ready")).unwrap();
    f.engine.register_job(&ctx(), sample_register()).unwrap();
    f.engine.process_until_idle().unwrap();
    let status = f.engine.job_scale_status(&ctx(), "cache").unwrap();
    let job = f.engine.read_job(&ctx(), "cache").unwrap().value;
    let value = &status.value;
    assert_eq!(
        (value.job_id.as_str(), value.namespace.as_str()),
        ("cache", "default")
    );
    assert_eq!(value.job_create_index, job.create_index);
    assert_eq!(value.job_modify_index, job.modify_index);
    assert!(!value.job_stopped);
    let groups: Vec<(&str, i64, i64, i64)> = value
        .task_groups
        .iter()
        .map(|(name, g)| (name.as_str(), g.desired, g.placed, g.running))
        .collect();
    let desired = job.task_groups[0].count;
    assert_eq!(groups, [("cache", desired, desired, 0)]);
    assert!(value.task_groups["cache"].events.is_empty());
    assert!(status.index >= job.modify_index);

    let first = f
        .engine
        .job_allocations(&ctx(), "cache", false)
        .unwrap()
        .value[0]
        .id
        .clone();
    let update = ClientAllocUpdate {
        alloc_id: first.into(),
        client_status: ClientStatus::Running,
        ..ClientAllocUpdate::default()
    };
    f.engine.update_allocs_from_client(vec![update]).unwrap();
    let value = f.engine.job_scale_status(&ctx(), "cache").unwrap().value;
    assert_eq!(value.task_groups["cache"].running, 1);

    f.engine
        .deregister_job(&ctx(), "cache", &JobDeregisterOptions::default())
        .unwrap();
    f.engine.process_until_idle().unwrap();
    let value = f.engine.job_scale_status(&ctx(), "cache").unwrap().value;
    assert!(value.job_stopped);
    assert_eq!(value.task_groups["cache"].placed, 0);
}

#[test]
fn scale_status_of_a_missing_job_is_404() {
    let f = fixture();
    check_error(
        f.engine.job_scale_status(&ctx(), "nope"),
        404,
        "job not found",
    );
}

fn scale_sample() -> ScalingRequest {
    serde_json::from_slice(&sample("scale_payload.json")).unwrap()
}

fn scale(group: &str, count: Option<i64>) -> ScalingRequest {
    ScalingRequest {
        count,
        target: [("Group".to_string(), group.to_string())].into(),
        ..ScalingRequest::default()
    }
}

#[test]
fn the_sample_payload_scales_the_group_with_an_evaluation_and_an_event() {
    let f = fixture();
    f.engine.register_job(&ctx(), sample_register()).unwrap();
    let before = f.engine.read_job(&ctx(), "cache").unwrap().value;
    let response = f.engine.scale_job(&ctx(), "cache", scale_sample()).unwrap();
    assert_eq!(response.job_modify_index, response.index);
    assert_eq!(response.eval_create_index, response.index);
    let job = f.engine.read_job(&ctx(), "cache").unwrap().value;
    assert_eq!(
        (job.version, job.task_groups[0].count),
        (before.version + 1, 5)
    );
    let evals = job_evals(&f.engine, "cache");
    let last = evals.last().unwrap();
    assert_eq!(
        (last.id.as_str(), last.triggered_by.as_str()),
        (response.eval_id.as_str(), "job-scaling")
    );

    let status = f.engine.job_scale_status(&ctx(), "cache").unwrap().value;
    let events = &status.task_groups["cache"].events;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].count, Some(5));
    assert_eq!(events[0].previous_count, before.task_groups[0].count);
    assert_eq!(events[0].message, "metric did not satisfy SLA");
    assert_eq!(
        events[0].eval_id.as_deref(),
        Some(response.eval_id.as_str())
    );
    assert_eq!(events[0].time, START);
}

#[test]
fn without_a_count_only_the_event_is_recorded() {
    let f = fixture();
    f.engine.register_job(&ctx(), sample_register()).unwrap();
    let before = f.engine.read_job(&ctx(), "cache").unwrap().value;
    let mut request = scale("cache", None);
    request.error = true;
    request.message = "failed".to_string();
    let response = f.engine.scale_job(&ctx(), "cache", request).unwrap();
    assert_eq!(response.eval_id, "");
    assert_eq!(response.job_modify_index, before.modify_index);
    assert!(response.index > before.modify_index);
    let job = f.engine.read_job(&ctx(), "cache").unwrap().value;
    assert_eq!(job.version, before.version);
    let status = f.engine.job_scale_status(&ctx(), "cache").unwrap().value;
    assert!(status.task_groups["cache"].events[0].error);
}

#[test]
fn scale_errors() {
    let f = fixture();
    let mut other_job = scale("cache", Some(1));
    other_job
        .target
        .insert("Job".to_string(), "other".to_string());
    check_error(
        f.engine.scale_job(&ctx(), "cache", other_job),
        400,
        "job ID in payload did not match URL",
    );
    let mut other_ns = scale("cache", Some(1));
    other_ns
        .target
        .insert("Namespace".to_string(), "prod".to_string());
    check_error(
        f.engine.scale_job(&ctx(), "cache", other_ns),
        400,
        "namespace in payload did not match header",
    );
    check_error(
        f.engine.scale_job(&ctx(), "cache", scale("", Some(1))),
        400,
        "missing task group name for scaling action",
    );
    check_error(
        f.engine
            .scale_job(&ctx(), "cache", scale("cache", Some(-1))),
        400,
        "scaling action count can't be negative",
    );
    let mut error_with_count = scale("cache", Some(1));
    error_with_count.error = true;
    check_error(
        f.engine.scale_job(&ctx(), "cache", error_with_count),
        400,
        "scaling action should not contain count if error is true",
    );
    check_error(
        f.engine.scale_job(&ctx(), "cache", scale("cache", Some(1))),
        404,
        "job \"cache\" not found",
    );

    let mut job = sample_job("cache");
    Arc::make_mut(&mut job.task_groups[0]).scaling = Some(ScalingPolicy {
        min: Some(1),
        max: Some(4),
        ..ScalingPolicy::default()
    });
    Arc::make_mut(&mut job.task_groups[0]).count = 2;
    f.engine.register_job(&ctx(), register(job)).unwrap();
    check_error(
        f.engine.scale_job(&ctx(), "cache", scale("nope", Some(1))),
        400,
        "task group \"nope\" specified for scaling does not exist in job",
    );
    check_error(
        f.engine.scale_job(&ctx(), "cache", scale("cache", Some(0))),
        400,
        "group count was less than scaling policy minimum: 0 < 1",
    );
    check_error(
        f.engine.scale_job(&ctx(), "cache", scale("cache", Some(5))),
        400,
        "group count was greater than scaling policy maximum: 5 > 4",
    );
    let current = f
        .engine
        .read_job(&ctx(), "cache")
        .unwrap()
        .value
        .job_modify_index;
    let mut stale = scale("cache", Some(3));
    stale.job_modify_index = current + 7;
    check_error(
        f.engine.scale_job(&ctx(), "cache", stale),
        500,
        &format!(
            "Enforcing job modify index {}: job exists with conflicting job modify index: {current}",
            current + 7
        ),
    );

    let mut system = sample_job("sys");
    system.job_type = "system".into();
    Arc::make_mut(&mut system.task_groups[0]).count = 1;
    f.engine.register_job(&ctx(), register(system)).unwrap();
    check_error(
        f.engine.scale_job(&ctx(), "sys", scale("nope", Some(2))),
        400,
        "jobs of type \"system\" can only be scaled between 0 and 1",
    );
}

#[test]
fn an_active_deployment_blocks_scaling() {
    let f = fixture();
    f.engine.upsert_node(node("n1", "ready")).unwrap();
    f.engine.register_job(&ctx(), sample_register()).unwrap();
    f.engine.process_until_idle().unwrap();
    let deployment = f
        .engine
        .job_latest_deployment(&ctx(), "cache")
        .unwrap()
        .value;
    assert!(deployment.is_some_and(|d| d.active()));
    check_error(
        f.engine.scale_job(&ctx(), "cache", scale("cache", Some(2))),
        400,
        "job scaling blocked due to active deployment",
    );
    // An event alone is still recorded.
    assert!(
        f.engine
            .scale_job(&ctx(), "cache", scale("cache", None))
            .is_ok()
    );
}

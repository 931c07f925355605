//! Periodic jobs through the engine: ticks launch due children, stops and purges end the
//! launches, the force endpoint and its errors, and the plan's `NextPeriodicLaunch`.

mod engine_common;

use drover::core::api::{JobDeregisterOptions, JobPlanRequest};
use drover::model::{Job, MINUTE, PeriodicConfig};
use engine_common::*;

/// A batch job launching every five minutes.
fn periodic(id: &str, enabled: bool) -> Job {
    let mut job = sample_job(id);
    job.job_type = "batch".into();
    job.periodic = Some(PeriodicConfig {
        enabled,
        spec: "*/5 * * * *".to_string(),
        ..PeriodicConfig::default()
    });
    job
}

fn children(f: &Fixture, parent: &str) -> Vec<String> {
    f.engine
        .snapshot()
        .job_children("default", parent)
        .map(|j| j.id.to_string())
        .collect()
}

#[test]
fn ticks_launch_due_children_with_periodic_job_evaluations() {
    let f = fixture();
    f.engine
        .register_job(&ctx(), register(periodic("pj", true)))
        .unwrap();
    f.engine.tick(START + MINUTE).unwrap();
    assert!(children(&f, "pj").is_empty());

    let at = START + 5 * MINUTE;
    f.clock.set(at);
    f.engine.tick(at).unwrap();
    f.engine.tick(at).unwrap();
    assert_eq!(children(&f, "pj"), ["pj/periodic-1704067500"]);
    let child = f
        .engine
        .read_job(&ctx(), "pj/periodic-1704067500")
        .unwrap()
        .value;
    assert_eq!(
        (child.parent_id.as_str(), child.periodic.is_none()),
        ("pj", true)
    );
    assert_eq!(child.submit_time, at);
    let evals = job_evals(&f.engine, "pj/periodic-1704067500");
    assert_eq!(evals.len(), 1);
    assert_eq!(evals[0].triggered_by, "periodic-job");

    // A stopped job launches no more.
    f.engine
        .deregister_job(&ctx(), "pj", &JobDeregisterOptions::default())
        .unwrap();
    f.engine.tick(START + 10 * MINUTE).unwrap();
    assert_eq!(children(&f, "pj").len(), 1);
}

#[test]
fn force_launches_now() {
    let f = fixture();
    f.engine
        .register_job(&ctx(), register(periodic("pj", true)))
        .unwrap();
    let response = f.engine.force_periodic_launch(&ctx(), "pj").unwrap();
    assert_eq!(children(&f, "pj"), ["pj/periodic-1704067200"]);
    assert_eq!(response.eval_create_index, response.index);
    let evals = job_evals(&f.engine, "pj/periodic-1704067200");
    assert_eq!(evals[0].id, response.eval_id);
}

#[test]
fn force_errors() {
    let f = fixture();
    check_error(
        f.engine.force_periodic_launch(&ctx(), "pj"),
        500,
        "job not found",
    );
    f.engine
        .register_job(&ctx(), register(sample_job("plain")))
        .unwrap();
    check_error(
        f.engine.force_periodic_launch(&ctx(), "plain"),
        500,
        "can't force launch non-periodic job",
    );
    f.engine
        .register_job(&ctx(), register(periodic("off", false)))
        .unwrap();
    check_error(
        f.engine.force_periodic_launch(&ctx(), "off"),
        500,
        "force launch for job \"off\" failed: can't force run non-tracked job \"off\" (default)",
    );
    f.engine
        .register_job(&ctx(), register(periodic("pj", true)))
        .unwrap();
    f.engine
        .deregister_job(&ctx(), "pj", &JobDeregisterOptions::default())
        .unwrap();
    check_error(
        f.engine.force_periodic_launch(&ctx(), "pj"),
        500,
        "force launch for job \"pj\" failed: can't force run non-tracked job \"pj\" (default)",
    );
}

#[test]
fn plan_reports_the_next_launch() {
    let f = fixture();
    let plan = |job: Job| {
        let id = job.id.clone();
        let request = JobPlanRequest {
            job: Some(job),
            ..JobPlanRequest::default()
        };
        f.engine.plan_job(&ctx(), &id, request).unwrap()
    };
    assert_eq!(
        plan(periodic("pj", true)).next_periodic_launch,
        "2024-01-01T00:05:00Z"
    );
    assert_eq!(
        plan(periodic("off", false)).next_periodic_launch,
        "0001-01-01T00:00:00Z"
    );
}

//! The whole path through the engine: nodes register, a job is registered and a worker places
//! it; allocations, evaluations and the summary agree; a client reports; a destructive update
//! replaces the allocation; versions show the diff; a plan shows what a change would do;
//! stop stops the allocations; purge removes the job with its versions and allocations and
//! keeps its evaluations; replaying the log rebuilds the same state. And blocked evaluations:
//! placements that do not fit wait until a node brings capacity.

mod engine_common;

use std::sync::Arc;

use drover::core::api::{JobDeregisterOptions, JobPlanRequest, JobVersionsOptions};
use drover::model::ClientStatus;
use drover::model::DesiredStatus;
use drover::model::{AllocListStub, EvalStatus, Evaluation};
use drover::state::{ClientAllocUpdate, StateStore};
use engine_common::*;

fn allocs(f: &Fixture, job_id: &str, all: bool) -> Vec<AllocListStub> {
    f.engine.job_allocations(&ctx(), job_id, all).unwrap().value
}

fn evals(f: &Fixture, job_id: &str) -> Vec<Evaluation> {
    job_evals(&f.engine, job_id)
}

/// Three allocations of 1500 MHz: two fit on one node.
fn big_job() -> drover::model::Job {
    let mut job = sample_job("big");
    let group = Arc::make_mut(&mut job.task_groups[0]);
    group.count = 3;
    Arc::make_mut(&mut group.tasks[0])
        .resources
        .get_or_insert_default()
        .cpu = 1500;
    job
}

fn report(f: &Fixture, alloc_id: &str, status: ClientStatus) {
    let update = ClientAllocUpdate {
        alloc_id: alloc_id.to_string(),
        client_status: status,
        ..ClientAllocUpdate::default()
    };
    f.engine.update_allocs_from_client(vec![update]).unwrap();
}

#[test]
fn register_place_update_stop_and_purge() {
    let f = fixture();
    for id in ["n1", "n2", "n3"] {
        f.engine.upsert_node(node(id, "ready")).unwrap();
    }

    // Register: the worker places one allocation and completes the evaluation.
    let registered = f.engine.register_job(&ctx(), sample_register()).unwrap();
    assert_eq!(f.engine.process_until_idle().unwrap(), 1);
    let placed = allocs(&f, "cache", false);
    assert_eq!(placed.len(), 1);
    assert_eq!(
        (
            placed[0].desired_status.as_str(),
            placed[0].client_status.as_str(),
            placed[0].name.as_str(),
            placed[0].eval_id.as_str()
        ),
        (
            "run",
            "pending",
            "cache.cache[0]",
            registered.eval_id.as_str()
        )
    );
    let register_eval = evals(&f, "cache").pop().unwrap();
    assert_eq!(register_eval.status, EvalStatus::Complete);
    assert_eq!(register_eval.queued_allocations.get("cache"), Some(&0));
    let summary = f.engine.job_summary(&ctx(), "cache").unwrap().value;
    assert_eq!(
        (
            summary.summary["cache"].starting,
            summary.summary["cache"].queued
        ),
        (1, 0)
    );

    // A service job with an update block rolls out in a deployment.
    let deployment = f
        .engine
        .job_latest_deployment(&ctx(), "cache")
        .unwrap()
        .value
        .expect("a deployment");
    assert_eq!(
        (deployment.status.as_str(), deployment.job_version),
        ("running", 0)
    );
    let alloc = f.engine.snapshot().alloc(&placed[0].id).unwrap();
    assert_eq!(alloc.deployment_id, deployment.id);

    // The client reports: running, and the job with it.
    report(&f, &placed[0].id, ClientStatus::Running);
    let summary = f.engine.job_summary(&ctx(), "cache").unwrap().value;
    assert_eq!(
        (
            summary.summary["cache"].running,
            summary.summary["cache"].starting
        ),
        (1, 0)
    );
    assert_eq!(
        f.engine.read_job(&ctx(), "cache").unwrap().value.status,
        "running"
    );

    // A plan of a count change: one more allocation, nothing else touched.
    let mut bigger = sample_job("cache");
    Arc::make_mut(&mut bigger.task_groups[0]).count = 2;
    let plan = f
        .engine
        .plan_job(
            &ctx(),
            "cache",
            JobPlanRequest {
                job: Some(bigger),
                diff: true,
                ..JobPlanRequest::default()
            },
        )
        .unwrap();
    assert_eq!(plan.job_modify_index, registered.job_modify_index);
    golden("flow_plan_count", &plan);

    // A destructive update: a new image replaces the allocation.
    let mut update = sample_job("cache");
    let group = Arc::make_mut(&mut update.task_groups[0]);
    Arc::make_mut(&mut group.tasks[0])
        .config
        .insert("image".to_string(), serde_json::json!("redis:8"));
    let updated = f.engine.register_job(&ctx(), register(update)).unwrap();
    f.engine.process_until_idle().unwrap();
    let after = allocs(&f, "cache", false);
    assert_eq!(after.len(), 2);
    let old = after.iter().find(|a| a.id == placed[0].id).unwrap();
    let new = after.iter().find(|a| a.id != placed[0].id).unwrap();
    assert_eq!(old.desired_status, DesiredStatus::Stop);
    assert_eq!((new.desired_status.as_str(), new.job_version), ("run", 1));
    assert_eq!(new.eval_id, updated.eval_id);
    let versions = f
        .engine
        .job_versions(
            &ctx(),
            "cache",
            &JobVersionsOptions {
                diffs: true,
                ..JobVersionsOptions::default()
            },
        )
        .unwrap()
        .value;
    golden("flow_versions_diffs", &versions.diffs);
    let deployments = f.engine.job_deployments(&ctx(), "cache", false).unwrap();
    let latest = f.engine.job_latest_deployment(&ctx(), "cache").unwrap();
    assert_eq!(deployments.index, latest.index);
    let latest = latest.value.expect("a deployment");
    assert_eq!((deployments.value.len(), latest.job_version), (2, 1));
    let first = deployments
        .value
        .iter()
        .find(|d| d.id == deployment.id)
        .unwrap();
    assert_eq!(
        (first.status.as_str(), first.status_description.as_str()),
        ("cancelled", "Cancelled due to newer version of job")
    );

    // Stop: a new version, and the allocation is stopped.
    report(&f, &old.id, ClientStatus::Complete);
    report(&f, &new.id, ClientStatus::Running);
    let stopped = f
        .engine
        .deregister_job(&ctx(), "cache", &JobDeregisterOptions::default())
        .unwrap();
    f.engine.process_until_idle().unwrap();
    let job = f.engine.read_job(&ctx(), "cache").unwrap().value;
    assert_eq!((job.stop, job.version), (true, 2));
    assert!(
        allocs(&f, "cache", false)
            .iter()
            .all(|a| a.desired_status == DesiredStatus::Stop)
    );
    let stop_eval = evals(&f, "cache")
        .into_iter()
        .find(|e| e.id == stopped.eval_id)
        .unwrap();
    assert_eq!(stop_eval.status, EvalStatus::Complete);
    report(&f, &new.id, ClientStatus::Complete);
    assert_eq!(
        f.engine.read_job(&ctx(), "cache").unwrap().value.status,
        "dead"
    );

    // Purge: the job, its versions and allocations go; its evaluations stay readable.
    let evals_before = evals(&f, "cache").len();
    let purged = f
        .engine
        .deregister_job(
            &ctx(),
            "cache",
            &JobDeregisterOptions {
                purge: true,
                ..JobDeregisterOptions::default()
            },
        )
        .unwrap();
    f.engine.process_until_idle().unwrap();
    check_error(f.engine.read_job(&ctx(), "cache"), 404, "job not found");
    check_error(
        f.engine
            .job_versions(&ctx(), "cache", &JobVersionsOptions::default()),
        404,
        "job versions not found",
    );
    assert!(allocs(&f, "cache", true).is_empty());
    let remaining = evals(&f, "cache");
    assert_eq!(remaining.len(), evals_before + 1);
    assert!(remaining.iter().all(|e| e.status == EvalStatus::Complete));
    assert!(remaining.iter().any(|e| e.id == purged.eval_id));

    // The log rebuilds exactly this state.
    let store = StateStore::new();
    for (index, command) in f.log.entries() {
        store.apply(index, &command).unwrap();
    }
    assert!(store.snapshot() == f.engine.snapshot());
}

#[test]
fn blocked_placements_wait_for_capacity() {
    let f = fixture();
    f.engine.upsert_node(node("n1", "ready")).unwrap();
    let job = big_job();
    f.engine.register_job(&ctx(), register(job)).unwrap();
    f.engine.process_until_idle().unwrap();
    assert_eq!(allocs(&f, "big", false).len(), 2);
    let blocked: Vec<Evaluation> = evals(&f, "big")
        .into_iter()
        .filter(|e| e.status == EvalStatus::Blocked)
        .collect();
    assert_eq!(blocked.len(), 1);
    assert_eq!(blocked[0].triggered_by, "queued-allocs");
    let summary = f.engine.job_summary(&ctx(), "big").unwrap().value;
    assert_eq!(summary.summary["cache"].queued, 1);

    // A second node brings room: the blocked evaluation is released and places the rest.
    f.engine.upsert_node(node("n2", "ready")).unwrap();
    f.engine.process_until_idle().unwrap();
    assert_eq!(allocs(&f, "big", false).len(), 3);
    let released = evals(&f, "big")
        .into_iter()
        .find(|e| e.id == blocked[0].id)
        .unwrap();
    assert_eq!(released.status, EvalStatus::Complete);
    let summary = f.engine.job_summary(&ctx(), "big").unwrap().value;
    assert_eq!(summary.summary["cache"].queued, 0);
}

#[test]
fn plan_of_a_new_job_that_does_not_fit() {
    let f = fixture();
    f.engine.upsert_node(node("n1", "ready")).unwrap();
    let job = big_job();
    let plan = f
        .engine
        .plan_job(
            &ctx(),
            "big",
            JobPlanRequest {
                job: Some(job),
                diff: true,
                ..JobPlanRequest::default()
            },
        )
        .unwrap();
    assert_eq!((plan.job_modify_index, plan.index), (0, 0));
    assert_eq!(plan.next_periodic_launch, "0001-01-01T00:00:00Z");
    golden("flow_plan_new_job", &plan);
    // Nothing was written.
    assert_eq!(f.log.entries().len(), 1);
    check_error(f.engine.read_job(&ctx(), "big"), 404, "job not found");
}

#[test]
fn plan_errors() {
    let f = fixture();
    check_error(
        JobPlanRequest::from_json(br#"{"Diff": true}"#),
        400,
        "Job must be specified",
    );
    check_error(
        JobPlanRequest::from_json(br#"{"Job": {"Name": "cache"}}"#),
        400,
        "Job must have a valid ID",
    );
    check_error(
        f.engine
            .plan_job(&ctx(), "cache", JobPlanRequest::default()),
        400,
        "Job must be specified",
    );
    let request = |job| JobPlanRequest {
        job: Some(job),
        ..JobPlanRequest::default()
    };
    check_error(
        f.engine
            .plan_job(&ctx(), "other", request(sample_job("cache"))),
        400,
        "Job ID does not match",
    );
    let mut invalid = sample_job("cache");
    invalid.priority = 500;
    check_error(
        f.engine.plan_job(&ctx(), "cache", request(invalid)),
        500,
        "1 error occurred:\n\t* job priority must be between [1, 100]\n\n",
    );
}

#[test]
fn failed_allocations_are_evaluated_and_can_be_forced_to_reschedule() {
    let f = fixture();
    f.engine.upsert_node(node("n1", "ready")).unwrap();
    // A batch job: no deployment, whose failed allocations would otherwise wait 5s.
    let mut job = sample_job("work");
    job.job_type = "batch".into();
    f.engine.register_job(&ctx(), register(job)).unwrap();
    f.engine.process_until_idle().unwrap();
    let placed = allocs(&f, "work", false).pop().unwrap();

    report(&f, &placed.id, ClientStatus::Failed);
    let failure = evals(&f, "work").pop().unwrap();
    assert_eq!(
        (failure.triggered_by.as_str(), failure.status),
        ("alloc-failure", EvalStatus::Pending)
    );
    let summary = f.engine.job_summary(&ctx(), "work").unwrap().value;
    assert_eq!(summary.summary["cache"].failed, 1);
    f.engine.process_until_idle().unwrap();
    let delayed = evals(&f, "work").pop().unwrap();
    assert_eq!(delayed.wait_until, START + 5_000_000_000);
    assert_eq!(delayed.status, EvalStatus::Pending);
    assert_eq!(allocs(&f, "work", false).len(), 1);

    let forced = f
        .engine
        .evaluate_job(
            &ctx(),
            "work",
            Some(drover::core::api::JobEvaluateRequest {
                job_id: "work".to_string(),
                eval_options: drover::core::api::EvalOptions {
                    force_reschedule: true,
                },
            }),
        )
        .unwrap();
    let alloc = f.engine.snapshot().alloc(&placed.id).unwrap();
    assert_eq!(
        alloc.details().desired_transition.force_reschedule,
        Some(true)
    );
    assert_eq!(alloc.modify_index, forced.eval_create_index);

    // The forced evaluation replaces the allocation now, not after the delay.
    f.engine.process_until_idle().unwrap();
    let replaced = f.engine.snapshot().alloc(&placed.id).unwrap();
    let replacement = f
        .engine
        .snapshot()
        .alloc(&replaced.details().next_allocation)
        .unwrap();
    assert_eq!(
        (
            replacement.desired_status.as_str(),
            replacement.details().previous_allocation.as_str()
        ),
        ("run", placed.id.as_str())
    );
}

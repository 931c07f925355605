//! Deployments driven by the deployment watcher: allocation health reported by clients (or set
//! by hand) moves a rolling update along until it succeeds and marks its version stable; an
//! unhealthy allocation or a passed progress deadline fails it, with an auto-revert to the
//! latest stable version; canaries are promoted by hand or automatically; users pause, resume
//! and fail deployments. Time is a manual clock; clients are explicit calls.

mod engine_common;

use std::sync::Arc;
use std::time::Duration;

use drover::core::api::DeploymentUpdateResponse;
use drover::core::{Clock, Engine, EngineConfig, ManualClock, MemoryLog};
use drover::model::ClientStatus;
use drover::model::DesiredStatus;
use drover::model::{
    AllocDeploymentStatus, Allocation, Deployment, Evaluation, Job, ReschedulePolicy,
    UpdateStrategy,
};
use drover::state::{ClientAllocUpdate, Command, StateStore};
use engine_common::*;

const SECOND: i64 = 1_000_000_000;

/// The sample job with `count` allocations rolled out one at a time.
fn rolling_job(count: i64, update: UpdateStrategy) -> Job {
    let mut job = sample_job("cache");
    let group = Arc::make_mut(&mut job.task_groups[0]);
    group.count = count;
    group.update = Some(UpdateStrategy {
        max_parallel: Some(1),
        min_healthy_time: Some(10 * SECOND),
        healthy_deadline: update.healthy_deadline.or(Some(300 * SECOND)),
        ..update
    });
    job
}

/// A new spec of `job` (a different image): a destructive update.
fn with_image(mut job: Job, image: &str) -> Job {
    let group = Arc::make_mut(&mut job.task_groups[0]);
    Arc::make_mut(&mut group.tasks[0])
        .config
        .insert("image".to_string(), serde_json::json!(image));
    job
}

fn started(nodes: usize) -> Fixture {
    let f = fixture();
    for i in 1..=nodes {
        f.engine
            .upsert_node(node(&format!("n{i}"), "ready"))
            .unwrap();
    }
    f
}

fn submit(f: &Fixture, job: Job) {
    f.engine.register_job(&ctx(), register(job)).unwrap();
    f.engine.process_until_idle().unwrap();
}

fn latest(f: &Fixture) -> Deployment {
    let latest = f.engine.job_latest_deployment(&ctx(), "cache").unwrap();
    (*latest.value.expect("a deployment")).clone()
}

/// The job's allocations that should run, of the latest version first, then by name.
fn running(f: &Fixture) -> Vec<Allocation> {
    let snapshot = f.engine.snapshot();
    let mut allocs: Vec<Allocation> = snapshot
        .allocs_by_job("default", "cache", false)
        .iter()
        .filter(|a| a.desired_status == DesiredStatus::Run)
        .map(|a| (**a).clone())
        .collect();
    let version = |a: &Allocation| a.job.as_ref().map_or(0, |j| j.version);
    allocs.sort_by(|a, b| (version(a), &a.name).cmp(&(version(b), &b.name)));
    allocs.reverse();
    allocs
}

/// The allocations of the latest deployment.
fn in_deployment(f: &Fixture) -> Vec<Allocation> {
    let id = latest(f).id;
    running(f)
        .into_iter()
        .filter(|a| a.deployment_id == id)
        .collect()
}

/// A client reports the allocation running with the given health, 10s later.
fn report(f: &Fixture, alloc: &Allocation, healthy: bool) {
    f.clock.advance(Duration::from_secs(10));
    let update = ClientAllocUpdate {
        alloc_id: alloc.id.to_string(),
        client_status: ClientStatus::Running,
        deployment_status: Some(AllocDeploymentStatus {
            healthy: Some(healthy),
            timestamp: rfc3339(f.clock.now()),
            canary: alloc
                .details()
                .deployment_status
                .as_ref()
                .is_some_and(|s| s.canary),
            modify_index: 0,
        }),
        ..ClientAllocUpdate::default()
    };
    f.engine.update_allocs_from_client(vec![update]).unwrap();
}

/// A time on the first day after [`START`], as clients write it.
fn rfc3339(now: i64) -> String {
    let seconds = (now - START) / SECOND;
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    format!("2024-01-01T{h:02}:{m:02}:{s:02}Z")
}

/// Reports every allocation of the latest deployment healthy, and schedules what follows,
/// until the deployment stops placing.
fn roll_out(f: &Fixture) {
    for _ in 0..10 {
        let waiting: Vec<Allocation> = in_deployment(f)
            .into_iter()
            .filter(|a| {
                a.details()
                    .deployment_status
                    .as_ref()
                    .is_none_or(|s| s.healthy.is_none())
            })
            .collect();
        if waiting.is_empty() {
            return;
        }
        for alloc in &waiting {
            report(f, alloc, true);
        }
        f.engine.process_until_idle().unwrap();
    }
}

fn status(d: &Deployment) -> (&str, &str) {
    (d.status.as_str(), d.status_description.as_str())
}

fn evals(f: &Fixture) -> Vec<Evaluation> {
    job_evals(&f.engine, "cache")
}

/// The deployment watcher's evaluations for the latest deployment.
fn watcher_evals(f: &Fixture) -> Vec<Evaluation> {
    let id = latest(f).id;
    evals(f)
        .into_iter()
        .filter(|e| e.triggered_by == "deployment-watcher" && e.deployment_id == id)
        .collect()
}

fn stable_versions(f: &Fixture) -> Vec<(u64, bool)> {
    f.engine
        .snapshot()
        .job_versions("default", "cache")
        .iter()
        .map(|j| (j.version, j.stable))
        .collect()
}

/// Version 0 rolled out and stable, then `update` registered as version 1.
fn stable_then(update: Job) -> Fixture {
    stable_then_from(rolling_job(2, UpdateStrategy::default()), update)
}

/// [`stable_then`] with `first` as version 0.
fn stable_then_from(first: Job, update: Job) -> Fixture {
    let f = started(3);
    submit(&f, first);
    roll_out(&f);
    assert_eq!(status(&latest(&f)).0, "successful");
    submit(&f, update);
    f
}

#[test]
fn a_rolling_deployment_succeeds_one_healthy_allocation_at_a_time() {
    let f = started(3);
    submit(&f, rolling_job(3, UpdateStrategy::default()));
    let deployment = latest(&f);
    assert_eq!(status(&deployment), ("running", "Deployment is running"));
    let first = in_deployment(&f);

    // Each healthy allocation brings a deployment-watcher evaluation of the job.
    report(&f, &first[0], true);
    let watcher = watcher_evals(&f);
    assert_eq!(watcher.len(), 1);
    assert_eq!(
        (watcher[0].deployment_id.as_str(), watcher[0].status),
        (deployment.id.as_str(), drover::model::EvalStatus::Pending)
    );
    assert_eq!(latest(&f).task_groups["cache"].healthy_allocs, 1);

    roll_out(&f);
    let done = latest(&f);
    assert_eq!(
        status(&done),
        ("successful", "Deployment completed successfully")
    );
    let state = &done.task_groups["cache"];
    assert_eq!(
        (
            state.desired_total,
            state.placed_allocs,
            state.healthy_allocs
        ),
        (3, 3, 3)
    );
    assert_eq!(stable_versions(&f), [(0, true)]);
    // The watcher's evaluations all ran; none is left waiting.
    assert!(
        evals(&f)
            .iter()
            .all(|e| e.status != drover::model::EvalStatus::Pending)
    );
}

#[test]
fn an_unhealthy_allocation_fails_the_deployment_and_auto_reverts() {
    let update = UpdateStrategy {
        auto_revert: Some(true),
        progress_deadline: Some(0),
        ..UpdateStrategy::default()
    };
    let first = rolling_job(2, update.clone());
    let f = stable_then_from(first, with_image(rolling_job(2, update), "redis:8"));
    let deployment = latest(&f);
    assert_eq!(deployment.job_version, 1);
    let new = in_deployment(&f);
    assert_eq!(new.len(), 1);

    report(&f, &new[0], false);
    let failed = f.engine.snapshot().deployment(&deployment.id).unwrap();
    assert_eq!(
        status(&failed),
        (
            "failed",
            "Failed due to unhealthy allocations - rolling back to job version 0"
        )
    );
    // The stable version is registered again as version 2, not yet stable.
    let job = f.engine.read_job(&ctx(), "cache").unwrap().value;
    assert_eq!(job.version, 2);
    assert_eq!(job.task_groups[0].tasks[0].config["image"], "redis:7");
    assert_eq!(stable_versions(&f), [(2, false), (1, false), (0, true)]);
    let eval = watcher_evals(&f).pop().unwrap();
    assert_eq!(eval.deployment_id, deployment.id);

    // The scheduler rolls the reverted version out in a new deployment.
    f.engine.process_until_idle().unwrap();
    let next = latest(&f);
    assert_eq!((next.job_version, next.status.as_str()), (2, "running"));

    // Should that fail too, reverting again would change nothing: the job stays.
    report(&f, &in_deployment(&f)[0], false);
    assert_eq!(
        status(&latest(&f)),
        (
            "failed",
            "Failed due to unhealthy allocations - not rolling back to stable job version 0 \
             as current job has same specification"
        )
    );
    assert_eq!(f.engine.read_job(&ctx(), "cache").unwrap().value.version, 2);
}

#[test]
fn without_auto_revert_a_failed_deployment_keeps_the_job() {
    let update = UpdateStrategy {
        progress_deadline: Some(0),
        ..UpdateStrategy::default()
    };
    let f = stable_then(with_image(rolling_job(2, update), "redis:8"));
    report(&f, &in_deployment(&f)[0], false);
    assert_eq!(
        status(&latest(&f)),
        ("failed", "Failed due to unhealthy allocations")
    );
    assert_eq!(f.engine.read_job(&ctx(), "cache").unwrap().value.version, 1);
}

#[test]
fn an_unhealthy_allocation_that_may_be_rescheduled_is_replaced() {
    let update = UpdateStrategy {
        progress_deadline: Some(600 * SECOND),
        ..UpdateStrategy::default()
    };
    let mut job = rolling_job(1, update);
    Arc::make_mut(&mut job.task_groups[0]).reschedule_policy = Some(ReschedulePolicy {
        attempts: Some(3),
        interval: Some(3600 * SECOND),
        delay: Some(5 * SECOND),
        delay_function: Some("constant".to_string()),
        unlimited: Some(false),
        ..ReschedulePolicy::default()
    });
    let f = started(2);
    submit(&f, job);
    let alloc = in_deployment(&f).remove(0);
    report(&f, &alloc, false);
    assert_eq!(status(&latest(&f)).0, "running");
    let marked = f.engine.snapshot().alloc(&alloc.id).unwrap();
    assert_eq!(marked.details().desired_transition.reschedule, Some(true));
    assert_eq!(watcher_evals(&f).len(), 1);
}

#[test]
fn passing_the_progress_deadline_fails_the_deployment() {
    let update = UpdateStrategy {
        progress_deadline: Some(60 * SECOND),
        healthy_deadline: Some(30 * SECOND),
        auto_revert: Some(true),
        ..UpdateStrategy::default()
    };
    let f = started(2);
    submit(&f, rolling_job(1, update));
    let deployment = latest(&f);
    let by = &deployment.task_groups["cache"].require_progress_by;
    assert_eq!(by, "2024-01-01T00:01:00Z");

    // Not yet.
    f.engine.tick(START + 59 * SECOND).unwrap();
    assert_eq!(status(&latest(&f)).0, "running");

    f.clock.set(START + 61 * SECOND);
    f.engine.tick(START + 61 * SECOND).unwrap();
    // No stable version to revert to.
    assert_eq!(
        status(&latest(&f)),
        (
            "failed",
            "Failed due to progress deadline - no stable job version to auto revert to"
        )
    );
    assert_eq!(watcher_evals(&f).len(), 1);
}

#[test]
fn a_healthy_allocation_pushes_the_progress_deadline() {
    let update = UpdateStrategy {
        progress_deadline: Some(60 * SECOND),
        healthy_deadline: Some(30 * SECOND),
        ..UpdateStrategy::default()
    };
    let f = started(2);
    submit(&f, rolling_job(2, update));
    f.clock.set(START + 50 * SECOND);
    let first = in_deployment(&f).remove(0);
    // Healthy at 00:01:00 (the report's clock): the deadline moves to a minute later.
    report(&f, &first, true);
    let by = latest(&f).task_groups["cache"].require_progress_by.clone();
    assert_eq!(by, "2024-01-01T00:02:00Z");
    f.engine.tick(START + 65 * SECOND).unwrap();
    assert_eq!(status(&latest(&f)).0, "running");
}

fn canary_job(auto_promote: bool) -> Job {
    let update = UpdateStrategy {
        canary: Some(1),
        auto_promote: Some(auto_promote),
        ..UpdateStrategy::default()
    };
    with_image(rolling_job(2, update), "redis:8")
}

#[test]
fn canaries_are_promoted_by_hand() {
    let f = stable_then(canary_job(false));
    let deployment = latest(&f);
    assert_eq!(
        status(&deployment),
        (
            "running",
            "Deployment is running but requires manual promotion"
        )
    );
    let canaries = in_deployment(&f);
    assert_eq!(canaries.len(), 1);
    assert!(
        canaries[0]
            .details()
            .deployment_status
            .as_ref()
            .unwrap()
            .canary
    );

    // Not while the canary is not healthy.
    check_error(
        f.engine
            .promote_deployment(&ctx(), &deployment.id, true, Vec::new()),
        500,
        "1 error occurred:\n\t* Task group \"cache\" has 0/1 healthy allocations\n\n",
    );
    report(&f, &canaries[0], true);
    // A healthy canary does not promote itself without auto_promote.
    assert!(!latest(&f).task_groups["cache"].promoted);

    let promoted = f
        .engine
        .promote_deployment(&ctx(), &deployment.id, false, vec!["cache".to_string()])
        .unwrap();
    check_update(&f, &promoted, true);
    let after = latest(&f);
    assert!(after.task_groups["cache"].promoted);
    assert_eq!(status(&after), ("running", "Deployment is running"));
    let canary = f.engine.snapshot().alloc(&canaries[0].id).unwrap();
    assert!(!canary.details().deployment_status.as_ref().unwrap().canary);

    // The rest of the group rolls out and the deployment succeeds.
    f.engine.process_until_idle().unwrap();
    roll_out(&f);
    assert_eq!(status(&latest(&f)).0, "successful");
    assert_eq!(stable_versions(&f), [(1, true), (0, true)]);

    // A finished deployment cannot be promoted.
    check_error(
        f.engine
            .promote_deployment(&ctx(), &deployment.id, true, Vec::new()),
        500,
        "can't promote terminal deployment",
    );
}

#[test]
fn promotion_errors() {
    let f = started(1);
    check_error(
        f.engine.promote_deployment(&ctx(), "", true, Vec::new()),
        500,
        "missing deployment ID",
    );
    check_error(
        f.engine
            .promote_deployment(&ctx(), "nope", true, Vec::new()),
        500,
        "deployment not found",
    );
}

#[test]
fn canaries_promote_themselves_with_auto_promote() {
    let f = stable_then(canary_job(true));
    let deployment = latest(&f);
    assert_eq!(
        status(&deployment),
        (
            "running",
            "Deployment is running pending automatic promotion"
        )
    );
    report(&f, &in_deployment(&f)[0], true);
    let promoted = latest(&f);
    assert!(promoted.task_groups["cache"].promoted);
    assert_eq!(watcher_evals(&f).len(), 1);
    f.engine.process_until_idle().unwrap();
    roll_out(&f);
    assert_eq!(status(&latest(&f)).0, "successful");
}

/// The response names a new evaluation (or none) and the commit that wrote it.
fn check_update(f: &Fixture, response: &DeploymentUpdateResponse, with_eval: bool) {
    assert_eq!(response.deployment_modify_index, response.index);
    if with_eval {
        let eval = f.engine.snapshot().eval(&response.eval_id).expect("eval");
        assert_eq!(
            (eval.triggered_by.as_str(), eval.create_index),
            ("deployment-watcher", response.eval_create_index)
        );
    } else {
        assert_eq!(
            (response.eval_id.as_str(), response.eval_create_index),
            ("", 0)
        );
    }
}

#[test]
fn pause_resume_and_fail_by_hand() {
    let update = UpdateStrategy {
        auto_revert: Some(true),
        ..UpdateStrategy::default()
    };
    let f = stable_then(with_image(rolling_job(2, update), "redis:8"));
    let id = latest(&f).id;

    let paused = f.engine.pause_deployment(&ctx(), &id, true).unwrap();
    check_update(&f, &paused, false);
    assert_eq!(status(&latest(&f)), ("paused", "Deployment is paused"));
    let resumed = f.engine.pause_deployment(&ctx(), &id, false).unwrap();
    check_update(&f, &resumed, true);
    assert_eq!(status(&latest(&f)), ("running", "Deployment is running"));

    let failed = f.engine.fail_deployment(&ctx(), &id).unwrap();
    check_update(&f, &failed, true);
    assert_eq!(failed.reverted_job_version, Some(0));
    let json = serde_json::to_value(&failed).unwrap();
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "DeploymentModifyIndex",
            "EvalCreateIndex",
            "EvalID",
            "Index",
            "RevertedJobVersion"
        ]
    );
    let deployment = f.engine.snapshot().deployment(&id).unwrap();
    assert_eq!(
        status(&deployment),
        (
            "failed",
            "Deployment marked as failed - rolling back to job version 0"
        )
    );
    assert_eq!(f.engine.read_job(&ctx(), "cache").unwrap().value.version, 2);

    for (result, message) in [
        (
            f.engine.pause_deployment(&ctx(), &id, true),
            "can't pause terminal deployment",
        ),
        (
            f.engine.pause_deployment(&ctx(), &id, false),
            "can't resume terminal deployment",
        ),
        (
            f.engine.fail_deployment(&ctx(), &id),
            "can't fail terminal deployment",
        ),
        (
            f.engine
                .set_deployment_alloc_health(&ctx(), &id, vec!["a".to_string()], Vec::new()),
            "can't set health of allocations for a terminal deployment",
        ),
    ] {
        check_error(result, 500, message);
    }
}

#[test]
fn failing_by_hand_without_auto_revert_keeps_the_job() {
    let f = stable_then(with_image(
        rolling_job(2, UpdateStrategy::default()),
        "redis:8",
    ));
    let failed = f.engine.fail_deployment(&ctx(), &latest(&f).id).unwrap();
    assert_eq!(failed.reverted_job_version, None);
    assert_eq!(
        status(&latest(&f)),
        ("failed", "Deployment marked as failed")
    );
}

#[test]
fn allocation_health_set_by_hand() {
    let update = UpdateStrategy {
        auto_revert: Some(true),
        ..UpdateStrategy::default()
    };
    let f = stable_then(with_image(rolling_job(2, update), "redis:8"));
    let id = latest(&f).id;
    let alloc = in_deployment(&f).remove(0);
    check_error(
        f.engine
            .set_deployment_alloc_health(&ctx(), &id, Vec::new(), Vec::new()),
        500,
        "must specify at least one healthy/unhealthy allocation ID",
    );
    check_error(
        f.engine
            .set_deployment_alloc_health(&ctx(), &id, vec!["nope".to_string()], Vec::new()),
        500,
        "unknown alloc \"nope\"",
    );

    let healthy = f
        .engine
        .set_deployment_alloc_health(&ctx(), &id, vec![alloc.id.to_string()], Vec::new())
        .unwrap();
    check_update(&f, &healthy, true);
    assert_eq!(latest(&f).task_groups["cache"].healthy_allocs, 1);
    // The evaluation written with the health is the only one: the watcher adds none.
    assert_eq!(watcher_evals(&f).len(), 1);

    f.engine.process_until_idle().unwrap();
    let next = in_deployment(&f)
        .into_iter()
        .find(|a| a.id != alloc.id)
        .expect("the next allocation");
    let unhealthy = f
        .engine
        .set_deployment_alloc_health(&ctx(), &id, Vec::new(), vec![next.id.to_string()])
        .unwrap();
    assert_eq!(unhealthy.reverted_job_version, Some(0));
    assert_eq!(
        status(&f.engine.snapshot().deployment(&id).unwrap()),
        (
            "failed",
            "Failed due to unhealthy allocations - rolling back to job version 0"
        )
    );
}

#[test]
fn a_restored_engine_acts_on_health_reported_before_the_restart() {
    let f = started(2);
    submit(&f, rolling_job(2, UpdateStrategy::default()));
    report(&f, &in_deployment(&f)[0], true);
    // The log up to the client's report, without the watcher's evaluation that followed it.
    let entries = f.log.entries();
    let watcher_at = entries
        .iter()
        .position(|(_, c)| matches!(c, Command::UpdateAllocDesiredTransitions(_)))
        .expect("the watcher's evaluation");
    let store = StateStore::new();
    for (index, command) in &entries[..watcher_at] {
        store.apply(*index, command).unwrap();
    }
    let clock = Arc::new(ManualClock::new(f.clock.now()));
    let log = MemoryLog::new();
    let engine = Engine::restore(EngineConfig::default(), clock, Box::new(log.clone()), store);
    engine.tick(f.clock.now()).unwrap();
    let deployment = latest(&f).id;
    let evals = job_evals(&engine, "cache");
    let watcher = evals.last().unwrap();
    assert_eq!(
        (
            watcher.triggered_by.as_str(),
            watcher.deployment_id.as_str()
        ),
        ("deployment-watcher", deployment.as_str())
    );
    assert_eq!(log.entries().len(), 1);
}

#[test]
fn healthy_canaries_awaiting_promotion_outlive_the_progress_deadline() {
    let update = UpdateStrategy {
        canary: Some(1),
        progress_deadline: Some(60 * SECOND),
        healthy_deadline: Some(30 * SECOND),
        ..UpdateStrategy::default()
    };
    let f = stable_then(with_image(rolling_job(2, update), "redis:8"));
    let deployment = latest(&f);
    report(&f, &in_deployment(&f)[0], true);
    let later = f.clock.now() + 120 * SECOND;
    f.clock.set(later);
    f.engine.tick(later).unwrap();
    assert_eq!(
        status(&latest(&f)),
        (
            "running",
            "Deployment is running but requires manual promotion"
        )
    );
    // Promoting restarts the deadline; the rest of the group then has a minute.
    f.engine
        .promote_deployment(&ctx(), &deployment.id, true, Vec::new())
        .unwrap();
    let by = latest(&f).task_groups["cache"].require_progress_by.clone();
    assert_eq!(by, rfc3339(later + 60 * SECOND));
    f.engine.tick(later + 61 * SECOND).unwrap();
    assert_eq!(
        status(&latest(&f)),
        ("failed", "Failed due to progress deadline")
    );
}

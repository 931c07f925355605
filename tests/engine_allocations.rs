//! Stopping one allocation (`/v1/allocation/:id/stop`) through the engine: the desired
//! transition and the `alloc-stop` evaluation it commits, the replacement the scheduler then
//! places, and the errors.

mod engine_common;

use std::sync::Arc;

use drover::core::AllocStopOptions;
use drover::model::{AllocListStub, DesiredTransition, EvalStatus};
use engine_common::*;

/// The sample job (one group of two) placed on two nodes; returns its allocations.
fn placed(f: &Fixture) -> Vec<AllocListStub> {
    for id in ["n1", "n2"] {
        f.engine.upsert_node(node(id, "ready")).unwrap();
    }
    let mut job = sample_job("web");
    Arc::make_mut(&mut job.task_groups[0]).count = 2;
    f.engine.register_job(&ctx(), register(job)).unwrap();
    f.engine.process_until_idle().unwrap();
    f.engine
        .job_allocations(&ctx(), "web", false)
        .unwrap()
        .value
}

/// Each allocation of `web`: (name, desired status, ID) in name and creation order.
fn allocs(f: &Fixture) -> Vec<(String, String, String)> {
    let mut stubs = f
        .engine
        .job_allocations(&ctx(), "web", false)
        .unwrap()
        .value;
    stubs.sort_by_key(|a| (a.name.clone(), a.create_index));
    stubs
        .into_iter()
        .map(|a| (a.name.into(), a.desired_status.to_string(), a.id.into()))
        .collect()
}

#[test]
fn stop_marks_the_allocation_to_migrate_and_the_scheduler_replaces_it() {
    let f = fixture();
    let before = placed(&f);
    assert_eq!(before.len(), 2);
    let victim = before.iter().find(|a| a.name == "web.cache[0]").unwrap();
    // The evaluation carries the modify index of the job version the allocation runs, as
    // Nomad's does, not the current job's (its status has moved on since).
    let placed_with = f.engine.snapshot().alloc(&victim.id).unwrap().job.clone();
    let placed_with = placed_with.unwrap().modify_index;

    let response = f
        .engine
        .stop_allocation(&ctx(), &victim.id, AllocStopOptions::default())
        .unwrap();
    let snapshot = f.engine.snapshot();
    assert_eq!(response.index, snapshot.latest_index());
    let alloc = snapshot.alloc(&victim.id).unwrap();
    assert_eq!(
        alloc.details().desired_transition,
        DesiredTransition {
            migrate: Some(true),
            reschedule: Some(false),
            no_shutdown_delay: Some(false),
            ..DesiredTransition::default()
        }
    );
    let eval = snapshot.eval(&response.eval_id).unwrap();
    assert_eq!(
        (
            eval.triggered_by.as_str(),
            eval.job_id.as_str(),
            eval.eval_type.as_str(),
            eval.priority,
            eval.job_modify_index,
            eval.status,
            eval.create_index,
        ),
        (
            "alloc-stop",
            "web",
            "service",
            50,
            placed_with,
            EvalStatus::Pending,
            response.index
        )
    );

    f.engine.process_until_idle().unwrap();
    let stopped = (
        "web.cache[0]".to_string(),
        "stop".to_string(),
        victim.id.to_string(),
    );
    let after = allocs(&f);
    assert_eq!(after.len(), 3, "{after:?}");
    assert!(after.contains(&stopped), "{after:?}");
    let running: Vec<_> = after
        .iter()
        .filter(|(_, desired, _)| desired == "run")
        .map(|(name, _, _)| name.as_str())
        .collect();
    assert_eq!(running, ["web.cache[0]", "web.cache[1]"]);
}

#[test]
fn stop_options_reach_the_transition() {
    let f = fixture();
    let alloc_id = placed(&f)[0].id.clone();
    let options = AllocStopOptions {
        no_shutdown_delay: true,
        reschedule: true,
    };
    f.engine
        .stop_allocation(&ctx(), &alloc_id, options)
        .unwrap();
    let alloc = f.engine.snapshot().alloc(&alloc_id).unwrap();
    let transition = &alloc.details().desired_transition;
    assert_eq!(
        (
            transition.migrate,
            transition.no_shutdown_delay,
            transition.reschedule
        ),
        (Some(true), Some(true), Some(true))
    );
}

#[test]
fn stop_errors() {
    let f = fixture();
    let index = f.engine.snapshot().latest_index();
    let stop = |id: &str| {
        f.engine
            .stop_allocation(&ctx(), id, AllocStopOptions::default())
    };
    check_error(stop("missing"), 404, "allocation not found");
    check_error(stop(""), 500, "Missing allocation ID");
    assert_eq!(f.engine.snapshot().latest_index(), index);
}

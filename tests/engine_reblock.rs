//! Blocked evaluations against the rest of the engine, in the orders the deterministic
//! simulation found: a released blocked evaluation the store cancels before a worker takes it,
//! and a failed allocation whose replacement finds no place while another part of the plan is
//! refused.

mod engine_common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use drover::core::{Clock, Engine, EngineConfig, Log, LogError, ManualClock, MemoryLog};
use drover::model::{ClientStatus, EvalStatus, Evaluation, Job, Resources, UpdateStrategy};
use drover::state::{ClientAllocUpdate, Command};
use engine_common::*;

/// A job of `count` allocations that each take 3000 of a node's 4000 MHz: one per node.
fn big_job(id: &str, count: i64) -> Job {
    let mut job = sample_job(id);
    let group = Arc::make_mut(&mut job.task_groups[0]);
    group.count = count;
    Arc::make_mut(&mut group.tasks[0]).resources = Some(Resources {
        cpu: 3000,
        memory_mb: 256,
        ..Resources::default()
    });
    job
}

fn eval(engine: &Engine, id: &str) -> Evaluation {
    (*engine.snapshot().eval(id).expect("evaluation exists")).clone()
}

fn blocked_eval_of(engine: &Engine, job_id: &str) -> Evaluation {
    job_evals(engine, job_id)
        .into_iter()
        .find(|e| e.status == EvalStatus::Blocked)
        .expect("a blocked evaluation")
}

/// Found by the simulation (the reblock race): a blocked evaluation that a new node released
/// waits in the broker behind another evaluation of its job; that one places everything, so
/// the store cancels the blocked one; the job grows before a worker takes it. The
/// worker used to schedule it anyway, fail to reblock it ("evaluation not blocked") and nack
/// it, and the broker later marked the cancelled evaluation failed with a follow-up. Now the
/// delivery is acknowledged and the evaluation stays cancelled.
#[test]
fn a_released_evaluation_cancelled_before_a_worker_takes_it_is_only_acknowledged() {
    let f = fixture();
    let engine = &f.engine;
    engine.upsert_node(node("n1", "ready")).unwrap();
    engine
        .register_job(&ctx(), register(big_job("web", 2)))
        .unwrap();
    engine.process_until_idle().unwrap();
    let blocked = blocked_eval_of(engine, "web");

    // A forced evaluation queues first; the new node then releases the blocked evaluation,
    // which waits behind it.
    let forced = engine.evaluate_job(&ctx(), "web", None).unwrap().eval_id;
    engine.upsert_node(node("n2", "ready")).unwrap();
    assert_eq!(engine.worker_step(), Ok(true));
    assert_eq!(eval(engine, &forced).status, EvalStatus::Complete);
    let cancelled = eval(engine, &blocked.id);
    assert_eq!(
        (cancelled.status, cancelled.status_description.as_str()),
        (
            EvalStatus::Canceled,
            format!("evaluation \"{forced}\" successful").as_str()
        )
    );

    let scaled = engine
        .register_job(&ctx(), register(big_job("web", 3)))
        .unwrap()
        .eval_id;
    // The cancelled evaluation's delivery, then the new version's, which blocks anew.
    assert_eq!(engine.worker_step(), Ok(true));
    assert_eq!(eval(engine, &blocked.id), cancelled);
    assert_eq!(engine.process_until_idle(), Ok(1));
    assert_eq!(eval(engine, &scaled).status, EvalStatus::Complete);
    let reblocked = blocked_eval_of(engine, "web");
    assert_eq!(reblocked.previous_eval, scaled);

    // Nothing comes back after the nack delays: no evaluation of the job fails.
    f.clock.advance(Duration::from_secs(600));
    engine.tick(f.clock.now()).unwrap();
    engine.process_until_idle().unwrap();
    assert_eq!(eval(engine, &blocked.id), cancelled);
    let failed = job_evals(engine, "web")
        .into_iter()
        .filter(|e| e.status == EvalStatus::Failed || e.triggered_by == "failed-follow-up");
    assert_eq!(failed.count(), 0);
}

/// A log that refuses appends after `budget` of them, so that an engine committing forever
/// fails instead of filling the memory.
struct BudgetLog {
    inner: MemoryLog,
    appended: Arc<AtomicUsize>,
    budget: usize,
}

impl Log for BudgetLog {
    fn append(&mut self, index: u64, command: &Command) -> Result<(), LogError> {
        if self.appended.fetch_add(1, Ordering::SeqCst) >= self.budget {
            return Err(LogError("budget spent".to_string()));
        }
        self.inner.append(index, command)
    }
}

/// Found by the simulation (seed 45 at 400 steps, once the reblock race was fixed): when the
/// replacement of a failed allocation finds no place, the allocation is marked ("no
/// placement") in the plan. With another failed allocation on a disconnected node, whose mark
/// the plan applier refuses, every attempt committed the first mark again; that counted as
/// progress, so the attempts never ended. A mark already made is no longer planned again, and
/// the evaluation ends at the attempt limit.
#[test]
fn a_failed_allocation_without_a_place_is_marked_once() {
    let clock = Arc::new(ManualClock::new(START));
    let log = BudgetLog {
        inner: MemoryLog::new(),
        appended: Arc::new(AtomicUsize::new(0)),
        budget: 2_000,
    };
    let config = EngineConfig {
        seed: 45,
        ..EngineConfig::default()
    };
    let engine = Engine::new(config, clock.clone(), Box::new(log));
    for id in ["n1", "n2"] {
        engine.upsert_node(node(id, "ready")).unwrap();
    }
    // Two groups of one allocation each, so that neither failure hides behind the other's;
    // no deployment, whose status would decide the reschedules.
    let mut web = big_job("web", 1);
    let mut second = (*web.task_groups[0]).clone();
    second.name = "second".into();
    web.task_groups.push(Arc::new(second));
    web.update = Some(UpdateStrategy {
        max_parallel: Some(0),
        ..UpdateStrategy::default()
    });
    engine.register_job(&ctx(), register(web)).unwrap();
    engine.process_until_idle().unwrap();
    let allocs = engine.job_allocations(&ctx(), "web", false).unwrap().value;
    assert_eq!(allocs.len(), 2);

    // Both fail; the second one's node disconnects; another job takes the first one's room.
    let failed = |alloc_id: &str| ClientAllocUpdate {
        alloc_id: alloc_id.to_string(),
        client_status: ClientStatus::Failed,
        modify_time: clock.now(),
        ..ClientAllocUpdate::default()
    };
    let updates = allocs.iter().map(|a| failed(&a.id)).collect();
    engine.update_allocs_from_client(updates).unwrap();
    let first = allocs.iter().find(|a| a.node_id == "n1").unwrap();
    engine.update_node_status("n2", "disconnected").unwrap();
    engine
        .register_job(&ctx(), register(big_job("filler", 1)))
        .unwrap();
    engine.process_until_idle().unwrap();

    // The reschedules come due: neither replacement finds a place. Each evaluation ends.
    for _ in 0..10 {
        clock.advance(Duration::from_secs(60));
        engine.tick(clock.now()).unwrap();
        assert!(engine.process_until_idle().is_ok());
    }
    let marked = engine.snapshot().alloc(&first.id).unwrap();
    let tracker = marked.details().reschedule_tracker.as_ref();
    assert_eq!(
        (
            marked.desired_status.as_str(),
            tracker.map(|t| t.last_reschedule.as_str())
        ),
        ("run", Some("no placement"))
    );
    let followup = eval(&engine, &marked.details().followup_eval_id);
    assert_eq!(
        (followup.status, followup.status_description.as_str()),
        (EvalStatus::Failed, "maximum attempts reached (5)")
    );
}

//! Workers and time through the engine: a blocking worker on its own thread, coalescing of a
//! job's queued evaluations, and an evaluation that keeps failing: nacked, retried after the
//! nack delays, marked failed at the delivery limit with a follow-up that later succeeds.

mod engine_common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use drover::core::Engine;
use drover::core::{
    Clock, EngineConfig, EngineError, Log, LogError, ManualClock, MemoryLog, tables,
};
use drover::model::EvalStatus;
use drover::state::Command;
use engine_common::*;

#[test]
fn a_worker_thread_places_what_is_registered() {
    let f = fixture();
    f.engine.upsert_node(node("n1", "ready")).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let worker = {
        let (engine, stop) = (f.engine.clone(), stop.clone());
        std::thread::spawn(move || engine.run_worker(&stop))
    };
    f.engine.register_job(&ctx(), sample_register()).unwrap();
    // Wait for the allocation the way a frontend waits on a table.
    let deadline = Instant::now() + Duration::from_secs(60);
    let placed = loop {
        let answer = f.engine.job_allocations(&ctx(), "cache", false).unwrap();
        if !answer.value.is_empty() || Instant::now() >= deadline {
            break answer;
        }
        f.engine.block_until(tables::ALLOCS, answer.index, deadline);
    };
    stop.store(true, Ordering::SeqCst);
    worker.join().unwrap().unwrap();
    assert_eq!(placed.value.len(), 1);
}

#[test]
fn queued_evaluations_of_one_job_coalesce() {
    let f = fixture();
    f.engine.upsert_node(node("n1", "ready")).unwrap();
    let mut ids = Vec::new();
    for priority in [50, 60, 70] {
        let mut job = sample_job("cache");
        job.priority = priority;
        ids.push(
            f.engine
                .register_job(&ctx(), register(job))
                .unwrap()
                .eval_id,
        );
    }
    // The first runs; of the two queued behind it only the newest is processed.
    assert_eq!(f.engine.process_until_idle().unwrap(), 2);
    let by_id = |id: &str| {
        job_evals(&f.engine, "cache")
            .into_iter()
            .find(|e| e.id == id)
            .unwrap()
    };
    assert_eq!(by_id(&ids[0]).status, EvalStatus::Complete);
    let skipped = by_id(&ids[1]);
    assert_eq!(
        (skipped.status, skipped.status_description.as_str()),
        (
            EvalStatus::Canceled,
            "canceled after more recent eval was processed"
        )
    );
    assert_eq!(by_id(&ids[2]).status, EvalStatus::Complete);
}

/// A log that refuses appends while `failing` is set.
struct FlakyLog {
    inner: MemoryLog,
    failing: Arc<AtomicBool>,
}

impl Log for FlakyLog {
    fn append(&mut self, index: u64, command: &Command) -> Result<(), LogError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(LogError("disk full".to_string()));
        }
        self.inner.append(index, command)
    }
}

#[test]
fn failing_evaluations_are_retried_then_failed_with_a_follow_up() {
    let clock = Arc::new(ManualClock::new(START));
    let failing = Arc::new(AtomicBool::new(false));
    let log = FlakyLog {
        inner: MemoryLog::new(),
        failing: failing.clone(),
    };
    let engine = Engine::new(
        EngineConfig {
            seed: 3,
            ..EngineConfig::default()
        },
        clock.clone(),
        Box::new(log),
    );
    engine.upsert_node(node("n1", "ready")).unwrap();
    let registered = engine.register_job(&ctx(), sample_register()).unwrap();

    // Every delivery fails while the log refuses writes; nacks wait 1s, then 20s.
    failing.store(true, Ordering::SeqCst);
    for wait in [0, 1, 20] {
        clock.advance(Duration::from_secs(wait));
        engine.tick(clock.now()).unwrap();
        match engine.worker_step() {
            Err(EngineError::Scheduler { eval_id, .. }) => assert_eq!(eval_id, registered.eval_id),
            other => panic!("expected a scheduler failure, got {other:?}"),
        }
        assert!(
            !engine.worker_step().unwrap(),
            "nothing is ready right after a nack"
        );
    }
    failing.store(false, Ordering::SeqCst);
    engine.tick(clock.now()).unwrap();

    let all = job_evals(&engine, "cache");
    assert_eq!(all.len(), 2);
    let (failed, follow_up) = (&all[0], &all[1]);
    assert_eq!(
        (failed.status, failed.status_description.as_str()),
        (EvalStatus::Failed, "evaluation reached delivery limit (3)")
    );
    assert_eq!(failed.next_eval, follow_up.id);
    assert_eq!(
        (
            follow_up.status,
            follow_up.triggered_by.as_str(),
            follow_up.previous_eval.as_str()
        ),
        (EvalStatus::Pending, "failed-follow-up", failed.id.as_str())
    );
    assert!((60_000_000_000..360_000_000_000).contains(&follow_up.wait));

    // The follow-up waits its turn, then places the job.
    assert!(!engine.worker_step().unwrap());
    clock.advance(Duration::from_nanos(follow_up.wait as u64));
    assert_eq!(engine.process_until_idle().unwrap(), 1);
    assert_eq!(
        engine
            .job_allocations(&ctx(), "cache", false)
            .unwrap()
            .value
            .len(),
        1
    );
}

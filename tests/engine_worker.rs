//! Workers and time through the engine: a blocking worker on its own thread, coalescing of a
//! job's queued evaluations, an evaluation that keeps failing (nacked, retried after the nack
//! delays, marked failed at the delivery limit with a follow-up that later succeeds), and two
//! workers rescheduling a node failure at once.

mod engine_common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use drover::core::Engine;
use drover::core::{
    Clock, EngineConfig, EngineError, Log, LogError, ManualClock, MemoryLog, tables,
};
use drover::model::{EvalStatus, Job};
use drover::state::{Command, NamespaceSelector, PageRequest};
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

/// A service job of `count` allocations, eight of which fill one of the fixture's nodes.
fn small_job(id: &str, count: i64) -> Job {
    serde_json::from_value(serde_json::json!({
        "ID": id, "Type": "service", "Datacenters": ["dc1"],
        "TaskGroups": [{"Name": "web", "Count": count,
                        "Tasks": [{"Name": "server", "Driver": "docker",
                                   "Config": {"image": "nginx"},
                                   "Resources": {"CPU": 500, "MemoryMB": 256}}]}]
    }))
    .unwrap()
}

/// Steps a worker until no evaluation is ready and no other worker is in a step (`busy` counts
/// those): one still in flight may make another evaluation ready.
fn work_until_idle(engine: &Engine, busy: &AtomicUsize) {
    loop {
        busy.fetch_add(1, Ordering::SeqCst);
        let processed = engine.worker_step().unwrap();
        let others = busy.fetch_sub(1, Ordering::SeqCst) - 1;
        if !processed {
            if others == 0 {
                return;
            }
            std::thread::yield_now();
        }
    }
}

/// Two workers reschedule a node failure at the same time, as the agent's do: their plans
/// may compete for the room left on the same nodes, and the applier must refuse what no longer
/// fits. In the end every job runs its count, nothing on the failed node and no node beyond
/// what it holds.
#[test]
fn two_workers_reschedule_a_node_failure_together() {
    let f = fixture();
    for i in 0..6 {
        f.engine
            .upsert_node(node(&format!("n{i}"), "ready"))
            .unwrap();
    }
    let jobs: Vec<String> = (0..5).map(|j| format!("web-{j}")).collect();
    for id in &jobs {
        f.engine
            .register_job(&ctx(), register(small_job(id, 8)))
            .unwrap();
    }
    f.engine.process_until_idle().unwrap();
    // 40 allocations in 48 slots; without n0 they fill the 40 left exactly.
    f.engine.update_node_status("n0", "down").unwrap();
    let busy = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| work_until_idle(&f.engine, &busy));
        }
    });

    let snapshot = f.engine.snapshot();
    snapshot.check_invariants().unwrap();
    let live = snapshot.list_allocs(&NamespaceSelector::All, &PageRequest::default(), &|a| {
        !a.terminal()
    });
    let (mut per_job, mut per_node) = (BTreeMap::new(), BTreeMap::new());
    for alloc in &live.items {
        *per_job.entry(alloc.job_id.to_string()).or_insert(0) += 1;
        *per_node.entry(alloc.node_id.to_string()).or_insert(0) += 1;
    }
    assert!(
        jobs.iter().all(|id| per_job.get(id) == Some(&8)),
        "{per_job:?}"
    );
    assert_eq!(per_node.get("n0"), None, "nothing left on the failed node");
    assert!(per_node.values().all(|&n| n <= 8), "{per_node:?}");
}

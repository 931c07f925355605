//! B4 of perf-anchors.md section 8: the evaluation broker and blocked evaluations, on one thread.
//!
//! - `broker/cycle_100k_jobs`: enqueue, dequeue and ack with 100k jobs ready (mixed priorities,
//!   one in flight per job). Goal: at least 1M cycles/s.
//! - `broker/cycle_100k_jobs_1pct_nack`: the same with time running (1 ms per cycle), a tick per
//!   cycle and 1% of deliveries nacked, so nack delays and their timers are in the loop.
//! - `blocked/release_50k`: 50k blocked evaluations released by one capacity change and enqueued
//!   into the broker. Goal: at most 50 ms.

/// The agent's allocator, so the medians are what the served API sees.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use drover::broker::{BlockedEvals, EvalBroker, Time};
use drover::model::Evaluation;

const JOBS: u64 = 100_000;
const BLOCKED: u64 = 50_000;
const TYPES: [&str; 2] = ["service", "batch"];
const PRIORITIES: [i32; 3] = [30, 50, 70];

/// One evaluation per job, spread over priorities and both scheduler types.
fn evaluations(n: u64) -> Vec<Arc<Evaluation>> {
    (0..n)
        .map(|i| {
            Arc::new(Evaluation {
                id: format!("{i:08x}-0000-4000-8000-000000000000").into(),
                namespace: "default".to_owned(),
                job_id: format!("job-{i}"),
                priority: PRIORITIES[(i % 3) as usize],
                eval_type: TYPES[(i % 2) as usize].to_owned(),
                create_index: i + 1,
                modify_index: i + 1,
                ..Evaluation::default()
            })
        })
        .collect()
}

fn full_broker() -> EvalBroker {
    let mut broker = EvalBroker::default();
    broker.set_enabled(true);
    for eval in evaluations(JOBS) {
        broker.enqueue(eval, Time::default());
    }
    broker
}

/// The acked evaluation comes back as the job's next evaluation: the broker no longer holds it,
/// so it is updated in place and queues behind the other jobs of its priority.
fn next_version(mut eval: Arc<Evaluation>) -> Arc<Evaluation> {
    match Arc::get_mut(&mut eval) {
        Some(e) => e.create_index += JOBS,
        None => panic!("the broker still holds an acked evaluation"),
    }
    eval
}

fn cycles(c: &mut Criterion) {
    let mut group = c.benchmark_group("broker");
    group.throughput(Throughput::Elements(1));

    let mut broker = full_broker();
    let now = Time::default();
    group.bench_function("cycle_100k_jobs", |b| {
        b.iter(|| {
            let (eval, token) = broker.dequeue(&TYPES, now).unwrap().unwrap();
            broker.ack(&eval.id, token, now).unwrap();
            broker.enqueue(next_version(eval), now);
        })
    });

    let mut broker = full_broker();
    let mut cycle: i64 = 0;
    group.bench_function("cycle_100k_jobs_1pct_nack", |b| {
        b.iter(|| {
            cycle += 1;
            let now = Time::from_unix_nanos(cycle * 1_000_000);
            broker.tick(now);
            let (eval, token) = broker.dequeue(&TYPES, now).unwrap().unwrap();
            if cycle % 100 == 0 {
                broker.nack(&eval.id, token, now).unwrap();
            } else {
                broker.ack(&eval.id, token, now).unwrap();
                broker.enqueue(next_version(eval), now);
            }
        })
    });
    group.finish();
}

fn release(c: &mut Criterion) {
    let mut group = c.benchmark_group("blocked");
    group.throughput(Throughput::Elements(BLOCKED));
    let evals = evaluations(BLOCKED);
    let setup = || {
        let mut blocked = BlockedEvals::default();
        blocked.set_enabled(true);
        for eval in &evals {
            let eval = Evaluation {
                escaped_computed_class: true,
                ..Evaluation::clone(eval)
            };
            blocked.block(Arc::new(eval), None);
        }
        let mut broker = EvalBroker::default();
        broker.set_enabled(true);
        (blocked, broker)
    };
    group.bench_function("release_50k", |b| {
        b.iter_batched(
            setup,
            |(mut blocked, mut broker)| {
                let released = blocked.unblock("class-1", 100, Time::default());
                broker.enqueue_all(released, Time::default());
                black_box((blocked, broker))
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = cycles, release
}
criterion_main!(benches);

//! drover-state benchmarks, perf-anchors.md B5, B6 and B8: job commits with 100k jobs
//! resident (one per transaction with a snapshot each, and batches of 1,000; borrowed as the
//! engine applies them, or given up as a replayed log entry is), paging by prefix, the full
//! list as the engine answers `GET /v1/jobs`, and snapshots with 100k jobs and 1M allocations.

/// The agent's allocator, so the medians are what the served API sees.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::cell::Cell;
use std::hint::black_box;
use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use drover::core::api::{ListJobsOptions, RequestContext};
use drover::core::{Engine, EngineConfig, ManualClock, MemoryLog};
use drover::model::allocation::{ClientStatus, DesiredStatus};
use drover::model::{Allocation, Job, TaskGroup};
use drover::state::{Command, NamespaceSelector, PageRequest, PlanResults, StateStore, UpsertJob};

const JOBS: usize = 100_000;
const ALLOCS_PER_JOB: usize = 10;

fn job(n: usize, count: i64) -> Job {
    Job {
        id: format!("job-{n:06}").into(),
        name: format!("job-{n:06}").into(),
        namespace: "default".into(),
        region: "global".into(),
        job_type: "service".into(),
        priority: 50,
        datacenters: vec!["dc1".into()],
        task_groups: vec![Arc::new(TaskGroup {
            name: "web".into(),
            count,
            ..TaskGroup::default()
        })],
        ..Job::default()
    }
}

fn upsert(job: Job) -> Command {
    Command::UpsertJob(UpsertJob {
        job: Arc::new(job),
        ..UpsertJob::default()
    })
}

/// A store with `JOBS` jobs, each registered `versions` times (counts 1 to `versions`) in
/// batches of 1,000; returns the next free index.
fn resident_jobs(versions: i64) -> (StateStore, u64) {
    let store = StateStore::new();
    let mut index = 0;
    for count in 1..=versions {
        for chunk in (0..JOBS).collect::<Vec<_>>().chunks(1000) {
            index += 1;
            let batch = Command::Batch(chunk.iter().map(|n| upsert(job(*n, count))).collect());
            store.apply_owned(index, batch).expect("register");
        }
    }
    (store, index + 1)
}

fn commits(c: &mut Criterion) {
    // Every job holds as many versions as the store tracks, so a commit measures the steady
    // state (a new version in, the oldest out) rather than a heap still growing into fresh
    // pages.
    let tracked = drover::state::JOB_TRACKED_VERSIONS as i64;
    let (store, first_index) = resident_jobs(tracked);
    // As the agent runs it: what a commit replaces is freed on a thread of its own.
    store.set_reclaimer(drover::state::spawn_reclaimer().expect("reclaimer thread"));
    // Every commit needs the next index.
    let index = Cell::new(first_index);
    let commit = |command: &Command| {
        store.apply(index.get(), command).expect("apply");
        index.set(index.get() + 1);
    };
    let mut group = c.benchmark_group("B5 job commits, 100k jobs resident");
    // A different job each time, with a count that changes its spec: the steps visit every
    // job once per `JOBS` steps, and each round gives them another count than the last. The
    // setup's counts are at most `tracked`, the single commits' 10 to 14 and the batches' 20
    // to 24, so a job is a new version whichever bench visits it next.
    let mut step = 0usize;
    let mut changed_job = || {
        let n = (step * 7919) % JOBS;
        let count = 10 + (step / JOBS % 5) as i64;
        step += 1;
        upsert(job(n, count))
    };
    group.throughput(Throughput::Elements(1));
    group.bench_function("one job per commit + snapshot", |b| {
        b.iter_batched(
            &mut changed_job,
            // The command goes back to criterion, which drops it untimed: a caller keeps its
            // command (in the log) past the commit.
            |command| {
                commit(&command);
                black_box(store.snapshot());
                command
            },
            BatchSize::SmallInput,
        );
    });
    // The same, with the command given up to the store (a replayed log entry): its job
    // becomes the stored one without a copy.
    group.bench_function("one job per commit + snapshot, command given up", |b| {
        b.iter_batched(
            &mut changed_job,
            |command| {
                store.apply_owned(index.get(), command).expect("apply");
                index.set(index.get() + 1);
                black_box(store.snapshot());
            },
            BatchSize::SmallInput,
        );
    });
    group.throughput(Throughput::Elements(1000));
    // Batches visit every job once per round of `JOBS / 1000` batches, each round with
    // another count than the last, so every job of a batch is a new version.
    let mut batches = 0usize;
    let mut batch = || {
        let first = batches * 1000 % JOBS;
        let count = 20 + (batches * 1000 / JOBS % 5) as i64;
        batches += 1;
        Command::Batch(
            (first..first + 1000)
                .map(|n| upsert(job(n, count)))
                .collect(),
        )
    };
    group.bench_function("1,000 jobs per commit", |b| {
        b.iter_batched(
            &mut batch,
            |command| {
                commit(&command);
                command
            },
            BatchSize::LargeInput,
        );
    });
    group.bench_function("1,000 jobs per commit, command given up", |b| {
        b.iter_batched(
            &mut batch,
            |command| {
                store.apply_owned(index.get(), command).expect("apply");
                index.set(index.get() + 1);
            },
            BatchSize::LargeInput,
        );
    });
    group.finish();

    let snap = store.snapshot();
    let ns = NamespaceSelector::one("default");
    let mut group = c.benchmark_group("B6 list jobs, 100k jobs");
    let first_page = PageRequest {
        prefix: "job-04".to_string(),
        per_page: 100,
        ..PageRequest::default()
    };
    group.bench_function("first page of 100 by prefix", |b| {
        b.iter(|| black_box(snap.list_jobs(&ns, &first_page, &|_| true)));
    });
    let token = snap.list_jobs(&ns, &first_page, &|_| true).next_token;
    let next_page = PageRequest {
        next_token: token,
        ..first_page.clone()
    };
    group.bench_function("next page of 100 by token", |b| {
        b.iter(|| black_box(snap.list_jobs(&ns, &next_page, &|_| true)));
    });
    group.bench_function("full list", |b| {
        b.iter(|| black_box(snap.list_jobs(&ns, &PageRequest::default(), &|_| true)));
    });
    // What `GET /v1/jobs` answers: the engine's list of stubs (each with its summary), then
    // the same list as JSON, written in pieces as the agent writes and sends it.
    let engine = Engine::restore(
        EngineConfig::default(),
        Arc::new(ManualClock::new(0)),
        Box::new(MemoryLog::new()),
        StateStore::from_snapshot(snap.clone()),
    );
    let (ctx, options) = (RequestContext::default(), ListJobsOptions::default());
    group.bench_function("full list of stubs (engine)", |b| {
        b.iter(|| black_box(engine.list_jobs(&ctx, &options).expect("list")));
    });
    group.bench_function("full list of stubs as JSON (engine)", |b| {
        b.iter(|| {
            let stubs = engine.list_jobs(&ctx, &options).expect("list").value;
            // The pieces the agent sends, each dropped once sent.
            let pieces = drover::core::JobListChunks::new(stubs);
            pieces
                .map(|piece| black_box(piece.expect("json")).len())
                .sum::<usize>()
        });
    });
    group.finish();
}

fn snapshots(c: &mut Criterion) {
    let (store, mut index) = resident_jobs(1);
    let snap = store.snapshot();
    for chunk in (0..JOBS).collect::<Vec<_>>().chunks(100) {
        let allocs: Vec<Allocation> = chunk
            .iter()
            .flat_map(|n| {
                let job = snap.job("default", &format!("job-{n:06}")).expect("job");
                (0..ALLOCS_PER_JOB).map(move |k| Allocation {
                    id: format!("{n:06}-{k:02}-0000-0000-000000000000").into(),
                    namespace: "default".into(),
                    eval_id: format!("eval-{n:06}").into(),
                    name: format!("{}.web[{k}]", job.id).into(),
                    node_id: format!("node-{:04}", (n * ALLOCS_PER_JOB + k) % 5000).into(),
                    job_id: job.id.as_str().into(),
                    job: Some(job.clone()),
                    task_group: "web".into(),
                    desired_status: DesiredStatus::Run,
                    client_status: ClientStatus::Pending,
                    ..Allocation::default()
                })
            })
            .collect();
        let plan = Command::ApplyPlanResults(PlanResults {
            allocs_updated: allocs.into_iter().map(Arc::new).collect(),
            ..PlanResults::default()
        });
        store.apply(index, &plan).expect("place");
        index += 1;
    }
    let mut group = c.benchmark_group("B8 snapshot, 100k jobs + 1M allocs");
    group.bench_function("take a snapshot", |b| {
        b.iter(|| black_box(store.snapshot()))
    });
    group.finish();
}

criterion_group!(benches, commits, snapshots);
criterion_main!(benches);

//! `filter=` expressions, for B6 of perf-anchors.md section 8 (listing 100k jobs): Nomad applies
//! the filter to every job before paging, so a filtered list costs one evaluation per job.
//!
//! - `filter/parse/*`: parse an expression (once per request).
//! - `filter/100k_jobs/*`: evaluate it against 100k job records already in JSON form. Goal: at
//!   most 20 ms (200 ns a job), well inside B6's 50 ms for a full list with JSON.
//!   `filter/100k_jobs/direct_lookup` is the floor: the same walk as `equal` with
//!   `job["Status"] == "running"` written in Rust, which is mostly cache misses.
//! - `filter/100k_job_records/*`: what a filtered job list does per job, from `Job` structs:
//!   `whole_json` serializes each job to a JSON tree first (the way lists did), `read_fields`
//!   builds only the fields the expression reads (`Filter::evaluate_record`).

/// The agent's allocator, so the medians are what the served API sees.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use drover::filter::Filter;
use drover::model::{Job, Task, TaskGroup};
use serde_json::{Value, json};

const JOBS: usize = 100_000;

const EXPRESSIONS: [(&str, &str); 4] = [
    ("equal", r#"Status == "running""#),
    (
        "and_in_missing_key",
        r#"Status == "running" and "dc2" in Datacenters and Meta.team != "payments""#,
    ),
    ("regex", r#"Name matches "^web-0001" or Priority == 53"#),
    ("collection", "any TaskGroups as tg { tg.Count == 1 }"),
];

/// Job records with the fields filters usually name, varied so that every test both passes and
/// fails somewhere.
fn jobs() -> Vec<Value> {
    (0..JOBS)
        .map(|i| {
            let datacenters = if i % 2 == 0 {
                json!(["dc1", "dc2"])
            } else {
                json!(["dc3"])
            };
            let meta = if i % 5 == 0 {
                json!({})
            } else {
                json!({"team": (["payments", "search", "infra", "ml"][i % 4]), "tier": "web"})
            };
            json!({
                "ID": format!("web-{i:06}"),
                "Name": format!("web-{i:06}"),
                "Namespace": "default",
                "Type": (["service", "batch", "system"][i % 3]),
                "Status": (["running", "pending", "dead"][i % 3]),
                "Priority": 50 + i % 7,
                "Datacenters": datacenters,
                "Meta": meta,
                "TaskGroups": [{"Name": "web", "Count": 1 + i % 3}, {"Name": "db", "Count": 3}],
                "Stop": false,
                "CreateIndex": i,
                "ModifyIndex": i + 10,
            })
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut parse = c.benchmark_group("filter/parse");
    for (name, expression) in EXPRESSIONS {
        parse.bench_function(name, |b| b.iter(|| Filter::parse(black_box(expression))));
    }
    parse.finish();

    let jobs = jobs();
    let mut evaluate = c.benchmark_group("filter/100k_jobs");
    evaluate.throughput(Throughput::Elements(JOBS as u64));
    evaluate.bench_function("direct_lookup", |b| {
        b.iter(|| jobs.iter().filter(|job| job["Status"] == "running").count())
    });
    for (name, expression) in EXPRESSIONS {
        let filter = Filter::parse(expression).expect("the expression parses");
        evaluate.bench_function(name, |b| {
            b.iter(|| jobs.iter().filter(|job| filter.matches(job)).count())
        });
    }
    evaluate.finish();

    // What a filtered `GET /v1/jobs` does per job: the record is a `Job` struct, not JSON.
    let records = job_records();
    let mut records_group = c.benchmark_group("filter/100k_job_records");
    records_group.throughput(Throughput::Elements(JOBS as u64));
    for (name, expression) in [EXPRESSIONS[0], EXPRESSIONS[3]] {
        let filter = Filter::parse(expression).expect("the expression parses");
        records_group.bench_function(format!("{name}/whole_json"), |b| {
            b.iter(|| {
                records
                    .iter()
                    .filter(|job| filter.matches(&serde_json::to_value(job).expect("json")))
                    .count()
            })
        });
        records_group.bench_function(format!("{name}/read_fields"), |b| {
            b.iter(|| {
                records
                    .iter()
                    .filter(|job| filter.evaluate_record(job).unwrap_or(false))
                    .count()
            })
        });
    }
    records_group.finish();
}

/// The same jobs as `Job` records, each with a group of one task.
fn job_records() -> Vec<Job> {
    (0..JOBS)
        .map(|i| Job {
            id: format!("web-{i:06}").into(),
            name: format!("web-{i:06}").into(),
            namespace: "default".into(),
            job_type: ["service", "batch", "system"][i % 3].into(),
            status: ["running", "pending", "dead"][i % 3].into(),
            priority: 50 + (i % 7) as i64,
            datacenters: vec!["dc1".into()],
            task_groups: vec![Arc::new(TaskGroup {
                name: "web".into(),
                count: 1 + (i % 3) as i64,
                tasks: vec![Arc::new(Task {
                    name: "server".into(),
                    driver: "docker".into(),
                    ..Task::default()
                })],
                ..TaskGroup::default()
            })],
            ..Job::default()
        })
        .collect()
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);

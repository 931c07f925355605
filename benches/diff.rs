//! B7 of perf-anchors.md section 8: the job diff of two large jobs, contextual as the plan and
//! versions endpoints ask for it. The job has 100 task groups of 10 tasks, each task with about
//! 50 flattened fields (an env map, meta, driver config, resources, logs, an artifact and a
//! template).
//!
//! - `diff/one_field_changed`: one env value of one task differs, the new job made as a user's
//!   edit of the stored version is (a clone that shares every group and task, then
//!   `Arc::make_mut` on the one task). Goal: at most 200 µs.
//! - `diff/one_field_changed_unshared`: the same two jobs decoded separately, so that nothing
//!   is shared (a job submitted to the plan endpoint): the floor is one `==` pass over both.
//! - `diff/every_field_changed`: every value of every group and task differs (names match, so
//!   everything pairs up and is Edited). Goal: at most 5 ms.

/// The agent's allocator, so the medians are what the served API sees.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use drover::model::{Job, decode_value};
use drover::plan::diff::{DiffType, job_diff};
use serde_json::{Value, json};

const GROUPS: usize = 100;
const TASKS: usize = 10;

/// One task; `v` varies every value while keeping the names.
fn task(name: String, v: u64) -> Value {
    let env: serde_json::Map<String, Value> = (0..15)
        .map(|i| (format!("VAR_{i}"), json!(format!("value-{i}-{v}"))))
        .collect();
    json!({
        "Name": name,
        "Driver": if v == 0 { "docker" } else { "podman" },
        "User": format!("user-{v}"),
        "Env": env,
        "Meta": {"a": format!("{v}"), "b": format!("b{v}"), "c": format!("c{v}"), "d": "x", "e": format!("e{v}")},
        "KillTimeout": 5_000_000_000_u64 + v,
        "KillSignal": format!("SIG{v}"),
        "Config": {"image": format!("app:{v}"), "args": ["-p", format!("{v}")], "ports": [format!("http{v}")]},
        "Resources": {"CPU": 100 + v, "MemoryMB": 256 + v, "MemoryMaxMB": 512 + v},
        "LogConfig": {"MaxFiles": 10 + v, "MaxFileSizeMB": 10 + v},
        "Artifacts": [{"GetterSource": format!("https://example.com/{v}.tgz"), "RelativeDest": "local/app",
                       "GetterOptions": {"checksum": format!("sha256:{v}")}}],
        "Templates": [{"DestPath": "local/conf", "EmbeddedTmpl": format!("x={v}"), "ChangeMode": "restart",
                       "Splay": 5_000_000_000_u64 + v, "Perms": "0644"}],
    })
}

fn job(v: u64) -> Job {
    let groups: Vec<Value> = (0..GROUPS)
        .map(|g| {
            json!({
                "Name": format!("group-{g}"),
                "Count": 3 + v,
                "Meta": {"team": format!("t{v}")},
                "RestartPolicy": {"Attempts": 2 + v, "Interval": 1_800_000_000_000_u64, "Delay": 15_000_000_000_u64 + v, "Mode": "fail"},
                "EphemeralDisk": {"SizeMB": 300 + v},
                "Tasks": (0..TASKS).map(|t| task(format!("task-{t}"), v)).collect::<Vec<_>>(),
            })
        })
        .collect();
    let value = json!({
        "ID": "big", "Name": "big", "Type": "service", "Priority": 50 + v,
        "Datacenters": ["dc1"], "TaskGroups": groups,
    });
    decode_value(value, "Job").expect("job decodes")
}

fn bench(c: &mut Criterion) {
    let old = job(0);

    let edit = |job: &mut Job| {
        let group = Arc::make_mut(&mut job.task_groups[57]);
        Arc::make_mut(&mut group.tasks[3])
            .env
            .insert("VAR_7".to_owned(), "changed".to_owned());
    };
    let mut one = old.clone();
    edit(&mut one);
    let mut unshared = job(0);
    edit(&mut unshared);
    let diff = job_diff(Some(&old), Some(&one), true).expect("diff");
    assert_eq!(diff.diff_type, DiffType::Edited);
    assert_eq!(job_diff(Some(&old), Some(&unshared), true), Ok(diff));
    c.bench_function("diff/one_field_changed", |b| {
        b.iter(|| job_diff(black_box(Some(&old)), black_box(Some(&one)), true))
    });
    c.bench_function("diff/one_field_changed_unshared", |b| {
        b.iter(|| job_diff(black_box(Some(&old)), black_box(Some(&unshared)), true))
    });

    let every = job(1);
    c.bench_function("diff/every_field_changed", |b| {
        b.iter(|| job_diff(black_box(Some(&old)), black_box(Some(&every)), true))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

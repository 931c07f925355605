//! B3 and B10 of perf-anchors.md section 8, end to end through the `Engine`.
//!
//! B3, the C1M shape: 10,000 nodes in 5 node classes, then 1,000 service jobs of count 1,000,
//! each constrained to one class, registered through the engine (register, eval broker,
//! scheduler, plan applier, commit). Prints placements per second, the phases' times and the
//! peak resident memory. Goal: the whole run in 30 s (33k placements/s), stretch 5 s; peak
//! memory at most 2 GB.
//!
//! B10, a node-failure storm: then 1,000 of those nodes go down and the allocations on them are
//! rescheduled elsewhere. Goal: 3 s. Also printed, on one worker: how many of its evaluations
//! wrote allocations and how many found nothing left to do, with the time each kind took.
//!
//! ```sh
//! cargo run --release --example c1m                                      # full size
//! cargo run --release --example c1m -- --jobs 100 --nodes 1000 --down 100  # a tenth
//! cargo run --release --example c1m -- --workers 2   # B10 with two scheduler workers
//! ```
//!
//! B3 always runs on one worker (its definition: one core). `--workers N` runs B10's
//! evaluations on N threads, as the agent runs `num_schedulers` workers (Nomad's default: one
//! per core): they schedule in parallel and their plans are applied one at a time.
//!
//! The log keeps nothing (it counts entries): B3 measures the engine, not a log's memory.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use drover::core::api::{JobRegisterRequest, RequestContext};
use drover::core::{Engine, EngineConfig, Log, LogError, ManualClock};
use drover::model::{Job, Node};
use drover::state::{Command, NamespaceSelector, PageRequest, Snapshot, Table};
use serde_json::json;

const CLASSES: [&str; 5] = ["class-a", "class-b", "class-c", "class-d", "class-e"];
/// 2024-01-01T00:00:00Z, in unix nanoseconds.
const START: i64 = 1_704_067_200_000_000_000;

/// As in the agent: glibc's malloc made a million-allocation run superlinear.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A log that only counts: nothing to keep for a benchmark of the engine.
struct CountingLog;

impl Log for CountingLog {
    fn append(&mut self, _index: u64, _command: &Command) -> Result<(), LogError> {
        Ok(())
    }
}

struct Options {
    jobs: usize,
    count: usize,
    nodes: usize,
    down: usize,
    workers: usize,
}

impl Options {
    fn from_args() -> Self {
        let mut options = Options {
            jobs: 1000,
            count: 1000,
            nodes: 10_000,
            down: 1000,
            workers: 1,
        };
        let args: Vec<String> = std::env::args().skip(1).collect();
        for pair in args.chunks(2) {
            let value = || -> usize {
                let text = pair.get(1).map_or("", String::as_str);
                text.parse()
                    .unwrap_or_else(|_| usage(&format!("{} needs a number", pair[0])))
            };
            match pair[0].as_str() {
                "--jobs" => options.jobs = value(),
                "--count" => options.count = value(),
                "--nodes" => options.nodes = value(),
                "--down" => options.down = value(),
                "--workers" => options.workers = value().max(1),
                other => usage(&format!("unknown option {other}")),
            }
        }
        options.down = options.down.min(options.nodes);
        options
    }
}

fn usage(problem: &str) -> ! {
    eprintln!(
        "c1m: {problem}\nusage: c1m [--jobs N] [--count N] [--nodes N] [--down N] [--workers N]"
    );
    std::process::exit(2)
}

/// Node `i`, of class `i % 5`: 16 cores' worth of MHz and 32 GiB, room for 320 allocations.
fn node(i: usize) -> Node {
    serde_json::from_value(json!({
        "ID": format!("{i:08x}-0000-4000-8000-000000000000"), "Name": format!("node-{i}"),
        "Datacenter": "dc1", "NodeClass": CLASSES[i % CLASSES.len()], "Status": "ready",
        "Attributes": {"kernel.name": "linux", "driver.exec": "1"},
        "Drivers": {"exec": {"Detected": true, "Healthy": true}},
        "NodeResources": {"Cpu": {"CpuShares": 16_000}, "Memory": {"MemoryMB": 32_768},
                          "Disk": {"DiskMB": 500_000},
                          "Networks": [{"Mode": "host", "Device": "eth0", "MBits": 10_000,
                                        "IP": format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255)}]}
    }))
    .expect("a node decodes")
}

/// Service job `j` of `count` allocations (50 MHz, 32 MB each), on the nodes of class `j % 5`.
fn job(j: usize, count: usize) -> Job {
    serde_json::from_value(json!({
        "ID": format!("c1m-{j:04}"), "Type": "service", "Datacenters": ["dc1"],
        "Constraints": [{"LTarget": "${node.class}", "Operand": "=",
                         "RTarget": CLASSES[j % CLASSES.len()]}],
        "TaskGroups": [{
            "Name": "g", "Count": count,
            "EphemeralDisk": {"SizeMB": 150},
            "Tasks": [{"Name": "sleep", "Driver": "exec",
                       "Config": {"command": "/bin/sleep", "args": ["1000"]},
                       "Resources": {"CPU": 50, "MemoryMB": 32}}]
        }]
    }))
    .expect("a job decodes")
}

/// Peak resident memory (`VmHWM`), as the kernel reports it.
fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l["VmHWM:".len()..].trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string())
}

/// Live allocations (not terminal) in the whole cluster, and those on `nodes`.
fn live_allocs(snapshot: &Snapshot, nodes: &[String]) -> (usize, usize) {
    let all = snapshot
        .list_allocs(&NamespaceSelector::All, &PageRequest::default(), &|a| {
            !a.terminal()
        })
        .items
        .len();
    let on_nodes = nodes
        .iter()
        .map(|n| snapshot.allocs_by_node_terminal(n, false).len())
        .sum();
    (all, on_nodes)
}

/// Why placements failed: the first evaluation that reports failed allocations.
fn report_failed_placements(snapshot: &Snapshot) {
    let evals = snapshot.list_evals(&NamespaceSelector::All, &PageRequest::default(), &|e| {
        e.failed_tg_allocs.as_ref().is_some_and(|f| !f.is_empty())
    });
    if let Some(eval) = evals.items.first() {
        println!(
            "failed placements of {}: {:?}",
            eval.job_id, eval.failed_tg_allocs
        );
    }
}

/// CPU time used by the process so far (user and system), from `/proc/self/stat` in clock
/// ticks of 1/100 s: on a shared machine the wall clock says more about the neighbours.
fn cpu_time() -> Duration {
    let ticks = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the command name: utime and stime are the 12th and 13th.
            let fields: Vec<u64> = s
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .skip(11)
                .take(2)
                .map(|f| f.parse().ok())
                .collect::<Option<_>>()?;
            Some(fields.iter().sum::<u64>())
        })
        .unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn main() {
    let options = Options::from_args();
    let clock = Arc::new(ManualClock::new(START));
    let config = EngineConfig {
        seed: 1,
        ..EngineConfig::default()
    };
    let engine = Engine::new(config, clock, Box::new(CountingLog));
    let ctx = RequestContext::default();
    println!(
        "c1m: {} nodes in {} classes, {} service jobs x {} allocations",
        options.nodes,
        CLASSES.len(),
        options.jobs,
        options.count
    );

    let started = Instant::now();
    for i in 0..options.nodes {
        engine.upsert_node(node(i)).expect("node registers");
    }
    let nodes_time = started.elapsed();
    println!("nodes registered: {:.2} s", secs(nodes_time));

    // B3.
    let started = Instant::now();
    let cpu_started = cpu_time();
    for j in 0..options.jobs {
        let request = JobRegisterRequest {
            job: Some(job(j, options.count)),
            ..JobRegisterRequest::default()
        };
        engine.register_job(&ctx, request).expect("job registers");
    }
    let register_time = started.elapsed();
    let evals = engine.process_until_idle().expect("scheduling succeeds");
    let b3 = started.elapsed();
    let b3_cpu = cpu_time() - cpu_started;
    let wanted = options.jobs * options.count;
    let (placed, _) = live_allocs(&engine.snapshot(), &[]);
    println!(
        "B3: {placed} of {wanted} allocations placed by {evals} evaluations in {:.2} s \
         (register {:.2} s, schedule and commit {:.2} s): {:.0} placements/s; {:.2} s of CPU \
         ({:.0} placements per CPU second); peak RSS {}",
        secs(b3),
        secs(register_time),
        secs(b3 - register_time),
        placed as f64 / secs(b3),
        secs(b3_cpu),
        placed as f64 / secs(b3_cpu),
        peak_rss()
    );

    if placed < wanted {
        report_failed_placements(&engine.snapshot());
    }

    // B10: the first `down` nodes, which cover every class evenly.
    let failed: Vec<String> = (0..options.down).map(|i| node(i).id.into()).collect();
    let (_, on_failed) = live_allocs(&engine.snapshot(), &failed);
    let started = Instant::now();
    let cpu_started = cpu_time();
    for id in &failed {
        engine
            .update_node_status(id, "down")
            .expect("node goes down");
    }
    // One worker times each evaluation by kind; several only count them, as reading the
    // store between steps would wait for the other workers' commits.
    let (evals, split) = if options.workers == 1 {
        let split = process_split(&engine);
        (split.placing.0 + split.idle.0, Some(split))
    } else {
        let busy = AtomicUsize::new(0);
        let evals = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..options.workers)
                .map(|_| scope.spawn(|| process_shared(&engine, &busy)))
                .collect();
            let counts = workers.into_iter().map(|w| w.join().expect("worker runs"));
            counts.sum()
        });
        (evals, None)
    };
    let b10 = started.elapsed();
    let b10_cpu = cpu_time() - cpu_started;
    let (live, left_on_failed) = live_allocs(&engine.snapshot(), &failed);
    println!(
        "B10: {} nodes down with {on_failed} allocations; {evals} evaluations in {:.2} s: \
         {live} allocations live ({left_on_failed} still on the failed nodes), {:.0} \
         replacements/s; {:.2} s of CPU; peak RSS {}",
        options.down,
        secs(b10),
        on_failed as f64 / secs(b10),
        secs(b10_cpu),
        peak_rss()
    );
    match split {
        Some(split) => println!(
            "B10 evaluations: {} wrote allocations in {:.2} s, {} found nothing to do in {:.2} s",
            split.placing.0,
            secs(split.placing.1),
            split.idle.0,
            secs(split.idle.1)
        ),
        None => println!("B10 evaluations: {evals} on {} workers", options.workers),
    }
}

/// How many evaluations wrote allocations and how many found nothing to do, with the wall
/// time of each kind (Nomad runs both: the second evaluation of a job finds its work done).
#[derive(Default)]
struct Split {
    placing: (usize, Duration),
    idle: (usize, Duration),
}

/// Runs the engine's worker until no evaluation is ready, timing each evaluation. Never
/// inlined: profilers select B10 by this frame (`valgrind --toggle-collect='*process_split*'`).
#[inline(never)]
fn process_split(engine: &Engine) -> Split {
    let mut split = Split::default();
    loop {
        let before = engine.snapshot().table_index(Table::Allocs);
        let started = Instant::now();
        if !engine.worker_step().expect("rescheduling succeeds") {
            return split;
        }
        let took = started.elapsed();
        let kind = if engine.snapshot().table_index(Table::Allocs) == before {
            &mut split.idle
        } else {
            &mut split.placing
        };
        kind.0 += 1;
        kind.1 += took;
    }
}

/// One of several workers: steps until no evaluation is ready and no other worker is in a
/// step (`busy` counts those), since an evaluation in flight may still make another one
/// ready; returns how many it processed. Never inlined, as `process_split`.
#[inline(never)]
fn process_shared(engine: &Engine, busy: &AtomicUsize) -> usize {
    let mut processed = 0;
    loop {
        busy.fetch_add(1, Ordering::SeqCst);
        let stepped = engine.worker_step().expect("rescheduling succeeds");
        let others = busy.fetch_sub(1, Ordering::SeqCst) - 1;
        if stepped {
            processed += 1;
        } else if others == 0 {
            return processed;
        } else {
            std::thread::sleep(Duration::from_micros(50));
        }
    }
}

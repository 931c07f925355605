//! The workload generator: jobs of every type with random counts, resources, node-class
//! constraints, update and reschedule blocks, and the calls users make on them (update in place
//! or destructively, scale, stop, purge, dispatch). Jobs are chosen from the engine's own state,
//! so the generator keeps no model of its own that could drift from the engine's.

use std::sync::Arc;

use drover::core::api::{
    JobDeregisterOptions, JobDispatchRequest, JobRegisterRequest, RequestContext, ScalingRequest,
};
use drover::core::{ApiResult, Engine};
use drover::model::Job;
use drover::state::{NamespaceSelector, Snapshot};
use serde_json::{Value, json};

use super::cluster::NODE_CLASSES;
use super::rng::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Service,
    Batch,
    System,
    Parameterized,
    Periodic,
}

const KINDS: [(JobKind, u64); 5] = [
    (JobKind::Service, 5),
    (JobKind::Batch, 3),
    (JobKind::System, 1),
    (JobKind::Parameterized, 1),
    (JobKind::Periodic, 1),
];

fn ctx() -> RequestContext {
    RequestContext::default()
}

/// What a call answered, for the trace: `ok` or the refusal.
pub fn outcome<T>(result: ApiResult<T>) -> Result<String, String> {
    match result {
        Ok(_) => Ok("ok".to_string()),
        // Refusals of what a user may legitimately ask (scaling a job that is gone, ...).
        Err(e) if e.status == 400 || e.status == 404 => Ok(format!("refused: {e}")),
        Err(e) if expected_refusal(&e.message) => Ok(format!("refused: {e}")),
        Err(e) => Err(format!("unexpected error: {e}")),
    }
}

/// Nomad's 500s that the generator provokes on purpose: it dispatches parameterized jobs
/// without looking whether they were stopped.
fn expected_refusal(message: &str) -> bool {
    message.starts_with("Specified job ") && message.ends_with(" is stopped")
}

/// A new job named `sim-<n>`.
pub fn new_job(rng: &mut Rng, n: u64) -> Job {
    let kind = rng.weighted(&KINDS);
    let groups = if kind == JobKind::Service && rng.chance(30) {
        2
    } else {
        1
    };
    let mut job = json!({
        "ID": format!("sim-{n}"),
        "Datacenters": ["dc1"],
        "Priority": rng.between(30, 80),
        "TaskGroups": (0..groups).map(|g| group(rng, kind, g)).collect::<Vec<_>>(),
    });
    let fields = job.as_object_mut().expect("an object");
    let job_type = match kind {
        JobKind::Service => "service",
        JobKind::System => "system",
        _ => "batch",
    };
    fields.insert("Type".into(), json!(job_type));
    if rng.chance(30) {
        let class = rng.pick(&NODE_CLASSES).expect("classes");
        fields.insert(
            "Constraints".into(),
            json!([{"LTarget": "${node.class}", "Operand": "=", "RTarget": class}]),
        );
    }
    if kind == JobKind::Service && rng.chance(50) {
        fields.insert(
            "Update".into(),
            json!({"MaxParallel": rng.between(1, 3), "HealthCheck": "task_states"}),
        );
    }
    match kind {
        JobKind::Parameterized => {
            fields.insert(
                "ParameterizedJob".into(),
                json!({"Payload": "optional", "MetaOptional": ["key"]}),
            );
        }
        JobKind::Periodic => {
            fields.insert(
                "Periodic".into(),
                json!({"Enabled": true, "SpecType": "cron", "Spec": "*/5 * * * *",
                       "ProhibitOverlap": rng.chance(50)}),
            );
        }
        _ => {}
    }
    serde_json::from_value(job).expect("a generated job decodes")
}

fn group(rng: &mut Rng, kind: JobKind, index: usize) -> Value {
    let count = match kind {
        JobKind::System => 1,
        JobKind::Service => rng.between(1, 6),
        _ => rng.between(1, 3),
    };
    let mut group = json!({
        "Name": format!("g{index}"),
        "Count": count,
        "Tasks": [{
            "Name": "main",
            "Driver": "docker",
            "Config": {"image": "app:1"},
            "Env": {"REV": "0"},
            "Resources": {"CPU": rng.between(1, 12) * 100, "MemoryMB": rng.between(1, 8) * 128},
        }],
        "EphemeralDisk": {"SizeMB": rng.between(2, 6) * 100},
    });
    if kind != JobKind::System {
        let policy = if rng.chance(50) {
            json!({"Attempts": 0, "Unlimited": false})
        } else {
            json!({"Attempts": rng.between(1, 3), "Interval": 3_600_000_000_000i64,
                   "Delay": 5_000_000_000i64, "DelayFunction": "constant", "Unlimited": false})
        };
        group["ReschedulePolicy"] = policy;
    }
    group
}

pub fn register(engine: &Engine, rng: &mut Rng, n: u64) -> (String, Result<String, String>) {
    let job = new_job(rng, n);
    let what = format!("register {} ({})", job.id, job.job_type);
    (what, outcome(engine.register_job(&ctx(), request(job))))
}

fn request(job: Job) -> JobRegisterRequest {
    JobRegisterRequest {
        job: Some(job),
        ..JobRegisterRequest::default()
    }
}

/// Jobs a user registered (not dispatched or periodic children), in ID order.
fn parents(snapshot: &Snapshot) -> Vec<std::sync::Arc<Job>> {
    snapshot
        .jobs(&NamespaceSelector::All, "sim-")
        .filter(|j| j.parent_id.is_empty())
        .cloned()
        .collect()
}

fn pick_parent(snapshot: &Snapshot, rng: &mut Rng) -> Option<std::sync::Arc<Job>> {
    rng.pick(&parents(snapshot)).cloned()
}

/// A new version of a job: an in-place change (kill timeout, priority), a destructive one
/// (the task's environment, its resources), or a count change; sometimes a stopped job is
/// started again.
pub fn update(engine: &Engine, rng: &mut Rng) -> Option<(String, Result<String, String>)> {
    let snapshot = engine.snapshot();
    let mut job = (*pick_parent(&snapshot, rng)?).clone();
    let index = rng.below(job.task_groups.len() as u64) as usize;
    let group = Arc::make_mut(&mut job.task_groups[index]);
    let change = match rng.below(4) {
        0 => {
            let task = Arc::make_mut(&mut group.tasks[0]);
            task.kill_timeout += 1_000_000_000;
            "in place"
        }
        1 => {
            let task = Arc::make_mut(&mut group.tasks[0]);
            let rev = task.env.get("REV").cloned().unwrap_or_default();
            task.env.insert("REV".into(), format!("{rev}+"));
            "destructive"
        }
        2 => {
            if let Some(resources) = Arc::make_mut(&mut group.tasks[0]).resources.as_mut() {
                resources.memory_mb = rng.between(1, 8) * 128;
            }
            "resources"
        }
        _ => {
            if job.job_type != "system" {
                group.count = rng.between(0, 6);
            }
            "count"
        }
    };
    job.stop = false;
    let what = format!("update {} ({change})", job.id);
    Some((what, outcome(engine.register_job(&ctx(), request(job)))))
}

pub fn scale(engine: &Engine, rng: &mut Rng) -> Option<(String, Result<String, String>)> {
    let snapshot = engine.snapshot();
    let job = pick_parent(&snapshot, rng)?;
    let group = rng.pick(&job.task_groups)?.name.clone();
    let count = rng.between(0, 6);
    let request = ScalingRequest {
        count: Some(count),
        target: [("Group".to_string(), group.to_string())].into(),
        message: "simulation".to_string(),
        ..ScalingRequest::default()
    };
    let what = format!("scale {}/{group} to {count}", job.id);
    Some((what, outcome(engine.scale_job(&ctx(), &job.id, request))))
}

/// Stops (or with `purge`, purges) a job: a parent, or now and then a dispatched or periodic
/// child.
pub fn deregister(
    engine: &Engine,
    rng: &mut Rng,
    purge: bool,
) -> Option<(String, Result<String, String>)> {
    let snapshot = engine.snapshot();
    let jobs: Vec<_> = snapshot
        .jobs(&NamespaceSelector::All, "sim-")
        .cloned()
        .collect();
    let job = rng.pick(&jobs)?;
    let options = JobDeregisterOptions {
        purge,
        ..JobDeregisterOptions::default()
    };
    let verb = if purge { "purge" } else { "stop" };
    let what = format!("{verb} {}", job.id);
    Some((
        what,
        outcome(engine.deregister_job(&ctx(), &job.id, &options)),
    ))
}

pub fn dispatch(engine: &Engine, rng: &mut Rng) -> Option<(String, Result<String, String>)> {
    let snapshot = engine.snapshot();
    let parameterized: Vec<_> = parents(&snapshot)
        .into_iter()
        .filter(|j| j.is_parameterized())
        .collect();
    let job = rng.pick(&parameterized)?;
    let request = JobDispatchRequest {
        payload: format!("p{}", rng.below(1000)).into_bytes(),
        meta: [("key".to_string(), "v".to_string())].into(),
        ..JobDispatchRequest::default()
    };
    let what = format!("dispatch {}", job.id);
    Some((
        what,
        outcome(engine.dispatch_job(&ctx(), &job.id, request, "")),
    ))
}

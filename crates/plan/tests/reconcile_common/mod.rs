//! Shared fixtures of the reconciler tests: jobs, allocations, nodes at a fixed time, and a
//! compact JSON view of the results compared with golden files under
//! `tests/golden/reconcile/` (`UPDATE_GOLDEN=1` rewrites them; review the diff).

#![allow(dead_code)] // Each test crate uses its own subset.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use drover_model::allocation::{AllocState, alloc_state_field};
use drover_model::{
    AllocDeploymentStatus, Allocation, Deployment, DeploymentState, DesiredTransition,
    EphemeralDisk, HOUR, Job, LogConfig, RescheduleEvent, ReschedulePolicy, RescheduleTracker,
    Resources, SECOND, Task, TaskGroup, TaskState, UpdateStrategy,
};
use drover_model::{ClientStatus, DesiredStatus};
use drover_plan::reconcile::{
    DeploymentStatusUpdate, NodeAllocTuple, NodeReconcileResults, PlaceResult, ReconcileInput,
    ReconcileResults, TaintedNode, TaintedNodes, reconcile,
};
use serde_json::{Map, Value, json};

/// The time every scenario runs at: 2023-11-14T22:13:20Z.
pub const NOW: i64 = 1_700_000_000 * SECOND;

/// IDs `id-1`, `id-2`, ... in the order they are asked for.
pub fn ids() -> impl FnMut() -> String {
    let mut next = 0;
    move || {
        next += 1;
        format!("id-{next}")
    }
}

/// A service job `web` with one group `app` of `count` nginx tasks, as canonicalization leaves
/// it (service reschedule defaults: unlimited, exponential from 30s up to 1h).
pub fn service_job(count: i64) -> Job {
    Job {
        id: "web".into(),
        name: "web".into(),
        namespace: "default".into(),
        job_type: "service".into(),
        priority: 50,
        datacenters: vec!["dc1".into()],
        node_pool: "default".into(),
        create_index: 10,
        modify_index: 10,
        job_modify_index: 10,
        task_groups: vec![Arc::new(TaskGroup {
            name: "app".into(),
            count,
            ephemeral_disk: Some(EphemeralDisk {
                size_mb: 300,
                ..Default::default()
            }),
            reschedule_policy: Some(ReschedulePolicy {
                attempts: Some(0),
                interval: Some(0),
                delay: Some(30 * SECOND),
                delay_function: Some("exponential".into()),
                max_delay: Some(HOUR),
                unlimited: Some(true),
            }),
            tasks: vec![Arc::new(Task {
                name: "server".into(),
                driver: "docker".into(),
                config: [("image".to_string(), json!("nginx:1"))].into(),
                resources: Some(Resources {
                    cpu: 100,
                    memory_mb: 128,
                    ..Default::default()
                }),
                log_config: Some(LogConfig::default()),
                kill_timeout: 5 * SECOND,
                ..Default::default()
            })],
            ..Default::default()
        })],
        ..Default::default()
    }
}

/// A batch job `web` (batch reschedule defaults: one attempt per 24h after 5s).
pub fn batch_job(count: i64) -> Job {
    let mut job = service_job(count);
    job.job_type = "batch".into();
    Arc::make_mut(&mut job.task_groups[0]).reschedule_policy = Some(ReschedulePolicy {
        attempts: Some(1),
        interval: Some(24 * HOUR),
        delay: Some(5 * SECOND),
        delay_function: Some("constant".into()),
        max_delay: Some(0),
        unlimited: Some(false),
    });
    job
}

/// A rolling update block: `max_parallel` at a time, after `canary` canaries.
pub fn update(max_parallel: i64, canary: i64) -> UpdateStrategy {
    UpdateStrategy {
        stagger: Some(30 * SECOND),
        max_parallel: Some(max_parallel),
        health_check: Some("checks".into()),
        min_healthy_time: Some(10 * SECOND),
        healthy_deadline: Some(5 * 60 * SECOND),
        progress_deadline: Some(10 * 60 * SECOND),
        auto_revert: Some(false),
        auto_promote: Some(false),
        canary: Some(canary),
    }
}

pub fn group(job: &mut Job) -> &mut TaskGroup {
    Arc::make_mut(&mut job.task_groups[0])
}

/// The next version of `job` after `change`, with the indexes a register would give it.
pub fn next_version(job: &Job, change: impl FnOnce(&mut Job)) -> Job {
    let mut next = job.clone();
    change(&mut next);
    next.version += 1;
    next.modify_index += 10;
    next.job_modify_index += 10;
    next
}

/// A new image: needs new allocations.
pub fn destructive_change(job: &mut Job) {
    Arc::make_mut(&mut group(job).tasks[0])
        .config
        .insert("image".into(), json!("nginx:2"));
}

/// A longer kill timeout: allocations update in place.
pub fn in_place_change(job: &mut Job) {
    Arc::make_mut(&mut group(job).tasks[0]).kill_timeout = 30 * SECOND;
}

/// Allocation `<job>.app[index]` of `job`'s version, running on `node`. Its ID names the
/// version and index: `v<version>-<index>`.
pub fn alloc(job: &Arc<Job>, index: u64, node: &str) -> Allocation {
    Allocation {
        id: format!("v{}-{index}", job.version).into(),
        namespace: job.namespace.as_str().into(),
        eval_id: "eval-0".into(),
        name: format!("{}.app[{index}]", job.id).into(),
        node_id: node.into(),
        job_id: job.id.as_str().into(),
        job: Some(Arc::clone(job)),
        task_group: "app".into(),
        desired_status: DesiredStatus::Run,
        client_status: ClientStatus::Running,
        create_index: 100 + index,
        modify_index: 100 + index,
        create_time: NOW - HOUR,
        modify_time: NOW - HOUR,
        ..Default::default()
    }
}

/// `count` running allocations of `job`, on nodes `node-0`, `node-1`, ...
pub fn running(job: &Arc<Job>, count: u64) -> Vec<Allocation> {
    (0..count)
        .map(|i| alloc(job, i, &format!("node-{i}")))
        .collect()
}

/// The allocation's tasks ended at `at`, successfully or not.
pub fn finished(alloc: &mut Allocation, at: i64, failed: bool) {
    alloc.client_status = if failed {
        ClientStatus::Failed
    } else {
        ClientStatus::Complete
    };
    let finished_at = rfc3339(at);
    alloc.details_mut().task_states.insert(
        "server".into(),
        TaskState {
            state: "dead".into(),
            failed,
            started_at: rfc3339(at - 60 * SECOND),
            finished_at,
            ..Default::default()
        },
    );
    alloc.modify_time = at;
}

/// Earlier reschedules of the allocation, each `(when, delay)`.
pub fn rescheduled(alloc: &mut Allocation, events: &[(i64, i64)]) {
    let events = events
        .iter()
        .map(|&(at, delay)| RescheduleEvent {
            reschedule_time: at,
            prev_alloc_id: "older".into(),
            prev_node_id: "node-9".into(),
            delay,
        })
        .collect();
    alloc.details_mut().reschedule_tracker = Some(Box::new(RescheduleTracker {
        events,
        last_reschedule: "ok".into(),
    }));
}

pub fn migrate(alloc: &mut Allocation) {
    alloc.details_mut().desired_transition = DesiredTransition {
        migrate: Some(true),
        ..Default::default()
    };
}

pub fn in_deployment(
    alloc: &mut Allocation,
    deployment: &str,
    healthy: Option<bool>,
    canary: bool,
) {
    alloc.deployment_id = deployment.into();
    alloc.details_mut().deployment_status = Some(Box::new(AllocDeploymentStatus {
        healthy,
        canary,
        ..Default::default()
    }));
}

/// Records a client status transition at `at`.
pub fn client_state(alloc: &mut Allocation, value: &str, at: i64) {
    alloc.details_mut().alloc_states.push(AllocState {
        field: alloc_state_field::CLIENT_STATUS,
        value: value.into(),
        time: rfc3339(at),
    });
}

/// A deployment of `job`'s version with the given state for group `app`.
pub fn deployment(job: &Job, id: &str, status: &str, state: DeploymentState) -> Deployment {
    Deployment {
        id: id.into(),
        namespace: job.namespace.to_string(),
        job_id: job.id.to_string(),
        job_version: job.version,
        job_modify_index: job.modify_index,
        job_spec_modify_index: job.job_modify_index,
        job_create_index: job.create_index,
        task_groups: [("app".to_string(), state)].into(),
        status: status.into(),
        status_description: String::new(),
        ..Default::default()
    }
}

pub fn tainted(nodes: &[(&str, Option<&str>)]) -> TaintedNodes {
    nodes
        .iter()
        .map(|(id, status)| {
            let node = status.map(|s| TaintedNode { status: s.into() });
            (id.to_string(), node)
        })
        .collect()
}

/// RFC 3339 of unix nanoseconds, whole seconds only (what these fixtures need).
pub fn rfc3339(nanos: i64) -> String {
    let secs = nanos.div_euclid(SECOND);
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    // Civil date from days since the epoch (Howard Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    )
}

/// A reconciliation with everything a test does not set left empty.
pub struct Scenario {
    pub job: Option<Job>,
    pub allocs: Vec<Allocation>,
    pub deployment: Option<Deployment>,
    pub tainted: TaintedNodes,
    pub eval_id: String,
    pub now: i64,
    /// Allocations (by ID) that do not fit in place on their nodes.
    pub no_fit: Vec<String>,
}

impl Scenario {
    pub fn new(job: Option<Job>, allocs: Vec<Allocation>) -> Self {
        Self {
            job,
            allocs,
            deployment: None,
            tainted: TaintedNodes::new(),
            eval_id: "eval-1".into(),
            now: NOW,
            no_fit: Vec::new(),
        }
    }

    pub fn run(&self) -> ReconcileResults {
        let allocs: Vec<Arc<Allocation>> = self.allocs.iter().cloned().map(Arc::new).collect();
        let job = self.job.as_ref();
        let input = ReconcileInput {
            job_id: "web",
            job,
            batch: job.is_some_and(|j| j.job_type == "batch"),
            allocs: &allocs,
            deployment: self.deployment.as_ref(),
            tainted_nodes: &self.tainted,
            eval_id: &self.eval_id,
            eval_priority: 50,
            now: self.now,
        };
        let mut fits = |alloc: &Allocation, _: &Job, _: &TaskGroup| {
            !self.no_fit.iter().any(|id| *id == alloc.id)
        };
        reconcile(&input, &mut fits, &mut ids())
    }
}

/// A reference to an allocation in the golden view: `<id> <name>`.
fn alloc_ref(alloc: &Allocation) -> String {
    format!("{} {}", alloc.id, alloc.name)
}

fn place_view(p: &PlaceResult) -> Value {
    let mut v = Map::new();
    v.insert("Name".into(), json!(p.name));
    v.insert("TaskGroup".into(), json!(p.task_group));
    if let Some(prev) = &p.previous_alloc {
        v.insert("Previous".into(), json!(alloc_ref(prev)));
    }
    for (flag, set) in [
        ("Canary", p.canary),
        ("Reschedule", p.reschedule),
        ("Lost", p.lost),
        ("DowngradeNonCanary", p.downgrade_non_canary),
    ] {
        if set {
            v.insert(flag.into(), json!(true));
        }
    }
    if p.min_job_version != 0 {
        v.insert("MinJobVersion".into(), json!(p.min_job_version));
    }
    Value::Object(v)
}

fn updated_view(allocs: &BTreeMap<String, Arc<Allocation>>) -> Value {
    let view: Map<String, Value> = allocs
        .values()
        .map(|a| {
            let states: Vec<Value> = a
                .details()
                .alloc_states
                .iter()
                .map(|s| json!(format!("{} at {}", s.value, s.time)))
                .collect();
            let entry = json!({
                "ClientStatus": a.client_status,
                "ClientDescription": a.details().client_description,
                "FollowupEvalID": a.details().followup_eval_id,
                "AllocStates": states,
            });
            (alloc_ref(a), entry)
        })
        .collect();
    Value::Object(view)
}

/// The results as a compact, reviewable JSON document.
pub fn view(r: &ReconcileResults) -> Value {
    let stops: Vec<Value> = r
        .stop
        .iter()
        .map(|s| {
            json!({
                "Alloc": alloc_ref(&s.alloc),
                "ClientStatus": s.client_status,
                "Description": s.status_description,
                "FollowupEvalID": s.followup_eval_id,
            })
        })
        .collect();
    let destructive: Vec<Value> = r
        .destructive_update
        .iter()
        .map(|d| json!({"Name": d.name, "Stop": alloc_ref(&d.stop_alloc), "Description": d.stop_description}))
        .collect();
    let evals: BTreeMap<&String, Vec<Value>> = r
        .desired_followup_evals
        .iter()
        .map(|(group, evals)| {
            let evals = evals
                .iter()
                .map(|e| {
                    json!({
                        "ID": e.id, "Type": e.eval_type, "Priority": e.priority,
                        "TriggeredBy": e.triggered_by, "Status": e.status,
                        "StatusDescription": e.status_description, "JobID": e.job_id,
                        "JobModifyIndex": e.job_modify_index, "WaitUntil": rfc3339(e.wait_until),
                    })
                })
                .collect();
            (group, evals)
        })
        .collect();
    json!({
        "Deployment": r.deployment,
        "DeploymentUpdates": deployment_updates(&r.deployment_updates),
        "Place": r.place.iter().map(place_view).collect::<Vec<_>>(),
        "DestructiveUpdate": destructive,
        "InplaceUpdate": r.inplace_update.iter().map(|a| alloc_ref(a)).collect::<Vec<_>>(),
        "Stop": stops,
        "AttributeUpdates": updated_view(&r.attribute_updates),
        "DisconnectUpdates": updated_view(&r.disconnect_updates),
        "ReconnectUpdates": updated_view(&r.reconnect_updates),
        "DesiredTGUpdates": r.desired_tg_updates,
        "FollowupEvals": evals,
    })
}

fn tuple_view(tuples: &[NodeAllocTuple]) -> Value {
    let view: Vec<Value> = tuples
        .iter()
        .map(|t| {
            let mut v = json!({"Name": t.name, "TaskGroup": t.task_group, "Node": t.node_id});
            if let Some(alloc) = &t.alloc {
                v["Alloc"] = json!(alloc_ref(alloc));
                if alloc.client_status == ClientStatus::Unknown
                    || !alloc.details().alloc_states.is_empty()
                {
                    v["ClientStatus"] = json!(alloc.client_status);
                }
            }
            if t.canary {
                v["Canary"] = json!(true);
            }
            v
        })
        .collect();
    Value::Array(view)
}

/// Deployment status updates under Nomad's field names.
fn deployment_updates(updates: &[DeploymentStatusUpdate]) -> Value {
    let view: Vec<Value> = updates
        .iter()
        .map(|u| {
            json!({
                "DeploymentID": u.deployment_id,
                "Status": u.status,
                "StatusDescription": u.status_description,
            })
        })
        .collect();
    Value::Array(view)
}

/// The node reconciler's results as a compact JSON document.
pub fn node_view(r: &NodeReconcileResults) -> Value {
    json!({
        "Place": tuple_view(&r.place),
        "Update": tuple_view(&r.update),
        "Migrate": tuple_view(&r.migrate),
        "Stop": tuple_view(&r.stop),
        "Ignore": tuple_view(&r.ignore),
        "Lost": tuple_view(&r.lost),
        "Disconnecting": tuple_view(&r.disconnecting),
        "Reconnecting": tuple_view(&r.reconnecting),
        "Deployment": r.deployment,
        "DeploymentUpdates": deployment_updates(&r.deployment_updates),
    })
}

/// Compares `actual` with `tests/golden/reconcile/<name>.json`, or rewrites the file under
/// `UPDATE_GOLDEN`.
pub fn check_golden(name: &str, actual: &Value) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/reconcile")
        .join(format!("{name}.json"));
    let text = serde_json::to_string_pretty(actual).expect("results serialize") + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().expect("golden dir")).expect("golden dir");
        std::fs::write(&path, text).expect("golden written");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing golden {}; run with UPDATE_GOLDEN=1",
            path.display()
        )
    });
    assert_eq!(text, expected, "golden {name} differs");
}

/// Runs the scenario and checks its results against the golden file.
pub fn check(name: &str, scenario: &Scenario) -> ReconcileResults {
    let results = scenario.run();
    check_golden(name, &view(&results));
    results
}

/// The names placed, in order.
pub fn placed_names(r: &ReconcileResults) -> Vec<&str> {
    r.place.iter().map(|p| p.name.as_str()).collect()
}

/// The names of the destructive updates, in order.
pub fn destructive_names(r: &ReconcileResults) -> Vec<&str> {
    r.destructive_update
        .iter()
        .map(|d| d.name.as_str())
        .collect()
}

/// The names stopped, in order.
pub fn stopped_names(r: &ReconcileResults) -> Vec<&str> {
    r.stop.iter().map(|s| s.alloc.name.as_str()).collect()
}

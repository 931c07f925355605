//! Fixtures of the scheduler tests: a cluster kept in a real `StateStore` and driven with the
//! engine's commands, a planner that commits plans the way the engine's applier does (or
//! refuses them), and a compact JSON view of what a scheduler did, compared with golden files
//! under `tests/golden/scheduler/` (`UPDATE_GOLDEN=1` rewrites them; review the diff).

#![allow(dead_code)] // Each test crate uses its own subset.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use drover_model::allocation::ClientStatus;
use drover_model::node::{node_eligibility, node_status};
use drover_model::{
    AllocDeploymentStatus, Allocation, Constraint, DesiredTransition, DrainStrategy, DriverInfo,
    EphemeralDisk, EvalStatus, Evaluation, HOUR, Job, NetworkResource, Node, NodeCpuResources,
    NodeDiskResources, NodeMemoryResources, NodeResources, ReschedulePolicy, Resources, SECOND,
    Task, TaskGroup, TaskState, UpdateStrategy,
};
use drover_plan::feasible::computed_class;
use drover_plan::scheduler::{
    DryRun, Plan, PlanResult, Planner, PlannerError, SchedulerConfig, SchedulerContext,
    SchedulerError, dry_run, process_eval,
};
use drover_state::{
    AllocDesiredTransitions, ClientAllocUpdate, ClientAllocUpdates, Command, DeploymentAllocHealth,
    DeploymentPromotion, NodeDrainUpdate, NodeStatusUpdate, PlanResults, Snapshot, StateStore,
    UpsertEvals, UpsertJob, UpsertNode,
};
use serde_json::{Value, json};

/// The time every scenario runs at: 2023-11-14T22:13:20Z.
pub const NOW: i64 = 1_700_000_000 * SECOND;

/// A ready node in `dc` with 4000 MHz, 8192 MB, 100 GB of disk, one host network and docker.
pub fn node(id: &str, dc: &str) -> Node {
    let mut node = Node {
        id: id.into(),
        name: id.into(),
        datacenter: dc.to_owned(),
        node_pool: "default".to_owned(),
        status: node_status::READY.to_owned(),
        scheduling_eligibility: node_eligibility::ELIGIBLE.to_owned(),
        attributes: [("kernel.name", "linux"), ("unique.hostname", id)]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        drivers: [(
            "docker".to_owned(),
            DriverInfo {
                detected: true,
                healthy: true,
                ..DriverInfo::default()
            },
        )]
        .into(),
        node_resources: Some(NodeResources {
            cpu: NodeCpuResources {
                cpu_shares: 4000,
                total_cpu_cores: 4,
                reservable_cpu_cores: vec![0, 1, 2, 3],
            },
            memory: NodeMemoryResources { memory_mb: 8192 },
            disk: NodeDiskResources { disk_mb: 100_000 },
            networks: vec![NetworkResource {
                mode: "host".to_owned(),
                device: "eth0".to_owned(),
                ip: "10.0.0.1".to_owned(),
                mbits: 1000,
                ..NetworkResource::default()
            }],
            ..NodeResources::default()
        }),
        ..Node::default()
    };
    node.computed_class = computed_class(&node);
    node
}

/// A service job `web` in dc1 with one group `app` of `count` docker tasks `server` asking
/// 1000 MHz and 1024 MB, with a 300 MB disk and Nomad's service reschedule defaults.
pub fn service_job(count: i64) -> Job {
    Job {
        id: "web".into(),
        name: "web".into(),
        namespace: "default".into(),
        region: "global".into(),
        job_type: "service".into(),
        priority: 50,
        datacenters: vec!["dc1".into()],
        node_pool: "default".into(),
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
                    cpu: 1000,
                    memory_mb: 1024,
                    ..Default::default()
                }),
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
    group(&mut job).reschedule_policy = Some(ReschedulePolicy {
        attempts: Some(1),
        interval: Some(24 * HOUR),
        delay: Some(5 * SECOND),
        delay_function: Some("constant".into()),
        max_delay: Some(0),
        unlimited: Some(false),
    });
    job
}

/// A system (or sysbatch) job `agent` with one group `app`.
pub fn system_job(job_type: &str) -> Job {
    let mut job = service_job(1);
    job.id = "agent".into();
    job.name = "agent".into();
    job.job_type = job_type.into();
    group(&mut job).reschedule_policy = None;
    job
}

pub fn group(job: &mut Job) -> &mut TaskGroup {
    Arc::make_mut(&mut job.task_groups[0])
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

pub fn constraint(l: &str, op: &str, r: &str) -> Constraint {
    Constraint {
        l_target: l.into(),
        operand: op.into(),
        r_target: r.into(),
    }
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

/// What one scheduler run handed its planner.
#[derive(Debug, Default)]
pub struct Run {
    pub plans: Vec<Plan>,
    pub updated: Vec<Evaluation>,
    pub created: Vec<Evaluation>,
    pub reblocked: Vec<Evaluation>,
}

/// How the test planner treats plans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Commit {
    /// Commit everything, as the applier does when every node still fits.
    All,
    /// Refuse the placements on one node for the first plan only, committing the rest.
    RefuseNodeOnce(&'static str),
    /// Refuse every plan entirely.
    Nothing,
}

/// A cluster in a state store, driven by commands at increasing indexes.
pub struct Cluster {
    pub store: StateStore,
    index: u64,
    ids: u64,
    pub seed: u64,
}

impl Cluster {
    pub fn new(nodes: impl IntoIterator<Item = Node>) -> Self {
        let mut cluster = Cluster {
            store: StateStore::new(),
            index: 0,
            ids: 0,
            seed: 1,
        };
        for node in nodes {
            cluster.add_node(node);
        }
        cluster
    }

    pub fn apply(&mut self, command: Command) -> u64 {
        self.index += 1;
        self.store
            .apply(self.index, &command)
            .expect("the command applies");
        self.index
    }

    pub fn snapshot(&self) -> Snapshot {
        self.store.snapshot()
    }

    pub fn add_node(&mut self, node: Node) {
        self.apply(Command::UpsertNode(UpsertNode { node }));
    }

    fn new_eval(&mut self, job: &Job, trigger: &str) -> Evaluation {
        self.ids += 1;
        Evaluation {
            id: format!("eval-{:03}", self.ids).into(),
            namespace: job.namespace.to_string(),
            priority: job.priority as i32,
            eval_type: job.job_type.to_string(),
            triggered_by: trigger.into(),
            job_id: job.id.to_string(),
            status: EvalStatus::Pending,
            create_time: NOW,
            modify_time: NOW,
            ..Default::default()
        }
    }

    /// Registers (or updates) `job` with its `job-register` evaluation, as the engine does.
    pub fn register(&mut self, job: Job) -> Evaluation {
        let eval = self.new_eval(&job, "job-register");
        self.apply(Command::UpsertJob(UpsertJob {
            job: Arc::new(job),
            eval: Some(eval.clone()),
            now: NOW,
            ..Default::default()
        }));
        self.stored_eval(&eval.id)
    }

    /// A new evaluation of the current job with `trigger`.
    pub fn evaluate(&mut self, job_id: &str, trigger: &str) -> Evaluation {
        let job = self.job(job_id);
        let mut eval = self.new_eval(&job, trigger);
        eval.job_modify_index = job.job_modify_index;
        self.apply(Command::UpsertEvals(UpsertEvals {
            evals: vec![eval.clone()],
        }));
        self.stored_eval(&eval.id)
    }

    pub fn stored_eval(&self, id: &str) -> Evaluation {
        (*self.snapshot().eval(id).expect("the evaluation is stored")).clone()
    }

    pub fn job(&self, job_id: &str) -> Arc<Job> {
        self.snapshot()
            .job("default", job_id)
            .expect("the job exists")
    }

    fn context<'a>(&self, new_id: &'a mut dyn FnMut() -> String) -> SchedulerContext<'a> {
        SchedulerContext {
            now: NOW,
            seed: self.seed,
            new_id,
            config: SchedulerConfig::default(),
        }
    }

    /// Processes `eval` with a planner that commits as told; the run's plans and evaluations.
    pub fn schedule_with(
        &mut self,
        eval: &Evaluation,
        commit: Commit,
    ) -> Result<Run, SchedulerError> {
        let mut ids = self.ids;
        let mut new_id = move || {
            ids += 1;
            format!("id-{ids:03}")
        };
        let mut ctx = self.context(&mut new_id);
        let mut planner = TestPlanner {
            store: &self.store,
            index: &mut self.index,
            commit,
            run: Run::default(),
        };
        let outcome = process_eval(eval, self.store.snapshot(), &mut planner, &mut ctx);
        let run = planner.run;
        // Keep IDs unique across runs.
        self.ids += 1000;
        outcome.map(|()| run)
    }

    pub fn schedule(&mut self, eval: &Evaluation) -> Run {
        self.schedule_with(eval, Commit::All)
            .expect("the scheduler succeeds")
    }

    /// The dry-run of `eval` with `AnnotatePlan`, as the plan endpoint runs it.
    pub fn dry_run(&mut self, eval: &Evaluation) -> DryRun {
        let mut eval = eval.clone();
        eval.annotate_plan = true;
        let mut ids = self.ids;
        let mut new_id = move || {
            ids += 1;
            format!("id-{ids:03}")
        };
        let mut ctx = self.context(&mut new_id);
        let out = dry_run(&eval, self.store.snapshot(), &mut ctx).expect("the dry-run succeeds");
        self.ids += 1000;
        out
    }

    /// The allocations of the job that are not terminal, by name (one per name: not for
    /// system jobs, whose allocations share it).
    pub fn live_allocs(&self, job_id: &str) -> BTreeMap<String, Arc<Allocation>> {
        let allocs = self.snapshot().allocs_by_job("default", job_id, true);
        allocs
            .into_iter()
            .filter(|a| !a.terminal())
            .map(|a| (a.name.to_string(), a))
            .collect()
    }

    /// How many allocations of the job are not terminal.
    pub fn live_count(&self, job_id: &str) -> usize {
        let allocs = self.snapshot().allocs_by_job("default", job_id, true);
        allocs.iter().filter(|a| !a.terminal()).count()
    }

    /// The client reports the allocations running (healthy in their deployment, if any).
    pub fn run_all(&mut self, job_id: &str) {
        let allocs = self.snapshot().allocs_by_job("default", job_id, true);
        let updates = allocs
            .iter()
            .filter(|a| !a.terminal())
            .map(|a| ClientAllocUpdate {
                alloc_id: a.id.to_string(),
                client_status: ClientStatus::Running,
                task_states: task_state("running", false, NOW),
                deployment_status: a.details().deployment_status.as_deref().cloned(),
                modify_time: NOW,
                ..Default::default()
            })
            .collect();
        self.apply(Command::UpdateAllocsFromClient(ClientAllocUpdates {
            allocs: updates,
            evals: Vec::new(),
        }));
    }

    /// The client reports an allocation finished at `at`, successfully or not.
    pub fn finish(&mut self, alloc_id: &str, failed: bool, at: i64) {
        let status = if failed {
            ClientStatus::Failed
        } else {
            ClientStatus::Complete
        };
        self.apply(Command::UpdateAllocsFromClient(ClientAllocUpdates {
            allocs: vec![ClientAllocUpdate {
                alloc_id: alloc_id.into(),
                client_status: status,
                task_states: task_state("dead", failed, at),
                modify_time: at,
                ..Default::default()
            }],
            evals: Vec::new(),
        }));
    }

    pub fn node_status(&mut self, node_id: &str, status: &str) {
        self.apply(Command::UpdateNodeStatus(NodeStatusUpdate {
            node_id: node_id.into(),
            status: status.into(),
            updated_at: NOW / SECOND,
        }));
    }

    /// Drains the node and marks its allocations for migration, as the drainer does.
    pub fn drain(&mut self, node_id: &str) {
        self.apply(Command::UpdateNodeDrain(NodeDrainUpdate {
            node_id: node_id.into(),
            drain_strategy: Some(DrainStrategy {
                deadline: HOUR,
                ..Default::default()
            }),
            mark_eligible: false,
            updated_at: NOW / SECOND,
        }));
        let on_node = self.snapshot().allocs_by_node_terminal(node_id, false);
        let migrate = DesiredTransition {
            migrate: Some(true),
            ..Default::default()
        };
        self.apply(Command::UpdateAllocDesiredTransitions(
            AllocDesiredTransitions {
                transitions: on_node
                    .iter()
                    .map(|a| (a.id.to_string(), migrate.clone()))
                    .collect(),
                evals: Vec::new(),
            },
        ));
    }

    /// Marks allocations healthy in their deployment.
    pub fn healthy(&mut self, deployment_id: &str, alloc_ids: Vec<String>) {
        self.apply(Command::UpdateDeploymentAllocHealth(
            DeploymentAllocHealth {
                deployment_id: deployment_id.into(),
                healthy_alloc_ids: alloc_ids,
                timestamp: NOW,
                ..Default::default()
            },
        ));
    }

    pub fn promote(&mut self, deployment_id: &str) {
        self.apply(Command::PromoteDeployment(DeploymentPromotion {
            deployment_id: deployment_id.into(),
            all: true,
            promoted_at: NOW,
            eval: None,
            ..Default::default()
        }));
    }
}

fn task_state(state: &str, failed: bool, at: i64) -> BTreeMap<String, TaskState> {
    let time = rfc3339(at);
    let finished_at = if state == "dead" {
        time.clone()
    } else {
        String::new()
    };
    [(
        "server".to_string(),
        TaskState {
            state: state.into(),
            failed,
            started_at: rfc3339(at - 60 * SECOND),
            finished_at,
            ..Default::default()
        },
    )]
    .into()
}

/// RFC 3339 of unix nanoseconds, whole seconds.
pub fn rfc3339(nanos: i64) -> String {
    let secs = nanos.div_euclid(SECOND);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z")
}

/// Commits plans into the store like the engine's applier (refreshing the scheduler's state
/// after a partial commit) and evaluations like the engine's planner.
struct TestPlanner<'s> {
    store: &'s StateStore,
    index: &'s mut u64,
    commit: Commit,
    run: Run,
}

impl TestPlanner<'_> {
    fn apply(&mut self, command: &Command) -> Result<(), PlannerError> {
        *self.index += 1;
        self.store
            .apply(*self.index, command)
            .map_err(|e| PlannerError(e.to_string()))
    }
}

impl Planner for TestPlanner<'_> {
    fn submit_plan(&mut self, plan: Plan) -> Result<(PlanResult, Option<Snapshot>), PlannerError> {
        let refused = match self.commit {
            Commit::All => None,
            Commit::RefuseNodeOnce(node) if self.run.plans.is_empty() => Some(Some(node)),
            Commit::RefuseNodeOnce(_) => None,
            Commit::Nothing => Some(None),
        };
        self.run.plans.push(plan.clone());
        let mut result = PlanResult {
            node_update: plan.node_update.clone(),
            node_allocation: plan.node_allocation.clone(),
            deployment: plan.deployment.clone(),
            deployment_updates: plan.deployment_updates.clone(),
            ..PlanResult::default()
        };
        match refused {
            Some(Some(node)) => {
                result.node_allocation.remove(node);
                result.node_update.remove(node);
            }
            Some(None) => result = PlanResult::default(),
            None => {}
        }
        if result != PlanResult::default() {
            // The store takes its own copies: the plan stays the scheduler's.
            let copies = |by_node: &BTreeMap<String, Vec<Allocation>>| -> Vec<Arc<Allocation>> {
                by_node.values().flatten().cloned().map(Arc::new).collect()
            };
            let command = Command::ApplyPlanResults(PlanResults {
                eval_id: plan.eval_id.clone(),
                job: plan.job.clone(),
                allocs_updated: copies(&result.node_allocation),
                allocs_stopped: copies(&result.node_update),
                deployment: result.deployment.clone(),
                deployment_updates: result.deployment_updates.clone(),
                updated_at: NOW,
                ..Default::default()
            });
            self.apply(&command)?;
            result.alloc_index = *self.index;
        }
        if refused.is_none() {
            return Ok((result, None));
        }
        result.refresh_index = *self.index;
        Ok((result, Some(self.store.snapshot())))
    }

    fn update_eval(&mut self, eval: Evaluation) -> Result<(), PlannerError> {
        self.run.updated.push(eval.clone());
        self.apply(&Command::UpsertEvals(UpsertEvals { evals: vec![eval] }))
    }

    fn create_eval(&mut self, eval: Evaluation) -> Result<(), PlannerError> {
        self.run.created.push(eval.clone());
        self.apply(&Command::UpsertEvals(UpsertEvals { evals: vec![eval] }))
    }

    fn reblock_eval(&mut self, eval: Evaluation) -> Result<(), PlannerError> {
        self.run.reblocked.push(eval.clone());
        self.apply(&Command::UpsertEvals(UpsertEvals { evals: vec![eval] }))
    }
}

/// An allocation as the goldens show it: identity, placement, status, lineage, resources.
pub fn alloc_view(a: &Allocation) -> Value {
    let mut v = json!({
        "ID": a.id,
        "Name": a.name,
        "NodeID": a.node_id,
        "JobVersion": a.job.as_ref().map(|j| j.version),
        "DesiredStatus": a.desired_status,
        "ClientStatus": a.client_status,
    });
    let optional = [
        (
            "DesiredDescription",
            a.details().desired_description.as_str(),
        ),
        ("PreviousAllocation", &a.details().previous_allocation),
        ("DeploymentID", &a.deployment_id),
        ("FollowupEvalID", &a.details().followup_eval_id),
    ];
    for (key, value) in optional {
        if !value.is_empty() {
            v[key] = json!(value);
        }
    }
    if let Some(AllocDeploymentStatus {
        canary, healthy, ..
    }) = a.details().deployment_status.as_deref()
    {
        v["DeploymentStatus"] = json!({"Canary": canary, "Healthy": healthy});
    }
    if let Some(tracker) = &a.details().reschedule_tracker {
        let events: Vec<Value> = tracker
            .events
            .iter()
            .map(|e| json!({"PrevAllocID": e.prev_alloc_id, "PrevNodeID": e.prev_node_id, "Delay": e.delay}))
            .collect();
        v["RescheduleTracker"] =
            json!({"Events": events, "LastReschedule": tracker.last_reschedule});
    }
    if let Some(r) = &a.allocated_resources {
        let tasks: BTreeMap<&String, String> = r
            .tasks
            .iter()
            .map(|(name, t)| {
                (
                    name,
                    format!("cpu={} memory={}", t.cpu.cpu_shares, t.memory.memory_mb),
                )
            })
            .collect();
        v["Resources"] = json!({"Tasks": tasks, "DiskMB": r.shared.disk_mb});
    }
    if let Some(m) = &a.metrics {
        v["Metrics"] = json!({
            "NodesEvaluated": m.nodes_evaluated,
            "NodesFiltered": m.nodes_filtered,
            "NodesExhausted": m.exhaustion().nodes_exhausted,
        });
    }
    v
}

fn by_node(allocs: &BTreeMap<String, Vec<Allocation>>) -> Value {
    allocs
        .iter()
        .map(|(node, list)| {
            (
                node.clone(),
                Value::Array(list.iter().map(alloc_view).collect()),
            )
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

pub fn plan_view(plan: &Plan) -> Value {
    json!({
        "NodeUpdate": by_node(&plan.node_update),
        "NodeAllocation": by_node(&plan.node_allocation),
        "Deployment": plan.deployment,
        "DeploymentUpdates": plan.deployment_updates.iter().map(|u| json!({
            "DeploymentID": u.deployment_id, "Status": u.status, "StatusDescription": u.status_description,
        })).collect::<Vec<_>>(),
        "Annotations": plan.annotations,
    })
}

pub fn eval_view(e: &Evaluation) -> Value {
    let mut v = serde_json::to_value(e).expect("evaluations serialize");
    // Set by the store, not the scheduler.
    for key in ["CreateIndex", "ModifyIndex", "SnapshotIndex"] {
        v.as_object_mut().map(|o| o.remove(key));
    }
    v
}

pub fn run_view(run: &Run) -> Value {
    json!({
        "Plans": run.plans.iter().map(plan_view).collect::<Vec<_>>(),
        "UpdatedEvals": run.updated.iter().map(eval_view).collect::<Vec<_>>(),
        "CreatedEvals": run.created.iter().map(eval_view).collect::<Vec<_>>(),
        "ReblockedEvals": run.reblocked.iter().map(eval_view).collect::<Vec<_>>(),
    })
}

pub fn dry_run_view(out: &DryRun) -> Value {
    json!({
        "Plan": out.plan.as_ref().map(plan_view),
        "Eval": out.eval.as_ref().map(eval_view),
        "CreatedEvals": out.created_evals.iter().map(eval_view).collect::<Vec<_>>(),
    })
}

/// Compares `actual` with `tests/golden/scheduler/<name>.json`, or rewrites the file under
/// `UPDATE_GOLDEN`.
pub fn check_golden(name: &str, actual: &Value) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/scheduler")
        .join(format!("{name}.json"));
    let text = serde_json::to_string_pretty(actual).expect("views serialize") + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().expect("golden dir")).expect("create golden dir");
        std::fs::write(&path, text).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing golden {}; run with UPDATE_GOLDEN=1",
            path.display()
        )
    });
    assert_eq!(
        text, expected,
        "golden {name} differs; UPDATE_GOLDEN=1 rewrites it"
    );
}

/// The running allocations of a run's last plan, by group.
pub fn placed_per_group(plan: &Plan) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for a in plan.node_allocation.values().flatten() {
        *counts.entry(a.task_group.to_string()).or_default() += 1;
    }
    counts
}

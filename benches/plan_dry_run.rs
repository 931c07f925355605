//! B1, B1b, B1c and B2 of perf-anchors.md section 8: the `plan` dry-run on Nomad's
//! `BenchmarkServiceScheduler` cluster shape (2 datacenters, 50 racks in `meta.rack`, 14,000 MHz
//! and 32,000 MB per node, half of the racks eligible through `set_contains_any`, 6,000 MHz /
//! 6,000 MB per allocation).
//!
//! Each iteration runs what the plan endpoint runs after writing the job and evaluation into
//! its private snapshot: `scheduler::dry_run` (reconcile, feasibility, ranking, placement,
//! annotations) and the job diff annotated with the plan's updates. The store, the nodes and
//! the existing allocations are built once; the node table is indexed by the first run and
//! shared by the others, as one `SchedulerConfig` kept by the engine shares it.
//!
//! - `b1_new_service_1000_of_5000`: a new service job of count 1000 on 5,000 nodes. Goal 5 ms.
//! - `b1b_new_service_1200_of_10000`: count 1200 on 10,000 nodes. Goal 10 ms.
//! - `b1c_spread_1000_of_5000`: B1 with a spread on the rack (1,000 nodes ranked per
//!   placement). Goal 100 ms.
//! - `b2a_in_place_1000`: a change of the kill timeout of a running 1,000-allocation job (every
//!   allocation re-ranked alone on its node, then updated in place). Goal 2 ms.
//! - `b2b_destructive_1000`: a changed environment of the same job (1,000 stops and
//!   placements). Goal: B1's.

/// The agent's allocator, so the medians are what the served API sees.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use drover::core::IdSource;
use drover::model::ClientStatus;
use drover::model::{
    Allocation, Constraint, DriverInfo, EphemeralDisk, EvalStatus, Evaluation, Job,
    NetworkResource, Node, NodeCpuResources, NodeDiskResources, NodeMemoryResources,
    NodeReservedCpuResources, NodeReservedNetworkResources, NodeReservedResources, NodeResources,
    Resources, SECOND, Spread, Task, TaskGroup, TaskState,
};
use drover::plan::diff::{annotate, job_diff};
use drover::plan::feasible::computed_class;
use drover::plan::scheduler::{
    DryRun, Plan, PlanResult, Planner, PlannerError, SchedulerConfig, SchedulerContext, dry_run,
    process_eval,
};
use drover::state::{
    ClientAllocUpdate, ClientAllocUpdates, Command, PlanResults, Snapshot, StateStore, UpsertEvals,
    UpsertJob, UpsertNode,
};

const RACKS: usize = 50;
const NOW: i64 = 1_700_000_000 * SECOND;

fn node(i: usize) -> Node {
    let attributes = [
        ("kernel.name", "linux".to_owned()),
        ("arch", "x86".to_owned()),
        ("nomad.version", "1.7.3".to_owned()),
        ("driver.exec", "1".to_owned()),
        ("unique.hostname", format!("node-{i}")),
        (
            "unique.advertise.address",
            format!("192.168.{}.{}", i % 10, i % 120),
        ),
    ];
    let mut node = Node {
        id: format!("{i:08x}-0000-4000-8000-000000000000").into(),
        name: format!("node-{i}").into(),
        datacenter: ["dc-1", "dc-2"][i % 2].to_owned(),
        node_pool: "default".to_owned(),
        node_class: "linux-medium-pci".to_owned(),
        status: "ready".to_owned(),
        scheduling_eligibility: "eligible".to_owned(),
        attributes: attributes
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        meta: [("rack".to_owned(), format!("r{}", i % RACKS))].into(),
        drivers: [(
            "exec".to_owned(),
            DriverInfo {
                detected: true,
                healthy: true,
                ..DriverInfo::default()
            },
        )]
        .into(),
        node_resources: Some(NodeResources {
            cpu: NodeCpuResources {
                cpu_shares: 14_000,
                total_cpu_cores: 4,
                reservable_cpu_cores: vec![0, 1, 2, 3],
            },
            memory: NodeMemoryResources { memory_mb: 32_000 },
            disk: NodeDiskResources {
                disk_mb: 100 * 1024,
            },
            networks: vec![NetworkResource {
                mode: "host".to_owned(),
                device: "eth0".to_owned(),
                cidr: "192.168.0.100/32".to_owned(),
                ip: "192.168.0.100".to_owned(),
                mbits: 1000,
                ..NetworkResource::default()
            }],
            ..NodeResources::default()
        }),
        reserved_resources: Some(NodeReservedResources {
            cpu: NodeReservedCpuResources {
                cpu_shares: 100,
                ..NodeReservedCpuResources::default()
            },
            memory: NodeMemoryResources { memory_mb: 256 },
            disk: NodeDiskResources { disk_mb: 4 * 1024 },
            networks: NodeReservedNetworkResources {
                reserved_host_ports: "22".to_owned(),
            },
        }),
        ..Node::default()
    };
    node.computed_class = computed_class(&node);
    node
}

/// Nomad's `generateJob`: the mock service job with the rack constraint, optionally spread
/// over the racks.
fn job(count: i64, spread: bool) -> Job {
    let eligible: Vec<String> = (0..RACKS / 2).map(|r| format!("r{r}")).collect();
    Job {
        id: "bench".into(),
        name: "bench".into(),
        namespace: "default".into(),
        region: "global".into(),
        job_type: "service".into(),
        priority: 50,
        datacenters: vec!["dc-1".into(), "dc-2".into()],
        node_pool: "default".into(),
        constraints: vec![Constraint {
            l_target: "${meta.rack}".to_owned(),
            operand: "set_contains_any".to_owned(),
            r_target: eligible.join(","),
        }],
        spreads: if spread {
            vec![Spread {
                attribute: "${meta.rack}".to_owned(),
                weight: 50,
                ..Spread::default()
            }]
        } else {
            Vec::new()
        },
        task_groups: vec![Arc::new(TaskGroup {
            name: "web".into(),
            count,
            ephemeral_disk: Some(EphemeralDisk {
                size_mb: 150,
                ..EphemeralDisk::default()
            }),
            tasks: vec![Arc::new(Task {
                name: "web".into(),
                driver: "exec".into(),
                resources: Some(Resources {
                    cpu: 6000,
                    memory_mb: 6000,
                    ..Resources::default()
                }),
                kill_timeout: 5 * SECOND,
                ..Task::default()
            })],
            ..TaskGroup::default()
        })],
        ..Job::default()
    }
}

/// A store with `nodes` nodes, plus the index of the last command.
fn cluster(nodes: usize) -> (StateStore, u64) {
    let store = StateStore::new();
    let command = Command::Batch(
        (0..nodes)
            .map(|i| Command::UpsertNode(UpsertNode { node: node(i) }))
            .collect(),
    );
    store.apply(1, &command).expect("nodes apply");
    (store, 1)
}

/// Writes `job` and its `job-register` evaluation, as the plan endpoint does into its
/// snapshot; returns the evaluation.
fn register(store: &StateStore, index: &mut u64, job: Job) -> Evaluation {
    *index += 1;
    let eval = Evaluation {
        id: format!("{:08x}-eeee-4000-8000-000000000000", *index).into(),
        namespace: "default".to_owned(),
        priority: 50,
        eval_type: "service".to_owned(),
        triggered_by: "job-register".to_owned(),
        job_id: job.id.to_string(),
        status: EvalStatus::Pending,
        annotate_plan: true,
        ..Evaluation::default()
    };
    let command = Command::UpsertJob(UpsertJob {
        job: Arc::new(job),
        eval: Some(eval.clone()),
        now: NOW,
        ..UpsertJob::default()
    });
    store.apply(*index, &command).expect("job applies");
    (*store.snapshot().eval(&eval.id).expect("eval stored")).clone()
}

/// Allocation IDs as the engine draws them.
fn ids() -> impl FnMut() -> String {
    let mut ids = IdSource::new(1);
    move || ids.next_id()
}

/// What the plan endpoint computes: the dry-run, and the annotated job diff. Never inlined, so
/// that `valgrind --tool=callgrind --toggle-collect=plan_dry_run::plan` counts exactly this.
#[inline(never)]
fn plan(
    eval: &Evaluation,
    snapshot: &Snapshot,
    old: Option<&Job>,
    config: &SchedulerConfig,
) -> DryRun {
    let mut new_id = ids();
    let mut ctx = SchedulerContext {
        now: NOW,
        seed: 42,
        new_id: &mut new_id,
        config: config.clone(),
    };
    let out = dry_run(eval, snapshot.clone(), &mut ctx).expect("the dry-run succeeds");
    let new = snapshot.job("default", "bench").expect("the job is stored");
    let mut diff = job_diff(old, Some(&new), true).expect("same job");
    let annotations = out.plan.as_ref().and_then(|p| p.annotations.as_ref());
    annotate(&mut diff, annotations.expect("the plan is annotated"));
    black_box(diff);
    out
}

fn placed(out: &DryRun) -> usize {
    let plan = out.plan.as_ref().expect("one plan");
    plan.node_allocation.values().map(Vec::len).sum()
}

/// What one scenario plans on: the evaluation, the snapshot holding the job, the job's
/// previous version and the configuration that keeps the node table.
struct Scenario {
    eval: Evaluation,
    snapshot: Snapshot,
    old: Option<Arc<Job>>,
    config: SchedulerConfig,
}

impl Scenario {
    fn plan(&self) -> DryRun {
        plan(
            &self.eval,
            &self.snapshot,
            self.old.as_deref(),
            &self.config,
        )
    }
}

/// Benchmarks `name`, building its scenario only when the benchmark is selected (building the
/// clusters takes longer than the runs).
fn bench(c: &mut Criterion, name: &str, setup: impl Fn() -> Scenario) {
    let mut group = c.benchmark_group("plan_dry_run");
    group.sample_size(20);
    let mut scenario = None;
    group.bench_function(name, |b| {
        let scenario = scenario.get_or_insert_with(&setup);
        b.iter(|| scenario.plan())
    });
    group.finish();
}

fn new_job(nodes: usize, count: i64, spread: bool) -> Scenario {
    let (store, mut index) = cluster(nodes);
    let eval = register(&store, &mut index, job(count, spread));
    let scenario = Scenario {
        eval,
        snapshot: store.snapshot(),
        old: None,
        config: SchedulerConfig::default(),
    };
    assert_eq!(placed(&scenario.plan()), count as usize);
    scenario
}

/// Commits plans in full into the store, as the engine's applier does on an idle cluster.
struct Commit<'a> {
    store: &'a StateStore,
    index: &'a mut u64,
}

impl Planner for Commit<'_> {
    fn submit_plan(&mut self, plan: Plan) -> Result<(PlanResult, Option<Snapshot>), PlannerError> {
        *self.index += 1;
        // The store takes its own copies: the plan stays the scheduler's.
        let copies = |by_node: &BTreeMap<String, Vec<Allocation>>| -> Vec<Arc<Allocation>> {
            by_node.values().flatten().cloned().map(Arc::new).collect()
        };
        let command = Command::ApplyPlanResults(PlanResults {
            eval_id: plan.eval_id.clone(),
            job: plan.job.clone(),
            allocs_updated: copies(&plan.node_allocation),
            allocs_stopped: copies(&plan.node_update),
            deployment: plan.deployment.clone(),
            deployment_updates: plan.deployment_updates.clone(),
            updated_at: NOW,
            ..PlanResults::default()
        });
        self.store
            .apply(*self.index, &command)
            .map_err(|e| PlannerError(e.to_string()))?;
        let result = PlanResult {
            node_update: plan.node_update,
            node_allocation: plan.node_allocation,
            alloc_index: *self.index,
            ..PlanResult::default()
        };
        Ok((result, None))
    }

    fn update_eval(&mut self, eval: Evaluation) -> Result<(), PlannerError> {
        *self.index += 1;
        let command = Command::UpsertEvals(UpsertEvals { evals: vec![eval] });
        self.store
            .apply(*self.index, &command)
            .map_err(|e| PlannerError(e.to_string()))
    }

    fn create_eval(&mut self, eval: Evaluation) -> Result<(), PlannerError> {
        self.update_eval(eval)
    }

    fn reblock_eval(&mut self, eval: Evaluation) -> Result<(), PlannerError> {
        self.update_eval(eval)
    }
}

/// A job of 1000 allocations scheduled for real (so they carry their metrics) and reported
/// running by their clients, then a new version written with `change`.
fn update(change: impl FnOnce(&mut Job)) -> Scenario {
    let (store, mut index) = cluster(5000);
    let first = job(1000, false);
    let mut eval = register(&store, &mut index, first.clone());
    eval.annotate_plan = false;
    let mut new_id = ids();
    let mut ctx = SchedulerContext {
        now: NOW,
        seed: 7,
        new_id: &mut new_id,
        config: SchedulerConfig::default(),
    };
    let mut planner = Commit {
        store: &store,
        index: &mut index,
    };
    process_eval(&eval, store.snapshot(), &mut planner, &mut ctx).expect("first placement");
    let running: Vec<ClientAllocUpdate> = store
        .snapshot()
        .allocs_by_job("default", "bench", true)
        .iter()
        .map(|a: &Arc<Allocation>| ClientAllocUpdate {
            alloc_id: a.id.to_string(),
            client_status: ClientStatus::Running,
            task_states: [(
                "web".to_owned(),
                TaskState {
                    state: "running".to_owned(),
                    started_at: "2023-11-14T22:00:00Z".to_owned(),
                    ..TaskState::default()
                },
            )]
            .into(),
            modify_time: NOW,
            ..ClientAllocUpdate::default()
        })
        .collect();
    assert_eq!(running.len(), 1000);
    index += 1;
    let command = Command::UpdateAllocsFromClient(ClientAllocUpdates {
        allocs: running,
        evals: Vec::new(),
    });
    store.apply(index, &command).expect("client updates apply");

    let old = store.snapshot().job("default", "bench").expect("job v0");
    let mut next = first;
    change(&mut next);
    let eval = register(&store, &mut index, next);
    let scenario = Scenario {
        eval,
        snapshot: store.snapshot(),
        old: Some(old),
        config: SchedulerConfig::default(),
    };
    assert_eq!(placed(&scenario.plan()), 1000);
    scenario
}

fn plan_dry_run(c: &mut Criterion) {
    bench(c, "b1_new_service_1000_of_5000", || {
        new_job(5000, 1000, false)
    });
    bench(c, "b1b_new_service_1200_of_10000", || {
        new_job(10_000, 1200, false)
    });
    bench(c, "b1c_spread_1000_of_5000", || new_job(5000, 1000, true));
    bench(c, "b2a_in_place_1000", || {
        update(|job| {
            let group = Arc::make_mut(&mut job.task_groups[0]);
            Arc::make_mut(&mut group.tasks[0]).kill_timeout = 30 * SECOND;
        })
    });
    bench(c, "b2b_destructive_1000", || {
        update(|job| {
            let group = Arc::make_mut(&mut job.task_groups[0]);
            let task = Arc::make_mut(&mut group.tasks[0]);
            task.env.insert("VERSION".to_owned(), "2".to_owned());
        })
    });
}

criterion_group!(benches, plan_dry_run);
criterion_main!(benches);

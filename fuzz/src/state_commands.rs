//! Command sequences applied to a `StateStore`: an arbitrary sequence of operations (nodes
//! registering and changing status, eligibility and drain; jobs registered, stopped and purged;
//! placements, stops and client updates of allocations; evaluation writes and deletions; and
//! batches of these) becomes store commands over a small universe of IDs, so that the commands
//! meet each other. The store must never panic, a refused command must leave the state as it
//! was, every accepted one must keep the store's invariants, and indexes never go back.

use std::sync::Arc;

use arbitrary::{Arbitrary, Unstructured};
use drover_model::{
    AllocatedResources, AllocatedTaskResources, Allocation, ClientStatus, DesiredStatus,
    DrainStrategy, EvalStatus, Evaluation, Job, Node, SmolStr, decode_value,
};
use drover_state::{
    ClientAllocUpdate, ClientAllocUpdates, Command, DeleteEvals, DeregisterJob, NamespaceSelector,
    NodeDrainUpdate, NodeEligibilityUpdate, NodeStatusUpdate, PageRequest, PlanResults, Snapshot,
    StateStore, UpsertEvals, UpsertJob, UpsertNode,
};
use serde_json::json;

/// One operation; its small numbers pick among a few nodes, jobs, allocations and
/// evaluations.
#[derive(Debug, Arbitrary)]
pub enum Op {
    UpsertNode {
        node: u8,
        ready: bool,
    },
    NodeStatus {
        node: u8,
        status: u8,
    },
    NodeEligibility {
        node: u8,
        eligible: bool,
    },
    NodeDrain {
        node: u8,
        drain: bool,
        mark_eligible: bool,
    },
    RegisterJob {
        job: u8,
        kind: u8,
        count: u8,
        with_eval: bool,
    },
    DeregisterJob {
        job: u8,
        purge: bool,
        with_eval: bool,
    },
    Place {
        job: u8,
        node: u8,
        count: u8,
    },
    StopAlloc {
        alloc: u8,
    },
    ClientUpdate {
        alloc: u8,
        status: u8,
    },
    EvalStatus {
        eval: u8,
        status: u8,
    },
    Delete {
        eval: u8,
        alloc: u8,
    },
    /// Two operations as one transaction.
    Batch(Box<Op>, Box<Op>),
}

const NODES: u8 = 4;
const JOBS: u8 = 3;
const NODE_STATUSES: [&str; 4] = ["initializing", "ready", "down", "disconnected"];
const CLIENT_STATUSES: [ClientStatus; 5] = [
    ClientStatus::Pending,
    ClientStatus::Running,
    ClientStatus::Complete,
    ClientStatus::Failed,
    ClientStatus::Lost,
];
const EVAL_STATUSES: [EvalStatus; 5] = [
    EvalStatus::Pending,
    EvalStatus::Blocked,
    EvalStatus::Complete,
    EvalStatus::Failed,
    EvalStatus::Canceled,
];
const SECOND: i64 = 1_000_000_000;

/// How many commands the store took and refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    pub accepted: usize,
    pub refused: usize,
}

/// Applies the operations `data` describes; panics when the store breaks a rule above.
pub fn check(data: &[u8]) -> Applied {
    let mut applied = Applied::default();
    // Every byte goes to an operation (a `Vec`'s own decoding would stop at a coin toss).
    let mut input = Unstructured::new(data);
    let mut ops = Vec::new();
    while !input.is_empty() {
        match Op::arbitrary(&mut input) {
            Ok(op) => ops.push(op),
            Err(_) => break,
        }
    }
    let store = StateStore::new();
    let mut ids = 0u64;
    for (n, op) in ops.iter().enumerate() {
        let before = store.snapshot();
        let now = 1_700_000_000 * SECOND + n as i64 * SECOND;
        let Some(command) = command(op, &before, now, &mut ids) else {
            continue;
        };
        let index = before.applied_index() + 1;
        match store.apply(index, &command) {
            Ok(()) => {
                applied.accepted += 1;
                let after = store.snapshot();
                if let Err(errors) = after.check_invariants() {
                    panic!("invariants broken after {command:?}: {errors:?}");
                }
                if let Err(errors) = after.check_indexes_after(&before) {
                    panic!("indexes went back after {command:?}: {errors:?}");
                }
            }
            Err(_) => {
                applied.refused += 1;
                assert!(
                    store.snapshot() == before,
                    "a refused command changed the state: {command:?}"
                );
            }
        }
    }
    applied
}

fn command(op: &Op, snapshot: &Snapshot, now: i64, ids: &mut u64) -> Option<Command> {
    let mut next_id = |prefix: &str| {
        *ids += 1;
        format!("{prefix}-{ids}")
    };
    let node_id = |n: u8| format!("node-{}", n % NODES);
    let job_id = |n: u8| format!("job-{}", n % JOBS);
    Some(match op {
        Op::UpsertNode { node, ready } => Command::UpsertNode(UpsertNode {
            node: node_record(&node_id(*node), *ready),
        }),
        Op::NodeStatus { node, status } => Command::UpdateNodeStatus(NodeStatusUpdate {
            node_id: node_id(*node),
            status: nth(&NODE_STATUSES, *status).to_string(),
            updated_at: now / SECOND,
        }),
        Op::NodeEligibility { node, eligible } => {
            Command::UpdateNodeEligibility(NodeEligibilityUpdate {
                node_id: node_id(*node),
                eligibility: if *eligible { "eligible" } else { "ineligible" }.to_string(),
                updated_at: now / SECOND,
            })
        }
        Op::NodeDrain {
            node,
            drain,
            mark_eligible,
        } => Command::UpdateNodeDrain(NodeDrainUpdate {
            node_id: node_id(*node),
            drain_strategy: drain.then(DrainStrategy::default),
            mark_eligible: *mark_eligible,
            updated_at: now / SECOND,
        }),
        Op::RegisterJob {
            job,
            kind,
            count,
            with_eval,
        } => {
            let job = job_record(&job_id(*job), *kind, *count, now);
            let eval = with_eval.then(|| eval_record(next_id("eval"), &job, now));
            Command::UpsertJob(UpsertJob {
                job: job.into(),
                eval,
                now,
                ..UpsertJob::default()
            })
        }
        Op::DeregisterJob {
            job,
            purge,
            with_eval,
        } => {
            let existing = snapshot.job("default", &job_id(*job));
            let eval = existing
                .filter(|_| *with_eval)
                .map(|j| eval_record(next_id("eval"), &j, now));
            Command::DeregisterJob(DeregisterJob {
                namespace: "default".to_string(),
                job_id: job_id(*job),
                purge: *purge,
                submit_time: now,
                eval,
                ..DeregisterJob::default()
            })
        }
        Op::Place { job, node, count } => {
            let job = snapshot.job("default", &job_id(*job))?;
            let group = job.task_groups.first()?.name.clone();
            let allocs: Vec<Allocation> = (0..count % 4 + 1)
                .map(|i| Allocation {
                    id: next_id("alloc").into(),
                    namespace: job.namespace.as_str().into(),
                    eval_id: SmolStr::default(),
                    name: format!("{}.{group}[{i}]", job.id).into(),
                    node_id: node_id(*node).into(),
                    job_id: job.id.as_str().into(),
                    job: Some(job.clone()),
                    task_group: group.as_str().into(),
                    allocated_resources: Some(Arc::new(resources())),
                    desired_status: DesiredStatus::Run,
                    client_status: ClientStatus::Pending,
                    create_time: now,
                    modify_time: now,
                    ..Allocation::default()
                })
                .collect();
            Command::ApplyPlanResults(PlanResults {
                job: Some(job.clone()),
                allocs_updated: allocs.into_iter().map(Arc::new).collect(),
                updated_at: now,
                ..PlanResults::default()
            })
        }
        Op::StopAlloc { alloc } => {
            let mut stopped = (*pick_alloc(snapshot, *alloc)?).clone();
            stopped.desired_status = DesiredStatus::Stop;
            stopped.modify_time = now;
            Command::ApplyPlanResults(PlanResults {
                allocs_stopped: vec![Arc::new(stopped)],
                updated_at: now,
                ..PlanResults::default()
            })
        }
        Op::ClientUpdate { alloc, status } => {
            let alloc = pick_alloc(snapshot, *alloc)?;
            Command::UpdateAllocsFromClient(ClientAllocUpdates {
                allocs: vec![ClientAllocUpdate {
                    alloc_id: alloc.id.to_string(),
                    client_status: nth(&CLIENT_STATUSES, *status),
                    modify_time: now,
                    ..ClientAllocUpdate::default()
                }],
                evals: Vec::new(),
            })
        }
        Op::EvalStatus { eval, status } => {
            let evals = all_evals(snapshot);
            let mut eval = (**pick(&evals, *eval)?).clone();
            eval.status = nth(&EVAL_STATUSES, *status);
            eval.modify_time = now;
            Command::UpsertEvals(UpsertEvals { evals: vec![eval] })
        }
        // Garbage collection, as the engine would send it: only terminal evaluations, and
        // only allocations that completed or failed (the store's summaries keep counting
        // live and lost allocations, so deleting those is not a write the engine makes).
        Op::Delete { eval, alloc } => Command::DeleteEvals(DeleteEvals {
            evals: pick(&all_evals(snapshot), *eval)
                .filter(|e| e.is_terminal())
                .map(|e| e.id.to_string())
                .into_iter()
                .collect(),
            allocs: pick_alloc(snapshot, *alloc)
                .filter(|a| matches!(a.client_status.as_str(), "complete" | "failed"))
                .map(|a| a.id.to_string())
                .into_iter()
                .collect(),
        }),
        Op::Batch(first, second) => Command::Batch(
            [first, second]
                .into_iter()
                .filter_map(|op| command(op, snapshot, now, ids))
                .collect(),
        ),
    })
}

/// The `n`th of a fixed, non-empty list (wrapping).
fn nth<T: Copy>(items: &[T], n: u8) -> T {
    items[usize::from(n) % items.len()]
}

fn pick<T>(items: &[T], n: u8) -> Option<&T> {
    if items.is_empty() {
        return None;
    }
    items.get(usize::from(n) % items.len())
}

fn all_evals(snapshot: &Snapshot) -> Vec<std::sync::Arc<Evaluation>> {
    snapshot
        .list_evals(&NamespaceSelector::All, &PageRequest::default(), &|_| true)
        .items
        .into_iter()
        .cloned()
        .collect()
}

fn pick_alloc(snapshot: &Snapshot, n: u8) -> Option<std::sync::Arc<Allocation>> {
    let allocs: Vec<_> = snapshot
        .list_allocs(&NamespaceSelector::All, &PageRequest::default(), &|_| true)
        .items
        .into_iter()
        .cloned()
        .collect();
    pick(&allocs, n).cloned()
}

fn node_record(id: &str, ready: bool) -> Node {
    decode_value(
        json!({
            "ID": id, "Name": id, "Datacenter": "dc1", "NodePool": "default",
            "Status": if ready { "ready" } else { "initializing" },
            "SchedulingEligibility": "eligible",
            "NodeResources": {"Cpu": {"CpuShares": 4000}, "Memory": {"MemoryMB": 8192}}
        }),
        "Node",
    )
    .expect("a node decodes")
}

/// A canonical job of one group: service, batch or system.
fn job_record(id: &str, kind: u8, count: u8, now: i64) -> Job {
    let job_type = nth(&["service", "batch", "system"], kind);
    let count = if job_type == "system" { 1 } else { count % 5 };
    let mut job: Job = decode_value(
        json!({
            "ID": id, "Type": job_type, "Datacenters": ["dc1"],
            "TaskGroups": [{"Name": "g", "Count": count,
                            "Tasks": [{"Name": "t", "Driver": "docker",
                                       "Config": {"image": "app:1"}}]}]
        }),
        "Job",
    )
    .expect("a job decodes");
    job.canonicalize();
    job.submit_time = now;
    job
}

fn eval_record(id: String, job: &Job, now: i64) -> Evaluation {
    Evaluation {
        id: id.into(),
        namespace: job.namespace.to_string(),
        priority: 50,
        eval_type: job.job_type.to_string(),
        triggered_by: "job-register".to_string(),
        job_id: job.id.to_string(),
        status: EvalStatus::Pending,
        create_time: now,
        modify_time: now,
        ..Evaluation::default()
    }
}

fn resources() -> AllocatedResources {
    let mut task = AllocatedTaskResources::default();
    task.cpu.cpu_shares = 100;
    task.memory.memory_mb = 128;
    AllocatedResources {
        tasks: [("t".to_string(), task)].into(),
        ..AllocatedResources::default()
    }
}

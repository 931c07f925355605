//! The store against a plain reference model: random command sequences (job register, stop,
//! purge; evaluation upserts; placements and client updates; node changes), with the
//! invariants checked after every step and snapshots checked to keep their old view.

use std::collections::BTreeMap;
use std::sync::Arc;

use drover_model::allocation::ClientStatus;
use drover_model::{EvalStatus, Node};
use drover_state::{
    ClientAllocUpdate, ClientAllocUpdates, Command, DeregisterJob, NodeStatusUpdate, Snapshot,
    StateStore, UpsertNode,
};
use proptest::prelude::*;

use crate::support::*;

const JOBS: [&str; 3] = ["api", "web", "Web"];
const NODES: [&str; 2] = ["n1", "n2"];
const EVAL_STATUSES: [EvalStatus; 4] = [
    EvalStatus::Pending,
    EvalStatus::Blocked,
    EvalStatus::Complete,
    EvalStatus::Failed,
];
const CLIENT_STATUSES: [ClientStatus; 5] = [
    ClientStatus::Pending,
    ClientStatus::Running,
    ClientStatus::Complete,
    ClientStatus::Failed,
    ClientStatus::Lost,
];

#[derive(Debug, Clone)]
enum Op {
    Register {
        job: usize,
        count: i64,
    },
    Stop {
        job: usize,
    },
    Purge {
        job: usize,
    },
    Eval {
        eval: usize,
        job: usize,
        status: usize,
    },
    Place {
        job: usize,
        node: usize,
    },
    Client {
        alloc: usize,
        status: usize,
    },
    NodeUp {
        node: usize,
    },
    NodeDown {
        node: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..3usize, 1..3i64).prop_map(|(job, count)| Op::Register { job, count }),
        1 => (0..3usize).prop_map(|job| Op::Stop { job }),
        1 => (0..3usize).prop_map(|job| Op::Purge { job }),
        3 => (0..6usize, 0..3usize, 0..4usize).prop_map(|(eval, job, status)| Op::Eval { eval, job, status }),
        3 => (0..3usize, 0..2usize).prop_map(|(job, node)| Op::Place { job, node }),
        3 => (0..12usize, 0..5usize).prop_map(|(alloc, status)| Op::Client { alloc, status }),
        1 => (0..2usize).prop_map(|node| Op::NodeUp { node }),
        1 => (0..2usize).prop_map(|node| Op::NodeDown { node }),
    ]
}

#[derive(Debug, Clone, PartialEq)]
struct ModelJob {
    count: i64,
    stop: bool,
    version: u64,
    create_index: u64,
    versions: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq)]
struct ModelAlloc {
    job: String,
    job_create_index: u64,
    client_status: ClientStatus,
}

/// What the store should hold, computed the plain way.
#[derive(Debug, Clone, Default, PartialEq)]
struct Model {
    jobs: BTreeMap<String, ModelJob>,
    evals: BTreeMap<String, (String, EvalStatus)>,
    allocs: BTreeMap<String, ModelAlloc>,
    nodes: BTreeMap<String, String>,
    next_alloc: usize,
}

/// An evaluation always belongs to one job, as in Nomad.
fn eval_id(n: usize, job: &str) -> String {
    format!("e{n}-{job}")
}

impl Model {
    /// Nomad's status rules for a service job.
    fn status(&self, id: &str) -> &'static str {
        let job = &self.jobs[id];
        if self
            .allocs
            .values()
            .any(|a| a.job == id && !a.client_status.is_terminal())
        {
            return "running";
        }
        let evals: Vec<_> = self.evals.values().filter(|(j, _)| j == id).collect();
        if evals.iter().any(|(_, s)| !s.is_terminal()) {
            return "pending";
        }
        if !evals.is_empty() || job.stop {
            "dead"
        } else {
            "pending"
        }
    }

    fn write_version(job: &mut ModelJob, version: u64) {
        job.version = version;
        job.versions.push(version);
        if job.versions.len() > drover_state::JOB_TRACKED_VERSIONS {
            job.versions.remove(0);
        }
    }

    /// Applies an op at `index`; `Err` means the store must reject its command.
    fn apply(&mut self, op: &Op, index: u64) -> Result<(), ()> {
        match op {
            Op::Register { job, count } => {
                let id = JOBS[*job].to_string();
                match self.jobs.get_mut(&id) {
                    Some(j) if j.count == *count && !j.stop => {}
                    Some(j) => {
                        j.count = *count;
                        j.stop = false;
                        let next = j.version + 1;
                        Self::write_version(j, next);
                    }
                    None => {
                        let mut j = ModelJob {
                            count: *count,
                            stop: false,
                            version: 0,
                            create_index: index,
                            versions: Vec::new(),
                        };
                        Self::write_version(&mut j, 0);
                        self.jobs.insert(id, j);
                    }
                }
            }
            Op::Stop { job } => {
                let j = self.jobs.get_mut(JOBS[*job]).ok_or(())?;
                if !j.stop {
                    j.stop = true;
                    let next = j.version + 1;
                    Self::write_version(j, next);
                }
            }
            Op::Purge { job } => {
                let id = JOBS[*job];
                self.jobs.remove(id).ok_or(())?;
                self.allocs.retain(|_, a| a.job != id);
                for (j, status) in self.evals.values_mut() {
                    if j == id && *status == EvalStatus::Pending {
                        *status = EvalStatus::Complete;
                    }
                }
            }
            Op::Eval { eval, job, status } => {
                let status = EVAL_STATUSES[*status];
                let job = JOBS[*job].to_string();
                if status == EvalStatus::Complete {
                    for (j, s) in self.evals.values_mut() {
                        if *j == job && *s == EvalStatus::Blocked {
                            *s = EvalStatus::Canceled;
                        }
                    }
                }
                self.evals.insert(eval_id(*eval, &job), (job, status));
            }
            Op::Place { job, .. } => {
                let id = JOBS[*job];
                let j = self.jobs.get(id).ok_or(())?;
                if !j.stop {
                    let alloc = ModelAlloc {
                        job: id.to_string(),
                        job_create_index: j.create_index,
                        client_status: ClientStatus::Pending,
                    };
                    self.allocs.insert(format!("a{}", self.next_alloc), alloc);
                }
                self.next_alloc += 1;
            }
            Op::Client { alloc, status } => {
                if let Some(a) = self.allocs.get_mut(&format!("a{alloc}")) {
                    a.client_status = CLIENT_STATUSES[*status];
                }
            }
            Op::NodeUp { node } => {
                self.nodes
                    .insert(NODES[*node].to_string(), "ready".to_string());
            }
            Op::NodeDown { node } => {
                let status = self.nodes.get_mut(NODES[*node]).ok_or(())?;
                *status = "down".to_string();
            }
        }
        Ok(())
    }

    /// The command the engine would build for an op.
    fn command(&self, op: &Op, snap: &Snapshot, index: u64) -> Command {
        match op {
            Op::Register { job: j, count } => register_with_eval(
                job(JOBS[*j], *count),
                eval(&format!("reg-{index}"), JOBS[*j], EvalStatus::Complete),
            ),
            Op::Stop { job } | Op::Purge { job } => Command::DeregisterJob(DeregisterJob {
                namespace: NS.to_string(),
                job_id: JOBS[*job].to_string(),
                purge: matches!(op, Op::Purge { .. }),
                ..DeregisterJob::default()
            }),
            Op::Eval {
                eval: e,
                job,
                status,
            } => evals(vec![eval(
                &eval_id(*e, JOBS[*job]),
                JOBS[*job],
                EVAL_STATUSES[*status],
            )]),
            Op::Place { job: j, node } => {
                let current = snap
                    .job(NS, JOBS[*j])
                    .unwrap_or_else(|| Arc::new(job(JOBS[*j], 1)));
                place(vec![alloc(
                    &format!("a{}", self.next_alloc),
                    &current,
                    NODES[*node],
                )])
            }
            Op::Client { alloc, status } => Command::UpdateAllocsFromClient(ClientAllocUpdates {
                allocs: vec![ClientAllocUpdate {
                    alloc_id: format!("a{alloc}"),
                    client_status: CLIENT_STATUSES[*status],
                    ..ClientAllocUpdate::default()
                }],
                evals: Vec::new(),
            }),
            Op::NodeUp { node } => Command::UpsertNode(UpsertNode {
                node: Node {
                    id: NODES[*node].into(),
                    status: "ready".to_string(),
                    ..Node::default()
                },
            }),
            Op::NodeDown { node } => Command::UpdateNodeStatus(NodeStatusUpdate {
                node_id: NODES[*node].to_string(),
                status: "down".to_string(),
                updated_at: 1,
            }),
        }
    }

    /// Registration evaluations are an artifact of the command; the model tracks them too.
    fn note_registration_eval(&mut self, op: &Op, index: u64) {
        if let Op::Register { job, .. } = op {
            let job = JOBS[*job].to_string();
            for (j, s) in self.evals.values_mut() {
                if *j == job && *s == EvalStatus::Blocked {
                    *s = EvalStatus::Canceled;
                }
            }
            self.evals
                .insert(format!("reg-{index}"), (job, EvalStatus::Complete));
        }
    }
}

/// Everything the model predicts must match the snapshot.
fn assert_matches(model: &Model, snap: &Snapshot) {
    for id in JOBS {
        let stored = snap.job(NS, id);
        match (model.jobs.get(id), stored) {
            (None, None) => {}
            (Some(m), Some(s)) => {
                assert_eq!(
                    (s.version, s.stop, s.task_groups[0].count),
                    (m.version, m.stop, m.count),
                    "job {id}"
                );
                assert_eq!(s.create_index, m.create_index, "job {id} create index");
                assert_eq!(s.status, model.status(id), "status of {id}");
                let mut versions: Vec<u64> = snap
                    .job_versions(NS, id)
                    .iter()
                    .map(|v| v.version)
                    .collect();
                versions.reverse();
                assert_eq!(versions, m.versions, "versions of {id}");
            }
            (m, s) => panic!("job {id}: model {m:?}, store {s:?}"),
        }
    }
    for (id, (job, status)) in &model.evals {
        let e = snap.eval(id).unwrap_or_else(|| panic!("eval {id} missing"));
        assert_eq!((&e.job_id, e.status), (job, *status), "eval {id}");
    }
    for (id, a) in &model.allocs {
        let stored = snap
            .alloc(id)
            .unwrap_or_else(|| panic!("alloc {id} missing"));
        assert_eq!(stored.client_status, a.client_status, "alloc {id}");
        assert_eq!(
            stored.job.as_ref().map(|j| j.create_index),
            Some(a.job_create_index)
        );
    }
    let stored_allocs = snap.list_allocs(
        &drover_state::NamespaceSelector::All,
        &drover_state::PageRequest::default(),
        &|_| true,
    );
    assert_eq!(stored_allocs.items.len(), model.allocs.len());
    for (id, status) in &model.nodes {
        assert_eq!(&snap.node(id).expect("node").status, status);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_store_follows_the_reference_model(ops in proptest::collection::vec(op(), 1..40)) {
        let mut h = Harness::new();
        let mut model = Model::default();
        let mut history: Vec<(Snapshot, Model)> = Vec::new();
        // The same commands given up to a second store (as a replayed log is).
        let owned = StateStore::new();
        for op in &ops {
            let snap = h.snap();
            let index = h.index + 1;
            let command = model.command(op, &snap, index);
            let mut next = model.clone();
            let expected = next.apply(op, index);
            let owned_result = owned.apply_owned(index, command.clone());
            let result = h.run(command);
            prop_assert_eq!(&owned_result, &result);
            prop_assert_eq!(owned.snapshot(), h.snap());
            prop_assert_eq!(result.is_ok(), expected.is_ok(), "op {:?}: {:?}", op, result);
            if result.is_ok() {
                next.note_registration_eval(op, index);
                model = next;
            } else {
                // A rejected command still used up its index; the model keeps its state.
                model.next_alloc = next.next_alloc;
            }
            assert_matches(&model, &h.snap());
            history.push((snap, model.clone()));
        }
        // Snapshot isolation: every earlier snapshot still shows the state it was taken in.
        let mut previous = Model::default();
        for (snap, after) in &history {
            assert_matches(&previous, snap);
            previous = after.clone();
        }
    }
}

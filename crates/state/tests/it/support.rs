//! Builders for the records tests write, a harness that applies commands at growing
//! indexes and checks invariants after each, and golden-file comparison.

use std::path::PathBuf;
use std::sync::Arc;

use drover_model::allocation::{ClientStatus, DesiredStatus};
use drover_model::{Allocation, EvalStatus, Evaluation, Job, TaskGroup};
use drover_state::{
    Command, PlanResults, Snapshot, StateError, StateStore, UpsertEvals, UpsertJob,
};

pub const NS: &str = "default";

/// A service job with one group `web` of `count` instances.
pub fn job(id: &str, count: i64) -> Job {
    Job {
        id: id.into(),
        name: id.into(),
        namespace: NS.into(),
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

pub fn eval(id: &str, job_id: &str, status: EvalStatus) -> Evaluation {
    Evaluation {
        id: id.into(),
        namespace: NS.to_string(),
        priority: 50,
        eval_type: "service".to_string(),
        triggered_by: "job-register".to_string(),
        job_id: job_id.to_string(),
        status,
        ..Evaluation::default()
    }
}

/// A pending placement of `job`'s group `web` on `node`.
pub fn alloc(id: &str, job: &Arc<Job>, node: &str) -> Allocation {
    Allocation {
        id: id.into(),
        namespace: job.namespace.as_str().into(),
        eval_id: "e-place".into(),
        name: format!("{}.web[0]", job.id).into(),
        node_id: node.into(),
        job_id: job.id.as_str().into(),
        job: Some(job.clone()),
        task_group: "web".into(),
        desired_status: DesiredStatus::Run,
        client_status: ClientStatus::Pending,
        ..Allocation::default()
    }
}

pub fn register(job: Job) -> Command {
    Command::UpsertJob(UpsertJob {
        job: Arc::new(job),
        ..UpsertJob::default()
    })
}

pub fn register_with_eval(job: Job, eval: Evaluation) -> Command {
    Command::UpsertJob(UpsertJob {
        job: Arc::new(job),
        eval: Some(eval),
        ..UpsertJob::default()
    })
}

pub fn evals(evals: Vec<Evaluation>) -> Command {
    Command::UpsertEvals(UpsertEvals { evals })
}

pub fn place(allocs: Vec<Allocation>) -> Command {
    Command::ApplyPlanResults(PlanResults {
        allocs_updated: allocs.into_iter().map(Arc::new).collect(),
        ..PlanResults::default()
    })
}

/// A store driven at indexes 1, 2, 3, ... that keeps its log and checks every state.
#[derive(Debug, Default)]
pub struct Harness {
    pub store: StateStore,
    pub index: u64,
    pub log: Vec<(u64, Command)>,
}

impl Harness {
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies at the next index; a failed command must leave the state as it was.
    pub fn run(&mut self, command: Command) -> Result<(), StateError> {
        let before = self.store.snapshot();
        self.index += 1;
        let result = self.store.apply(self.index, &command);
        let after = self.store.snapshot();
        if let Err(errors) = after.check_invariants() {
            panic!(
                "invariants broken after {command:?}:\n{}",
                errors.join("\n")
            );
        }
        match &result {
            Ok(()) => self.log.push((self.index, command)),
            Err(_) => assert_eq!(before, after, "a failed command changed the store"),
        }
        if let Err(errors) = after.check_indexes_after(&before) {
            panic!("indexes went back:\n{}", errors.join("\n"));
        }
        result
    }

    /// Runs a command that must succeed.
    pub fn ok(&mut self, command: Command) {
        if let Err(e) = self.run(command) {
            panic!("command failed at index {}: {e}", self.index);
        }
    }

    pub fn snap(&self) -> Snapshot {
        self.store.snapshot()
    }

    pub fn job(&self, id: &str) -> Arc<Job> {
        self.snap().job(NS, id).expect("job exists")
    }
}

/// Compares `actual` with `tests/golden/<name>.json`; `UPDATE_GOLDEN=1` rewrites the file.
#[track_caller]
pub fn check_golden(name: &str, actual: &serde_json::Value) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.json"));
    let rendered = serde_json::to_string_pretty(actual).expect("json") + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &rendered).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing golden {}; run with UPDATE_GOLDEN=1",
            path.display()
        )
    });
    assert_eq!(rendered, expected, "golden {name} differs");
}

//! The schedulers: they turn an evaluation into a [`Plan`] by reconciling a job with its
//! allocations and placing what is missing through the feasibility stack.
//!
//! A scheduler sees the cluster only through a read-only [`Snapshot`] and acts only through a
//! [`Planner`]: the engine's planner hands plans to the plan applier and evaluations to the
//! broker; the dry-run planner records and never commits.
//!
//! - [`process_eval`]: one evaluation, dispatched on its type: the generic scheduler for
//!   `service` and `batch` jobs (Nomad's `GenericScheduler`), the node schedulers for `system`
//!   and `sysbatch` jobs. Each retries after a partial commit (5 attempts for service and
//!   system jobs, 2 for batch and sysbatch, reset whenever a plan made progress).
//! - [`dry_run`]: the `plan` endpoint's run of the same scheduler (Nomad's `PlanBuilder`).
//! - [`blocked_eval`], [`failed_follow_up_eval`]: Nomad's evaluation constructors.
//!
//! Time, IDs and the node shuffle come from the [`SchedulerContext`]; nothing here reads a
//! clock or OS randomness.

mod allocation;
mod attempt;
mod cluster;
mod dry_run;
mod evals;
mod generic;
mod plan;
mod system;

use drover_model::Evaluation;
use drover_model::job::job_type;
use drover_state::Snapshot;

use crate::feasible::StackConfig;

pub use cluster::NodeTableCache;
pub use dry_run::{DryRun, dry_run};
pub use evals::{blocked_eval, failed_follow_up_eval};
pub use plan::{Plan, PlanResult, Planner, PlannerError};

/// The scheduler configuration (the parts of Nomad's `SchedulerConfiguration` drover honours);
/// the default is Nomad's default. Keep one and hand clones of it to every evaluation: the
/// clones share the indexed nodes, which are rebuilt only when a node changes.
#[derive(Debug, Clone, Default)]
pub struct SchedulerConfig {
    /// Bin packing or spread, memory oversubscription, and how many nodes to rank for groups
    /// with affinities or spreads.
    pub stack: StackConfig,
    pub node_tables: NodeTableCache,
}

/// What a scheduler needs besides the evaluation and the snapshot: the time, a seed for the
/// node shuffle, an ID generator (allocations, blocked and follow-up evaluations,
/// deployments) and the configuration.
pub struct SchedulerContext<'a> {
    /// Unix nanoseconds.
    pub now: i64,
    /// Seeds the node shuffle (mixed with the snapshot index, so a retry after a refresh
    /// shuffles anew).
    pub seed: u64,
    pub new_id: &'a mut dyn FnMut() -> String,
    pub config: SchedulerConfig,
}

impl std::fmt::Debug for SchedulerContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchedulerContext")
            .field("now", &self.now)
            .field("seed", &self.seed)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Why a scheduler gave up on an evaluation (the evaluation is then nacked and retried).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchedulerError {
    #[error("unknown scheduler '{0}'")]
    UnknownScheduler(String),
    #[error(transparent)]
    Planner(#[from] PlannerError),
    #[error("missing state refresh after partial commit")]
    MissingRefresh,
    #[error("scheduler resulted in an unexpected number of plans: {0}")]
    UnexpectedPlans(usize),
    #[error("scheduler resulted in an unexpected number of eval updates: {0}")]
    UnexpectedEvalUpdates(usize),
}

/// Schedules one evaluation on `snapshot`, submitting plans and evaluations through `planner`.
/// An evaluation with a trigger the scheduler does not handle is marked failed (Nomad's
/// "scheduler cannot handle '<trigger>' evaluation reason"); running out of attempts marks it
/// failed with "maximum attempts reached (N)" (and, for service and batch jobs, creates a
/// blocked evaluation triggered by `max-plan-attempts`).
pub fn process_eval(
    eval: &Evaluation,
    snapshot: Snapshot,
    planner: &mut dyn Planner,
    ctx: &mut SchedulerContext<'_>,
) -> Result<(), SchedulerError> {
    let run = Run { stored: true };
    run.process(eval, snapshot, planner, ctx).map(|_| ())
}

/// How a scheduler runs.
#[derive(Debug, Clone, Copy)]
struct Run {
    /// The plans are stored (the engine's worker): each placement records the metrics of the
    /// ranking that chose its node, and allocations stopped or updated are copied in full. A
    /// dry-run's plan is only reported: no metrics, and trimmed copies.
    stored: bool,
}

impl Run {
    /// [`process_eval`], returning the result of the last plan submitted.
    fn process(
        self,
        eval: &Evaluation,
        snapshot: Snapshot,
        planner: &mut dyn Planner,
        ctx: &mut SchedulerContext<'_>,
    ) -> Result<Option<PlanResult>, SchedulerError> {
        match eval.eval_type.as_str() {
            job_type::SERVICE => generic::process(self, eval, false, snapshot, planner, ctx),
            job_type::BATCH => generic::process(self, eval, true, snapshot, planner, ctx),
            job_type::SYSTEM => system::process(self, eval, false, snapshot, planner, ctx),
            job_type::SYSBATCH => system::process(self, eval, true, snapshot, planner, ctx),
            other => Err(SchedulerError::UnknownScheduler(other.to_string())),
        }
    }
}

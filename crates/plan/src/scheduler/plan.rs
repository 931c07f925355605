//! `Plan`, plain data: what a scheduler wants to change, node by node, and the trait through
//! which it submits plans and evaluations.

use std::collections::BTreeMap;
use std::sync::Arc;

use drover_model::{Allocation, Deployment, Evaluation, Job};
use drover_state::{DeploymentStatusUpdate, Snapshot};

use crate::annotations::PlanAnnotations;

/// A scheduler's intended changes (Nomad's `structs.Plan`). Allocations are full records; the
/// applier re-checks every touched node against the latest state before committing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub eval_id: String,
    pub eval_token: String,
    pub priority: i64,
    /// Place everything or nothing (`AllAtOnce`).
    pub all_at_once: bool,
    /// The job the plan was made for; `None` when the job is gone.
    pub job: Option<Arc<Job>>,
    /// Allocations to stop or evict, by node ID.
    pub node_update: BTreeMap<String, Vec<Allocation>>,
    /// Allocations to place or update in place, by node ID.
    pub node_allocation: BTreeMap<String, Vec<Allocation>>,
    /// Allocations to preempt, by node ID.
    pub node_preemptions: BTreeMap<String, Vec<Allocation>>,
    pub deployment: Option<Deployment>,
    pub deployment_updates: Vec<DeploymentStatusUpdate>,
    /// Set only when the evaluation asks for them (`AnnotatePlan`).
    pub annotations: Option<PlanAnnotations>,
    /// The snapshot index the plan was computed at.
    pub snapshot_index: u64,
}

impl Plan {
    /// Whether the plan changes nothing.
    pub fn is_no_op(&self) -> bool {
        self.node_update.is_empty()
            && self.node_allocation.is_empty()
            && self.node_preemptions.is_empty()
            && self.deployment.is_none()
            && self.deployment_updates.is_empty()
    }
}

/// What the applier committed of a plan (Nomad's `structs.PlanResult`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlanResult {
    pub node_update: BTreeMap<String, Vec<Allocation>>,
    pub node_allocation: BTreeMap<String, Vec<Allocation>>,
    pub node_preemptions: BTreeMap<String, Vec<Allocation>>,
    pub deployment: Option<Deployment>,
    pub deployment_updates: Vec<DeploymentStatusUpdate>,
    /// Non-zero when part of the plan was refused: the scheduler must refresh its state to at
    /// least this index and try again.
    pub refresh_index: u64,
    /// The index the committed part was written at.
    pub alloc_index: u64,
}

impl PlanResult {
    /// Whether the applier committed every part of `plan`.
    pub fn is_full_commit(&self, plan: &Plan) -> bool {
        let count = |m: &BTreeMap<String, Vec<Allocation>>| m.values().map(Vec::len).sum::<usize>();
        count(&self.node_update) == count(&plan.node_update)
            && count(&self.node_allocation) == count(&plan.node_allocation)
            && count(&self.node_preemptions) == count(&plan.node_preemptions)
    }
}

/// Why the planner could not do what the scheduler asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PlannerError(pub String);

/// How a scheduler submits its work (Nomad's `Planner`).
pub trait Planner {
    /// Submit a plan. The result says what was committed; a snapshot comes back when the
    /// scheduler must refresh its view (after a partial commit) and try again.
    fn submit_plan(&mut self, plan: Plan) -> Result<(PlanResult, Option<Snapshot>), PlannerError>;

    /// Record the evaluation's outcome (status, queued allocations, failed placements, ...).
    fn update_eval(&mut self, eval: Evaluation) -> Result<(), PlannerError>;

    /// Create a follow-up evaluation (blocked, delayed reschedule, ...).
    fn create_eval(&mut self, eval: Evaluation) -> Result<(), PlannerError>;

    /// Put a blocked evaluation back in the blocked set with new class eligibility.
    fn reblock_eval(&mut self, eval: Evaluation) -> Result<(), PlannerError>;
}

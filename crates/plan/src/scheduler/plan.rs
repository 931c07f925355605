//! `Plan`, plain data: what a scheduler wants to change, node by node, and the trait through
//! which it submits plans and evaluations.

use std::collections::BTreeMap;
use std::sync::Arc;

use drover_model::allocation::{ClientStatus, DesiredStatus};
use drover_model::{Allocation, Deployment, Evaluation, Job};
use drover_state::{DeploymentStatusUpdate, Snapshot};

use crate::annotations::PlanAnnotations;
use crate::reconcile::record_client_state;

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
    /// An empty plan for `eval` against `job`, computed at `snapshot_index` (Nomad's
    /// `MakePlan`).
    pub(crate) fn for_eval(eval: &Evaluation, job: Option<Arc<Job>>, snapshot_index: u64) -> Self {
        Plan {
            eval_id: eval.id.to_string(),
            priority: i64::from(eval.priority),
            all_at_once: job.as_ref().is_some_and(|j| j.all_at_once),
            job,
            snapshot_index,
            ..Plan::default()
        }
    }

    /// Stops an allocation (Nomad's `AppendStoppedAlloc`), given a copy of it: desired status
    /// `stop`, the description, and the client status and follow-up evaluation when given; a
    /// new client status is also recorded in the allocation's states at `now`. A plan without
    /// a job (the job was purged) takes the allocation's.
    pub(crate) fn append_stopped_alloc(
        &mut self,
        mut stopped: Allocation,
        description: &str,
        client_status: ClientStatus,
        followup_eval_id: &str,
        now: i64,
    ) {
        if self.job.is_none() {
            self.job.clone_from(&stopped.job);
        }
        if client_status != ClientStatus::Unset {
            record_client_state(&mut stopped, client_status, now);
            stopped.client_status = client_status;
        }
        stopped.desired_status = DesiredStatus::Stop;
        stopped.details_mut().desired_description = description.to_string();
        if !followup_eval_id.is_empty() {
            stopped.details_mut().followup_eval_id = followup_eval_id.into();
        }
        push(&mut self.node_update, stopped);
    }

    /// Takes back the stop of `alloc_id` on `node_id`, returning it.
    pub(crate) fn remove_update(&mut self, node_id: &str, alloc_id: &str) -> Option<Allocation> {
        remove(&mut self.node_update, node_id, alloc_id)
    }

    /// Places `alloc`, or updates it in place when it exists (Nomad's `AppendAlloc`).
    pub(crate) fn append_alloc(&mut self, alloc: Allocation) {
        push(&mut self.node_allocation, alloc);
    }

    /// The planned version of an allocation, stopped or updated, to amend it.
    pub(crate) fn planned_mut(&mut self, node_id: &str, alloc_id: &str) -> Option<&mut Allocation> {
        let planned = [&mut self.node_update, &mut self.node_allocation].into_iter();
        planned
            .filter_map(|by_node| by_node.get_mut(node_id))
            .flat_map(|allocs| allocs.iter_mut())
            .find(|a| a.id == alloc_id)
    }

    /// Whether the plan changes nothing.
    pub fn is_no_op(&self) -> bool {
        self.node_update.is_empty()
            && self.node_allocation.is_empty()
            && self.node_preemptions.is_empty()
            && self.deployment.is_none()
            && self.deployment_updates.is_empty()
    }
}

fn push(by_node: &mut BTreeMap<String, Vec<Allocation>>, alloc: Allocation) {
    // One search: most allocations of a plan go to a node the plan has not touched yet, and
    // most nodes get one (an allocation is large: no room for more until a second comes).
    let allocs = by_node
        .entry(alloc.node_id.to_string())
        .or_insert_with(|| Vec::with_capacity(1));
    allocs.push(alloc);
}

fn remove(
    by_node: &mut BTreeMap<String, Vec<Allocation>>,
    node_id: &str,
    alloc_id: &str,
) -> Option<Allocation> {
    let allocs = by_node.get_mut(node_id)?;
    let at = allocs.iter().rposition(|a| a.id == alloc_id)?;
    let removed = allocs.remove(at);
    if allocs.is_empty() {
        by_node.remove(node_id);
    }
    Some(removed)
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

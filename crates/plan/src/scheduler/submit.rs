//! Submitting plans and retrying attempts, as every scheduler does (Nomad's `retryMax`,
//! `progressMade` and `adjustQueuedAllocations`).

use std::collections::BTreeMap;

use drover_model::Allocation;
use drover_state::Snapshot;

use super::{Plan, PlanResult, Planner, SchedulerError};

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// Nothing left to do (or nothing to submit).
    Done,
    /// The plan was not fully committed; `progress` when some of it was.
    Retry { progress: bool },
}

/// Runs attempts until one is done. An attempt that made progress resets the count; `limit`
/// attempts in a row without progress give up (returns false).
pub(super) fn retry_max(
    limit: usize,
    mut attempt: impl FnMut() -> Result<Step, SchedulerError>,
) -> Result<bool, SchedulerError> {
    let mut attempts = 0;
    while attempts < limit {
        match attempt()? {
            Step::Done => return Ok(true),
            Step::Retry { progress: true } => attempts = 0,
            Step::Retry { progress: false } => attempts += 1,
        }
    }
    Ok(false)
}

/// What the planner did with a plan.
#[derive(Debug)]
pub(super) struct Submitted {
    pub result: PlanResult,
    /// Newer state to retry on, after a partial commit.
    pub refreshed: Option<Snapshot>,
    /// Every stop, placement and preemption of the plan was committed.
    pub full: bool,
}

impl Submitted {
    /// Whether the committed part changed anything (Nomad's `progressMade`).
    pub fn progress(&self) -> bool {
        let r = &self.result;
        !r.node_update.is_empty()
            || !r.node_allocation.is_empty()
            || r.deployment.is_some()
            || !r.deployment_updates.is_empty()
    }
}

/// Submits `plan` and takes the placements it committed off the `queued` counts.
pub(super) fn submit(
    planner: &mut dyn Planner,
    plan: Plan,
    queued: &mut BTreeMap<String, u32>,
) -> Result<Submitted, SchedulerError> {
    let planned = Size::of(
        &plan.node_update,
        &plan.node_allocation,
        &plan.node_preemptions,
    );
    let (result, refreshed) = planner.submit_plan(plan)?;
    // Records the scheduler created carry no index until committed; updates of existing
    // allocations (in place, disconnects, follow-up markers) do.
    let placed = result.node_allocation.values().flatten();
    for alloc in placed.filter(|a| a.create_index == 0) {
        if let Some(n) = queued.get_mut(&alloc.task_group) {
            *n = n.saturating_sub(1);
        }
    }
    let committed = Size::of(
        &result.node_update,
        &result.node_allocation,
        &result.node_preemptions,
    );
    Ok(Submitted {
        full: committed == planned,
        result,
        refreshed,
    })
}

/// How many allocations a plan stops, places and preempts.
#[derive(Debug, PartialEq, Eq)]
struct Size(usize, usize, usize);

type ByNode = BTreeMap<String, Vec<Allocation>>;

impl Size {
    fn of(update: &ByNode, allocation: &ByNode, preemptions: &ByNode) -> Self {
        let count = |m: &ByNode| m.values().map(Vec::len).sum();
        Size(count(update), count(allocation), count(preemptions))
    }
}

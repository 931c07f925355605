//! What every scheduler does around its own work: the state it keeps across the attempts of
//! one evaluation, starting an attempt, submitting plans (Nomad's `progressMade` and
//! `adjustQueuedAllocations`), retrying (`retryMax`) and recording the evaluation's outcome.

use std::collections::BTreeMap;
use std::sync::Arc;

use drover_model::{AllocMetric, Allocation, Deployment, EvalStatus, Evaluation, Job};
use drover_state::Snapshot;

use super::evals::{Outcome, updated_eval};
use super::{Plan, PlanResult, Planner, Run, SchedulerContext, SchedulerError};
use crate::feasible::NodeTable;

/// What a scheduler keeps across the attempts of one evaluation.
pub(super) struct Scheduling<'a, 'c> {
    pub run: Run,
    pub eval: &'a Evaluation,
    /// The state the attempt works on: once started, without allocations and evaluations
    /// (see [`Scheduling::start`]).
    pub snapshot: Snapshot,
    pub planner: &'a mut dyn Planner,
    pub ctx: &'a mut SchedulerContext<'c>,
    /// The job's latest deployment, or the one this evaluation creates.
    pub deployment: Option<Deployment>,
    pub failed: BTreeMap<String, AllocMetric>,
    /// `None` until an attempt counted them.
    pub queued: Option<BTreeMap<String, u32>>,
    /// The result of the last plan submitted.
    pub result: Option<PlanResult>,
}

/// What an attempt starts from.
pub(super) struct Start {
    pub job: Option<Arc<Job>>,
    /// The allocations of the job (any version, and of an earlier job with its ID).
    pub allocs: Vec<Arc<Allocation>>,
    /// Each allocation's ID as the store keys it: a UUID's bits, or `None` (see
    /// [`drover_state::JobAllocs::with_uuids`]).
    pub uuids: Vec<Option<[u64; 2]>>,
    pub plan: Plan,
    /// The nodes of the snapshot, indexed: what the attempt's `ClusterView` is built on.
    pub table: Arc<NodeTable>,
    /// The node shuffle's seed, new after every refresh.
    pub seed: u64,
}

/// What came of a submitted plan.
#[derive(Debug, Clone, Copy)]
pub(super) struct Committed {
    /// Part of the plan was committed (Nomad's `progressMade`).
    pub progress: bool,
    /// The planner handed back newer state, now in use.
    pub refreshed: bool,
    /// All of the plan was committed.
    pub full: bool,
}

impl<'a, 'c> Scheduling<'a, 'c> {
    pub fn new(
        run: Run,
        eval: &'a Evaluation,
        snapshot: Snapshot,
        planner: &'a mut dyn Planner,
        ctx: &'a mut SchedulerContext<'c>,
    ) -> Self {
        Scheduling {
            run,
            eval,
            snapshot,
            planner,
            ctx,
            deployment: None,
            failed: BTreeMap::new(),
            queued: None,
            result: None,
        }
    }

    /// Starts an attempt on the current snapshot: the job, an empty plan, the node table,
    /// fresh counts, and the job's latest deployment when the scheduler keeps deployments.
    pub fn start(&mut self, deployments: bool) -> Start {
        let eval = self.eval;
        let job = self.snapshot.job(&eval.namespace, &eval.job_id);
        self.queued = Some(BTreeMap::new());
        self.failed.clear();
        if deployments {
            let latest = self
                .snapshot
                .latest_deployment(&eval.namespace, &eval.job_id);
            self.deployment = latest.map(Arc::unwrap_or_clone);
        }
        let index = self.snapshot.latest_index();
        // Nothing after this reads allocations or evaluations from the snapshot: letting go
        // of them (before the job's are read) lets other workers' plans write those tables in
        // place.
        let own = self.snapshot.job_allocs(&eval.namespace, &eval.job_id);
        self.snapshot = self.snapshot.without_allocs_and_evals();
        let (allocs, uuids) = own.with_uuids();
        Start {
            plan: Plan::for_eval(eval, job.clone(), index),
            job,
            table: self.ctx.config.node_tables.table(&self.snapshot),
            allocs,
            uuids,
            seed: self.ctx.seed ^ index,
        }
    }

    /// Submits `plan`, takes what it placed off the queued counts, and moves to the newer
    /// state the planner hands back after a partial commit.
    pub fn submit(&mut self, plan: Plan) -> Result<Committed, SchedulerError> {
        // The store writes a plan in place only where no snapshot shares its tables, so this
        // attempt's goes first. Nothing reads it after a submit that hands back no newer
        // state: the evaluation is then done (or that is an error).
        drop(std::mem::take(&mut self.snapshot));
        let queued = self.queued.get_or_insert_default();
        let submitted = submit(&mut *self.planner, plan, queued)?;
        let committed = Committed {
            progress: submitted.progress(),
            refreshed: submitted.refreshed.is_some(),
            full: submitted.full,
        };
        self.result = Some(submitted.result);
        if let Some(snapshot) = submitted.refreshed {
            self.snapshot = snapshot;
        }
        Ok(committed)
    }

    /// Records the evaluation's outcome (Nomad's `setStatus`).
    pub fn set_status(
        &mut self,
        status: EvalStatus,
        description: &str,
        blocked_eval: Option<&Evaluation>,
        next_eval: &str,
    ) -> Result<(), SchedulerError> {
        let outcome = Outcome {
            failed_tg_allocs: &self.failed,
            queued: self.queued.as_ref(),
            blocked_eval,
            deployment_id: self.deployment.as_ref().map_or("", |d| d.id.as_str()),
            next_eval,
        };
        let updated = updated_eval(self.eval, status, description, &outcome);
        Ok(self.planner.update_eval(updated)?)
    }
}

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
struct Submitted {
    pub result: PlanResult,
    /// Newer state to retry on, after a partial commit.
    pub refreshed: Option<Snapshot>,
    /// Every stop, placement and preemption of the plan was committed.
    pub full: bool,
}

impl Submitted {
    /// Whether the committed part changed anything (Nomad's `progressMade`).
    fn progress(&self) -> bool {
        let r = &self.result;
        !r.node_update.is_empty()
            || !r.node_allocation.is_empty()
            || r.deployment.is_some()
            || !r.deployment_updates.is_empty()
    }
}

/// Submits `plan` and takes the placements it committed off the `queued` counts.
fn submit(
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
        if let Some(n) = queued.get_mut(alloc.task_group.as_str()) {
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

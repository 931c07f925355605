//! The `plan` endpoint's dry-run (Nomad's `Job.Plan` with a `PlanBuilder` for planner): the
//! scheduler runs on a private snapshot, into which the caller has already written the job and
//! the evaluation, with a planner that records what it is handed and commits nothing.

use drover_model::{EvalStatus, Evaluation};
use drover_state::Snapshot;

use super::{Plan, PlanResult, Planner, PlannerError, Run, SchedulerContext, SchedulerError};

/// What the scheduler would do (`POST /v1/job/:id/plan`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DryRun {
    /// The plan, with its annotations when the evaluation asked for them (`AnnotatePlan`).
    pub plan: Option<Plan>,
    /// The evaluation as the scheduler updated it: status, `FailedTGAllocs` (with
    /// `CoalescedFailures`), `QueuedAllocations`, blocked and next evaluations.
    pub eval: Option<Evaluation>,
    /// Evaluations the scheduler created: a blocked evaluation, delayed reschedules.
    pub created_evals: Vec<Evaluation>,
}

/// Runs the scheduler for `eval` on `snapshot` and reports what it would do. Like Nomad, the
/// run must submit exactly one plan and update the evaluation exactly once (an evaluation
/// with `AnnotatePlan` submits even a plan that changes nothing).
///
/// The plan is reported as fully committed but not applied to the snapshot: the scheduler
/// reads no state after its one submission, so writing the plan there would change nothing
/// but the time taken. For the same reason its placements carry no `Metrics` (the endpoint
/// reports `FailedTGAllocs`, never placements), which saves most of a placement's cost, and
/// the allocations it stops or updates are trimmed copies: no task or allocation states, no
/// metrics, no transition or preemption records.
pub fn dry_run(
    eval: &Evaluation,
    snapshot: Snapshot,
    ctx: &mut SchedulerContext<'_>,
) -> Result<DryRun, SchedulerError> {
    let mut recorder = Recorder {
        snapshot: snapshot.clone(),
        plans: Vec::new(),
        evals: Vec::new(),
        created_evals: Vec::new(),
    };
    let run = Run { stored: false };
    let result = run.process(eval, snapshot, &mut recorder, ctx)?;
    if recorder.plans.len() != 1 {
        return Err(SchedulerError::UnexpectedPlans(recorder.plans.len()));
    }
    if recorder.evals.len() != 1 {
        return Err(SchedulerError::UnexpectedEvalUpdates(recorder.evals.len()));
    }
    let mut plan = recorder.plans.pop();
    // The recorder lent the plan's allocations to the scheduler as its result.
    if let (Some(plan), Some(result)) = (&mut plan, result) {
        plan.node_update = result.node_update;
        plan.node_allocation = result.node_allocation;
        plan.node_preemptions = result.node_preemptions;
    }
    Ok(DryRun {
        plan,
        eval: recorder.evals.pop(),
        created_evals: recorder.created_evals,
    })
}

/// Nomad's `PlanBuilder`: every plan commits in full, and no refreshed state comes back.
#[derive(Debug)]
struct Recorder {
    snapshot: Snapshot,
    plans: Vec<Plan>,
    evals: Vec<Evaluation>,
    created_evals: Vec<Evaluation>,
}

impl Planner for Recorder {
    fn submit_plan(
        &mut self,
        mut plan: Plan,
    ) -> Result<(PlanResult, Option<Snapshot>), PlannerError> {
        // The allocations move to the result rather than being copied: `dry_run` puts them
        // back into the recorded plan.
        let result = PlanResult {
            node_update: std::mem::take(&mut plan.node_update),
            node_allocation: std::mem::take(&mut plan.node_allocation),
            node_preemptions: std::mem::take(&mut plan.node_preemptions),
            deployment: plan.deployment.clone(),
            deployment_updates: plan.deployment_updates.clone(),
            refresh_index: 0,
            alloc_index: self.plans.len() as u64 + 1,
        };
        self.plans.push(plan);
        Ok((result, None))
    }

    fn update_eval(&mut self, eval: Evaluation) -> Result<(), PlannerError> {
        self.evals.push(eval);
        Ok(())
    }

    fn create_eval(&mut self, eval: Evaluation) -> Result<(), PlannerError> {
        self.created_evals.push(eval);
        Ok(())
    }

    fn reblock_eval(&mut self, eval: Evaluation) -> Result<(), PlannerError> {
        match self.snapshot.eval(&eval.id) {
            None => Err(PlannerError(
                "evaluation does not exist to be reblocked".to_string(),
            )),
            Some(stored) if stored.status != EvalStatus::Blocked => Err(PlannerError(format!(
                "evaluation {:?} is not already in a blocked state",
                stored.id
            ))),
            Some(_) => Ok(()),
        }
    }
}

//! The deployment watcher (Nomad's `deploymentwatcher`): it moves active deployments along.
//!
//! Nomad runs one goroutine per deployment that blocks on its allocations and on a progress
//! deadline timer. Here the watcher is driven by the engine instead: every commit marks the
//! deployments it touched (allocation health reported by clients or set by hand, promotions,
//! status changes) and [`Engine::tick`] checks progress deadlines. After the commit the
//! marked deployments are examined on a snapshot ([`decide`]) and the watcher commits what
//! follows:
//!
//! - an allocation turned healthy after the scheduler last looked: a `deployment-watcher`
//!   evaluation, so the scheduler places the next batch (and marks the deployment successful,
//!   which marks the job version stable, once every group is done);
//! - an unhealthy allocation fails the deployment when the group has no progress deadline or
//!   the allocation cannot be rescheduled; otherwise it may be replaced (its
//!   `DesiredTransition.Reschedule` is set, with an evaluation);
//! - every canary healthy and every canary group `auto_promote`: the canaries are promoted;
//! - the progress deadline passed with a group short of healthy allocations: the deployment
//!   fails;
//! - a failure with `auto_revert` registers the latest stable version again (a new version).
//!
//! Users promote, fail, pause and resume deployments and set allocation health through the
//! calls in [`endpoints`].
//!
//! Nomad batches the watcher's evaluations for a second; here they are written at once.

mod decide;
mod endpoints;

use std::collections::BTreeSet;
use std::sync::Arc;

use drover_model::deployment::deployment_status;
use drover_model::{Deployment, DesiredTransition, Evaluation, Job, trigger};
use drover_state::{
    AllocDesiredTransitions, Command, DeploymentPromotion, DeploymentStatusChange,
    DeploymentStatusUpdate, NamespaceSelector, PageRequest, Snapshot,
};

use crate::engine::{Committer, Engine};
use crate::error::EngineError;
use decide::Rollback;

/// The watcher's memory between commits.
#[derive(Debug, Default)]
pub(crate) struct DeploymentWatcher {
    /// Deployments a commit touched and the watcher has not examined since.
    dirty: BTreeSet<String>,
    /// Deployments whose progress deadline passed without failing them (canaries awaiting
    /// promotion): a later failure is described as a progress deadline failure, as Nomad's.
    deadline_hit: BTreeSet<String>,
}

impl Engine {
    /// Leader effect of a commit: remembers the deployments `command` touched.
    pub(crate) fn mark_deployments(&self, after: &Snapshot, command: &Command) {
        let mut ids = Vec::new();
        touched_deployments(after, command, &mut ids);
        if !ids.is_empty() {
            self.deployment_watcher.lock().dirty.extend(ids);
        }
    }

    /// On start-up every active deployment is examined, as a new leader's watchers do: health
    /// reported before the restart may not have been acted on.
    pub(crate) fn mark_active_deployments(&self, snapshot: &Snapshot) {
        let active = active_deployments(snapshot)
            .into_iter()
            .map(|d| d.id.to_string());
        self.deployment_watcher.lock().dirty.extend(active);
    }

    /// Examines the deployments commits touched, until none is left. Only one caller works at
    /// a time: the watcher's own commits come back here and return at once, and the running
    /// loop picks up what they marked. A deployment whose handling fails is left until a
    /// commit touches it again (as Nomad's watcher logs and waits for the next change); the
    /// first failure is returned once the others are done.
    pub(crate) fn watch_deployments(&self, now: i64) -> Result<(), EngineError> {
        let Some(_running) = self.watching.try_lock() else {
            return Ok(());
        };
        let mut first_error = None;
        loop {
            let Some(id) = self.deployment_watcher.lock().dirty.pop_first() else {
                return first_error.map_or(Ok(()), Err);
            };
            if let Err(error) = self.watch_deployment(&id, now) {
                first_error.get_or_insert(error);
            }
        }
    }

    /// The progress deadlines at `now`: every active deployment whose deadline passed is
    /// failed, unless its groups have the healthy allocations they need. A failure does not
    /// stop the others; the first is returned.
    pub(crate) fn check_progress_deadlines(&self, now: i64) -> Result<(), EngineError> {
        let snapshot = self.snapshot();
        let active = active_deployments(&snapshot);
        self.deployment_watcher
            .lock()
            .deadline_hit
            .retain(|id| active.iter().any(|d| d.id == id));
        let mut first_error = None;
        for deployment in active {
            if !decide::progress_deadline_passed(&snapshot, &deployment, now) {
                continue;
            }
            self.deployment_watcher
                .lock()
                .deadline_hit
                .insert(deployment.id.to_string());
            if let Err(error) =
                self.with_writer(|writer| self.fail_at_deadline(writer, &deployment.id, now))
            {
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Nomad's deadline timer firing: fails the deployment if a group lacks healthy
    /// allocations.
    fn fail_at_deadline(
        &self,
        writer: &mut Committer<'_>,
        id: &str,
        now: i64,
    ) -> Result<(), EngineError> {
        let snapshot = writer.snapshot();
        let Some((deployment, job)) = active_with_job(&snapshot, id) else {
            return Ok(());
        };
        if let Some(rollback) = decide::deadline_failure(&deployment, &job) {
            let description = decide::watcher_description(true);
            let failure = decide::failure(&snapshot, &job, description, rollback);
            self.commit_failure(writer, &deployment, &job, failure, now)?;
        }
        Ok(())
    }

    /// Nomad's reaction to a deployment's allocations changing.
    fn watch_deployment(&self, id: &str, now: i64) -> Result<(), EngineError> {
        self.with_writer(|writer| {
            let snapshot = writer.snapshot();
            let Some((deployment, job)) = active_with_job(&snapshot, id) else {
                return Ok(());
            };
            let outcome = decide::alloc_outcome(&snapshot, &deployment, &job, now);
            if outcome.fail {
                let deadline_hit = self.deployment_watcher.lock().deadline_hit.contains(id);
                let description = decide::watcher_description(deadline_hit);
                let failure = decide::failure(&snapshot, &job, description, outcome.rollback);
                self.commit_failure(writer, &deployment, &job, failure, now)?;
                return Ok(());
            }
            if decide::auto_promotable(&snapshot, &deployment) {
                writer.commit(
                    &Command::PromoteDeployment(DeploymentPromotion {
                        deployment_id: deployment.id.to_string(),
                        all: true,
                        groups: Vec::new(),
                        promoted_at: now,
                        eval: Some(self.deployment_eval(&deployment, &job, now)),
                    }),
                    None,
                )?;
                return Ok(());
            }
            if outcome.create_eval || !outcome.allow_replacements.is_empty() {
                let reschedule = DesiredTransition {
                    reschedule: Some(true),
                    ..DesiredTransition::default()
                };
                let transitions = outcome
                    .allow_replacements
                    .into_iter()
                    .map(|alloc_id| (alloc_id, reschedule.clone()))
                    .collect();
                writer.commit(
                    &Command::UpdateAllocDesiredTransitions(AllocDesiredTransitions {
                        transitions,
                        evals: vec![self.deployment_eval(&deployment, &job, now)],
                    }),
                    None,
                )?;
            }
            Ok(())
        })
    }

    /// Commits a deployment's failure with its evaluation and the rolled-back job, if any;
    /// returns the commit index, the evaluation's ID and the version rolled back to.
    fn commit_failure(
        &self,
        writer: &mut Committer<'_>,
        deployment: &Deployment,
        job: &Job,
        rollback: Rollback,
        now: i64,
    ) -> Result<(u64, String, Option<u64>), EngineError> {
        let eval = self.deployment_eval(deployment, job, now);
        let eval_id = eval.id.to_string();
        let reverted = rollback.job.as_ref().map(|j| j.version);
        let index = writer.commit(
            &Command::UpdateDeploymentStatus(DeploymentStatusChange {
                update: DeploymentStatusUpdate {
                    deployment_id: deployment.id.to_string(),
                    status: deployment_status::FAILED.to_string(),
                    status_description: rollback.description,
                },
                job: rollback
                    .job
                    .map(|stable| Arc::new(reverted_job(&stable, now))),
                eval: Some(eval),
                updated_at: now,
            }),
            None,
        )?;
        Ok((index, eval_id, reverted))
    }

    /// Nomad's `getEval`: a `deployment-watcher` evaluation of the deployment's job, at the
    /// priority the deployment was created with.
    pub(crate) fn deployment_eval(
        &self,
        deployment: &Deployment,
        job: &Job,
        now: i64,
    ) -> Evaluation {
        let mut eval = self.job_eval(job, trigger::DEPLOYMENT_WATCHER, now);
        if let Ok(priority) = i32::try_from(deployment.eval_priority)
            && priority > 0
        {
            eval.priority = priority;
        }
        eval.deployment_id = deployment.id.to_string();
        eval
    }
}

fn active_deployments(snapshot: &Snapshot) -> Vec<Arc<Deployment>> {
    snapshot
        .list_deployments(&NamespaceSelector::All, &PageRequest::default(), &|d| {
            d.active()
        })
        .items
        .into_iter()
        .cloned()
        .collect()
}

/// The deployment if it is still active, with its job.
fn active_with_job(snapshot: &Snapshot, id: &str) -> Option<(Arc<Deployment>, Arc<Job>)> {
    let deployment = snapshot.deployment(id).filter(|d| d.active())?;
    let job = snapshot.job(&deployment.namespace, &deployment.job_id)?;
    Some((deployment, job))
}

/// The stable version registered again by an auto-revert: a new version, not yet stable and
/// without the old version's tag, as a revert by hand.
fn reverted_job(stable: &Job, now: i64) -> Job {
    let mut job = stable.clone();
    job.stable = false;
    job.version_tag = None;
    job.submit_time = now;
    job
}

/// The deployments whose allocations' health or whose status `command` may have changed.
/// Plans are left out: their placements have no health yet, and the scheduler's own status
/// updates need no reaction.
fn touched_deployments(after: &Snapshot, command: &Command, out: &mut Vec<String>) {
    match command {
        Command::UpdateAllocsFromClient(c) => {
            let reports_health = c.allocs.iter().filter(|u| u.deployment_status.is_some());
            for alloc in reports_health.filter_map(|u| after.alloc(&u.alloc_id)) {
                if !alloc.deployment_id.is_empty() {
                    out.push(alloc.deployment_id.to_string());
                }
            }
        }
        Command::UpdateDeploymentStatus(c) => out.push(c.update.deployment_id.clone()),
        Command::PromoteDeployment(c) => out.push(c.deployment_id.clone()),
        Command::UpdateDeploymentAllocHealth(c) => out.push(c.deployment_id.clone()),
        Command::Batch(commands) => commands
            .iter()
            .for_each(|c| touched_deployments(after, c, out)),
        _ => {}
    }
}

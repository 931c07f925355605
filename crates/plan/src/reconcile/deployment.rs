//! What both reconcilers share about deployments: when a group has a rolling update strategy,
//! when a deployment holds back placements, and how a new deployment starts.

use drover_model::deployment::{deployment_description, deployment_status};
use drover_model::time::GO_ZERO_TIME;
use drover_model::{Deployment, DeploymentState, Job, TaskGroup};

use super::DeploymentStatusUpdate;

/// No update strategy: canonical jobs keep `max_parallel` 0 for "no rolling updates".
pub(crate) fn update_is_empty(group: &TaskGroup) -> bool {
    group
        .update
        .as_ref()
        .is_none_or(|u| u.max_parallel.unwrap_or(0) == 0)
}

/// A deployment that places nothing for now: paused by a user, or a multiregion deployment
/// still pending or initializing.
pub(crate) fn is_paused(deployment: &Deployment) -> bool {
    matches!(
        deployment.status.as_str(),
        deployment_status::PAUSED | deployment_status::PENDING | deployment_status::INITIALIZING
    )
}

pub(crate) fn is_failed(deployment: &Deployment) -> bool {
    deployment.status == deployment_status::FAILED
}

/// A group's state in a deployment that starts now, from its update strategy.
pub(crate) fn initial_state(group: &TaskGroup) -> DeploymentState {
    let mut state = DeploymentState {
        // Nomad shows Go's zero time until the deployment watcher sets it.
        require_progress_by: GO_ZERO_TIME.to_string(),
        ..Default::default()
    };
    if let Some(update) = group.update.as_ref().filter(|_| !update_is_empty(group)) {
        state.auto_revert = update.auto_revert.unwrap_or(false);
        state.auto_promote = update.auto_promote.unwrap_or(false);
        state.progress_deadline = update.progress_deadline.unwrap_or(0);
    }
    state
}

/// A running deployment of `job`'s current version, with no group states yet.
pub(crate) fn new_deployment(job: &Job, id: String, eval_priority: i64, now: i64) -> Deployment {
    Deployment {
        id: id.into(),
        namespace: job.namespace.to_string(),
        job_id: job.id.to_string(),
        job_version: job.version,
        job_modify_index: job.modify_index,
        job_spec_modify_index: job.job_modify_index,
        job_create_index: job.create_index,
        is_multiregion: job.is_multiregion(),
        status: deployment_status::RUNNING.to_string(),
        status_description: deployment_description::RUNNING.to_string(),
        eval_priority,
        create_time: now,
        ..Default::default()
    }
}

pub(crate) fn status_update(
    deployment: &Deployment,
    status: &str,
    description: &str,
) -> DeploymentStatusUpdate {
    DeploymentStatusUpdate {
        deployment_id: deployment.id.to_string(),
        status: status.to_string(),
        status_description: description.to_string(),
    }
}

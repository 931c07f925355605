//! The deployment writes users make (Nomad's `Deployment.Promote`, `Fail`, `Pause` and
//! `SetAllocHealth`, and what the watcher does for them). A deployment is found by its ID in
//! any namespace; the token needs submit-job or the write's own capability in the deployment's
//! namespace. Nomad answers every error here but "Permission denied" with a 500 and its text.

use std::sync::Arc;

use drover_model::deployment::{deployment_description, deployment_status};
use drover_model::{Deployment, Job};
use drover_state::{
    Command, DeploymentAllocHealth, DeploymentPromotion, DeploymentStatusChange,
    DeploymentStatusUpdate, Snapshot,
};

use super::decide;
use crate::acl::{Capability, Identity};
use crate::api::{DeploymentUpdateResponse, RequestContext};
use crate::engine::Engine;
use crate::error::{ApiError, ApiResult};

impl Engine {
    /// `POST /v1/deployment/promote/:id`: promotes the canaries of every group (`all`) or of
    /// `groups`; each chosen group must have all its canaries healthy. Creates an evaluation.
    pub fn promote_deployment(
        &self,
        ctx: &RequestContext,
        deployment_id: &str,
        all: bool,
        groups: Vec<String>,
    ) -> ApiResult<DeploymentUpdateResponse> {
        let identity = self.authenticated(ctx)?;
        self.with_writer(|writer| {
            let (deployment, job) = active_deployment(
                &writer.snapshot(),
                &identity,
                deployment_id,
                Capability::PromoteDeployment,
                "can't promote terminal deployment",
            )?;
            let now = self.now();
            let eval = self.deployment_eval(&deployment, &job, now);
            let eval_id = eval.id.to_string();
            let index = writer.commit(
                &Command::PromoteDeployment(DeploymentPromotion {
                    deployment_id: deployment.id.to_string(),
                    all,
                    groups,
                    promoted_at: now,
                    eval: Some(eval),
                }),
                None,
            )?;
            Ok(response(index, eval_id, None))
        })
    }

    /// `POST /v1/deployment/fail/:id`: fails an active deployment; when a group auto-reverts,
    /// the latest stable version is registered again. Creates an evaluation.
    pub fn fail_deployment(
        &self,
        ctx: &RequestContext,
        deployment_id: &str,
    ) -> ApiResult<DeploymentUpdateResponse> {
        let identity = self.authenticated(ctx)?;
        self.with_writer(|writer| {
            let (deployment, job) = active_deployment(
                &writer.snapshot(),
                &identity,
                deployment_id,
                Capability::FailDeployment,
                "can't fail terminal deployment",
            )?;
            let now = self.now();
            let auto_revert = deployment.task_groups.values().any(|s| s.auto_revert);
            let base = deployment_description::FAILED_BY_USER;
            let failure = decide::failure(&writer.snapshot(), &job, base, auto_revert);
            let (index, eval_id, reverted) =
                self.commit_failure(writer, &deployment, &job, failure, now)?;
            Ok(response(index, eval_id, reverted))
        })
    }

    /// `POST /v1/deployment/pause/:id`: pauses (no evaluation) or resumes (with an evaluation)
    /// an active deployment.
    pub fn pause_deployment(
        &self,
        ctx: &RequestContext,
        deployment_id: &str,
        pause: bool,
    ) -> ApiResult<DeploymentUpdateResponse> {
        let identity = self.authenticated(ctx)?;
        let refusal = if pause {
            "can't pause terminal deployment"
        } else {
            "can't resume terminal deployment"
        };
        self.with_writer(|writer| {
            let (deployment, job) = active_deployment(
                &writer.snapshot(),
                &identity,
                deployment_id,
                Capability::PauseDeployment,
                refusal,
            )?;
            let now = self.now();
            let (status, description) = if pause {
                (deployment_status::PAUSED, deployment_description::PAUSED)
            } else {
                (deployment_status::RUNNING, deployment_description::RUNNING)
            };
            let eval = (!pause).then(|| self.deployment_eval(&deployment, &job, now));
            let eval_id = eval.as_ref().map(|e| e.id.to_string());
            let index = writer.commit(
                &Command::UpdateDeploymentStatus(DeploymentStatusChange {
                    update: DeploymentStatusUpdate {
                        deployment_id: deployment.id.to_string(),
                        status: status.to_string(),
                        status_description: description.to_string(),
                    },
                    job: None,
                    eval,
                    updated_at: now,
                }),
                None,
            )?;
            Ok(DeploymentUpdateResponse {
                eval_create_index: if eval_id.is_some() { index } else { 0 },
                eval_id: eval_id.unwrap_or_default(),
                ..response(index, String::new(), None)
            })
        })
    }

    /// `POST /v1/deployment/allocation-health/:id`: marks allocations of the deployment
    /// healthy or unhealthy. Any unhealthy one fails the deployment, rolling back when its
    /// group auto-reverts and a stable version differs. Creates an evaluation.
    pub fn set_deployment_alloc_health(
        &self,
        ctx: &RequestContext,
        deployment_id: &str,
        healthy: Vec<String>,
        unhealthy: Vec<String>,
    ) -> ApiResult<DeploymentUpdateResponse> {
        let identity = self.authenticated(ctx)?;
        if deployment_id.is_empty() {
            return Err(missing_id());
        }
        if healthy.is_empty() && unhealthy.is_empty() {
            return Err(ApiError::internal(
                "must specify at least one healthy/unhealthy allocation ID",
            ));
        }
        self.with_writer(|writer| {
            let (deployment, job) = active_deployment(
                &writer.snapshot(),
                &identity,
                deployment_id,
                Capability::SetAllocHealthDeployment,
                "can't set health of allocations for a terminal deployment",
            )?;
            let now = self.now();
            let snapshot = writer.snapshot();
            let mut rollback = None;
            let mut update = None;
            if !unhealthy.is_empty() {
                let base = deployment_description::FAILED_ALLOCATIONS;
                let auto_reverts = snapshot
                    .allocs_by_deployment(&deployment.id)
                    .iter()
                    .filter(|a| unhealthy.iter().any(|id| *id == a.id))
                    .any(|a| {
                        deployment
                            .task_groups
                            .get(a.task_group.as_str())
                            .is_some_and(|s| s.auto_revert)
                    });
                let chosen = auto_reverts
                    .then(|| decide::rollback(&snapshot, &job, base))
                    .flatten();
                let description = chosen
                    .as_ref()
                    .map_or_else(|| base.to_string(), |r| r.description.clone());
                rollback = chosen.and_then(|r| r.job);
                update = Some(DeploymentStatusUpdate {
                    deployment_id: deployment.id.to_string(),
                    status: deployment_status::FAILED.to_string(),
                    status_description: description,
                });
            }
            let eval = self.deployment_eval(&deployment, &job, now);
            let eval_id = eval.id.to_string();
            let reverted = rollback.as_ref().map(|j| j.version);
            let index = writer.commit(
                &Command::UpdateDeploymentAllocHealth(DeploymentAllocHealth {
                    deployment_id: deployment.id.to_string(),
                    healthy_alloc_ids: healthy,
                    unhealthy_alloc_ids: unhealthy,
                    timestamp: now,
                    deployment_update: update,
                    job: rollback.map(|stable| Arc::new(super::reverted_job(&stable, now))),
                    eval: Some(eval),
                }),
                None,
            )?;
            Ok(response(index, eval_id, reverted))
        })
    }

    /// `POST /v1/deployment/unblock/:id`: unblocking is for multiregion deployments, which
    /// drover does not have. As on Nomad's single-region servers, an active deployment answers
    /// with an empty update (index 0) and nothing changes.
    pub fn unblock_deployment(
        &self,
        ctx: &RequestContext,
        deployment_id: &str,
    ) -> ApiResult<DeploymentUpdateResponse> {
        let identity = self.authenticated(ctx)?;
        active_deployment(
            &self.snapshot(),
            &identity,
            deployment_id,
            Capability::UnblockDeployment,
            "can't unblock terminal deployment",
        )?;
        Ok(DeploymentUpdateResponse::default())
    }
}

/// The deployment `id` and its job, if the deployment exists, `identity` may make the write
/// (submit-job or `capability` in the deployment's namespace) and the deployment is active;
/// Nomad's errors in Nomad's order otherwise (`refusal` for a deployment no longer active).
fn active_deployment(
    snapshot: &Snapshot,
    identity: &Identity,
    id: &str,
    capability: Capability,
    refusal: &str,
) -> ApiResult<(Arc<Deployment>, Arc<Job>)> {
    if id.is_empty() {
        return Err(missing_id());
    }
    let deployment = snapshot
        .deployment(id)
        .ok_or_else(|| ApiError::internal("deployment not found"))?;
    let capabilities = [Capability::SubmitJob, capability];
    if !identity
        .acl
        .allow_any_of(&deployment.namespace, &capabilities)
    {
        return Err(ApiError::permission_denied());
    }
    if !deployment.active() {
        return Err(ApiError::internal(refusal));
    }
    let job = snapshot
        .job(&deployment.namespace, &deployment.job_id)
        .ok_or_else(|| {
            ApiError::internal(format!(
                "deployment {:?} references unknown job {:?}",
                deployment.id, deployment.job_id
            ))
        })?;
    Ok((deployment, job))
}

fn missing_id() -> ApiError {
    ApiError::internal("missing deployment ID")
}

fn response(index: u64, eval_id: String, reverted: Option<u64>) -> DeploymentUpdateResponse {
    DeploymentUpdateResponse {
        eval_id,
        eval_create_index: index,
        deployment_modify_index: index,
        reverted_job_version: reverted,
        index,
    }
}

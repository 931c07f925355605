//! Writes on a job's version history (nomad-core section 6): revert to an older version and
//! mark a version stable or unstable (section 2.6).

use drover_model::gotext::quote;
use drover_state::{Command, JobStability};

use crate::acl::JobsEndpoint;
use crate::api::{
    JobRegisterRequest, JobRegisterResponse, JobRevertRequest, JobStabilityRequest,
    JobStabilityResponse, RequestContext,
};
use crate::engine::Engine;
use crate::error::{ApiError, ApiResult};

impl Engine {
    /// `PUT/POST /v1/job/:id/revert`: registers a copy of an older version (with that version's
    /// submission) through the register path, so it becomes a new version.
    pub fn revert_job(
        &self,
        ctx: &RequestContext,
        job_id: &str,
        request: &JobRevertRequest,
    ) -> ApiResult<JobRegisterResponse> {
        check_body_job_id(&request.job_id, job_id)?;
        self.authorize(ctx, JobsEndpoint::Revert, ctx.namespace())?;
        let namespace = ctx.namespace();
        let snapshot = self.snapshot();
        let current = snapshot
            .job(namespace, job_id)
            .ok_or_else(|| ApiError::internal(format!("job {} not found", quote(job_id))))?;
        if request.job_version == current.version {
            return Err(ApiError::internal("can't revert to current version"));
        }
        let old = snapshot
            .job_version(namespace, job_id, request.job_version)
            .ok_or_else(|| version_not_found(job_id, namespace, request.job_version))?;
        if let Some(enforced) = request.enforce_prior_version
            && enforced != current.version
        {
            return Err(ApiError::internal(format!(
                "Current job has version {}; enforcing version {enforced}",
                current.version
            )));
        }
        let mut job = (*old).clone();
        job.version_tag = None;
        job.stable = false;
        let register = JobRegisterRequest {
            job: Some(job),
            submission: snapshot
                .job_submission(namespace, job_id, request.job_version)
                .map(|s| (*s).clone()),
            enforce_index: request.enforce_prior_version.is_some(),
            job_modify_index: current.job_modify_index,
            ..JobRegisterRequest::default()
        };
        self.register(ctx, None, register, JobsEndpoint::Revert)
    }

    /// `PUT/POST /v1/job/:id/stable`: sets a version's `Stable` flag; no evaluation.
    pub fn set_job_stability(
        &self,
        ctx: &RequestContext,
        job_id: &str,
        request: &JobStabilityRequest,
    ) -> ApiResult<JobStabilityResponse> {
        check_body_job_id(&request.job_id, job_id)?;
        self.authorize(ctx, JobsEndpoint::Stable, ctx.namespace())?;
        let namespace = ctx.namespace();
        if self
            .snapshot()
            .job_version(namespace, job_id, request.job_version)
            .is_none()
        {
            return Err(version_not_found(job_id, namespace, request.job_version));
        }
        let index = self.commit(&Command::UpdateJobStability(JobStability {
            namespace: namespace.to_string(),
            job_id: job_id.to_string(),
            version: request.job_version,
            stable: request.stable,
        }))?;
        Ok(JobStabilityResponse { index })
    }
}

/// The agent's checks of the body's JobID against the URL's (revert and stable).
fn check_body_job_id(body_id: &str, url_id: &str) -> ApiResult<()> {
    if body_id.is_empty() {
        return Err(ApiError::bad_request("JobID must be specified"));
    }
    if body_id != url_id {
        return Err(ApiError::bad_request("Job ID does not match"));
    }
    Ok(())
}

fn version_not_found(job_id: &str, namespace: &str, version: u64) -> ApiError {
    ApiError::internal(format!(
        "job {} in namespace {} at version {version} not found",
        quote(job_id),
        quote(namespace)
    ))
}

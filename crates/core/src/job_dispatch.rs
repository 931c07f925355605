//! Dispatch (nomad-core section 6): a parameterized job instantiated as a child job with a
//! payload and metadata.

use std::sync::Arc;

use drover_model::gotext::quote;
use drover_model::job::{
    DISPATCH_LAUNCH_SUFFIX, DISPATCH_PAYLOAD_SIZE_LIMIT, JOB_MIN_PRIORITY, dispatch_payload,
};
use drover_model::{Job, SmolStr, trigger};
use drover_state::{Command, UpsertJob};

use crate::acl::JobsEndpoint;
use crate::api::{JobDispatchRequest, JobDispatchResponse, RequestContext};
use crate::engine::Engine;
use crate::error::{ApiError, ApiResult};

impl Engine {
    /// `PUT/POST /v1/job/:id/dispatch`: registers a child of the parameterized job `job_id`
    /// with an evaluation (none for a periodic child). With an idempotency token, an existing
    /// child holding the same token is answered instead.
    pub fn dispatch_job(
        &self,
        ctx: &RequestContext,
        job_id: &str,
        mut request: JobDispatchRequest,
        idempotency_token: &str,
    ) -> ApiResult<JobDispatchResponse> {
        if request.job_id.is_empty() {
            request.job_id = job_id.to_string();
        } else if request.job_id != job_id {
            return Err(ApiError::bad_request("Job ID does not match"));
        }
        self.authorize(ctx, JobsEndpoint::Dispatch, ctx.namespace())?;
        if job_id.is_empty() {
            return Err(ApiError::internal("missing parameterized job ID"));
        }
        let snapshot = self.snapshot();
        let parent = snapshot
            .job(ctx.namespace(), job_id)
            .ok_or_else(|| ApiError::internal("parameterized job not found"))?;
        if !parent.is_parameterized() {
            return Err(ApiError::internal(format!(
                "Specified job {} is not a parameterized job",
                quote(job_id)
            )));
        }
        if parent.stop {
            return Err(ApiError::internal(format!(
                "Specified job {} is stopped",
                quote(job_id)
            )));
        }
        check_dispatch(&parent, &request)?;
        let max = self.config.validation.max_priority;
        let priority = i64::from(request.priority);
        if priority != 0 && !(JOB_MIN_PRIORITY..=max).contains(&priority) {
            return Err(ApiError::internal(format!(
                "dispatch job priority must be between [{JOB_MIN_PRIORITY}, {max}]"
            )));
        }
        if !idempotency_token.is_empty()
            && let Some(child) = snapshot
                .job_children(&parent.namespace, &parent.id)
                .find(|child| child.dispatch_idempotency_token == idempotency_token)
        {
            return Ok(JobDispatchResponse {
                dispatched_job_id: child.id.to_string(),
                job_create_index: child.create_index,
                index: child.modify_index,
                ..JobDispatchResponse::default()
            });
        }

        let now = self.now();
        let child = self.dispatched_child(&parent, request, idempotency_token, priority, now);
        let eval =
            (!child.is_periodic()).then(|| self.job_eval(&child, trigger::JOB_REGISTER, now));
        let mut response = JobDispatchResponse {
            dispatched_job_id: child.id.to_string(),
            eval_id: eval.as_ref().map(|e| e.id.to_string()).unwrap_or_default(),
            ..JobDispatchResponse::default()
        };
        let has_eval = eval.is_some();
        let index = self.commit(&Command::UpsertJob(UpsertJob {
            job: Arc::new(child),
            eval,
            now,
            ..UpsertJob::default()
        }))?;
        response.job_create_index = index;
        response.index = index;
        if has_eval {
            response.eval_create_index = index;
        }
        Ok(response)
    }

    /// The child: a copy of the parent with its own ID, the request's payload and metadata
    /// laid over the parent's. Its version stays the parent's, as in Nomad.
    fn dispatched_child(
        &self,
        parent: &Job,
        request: JobDispatchRequest,
        idempotency_token: &str,
        priority: i64,
        now: i64,
    ) -> Job {
        let unique = &self.new_id()[..8];
        let seconds = now.div_euclid(1_000_000_000);
        let id: SmolStr = match request.id_prefix_template.as_str() {
            "" => format!("{}{DISPATCH_LAUNCH_SUFFIX}{seconds}-{unique}", parent.id),
            prefix => format!(
                "{}{DISPATCH_LAUNCH_SUFFIX}{prefix}-{seconds}-{unique}",
                parent.id
            ),
        }
        .into();
        let mut child = parent.clone();
        child.name = id.clone();
        child.id = id;
        child.parent_id = parent.id.clone();
        child.dispatched = true;
        child.status = SmolStr::default();
        child.dispatch_idempotency_token = idempotency_token.into();
        if priority != 0 {
            child.priority = priority;
        }
        child.meta.extend(request.meta);
        child.payload = request.payload;
        child.submit_time = now;
        child
    }
}

/// The parameterized block's payload and metadata rules.
fn check_dispatch(parent: &Job, request: &JobDispatchRequest) -> ApiResult<()> {
    let Some(config) = &parent.parameterized_job else {
        return Ok(());
    };
    let size = request.payload.len();
    if config.payload == dispatch_payload::FORBIDDEN && size > 0 {
        return Err(ApiError::internal(
            "Payload provided but forbidden by parameterized job",
        ));
    }
    if config.payload == dispatch_payload::REQUIRED && size == 0 {
        return Err(ApiError::internal(
            "Payload is not provided but required by parameterized job",
        ));
    }
    if size > DISPATCH_PAYLOAD_SIZE_LIMIT {
        return Err(ApiError::internal(format!(
            "Payload exceeds maximum size; {size} > {DISPATCH_PAYLOAD_SIZE_LIMIT}"
        )));
    }
    // Sorted, where Nomad lists map keys in random order.
    let unpermitted: Vec<&str> = request
        .meta
        .keys()
        .filter(|k| !config.meta_required.contains(k) && !config.meta_optional.contains(k))
        .map(String::as_str)
        .collect();
    if !unpermitted.is_empty() {
        return Err(ApiError::internal(format!(
            "Dispatch request included unpermitted metadata keys: [{}]",
            unpermitted.join(" ")
        )));
    }
    let missing: Vec<&str> = config
        .meta_required
        .iter()
        .filter(|k| !request.meta.contains_key(*k))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::internal(format!(
            "Dispatch did not provide required meta keys: [{}]",
            missing.join(" ")
        )));
    }
    Ok(())
}

//! Scaling (nomad-core section 6): scaling a group (or only recording an event) and the
//! scale status of a job's groups.

use std::collections::BTreeMap;
use std::sync::Arc;

use drover_model::allocation::ClientStatus;
use drover_model::gotext::quote;
use drover_model::job::job_type;
use drover_model::{JobScaleStatus, ScalingEvent, TaskGroupScaleStatus, trigger};
use drover_state::{Command, ScalingEventUpsert, Table, UpsertJob};

use crate::acl::JobsEndpoint;
use crate::api::{JobRegisterResponse, Read, RequestContext, ScalingRequest};
use crate::engine::Engine;
use crate::error::{ApiError, ApiResult};

impl Engine {
    /// `PUT/POST /v1/job/:id/scale`: with a `Count`, a new version of the job with that
    /// group count and a `job-scaling` evaluation; without one, only the scaling event.
    /// The job, evaluation and event are one commit (see docs/compat.md).
    pub fn scale_job(
        &self,
        ctx: &RequestContext,
        job_id: &str,
        request: ScalingRequest,
    ) -> ApiResult<JobRegisterResponse> {
        let target = |key: &str| request.target.get(key).map_or("", String::as_str);
        let target_job = target("Job");
        if !target_job.is_empty() && target_job != job_id {
            return Err(ApiError::bad_request("job ID in payload did not match URL"));
        }
        let policy_override = request.policy_override;
        self.authorize(
            ctx,
            JobsEndpoint::Scale { policy_override },
            ctx.namespace(),
        )?;
        let namespace = target("Namespace");
        if !namespace.is_empty() && namespace != ctx.namespace() {
            return Err(ApiError::bad_request(
                "namespace in payload did not match header",
            ));
        }
        let group_name = target("Group").to_string();
        if group_name.is_empty() {
            return Err(ApiError::bad_request(
                "missing task group name for scaling action",
            ));
        }
        if let Some(count) = request.count {
            if count < 0 {
                return Err(ApiError::bad_request(
                    "scaling action count can't be negative",
                ));
            }
            if request.error {
                return Err(ApiError::bad_request(
                    "scaling action should not contain count if error is true",
                ));
            }
        }

        self.with_writer(|writer| {
            let snapshot = writer.snapshot();
            let job = snapshot
                .job(ctx.namespace(), job_id)
                .ok_or_else(|| ApiError::not_found(format!("job {} not found", quote(job_id))))?;
            // Nomad reads the count here without a nil check and fails on an event-only
            // request; drover lets that request through (see docs/compat.md).
            if job.job_type == job_type::SYSTEM && request.count.is_some_and(|c| c > 1) {
                return Err(ApiError::bad_request(
                    "jobs of type \"system\" can only be scaled between 0 and 1",
                ));
            }
            let Some(group) = job.task_groups.iter().find(|g| g.name == group_name) else {
                return Err(ApiError::bad_request(format!(
                    "task group {} specified for scaling does not exist in job",
                    quote(&group_name)
                )));
            };
            let now = self.now();
            let mut event = ScalingEvent {
                time: now,
                count: request.count,
                previous_count: group.count,
                message: request.message.clone(),
                error: request.error,
                meta: request.meta.clone(),
                ..ScalingEvent::default()
            };
            let mut response = JobRegisterResponse::default();
            let mut commands = Vec::new();
            if let Some(count) = request.count {
                check_scaling_policy(group.scaling.as_ref(), count)?;
                let active = snapshot
                    .latest_deployment(&job.namespace, &job.id)
                    .is_some_and(|d| d.job_create_index == job.create_index && d.active());
                if active {
                    return Err(ApiError::bad_request(
                        "job scaling blocked due to active deployment",
                    ));
                }
                if request.job_modify_index > 0 && request.job_modify_index != job.job_modify_index
                {
                    return Err(ApiError::internal(format!(
                        "Enforcing job modify index {}: job exists with conflicting job modify index: {}",
                        request.job_modify_index, job.job_modify_index
                    )));
                }
                let mut scaled = (*job).clone();
                if let Some(g) = scaled.task_groups.iter_mut().find(|g| g.name == group_name) {
                    Arc::make_mut(g).count = count;
                }
                scaled.version = job.version + 1;
                scaled.submit_time = now;
                let eval = (!(job.is_periodic() || job.is_parameterized()))
                    .then(|| self.job_eval(&scaled, trigger::JOB_SCALING, now));
                event.eval_id = eval.as_ref().map(|e| e.id.to_string());
                response.eval_id = eval.as_ref().map(|e| e.id.to_string()).unwrap_or_default();
                commands.push(Command::UpsertJob(UpsertJob {
                    job: Arc::new(scaled),
                    eval,
                    enforce_index: Some(job.job_modify_index),
                    now,
                    ..UpsertJob::default()
                }));
            } else {
                response.job_modify_index = job.modify_index;
            }
            let scaled_job = !commands.is_empty();
            commands.push(Command::UpsertScalingEvent(ScalingEventUpsert {
                namespace: job.namespace.to_string(),
                job_id: job.id.to_string(),
                task_group: group_name.clone(),
                event,
            }));
            let index = writer.commit(&Command::Batch(commands), None)?;
            response.index = index;
            if scaled_job {
                response.job_modify_index = index;
                if !response.eval_id.is_empty() {
                    response.eval_create_index = index;
                }
            }
            Ok(response)
        })
    }

    /// `GET /v1/job/:id/scale`: each group's desired count, its live allocations of the
    /// current job incarnation (canaries left out), and its scaling events, newest first.
    /// Index: the highest of the jobs, allocations and scaling-event tables.
    pub fn job_scale_status(
        &self,
        ctx: &RequestContext,
        job_id: &str,
    ) -> ApiResult<Read<JobScaleStatus>> {
        self.authorize(ctx, JobsEndpoint::ScaleStatus, ctx.namespace())?;
        let snapshot = self.snapshot();
        let index = [Table::Jobs, Table::Allocs, Table::ScalingEvent]
            .into_iter()
            .map(|t| snapshot.table_index(t))
            .max()
            .unwrap_or(0);
        let job = snapshot
            .job(ctx.namespace(), job_id)
            .ok_or_else(|| ApiError::not_found("job not found").at_index(index))?;
        let mut events = snapshot
            .scaling_events(&job.namespace, &job.id)
            .map(|e| e.scaling_events.clone())
            .unwrap_or_default();
        let mut groups: BTreeMap<String, TaskGroupScaleStatus> = job
            .task_groups
            .iter()
            .map(|group| {
                let status = TaskGroupScaleStatus {
                    desired: group.count,
                    events: events.remove(group.name.as_str()).unwrap_or_default(),
                    ..TaskGroupScaleStatus::default()
                };
                (group.name.to_string(), status)
            })
            .collect();
        for alloc in snapshot.allocs_by_job(&job.namespace, &job.id, false) {
            let health = alloc.details().deployment_status.as_ref();
            if health.is_some_and(|h| h.canary) || alloc.terminal() {
                continue;
            }
            let Some(group) = groups.get_mut(alloc.task_group.as_str()) else {
                continue;
            };
            group.placed += 1;
            if alloc.client_status == ClientStatus::Running {
                group.running += 1;
            }
            match health.and_then(|h| h.healthy) {
                Some(true) => group.healthy += 1,
                Some(false) => group.unhealthy += 1,
                None => {}
            }
        }
        Ok(Read {
            value: JobScaleStatus {
                job_id: job.id.to_string(),
                namespace: job.namespace.to_string(),
                job_create_index: job.create_index,
                job_modify_index: job.modify_index,
                job_stopped: job.stop,
                task_groups: groups,
            },
            index,
            next_token: String::new(),
        })
    }
}

/// A new count must stay inside the group's scaling policy.
fn check_scaling_policy(policy: Option<&drover_model::ScalingPolicy>, count: i64) -> ApiResult<()> {
    let Some(policy) = policy else {
        return Ok(());
    };
    if let Some(min) = policy.min
        && count < min
    {
        return Err(ApiError::bad_request(format!(
            "group count was less than scaling policy minimum: {count} < {min}"
        )));
    }
    if let Some(max) = policy.max
        && count > max
    {
        return Err(ApiError::bad_request(format!(
            "group count was greater than scaling policy maximum: {count} > {max}"
        )));
    }
    Ok(())
}

//! The Jobs API endpoints of the engine (nomad-core section 6): list, register and update,
//! read, submissions, versions, allocations, evaluations, deployments, summary, evaluate,
//! stop and purge, validate. The plan endpoint has its own module (`job_plan`).
//!
//! Each read answers from one snapshot with the index Nomad picks for that endpoint (section
//! 2.11); each write commits one command.

use std::collections::BTreeMap;
use std::sync::Arc;

use drover_model::allocation::ClientStatus;
use drover_model::gotext::{multierror, quote};
use drover_model::job::{JOB_DEFAULT_PRIORITY, job_type};
use drover_model::{
    AllocListStub, Deployment, DesiredTransition, Evaluation, Job, JobListEntry, JobSubmission,
    JobSummary, format_warnings, trigger,
};
use drover_plan::diff::{DiffError, version_diffs, version_diffs_against};
use drover_state::{
    AllocDesiredTransitions, Command, DeregisterJob, PageRequest, Snapshot, Table, UpsertEvals,
    UpsertJob,
};

use crate::acl::{Capability, JobsEndpoint};
use crate::admission::{
    admit, canonical_job, check_eval_priority, check_submission_size, check_system_scaling,
    enforce_index, preserve, resolve_placement, validate_job_update, validation_errors,
};
use crate::api::{
    JobDeregisterOptions, JobDeregisterResponse, JobEvaluateRequest, JobRegisterRequest,
    JobRegisterResponse, JobValidateRequest, JobValidateResponse, JobVersionsOptions,
    JobVersionsResponse, ListJobsOptions, Read, RequestContext,
};
use crate::engine::Engine;
use crate::error::{ApiError, ApiResult};
use crate::list_filter::ListFilter;

/// Rows of a job list whose reference counts are read ahead of sharing them.
const COUNTS_READ_AHEAD: usize = 32;

impl Engine {
    /// `GET /v1/jobs`: the jobs of the namespace (`*`: every namespace) whose ID starts with
    /// the prefix, filtered, one page at a time. Index: max(jobs, job_summary).
    pub fn list_jobs(
        &self,
        ctx: &RequestContext,
        options: &ListJobsOptions,
    ) -> ApiResult<Read<Vec<JobListEntry>>> {
        let namespaces = self.namespaces_allowing(ctx, Capability::ListJobs)?;
        let filter = ListFilter::parse(&options.filter)?;
        let snapshot = self.snapshot();
        let request = PageRequest {
            prefix: options.prefix.clone(),
            next_token: options.next_token.clone(),
            per_page: options.per_page,
            reverse: options.reverse,
        };
        let page = snapshot.list_jobs(&namespaces, &request, &|job: &Job| filter.keep(job));
        filter.finish()?;
        let mut stubs = Vec::with_capacity(page.items.len());
        for rows in page.items.chunks(COUNTS_READ_AHEAD) {
            // Sharing a job and its summary writes their reference counts, a cold cache line
            // each and one atomic write after the other; the counts of a block read first
            // let the processor wait for their misses together.
            let counts = rows.iter().map(|listed| {
                Arc::strong_count(listed.job) ^ listed.summary.map_or(0, Arc::strong_count)
            });
            std::hint::black_box(counts.fold(0, |a, b| a ^ b));
            for listed in rows {
                let summary = listed.summary.ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "failed to read result page: unable to look up summary for job: {}",
                        listed.job.id
                    ))
                })?;
                stubs.push(JobListEntry {
                    job: listed.job.clone(),
                    summary: Some(summary.clone()),
                    with_meta: options.meta,
                });
            }
        }
        Ok(Read {
            value: stubs,
            index: snapshot
                .table_index(Table::Jobs)
                .max(snapshot.table_index(Table::JobSummary)),
            next_token: page.next_token,
        })
    }

    /// `PUT/POST /v1/jobs`: registers a new job or a new version of one.
    pub fn register_job(
        &self,
        ctx: &RequestContext,
        request: JobRegisterRequest,
    ) -> ApiResult<JobRegisterResponse> {
        let endpoint = JobsEndpoint::Register {
            policy_override: request.policy_override,
        };
        self.register(ctx, None, request, endpoint)
    }

    /// `PUT/POST /v1/job/:id`: like [`Self::register_job`]; the job's ID must be `job_id`.
    pub fn update_job(
        &self,
        ctx: &RequestContext,
        job_id: &str,
        request: JobRegisterRequest,
    ) -> ApiResult<JobRegisterResponse> {
        let endpoint = JobsEndpoint::Register {
            policy_override: request.policy_override,
        };
        self.register(ctx, Some(job_id), request, endpoint)
    }

    /// The register path, also taken by revert: `endpoint` is the capability check that
    /// follows admission.
    pub(crate) fn register(
        &self,
        ctx: &RequestContext,
        url_id: Option<&str>,
        request: JobRegisterRequest,
        endpoint: JobsEndpoint,
    ) -> ApiResult<JobRegisterResponse> {
        let JobRegisterRequest {
            job,
            region,
            namespace,
            mut submission,
            enforce_index: enforce,
            job_modify_index,
            policy_override: _,
            preserve_counts,
            preserve_resources,
            eval_priority,
        } = request;
        // The agent's checks.
        let mut job = job.ok_or_else(|| ApiError::bad_request("Job must be specified"))?;
        if url_id.is_some_and(|id| id != job.id) {
            return Err(ApiError::bad_request("Job ID does not match name"));
        }
        check_system_scaling(&job)?;
        check_eval_priority(eval_priority)?;
        resolve_placement(&mut job, ctx, &region, &namespace, &self.config.region);
        // The server's admission.
        let mut job = canonical_job(job);
        admit(&self.snapshot(), &job, &self.config.validation)?;
        let identity = self.authorize(ctx, endpoint, &job.namespace)?;
        identity.acl.check_job_volumes(&job.namespace, &job)?;
        job.nomad_token_id = identity.accessor_id.unwrap_or_default().into();
        let mut warnings = job.warnings();
        warnings.extend(check_submission_size(
            &mut submission,
            self.config.job_max_source_size,
        ));
        let warnings = format_warnings(&warnings);

        let now = self.now();
        job.submit_time = now;
        let creates_eval = !(job.is_periodic() || job.is_parameterized());
        let eval = creates_eval.then(|| {
            let mut eval = self.job_eval(&job, trigger::JOB_REGISTER, now);
            if eval_priority > 0 {
                eval.priority = eval_priority;
            }
            eval
        });
        let mut response = JobRegisterResponse {
            eval_id: eval.as_ref().map(|e| e.id.to_string()).unwrap_or_default(),
            warnings,
            ..JobRegisterResponse::default()
        };

        // Decide against the state the commit will see.
        self.with_writer(|writer| -> ApiResult<()> {
            let snapshot = writer.snapshot();
            let existing = snapshot.job(&job.namespace, &job.id);
            if enforce {
                enforce_index(existing.as_deref(), job_modify_index)?;
            }
            validate_job_update(existing.as_deref(), &job)?;
            if let Some(old) = &existing {
                preserve(&mut job, old, preserve_counts, preserve_resources);
            }
            // The new version is the next number whatever the body said, and a register
            // without a source has none (see docs/compat.md).
            job.version = existing.as_ref().map_or(0, |old| old.version + 1);
            match existing {
                Some(old) if !old.spec_changed(&job) => {
                    response.job_modify_index = old.job_modify_index;
                    let Some(mut eval) = eval else {
                        response.index = old.modify_index;
                        return Ok(());
                    };
                    eval.job_modify_index = old.job_modify_index;
                    let command = Command::UpsertEvals(UpsertEvals { evals: vec![eval] });
                    let index = writer.commit(&command, None)?;
                    response.eval_create_index = index;
                    response.index = index;
                }
                _ => {
                    let has_eval = eval.is_some();
                    let command = Command::UpsertJob(UpsertJob {
                        job: Arc::new(job),
                        submission,
                        eval,
                        enforce_index: enforce.then_some(job_modify_index),
                        now,
                        ..UpsertJob::default()
                    });
                    let index = writer.commit(&command, None)?;
                    response.job_modify_index = index;
                    response.index = index;
                    if has_eval {
                        response.eval_create_index = index;
                    }
                }
            }
            Ok(())
        })?;
        Ok(response)
    }

    /// `GET /v1/job/:id`. Index: the job's ModifyIndex (the jobs table's on a 404).
    pub fn read_job(&self, ctx: &RequestContext, job_id: &str) -> ApiResult<Read<Arc<Job>>> {
        self.authorize(ctx, JobsEndpoint::Read, ctx.namespace())?;
        let snapshot = self.snapshot();
        match snapshot.job(ctx.namespace(), job_id) {
            Some(job) => Ok(read(job.modify_index, job)),
            None => {
                Err(ApiError::not_found("job not found")
                    .at_index(snapshot.table_index(Table::Jobs)))
            }
        }
    }

    /// `GET /v1/job/:id/submission?version=N`. Index: the submission's JobModifyIndex.
    pub fn job_submission(
        &self,
        ctx: &RequestContext,
        job_id: &str,
        version: u64,
    ) -> ApiResult<Read<Arc<JobSubmission>>> {
        self.authorize(ctx, JobsEndpoint::Submission, ctx.namespace())?;
        match self
            .snapshot()
            .job_submission(ctx.namespace(), job_id, version)
        {
            Some(submission) => Ok(read(submission.job_modify_index, submission)),
            None => Err(ApiError::not_found("job source not found").at_index(0)),
        }
    }

    /// `GET /v1/job/:id/versions`: every version, newest first, with diffs on request.
    /// Index: the greatest ModifyIndex of the versions.
    pub fn job_versions(
        &self,
        ctx: &RequestContext,
        job_id: &str,
        options: &JobVersionsOptions,
    ) -> ApiResult<Read<JobVersionsResponse>> {
        self.authorize(ctx, JobsEndpoint::Versions, ctx.namespace())?;
        let snapshot = self.snapshot();
        let versions = snapshot.job_versions(ctx.namespace(), job_id);
        let Some(index) = versions.iter().map(|v| v.modify_index).max() else {
            return Err(ApiError::not_found("job versions not found")
                .at_index(snapshot.table_index(Table::JobVersion)));
        };
        let diffs =
            if options.diffs {
                let base =
                    match (&options.diff_tag, options.diff_version) {
                        (Some(tag), _) => Some(
                            versions
                                .iter()
                                .find(|v| v.version_tag.as_ref().is_some_and(|t| &t.name == tag))
                                .ok_or_else(|| {
                                    ApiError::internal(format!("tag {} not found", quote(tag)))
                                })?,
                        ),
                        (None, Some(version)) => {
                            Some(versions.iter().find(|v| v.version == version).ok_or_else(
                                || ApiError::internal(format!("version {version} not found")),
                            )?)
                        }
                        (None, None) => None,
                    };
                let diffs = match base {
                    Some(base) => version_diffs_against(&versions, base),
                    None => version_diffs(&versions),
                }
                .map_err(diff_error)?;
                (!diffs.is_empty()).then_some(diffs)
            } else {
                None
            };
        let value = JobVersionsResponse {
            versions: versions.iter().map(|v| (**v).clone()).collect(),
            diffs,
            index,
            ..JobVersionsResponse::default()
        };
        Ok(read(index, value))
    }

    /// `GET /v1/job/:id/allocations`: allocations of the current job (of every job with this
    /// ID when `all`). Index: the allocs table's.
    pub fn job_allocations(
        &self,
        ctx: &RequestContext,
        job_id: &str,
        all: bool,
    ) -> ApiResult<Read<Vec<AllocListStub>>> {
        self.authorize(ctx, JobsEndpoint::Allocations, ctx.namespace())?;
        if job_id.is_empty() {
            return Err(ApiError::internal("missing job ID"));
        }
        let snapshot = self.snapshot();
        let stubs = snapshot
            .allocs_by_job(ctx.namespace(), job_id, all)
            .iter()
            .map(|alloc| alloc.stub(false))
            .collect();
        Ok(read(snapshot.table_index(Table::Allocs), stubs))
    }

    /// `GET /v1/job/:id/evaluations`. Index: the evals table's.
    pub fn job_evaluations(
        &self,
        ctx: &RequestContext,
        job_id: &str,
    ) -> ApiResult<Read<Vec<Arc<Evaluation>>>> {
        self.authorize(ctx, JobsEndpoint::Evaluations, ctx.namespace())?;
        let snapshot = self.snapshot();
        let evals = snapshot.evals_by_job(ctx.namespace(), job_id);
        Ok(read(snapshot.table_index(Table::Evals), evals))
    }

    /// `GET /v1/job/:id/deployments`. Index: the deployment table's.
    pub fn job_deployments(
        &self,
        ctx: &RequestContext,
        job_id: &str,
        all: bool,
    ) -> ApiResult<Read<Vec<Arc<Deployment>>>> {
        self.authorize(ctx, JobsEndpoint::Deployments, ctx.namespace())?;
        let snapshot = self.snapshot();
        let deployments = snapshot.deployments_by_job(ctx.namespace(), job_id, all);
        Ok(read(snapshot.table_index(Table::Deployment), deployments))
    }

    /// `GET /v1/job/:id/deployment`: the current job's newest deployment; `None` is sent as
    /// the JSON `null`. Index: the deployment table's.
    pub fn job_latest_deployment(
        &self,
        ctx: &RequestContext,
        job_id: &str,
    ) -> ApiResult<Read<Option<Arc<Deployment>>>> {
        self.authorize(ctx, JobsEndpoint::Deployments, ctx.namespace())?;
        let snapshot = self.snapshot();
        let latest = snapshot
            .deployments_by_job(ctx.namespace(), job_id, false)
            .into_iter()
            .max_by_key(|d| d.create_index);
        Ok(read(snapshot.table_index(Table::Deployment), latest))
    }

    /// `GET /v1/job/:id/summary`. Index: the summary's ModifyIndex.
    pub fn job_summary(
        &self,
        ctx: &RequestContext,
        job_id: &str,
    ) -> ApiResult<Read<Arc<JobSummary>>> {
        self.authorize(ctx, JobsEndpoint::Summary, ctx.namespace())?;
        let snapshot = self.snapshot();
        match snapshot.job_summary(ctx.namespace(), job_id) {
            Some(summary) => Ok(read(summary.modify_index, summary)),
            None => Err(ApiError::not_found("job not found")
                .at_index(snapshot.table_index(Table::JobSummary))),
        }
    }

    /// `POST /v1/job/:id/evaluate`: a new evaluation of the job even if nothing changed;
    /// `ForceReschedule` reschedules its failed allocations now. `request` is `None` for an
    /// empty body.
    pub fn evaluate_job(
        &self,
        ctx: &RequestContext,
        job_id: &str,
        request: Option<JobEvaluateRequest>,
    ) -> ApiResult<JobRegisterResponse> {
        let force_reschedule = match request {
            None => false,
            Some(request) => {
                if request.job_id.is_empty() {
                    return Err(ApiError::bad_request("Job ID must be specified"));
                }
                if request.job_id != job_id {
                    return Err(ApiError::bad_request("JobID not same as job name"));
                }
                request.eval_options.force_reschedule
            }
        };
        self.authorize(ctx, JobsEndpoint::Evaluate, ctx.namespace())?;
        let snapshot = self.snapshot();
        let job = snapshot
            .job(ctx.namespace(), job_id)
            .ok_or_else(|| ApiError::internal("job not found"))?;
        if job.is_periodic() {
            return Err(ApiError::internal("can't evaluate periodic job"));
        }
        if job.is_parameterized() {
            return Err(ApiError::internal("can't evaluate parameterized job"));
        }
        let transitions = if force_reschedule {
            failed_allocs_to_reschedule(&snapshot, &job)
        } else {
            BTreeMap::new()
        };
        let now = self.now();
        let eval = Evaluation {
            job_modify_index: job.modify_index,
            ..self.job_eval(&job, trigger::JOB_REGISTER, now)
        };
        let eval_id = eval.id.to_string();
        let command = Command::UpdateAllocDesiredTransitions(AllocDesiredTransitions {
            transitions,
            evals: vec![eval],
        });
        let index = self.commit(&command)?;
        Ok(JobRegisterResponse {
            eval_id,
            eval_create_index: index,
            job_modify_index: job.modify_index,
            index,
            ..JobRegisterResponse::default()
        })
    }

    /// `DELETE /v1/job/:id`: stop (a new version with `Stop` set) or purge, with a
    /// deregistration evaluation. A job that does not exist answers with zeroes.
    pub fn deregister_job(
        &self,
        ctx: &RequestContext,
        job_id: &str,
        options: &JobDeregisterOptions,
    ) -> ApiResult<JobDeregisterResponse> {
        if options.eval_priority > 0 {
            check_eval_priority(options.eval_priority)?;
        }
        let purge = options.purge;
        self.authorize(ctx, JobsEndpoint::Deregister { purge }, ctx.namespace())?;
        let Some(job) = self.snapshot().job(ctx.namespace(), job_id) else {
            return Ok(JobDeregisterResponse::default());
        };
        let now = self.now();
        let eval = (!(job.is_periodic() || job.is_parameterized())).then(|| {
            let mut eval = self.job_eval(&job, trigger::JOB_DEREGISTER, now);
            // Nomad always hands deregistrations to the service scheduler.
            eval.eval_type = job_type::SERVICE.to_string();
            if options.eval_priority > 0 {
                eval.priority = options.eval_priority;
            }
            eval
        });
        let eval_id = eval.as_ref().map(|e| e.id.to_string()).unwrap_or_default();
        let command = Command::DeregisterJob(DeregisterJob {
            namespace: job.namespace.to_string(),
            job_id: job.id.to_string(),
            purge: options.purge,
            submit_time: now,
            no_shutdown_delay: options.no_shutdown_delay,
            eval,
        });
        let index = self.commit(&command)?;
        Ok(JobDeregisterResponse {
            eval_id,
            eval_create_index: index,
            job_modify_index: index,
            index,
            ..JobDeregisterResponse::default()
        })
    }

    /// `PUT/POST /v1/validate/job`: what register would say about the job, without writing.
    /// Validation problems are part of the answer, not an error.
    pub fn validate_job(
        &self,
        ctx: &RequestContext,
        request: JobValidateRequest,
    ) -> ApiResult<JobValidateResponse> {
        let job = request
            .job
            .ok_or_else(|| ApiError::bad_request("Job must be specified"))?;
        // No region or namespace resolution here: the job keeps its own.
        let job = canonical_job(job);
        self.authorize(ctx, JobsEndpoint::Validate, &job.namespace)?;
        let errors = validation_errors(&self.snapshot(), &job, &self.config.validation);
        Ok(JobValidateResponse {
            driver_config_validated: true,
            error: if errors.is_empty() {
                String::new()
            } else {
                multierror(&errors)
            },
            validation_errors: errors,
            warnings: format_warnings(&job.warnings()),
        })
    }
}

pub(crate) fn read<T>(index: u64, value: T) -> Read<T> {
    Read {
        value,
        index,
        next_token: String::new(),
    }
}

/// An evaluation's priority from its job's (never 0: Nomad's default then).
pub(crate) fn eval_priority_of(job: &Job) -> i32 {
    match i32::try_from(job.priority) {
        Ok(p) if p > 0 => p,
        _ => JOB_DEFAULT_PRIORITY as i32,
    }
}

pub(crate) fn diff_error(error: DiffError) -> ApiError {
    ApiError::internal(format!("failed to create job diff: {error}"))
}

/// `ForceReschedule`: the failed allocations of the current job, not yet replaced nor already
/// marked, in groups whose reschedule policy is enabled.
fn failed_allocs_to_reschedule(
    snapshot: &Snapshot,
    job: &Job,
) -> BTreeMap<String, DesiredTransition> {
    let force = DesiredTransition {
        force_reschedule: Some(true),
        ..DesiredTransition::default()
    };
    snapshot
        .allocs_by_job(&job.namespace, &job.id, false)
        .iter()
        .filter(|alloc| {
            let enabled = job
                .lookup_task_group(&alloc.task_group)
                .and_then(|g| g.reschedule_policy.as_ref())
                .is_some_and(|p| p.attempts.unwrap_or(0) > 0 || p.unlimited.unwrap_or(false));
            enabled
                && alloc.details().next_allocation.is_empty()
                && alloc.client_status == ClientStatus::Failed
                && alloc.details().desired_transition.force_reschedule != Some(true)
        })
        .map(|alloc| (alloc.id.to_string(), force.clone()))
        .collect()
}

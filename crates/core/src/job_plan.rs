//! `POST /v1/job/:id/plan` (Nomad's `Job.Plan`, nomad-core 4.1): the scheduler's dry run.
//! The submitted job and an evaluation asking for annotations are written into a private copy
//! of the state, the scheduler runs on it with a planner that records and never commits, and
//! the answer describes what a register would do: the diff, the desired updates per group,
//! the placements that would fail, and the index to pass back for check-and-set.

use std::sync::Arc;

use drover_model::time::{GO_ZERO_TIME, format_rfc3339};
use drover_model::{Job, format_warnings, trigger};
use drover_plan::diff::{annotate, job_diff};
use drover_plan::scheduler::{SchedulerContext, dry_run};
use drover_state::{Command, UpsertEvals, UpsertJob};

use crate::acl::JobsEndpoint;
use crate::admission::{admit, canonical_job, check_system_scaling, resolve_placement};
use crate::api::{JobPlanRequest, JobPlanResponse, RequestContext};
use crate::engine::Engine;
use crate::error::{ApiError, ApiResult, EngineError};
use crate::jobs::diff_error;
use crate::periodic::next_launch;

impl Engine {
    /// `POST /v1/job/:id/plan`: what registering `request.job` would do, without doing it.
    pub fn plan_job(
        &self,
        ctx: &RequestContext,
        job_id: &str,
        request: JobPlanRequest,
    ) -> ApiResult<JobPlanResponse> {
        let mut job = request
            .job
            .ok_or_else(|| ApiError::bad_request("Job must be specified"))?;
        if job.id != job_id {
            return Err(ApiError::bad_request("Job ID does not match"));
        }
        check_system_scaling(&job)?;
        resolve_placement(
            &mut job,
            ctx,
            &request.region,
            &request.namespace,
            &self.config.region,
        );
        let mut job = canonical_job(job);
        let mut snapshot = self.snapshot();
        admit(&snapshot, &job, &self.config.validation)?;
        let policy_override = request.policy_override;
        self.authorize(ctx, JobsEndpoint::Plan { policy_override }, &job.namespace)?;
        let warnings = format_warnings(&job.warnings());

        let existing = snapshot.job(&job.namespace, &job.id);
        job.version = existing.as_ref().map_or(0, |old| old.version + 1);
        let now = self.now();
        // The job goes into the private copy only when it would become a new version, so
        // that allocations of an unchanged job are left alone.
        let mut eval_job_modify_index = 0;
        if existing.as_ref().is_none_or(|old| old.spec_changed(&job)) {
            let upsert = Command::UpsertJob(UpsertJob {
                job: Arc::new(job.clone()),
                now,
                ..UpsertJob::default()
            });
            snapshot
                .apply(snapshot.applied_index() + 1, &upsert)
                .map_err(EngineError::from)?;
            // The index Nomad gives the updated job in its copy (none for a new job).
            if let Some(old) = &existing {
                eval_job_modify_index = old.job_modify_index + 1;
            }
        }
        let mut eval = self.job_eval(&job, trigger::JOB_REGISTER, now);
        eval.annotate_plan = true;
        eval.job_modify_index = eval_job_modify_index;
        let insert = Command::UpsertEvals(UpsertEvals {
            evals: vec![eval.clone()],
        });
        snapshot
            .apply(snapshot.applied_index() + 1, &insert)
            .map_err(EngineError::from)?;

        let mut new_id = || self.new_id();
        let mut scheduler = SchedulerContext {
            now,
            seed: self.next_random(),
            new_id: &mut new_id,
            config: self.config.scheduler.clone(),
        };
        let outcome = dry_run(&eval, snapshot, &mut scheduler)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let plan = outcome.plan.ok_or_else(|| {
            ApiError::internal("scheduler resulted in an unexpected number of plans: 0")
        })?;
        let updated = outcome.eval.ok_or_else(|| {
            ApiError::internal("scheduler resulted in an unexpected number of eval updates: []")
        })?;
        let annotations = plan.annotations;
        let diff = if request.diff {
            let mut diff = job_diff(existing.as_deref(), Some(&job), true).map_err(diff_error)?;
            annotate(&mut diff, &annotations.clone().unwrap_or_default());
            Some(diff)
        } else {
            None
        };
        let index = existing.map_or(0, |old| old.job_modify_index);
        Ok(JobPlanResponse {
            annotations,
            failed_tg_allocs: updated.failed_tg_allocs,
            job_modify_index: index,
            created_evals: (!outcome.created_evals.is_empty()).then_some(outcome.created_evals),
            diff,
            next_periodic_launch: next_periodic_launch(&job, now),
            warnings,
            index,
        })
    }
}

/// `NextPeriodicLaunch` of a plan answer: the next launch after `now` of an enabled periodic
/// job, in UTC (see docs/compat.md); the zero time for any other job or a spec with no next
/// launch.
pub(crate) fn next_periodic_launch(job: &Job, now: i64) -> String {
    job.periodic
        .as_ref()
        .filter(|p| p.enabled)
        .and_then(|p| next_launch(p, now).ok().flatten())
        .map_or_else(|| GO_ZERO_TIME.to_string(), format_rfc3339)
}

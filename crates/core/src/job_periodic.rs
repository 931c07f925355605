//! The engine's side of periodic jobs (see [`crate::periodic`] for the dispatcher): tracking
//! the jobs each commit writes, launching due children on ticks, and the force endpoint.

use std::sync::Arc;

use drover_model::trigger;
use drover_state::{Command, Snapshot, UpsertJob};

use crate::acl::JobsEndpoint;
use crate::api::{PeriodicForceResponse, RequestContext};
use crate::engine::Engine;
use crate::error::{ApiError, ApiResult, EngineError};
use crate::periodic::{Launch, derive_child};

impl Engine {
    /// `PUT/POST /v1/job/:id/periodic/force`: launches a child now, whatever the schedule and
    /// `ProhibitOverlap` say.
    pub fn force_periodic_launch(
        &self,
        ctx: &RequestContext,
        job_id: &str,
    ) -> ApiResult<PeriodicForceResponse> {
        self.authorize(ctx, JobsEndpoint::PeriodicForce, ctx.namespace())?;
        let job = self
            .snapshot()
            .job(ctx.namespace(), job_id)
            .ok_or_else(|| ApiError::internal("job not found"))?;
        let launch = self.periodic.lock().force(&job, self.now())?;
        let (eval_id, index) = self.launch(&launch)?.unwrap_or_default();
        Ok(PeriodicForceResponse {
            eval_id,
            eval_create_index: index,
            index,
        })
    }

    /// Launches the children the dispatcher finds due at `now` (and those a restart found
    /// missed).
    pub(crate) fn launch_due_children(&self, now: i64) -> Result<(), EngineError> {
        let mut launches = std::mem::take(&mut *self.missed_launches.lock());
        launches.extend(self.periodic.lock().tick(now, &self.snapshot()));
        for launch in &launches {
            self.launch(launch)?;
        }
        Ok(())
    }

    /// Registers the child of one launch with a `periodic-job` evaluation; `None` when the
    /// parent is gone. Answers the evaluation's ID and the index.
    fn launch(&self, launch: &Launch) -> Result<Option<(String, u64)>, EngineError> {
        let Some(parent) = self.snapshot().job(&launch.namespace, &launch.job_id) else {
            return Ok(None);
        };
        let now = self.now();
        let mut child = derive_child(&parent, launch.launch_time);
        child.submit_time = now;
        let eval = self.job_eval(&child, trigger::PERIODIC_JOB, now);
        let eval_id = eval.id.to_string();
        let index = self.commit(&Command::UpsertJob(UpsertJob {
            job: Arc::new(child),
            eval: Some(eval),
            now,
            ..UpsertJob::default()
        }))?;
        Ok(Some((eval_id, index)))
    }

    /// Tells the dispatcher about every job `command` wrote: a stored job is (re)tracked, or
    /// dropped when it no longer qualifies; a purged one is forgotten.
    pub(crate) fn track_periodic_jobs(&self, after: &Snapshot, command: &Command, now: i64) {
        let mut written = Vec::new();
        written_jobs(command, &mut written);
        if written.is_empty() {
            return;
        }
        let mut periodic = self.periodic.lock();
        for (namespace, job_id) in written {
            match after.job(namespace, job_id) {
                // A spec the dispatcher cannot read is left untracked, as Nomad's is.
                Some(job) => {
                    if periodic.add(&job, now).is_err() {
                        periodic.remove(namespace, job_id);
                    }
                }
                None => periodic.remove(namespace, job_id),
            }
        }
    }
}

/// The (namespace, ID) of each job a command registers, stops or purges.
fn written_jobs<'a>(command: &'a Command, out: &mut Vec<(&'a str, &'a str)>) {
    match command {
        Command::UpsertJob(c) => out.push((&c.job.namespace, &c.job.id)),
        Command::DeregisterJob(c) => out.push((&c.namespace, &c.job_id)),
        Command::Batch(commands) => commands.iter().for_each(|c| written_jobs(c, out)),
        _ => {}
    }
}

//! Job status (`getJobStatus`, `setJobStatus`) and the children counters of periodic and
//! parameterized parents (`setJobSummary`).

use std::collections::BTreeMap;
use std::sync::Arc;

use drover_model::job::job_status;
use drover_model::{Job, SmolStr};

use super::Txn;
use super::jobs::runs_until_stopped;
use crate::table::Table;

/// Jobs whose status a transaction must recompute, with a status to force on them. Keys are
/// the rows' shared strings, so an allocation write clones them without allocating.
pub(super) type JobsToRecompute = BTreeMap<(SmolStr, SmolStr), Option<&'static str>>;

impl Txn<'_> {
    /// Nomad's `getJobStatus`. `eval_delete` is set when evaluations were garbage collected.
    pub(super) fn job_status(&self, job: &Job, eval_delete: bool) -> &'static str {
        if runs_until_stopped(job) {
            return if job.stop {
                job_status::DEAD
            } else {
                job_status::RUNNING
            };
        }
        let (ns, id) = (job.namespace.as_str(), job.id.as_str());
        if self.t.deployments_of_job(ns, id).any(|d| d.active()) {
            return job_status::RUNNING;
        }
        if self.t.allocs_of_job(ns, id).any(|a| !a.terminal()) {
            return job_status::RUNNING;
        }
        let mut has_eval = false;
        for eval in self.t.evals_of_job(ns, id) {
            if !eval.is_terminal() {
                return job_status::PENDING;
            }
            has_eval = true;
        }
        if eval_delete || has_eval || job.stop {
            job_status::DEAD
        } else {
            // A new job whose evaluation is not written yet.
            job_status::PENDING
        }
    }

    /// Nomad's `setJobStatuses`: recompute (or force) the status of each job, in key order.
    pub(super) fn set_job_statuses(&mut self, jobs: JobsToRecompute, eval_delete: bool) {
        for ((ns, id), force) in jobs {
            self.set_job_status(&ns, &id, eval_delete, force);
        }
    }

    /// A status change rewrites the job (ModifyIndex moves), its row in the version history
    /// and the parent's children counters.
    fn set_job_status(&mut self, ns: &str, id: &str, eval_delete: bool, force: Option<&str>) {
        let Some(job) = self.t.job(ns, id).cloned() else {
            return;
        };
        let new_status = force.unwrap_or_else(|| self.job_status(&job, eval_delete));
        if job.status == new_status {
            return;
        }
        let mut updated = (*job).clone();
        updated.status = new_status.into();
        updated.modify_index = self.index;
        let updated = Arc::new(updated);
        self.put_job(updated.clone());
        self.touch(Table::Jobs);
        self.adjust_parent_children(&updated, &job.status, new_status);
        self.upsert_job_version(updated);
    }

    /// Moves a child from the `old` counter to the `new` one in its parent's summary. An
    /// empty `old` is a new child.
    pub(super) fn adjust_parent_children(&mut self, child: &Job, old: &str, new: &str) {
        if child.parent_id.is_empty() {
            return;
        }
        let Some(summary) = self.t.summary(&child.namespace, &child.parent_id) else {
            return;
        };
        let mut summary = (**summary).clone();
        let children = summary.children.get_or_insert_with(Default::default);
        match old {
            job_status::PENDING => children.pending -= 1,
            job_status::RUNNING => children.running -= 1,
            job_status::DEAD => children.dead -= 1,
            _ => {}
        }
        match new {
            job_status::PENDING => children.pending += 1,
            job_status::RUNNING => children.running += 1,
            job_status::DEAD => children.dead += 1,
            _ => {}
        }
        summary.modify_index = self.index;
        self.put_summary(summary);
        self.touch(Table::JobSummary);
    }
}

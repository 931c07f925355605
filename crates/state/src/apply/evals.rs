//! Evaluation writes (`UpsertEvalsTxn`, `nestedUpsertEval`, `DeleteEval`).

use std::sync::Arc;

use drover_model::{EvalStatus, Evaluation};

use super::Txn;
use super::status::JobsToRecompute;
use crate::StateError;
use crate::command::DeleteEvals;
use crate::keys::QId;
use crate::table::Table;

impl Txn<'_> {
    /// Writes evaluations, then recomputes the status of their jobs.
    pub(super) fn upsert_evals(
        &mut self,
        evals: impl IntoIterator<Item = Evaluation>,
    ) -> Result<(), StateError> {
        let mut jobs = JobsToRecompute::new();
        for eval in evals {
            jobs.insert(
                (eval.namespace.as_str().into(), eval.job_id.as_str().into()),
                None,
            );
            self.nested_upsert_eval(eval);
        }
        self.set_job_statuses(jobs, false);
        Ok(())
    }

    /// Indexes, the summary's queued counts, and the cancellation of the job's blocked
    /// evaluations once an evaluation completes without failed placements.
    pub(super) fn nested_upsert_eval(&mut self, mut eval: Evaluation) {
        eval.create_index = self
            .t
            .evals
            .get(&QId::new(&eval.id))
            .map_or(self.index, |e| e.create_index);
        eval.modify_index = self.index;
        self.update_summary_queued(&eval);
        let succeeded = eval.status == EvalStatus::Complete
            && eval.failed_tg_allocs.as_ref().is_none_or(|f| f.is_empty());
        if succeeded {
            let blocked: Vec<_> = self
                .t
                .blocked_evals_of_job(&eval.namespace, &eval.job_id)
                .filter(|e| e.id != eval.id)
                .cloned()
                .collect();
            for blocked in blocked {
                let mut canceled = (*blocked).clone();
                canceled.status = EvalStatus::Canceled;
                canceled.status_description = format!("evaluation {:?} successful", eval.id);
                canceled.modify_index = self.index;
                canceled.modify_time = eval.modify_time;
                self.put_eval(Arc::new(canceled));
            }
        }
        self.put_eval(Arc::new(eval));
        self.touch(Table::Evals);
    }

    /// Plan apply moves the planned evaluation's `ModifyIndex` so a worker that picks it up
    /// again waits for the plan's writes.
    pub(super) fn update_eval_modify_index(&mut self, eval_id: &str) -> Result<(), StateError> {
        let Some(eval) = self.t.evals.get(&QId::new(eval_id)) else {
            return Err(StateError::EvalNotFound(eval_id.to_string()));
        };
        let mut eval = (**eval).clone();
        eval.modify_index = self.index;
        self.put_eval(Arc::new(eval));
        self.touch(Table::Evals);
        Ok(())
    }

    /// Garbage collection: deletes evaluations and allocations (with their service
    /// registrations) and recomputes the status of the evaluations' jobs.
    pub(super) fn delete_evals(&mut self, c: &DeleteEvals) -> Result<(), StateError> {
        let mut jobs = JobsToRecompute::new();
        for id in &c.evals {
            if let Some(eval) = self.remove_eval(id) {
                jobs.insert(
                    (eval.namespace.as_str().into(), eval.job_id.as_str().into()),
                    None,
                );
                self.touch(Table::Evals);
            }
        }
        for id in &c.allocs {
            if self.delete_alloc(id) {
                self.touch(Table::Allocs);
            }
        }
        self.set_job_statuses(jobs, true);
        Ok(())
    }
}

//! Job summaries kept incrementally (`updateSummaryWithJob`, `updateSummaryWithAlloc`, the
//! queued counts of `nestedUpsertEval`).

use drover_model::allocation::ClientStatus;
use drover_model::{Allocation, Evaluation, Job, JobChildrenSummary, JobSummary};

use super::Txn;
use crate::StateError;
use crate::table::Table;

/// The summary of a new job, or the stored one with zeroed entries for new groups; `None`
/// when the stored one already has every group. Groups that left the job stay in the
/// summary, as in Nomad.
pub(super) fn summary_with_job(
    existing: Option<&JobSummary>,
    job: &Job,
    index: u64,
) -> Option<JobSummary> {
    let has_group = |name: &str| existing.is_some_and(|s| s.summary.contains_key(name));
    if existing.is_some() && job.task_groups.iter().all(|g| has_group(&g.name)) {
        return None;
    }
    let mut summary = existing.cloned().unwrap_or_else(|| JobSummary {
        job_id: job.id.clone(),
        namespace: job.namespace.clone(),
        children: Some(JobChildrenSummary::default()),
        create_index: index,
        ..JobSummary::default()
    });
    for group in &job.task_groups {
        summary.summary.entry(group.name.clone()).or_default();
    }
    summary.modify_index = index;
    Some(summary)
}

impl Txn<'_> {
    /// Counts a new allocation or a client status transition. Failed and Complete never go
    /// down; allocations of an earlier job with the same ID are ignored.
    pub(super) fn update_summary_with_alloc(
        &mut self,
        alloc: &Allocation,
        existing: Option<&Allocation>,
    ) -> Result<(), StateError> {
        let Some(job) = &alloc.job else {
            return Ok(());
        };
        let Some(summary) = self.t.summary(&alloc.namespace, &alloc.job_id) else {
            if self.t.job(&alloc.namespace, &alloc.job_id).is_none() {
                return Ok(());
            }
            return Err(StateError::SummaryMissing {
                job: alloc.job_id.to_string(),
                namespace: alloc.namespace.to_string(),
            });
        };
        if summary.create_index != job.create_index {
            return Ok(());
        }
        let Some(group) = summary.summary.get(alloc.task_group.as_str()) else {
            return Err(StateError::SummaryGroupMissing(
                alloc.task_group.to_string(),
            ));
        };
        let mut group = group.clone();
        match existing {
            None => {
                if alloc.client_status != ClientStatus::Pending {
                    return Ok(());
                }
                group.starting += 1;
                group.queued = (group.queued - 1).max(0);
            }
            Some(old) if old.client_status != alloc.client_status => {
                match alloc.client_status {
                    ClientStatus::Running => group.running += 1,
                    ClientStatus::Failed => group.failed += 1,
                    ClientStatus::Pending => group.starting += 1,
                    ClientStatus::Complete => group.complete += 1,
                    ClientStatus::Lost => group.lost += 1,
                    ClientStatus::Unknown => group.unknown += 1,
                    _ => {}
                }
                let bucket = match old.client_status {
                    ClientStatus::Running => &mut group.running,
                    ClientStatus::Pending => &mut group.starting,
                    ClientStatus::Lost => &mut group.lost,
                    ClientStatus::Unknown => &mut group.unknown,
                    _ => &mut 0,
                };
                *bucket = (*bucket - 1).max(0);
            }
            Some(_) => return Ok(()),
        }
        // In place: of a plan's many allocations only the first copies the summary.
        let index = self.index;
        let mut row = self.job_row_mut(&alloc.namespace, &alloc.job_id);
        if let Some(summary) = row.as_mut().and_then(|row| row.summary_mut()) {
            if let Some(stored) = summary.summary.get_mut(alloc.task_group.as_str()) {
                *stored = group;
            }
            summary.modify_index = index;
        }
        self.touch(Table::JobSummary);
        Ok(())
    }

    /// The scheduler's count of allocations it could not place, per group.
    pub(super) fn update_summary_queued(&mut self, eval: &Evaluation) {
        let Some(summary) = self.t.summary(&eval.namespace, &eval.job_id) else {
            return;
        };
        let mut summary = (**summary).clone();
        let mut changed = false;
        for (name, queued) in &eval.queued_allocations {
            if let Some(group) = summary.summary.get_mut(name.as_str())
                && group.queued != i64::from(*queued)
            {
                group.queued = i64::from(*queued);
                changed = true;
            }
        }
        if changed {
            summary.modify_index = self.index;
            self.put_summary(summary);
            self.touch(Table::JobSummary);
        }
    }
}

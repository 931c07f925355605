//! The writes of a transaction: each changes the tables and records in the journal how to
//! put back what it replaced. The apply modules write only through these.

use std::ops::Deref;
use std::sync::Arc;

use drover_model::ServiceRegistration;
use drover_model::{AclToken, Allocation, Deployment, Evaluation, Job, JobSubmission, JobSummary};
use equivalent::Comparable;
use imbl::OrdMap;

use super::Txn;
use super::journal::{Journal, put_back};
use crate::job_row::{JobRow, RowUndo};
use crate::keys::{NsKey, Q2, QId};
use crate::tables::Tables;

/// A table as the journal finds it again (a plain map of the tables, with no secondary index).
type MapOf<K, V> = fn(&mut Tables) -> &mut OrdMap<K, V>;

impl Txn<'_> {
    /// Records how to undo a row write: put back the row it replaced (`old`, with `put`, which
    /// keeps the row's indexes), or take out the row it added (`remove`).
    fn record_row<V: Send + Sync + 'static>(
        &mut self,
        old: Option<Arc<V>>,
        put: fn(&mut Tables, Arc<V>) -> Option<Arc<V>>,
        remove: impl FnOnce(&mut Tables) + Send + 'static,
    ) {
        self.journal.record(move |t| match old {
            Some(old) => {
                put(t, old);
            }
            None => remove(t),
        });
    }

    pub(super) fn put_alloc(&mut self, alloc: Arc<Allocation>) {
        let id = alloc.id.clone();
        let old = self.t.put_alloc(alloc);
        self.record_row(old, Tables::put_alloc, move |t| {
            t.remove_alloc(&id);
        });
    }

    pub(super) fn remove_alloc(&mut self, alloc_id: &str) -> Option<Arc<Allocation>> {
        let old = self.t.remove_alloc(alloc_id)?;
        self.record_row(Some(Arc::clone(&old)), Tables::put_alloc, |_| {});
        Some(old)
    }

    pub(super) fn put_eval(&mut self, eval: Arc<Evaluation>) {
        let id = eval.id.clone();
        let old = self.t.put_eval(eval);
        self.record_row(old, Tables::put_eval, move |t| {
            t.remove_eval(&id);
        });
    }

    pub(super) fn remove_eval(&mut self, eval_id: &str) -> Option<Arc<Evaluation>> {
        let old = self.t.remove_eval(eval_id)?;
        self.record_row(Some(Arc::clone(&old)), Tables::put_eval, |_| {});
        Some(old)
    }

    pub(super) fn put_deployment(&mut self, deployment: Arc<Deployment>) {
        let id = deployment.id.clone();
        self.journal.own(&deployment);
        let old = self.t.put_deployment(deployment);
        self.record_row(old, Tables::put_deployment, move |t| {
            t.remove_deployment(&id);
        });
    }

    pub(super) fn remove_deployment(&mut self, deployment_id: &str) -> Option<Arc<Deployment>> {
        let old = self.t.remove_deployment(deployment_id)?;
        self.record_row(Some(Arc::clone(&old)), Tables::put_deployment, |_| {});
        Some(old)
    }

    /// A stored deployment to change in place (only fields no index is kept on).
    pub(super) fn deployment_mut(&mut self, deployment_id: &QId<'_>) -> Option<&mut Deployment> {
        let slot = self.t.deployments.get_mut(deployment_id)?;
        Some(self.journal.edit(slot, |t, stored| {
            t.put_deployment(stored);
        }))
    }

    pub(super) fn put_service(&mut self, service: Arc<ServiceRegistration>) {
        let (namespace, id) = (service.namespace.clone(), service.id.clone());
        let old = self.t.put_service(service);
        self.record_row(old, Tables::put_service, move |t| {
            t.remove_service(&namespace, &id);
        });
    }

    pub(super) fn remove_service(
        &mut self,
        namespace: &str,
        service_id: &str,
    ) -> Option<Arc<ServiceRegistration>> {
        let old = self.t.remove_service(namespace, service_id)?;
        self.record_row(Some(Arc::clone(&old)), Tables::put_service, |_| {});
        Some(old)
    }

    pub(super) fn put_token(&mut self, token: Arc<AclToken>) {
        let accessor_id = token.accessor_id.clone();
        let old = self.t.put_token(token);
        self.record_row(old, Tables::put_token, move |t| {
            t.remove_token(&accessor_id);
        });
    }

    pub(super) fn remove_token(&mut self, accessor_id: &str) {
        let old = self.t.remove_token(accessor_id);
        if old.is_some() {
            self.record_row(old, Tables::put_token, |_| {});
        }
    }

    /// The row of a job to change in place, each change journaled by its inverse (the row is
    /// copied only while a snapshot shares it).
    pub(super) fn job_row_mut(&mut self, namespace: &str, job_id: &str) -> Option<RowEdit<'_>> {
        let (key, slot) = self.t.jobs.get_key_value_mut(&Q2(namespace, job_id))?;
        Some(RowEdit {
            key,
            row: Arc::make_mut(slot),
            journal: &mut self.journal,
        })
    }

    /// Inserts the row of a new job.
    pub(super) fn insert_job_row(&mut self, row: JobRow) {
        let row = Arc::new(row);
        if let Some(summary) = &row.summary {
            self.journal.own(summary);
        }
        let key = self.t.job_key(&row.job.namespace, &row.job.id);
        let old = self.t.jobs.insert(key.clone(), row);
        self.journal
            .record(move |t| put_back(&mut t.jobs, key, old));
    }

    /// Removes a job's row (its versions, summary and submissions with it).
    pub(super) fn remove_job_row(&mut self, namespace: &str, job_id: &str) -> Option<Arc<JobRow>> {
        let (key, row) = self.t.jobs.remove_with_key(&Q2(namespace, job_id))?;
        let kept = Arc::clone(&row);
        self.journal.record(move |t| {
            t.jobs.insert(key, kept);
        });
        Some(row)
    }

    /// Replaces the current job of its row (a new row if the job is new).
    pub(super) fn put_job(&mut self, job: Arc<Job>) {
        match self.job_row_mut(&job.namespace, &job.id) {
            Some(mut row) => row.set_job(job),
            None => self.insert_job_row(JobRow::new(job)),
        }
    }

    /// Summaries live in their job's row: a summary of a job that is not there is dropped.
    pub(super) fn put_summary(&mut self, summary: JobSummary) {
        if let Some(mut row) = self.job_row_mut(&summary.namespace, &summary.job_id) {
            row.set_summary(Arc::new(summary));
        }
    }

    /// Inserts into a plain table; returns the value replaced.
    pub(super) fn insert_into<K, V>(&mut self, map: MapOf<K, V>, key: K, value: V) -> Option<V>
    where
        K: Ord + Clone + Send + 'static,
        V: Clone + Send + Sync + 'static,
    {
        let old = map(self.t).insert(key.clone(), value);
        let kept = old.clone();
        self.journal.record(move |t| put_back(map(t), key, kept));
        old
    }

    /// Removes from a plain table; returns the value removed.
    pub(super) fn remove_from<K, V, Q>(&mut self, map: MapOf<K, V>, key: &Q) -> Option<V>
    where
        K: Ord + Clone + Send + 'static,
        V: Clone + Send + Sync + 'static,
        Q: Comparable<K> + ?Sized,
    {
        let (key, old) = map(self.t).remove_with_key(key)?;
        let kept = old.clone();
        self.journal
            .record(move |t| put_back(map(t), key, Some(kept)));
        Some(old)
    }
}

/// A job's row being changed in place: each change records in the journal how to undo it.
pub(super) struct RowEdit<'t> {
    key: &'t NsKey,
    row: &'t mut JobRow,
    journal: &'t mut Journal,
}

impl Deref for RowEdit<'_> {
    type Target = JobRow;

    fn deref(&self) -> &JobRow {
        self.row
    }
}

impl RowEdit<'_> {
    fn record(&mut self, undo: RowUndo) {
        let key = self.key.clone();
        self.journal.record(move |t| {
            if let Some(row) = t.jobs.get_mut(&key) {
                Arc::make_mut(row).undo(undo);
            }
        });
    }

    pub fn set_job(&mut self, job: Arc<Job>) {
        let old = std::mem::replace(&mut self.row.job, job);
        self.record(RowUndo::Job(old));
    }

    /// See [`JobRow::put_version`].
    pub fn put_version(&mut self, job: Arc<Job>) {
        let undo = self.row.put_version(job);
        self.record(undo);
    }

    /// See [`JobRow::put_submission`].
    pub fn put_submission(&mut self, submission: JobSubmission, index: u64) {
        if let Some(undo) = self.row.put_submission(submission, index) {
            self.record(undo);
        }
    }

    /// Replaces the summary with one this transaction made, so it may edit it in place.
    pub fn set_summary(&mut self, summary: Arc<JobSummary>) {
        self.journal.own(&summary);
        let old = self.row.summary.replace(summary);
        self.record(RowUndo::Summary(old));
    }

    /// The summary to change in place: copied on its first edit in this transaction.
    pub fn summary_mut(&mut self) -> Option<&mut JobSummary> {
        let key = self.key.clone();
        let slot = self.row.summary.as_mut()?;
        Some(self.journal.edit(slot, move |t, stored| {
            if let Some(row) = t.jobs.get_mut(&key) {
                Arc::make_mut(row).summary = Some(stored);
            }
        }))
    }
}

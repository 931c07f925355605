//! Job writes: register (`upsertJobImpl`), stop and purge (`handleJobDeregister`,
//! `DeleteJobTxn`), version history (`upsertJobVersion`), submissions (`updateJobSubmission`),
//! stability and version tags.

use std::sync::Arc;

use drover_model::job::{job_status, job_type};
use drover_model::{EvalStatus, Job, JobSubmission, SmolStr};

use super::Txn;
use super::summary::summary_with_job;
use super::writes::RowEdit;
use crate::command::{DeregisterJob, JobVersionTagUpdate, UpsertJob};
use crate::job_row::JobRow;
use crate::table::Table;
use crate::{PeriodicLaunch, StateError};

/// How a job reaches [`Txn::upsert_job_impl`].
#[derive(Default)]
pub(super) struct JobWrite<'a> {
    pub submission: Option<&'a JobSubmission>,
    /// Only `ModifyIndex` moves (stability changes).
    pub keep_version: bool,
    pub enforce_index: Option<u64>,
    pub preserve_counts: bool,
}

impl Txn<'_> {
    /// Registers `job`: the command's own job (`c.job` is not read), shared when the
    /// command is borrowed and moved out of it when the command is owned, so an owned
    /// command's job becomes the stored one without a copy.
    pub(super) fn upsert_job(&mut self, job: Arc<Job>, c: &UpsertJob) -> Result<(), StateError> {
        let write = JobWrite {
            submission: c.submission.as_ref(),
            keep_version: false,
            enforce_index: c.enforce_index,
            preserve_counts: c.preserve_counts,
        };
        let job = self.upsert_job_impl(job, write)?;
        self.record_periodic_launches(&job, c.now);
        let mut deployment_id = None;
        if let Some(deployment) = &c.deployment {
            deployment_id = Some(deployment.id.clone());
            self.register_deployment(&job, deployment.clone())?;
        }
        if let Some(eval) = &c.eval {
            let mut eval = eval.clone();
            eval.job_modify_index = self.index;
            if let Some(id) = deployment_id {
                eval.deployment_id = id.into();
            }
            self.upsert_evals([eval])?;
        }
        Ok(())
    }

    /// Writes a job: indexes, version, status, summary, version history and submission. A
    /// spec that equals the stored one is not written again (Nomad's endpoint skips the raft
    /// write in that case), and the stored job is returned. `job` is copied only if it is
    /// shared (a borrowed command's).
    pub(super) fn upsert_job_impl(
        &mut self,
        mut job: Arc<Job>,
        write: JobWrite<'_>,
    ) -> Result<Arc<Job>, StateError> {
        if !self.t.namespaces.contains_key(job.namespace.as_str()) {
            return Err(StateError::NonexistentNamespace {
                job: job.id.to_string(),
                namespace: job.namespace.to_string(),
            });
        }
        if job.node_pool.is_empty() {
            Arc::make_mut(&mut job).node_pool = drover_model::job::DEFAULT_NODE_POOL.into();
        }
        // The status depends on the job's kind and on the other tables, never on its row:
        // known first, it lets the row be read and written with one lookup.
        let status = self.job_status(&job, false);
        let index = self.index;
        let mut submission = write.submission.cloned();
        let row = self.job_row_mut(&job.namespace, &job.id);
        if let Some(expected) = write.enforce_index {
            enforce_index(row.as_deref().map(|r| &*r.job), expected)?;
        }
        // Whether the stored summary already has every group of the job: it has every group
        // of the stored job, so only a group new to the job needs it read.
        let mut summary_covers = false;
        let old_status = match &row {
            Some(row) => {
                let prev = &row.job;
                if write.preserve_counts {
                    preserve_counts(Arc::make_mut(&mut job), prev);
                }
                if !write.keep_version && !prev.spec_changed(&job) {
                    return Ok(prev.clone());
                }
                summary_covers = job
                    .task_groups
                    .iter()
                    .all(|g| prev.lookup_task_group(&g.name).is_some());
                let job = Arc::make_mut(&mut job);
                // The versions kept share what did not change, so they cost memory and diff
                // time in proportion to the change.
                job.share_unchanged(prev);
                job.create_index = prev.create_index;
                job.modify_index = index;
                if !write.keep_version {
                    job.job_modify_index = index;
                    if job.version <= prev.version {
                        if submission.is_none() {
                            // Revert, stop and scale inherit the source of the version they
                            // were made from.
                            submission = row.submission(job.version).map(|s| (**s).clone());
                        }
                        job.version = prev.version + 1;
                    }
                }
                // Only a child's status counts (in its parent's summary): the stored one, a
                // string on cold memory, is read for a child alone.
                if job.parent_id.is_empty() {
                    status
                } else {
                    known_status(&prev.status)
                }
            }
            None => {
                let job = Arc::make_mut(&mut job);
                job.create_index = index;
                job.modify_index = index;
                job.job_modify_index = index;
                ""
            }
        };
        if job.status != status {
            Arc::make_mut(&mut job).status = status.into();
        }
        let summary_written = match row {
            Some(mut row) => write_row(&mut row, &job, submission, index, summary_covers),
            None => {
                let mut row = JobRow::new(job.clone());
                row.put_version(job.clone());
                if let Some(submission) = submission {
                    row.put_submission(submission, index);
                }
                row.summary = summary_with_job(None, &job, index).map(Arc::new);
                self.insert_job_row(row);
                true
            }
        };
        if summary_written {
            self.touch(Table::JobSummary);
        }
        self.touch(Table::JobVersion);
        self.touch(Table::Jobs);
        if status != old_status {
            self.adjust_parent_children(&job, old_status, status);
        }
        Ok(job)
    }

    /// Stores a version of an existing job (see [`JobRow::put_version`]).
    pub(super) fn upsert_job_version(&mut self, job: Arc<Job>) {
        if let Some(mut row) = self.job_row_mut(&job.namespace, &job.id) {
            row.put_version(job);
        }
        self.touch(Table::JobVersion);
    }

    /// Periodic bookkeeping of a registration: the first launch row of an active periodic
    /// job, and the launch time of a periodic parent when its child is registered.
    fn record_periodic_launches(&mut self, job: &Job, now: i64) {
        let active = job.periodic.as_ref().is_some_and(|p| p.enabled)
            && !job.stop
            && !job.is_parameterized();
        let has_row = self
            .t
            .periodic_launches
            .contains_key(&crate::keys::Q2(&job.namespace, &job.id));
        if active && !has_row {
            self.upsert_periodic_launch(PeriodicLaunch {
                id: job.id.to_string(),
                namespace: job.namespace.to_string(),
                launch: now,
                ..PeriodicLaunch::default()
            });
        }
        if job.parent_id.is_empty() {
            return;
        }
        let Some(parent) = self.t.job(&job.namespace, &job.parent_id) else {
            return;
        };
        if !parent.is_periodic() || parent.is_parameterized() {
            return;
        }
        // Children are named `<parent>/periodic-<unix seconds>`.
        let launch = job
            .id
            .rsplit_once(drover_model::job::PERIODIC_LAUNCH_SUFFIX)
            .and_then(|(_, secs)| secs.parse::<i64>().ok());
        if let Some(secs) = launch {
            self.upsert_periodic_launch(PeriodicLaunch {
                id: job.parent_id.to_string(),
                namespace: job.namespace.to_string(),
                launch: secs.saturating_mul(1_000_000_000),
                ..PeriodicLaunch::default()
            });
        }
    }

    pub(super) fn deregister_job(&mut self, c: &DeregisterJob) -> Result<(), StateError> {
        if c.no_shutdown_delay {
            self.set_no_shutdown_delay(&c.namespace, &c.job_id);
        }
        if c.purge {
            self.purge_job(&c.namespace, &c.job_id)?;
        } else {
            let Some(current) = self.t.job(&c.namespace, &c.job_id) else {
                return Err(StateError::JobNotFoundToDeregister {
                    job: c.job_id.clone(),
                    namespace: c.namespace.clone(),
                });
            };
            let mut stopped = (**current).clone();
            stopped.stop = true;
            if c.submit_time != 0 {
                stopped.submit_time = c.submit_time;
            }
            for group in &mut stopped.task_groups {
                if group.scaling.is_some()
                    && let Some(policy) = &mut Arc::make_mut(group).scaling
                {
                    policy.enabled = Some(false);
                }
            }
            self.upsert_job_impl(Arc::new(stopped), JobWrite::default())?;
        }
        if let Some(eval) = &c.eval {
            let mut eval = eval.clone();
            eval.job_modify_index = self.index;
            self.upsert_evals([eval])?;
        }
        Ok(())
    }

    /// Deletes a job with its versions, deployments, allocations, summary, submissions,
    /// scaling events and periodic launch; its pending evaluations are completed and kept.
    fn purge_job(&mut self, namespace: &str, job_id: &str) -> Result<(), StateError> {
        // The row takes the job's versions, summary and submissions with it.
        let Some(row) = self.remove_job_row(namespace, job_id) else {
            return Err(StateError::JobNotFound);
        };
        let job = &row.job;
        if matches!(
            job.status.as_str(),
            job_status::PENDING | job_status::RUNNING
        ) {
            self.adjust_parent_children(job, &job.status, job_status::DEAD);
        }
        self.touch(Table::Jobs);
        self.touch(Table::JobVersion);

        let deployments: Vec<SmolStr> = self
            .t
            .deployments_of_job(namespace, job_id)
            .map(|d| d.id.clone())
            .collect();
        for id in &deployments {
            self.remove_deployment(id);
        }
        self.touch(Table::Deployment);

        let pending: Vec<_> = self
            .t
            .evals_of_job(namespace, job_id)
            .filter(|e| e.status == EvalStatus::Pending)
            .cloned()
            .collect();
        for eval in pending {
            let mut eval = (*eval).clone();
            eval.status = EvalStatus::Complete;
            eval.status_description = format!("job {job_id} deleted");
            eval.modify_index = self.index;
            self.put_eval(Arc::new(eval));
            self.touch(Table::Evals);
        }

        let allocs: Vec<SmolStr> = self
            .t
            .allocs_of_job(namespace, job_id)
            .map(|a| a.id.clone())
            .collect();
        for id in &allocs {
            self.delete_alloc(id);
        }
        self.touch(Table::Allocs);

        self.touch(Table::JobSummary);
        self.remove_from(
            |t| &mut t.scaling_events,
            &crate::keys::Q2(namespace, job_id),
        );
        self.touch(Table::ScalingEvent);
        if self
            .remove_from(
                |t| &mut t.periodic_launches,
                &crate::keys::Q2(namespace, job_id),
            )
            .is_some()
        {
            self.touch(Table::PeriodicLaunch);
        }
        Ok(())
    }

    /// Marks a version stable or not. Only the latest version rewrites the current job;
    /// an older one changes only in the version history (Nomad would overwrite the job).
    pub(super) fn update_job_stability(
        &mut self,
        namespace: &str,
        job_id: &str,
        version: u64,
        stable: bool,
    ) -> Result<(), StateError> {
        let Some(row) = self.t.job_version(namespace, job_id, version) else {
            return Ok(());
        };
        if row.stable == stable {
            return Ok(());
        }
        let mut copy = (**row).clone();
        copy.stable = stable;
        let is_latest = self
            .t
            .job(namespace, job_id)
            .is_some_and(|j| j.version == version);
        if is_latest {
            let write = JobWrite {
                keep_version: true,
                ..JobWrite::default()
            };
            self.upsert_job_impl(Arc::new(copy), write)?;
        } else {
            copy.modify_index = self.index;
            self.upsert_job_version(Arc::new(copy));
        }
        Ok(())
    }

    pub(super) fn update_job_version_tag(
        &mut self,
        c: &JobVersionTagUpdate,
    ) -> Result<(), StateError> {
        let (ns, job_id) = (c.namespace.as_str(), c.job_id.as_str());
        let tagged_with =
            |v: &Job, name: &str| v.version_tag.as_ref().is_some_and(|t| t.name == name);
        let row = match &c.tag {
            Some(tag) => {
                let mut found = None;
                for v in self.t.job_versions(ns, job_id) {
                    if tagged_with(v, &tag.name) && v.version != c.version {
                        return Err(StateError::TagExists {
                            tag: tag.name.clone(),
                            job: c.job_id.clone(),
                        });
                    }
                    if v.version == c.version {
                        found = Some(v.clone());
                    }
                }
                found.ok_or_else(|| StateError::JobVersionNotFound {
                    job: c.job_id.clone(),
                    version: c.version,
                })?
            }
            None => self
                .t
                .job_versions(ns, job_id)
                .find(|v| tagged_with(v, &c.name))
                .cloned()
                .ok_or_else(|| StateError::TagNotFound {
                    tag: c.name.clone(),
                    job: c.job_id.clone(),
                })?,
        };
        let mut copy = (*row).clone();
        copy.version_tag = c.tag.clone();
        copy.modify_index = self.index;
        let copy = Arc::new(copy);
        if self
            .t
            .job(ns, job_id)
            .is_some_and(|j| j.version == copy.version)
        {
            self.put_job(copy.clone());
            self.touch(Table::Jobs);
        }
        self.upsert_job_version(copy);
        Ok(())
    }
}

/// Writes a job into its row: the current job, its version, its submission and its summary.
/// Returns whether the summary was written.
fn write_row(
    row: &mut RowEdit<'_>,
    job: &Arc<Job>,
    submission: Option<JobSubmission>,
    index: u64,
    summary_covers: bool,
) -> bool {
    row.set_job(job.clone());
    row.put_version(job.clone());
    if let Some(submission) = submission {
        row.put_submission(submission, index);
    }
    if summary_covers && row.summary.is_some() {
        return false;
    }
    let Some(summary) = summary_with_job(row.summary.as_deref(), job, index) else {
        return false;
    };
    row.set_summary(Arc::new(summary));
    true
}

/// A stored status as one of the statuses [`Txn::job_status`] answers ("" for any other),
/// so the old and new ones compare without copying the stored string.
fn known_status(status: &str) -> &'static str {
    [job_status::PENDING, job_status::RUNNING, job_status::DEAD]
        .into_iter()
        .find(|s| *s == status)
        .unwrap_or_default()
}

/// Nomad's `Job.EnforceIndex`: the caller's view of the job must still hold.
fn enforce_index(existing: Option<&Job>, expected: u64) -> Result<(), StateError> {
    let reason = match existing {
        Some(_) if expected == 0 => "job already exists".to_string(),
        Some(job) if job.job_modify_index != expected => format!(
            "job exists with conflicting job modify index: {}",
            job.job_modify_index
        ),
        None if expected != 0 => "job does not exist".to_string(),
        _ => return Ok(()),
    };
    Err(StateError::EnforceIndex { expected, reason })
}

/// `PreserveCounts`: groups that existed before keep their count.
fn preserve_counts(job: &mut Job, prev: &Job) {
    for group in &mut job.task_groups {
        if let Some(old) = prev.lookup_task_group(&group.name)
            && group.count != old.count
        {
            Arc::make_mut(group).count = old.count;
        }
    }
}

/// System, periodic and parameterized jobs are running until they are stopped, whatever
/// their allocations do.
pub(super) fn runs_until_stopped(job: &Job) -> bool {
    job.job_type == job_type::SYSTEM || job.is_parameterized() || job.is_periodic()
}

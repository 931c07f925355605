//! `JobRow`: everything the store keeps under one job ID (the current job, its tracked
//! versions, its summary and its submissions) with Nomad's retention rules for versions
//! (`upsertJobVersion`) and submissions (`updateJobSubmission`).
//!
//! One row per job turns a job write into one lookup and one path copy of one map, where
//! separate tables keyed by (namespace, id, version) cost a lookup and a path copy each.

use std::sync::Arc;

use drover_model::{Job, JobSubmission, JobSummary};

use crate::JOB_TRACKED_VERSIONS;

#[derive(Debug, PartialEq)]
pub(crate) struct JobRow {
    pub job: Arc<Job>,
    /// Tracked versions, tagged ones included, lowest version first.
    versions: Vec<TrackedVersion>,
    pub summary: Option<Arc<JobSummary>>,
    /// Stored submissions, lowest version first.
    pub submissions: Vec<Arc<JobSubmission>>,
}

/// A tracked version with what retention reads of it copied beside it: a write then finds
/// its place and the version to drop from the row alone, without reading the older jobs
/// (cold memory by then, a cache miss each).
#[derive(Debug, Clone, PartialEq)]
struct TrackedVersion {
    number: u64,
    stable: bool,
    tagged: bool,
    job: Arc<Job>,
}

impl TrackedVersion {
    fn new(job: Arc<Job>) -> Self {
        TrackedVersion {
            number: job.version,
            stable: job.stable,
            tagged: job.version_tag.is_some(),
            job,
        }
    }
}

/// What one change of a row replaced, for [`JobRow::undo`] to put back: a transaction edits a
/// row in place and keeps only this, so it neither copies the row nor takes a count on each of
/// its versions (cold memory, a cache miss each).
#[derive(Debug)]
pub(crate) enum RowUndo {
    /// The current job, replaced.
    Job(Arc<Job>),
    /// A version stored: the one of the same number it replaced, and the one retention dropped.
    Version {
        number: u64,
        replaced: Option<Arc<Job>>,
        retired: Option<Arc<Job>>,
    },
    /// The summary, replaced.
    Summary(Option<Arc<JobSummary>>),
    /// The submission of `version` stored, and the one retention dropped.
    Submission {
        version: u64,
        retired: Option<Arc<JobSubmission>>,
    },
}

/// A row is copied when a write changes it while a snapshot still shares it, and that write
/// almost always adds a version: the copy has room for it, so the insert does not reallocate.
impl Clone for JobRow {
    fn clone(&self) -> Self {
        let mut versions = Vec::with_capacity(self.versions.len() + 1);
        versions.extend(self.versions.iter().cloned());
        JobRow {
            job: self.job.clone(),
            versions,
            summary: self.summary.clone(),
            submissions: self.submissions.clone(),
        }
    }
}

impl JobRow {
    /// A row holding only its current job (the caller adds its version).
    pub fn new(job: Arc<Job>) -> Self {
        JobRow {
            job,
            versions: Vec::new(),
            summary: None,
            submissions: Vec::new(),
        }
    }

    /// Tracked versions, lowest first.
    pub fn versions(&self) -> impl DoubleEndedIterator<Item = &Arc<Job>> {
        self.versions.iter().map(|v| &v.job)
    }

    pub fn version(&self, version: u64) -> Option<&Arc<Job>> {
        let at = self.versions.binary_search_by_key(&version, |v| v.number);
        at.ok().map(|at| &self.versions[at].job)
    }

    pub fn submission(&self, version: u64) -> Option<&Arc<JobSubmission>> {
        let at = self
            .submissions
            .binary_search_by_key(&version, |s| s.version);
        at.ok().map(|at| &self.submissions[at])
    }

    /// Stores a version (replacing the row of the same version) without dropping any: a
    /// restore puts back exactly what was written. Returns the version replaced.
    pub fn insert_version(&mut self, job: Arc<Job>) -> Option<Arc<Job>> {
        let version = TrackedVersion::new(job);
        match self
            .versions
            .binary_search_by_key(&version.number, |v| v.number)
        {
            Ok(at) => Some(std::mem::replace(&mut self.versions[at], version).job),
            Err(at) => {
                self.versions.insert(at, version);
                None
            }
        }
    }

    /// Stores a version and drops the oldest untagged one beyond the tracked number, keeping
    /// the newest stable version when it is the one about to fall off. Returns how to undo it.
    pub fn put_version(&mut self, job: Arc<Job>) -> RowUndo {
        let number = job.version;
        let replaced = self.insert_version(job);
        let undo = |retired| RowUndo::Version {
            number,
            replaced,
            retired,
        };
        let max = JOB_TRACKED_VERSIONS;
        // The newest untagged versions, one beyond the tracked number, without allocating.
        let mut newest = [(0, false); JOB_TRACKED_VERSIONS + 1];
        let untagged = self.versions.iter().rev().filter(|v| !v.tagged);
        let mut count = 0;
        for (slot, v) in newest.iter_mut().zip(untagged) {
            *slot = (v.number, v.stable);
            count += 1;
        }
        if count <= max {
            return undo(None);
        }
        if newest.iter().position(|(_, stable)| *stable) == Some(max) {
            newest.swap(max - 1, max);
        }
        let (dropped, _) = newest[max];
        let at = self.versions.iter().position(|v| v.number == dropped);
        undo(at.map(|at| self.versions.remove(at).job))
    }

    /// Stores a submission (as given) in version order; an existing one of that version stays.
    pub fn insert_submission(&mut self, submission: Arc<JobSubmission>) {
        if let Err(at) = self
            .submissions
            .binary_search_by_key(&submission.version, |s| s.version)
        {
            self.submissions.insert(at, submission);
        }
    }

    /// Stores the submission of the current job's version unless one is already there, then
    /// keeps the tracked number with the highest `JobModifyIndex`. Returns how to undo it.
    pub fn put_submission(&mut self, mut submission: JobSubmission, index: u64) -> Option<RowUndo> {
        if self.submission(self.job.version).is_some() {
            return None;
        }
        submission.namespace.clone_from(&self.job.namespace);
        submission.job_id.clone_from(&self.job.id);
        submission.job_modify_index = index;
        submission.version = self.job.version;
        self.insert_submission(Arc::new(submission));
        let undo = |retired| {
            Some(RowUndo::Submission {
                version: self.job.version,
                retired,
            })
        };
        // Submissions are added one at a time, so at most one is beyond the tracked number:
        // the one with the lowest (`JobModifyIndex`, version).
        let oldest = (0..self.submissions.len()).min_by_key(|&at| {
            let s = &self.submissions[at];
            (s.job_modify_index, s.version)
        });
        match oldest {
            Some(at) if self.submissions.len() > JOB_TRACKED_VERSIONS => {
                undo(Some(self.submissions.remove(at)))
            }
            _ => undo(None),
        }
    }

    /// Puts back what a change of this row replaced.
    pub fn undo(&mut self, undo: RowUndo) {
        match undo {
            RowUndo::Job(job) => self.job = job,
            RowUndo::Version {
                number,
                replaced,
                retired,
            } => {
                if let Some(retired) = retired {
                    self.insert_version(retired);
                }
                match replaced {
                    Some(replaced) => {
                        self.insert_version(replaced);
                    }
                    None => self.versions.retain(|v| v.number != number),
                }
            }
            RowUndo::Summary(summary) => self.summary = summary,
            RowUndo::Submission { version, retired } => {
                if let Some(retired) = retired {
                    self.insert_submission(retired);
                }
                self.submissions.retain(|s| s.version != version);
            }
        }
    }
}

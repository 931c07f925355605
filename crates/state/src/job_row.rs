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
    /// restore puts back exactly what was written.
    pub fn insert_version(&mut self, job: Arc<Job>) {
        let version = TrackedVersion::new(job);
        match self
            .versions
            .binary_search_by_key(&version.number, |v| v.number)
        {
            Ok(at) => self.versions[at] = version,
            Err(at) => self.versions.insert(at, version),
        }
    }

    /// Stores a version and drops the oldest untagged one beyond the tracked number, keeping
    /// the newest stable version when it is the one about to fall off.
    pub fn put_version(&mut self, job: Arc<Job>) {
        self.insert_version(job);
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
            return;
        }
        if newest.iter().position(|(_, stable)| *stable) == Some(max) {
            newest.swap(max - 1, max);
        }
        let (dropped, _) = newest[max];
        self.versions.retain(|v| v.number != dropped);
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
    /// keeps the tracked number with the highest `JobModifyIndex`.
    pub fn put_submission(&mut self, mut submission: JobSubmission, index: u64) {
        if self.submission(self.job.version).is_some() {
            return;
        }
        submission.namespace.clone_from(&self.job.namespace);
        submission.job_id.clone_from(&self.job.id);
        submission.job_modify_index = index;
        submission.version = self.job.version;
        self.insert_submission(Arc::new(submission));
        if self.submissions.len() <= JOB_TRACKED_VERSIONS {
            return;
        }
        let mut kept: Vec<(u64, u64)> = self
            .submissions
            .iter()
            .map(|s| (s.job_modify_index, s.version))
            .collect();
        kept.sort_by(|a, b| b.cmp(a));
        kept.truncate(JOB_TRACKED_VERSIONS);
        self.submissions
            .retain(|s| kept.contains(&(s.job_modify_index, s.version)));
    }
}

//! The diffs of `GET /v1/job/:id/versions?diffs=true` (Nomad's `Job.GetJobVersions`).

use std::borrow::Borrow;

use drover_model::Job;

use super::{DiffError, JobDiff, job_diff};

/// The diffs between consecutive versions, listed highest version first as the response lists
/// them: diff `i` explains how `versions[i]` came from `versions[i + 1]`, so `n` versions give
/// `n - 1` diffs. Contextual, as Nomad's endpoint is.
pub fn version_diffs<J: Borrow<Job>>(versions: &[J]) -> Result<Vec<JobDiff>, DiffError> {
    versions
        .windows(2)
        .map(|pair| job_diff(Some(pair[1].borrow()), Some(pair[0].borrow()), true))
        .collect()
}

/// The diffs of every version against one chosen version (`diff_version` or `diff_tag`), the
/// chosen one included: `n` versions give `n` diffs.
pub fn version_diffs_against<J: Borrow<Job>>(
    versions: &[J],
    base: &Job,
) -> Result<Vec<JobDiff>, DiffError> {
    versions
        .iter()
        .map(|v| job_diff(Some(base), Some(v.borrow()), true))
        .collect()
}

//! How a submitted job becomes the job the engine stores, in Nomad's order: the agent's
//! conversion (region and namespace resolution, the fields a request cannot set), then the
//! server's admission (canonicalization, validation, warnings), then the update rules that
//! compare it with the current version.

use std::sync::Arc;

use drover_model::gotext::{multierror, quote};
use drover_model::job::{DEFAULT_NAMESPACE, DEFAULT_REGION, job_type};
use drover_model::{Job, JobSubmission, SmolStr, ValidationConfig};
use drover_state::{Snapshot, StateError};

use crate::api::RequestContext;
use crate::error::ApiError;

/// Where the agent sends a job and which namespace it lives in (`regionForJob`,
/// `namespaceForJob`): the request body's field wins over the query parameter, which wins over
/// the job's own value; the region `global` (or none) means this agent's region.
pub(crate) fn resolve_placement(
    job: &mut Job,
    ctx: &RequestContext,
    body_region: &str,
    body_namespace: &str,
    agent_region: &str,
) {
    let region = [
        body_region,
        ctx.region.as_deref().unwrap_or(""),
        &job.region,
    ]
    .into_iter()
    .find(|r| !r.is_empty())
    .unwrap_or("");
    job.region = if region.is_empty() || region == DEFAULT_REGION {
        agent_region.into()
    } else {
        region.into()
    };
    if job.multiregion.is_some() {
        job.region = DEFAULT_REGION.into();
    }
    let namespace = [
        ctx.namespace.as_deref().unwrap_or(""),
        body_namespace,
        &job.namespace,
    ]
    .into_iter()
    .find(|n| !n.is_empty())
    .unwrap_or(DEFAULT_NAMESPACE);
    job.namespace = namespace.into();
}

/// The agent's conversion of a request's job (`ApiJobToStructJob`) followed by Nomad's
/// canonicalization: fields only the server sets are dropped, defaults are filled in.
pub(crate) fn canonical_job(mut job: Job) -> Job {
    job.parent_id = SmolStr::default();
    job.dispatched = false;
    job.dispatch_idempotency_token = SmolStr::default();
    job.nomad_token_id = SmolStr::default();
    job.status = SmolStr::default();
    job.status_description = SmolStr::default();
    job.stable = false;
    job.submit_time = 0;
    job.create_index = 0;
    job.modify_index = 0;
    job.job_modify_index = 0;
    job.canonicalize();
    // The job-level Consul namespace only seeds the groups' blocks (done by canonicalize).
    job.consul_namespace = SmolStr::default();
    job
}

/// The admission validators: the namespace must exist, then the job's own rules. Every
/// problem is reported at once, as one multi-error text (500, as Nomad's RPC errors are).
pub(crate) fn validation_errors(
    snapshot: &Snapshot,
    job: &Job,
    config: &ValidationConfig,
) -> Vec<String> {
    let mut errors = Vec::new();
    if snapshot.namespace(&job.namespace).is_none() {
        errors.push(format!(
            "job {} is in nonexistent namespace {}",
            quote(&job.id),
            quote(&job.namespace)
        ));
    }
    if let Err(invalid) = job.validate_with(config) {
        errors.extend(invalid.errors().iter().cloned());
    }
    errors
}

pub(crate) fn admit(
    snapshot: &Snapshot,
    job: &Job,
    config: &ValidationConfig,
) -> Result<(), ApiError> {
    let errors = validation_errors(snapshot, job, config);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::internal(multierror(&errors)))
    }
}

/// The agent's checks of a register or plan request's job, before any conversion.
pub(crate) fn check_system_scaling(job: &Job) -> Result<(), ApiError> {
    if job.job_type == job_type::SYSTEM && job.task_groups.iter().any(|g| g.scaling.is_some()) {
        return Err(ApiError::bad_request(
            "Task groups with job type system do not support scaling blocks",
        ));
    }
    Ok(())
}

/// `EvalPriority` and `eval_priority`: 0 (or less, for the query parameter) means unset.
pub(crate) fn check_eval_priority(priority: i32) -> Result<(), ApiError> {
    if !(0..=100).contains(&priority) {
        return Err(ApiError::bad_request(
            "Eval priority must be between 1 and 100 inclusively",
        ));
    }
    Ok(())
}

/// Nomad's `EnforceIndex` check, with its three messages.
pub(crate) fn enforce_index(existing: Option<&Job>, expected: u64) -> Result<(), ApiError> {
    let reason = match existing {
        Some(_) if expected == 0 => "job already exists".to_string(),
        Some(job) if job.job_modify_index != expected => format!(
            "job exists with conflicting job modify index: {}",
            job.job_modify_index
        ),
        None if expected != 0 => "job does not exist".to_string(),
        _ => return Ok(()),
    };
    Err(ApiError::internal(
        StateError::EnforceIndex { expected, reason }.to_string(),
    ))
}

/// `validateJobUpdate`: what an update may not change.
pub(crate) fn validate_job_update(existing: Option<&Job>, new: &Job) -> Result<(), ApiError> {
    let Some(old) = existing else {
        if new.dispatched {
            return Err(ApiError::internal(
                "job can't be submitted with 'Dispatched' set",
            ));
        }
        return Ok(());
    };
    let message = if old.job_type != new.job_type {
        format!(
            "cannot update job from type {} to {}",
            quote(&old.job_type),
            quote(&new.job_type)
        )
    } else if old.is_periodic() && !new.is_periodic() {
        "cannot update periodic job to being non-periodic".to_string()
    } else if new.is_periodic() && !old.is_periodic() {
        "cannot update non-periodic job to being periodic".to_string()
    } else if old.is_parameterized() && !new.is_parameterized() {
        "cannot update parameterized job to being non-parameterized".to_string()
    } else if new.is_parameterized() && !old.is_parameterized() {
        "cannot update non-parameterized job to being parameterized".to_string()
    } else if old.dispatched != new.dispatched {
        "field 'Dispatched' is read-only".to_string()
    } else {
        return Ok(());
    };
    Err(ApiError::internal(message))
}

/// `PreserveCounts` and `PreserveResources`: groups (and tasks) that existed before keep their
/// count (and resources).
pub(crate) fn preserve(job: &mut Job, old: &Job, counts: bool, resources: bool) {
    for group in &mut job.task_groups {
        let Some(old_group) = old.lookup_task_group(&group.name) else {
            continue;
        };
        let group = Arc::make_mut(group);
        if counts {
            group.count = old_group.count;
        }
        if resources {
            for task in &mut group.tasks {
                if let Some(old_task) = old_group.lookup_task(&task.name) {
                    Arc::make_mut(task).resources = old_task.resources.clone();
                }
            }
        }
    }
}

/// The submission controller: a source larger than `max` bytes (source, variables and
/// variable flags together) is dropped with a warning; the job is registered anyway.
pub(crate) fn check_submission_size(
    submission: &mut Option<JobSubmission>,
    max: usize,
) -> Option<String> {
    let sub = submission.as_ref()?;
    let size = sub.source.len()
        + sub.variables.len()
        + sub
            .variable_flags
            .iter()
            .map(|(k, v)| k.len() + v.len())
            .sum::<usize>();
    if size <= max {
        return None;
    }
    *submission = None;
    Some(format!(
        "job source size of {} exceeds maximum of {} and will be discarded",
        human_bytes(size as u64),
        human_bytes(max as u64)
    ))
}

/// go-humanize's `Bytes`: SI units, one decimal below 10 (`1.0 MB`, `12 kB`, `7 B`).
fn human_bytes(size: u64) -> String {
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    if size < 10 {
        return format!("{size} B");
    }
    let exponent = (size as f64).log(1000.0).floor() as usize;
    let exponent = exponent.min(UNITS.len() - 1);
    let value = ((size as f64 / 1000f64.powi(exponent as i32)) * 10.0 + 0.5).floor() / 10.0;
    if value < 10.0 {
        format!("{value:.1} {}", UNITS[exponent])
    } else {
        format!("{value:.0} {}", UNITS[exponent])
    }
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn sizes_read_like_go_humanize() {
        for (size, text) in [
            (7, "7 B"),
            (999, "999 B"),
            (1_000, "1.0 kB"),
            (12_345, "12 kB"),
            (1_000_000, "1.0 MB"),
            (1_000_001, "1.0 MB"),
            (1_500_000, "1.5 MB"),
        ] {
            assert_eq!(human_bytes(size), text, "{size}");
        }
    }
}

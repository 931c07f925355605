//! `Job::validate`: every problem with a job at once, in Nomad's words and order.
//!
//! Nomad builds its answer with go-multierror: groups and tasks report their own lists, which
//! appear inside the job's list as one entry whose text is a nested "N errors occurred" block.
//! The checks run on a canonicalized job, as Nomad's admission path does; on a raw job, unset
//! optional fields read as Go's zero values.

mod group;
mod placement;
mod service;
mod task;

use std::collections::BTreeMap;
use std::fmt;

use group::group_errors;
use placement::{affinity_list_errors, constraint_list_errors, spread_list_errors};

use crate::Job;
use crate::gotext::{list, multierror, quote};
use crate::job::{JOB_MIN_PRIORITY, dispatch_payload, job_type};

/// Limits Nomad makes configurable on its servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidationConfig {
    /// `job_max_priority`: the highest priority a job may ask for.
    pub max_priority: i64,
    /// `job_max_count`: the most allocations (sum of group counts) a job may ask for; 0 means
    /// no limit.
    pub max_count: i64,
}

impl Default for ValidationConfig {
    fn default() -> Self {
        Self {
            max_priority: 100,
            max_count: 50_000,
        }
    }
}

/// Every problem found in a job. `Display` is Nomad's multi-error text
/// (`1 error occurred:\n\t* Missing job ID\n\n`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationErrors {
    errors: Vec<String>,
}

impl ValidationErrors {
    /// The top-level messages, in Nomad's order; nested group and task lists are inside them.
    pub fn errors(&self) -> &[String] {
        &self.errors
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&multierror(&self.errors))
    }
}

impl std::error::Error for ValidationErrors {}

/// Adds `errors` as one entry, `prefix` followed by their multi-error text, when there are any.
pub(super) fn push_nested(out: &mut Vec<String>, prefix: &str, errors: Vec<String>) {
    if !errors.is_empty() {
        out.push(format!("{prefix}{}", multierror(&errors)));
    }
}

impl Job {
    /// Validates with Nomad's default server limits.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        self.validate_with(&ValidationConfig::default())
    }

    /// Nomad's `Job.Validate` followed by the admission checks of its `jobValidate` hook.
    pub fn validate_with(&self, config: &ValidationConfig) -> Result<(), ValidationErrors> {
        let mut errors = job_errors(self);
        if self.job_type == job_type::CORE {
            errors.push("job type cannot be core".to_string());
        }
        if !self.payload.is_empty() {
            errors.push("job can't be submitted with a payload, only dispatched".to_string());
        }
        if self.priority < JOB_MIN_PRIORITY || self.priority > config.max_priority {
            errors.push(format!(
                "job priority must be between [{JOB_MIN_PRIORITY}, {}]",
                config.max_priority
            ));
        }
        let total = self
            .task_groups
            .iter()
            .fold(0i64, |sum, tg| sum.saturating_add(tg.count));
        if config.max_count > 0 && total > config.max_count {
            errors.push(format!(
                "total count was greater than configured job_max_count: {total} > {}",
                config.max_count
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors { errors })
        }
    }
}

pub(super) fn is_batch_like(job_type_name: &str) -> bool {
    job_type_name == job_type::BATCH || job_type_name == job_type::SYSBATCH
}

fn job_errors(job: &Job) -> Vec<String> {
    let mut out = Vec::new();
    if job.region.is_empty() && job.multiregion.is_none() {
        out.push("Missing job region".to_string());
    }
    if job.id.is_empty() {
        out.push("Missing job ID".to_string());
    } else if job.id.contains(' ') {
        out.push("Job ID contains a space".to_string());
    } else if job.id.contains('\0') {
        out.push("Job ID contains a null character".to_string());
    }
    if job.name.is_empty() {
        out.push("Missing job name".to_string());
    } else if job.name.contains('\0') {
        out.push("Job Name contains a null character".to_string());
    }
    if job.namespace.is_empty() {
        out.push("Job must be in a namespace".to_string());
    }
    match job.job_type.as_str() {
        job_type::CORE
        | job_type::SERVICE
        | job_type::BATCH
        | job_type::SYSTEM
        | job_type::SYSBATCH => {}
        "" => out.push("Missing job type".to_string()),
        other => out.push(format!("Invalid job type: {}", quote(other))),
    }
    if job.datacenters.is_empty() && !job.is_multiregion() {
        out.push("Missing job datacenters".to_string());
    }
    for dc in &job.datacenters {
        if dc.is_empty() {
            out.push("Job datacenter must be non-empty string".to_string());
        }
    }
    if job.task_groups.is_empty() {
        out.push("Missing job task groups".to_string());
    }
    constraint_list_errors(&mut out, &job.constraints);
    affinity_list_errors(&mut out, job, &job.affinities);
    spread_list_errors(&mut out, job, &job.spreads);

    const MAX_DESCRIPTION: usize = 1000;
    if let Some(ui) = job
        .ui
        .as_ref()
        .filter(|ui| ui.description.len() > MAX_DESCRIPTION)
    {
        out.push(format!(
            "UI description must be under 1000 characters, currently {}",
            ui.description.len()
        ));
    }
    if let Some(tag) = job
        .version_tag
        .as_ref()
        .filter(|t| t.description.len() > MAX_DESCRIPTION)
    {
        out.push(format!(
            "Tagged version description must be under 1000 characters, currently {}",
            tag.description.len()
        ));
    }

    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, tg) in job.task_groups.iter().enumerate() {
        if tg.name.is_empty() {
            out.push(format!("Job task group {} missing name", index + 1));
        } else if let Some(first) = seen.get(tg.name.as_str()) {
            out.push(format!(
                "Job task group {} redefines '{}' from group {}",
                index + 1,
                tg.name,
                first + 1
            ));
        } else {
            seen.insert(&tg.name, index);
        }
        if tg.shutdown_delay.is_some_and(|d| d < 0) {
            out.push("ShutdownDelay must be a positive value".to_string());
        }
        if job.job_type == job_type::SYSTEM && tg.count > 1 {
            out.push(format!(
                "Job task group {} has count {}. Count cannot exceed 1 with system scheduler",
                tg.name, tg.count
            ));
        }
    }
    for tg in &job.task_groups {
        let prefix = format!("Task group {} validation failed: ", tg.name);
        push_nested(&mut out, &prefix, group_errors(tg, job));
    }

    if let Some(periodic) = job.periodic.as_ref().filter(|p| p.enabled) {
        if !is_batch_like(&job.job_type) {
            out.push(
                "Periodic can only be used with \"batch\" or \"sysbatch\" scheduler".to_string(),
            );
        }
        let mut errors = Vec::new();
        if !periodic.spec.is_empty() && !periodic.specs.is_empty() {
            errors.push("Only cron or crons may be used".to_string());
        }
        if periodic.spec.is_empty() && periodic.specs.is_empty() {
            errors.push("Must specify a spec".to_string());
        }
        if crate::cron::time_zone(&periodic.time_zone).is_none() {
            errors.push(format!(
                "Invalid time zone {}: unknown time zone {}",
                quote(&periodic.time_zone),
                periodic.time_zone
            ));
        }
        if periodic.spec_type == crate::job::PERIODIC_SPEC_CRON {
            let specs = std::iter::once(&periodic.spec)
                .filter(|spec| !spec.is_empty())
                .chain(&periodic.specs);
            for spec in specs {
                if let Err(error) = crate::cron::CronSpec::parse(spec) {
                    errors.push(format!("Invalid cron spec {}: {error}", quote(spec)));
                }
            }
        } else {
            errors.push(format!(
                "Unknown periodic specification type {}",
                quote(&periodic.spec_type)
            ));
        }
        push_nested(&mut out, "", errors);
    }

    if let Some(parameterized) = job
        .parameterized_job
        .as_ref()
        .filter(|_| job.is_parameterized())
    {
        if !is_batch_like(&job.job_type) {
            out.push(
                "Parameterized job can only be used with \"batch\" or \"sysbatch\" scheduler"
                    .to_string(),
            );
        }
        let mut errors = Vec::new();
        match parameterized.payload.as_str() {
            dispatch_payload::OPTIONAL
            | dispatch_payload::REQUIRED
            | dispatch_payload::FORBIDDEN => {}
            other => errors.push(format!("Unknown payload requirement: {}", quote(other))),
        }
        let both: Vec<String> = parameterized
            .meta_optional
            .iter()
            .filter(|key| parameterized.meta_required.contains(key))
            .cloned()
            .collect();
        if !both.is_empty() {
            errors.push(format!(
                "Required and optional meta keys should be disjoint. Following keys exist in both: {}",
                list(&both)
            ));
        }
        push_nested(&mut out, "", errors);
    }
    out
}

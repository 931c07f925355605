//! `Job::validate`: every problem with a job at once, in Nomad's words and order.
//!
//! Nomad builds its answer with go-multierror: groups and tasks report their own lists, which
//! appear inside the job's list as one entry whose text is a nested "N errors occurred" block.
//! The checks run on a canonicalized job, as Nomad's admission path does; on a raw job, unset
//! optional fields read as Go's zero values.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::gotext::{duration, list, multierror, quote};
use crate::job::{JOB_MIN_PRIORITY, dispatch_payload, health_check, job_type};
use crate::service::service_provider;
use crate::{
    Affinity, Constraint, DisconnectStrategy, Job, LogConfig, MigrateStrategy, Nanos,
    NetworkResource, ReschedulePolicy, Resources, RestartPolicy, SECOND, Service, ServiceCheck,
    Spread, Task, TaskArtifact, TaskGroup, Template, UpdateStrategy, VolumeRequest, constraint,
    group,
};

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
fn push_nested(out: &mut Vec<String>, prefix: &str, errors: Vec<String>) {
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

fn is_batch_like(job_type_name: &str) -> bool {
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
        if !periodic.time_zone.is_empty()
            && periodic.time_zone != "UTC"
            && periodic.time_zone != "Local"
            && periodic.time_zone.parse::<chrono_tz::Tz>().is_err()
        {
            errors.push(format!(
                "Invalid time zone {}: unknown time zone {}",
                quote(&periodic.time_zone),
                periodic.time_zone
            ));
        }
        if periodic.spec_type != crate::job::PERIODIC_SPEC_CRON {
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

fn constraint_list_errors(out: &mut Vec<String>, constraints: &[Constraint]) {
    for (index, c) in constraints.iter().enumerate() {
        let prefix = format!("Constraint {} validation failed: ", index + 1);
        push_nested(out, &prefix, constraint_errors(c));
    }
}

/// System jobs may not have spreads.
fn spread_list_errors(out: &mut Vec<String>, job: &Job, spreads: &[Spread]) {
    if job.job_type == job_type::SYSTEM {
        if !spreads.is_empty() {
            out.push("System jobs may not have a spread block".to_string());
        }
    } else {
        for (index, s) in spreads.iter().enumerate() {
            let prefix = format!("Spread {} validation failed: ", index + 1);
            push_nested(out, &prefix, spread_errors(s));
        }
    }
}

/// System jobs may not have affinities.
fn affinity_list_errors(out: &mut Vec<String>, job: &Job, affinities: &[Affinity]) {
    if job.job_type == job_type::SYSTEM {
        if !affinities.is_empty() {
            out.push("System jobs may not have an affinity block".to_string());
        }
        return;
    }
    for (index, a) in affinities.iter().enumerate() {
        let prefix = format!("Affinity {} validation failed: ", index + 1);
        push_nested(out, &prefix, affinity_errors(a));
    }
}

const COMPARISONS: [&str; 9] = ["=", "==", "is", "!=", "not", "<", "<=", ">", ">="];

fn constraint_errors(c: &Constraint) -> Vec<String> {
    let mut out = Vec::new();
    if c.operand.is_empty() {
        out.push("Missing constraint operand".to_string());
    }
    let mut requires_l_target = true;
    match c.operand.as_str() {
        constraint::operand::DISTINCT_HOSTS => requires_l_target = false,
        constraint::operand::SET_CONTAINS
        | constraint::operand::SET_CONTAINS_ALL
        | constraint::operand::SET_CONTAINS_ANY => {
            if c.r_target.is_empty() {
                out.push("Set contains constraint requires an RTarget".to_string());
            }
        }
        constraint::operand::REGEX => {
            if let Err(e) = regex::Regex::new(&c.r_target) {
                out.push(regex_error(&c.r_target, &e));
            }
        }
        constraint::operand::VERSION => {
            if let Err(e) = check_version_constraint(&c.r_target, VERSION_OPERATORS, VERSION_RE) {
                out.push(format!("Version constraint is invalid: {e}"));
            }
        }
        constraint::operand::SEMVER => {
            if let Err(e) = check_version_constraint(&c.r_target, SEMVER_OPERATORS, SEMVER_RE) {
                out.push(format!("Semver constraint is invalid: {e}"));
            }
        }
        constraint::operand::DISTINCT_PROPERTY if !c.r_target.is_empty() => {
            match c.r_target.parse::<u64>() {
                Err(e) => out.push(format!(
                    "Failed to convert RTarget {} to uint64: strconv.ParseUint: parsing {}: {}",
                    quote(&c.r_target),
                    quote(&c.r_target),
                    go_parse_error(&e)
                )),
                Ok(0) => out.push(
                    "Distinct Property must have an allowed count of 1 or greater: 0 < 1"
                        .to_string(),
                ),
                Ok(_) => {}
            }
        }
        constraint::operand::DISTINCT_PROPERTY => {}
        constraint::operand::ATTRIBUTE_IS_SET | constraint::operand::ATTRIBUTE_IS_NOT_SET => {
            if !c.r_target.is_empty() {
                out.push(format!(
                    "Operator {} does not support an RTarget",
                    quote(&c.operand)
                ));
            }
        }
        op if COMPARISONS.contains(&op) => {
            if c.r_target.is_empty() {
                out.push(format!("Operator {} requires an RTarget", quote(op)));
            }
        }
        op => out.push(format!("Unknown constraint type {}", quote(op))),
    }
    if requires_l_target {
        if c.l_target.is_empty() {
            out.push("no attribute provided but is required by operator".to_string());
        } else if let Err(e) = check_constraint_attribute(&c.l_target) {
            out.push(e);
        }
    }
    out
}

/// The compile error in Go's words where Go's RE2 and Rust's regex agree on the cause
/// (`error parsing regexp: missing closing ]: `[a``), else in Rust's.
fn regex_error(pattern: &str, error: &regex::Error) -> String {
    const GO_CODES: [(&str, &str); 9] = [
        ("unclosed character class", "missing closing ]"),
        ("unclosed group", "missing closing )"),
        ("unopened group", "unexpected )"),
        (
            "repetition operator missing expression",
            "missing argument to repetition operator",
        ),
        (
            "invalid character class range",
            "invalid character class range",
        ),
        (
            "incomplete escape sequence",
            "trailing backslash at end of expression",
        ),
        ("unrecognized escape sequence", "invalid escape sequence"),
        ("invalid repetition count range", "invalid repeat count"),
        ("nest limit exceeded", "expression nests too deeply"),
    ];
    let text = error.to_string();
    let cause = text.rsplit("error: ").next().unwrap_or(&text).trim();
    let message = match GO_CODES.iter().find(|(rust, _)| cause.starts_with(rust)) {
        Some((_, go)) => format!("error parsing regexp: {go}: `{pattern}`"),
        None => cause.to_string(),
    };
    format!("Regular expression failed to compile: {message}")
}

/// Go's `strconv` error reasons.
fn go_parse_error(e: &std::num::ParseIntError) -> &'static str {
    match e.kind() {
        std::num::IntErrorKind::PosOverflow => "value out of range",
        _ => "invalid syntax",
    }
}

fn check_constraint_attribute(target: &str) -> Result<(), String> {
    if !target.starts_with('$') {
        return Ok(());
    }
    if !target.starts_with("${") {
        return Err(format!(
            "attribute {} is missing an opening brace",
            quote(target)
        ));
    }
    if !target.ends_with('}') {
        return Err(format!(
            "attribute {} is missing a closing brace",
            quote(target)
        ));
    }
    const EXACT: [&str; 5] = [
        "${node.unique.id}",
        "${node.datacenter}",
        "${node.unique.name}",
        "${node.class}",
        "${node.pool}",
    ];
    const PREFIXES: [&str; 3] = ["${attr.", "${device.", "${meta."];
    if EXACT.contains(&target) || PREFIXES.iter().any(|p| target.starts_with(p)) {
        Ok(())
    } else {
        Err(format!("unsupported attribute {}", quote(target)))
    }
}

/// go-version's operators and version syntax, for the `version` operand.
const VERSION_OPERATORS: &str = r"=|!=|>|<|>=|=>|<=|=<|~>";
const VERSION_RE: &str = r"v?([0-9]+(\.[0-9]+)*?)(-([0-9]+[0-9A-Za-z\-~]*(\.[0-9A-Za-z\-~]+)*)|(-?([A-Za-z\-~]+[0-9A-Za-z\-~]*(\.[0-9A-Za-z\-~]+)*)))?(\+([0-9A-Za-z\-~]+(\.[0-9A-Za-z\-~]+)*))?";
/// Nomad's semver constraints: no pessimistic operator, at most three segments.
const SEMVER_OPERATORS: &str = r"=|!=|>|<|>=|<=";
const SEMVER_RE: &str = r"v?([0-9]+(\.[0-9]+){0,2})(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";

/// Checks a comma-separated constraint list such as `>= 1.2, < 2`; the error names the first
/// malformed part, as go-version does.
fn check_version_constraint(text: &str, operators: &str, version: &str) -> Result<(), String> {
    let pattern = format!(r"^\s*({operators})?\s*({version})\s*$");
    let re = regex::Regex::new(&pattern).expect("constant pattern");
    match text.split(',').find(|part| !re.is_match(part)) {
        Some(part) => Err(format!("Malformed constraint: {part}")),
        None => Ok(()),
    }
}

fn affinity_errors(a: &Affinity) -> Vec<String> {
    let mut out = Vec::new();
    if a.operand.is_empty() {
        out.push("Missing affinity operand".to_string());
    }
    match a.operand.as_str() {
        constraint::operand::SET_CONTAINS
        | constraint::operand::SET_CONTAINS_ALL
        | constraint::operand::SET_CONTAINS_ANY => {
            if a.r_target.is_empty() {
                out.push("Set contains operators require an RTarget".to_string());
            }
        }
        constraint::operand::REGEX => {
            if let Err(e) = regex::Regex::new(&a.r_target) {
                out.push(regex_error(&a.r_target, &e));
            }
        }
        constraint::operand::VERSION => {
            if let Err(e) = check_version_constraint(&a.r_target, VERSION_OPERATORS, VERSION_RE) {
                out.push(format!("Version affinity is invalid: {e}"));
            }
        }
        constraint::operand::SEMVER => {
            if let Err(e) = check_version_constraint(&a.r_target, SEMVER_OPERATORS, SEMVER_RE) {
                out.push(format!("Semver affinity is invalid: {e}"));
            }
        }
        op if COMPARISONS.contains(&op) => {
            if a.r_target.is_empty() {
                out.push(format!("Operator {} requires an RTarget", quote(op)));
            }
        }
        op => out.push(format!("Unknown affinity operator {}", quote(op))),
    }
    if a.l_target.is_empty() {
        out.push("No LTarget provided but is required".to_string());
    }
    if a.weight == 0 {
        out.push("Affinity weight cannot be zero".to_string());
    }
    if !(-100..=100).contains(&a.weight) {
        out.push("Affinity weight must be within the range [-100,100]".to_string());
    }
    out
}

fn spread_errors(s: &Spread) -> Vec<String> {
    let mut out = Vec::new();
    if s.attribute.is_empty() {
        out.push("Missing spread attribute".to_string());
    }
    if s.weight <= 0 || s.weight > 100 {
        out.push("Spread block must have a positive weight from 0 to 100".to_string());
    }
    let mut seen = BTreeSet::new();
    let mut sum = 0u64;
    for target in &s.spread_target {
        if !seen.insert(&target.value) {
            out.push(format!(
                "Spread target value {} already defined",
                quote(&target.value)
            ));
        }
        if target.percent > 100 {
            out.push(format!(
                "Spread target percentage for value {} must be between 0 and 100",
                quote(&target.value)
            ));
        }
        sum += u64::from(target.percent);
    }
    if sum > 100 {
        out.push(format!(
            "Sum of spread target percentages must not be greater than 100%; got {sum}%"
        ));
    }
    out
}

fn group_errors(tg: &TaskGroup, job: &Job) -> Vec<String> {
    let mut out = Vec::new();
    let job_type_name = job.job_type.as_str();
    if tg.name.is_empty() {
        out.push("Missing task group name".to_string());
    } else if tg.name.contains('\0') {
        out.push("Task group name contains null character".to_string());
    }
    if tg.count < 0 {
        out.push("Task group count can't be negative".to_string());
    }
    if tg.tasks.is_empty() {
        out.push("Missing tasks for task group".to_string());
    }
    if let Some(disconnect) = &tg.disconnect {
        out.extend(disconnect_errors(disconnect, job_type_name));
    }
    if let Some(max_run) = tg.max_run_duration {
        if max_run <= 0 {
            out.push("MaxRunDuration must be greater than zero".to_string());
        }
        if !is_batch_like(job_type_name) {
            out.push(format!(
                "Job type {} does not allow max_run_duration",
                quote(job_type_name)
            ));
        }
    }
    constraint_list_errors(&mut out, &tg.constraints);
    affinity_list_errors(&mut out, job, &tg.affinities);
    match &tg.restart_policy {
        Some(restart) => out.extend(restart_errors(restart)),
        None => out.push(format!(
            "Task Group {} should have a restart policy",
            tg.name
        )),
    }
    spread_list_errors(&mut out, job, &tg.spreads);

    if job_type_name == job_type::SYSTEM || job_type_name == job_type::SYSBATCH {
        if tg.reschedule_policy.is_some() {
            out.push("System or sysbatch jobs should not have a reschedule policy".to_string());
        }
    } else {
        match &tg.reschedule_policy {
            Some(reschedule) => out.extend(reschedule_errors(reschedule)),
            None => out.push(format!(
                "Task Group {} should have a reschedule policy",
                tg.name
            )),
        }
    }
    match &tg.ephemeral_disk {
        Some(disk) if disk.size_mb < 10 => {
            out.push(format!("minimum DiskMB value is 10; got {}", disk.size_mb))
        }
        Some(_) => {}
        None => out.push(format!(
            "Task Group {} should have an ephemeral disk object",
            tg.name
        )),
    }
    if let Some(update) = &tg.update {
        if job_type_name != job_type::SERVICE && job_type_name != job_type::SYSTEM {
            out.push(format!(
                "Job type {} does not allow update block",
                quote(job_type_name)
            ));
        }
        out.extend(update_errors(update));
    }
    if let Some(migrate) = &tg.migrate {
        if job_type_name == job_type::SERVICE {
            out.extend(migrate_errors(migrate));
        } else {
            out.push(format!(
                "Job type {} does not allow migrate block",
                quote(job_type_name)
            ));
        }
    }

    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, task) in tg.tasks.iter().enumerate() {
        if task.name.is_empty() {
            out.push(format!("Task {} missing name", index + 1));
        } else if let Some(first) = seen.get(task.name.as_str()) {
            out.push(format!(
                "Task {} redefines '{}' from task {}",
                index + 1,
                task.name,
                first + 1
            ));
        } else {
            seen.insert(&task.name, index);
        }
    }
    if tg.tasks.iter().filter(|t| t.leader).count() > 1 {
        out.push("Only one task may be marked as leader".to_string());
    }
    if !tg.tasks.is_empty() && !tg.tasks.iter().any(Task::is_main) {
        out.push(format!(
            "Task group {} must have at least one main task",
            tg.name
        ));
    }
    let canaries = tg.update.as_ref().and_then(|u| u.canary).unwrap_or(0);
    for (name, volume) in &tg.volumes {
        let errors = volume_errors(volume, job_type_name, tg.count, canaries);
        let prefix = format!("Task group volume validation for {name} failed: ");
        match errors.as_slice() {
            // Nomad returns an unknown type as a plain error, not a list.
            [single] if single.starts_with("volume has unrecognized type") => {
                out.push(format!("{prefix}{single}"));
            }
            _ => push_nested(&mut out, &prefix, errors),
        }
    }
    push_nested(
        &mut out,
        "Task group network validation failed: ",
        network_errors(tg),
    );
    push_nested(
        &mut out,
        "Task group service validation failed: ",
        group_service_errors(tg),
    );
    push_nested(
        &mut out,
        "Task group service check validation failed: ",
        script_check_errors(tg),
    );
    push_nested(
        &mut out,
        "Task group scaling policy validation failed: ",
        scaling_errors(tg, job),
    );
    for task in &tg.tasks {
        let prefix = format!("Task {} validation failed: ", task.name);
        push_nested(&mut out, &prefix, task_errors(task, tg, job));
    }
    out
}

fn disconnect_errors(d: &DisconnectStrategy, job_type_name: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(stop_after) = d.stop_on_client_after {
        if stop_after < 0 {
            out.push("stop_after cannot be a negative duration".to_string());
        }
        if job_type_name != job_type::SERVICE && job_type_name != job_type::BATCH {
            out.push("stop_after can only be used with service or batch job types".to_string());
        }
    }
    if d.lost_after < 0 {
        out.push("lost_after cannot be a negative duration".to_string());
    }
    if d.stop_on_client_after.is_some() && d.lost_after != 0 {
        out.push("Disconnect cannot be configured with both lost_after and stop_after".to_string());
    }
    match d.reconcile.as_str() {
        ""
        | group::reconcile::BEST_SCORE
        | group::reconcile::LONGEST_RUNNING
        | group::reconcile::KEEP_ORIGINAL
        | group::reconcile::KEEP_REPLACEMENT => {}
        other => out.push(format!("reconcile option is invalid: {other}")),
    }
    out
}

fn restart_errors(r: &RestartPolicy) -> Vec<String> {
    let mut out = Vec::new();
    let mode = r.mode.as_deref().unwrap_or_default();
    let attempts = r.attempts.unwrap_or(0);
    let interval = r.interval.unwrap_or(0);
    let delay = r.delay.unwrap_or(0);
    if mode != group::restart_mode::DELAY && mode != group::restart_mode::FAIL {
        out.push(format!("Unsupported restart mode: {}", quote(mode)));
    }
    if attempts == 0 && mode != group::restart_mode::FAIL {
        out.push(format!(
            "Restart policy {} with {attempts} attempts is ambiguous",
            quote(mode)
        ));
    }
    if interval < 5 * SECOND {
        out.push(format!(
            "Interval can not be less than 5s (got {})",
            duration(interval)
        ));
    }
    if attempts.saturating_mul(delay) > interval {
        out.push(format!(
            "Nomad can't restart the TaskGroup {attempts} times in an interval of {} with a delay of {}",
            duration(interval),
            duration(delay)
        ));
    }
    out
}

const MIN_RESCHEDULE_DELAY: Nanos = 5 * SECOND;
const MIN_RESCHEDULE_INTERVAL: Nanos = 15 * SECOND;

/// The same policy with every unset field read as Go's zero value.
struct Reschedule<'a> {
    attempts: i64,
    interval: Nanos,
    delay: Nanos,
    function: &'a str,
    max_delay: Nanos,
    unlimited: bool,
}

fn reschedule_errors(policy: &ReschedulePolicy) -> Vec<String> {
    let r = Reschedule {
        attempts: policy.attempts.unwrap_or(0),
        interval: policy.interval.unwrap_or(0),
        delay: policy.delay.unwrap_or(0),
        function: policy.delay_function.as_deref().unwrap_or_default(),
        max_delay: policy.max_delay.unwrap_or(0),
        unlimited: policy.unlimited.unwrap_or(false),
    };
    let mut out = Vec::new();
    if !(r.attempts > 0 || r.unlimited) {
        return out;
    }
    if r.attempts > 0 {
        if r.interval <= 0 {
            out.push("Interval must be a non zero value if Attempts > 0".to_string());
        }
        if r.unlimited {
            out.push(format!(
                "Reschedule Policy with Attempts = {}, Interval = {}, and Unlimited = true is ambiguous",
                r.attempts,
                duration(r.interval)
            ));
            out.push("If Attempts >0, Unlimited cannot also be set to true".to_string());
        }
    }
    let mut delays_valid = true;
    if r.delay < MIN_RESCHEDULE_DELAY {
        out.push(format!(
            "Delay cannot be less than 5s (got {})",
            duration(r.delay)
        ));
        delays_valid = false;
    }
    if ![
        group::delay_function::CONSTANT,
        group::delay_function::EXPONENTIAL,
        group::delay_function::FIBONACCI,
    ]
    .contains(&r.function)
    {
        out.push(format!(
            "Invalid delay function {}, must be one of [\"constant\" \"exponential\" \"fibonacci\"]",
            quote(r.function)
        ));
        delays_valid = false;
    }
    if r.function != group::delay_function::CONSTANT {
        if r.max_delay < MIN_RESCHEDULE_DELAY {
            // Nomad prints the delay here, not the maximum.
            out.push(format!(
                "Max Delay cannot be less than 5s (got {})",
                duration(r.delay)
            ));
            delays_valid = false;
        }
        if r.max_delay < r.delay {
            out.push(format!(
                "Max Delay cannot be less than Delay {} (got {})",
                duration(r.delay),
                duration(r.max_delay)
            ));
            delays_valid = false;
        }
    }
    if !r.unlimited {
        if r.interval < MIN_RESCHEDULE_INTERVAL {
            out.push(format!(
                "Interval cannot be less than 15s (got {})",
                duration(r.interval)
            ));
        }
        if delays_valid {
            out.extend(viability_errors(&r));
        }
    }
    out
}

/// Whether the attempts fit in the interval given the delay progression; Nomad's
/// `viableAttempts`, computed without materializing one slot per attempt.
fn viability_errors(r: &Reschedule) -> Vec<String> {
    let (possible, recommended) = match r.function {
        group::delay_function::CONSTANT => {
            let recommended = r.attempts.saturating_mul(r.delay);
            if r.interval >= recommended {
                return Vec::new();
            }
            (r.interval / r.delay, recommended)
        }
        group::delay_function::EXPONENTIAL => {
            let (possible, recommended) = exponential_attempts(r);
            if possible >= r.attempts {
                return Vec::new();
            }
            (possible, recommended)
        }
        _ => {
            let (possible, recommended) = fibonacci_attempts(r);
            if r.interval >= recommended {
                return Vec::new();
            }
            (possible, recommended)
        }
    };
    let first = if r.function == group::delay_function::CONSTANT {
        format!(
            "Nomad can only make {possible} attempts in {} with initial delay {} and delay function {}",
            duration(r.interval),
            duration(r.delay),
            quote(r.function)
        )
    } else {
        format!(
            "Nomad can only make {possible} attempts in {} with initial delay {}, delay function {}, and delay ceiling {}",
            duration(r.interval),
            duration(r.delay),
            quote(r.function),
            duration(r.max_delay)
        )
    };
    vec![
        first,
        format!(
            "Set the interval to at least {} to accommodate {} attempts",
            duration(round_to_second(recommended)),
            r.attempts
        ),
    ]
}

/// Delays double until they reach the ceiling, then each attempt adds the ceiling.
fn exponential_attempts(r: &Reschedule) -> (i64, Nanos) {
    let mut recommended: Nanos = 0;
    let mut possible = 0;
    for i in 0..r.attempts {
        let next = 1i64
            .checked_shl(i as u32)
            .filter(|_| i < 63)
            .map_or(Nanos::MAX, |factor| factor.saturating_mul(r.delay));
        // A saturated delay counts as capped, so a huge ceiling cannot make this loop long.
        if next > r.max_delay || next == Nanos::MAX {
            // From here on every attempt adds the ceiling.
            let remaining = r.attempts - i;
            let room = r.interval.saturating_sub(recommended).saturating_sub(1);
            if r.interval > recommended {
                possible += remaining.min(room / r.max_delay);
            }
            recommended = recommended.saturating_add(remaining.saturating_mul(r.max_delay));
            break;
        }
        recommended = next;
        if recommended < r.interval {
            possible += 1;
        }
    }
    (possible, recommended)
}

/// Delays follow the Fibonacci sequence (two initial delays) until the ceiling, then grow by
/// the ceiling each attempt.
fn fibonacci_attempts(r: &Reschedule) -> (i64, Nanos) {
    let slots = r.attempts.max(2);
    let mut values = vec![r.delay, r.delay];
    let mut capped_at = None;
    while (values.len() as i64) < slots && capped_at.is_none() {
        let n = values.len();
        let next = values[n - 1].saturating_add(values[n - 2]);
        if next > r.max_delay || next == Nanos::MAX {
            values.push(r.max_delay);
            capped_at = Some(n as i64);
        } else {
            values.push(next);
        }
    }
    // Slot i at or after the cap c is (i - c + 1) * ceiling.
    let slot = |i: i64| match capped_at {
        Some(c) if i > c => (i - c + 1).saturating_mul(r.max_delay),
        _ => values[i as usize],
    };
    let recommended = slot(slots - 1);
    let possible = match values.iter().position(|&v| v > r.interval) {
        Some(index) => index as i64,
        None if r.interval >= recommended => r.attempts,
        None => {
            let c = capped_at.unwrap_or(slots - 1);
            c + r.interval / r.max_delay.max(1)
        }
    };
    (possible, recommended)
}

/// Go's `Duration.Round(time.Second)`: halves round away from zero.
fn round_to_second(nanos: Nanos) -> Nanos {
    let rem = nanos % SECOND;
    let truncated = nanos - rem;
    if rem.abs() * 2 >= SECOND {
        truncated.saturating_add(SECOND * nanos.signum())
    } else {
        truncated
    }
}

fn update_errors(u: &UpdateStrategy) -> Vec<String> {
    let mut out = Vec::new();
    let health = u.health_check.as_deref().unwrap_or_default();
    let max_parallel = u.max_parallel.unwrap_or(0);
    let canary = u.canary.unwrap_or(0);
    let min_healthy = u.min_healthy_time.unwrap_or(0);
    let healthy_deadline = u.healthy_deadline.unwrap_or(0);
    let progress_deadline = u.progress_deadline.unwrap_or(0);
    let stagger = u.stagger.unwrap_or(0);
    if ![
        health_check::CHECKS,
        health_check::TASK_STATES,
        health_check::MANUAL,
    ]
    .contains(&health)
    {
        out.push(format!("Invalid health check given: {}", quote(health)));
    }
    if max_parallel < 0 {
        out.push(format!(
            "Max parallel can not be less than zero: {max_parallel} < 0"
        ));
    }
    if canary < 0 {
        out.push(format!(
            "Canary count can not be less than zero: {canary} < 0"
        ));
    }
    if canary == 0 && u.auto_promote.unwrap_or(false) {
        out.push("Auto Promote requires a Canary count greater than zero".to_string());
    }
    if min_healthy < 0 {
        out.push(format!(
            "Minimum healthy time may not be less than zero: {}",
            duration(min_healthy)
        ));
    }
    if healthy_deadline <= 0 {
        out.push(format!(
            "Healthy deadline must be greater than zero: {}",
            duration(healthy_deadline)
        ));
    }
    if progress_deadline < 0 {
        out.push(format!(
            "Progress deadline must be zero or greater: {}",
            duration(progress_deadline)
        ));
    }
    if min_healthy >= healthy_deadline {
        out.push(format!(
            "Minimum healthy time must be less than healthy deadline: {} > {}",
            duration(min_healthy),
            duration(healthy_deadline)
        ));
    }
    if progress_deadline != 0 && healthy_deadline >= progress_deadline {
        out.push(format!(
            "Healthy deadline must be less than progress deadline: {} > {}",
            duration(healthy_deadline),
            duration(progress_deadline)
        ));
    }
    if stagger <= 0 {
        out.push(format!(
            "Stagger must be greater than zero: {}",
            duration(stagger)
        ));
    }
    out
}

fn migrate_errors(m: &MigrateStrategy) -> Vec<String> {
    let mut out = Vec::new();
    let max_parallel = m.max_parallel.unwrap_or(0);
    let min_healthy = m.min_healthy_time.unwrap_or(0);
    let healthy_deadline = m.healthy_deadline.unwrap_or(0);
    if max_parallel < 0 {
        out.push(format!("MaxParallel must be >= 0 but found {max_parallel}"));
    }
    match m.health_check.as_deref().unwrap_or_default() {
        health_check::CHECKS | health_check::TASK_STATES => {}
        "" => {
            if max_parallel > 0 {
                out.push("Missing HealthCheck".to_string());
            }
        }
        other => out.push(format!("Invalid HealthCheck: {}", quote(other))),
    }
    if min_healthy < 0 {
        out.push(format!(
            "MinHealthyTime is {} and must be >= 0",
            duration(min_healthy)
        ));
    }
    if healthy_deadline < 0 {
        out.push(format!(
            "HealthyDeadline is {} and must be >= 0",
            duration(healthy_deadline)
        ));
    }
    if min_healthy > healthy_deadline {
        out.push("MinHealthyTime must be less than HealthyDeadline".to_string());
    }
    out
}

fn volume_errors(v: &VolumeRequest, job_type_name: &str, count: i64, canaries: i64) -> Vec<String> {
    use group::volume_type;
    if v.volume_type != volume_type::HOST && v.volume_type != volume_type::CSI {
        return vec![format!("volume has unrecognized type {}", v.volume_type)];
    }
    let mut out = Vec::new();
    if v.source.is_empty() {
        out.push("volume has an empty source".to_string());
    }
    if v.per_alloc {
        if job_type_name == job_type::SYSTEM || job_type_name == job_type::SYSBATCH {
            out.push("volume cannot be per_alloc for system or sysbatch jobs".to_string());
        }
        if canaries > 0 {
            out.push("volume cannot be per_alloc when canaries are in use".to_string());
        }
        if v.sticky {
            out.push("volume cannot be per_alloc and sticky at the same time".to_string());
        }
    }
    let mode = v.access_mode.as_str();
    let read_only_mode = |out: &mut Vec<String>| {
        if !v.read_only {
            out.push(format!("{mode} volumes must be read-only"));
        }
    };
    let shared = count > 1 && !v.per_alloc;
    if v.volume_type == volume_type::HOST {
        if v.mount_options.is_some() {
            out.push("host volumes cannot have mount options".to_string());
        }
        match mode {
            "single-node-reader-only" => read_only_mode(&mut out),
            ""
            | "single-node-writer"
            | "single-node-single-writer"
            | "single-node-multi-writer" => {}
            _ => out.push(format!(
                "host volumes cannot be mounted with {mode} access mode"
            )),
        }
        return out;
    }
    match v.attachment_mode.as_str() {
        "" => out.push("CSI volumes must have an attachment mode".to_string()),
        "block-device" if v.mount_options.is_some() => {
            out.push("block devices cannot have mount options".to_string());
        }
        _ => {}
    }
    match mode {
        "" => out.push("CSI volumes must have an access mode".to_string()),
        "single-node-reader-only" => {
            read_only_mode(&mut out);
            if shared {
                out.push(format!(
                    "volume with {mode} access mode allows only one reader"
                ));
            }
        }
        "single-node-writer" if shared => out.push(format!(
            "volume with {mode} access mode allows only one reader or writer"
        )),
        "multi-node-reader-only" => read_only_mode(&mut out),
        "multi-node-single-writer" if !v.read_only && shared => out.push(format!(
            "volume with {mode} access mode allows only one writer"
        )),
        _ => {}
    }
    out
}

/// Nomad's `validateNetworks`: port labels unique across the group's and the tasks' networks,
/// static ports unique per host network, port ranges.
fn network_errors(tg: &TaskGroup) -> Vec<String> {
    const MAX_PORT: i64 = 65535;
    let mut out = Vec::new();
    let mut labels: BTreeMap<&str, String> = BTreeMap::new();
    let mut static_ports: BTreeMap<(String, i64), String> = BTreeMap::new();
    let mut reserve =
        |out: &mut Vec<String>, port: &crate::Port, owner: String, may_collide: bool| {
            if port.value == 0 {
                return;
            }
            let host_network = if port.host_network.is_empty() {
                "default".to_string()
            } else {
                port.host_network.clone()
            };
            let key = (host_network, port.value);
            if let Some(other) = static_ports.get(&key) {
                if !may_collide {
                    out.push(format!(
                        "Static port {} already reserved by {other}",
                        port.value
                    ));
                }
            } else if port.value > MAX_PORT {
                out.push(format!(
                    "Port {} ({}) cannot be greater than {MAX_PORT}",
                    port.label, port.value
                ));
            } else {
                static_ports.insert(key, owner);
            }
        };
    for network in &tg.networks {
        for port in network.ports() {
            match labels.get(port.label.as_str()) {
                Some(other) => out.push(format!(
                    "Port label {} already in use by {other}",
                    port.label
                )),
                None => {
                    labels.insert(&port.label, "taskgroup network".to_string());
                }
            }
            let owner = format!("taskgroup network:{}", port.label);
            reserve(&mut out, port, owner, port.ignore_collision);
            if port.to < -1 {
                out.push(format!(
                    "Port {} cannot be mapped to negative value {}",
                    quote(&port.label),
                    port.to
                ));
            } else if port.to > MAX_PORT {
                out.push(format!(
                    "Port {} cannot be mapped to a port ({}) greater than {MAX_PORT}",
                    quote(&port.label),
                    port.to
                ));
            }
            if port.ignore_collision && !(network.mode.is_empty() || network.mode == "host") {
                out.push(format!(
                    "Port {} collision may not be ignored on non-host network mode {}",
                    quote(&port.label),
                    quote(&network.mode)
                ));
            }
        }
        if !network.hostname.is_empty()
            && !network.hostname.contains("${")
            && !is_domain_name(&network.hostname)
        {
            out.push("Hostname is not a valid DNS name".to_string());
        }
    }
    for task in &tg.tasks {
        let Some(resources) = &task.resources else {
            continue;
        };
        for port in resources.networks.iter().flat_map(NetworkResource::ports) {
            if let Some(other) = labels.get(port.label.as_str()) {
                out.push(format!(
                    "Port label {} already in use by {other}",
                    port.label
                ));
            }
            let owner = format!("{}:{}", task.name, port.label);
            reserve(&mut out, port, owner, false);
        }
    }
    out
}

/// A DNS name as miekg/dns accepts it: non-empty labels of at most 63 bytes, at most 255 bytes.
fn is_domain_name(name: &str) -> bool {
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    !trimmed.is_empty()
        && name.len() <= 255
        && trimmed
            .split('.')
            .all(|label| !label.is_empty() && label.len() <= 63)
}

/// Nomad's group-level `validateServices`: task services name their own task, services are
/// unique per (name, task, port), one provider per group, group services and their checks.
fn group_service_errors(tg: &TaskGroup) -> Vec<String> {
    let mut out = Vec::new();
    let mut ids = BTreeSet::new();
    let mut duplicates = BTreeSet::new();
    let mut providers = BTreeSet::new();
    let task_names: BTreeSet<&str> = tg.tasks.iter().map(|t| t.name.as_str()).collect();
    for task in &tg.tasks {
        for service in &task.services {
            if !service.task_name.is_empty() && service.task_name != task.name {
                out.push(format!(
                    "Service {} is invalid: may only specify task the service belongs to, got {}",
                    service.name,
                    quote(&service.task_name)
                ));
            }
            for check in &service.checks {
                if !check.task_name.is_empty() && check.task_name != task.name {
                    out.push(format!(
                        "Check {} is invalid: may only specify task the check belongs to, got {}",
                        check.name,
                        quote(&check.task_name)
                    ));
                }
            }
            let id = (
                service.name.clone(),
                task.name.clone(),
                service.port_label.clone(),
            );
            if !ids.insert(id.clone()) {
                duplicates.insert(id);
            }
            providers.insert(service.provider.as_str());
        }
    }
    for (index, service) in tg.services.iter().enumerate() {
        let id = (
            service.name.clone(),
            "group".to_string(),
            service.port_label.clone(),
        );
        if !ids.insert(id.clone()) {
            duplicates.insert(id);
        }
        providers.insert(service.provider.as_str());
        let errors = service_errors(service);
        if !errors.is_empty() {
            out.push(format!(
                "Service[{index}] {} validation failed: {}",
                service.name,
                multierror(&errors)
            ));
            continue;
        }
        if service.address_mode == "driver" {
            out.push(format!(
                "service {} cannot use address_mode=\"driver\", only services defined in a \"task\" block can use this mode",
                quote(&service.name)
            ));
        }
        for check in service.checks.iter().filter(|c| !c.task_name.is_empty()) {
            if check.address_mode == "driver" {
                out.push(format!(
                    "Check {} invalid: cannot use address_mode=\"driver\", only checks defined in a \"task\" service block can use this mode",
                    quote(&service.name)
                ));
            }
            if !task_names.contains(check.task_name.as_str()) {
                out.push(format!(
                    "Check {} invalid: refers to non-existent task {}",
                    check.name, check.task_name
                ));
            }
        }
    }
    if !duplicates.is_empty() {
        let names: Vec<String> = duplicates
            .iter()
            .map(|(name, task, port)| {
                if port.is_empty() {
                    format!("{task}->{name}")
                } else {
                    format!("{task}->{name}:{port}")
                }
            })
            .collect();
        out.push(format!("Services are not unique: {}", list(&names)));
    }
    if providers.len() > 1 {
        out.push(
            "Multiple service providers used: task group services must use the same provider"
                .to_string(),
        );
    }
    out
}

fn script_check_errors(tg: &TaskGroup) -> Vec<String> {
    let mut out = Vec::new();
    for service in tg.services.iter().filter(|s| s.task_name.is_empty()) {
        for check in &service.checks {
            if check.check_type == "script" && check.task_name.is_empty() {
                out.push(format!(
                    "Service [{}]->{} or Check {} must specify task parameter",
                    tg.name, service.name, check.name
                ));
            }
        }
    }
    out
}

fn scaling_errors(tg: &TaskGroup, job: &Job) -> Vec<String> {
    let Some(policy) = &tg.scaling else {
        return Vec::new();
    };
    let min = policy.min.unwrap_or(0);
    let max = policy.max.unwrap_or(0);
    let mut policy_errors = Vec::new();
    if policy.policy_type.is_empty() {
        policy_errors.push("missing scaling policy type".to_string());
    }
    if max < 0 {
        policy_errors.push("maximum count must be specified and non-negative".to_string());
    } else if max < min {
        policy_errors.push("maximum count must not be less than minimum count".to_string());
    }
    if min < 0 {
        policy_errors.push("minimum count must be specified and non-negative".to_string());
    }
    let mut out: Vec<String> = policy_errors
        .into_iter()
        .map(|e| format!("Scaling policy invalid: {e}"))
        .collect();
    if max < tg.count {
        out.push(
            "Scaling policy invalid: task group count must not be greater than maximum count in scaling policy"
                .to_string(),
        );
    }
    let multiregion_exception =
        job.is_multiregion() && tg.count == 0 && job.region == crate::job::DEFAULT_REGION;
    if tg.count < min && !multiregion_exception {
        out.push(
            "Scaling policy invalid: task group count must not be less than minimum count in scaling policy"
                .to_string(),
        );
    }
    out
}

fn task_errors(task: &Task, tg: &TaskGroup, job: &Job) -> Vec<String> {
    let mut out = Vec::new();
    if task.name.is_empty() {
        out.push("Missing task name".to_string());
    }
    if task.name == "alloc" {
        out.push("Task cannot be named \"alloc\"".to_string());
    }
    if task.name.contains(['/', '\\']) {
        out.push("Task name cannot include slashes".to_string());
    } else if task.name.contains('\0') {
        out.push("Task name cannot include null characters".to_string());
    }
    if task.driver.is_empty() {
        out.push("Missing task driver".to_string());
    }
    if task.kill_timeout < 0 {
        out.push("KillTimeout must be a positive value".to_string());
    } else {
        let progress_deadline = tg
            .update
            .as_ref()
            .and_then(|u| u.progress_deadline)
            .unwrap_or(0);
        if job.job_type == job_type::SERVICE
            && progress_deadline > 0
            && task.kill_timeout > progress_deadline
        {
            // "KillTimout" is Nomad's spelling.
            out.push(format!(
                "KillTimout ({}) longer than the group's ProgressDeadline ({})",
                duration(task.kill_timeout),
                duration(progress_deadline)
            ));
        }
    }
    if task.shutdown_delay < 0 {
        out.push("ShutdownDelay must be a positive value".to_string());
    }
    match &task.resources {
        None => out.push("Missing task resources".to_string()),
        Some(resources) => push_nested(&mut out, "", resource_errors(resources)),
    }
    match &task.log_config {
        None => out.push("Missing Log Config".to_string()),
        Some(log) => push_nested(&mut out, "", log_errors(log, tg)),
    }
    for (index, c) in task.constraints.iter().enumerate() {
        let prefix = format!("Constraint {} validation failed: ", index + 1);
        push_nested(&mut out, &prefix, constraint_errors(c));
        if c.operand == constraint::operand::DISTINCT_HOSTS
            || c.operand == constraint::operand::DISTINCT_PROPERTY
        {
            out.push(format!(
                "Constraint {} has disallowed Operand at task level: {}",
                index + 1,
                c.operand
            ));
        }
    }
    affinity_list_errors(&mut out, job, &task.affinities);
    push_nested(&mut out, "", task_service_errors(task, tg));
    for (index, artifact) in task.artifacts.iter().enumerate() {
        let prefix = format!("Artifact {} validation failed: ", index + 1);
        push_nested(&mut out, &prefix, artifact_errors(artifact));
    }
    let mut destinations: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, template) in task.templates.iter().enumerate() {
        let prefix = format!("Template {} validation failed: ", index + 1);
        push_nested(&mut out, &prefix, template_errors(template));
        if let Some(other) = destinations.get(template.dest_path.as_str()) {
            out.push(format!(
                "Template {} has same destination as {other}",
                index + 1
            ));
        } else {
            destinations.insert(&template.dest_path, index + 1);
        }
    }
    if let Some(payload) = &task.dispatch_payload
        && escapes_alloc_dir("task/local/", &payload.file)
    {
        out.push(
            "Dispatch Payload validation failed: destination escapes allocation directory"
                .to_string(),
        );
    }
    if let Some(lifecycle) = &task.lifecycle {
        match lifecycle.hook.as_str() {
            crate::task::lifecycle_hook::PRESTART
            | crate::task::lifecycle_hook::POSTSTART
            | crate::task::lifecycle_hook::POSTSTOP => {}
            "" => out.push("Lifecycle validation failed: no lifecycle hook provided".to_string()),
            other => out.push(format!(
                "Lifecycle validation failed: invalid hook: {other}"
            )),
        }
    }
    for (index, mount) in task.volume_mounts.iter().enumerate() {
        if !tg.volumes.contains_key(&mount.volume) {
            out.push(format!(
                "Volume Mount ({index}) references undefined volume {}",
                mount.volume
            ));
        }
    }
    let mut secrets = BTreeSet::new();
    for secret in &task.secrets {
        if !secrets.insert(&secret.name) {
            out.push(format!("Duplicate secret {} found", quote(&secret.name)));
        }
        if secret.provider == "vault" && task.vault.is_none() {
            out.push(format!(
                "Secret {} has provider \"vault\" but no vault block",
                quote(&secret.name)
            ));
        }
    }
    out
}

fn resource_errors(r: &Resources) -> Vec<String> {
    let mut out = Vec::new();
    if r.cores > 0 && r.cpu > 0 {
        out.push("Task can only ask for 'cpu' or 'cores' resource, not both.".to_string());
    }
    if r.cores < 0 {
        out.push(format!("cores value ({}) cannot be negative", r.cores));
    }
    let mut minimums = Vec::new();
    if r.cpu < 1 && r.cores == 0 {
        minimums.push(format!("minimum CPU value is 1; got {}", r.cpu));
    }
    if r.memory_mb < 10 {
        minimums.push(format!("minimum MemoryMB value is 10; got {}", r.memory_mb));
    }
    push_nested(&mut out, "", minimums);
    if r.disk_mb > 0 {
        out.push(
            "Task can't ask for disk resources, they have to be specified at the task group level."
                .to_string(),
        );
    }
    if r.memory_max_mb != 0 && r.memory_max_mb != -1 && r.memory_max_mb < r.memory_mb {
        out.push(format!(
            "MemoryMaxMB value ({}) should be larger than MemoryMB value ({})",
            r.memory_max_mb, r.memory_mb
        ));
    }
    if r.secrets_mb > r.memory_mb {
        out.push(format!(
            "SecretsMB value ({}) cannot be larger than MemoryMB value ({})",
            r.secrets_mb, r.memory_mb
        ));
    }
    if r.secrets_mb < 0 {
        out.push(format!(
            "SecretsMB value ({}) cannot be negative",
            r.secrets_mb
        ));
    }
    out
}

fn log_errors(log: &LogConfig, tg: &TaskGroup) -> Vec<String> {
    let mut out = Vec::new();
    if log.max_files < 1 {
        out.push(format!(
            "minimum number of files is 1; got {}",
            log.max_files
        ));
    }
    if log.max_file_size_mb < 1 {
        out.push(format!(
            "minimum file size is 1MB; got {}",
            log.max_file_size_mb
        ));
    }
    if let Some(disk) = &tg.ephemeral_disk {
        let usage = log.max_files.saturating_mul(log.max_file_size_mb);
        if disk.size_mb <= usage {
            out.push(format!(
                "log storage ({usage} MB) must be less than requested disk capacity ({} MB)",
                disk.size_mb
            ));
        }
    }
    out
}

/// Whether `path`, relative to `base` inside the allocation directory, leaves it.
fn escapes_alloc_dir(base: &str, path: &str) -> bool {
    if path.starts_with('/') {
        return false;
    }
    let mut depth: i64 = 0;
    for part in base.split('/').chain(path.split('/')) {
        match part {
            "" | "." => {}
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return true;
                }
            }
            _ => depth += 1,
        }
    }
    false
}

fn artifact_errors(a: &TaskArtifact) -> Vec<String> {
    let mut out = Vec::new();
    if a.getter_source.is_empty() {
        out.push("source must be specified".to_string());
    }
    match a.getter_mode.as_str() {
        "" | "any" | "file" | "dir" => {}
        other => out.push(format!(
            "invalid artifact mode {}; must be one of: any, file, dir",
            quote(other)
        )),
    }
    if escapes_alloc_dir("task", &a.relative_dest) {
        out.push("destination escapes allocation directory".to_string());
    }
    out
}

fn template_errors(t: &Template) -> Vec<String> {
    use crate::task::change_mode;
    let mut out = Vec::new();
    if t.source_path.is_empty() && t.embedded_tmpl.is_empty() {
        out.push("Must specify a source path or have an embedded template".to_string());
    }
    if t.dest_path.is_empty() {
        out.push("Must specify a destination for the template".to_string());
    }
    if escapes_alloc_dir("task", &t.dest_path) {
        out.push("destination escapes allocation directory".to_string());
    }
    match t.change_mode.as_str() {
        change_mode::NOOP | change_mode::RESTART => {}
        change_mode::SIGNAL => {
            if t.change_signal.is_empty() {
                out.push("Must specify signal value when change mode is signal".to_string());
            }
            if t.envvars {
                out.push("cannot use signals with env var templates".to_string());
            }
        }
        change_mode::SCRIPT => {
            if t.change_script.is_none() {
                out.push(
                    "must specify change script configuration value when change mode is script"
                        .to_string(),
                );
            }
        }
        _ => out.push(
            "change mode must be one of: \"noop\", \"restart\", \"signal\", \"script\"".to_string(),
        ),
    }
    if t.splay < 0 {
        out.push("Must specify positive splay value".to_string());
    }
    if !t.perms.is_empty() && u16::from_str_radix(&t.perms, 8).map_or(true, |p| p > 0o7777) {
        out.push(format!(
            "Failed to parse {} as octal: strconv.ParseUint: parsing {}: invalid syntax",
            quote(&t.perms),
            quote(&t.perms)
        ));
    }
    out
}

/// Nomad's task-level `validateServices`: each service valid, unique by name and port, checks
/// unique and with usable ports, and every referenced port label defined.
fn task_service_errors(task: &Task, tg: &TaskGroup) -> Vec<String> {
    let mut out = Vec::new();
    let mut service_ports: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut known = BTreeSet::new();
    for (index, service) in task.services.iter().enumerate() {
        let errors = service_errors(service);
        if !errors.is_empty() {
            out.push(format!(
                "service[{index}] {} validation failed: {}",
                quote(&service.name),
                multierror(&errors)
            ));
        }
        for mode in ["alloc", "alloc_ipv6"] {
            if service.address_mode == mode {
                out.push(format!(
                    "service {} cannot use address_mode=\"{mode}\", only services defined in a \"group\" block can use this mode",
                    quote(&service.name)
                ));
            }
        }
        if !known.insert(format!("{}{}", service.name, service.port_label)) {
            out.push(format!("service {} is duplicate", quote(&service.name)));
        }
        let numeric_port = service.port_label.parse::<i64>().is_ok();
        let driver_port = service.address_mode == "driver" && numeric_port;
        if !service.port_label.is_empty() && !driver_port {
            service_ports
                .entry(service.port_label.clone())
                .or_default()
                .insert(service.name.clone());
        }
        if service.connect.is_some() {
            out.push(format!(
                "service {} cannot have \"connect\" block, only services defined in a \"group\" block can",
                quote(&service.name)
            ));
        }
        let mut checks = BTreeSet::new();
        for check in &service.checks {
            if !checks.insert(&check.name) {
                out.push(format!("check {} is duplicate", quote(&check.name)));
            }
            for mode in ["alloc", "alloc_ipv6"] {
                if check.address_mode == mode {
                    out.push(format!(
                        "check {} cannot use address_mode=\"{mode}\", only checks defined in a \"group\" service block can use this mode",
                        quote(&service.name)
                    ));
                }
            }
            if !check_requires_port(check) {
                continue;
            }
            let port = if check.port_label.is_empty() {
                &service.port_label
            } else {
                &check.port_label
            };
            if port.is_empty() {
                out.push(format!("check {} is missing a port", quote(&check.name)));
                continue;
            }
            match port.parse::<i64>() {
                Ok(number) if check.address_mode == "driver" => {
                    if number <= 0 {
                        out.push(format!(
                            "check {} has invalid numeric port {number}",
                            quote(&check.name)
                        ));
                    }
                }
                Ok(number) => out.push(format!(
                    "check {} cannot use a numeric port {number} without setting address_mode=\"driver\"",
                    quote(&check.name)
                )),
                Err(_) => {
                    service_ports
                        .entry(port.clone())
                        .or_default()
                        .insert(service.name.clone());
                }
            }
        }
    }
    let mut labels: BTreeSet<&str> = BTreeSet::new();
    if let Some(network) = tg.networks.first() {
        labels.extend(network.ports().map(|p| p.label.as_str()));
    }
    if let Some(resources) = &task.resources {
        for network in &resources.networks {
            labels.extend(network.ports().map(|p| p.label.as_str()));
        }
    }
    for (label, services) in &service_ports {
        if !labels.contains(label.as_str()) {
            let names: Vec<&str> = services.iter().map(String::as_str).collect();
            out.push(format!(
                "port label {} referenced by services {} does not exist",
                quote(label),
                names.join(", ")
            ));
        }
    }
    out
}

fn check_requires_port(check: &ServiceCheck) -> bool {
    matches!(check.check_type.as_str(), "grpc" | "http" | "tcp")
}

/// Nomad's `Service.Validate`.
fn service_errors(service: &Service) -> Vec<String> {
    let mut out = Vec::new();
    if !is_valid_service_name(&service.name) {
        out.push(format!(
            "Service name must be valid per RFC 1123 and can contain only alphanumeric characters or dashes and must be no longer than 63 characters: {}",
            quote(&service.name)
        ));
    }
    match service.address_mode.as_str() {
        "" | "auto" => {}
        "host" | "driver" | "alloc" | "alloc_ipv6" => {
            if !service.address.is_empty() {
                out.push("Service address_mode must be \"auto\" if address is set".to_string());
            }
        }
        other => out.push(format!(
            "Service address_mode must be \"auto\", \"host\", or \"driver\"; not {}",
            quote(other)
        )),
    }
    match service.on_update.as_str() {
        "" | "ignore" | "require_healthy" | "ignore_warnings" => {}
        other => out.push(format!(
            "Service on_update must be \"require_healthy\", \"ignore_warnings\", or \"ignore\"; not {}",
            quote(other)
        )),
    }
    let provider = service.provider.as_str();
    if provider != service_provider::CONSUL && provider != service_provider::NOMAD {
        out.push(format!(
            "Service provider must be \"consul\", or \"nomad\"; not {}",
            quote(provider)
        ));
        return out;
    }
    for check in &service.checks {
        if service.port_label.is_empty()
            && check.port_label.is_empty()
            && check_requires_port(check)
        {
            out.push(format!(
                "Check {} invalid: check requires a port but neither check nor service {} have a port",
                check.name,
                quote(&service.name)
            ));
            continue;
        }
        if let Some(error) = check_error(check, provider) {
            if provider == service_provider::CONSUL {
                out.push(format!("Check {} invalid: {error}", check.name));
            } else {
                out.push(error);
            }
        }
    }
    if provider == service_provider::NOMAD && service.connect.is_some() {
        out.push("Service with provider nomad cannot include Connect blocks".to_string());
    }
    out
}

/// The name Nomad checks: `${...}` interpolations replaced by a placeholder first.
fn is_valid_service_name(name: &str) -> bool {
    let re = regex::Regex::new(r"\$\{[^}]*\}").expect("constant pattern");
    let stripped = re.replace_all(name, "ENV-VAR");
    let valid = regex::Regex::new(r"^(?i:[a-z0-9]|[a-z0-9][a-z0-9\-]{0,61}[a-z0-9])$")
        .expect("constant pattern");
    valid.is_match(&stripped)
}

/// The first problem of a check, as Nomad's check validators stop at the first.
fn check_error(check: &ServiceCheck, provider: &str) -> Option<String> {
    let check_type = check.check_type.to_lowercase();
    let allowed: &[&str] = if provider == service_provider::NOMAD {
        &["tcp", "http"]
    } else {
        &["grpc", "tcp", "http", "script"]
    };
    if !allowed.contains(&check_type.as_str()) {
        return Some(format!(
            "invalid check type ({}), must be one of {}",
            quote(&check_type),
            allowed.join(", ")
        ));
    }
    if check_type == "http" {
        if check.path.is_empty() {
            return Some("http type must have http path".to_string());
        }
        if check.path.contains("://") {
            return Some("http type must have relative http path".to_string());
        }
    }
    if check_type == "script" && check.command.is_empty() {
        return Some("script type must have a valid script path".to_string());
    }
    if check.interval == 0 {
        return Some(
            "missing required value interval. Interval cannot be less than 1s".to_string(),
        );
    }
    if check.interval < SECOND {
        return Some(format!(
            "interval ({}) cannot be lower than 1s",
            duration(check.interval)
        ));
    }
    if check.timeout == 0 {
        return Some("missing required value timeout. Timeout cannot be less than 1s".to_string());
    }
    if check.timeout < SECOND {
        return Some(format!(
            "timeout ({}) is lower than required minimum timeout 1s",
            duration(check.timeout)
        ));
    }
    match check.initial_status.as_str() {
        "" | "passing" | "warning" | "critical" => {}
        other => {
            return Some(format!(
                "invalid initial check state ({other}), must be one of \"passing\", \"warning\", \"critical\" or empty"
            ));
        }
    }
    match check.address_mode.as_str() {
        "" | "host" | "driver" | "alloc" | "alloc_ipv6" => {}
        "auto" => {
            return Some(
                "invalid address_mode \"auto\" - auto only valid for services".to_string(),
            );
        }
        other => return Some(format!("invalid address_mode {}", quote(other))),
    }
    match check.on_update.as_str() {
        "" | "ignore" | "require_healthy" | "ignore_warnings" => {}
        other => {
            return Some(format!(
                "on_update must be \"require_healthy\", \"ignore_warnings\", or \"ignore\"; got {}",
                quote(other)
            ));
        }
    }
    if let Some(restart) = &check.check_restart {
        if check.on_update == "ignore" {
            return Some(
                "on_update value \"ignore\" is not compatible with check_restart".to_string(),
            );
        }
        if !restart.ignore_warnings && check.on_update == "ignore_warnings" {
            return Some(
                "on_update value \"ignore_warnings\" not supported with check_restart ignore_warnings value \"false\""
                    .to_string(),
            );
        }
        let mut errors = Vec::new();
        if restart.limit < 0 {
            errors.push(format!(
                "limit must be greater than or equal to 0 but found {}",
                restart.limit
            ));
        }
        if restart.grace < 0 {
            errors.push(format!(
                "grace period must be greater than or equal to 0 but found {}",
                restart.grace
            ));
        }
        if !errors.is_empty() {
            return Some(multierror(&errors));
        }
    }
    if provider == service_provider::NOMAD {
        return nomad_check_error(check);
    }
    consul_check_error(check, &check_type)
}

fn nomad_check_error(check: &ServiceCheck) -> Option<String> {
    let consul_only = [
        (
            check.expose,
            "expose may only be set for Consul service checks",
        ),
        (
            check.on_update == "ignore_warnings",
            "on_update may only be set to ignore_warnings for Consul service checks",
        ),
        (
            check
                .check_restart
                .as_ref()
                .is_some_and(|r| r.ignore_warnings),
            "ignore_warnings on check_restart only supported for Consul service checks",
        ),
        (
            check.address_mode == "driver",
            "address_mode = driver may only be set for Consul service checks",
        ),
        (
            check.success_before_passing != 0,
            "success_before_passing may only be set for Consul service checks",
        ),
        (
            check.failures_before_critical != 0,
            "failures_before_critical may only be set for Consul service checks",
        ),
        (
            check.failures_before_warning != 0,
            "failures_before_warning may only be set for Consul service checks",
        ),
        (
            !check.tls_server_name.is_empty(),
            "tls_server_name may only be set for Consul service checks",
        ),
    ];
    consul_only
        .iter()
        .find(|(broken, _)| *broken)
        .map(|(_, message)| message.to_string())
}

fn consul_check_error(check: &ServiceCheck, check_type: &str) -> Option<String> {
    if check.expose && check_type != "grpc" && check_type != "http" {
        return Some("expose may only be set on HTTP or gRPC checks".to_string());
    }
    let pass_fail = ["tcp", "http", "grpc"].contains(&check.check_type.as_str());
    for (value, name) in [
        (check.success_before_passing, "success_before_passing"),
        (check.failures_before_critical, "failures_before_critical"),
        (check.failures_before_warning, "failures_before_warning"),
    ] {
        if value < 0 {
            return Some(format!("{name} must be non-negative"));
        }
        if value > 0 && !pass_fail {
            return Some(format!(
                "{name} not supported for check of type {}",
                quote(&check.check_type)
            ));
        }
    }
    if check.notes.len() > 255 {
        return Some("notes must not be longer than 255 characters".to_string());
    }
    None
}

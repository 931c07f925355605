//! A task group and its policies: restart, reschedule, update, migrate, disconnect, disk,
//! volumes, networks and scaling.

use std::collections::BTreeMap;

use super::placement::{affinity_list_errors, constraint_list_errors, spread_list_errors};
use super::service::{group_service_errors, script_check_errors};
use super::task::task_errors;
use super::{is_batch_like, push_nested};
use crate::gotext::{duration, quote};
use crate::job::{health_check, job_type};
use crate::{
    DisconnectStrategy, Job, MigrateStrategy, Nanos, NetworkResource, Port, ReschedulePolicy,
    RestartPolicy, SECOND, TaskGroup, UpdateStrategy, VolumeRequest, group,
};

pub(super) fn group_errors(tg: &TaskGroup, job: &Job) -> Vec<String> {
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
    if !tg.tasks.is_empty() && !tg.tasks.iter().any(|t| t.is_main()) {
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
    let mut reserve = |out: &mut Vec<String>, port: &Port, owner: String, may_collide: bool| {
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

//! `Job::canonicalize`: the defaults Nomad fills in before it validates and stores a job.
//!
//! A job submitted over HTTP goes through two layers in Nomad: the API layer (`api.Job`'s
//! canonicalizers, which fill unset fields and merge job-level blocks into groups and tasks) and
//! the server layer (`structs.Job.Canonicalize` plus the admission mutators). Both run here, in
//! that order, so the result is what Nomad stores. Every step only fills what is unset, so
//! canonicalizing twice changes nothing.
//!
//! Where Go tells "unset" from "zero" with a pointer, drover uses an `Option` when the zero is
//! meaningful (policy fields, count) and treats the zero as unset when it would be invalid
//! anyway (CPU, memory, disk and log sizes); docs/compat.md lists the difference.

use std::sync::Arc;

use smol_str::SmolStr;

use crate::job::{DEFAULT_NAMESPACE, DEFAULT_NODE_POOL, DEFAULT_REGION, JOB_DEFAULT_PRIORITY};
use crate::job::{PERIODIC_SPEC_CRON, dispatch_payload, health_check, job_type};
use crate::{
    CheckRestart, DisconnectStrategy, EphemeralDisk, HOUR, Job, LogConfig, MINUTE, MigrateStrategy,
    MultiregionStrategy, Nanos, NetworkResource, ReschedulePolicy, Resources, RestartPolicy,
    SECOND, ScalingPolicy, Service, Task, TaskArtifact, TaskGroup, Template, UpdateStrategy, group,
    service::service_provider,
};

const DEFAULT_KILL_TIMEOUT: Nanos = 5 * SECOND;
const DEFAULT_DISK_MB: i64 = 300;
const DEFAULT_CPU: i64 = 100;
const DEFAULT_MEMORY_MB: i64 = 300;
const DEFAULT_LOG_MAX_FILES: i64 = 10;
const DEFAULT_LOG_MAX_FILE_SIZE_MB: i64 = 10;

/// What groups and tasks need to know of their job while they are canonicalized.
struct JobContext {
    job_type: SmolStr,
    id: SmolStr,
    name: SmolStr,
    namespace: SmolStr,
    consul_namespace: SmolStr,
    update: Option<UpdateStrategy>,
    reschedule: Option<ReschedulePolicy>,
    migrate: Option<MigrateStrategy>,
}

impl Job {
    /// Fills in every default Nomad applies to a submitted job (both the API and the server
    /// layer), per job type. Idempotent.
    pub fn canonicalize(&mut self) {
        if self.name.is_empty() {
            self.name = self.id.clone();
        }
        fill_str(&mut self.namespace, DEFAULT_NAMESPACE);
        fill_str(&mut self.region, DEFAULT_REGION);
        fill_str(&mut self.job_type, job_type::SERVICE);
        fill_str(&mut self.node_pool, DEFAULT_NODE_POOL);
        if self.priority == 0 {
            self.priority = JOB_DEFAULT_PRIORITY;
        }
        if self.datacenters.is_empty() {
            self.datacenters = vec![SmolStr::new_static("*")];
        }

        let is_service_or_system =
            self.job_type == job_type::SERVICE || self.job_type == job_type::SYSTEM;
        let update = match self.update.take() {
            Some(update) => Some(update_with_defaults(update)),
            None if is_service_or_system => Some(update_with_defaults(UpdateStrategy::default())),
            None => None,
        };
        let context = JobContext {
            job_type: self.job_type.clone(),
            id: self.id.clone(),
            name: self.name.clone(),
            namespace: self.namespace.clone(),
            consul_namespace: self.consul_namespace.clone(),
            update,
            reschedule: self.reschedule.take(),
            migrate: self.migrate.take(),
        };
        for group in &mut self.task_groups {
            canonicalize_group(Arc::make_mut(group), &context);
        }
        // Nomad keeps only the rollout pace at job level once groups have their own copies.
        self.update = Some(job_level_update(context.update.as_ref()));

        if let Some(periodic) = &mut self.periodic {
            fill_str(&mut periodic.spec_type, PERIODIC_SPEC_CRON);
            fill_str(&mut periodic.time_zone, "UTC");
        }
        if let Some(parameterized) = &mut self.parameterized_job {
            fill_str(&mut parameterized.payload, dispatch_payload::OPTIONAL);
        }
        if let Some(multiregion) = &mut self.multiregion {
            multiregion
                .strategy
                .get_or_insert_with(MultiregionStrategy::default);
        }
    }
}

fn fill_str<S: AsRef<str> + for<'a> From<&'a str>>(field: &mut S, default: &str) {
    if field.as_ref().is_empty() {
        *field = S::from(default);
    }
}

fn fill_zero(field: &mut i64, default: i64) {
    if *field == 0 {
        *field = default;
    }
}

fn default_update() -> UpdateStrategy {
    UpdateStrategy {
        stagger: Some(30 * SECOND),
        max_parallel: Some(1),
        health_check: Some(health_check::CHECKS.to_string()),
        min_healthy_time: Some(10 * SECOND),
        healthy_deadline: Some(5 * MINUTE),
        progress_deadline: Some(10 * MINUTE),
        auto_revert: Some(false),
        auto_promote: Some(false),
        canary: Some(0),
    }
}

/// `over`'s set fields win over `base`'s.
fn merge_update(mut base: UpdateStrategy, over: &UpdateStrategy) -> UpdateStrategy {
    base.stagger = over.stagger.or(base.stagger);
    base.max_parallel = over.max_parallel.or(base.max_parallel);
    base.health_check = over.health_check.clone().or(base.health_check);
    base.min_healthy_time = over.min_healthy_time.or(base.min_healthy_time);
    base.healthy_deadline = over.healthy_deadline.or(base.healthy_deadline);
    base.progress_deadline = over.progress_deadline.or(base.progress_deadline);
    base.auto_revert = over.auto_revert.or(base.auto_revert);
    base.auto_promote = over.auto_promote.or(base.auto_promote);
    base.canary = over.canary.or(base.canary);
    base
}

fn update_with_defaults(update: UpdateStrategy) -> UpdateStrategy {
    merge_update(default_update(), &update)
}

/// Nomad's `UpdateStrategy.Empty`: nothing set to a non-zero value.
fn update_is_empty(u: &UpdateStrategy) -> bool {
    u.stagger.unwrap_or(0) == 0
        && u.max_parallel.unwrap_or(0) == 0
        && u.health_check.as_deref().unwrap_or("").is_empty()
        && u.min_healthy_time.unwrap_or(0) == 0
        && u.healthy_deadline.unwrap_or(0) == 0
        && u.progress_deadline.unwrap_or(0) == 0
        && !u.auto_revert.unwrap_or(false)
        && !u.auto_promote.unwrap_or(false)
        && u.canary.unwrap_or(0) == 0
}

/// The job-level update Nomad stores: only `Stagger` and `MaxParallel`, and only when rolling.
fn job_level_update(update: Option<&UpdateStrategy>) -> UpdateStrategy {
    let rolling = update.filter(|u| u.max_parallel.unwrap_or(0) > 0);
    UpdateStrategy {
        stagger: Some(rolling.and_then(|u| u.stagger).unwrap_or(0)),
        max_parallel: Some(rolling.and_then(|u| u.max_parallel).unwrap_or(0)),
        health_check: Some(String::new()),
        min_healthy_time: Some(0),
        healthy_deadline: Some(0),
        progress_deadline: Some(0),
        auto_revert: Some(false),
        auto_promote: Some(false),
        canary: Some(0),
    }
}

/// The restart policy a group of this job type starts from.
fn default_restart(job_type_name: &str) -> RestartPolicy {
    let service_like = job_type_name == job_type::SERVICE || job_type_name == job_type::SYSTEM;
    RestartPolicy {
        attempts: Some(if service_like { 2 } else { 3 }),
        interval: Some(if service_like { 30 * MINUTE } else { 24 * HOUR }),
        delay: Some(15 * SECOND),
        mode: Some(group::restart_mode::FAIL.to_string()),
        render_templates: Some(false),
    }
}

fn merge_restart(mut base: RestartPolicy, over: &RestartPolicy) -> RestartPolicy {
    base.attempts = over.attempts.or(base.attempts);
    base.interval = over.interval.or(base.interval);
    base.delay = over.delay.or(base.delay);
    base.mode = over.mode.clone().or(base.mode);
    base.render_templates = over.render_templates.or(base.render_templates);
    base
}

/// The reschedule policy of a job type; other types (system, sysbatch, invalid ones) get a
/// zeroed, disabled policy, as in Nomad's API layer.
fn default_reschedule(job_type_name: &str) -> ReschedulePolicy {
    let (attempts, interval, delay, function, max_delay, unlimited) = match job_type_name {
        job_type::SERVICE => (
            0,
            0,
            30 * SECOND,
            group::delay_function::EXPONENTIAL,
            HOUR,
            true,
        ),
        job_type::BATCH => (
            1,
            24 * HOUR,
            5 * SECOND,
            group::delay_function::CONSTANT,
            0,
            false,
        ),
        _ => (0, 0, 0, "", 0, false),
    };
    ReschedulePolicy {
        attempts: Some(attempts),
        interval: Some(interval),
        delay: Some(delay),
        delay_function: Some(function.to_string()),
        max_delay: Some(max_delay),
        unlimited: Some(unlimited),
    }
}

fn merge_reschedule(mut base: ReschedulePolicy, over: &ReschedulePolicy) -> ReschedulePolicy {
    base.attempts = over.attempts.or(base.attempts);
    base.interval = over.interval.or(base.interval);
    base.delay = over.delay.or(base.delay);
    base.delay_function = over.delay_function.clone().or(base.delay_function);
    base.max_delay = over.max_delay.or(base.max_delay);
    base.unlimited = over.unlimited.or(base.unlimited);
    base
}

fn default_migrate() -> MigrateStrategy {
    MigrateStrategy {
        max_parallel: Some(1),
        health_check: Some(health_check::CHECKS.to_string()),
        min_healthy_time: Some(10 * SECOND),
        healthy_deadline: Some(5 * MINUTE),
    }
}

fn merge_migrate(mut base: MigrateStrategy, over: &MigrateStrategy) -> MigrateStrategy {
    base.max_parallel = over.max_parallel.or(base.max_parallel);
    base.health_check = over.health_check.clone().or(base.health_check);
    base.min_healthy_time = over.min_healthy_time.or(base.min_healthy_time);
    base.healthy_deadline = over.healthy_deadline.or(base.healthy_deadline);
    base
}

/// A group block merged over the job's block of the same kind (group fields win).
fn inherit<T: Clone>(job: Option<&T>, group: Option<T>, merge: fn(T, &T) -> T) -> Option<T> {
    match (job, group) {
        (Some(job), Some(group)) => Some(merge(job.clone(), &group)),
        (Some(job), None) => Some(job.clone()),
        (None, group) => group,
    }
}

fn canonicalize_group(group: &mut TaskGroup, job: &JobContext) {
    let job_type_name = job.job_type.as_str();

    if let Some(scaling) = &mut group.scaling {
        canonicalize_scaling(scaling, job, &group.name, None);
        scaling.min.get_or_insert(group.count);
    }

    let disk = group
        .ephemeral_disk
        .get_or_insert_with(EphemeralDisk::default);
    fill_zero(&mut disk.size_mb, DEFAULT_DISK_MB);

    if let Some(consul) = &mut group.consul {
        fill_str(&mut consul.namespace, &job.consul_namespace);
        fill_str(&mut consul.cluster, "default");
    }

    // The job's update block is inherited only when it says something.
    let job_update = job
        .update
        .as_ref()
        .filter(|u| group.update.is_some() || !update_is_empty(u));
    group.update = inherit(job_update, group.update.take(), merge_update).map(update_with_defaults);

    let reschedule = inherit(
        job.reschedule.as_ref(),
        group.reschedule_policy.take(),
        merge_reschedule,
    );
    let has_reschedule = job_type_name != job_type::SYSTEM && job_type_name != job_type::SYSBATCH;
    group.reschedule_policy = match reschedule {
        Some(policy) => Some(merge_reschedule(default_reschedule(job_type_name), &policy)),
        None if has_reschedule => Some(default_reschedule(job_type_name)),
        None => None,
    };

    let migrate = inherit(job.migrate.as_ref(), group.migrate.take(), merge_migrate);
    group.migrate = match migrate {
        Some(migrate) => Some(merge_migrate(default_migrate(), &migrate)),
        None if job_type_name == job_type::SERVICE => Some(default_migrate()),
        None => None,
    };

    let restart = match &group.restart_policy {
        Some(policy) => merge_restart(default_restart(job_type_name), policy),
        None => default_restart(job_type_name),
    };
    group.restart_policy = Some(restart.clone());

    if let Some(disconnect) = &mut group.disconnect {
        canonicalize_disconnect(disconnect);
    }

    // Nomad's HTTP conversion does not carry these deprecated fields, nor volumes of unknown
    // types: a job submitted over HTTP silently loses them.
    group.stop_after_client_disconnect = None;
    group.max_client_disconnect = None;
    group.prevent_reschedule_on_lost = false;
    group.volumes.retain(|_, v| {
        v.volume_type == group::volume_type::HOST || v.volume_type == group::volume_type::CSI
    });

    for network in &mut group.networks {
        canonicalize_network(network);
    }
    for service in &mut group.services {
        canonicalize_service(service, job, &group.name, None);
    }
    for task in &mut group.tasks {
        canonicalize_task(Arc::make_mut(task), job, &group.name, &restart);
    }
}

fn canonicalize_disconnect(disconnect: &mut DisconnectStrategy) {
    disconnect.replace.get_or_insert(true);
    fill_str(&mut disconnect.reconcile, group::reconcile::BEST_SCORE);
}

/// Scaling policies target their group (and task); a missing maximum becomes -1 so that
/// validation reports it.
fn canonicalize_scaling(
    policy: &mut ScalingPolicy,
    job: &JobContext,
    group: &str,
    task: Option<&str>,
) {
    policy.enabled.get_or_insert(true);
    policy.max.get_or_insert(-1);
    fill_str(
        &mut policy.policy_type,
        group::SCALING_POLICY_TYPE_HORIZONTAL,
    );
    policy.target.clear();
    policy
        .target
        .insert("Namespace".to_string(), job.namespace.to_string());
    policy.target.insert("Job".to_string(), job.id.to_string());
    policy.target.insert("Group".to_string(), group.to_string());
    if let Some(task) = task {
        policy.target.insert("Task".to_string(), task.to_string());
    }
}

fn canonicalize_network(network: &mut NetworkResource) {
    for port in network
        .reserved_ports
        .iter_mut()
        .chain(&mut network.dynamic_ports)
    {
        fill_str(&mut port.host_network, "default");
    }
}

/// `task` is `None` for group services.
fn canonicalize_service(service: &mut Service, job: &JobContext, group: &str, task: Option<&str>) {
    if service.name.is_empty() {
        service.name = match task {
            Some(task) => format!("{}-{group}-{task}", job.name),
            None => format!("{}-{group}", job.name),
        };
    }
    fill_str(&mut service.address_mode, "auto");
    fill_str(&mut service.on_update, "require_healthy");
    fill_str(&mut service.provider, service_provider::CONSUL);
    fill_str(&mut service.cluster, "default");
    if let Some(task) = task {
        fill_str(&mut service.task_name, task);
    }

    // Group services interpolate `${TASK}` as the literal "group", as Nomad does.
    let task_value = task.unwrap_or("group");
    let base = format!("{}-{group}-{task_value}", job.name);
    service.name = [
        ("${JOB}", job.name.as_str()),
        ("${TASKGROUP}", group),
        ("${TASK}", task_value),
        ("${BASE}", base.as_str()),
    ]
    .iter()
    .fold(service.name.clone(), |name, (key, value)| {
        name.replace(key, value)
    });

    if service.provider == service_provider::NOMAD {
        service.namespace = job.namespace.to_string();
    } else {
        fill_str(&mut service.namespace, "default");
    }

    let service_restart = service.check_restart.take();
    for check in &mut service.checks {
        check.check_restart =
            merge_check_restart(service_restart.as_ref(), check.check_restart.take());
        check.success_before_passing = check.success_before_passing.max(0);
        check.failures_before_critical = check.failures_before_critical.max(0);
        check.failures_before_warning = check.failures_before_warning.max(0);
        fill_str(&mut check.on_update, &service.on_update);
        if check.name.is_empty() {
            check.name = format!("service: {:?} check", service.name);
        }
        if let Some(task) = task {
            fill_str(&mut check.task_name, task);
        }
    }
}

/// A check's own `check_restart` wins field by field over its service's.
fn merge_check_restart(
    service: Option<&CheckRestart>,
    check: Option<CheckRestart>,
) -> Option<CheckRestart> {
    match (service, check) {
        (Some(service), Some(check)) => Some(CheckRestart {
            limit: if check.limit != 0 {
                check.limit
            } else {
                service.limit
            },
            grace: check.grace,
            ignore_warnings: check.ignore_warnings || service.ignore_warnings,
        }),
        (Some(service), None) => Some(service.clone()),
        (None, check) => check,
    }
}

fn canonicalize_task(
    task: &mut Task,
    job: &JobContext,
    group: &str,
    group_restart: &RestartPolicy,
) {
    canonicalize_resources(task.resources.get_or_insert_with(Resources::default));
    if task.kill_timeout == 0 {
        task.kill_timeout = DEFAULT_KILL_TIMEOUT;
    }
    let log = task.log_config.get_or_insert_with(LogConfig::default);
    fill_zero(&mut log.max_files, DEFAULT_LOG_MAX_FILES);
    fill_zero(&mut log.max_file_size_mb, DEFAULT_LOG_MAX_FILE_SIZE_MB);

    for artifact in &mut task.artifacts {
        canonicalize_artifact(artifact);
    }
    if let Some(vault) = &mut task.vault {
        fill_str(&mut vault.cluster, "default");
        fill_str(&mut vault.change_mode, "restart");
        fill_str(&mut vault.change_signal, "SIGHUP");
        vault.change_signal = vault.change_signal.to_uppercase();
    }
    if let Some(consul) = &mut task.consul {
        fill_str(&mut consul.cluster, "default");
    }
    for template in &mut task.templates {
        canonicalize_template(template);
    }
    for service in &mut task.services {
        canonicalize_service(service, job, group, Some(&task.name));
    }
    for mount in &mut task.volume_mounts {
        fill_str(&mut mount.propagation_mode, "private");
    }
    for policy in &mut task.scaling_policies {
        canonicalize_scaling(policy, job, group, Some(&task.name));
        policy.min.get_or_insert(0);
    }
    task.restart_policy = Some(match &task.restart_policy {
        Some(own) => merge_restart(group_restart.clone(), own),
        None => group_restart.clone(),
    });
}

fn canonicalize_resources(resources: &mut Resources) {
    if resources.cpu == 0 && resources.cores == 0 {
        resources.cpu = DEFAULT_CPU;
    }
    fill_zero(&mut resources.memory_mb, DEFAULT_MEMORY_MB);
    for network in &mut resources.networks {
        canonicalize_network(network);
    }
}

fn canonicalize_artifact(artifact: &mut TaskArtifact) {
    fill_str(&mut artifact.getter_mode, "any");
    if artifact.relative_dest.is_empty() {
        artifact.relative_dest = if artifact.getter_mode == "file" {
            let file = artifact
                .getter_source
                .rsplit('/')
                .next()
                .unwrap_or_default();
            format!("local/{file}")
        } else {
            "local/".to_string()
        };
    }
}

fn canonicalize_template(template: &mut Template) {
    fill_str(&mut template.change_mode, crate::task::change_mode::RESTART);
    if template.change_signal.is_empty() && template.change_mode == crate::task::change_mode::SIGNAL
    {
        template.change_signal = "SIGHUP".to_string();
    }
    template.change_signal = template.change_signal.to_uppercase();
    fill_str(&mut template.perms, "0644");
    fill_str(&mut template.left_delim, "{{");
    fill_str(&mut template.right_delim, "}}");
}

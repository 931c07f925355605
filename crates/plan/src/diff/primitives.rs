//! What Nomad's primitive flattening yields for each model struct: the fields of Nomad's server
//! struct that are bools, integers, strings or string maps, under Nomad's names, minus the
//! fields each diff filters out. Fields the model keeps optional for input merging but Nomad's
//! server struct holds by value print as Go's zero value when unset.

use drover_model::{
    Affinity, ChangeScript, CheckRestart, Constraint, Consul, DisconnectStrategy,
    DispatchPayloadConfig, EphemeralDisk, Job, JobUi, JobUiLink, LogConfig, MigrateStrategy,
    MultiregionRegion, MultiregionStrategy, NetworkResource, ParameterizedJobConfig,
    PeriodicConfig, RequestedDevice, ReschedulePolicy, Resources, RestartPolicy, ScalingPolicy,
    Secret, Service, ServiceCheck, Task, TaskArtifact, TaskGroup, Template, UpdateStrategy, Vault,
    VolumeMount, VolumeRequest, WaitConfig,
};

use super::flat::{Flat, Primitives};

/// Go's `%v` of a nil pointer in Nomad's full flattening.
const NIL: &str = "nil";

/// Without ID, Status, StatusDescription, Version, Stable, the indexes, Update, SubmitTime and
/// NomadTokenID, which Nomad filters out of the job's fields.
impl Primitives for Job {
    fn primitives(&self, f: &mut Flat) {
        f.put("Stop", self.stop);
        f.str("Region", &self.region);
        f.str("Namespace", &self.namespace);
        f.str("ParentID", &self.parent_id);
        f.str("Name", &self.name);
        f.str("Type", &self.job_type);
        f.put("Priority", self.priority);
        f.put("AllAtOnce", self.all_at_once);
        f.str("NodePool", &self.node_pool);
        f.put("Dispatched", self.dispatched);
        f.str("DispatchIdempotencyToken", &self.dispatch_idempotency_token);
        f.map("Meta", &self.meta);
        f.str("ConsulNamespace", &self.consul_namespace);
        f.str("VaultNamespace", &self.vault_namespace);
    }
}

/// Name is filtered; the pointer fields (ShutdownDelay, MaxRunDuration, ...) are skipped.
impl Primitives for TaskGroup {
    fn primitives(&self, f: &mut Flat) {
        f.put("Count", self.count);
        f.map("Meta", &self.meta);
        f.put("PreventRescheduleOnLost", self.prevent_reschedule_on_lost);
    }
}

/// Name and Config are filtered (Config is diffed as its own object).
impl Primitives for Task {
    fn primitives(&self, f: &mut Flat) {
        f.str("Driver", &self.driver);
        f.str("User", &self.user);
        f.map("Env", &self.env);
        f.map("Meta", &self.meta);
        f.put("KillTimeout", self.kill_timeout);
        f.put("Leader", self.leader);
        f.put("ShutdownDelay", self.shutdown_delay);
        f.str("KillSignal", &self.kill_signal);
        f.str("Kind", &self.kind);
    }
}

impl Primitives for Constraint {
    fn primitives(&self, f: &mut Flat) {
        f.str("LTarget", &self.l_target);
        f.str("RTarget", &self.r_target);
        f.str("Operand", &self.operand);
    }
}

impl Primitives for Affinity {
    fn primitives(&self, f: &mut Flat) {
        f.str("LTarget", &self.l_target);
        f.str("RTarget", &self.r_target);
        f.str("Operand", &self.operand);
        f.put("Weight", self.weight);
    }
}

impl Primitives for RestartPolicy {
    fn primitives(&self, f: &mut Flat) {
        f.put("Attempts", self.attempts.unwrap_or_default());
        f.put("Interval", self.interval.unwrap_or_default());
        f.put("Delay", self.delay.unwrap_or_default());
        f.str("Mode", self.mode.as_deref().unwrap_or_default());
        f.put("RenderTemplates", self.render_templates.unwrap_or_default());
    }
}

impl Primitives for MigrateStrategy {
    fn primitives(&self, f: &mut Flat) {
        f.put("MaxParallel", self.max_parallel.unwrap_or_default());
        f.str(
            "HealthCheck",
            self.health_check.as_deref().unwrap_or_default(),
        );
        f.put("MinHealthyTime", self.min_healthy_time.unwrap_or_default());
        f.put("HealthyDeadline", self.healthy_deadline.unwrap_or_default());
    }
}

impl Primitives for ReschedulePolicy {
    fn primitives(&self, f: &mut Flat) {
        f.put("Attempts", self.attempts.unwrap_or_default());
        f.put("Interval", self.interval.unwrap_or_default());
        f.put("Delay", self.delay.unwrap_or_default());
        f.str(
            "DelayFunction",
            self.delay_function.as_deref().unwrap_or_default(),
        );
        f.put("MaxDelay", self.max_delay.unwrap_or_default());
        f.put("Unlimited", self.unlimited.unwrap_or_default());
    }
}

impl Primitives for EphemeralDisk {
    fn primitives(&self, f: &mut Flat) {
        f.put("Sticky", self.sticky);
        f.put("SizeMB", self.size_mb);
        f.put("Migrate", self.migrate);
    }
}

impl Primitives for Consul {
    fn primitives(&self, f: &mut Flat) {
        f.str("Namespace", &self.namespace);
        f.str("Cluster", &self.cluster);
        f.str("Partition", &self.partition);
    }
}

/// A group's update block; Stagger is filtered.
impl Primitives for UpdateStrategy {
    fn primitives(&self, f: &mut Flat) {
        f.put("MaxParallel", self.max_parallel.unwrap_or_default());
        f.str(
            "HealthCheck",
            self.health_check.as_deref().unwrap_or_default(),
        );
        f.put("MinHealthyTime", self.min_healthy_time.unwrap_or_default());
        f.put("HealthyDeadline", self.healthy_deadline.unwrap_or_default());
        f.put(
            "ProgressDeadline",
            self.progress_deadline.unwrap_or_default(),
        );
        f.put("AutoRevert", self.auto_revert.unwrap_or_default());
        f.put("AutoPromote", self.auto_promote.unwrap_or_default());
        f.put("Canary", self.canary.unwrap_or_default());
    }
}

/// Nomad flattens the disconnect block fully, so its unset pointers print as "nil".
impl Primitives for DisconnectStrategy {
    fn primitives(&self, f: &mut Flat) {
        f.put("LostAfter", self.lost_after);
        match self.stop_on_client_after {
            Some(d) => f.put("StopOnClientAfter", d),
            None => f.str("StopOnClientAfter", NIL),
        }
        match self.replace {
            Some(r) => f.put("Replace", r),
            None => f.str("Replace", NIL),
        }
        f.str("Reconcile", &self.reconcile);
    }
}

/// Device, CIDR, IP and MBits are filtered; ports, DNS and CNI are objects of their own.
impl Primitives for NetworkResource {
    fn primitives(&self, f: &mut Flat) {
        f.str("Mode", &self.mode);
        f.str("Hostname", &self.hostname);
    }
}

/// ID, Type, the indexes and the Job, Group and Namespace targets are filtered; the policy
/// document is an object of its own.
impl Primitives for ScalingPolicy {
    fn primitives(&self, f: &mut Flat) {
        f.put("Min", self.min.unwrap_or_default());
        f.put("Max", self.max.unwrap_or_default());
        f.put("Enabled", self.enabled.unwrap_or_default());
        for (k, v) in &self.target {
            if !matches!(k.as_str(), "Job" | "Group" | "Namespace") {
                f.put(format!("Target[{k}]"), v);
            }
        }
    }
}

impl Primitives for Service {
    fn primitives(&self, f: &mut Flat) {
        f.str("Name", &self.name);
        f.str("TaskName", &self.task_name);
        f.str("PortLabel", &self.port_label);
        f.str("AddressMode", &self.address_mode);
        f.str("Address", &self.address);
        f.put("EnableTagOverride", self.enable_tag_override);
        f.map("Meta", &self.meta);
        f.map("CanaryMeta", &self.canary_meta);
        f.map("TaggedAddresses", &self.tagged_addresses);
        f.str("Namespace", &self.namespace);
        f.str("OnUpdate", &self.on_update);
        f.str("Provider", &self.provider);
        f.str("Cluster", &self.cluster);
        f.str("Kind", &self.kind);
    }
}

/// Args and Header are lists, so Nomad's primitive flattening skips them (Header is diffed as
/// an object of its own).
impl Primitives for ServiceCheck {
    fn primitives(&self, f: &mut Flat) {
        f.str("Name", &self.name);
        f.str("Type", &self.check_type);
        f.str("Command", &self.command);
        f.str("Path", &self.path);
        f.str("Protocol", &self.protocol);
        f.str("PortLabel", &self.port_label);
        f.put("Expose", self.expose);
        f.str("AddressMode", &self.address_mode);
        f.put("Interval", self.interval);
        f.put("Timeout", self.timeout);
        f.str("InitialStatus", &self.initial_status);
        f.str("Notes", &self.notes);
        f.str("TLSServerName", &self.tls_server_name);
        f.put("TLSSkipVerify", self.tls_skip_verify);
        f.str("Method", &self.method);
        f.str("GRPCService", &self.grpc_service);
        f.put("GRPCUseTLS", self.grpc_use_tls);
        f.str("TaskName", &self.task_name);
        f.put("SuccessBeforePassing", self.success_before_passing);
        f.put("FailuresBeforeCritical", self.failures_before_critical);
        f.put("FailuresBeforeWarning", self.failures_before_warning);
        f.str("Body", &self.body);
        f.str("OnUpdate", &self.on_update);
    }
}

impl Primitives for CheckRestart {
    fn primitives(&self, f: &mut Flat) {
        f.put("Limit", self.limit);
        f.put("Grace", self.grace);
        f.put("IgnoreWarnings", self.ignore_warnings);
    }
}

impl Primitives for Resources {
    fn primitives(&self, f: &mut Flat) {
        f.put("CPU", self.cpu);
        f.put("Cores", self.cores);
        f.put("MemoryMB", self.memory_mb);
        f.put("MemoryMaxMB", self.memory_max_mb);
        f.put("DiskMB", self.disk_mb);
        f.put("IOPS", self.iops);
        f.put("SecretsMB", self.secrets_mb);
    }
}

impl Primitives for RequestedDevice {
    fn primitives(&self, f: &mut Flat) {
        f.str("Name", &self.name);
        f.put("Count", self.count);
    }
}

impl Primitives for LogConfig {
    fn primitives(&self, f: &mut Flat) {
        f.put("MaxFiles", self.max_files);
        f.put("MaxFileSizeMB", self.max_file_size_mb);
        f.put("Disabled", self.disabled);
    }
}

impl Primitives for DispatchPayloadConfig {
    fn primitives(&self, f: &mut Flat) {
        f.str("File", &self.file);
    }
}

impl Primitives for TaskArtifact {
    fn primitives(&self, f: &mut Flat) {
        f.str("GetterSource", &self.getter_source);
        f.map("GetterOptions", &self.getter_options);
        f.map("GetterHeaders", &self.getter_headers);
        f.str("GetterMode", &self.getter_mode);
        f.put("GetterInsecure", self.getter_insecure);
        f.str("RelativeDest", &self.relative_dest);
        f.put("Chown", self.chown);
    }
}

impl Primitives for Vault {
    fn primitives(&self, f: &mut Flat) {
        f.str("Role", &self.role);
        f.str("Namespace", &self.namespace);
        f.str("Cluster", &self.cluster);
        f.put("Env", self.env);
        f.put("DisableFile", self.disable_file);
        f.str("ChangeMode", &self.change_mode);
        f.str("ChangeSignal", &self.change_signal);
        f.put("AllowTokenExpiration", self.allow_token_expiration);
    }
}

/// Nomad flattens secrets fully, so their opaque config shows as `Config[key]`.
impl Primitives for Secret {
    fn primitives(&self, f: &mut Flat) {
        f.str("Name", &self.name);
        f.str("Provider", &self.provider);
        f.str("Path", &self.path);
        f.value_map("Config", &self.config);
        f.map("Env", &self.env);
    }
}

/// Uid and Gid are pointers Nomad adds back by hand, only when set.
impl Primitives for Template {
    fn primitives(&self, f: &mut Flat) {
        f.str("SourcePath", &self.source_path);
        f.str("DestPath", &self.dest_path);
        f.str("EmbeddedTmpl", &self.embedded_tmpl);
        f.str("ChangeMode", &self.change_mode);
        f.str("ChangeSignal", &self.change_signal);
        f.put("Once", self.once);
        f.put("Splay", self.splay);
        f.str("Perms", &self.perms);
        if let Some(uid) = self.uid {
            f.put("Uid", uid);
        }
        if let Some(gid) = self.gid {
            f.put("Gid", gid);
        }
        f.str("LeftDelim", &self.left_delim);
        f.str("RightDelim", &self.right_delim);
        f.put("Envvars", self.envvars);
        f.put("VaultGrace", self.vault_grace);
        f.put("ErrMissingKey", self.err_missing_key);
    }
}

/// Flattened fully by Nomad: an unset bound prints as "nil".
impl Primitives for WaitConfig {
    fn primitives(&self, f: &mut Flat) {
        match self.min {
            Some(d) => f.put("Min", d),
            None => f.str("Min", NIL),
        }
        match self.max {
            Some(d) => f.put("Max", d),
            None => f.str("Max", NIL),
        }
    }
}

impl Primitives for ChangeScript {
    fn primitives(&self, f: &mut Flat) {
        f.str("Command", &self.command);
        f.put("Timeout", self.timeout);
        f.put("FailOnError", self.fail_on_error);
    }
}

impl Primitives for VolumeMount {
    fn primitives(&self, f: &mut Flat) {
        f.str("Volume", &self.volume);
        f.str("Destination", &self.destination);
        f.put("ReadOnly", self.read_only);
        f.str("PropagationMode", &self.propagation_mode);
        f.str("SELinuxLabel", &self.selinux_label);
    }
}

impl Primitives for VolumeRequest {
    fn primitives(&self, f: &mut Flat) {
        f.str("Name", &self.name);
        f.str("Type", &self.volume_type);
        f.str("Source", &self.source);
        f.put("ReadOnly", self.read_only);
        f.put("Sticky", self.sticky);
        f.str("AccessMode", &self.access_mode);
        f.str("AttachmentMode", &self.attachment_mode);
        f.put("PerAlloc", self.per_alloc);
    }
}

impl Primitives for PeriodicConfig {
    fn primitives(&self, f: &mut Flat) {
        f.put("Enabled", self.enabled);
        f.str("Spec", &self.spec);
        f.str("SpecType", &self.spec_type);
        f.put("ProhibitOverlap", self.prohibit_overlap);
        f.str("TimeZone", &self.time_zone);
    }
}

impl Primitives for ParameterizedJobConfig {
    fn primitives(&self, f: &mut Flat) {
        f.str("Payload", &self.payload);
    }
}

impl Primitives for MultiregionStrategy {
    fn primitives(&self, f: &mut Flat) {
        f.put("MaxParallel", self.max_parallel);
        f.str("OnFailure", &self.on_failure);
    }
}

impl Primitives for MultiregionRegion {
    fn primitives(&self, f: &mut Flat) {
        f.str("Name", &self.name);
        f.put("Count", self.count);
        f.str("NodePool", &self.node_pool);
        f.map("Meta", &self.meta);
    }
}

impl Primitives for JobUi {
    fn primitives(&self, f: &mut Flat) {
        f.str("Description", &self.description);
    }
}

impl Primitives for JobUiLink {
    fn primitives(&self, f: &mut Flat) {
        f.str("Label", &self.label);
        f.str("Url", &self.url);
    }
}

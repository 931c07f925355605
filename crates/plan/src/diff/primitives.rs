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
use super::text::Text;

/// Go's `%v` of a nil pointer in Nomad's full flattening.
const NIL: &str = "nil";

/// Without ID, Status, StatusDescription, Version, Stable, the indexes, Update, SubmitTime and
/// NomadTokenID, which Nomad filters out of the job's fields.
impl Primitives for Job {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("AllAtOnce", self.all_at_once);
        f.put("ConsulNamespace", &self.consul_namespace);
        f.put("DispatchIdempotencyToken", &self.dispatch_idempotency_token);
        f.put("Dispatched", self.dispatched);
        f.map("Meta", &self.meta);
        f.put("Name", &self.name);
        f.put("Namespace", &self.namespace);
        f.put("NodePool", &self.node_pool);
        f.put("ParentID", &self.parent_id);
        f.put("Priority", self.priority);
        f.put("Region", &self.region);
        f.put("Stop", self.stop);
        f.put("Type", &self.job_type);
        f.put("VaultNamespace", &self.vault_namespace);
    }
}

/// Name is filtered; the pointer fields (ShutdownDelay, MaxRunDuration, ...) are skipped.
impl Primitives for TaskGroup {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("Count", self.count);
        f.map("Meta", &self.meta);
        f.put("PreventRescheduleOnLost", self.prevent_reschedule_on_lost);
    }
}

/// Name and Config are filtered (Config is diffed as its own object).
impl Primitives for Task {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("Driver", &self.driver);
        f.map("Env", &self.env);
        f.put("KillSignal", &self.kill_signal);
        f.put("KillTimeout", self.kill_timeout);
        f.put("Kind", &self.kind);
        f.put("Leader", self.leader);
        f.map("Meta", &self.meta);
        f.put("ShutdownDelay", self.shutdown_delay);
        f.put("User", &self.user);
    }
}

impl Primitives for Constraint {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("LTarget", &self.l_target);
        f.put("Operand", &self.operand);
        f.put("RTarget", &self.r_target);
    }
}

impl Primitives for Affinity {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("LTarget", &self.l_target);
        f.put("Operand", &self.operand);
        f.put("RTarget", &self.r_target);
        f.put("Weight", self.weight);
    }
}

impl Primitives for RestartPolicy {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("Attempts", self.attempts.unwrap_or_default());
        f.put("Delay", self.delay.unwrap_or_default());
        f.put("Interval", self.interval.unwrap_or_default());
        f.put("Mode", self.mode.as_deref().unwrap_or_default());
        f.put("RenderTemplates", self.render_templates.unwrap_or_default());
    }
}

impl Primitives for MigrateStrategy {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put(
            "HealthCheck",
            self.health_check.as_deref().unwrap_or_default(),
        );
        f.put("HealthyDeadline", self.healthy_deadline.unwrap_or_default());
        f.put("MaxParallel", self.max_parallel.unwrap_or_default());
        f.put("MinHealthyTime", self.min_healthy_time.unwrap_or_default());
    }
}

impl Primitives for ReschedulePolicy {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("Attempts", self.attempts.unwrap_or_default());
        f.put("Delay", self.delay.unwrap_or_default());
        f.put(
            "DelayFunction",
            self.delay_function.as_deref().unwrap_or_default(),
        );
        f.put("Interval", self.interval.unwrap_or_default());
        f.put("MaxDelay", self.max_delay.unwrap_or_default());
        f.put("Unlimited", self.unlimited.unwrap_or_default());
    }
}

impl Primitives for EphemeralDisk {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("Migrate", self.migrate);
        f.put("SizeMB", self.size_mb);
        f.put("Sticky", self.sticky);
    }
}

impl Primitives for Consul {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("Cluster", &self.cluster);
        f.put("Namespace", &self.namespace);
        f.put("Partition", &self.partition);
    }
}

/// A group's update block; Stagger is filtered.
impl Primitives for UpdateStrategy {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("AutoPromote", self.auto_promote.unwrap_or_default());
        f.put("AutoRevert", self.auto_revert.unwrap_or_default());
        f.put("Canary", self.canary.unwrap_or_default());
        f.put(
            "HealthCheck",
            self.health_check.as_deref().unwrap_or_default(),
        );
        f.put("HealthyDeadline", self.healthy_deadline.unwrap_or_default());
        f.put("MaxParallel", self.max_parallel.unwrap_or_default());
        f.put("MinHealthyTime", self.min_healthy_time.unwrap_or_default());
        f.put(
            "ProgressDeadline",
            self.progress_deadline.unwrap_or_default(),
        );
    }
}

/// Nomad flattens the disconnect block fully, so its unset pointers print as "nil".
impl Primitives for DisconnectStrategy {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("LostAfter", self.lost_after);
        f.put("Reconcile", &self.reconcile);
        match self.replace {
            Some(r) => f.put("Replace", r),
            None => f.put("Replace", NIL),
        }
        match self.stop_on_client_after {
            Some(d) => f.put("StopOnClientAfter", d),
            None => f.put("StopOnClientAfter", NIL),
        }
    }
}

/// Device, CIDR, IP and MBits are filtered; ports, DNS and CNI are objects of their own.
impl Primitives for NetworkResource {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("Hostname", &self.hostname);
        f.put("Mode", &self.mode);
    }
}

/// ID, Type, the indexes and the Job, Group and Namespace targets are filtered; the policy
/// document is an object of its own.
impl Primitives for ScalingPolicy {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("Enabled", self.enabled.unwrap_or_default());
        f.put("Max", self.max.unwrap_or_default());
        f.put("Min", self.min.unwrap_or_default());
        for (k, v) in &self.target {
            if !matches!(k.as_str(), "Job" | "Group" | "Namespace") {
                f.put(Text::concat(&["Target[", k, "]"]), v);
            }
        }
    }
}

impl Primitives for Service {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("Address", &self.address);
        f.put("AddressMode", &self.address_mode);
        f.map("CanaryMeta", &self.canary_meta);
        f.put("Cluster", &self.cluster);
        f.put("EnableTagOverride", self.enable_tag_override);
        f.put("Kind", &self.kind);
        f.map("Meta", &self.meta);
        f.put("Name", &self.name);
        f.put("Namespace", &self.namespace);
        f.put("OnUpdate", &self.on_update);
        f.put("PortLabel", &self.port_label);
        f.put("Provider", &self.provider);
        f.map("TaggedAddresses", &self.tagged_addresses);
        f.put("TaskName", &self.task_name);
    }
}

/// Args and Header are lists, so Nomad's primitive flattening skips them (Header is diffed as
/// an object of its own).
impl Primitives for ServiceCheck {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("AddressMode", &self.address_mode);
        f.put("Body", &self.body);
        f.put("Command", &self.command);
        f.put("Expose", self.expose);
        f.put("FailuresBeforeCritical", self.failures_before_critical);
        f.put("FailuresBeforeWarning", self.failures_before_warning);
        f.put("GRPCService", &self.grpc_service);
        f.put("GRPCUseTLS", self.grpc_use_tls);
        f.put("InitialStatus", &self.initial_status);
        f.put("Interval", self.interval);
        f.put("Method", &self.method);
        f.put("Name", &self.name);
        f.put("Notes", &self.notes);
        f.put("OnUpdate", &self.on_update);
        f.put("Path", &self.path);
        f.put("PortLabel", &self.port_label);
        f.put("Protocol", &self.protocol);
        f.put("SuccessBeforePassing", self.success_before_passing);
        f.put("TLSServerName", &self.tls_server_name);
        f.put("TLSSkipVerify", self.tls_skip_verify);
        f.put("TaskName", &self.task_name);
        f.put("Timeout", self.timeout);
        f.put("Type", &self.check_type);
    }
}

impl Primitives for CheckRestart {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("Grace", self.grace);
        f.put("IgnoreWarnings", self.ignore_warnings);
        f.put("Limit", self.limit);
    }
}

impl Primitives for Resources {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("CPU", self.cpu);
        f.put("Cores", self.cores);
        f.put("DiskMB", self.disk_mb);
        f.put("IOPS", self.iops);
        f.put("MemoryMB", self.memory_mb);
        f.put("MemoryMaxMB", self.memory_max_mb);
        f.put("SecretsMB", self.secrets_mb);
    }
}

impl Primitives for RequestedDevice {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("Count", self.count);
        f.put("Name", &self.name);
    }
}

impl Primitives for LogConfig {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("Disabled", self.disabled);
        f.put("MaxFileSizeMB", self.max_file_size_mb);
        f.put("MaxFiles", self.max_files);
    }
}

impl Primitives for DispatchPayloadConfig {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("File", &self.file);
    }
}

impl Primitives for TaskArtifact {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("Chown", self.chown);
        f.map("GetterHeaders", &self.getter_headers);
        f.put("GetterInsecure", self.getter_insecure);
        f.put("GetterMode", &self.getter_mode);
        f.map("GetterOptions", &self.getter_options);
        f.put("GetterSource", &self.getter_source);
        f.put("RelativeDest", &self.relative_dest);
    }
}

impl Primitives for Vault {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("AllowTokenExpiration", self.allow_token_expiration);
        f.put("ChangeMode", &self.change_mode);
        f.put("ChangeSignal", &self.change_signal);
        f.put("Cluster", &self.cluster);
        f.put("DisableFile", self.disable_file);
        f.put("Env", self.env);
        f.put("Namespace", &self.namespace);
        f.put("Role", &self.role);
    }
}

/// Nomad flattens secrets fully, so their opaque config shows as `Config[key]`.
impl Primitives for Secret {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.value_map("Config", &self.config);
        f.map("Env", &self.env);
        f.put("Name", &self.name);
        f.put("Path", &self.path);
        f.put("Provider", &self.provider);
    }
}

/// Uid and Gid are pointers Nomad adds back by hand, only when set.
impl Primitives for Template {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("ChangeMode", &self.change_mode);
        f.put("ChangeSignal", &self.change_signal);
        f.put("DestPath", &self.dest_path);
        f.put("EmbeddedTmpl", &self.embedded_tmpl);
        f.put("Envvars", self.envvars);
        f.put("ErrMissingKey", self.err_missing_key);
        if let Some(gid) = self.gid {
            f.put("Gid", gid);
        }
        f.put("LeftDelim", &self.left_delim);
        f.put("Once", self.once);
        f.put("Perms", &self.perms);
        f.put("RightDelim", &self.right_delim);
        f.put("SourcePath", &self.source_path);
        f.put("Splay", self.splay);
        if let Some(uid) = self.uid {
            f.put("Uid", uid);
        }
        f.put("VaultGrace", self.vault_grace);
    }
}

/// Flattened fully by Nomad: an unset bound prints as "nil".
impl Primitives for WaitConfig {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        match self.max {
            Some(d) => f.put("Max", d),
            None => f.put("Max", NIL),
        }
        match self.min {
            Some(d) => f.put("Min", d),
            None => f.put("Min", NIL),
        }
    }
}

impl Primitives for ChangeScript {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("Command", &self.command);
        f.put("FailOnError", self.fail_on_error);
        f.put("Timeout", self.timeout);
    }
}

impl Primitives for VolumeMount {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("Destination", &self.destination);
        f.put("PropagationMode", &self.propagation_mode);
        f.put("ReadOnly", self.read_only);
        f.put("SELinuxLabel", &self.selinux_label);
        f.put("Volume", &self.volume);
    }
}

impl Primitives for VolumeRequest {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("AccessMode", &self.access_mode);
        f.put("AttachmentMode", &self.attachment_mode);
        f.put("Name", &self.name);
        f.put("PerAlloc", self.per_alloc);
        f.put("ReadOnly", self.read_only);
        f.put("Source", &self.source);
        f.put("Sticky", self.sticky);
        f.put("Type", &self.volume_type);
    }
}

impl Primitives for PeriodicConfig {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("Enabled", self.enabled);
        f.put("ProhibitOverlap", self.prohibit_overlap);
        f.put("Spec", &self.spec);
        f.put("SpecType", &self.spec_type);
        f.put("TimeZone", &self.time_zone);
    }
}

impl Primitives for ParameterizedJobConfig {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("Payload", &self.payload);
    }
}

impl Primitives for MultiregionStrategy {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("MaxParallel", self.max_parallel);
        f.put("OnFailure", &self.on_failure);
    }
}

impl Primitives for MultiregionRegion {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("Count", self.count);
        f.map("Meta", &self.meta);
        f.put("Name", &self.name);
        f.put("NodePool", &self.node_pool);
    }
}

impl Primitives for JobUi {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("Description", &self.description);
    }
}

impl Primitives for JobUiLink {
    fn primitives<'a>(&'a self, f: &mut Flat<'a>) {
        f.put("Label", &self.label);
        f.put("Url", &self.url);
    }
}

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

use super::flat::{Fields, Primitives, Val};
use super::text::Text;

/// A pointer field of a block Nomad flattens fully: Go's `%v` of nil is "nil".
fn or_nil<'a>(value: Option<impl Into<Val<'a>>>) -> Val<'a> {
    value.map_or(Val::Str("nil"), Into::into)
}

/// Without ID, Status, StatusDescription, Version, Stable, the indexes, Update, SubmitTime and
/// NomadTokenID, which Nomad filters out of the job's fields.
impl Primitives for Job {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"AllAtOnce", |s| s.all_at_once);
        f.put(&"ConsulNamespace", |s| &s.consul_namespace);
        f.put(&"DispatchIdempotencyToken", |s| {
            &s.dispatch_idempotency_token
        });
        f.put(&"Dispatched", |s| s.dispatched);
        f.map("Meta", |s| &s.meta);
        f.put(&"Name", |s| &s.name);
        f.put(&"Namespace", |s| &s.namespace);
        f.put(&"NodePool", |s| &s.node_pool);
        f.put(&"ParentID", |s| &s.parent_id);
        f.put(&"Priority", |s| s.priority);
        f.put(&"Region", |s| &s.region);
        f.put(&"Stop", |s| s.stop);
        f.put(&"Type", |s| &s.job_type);
        f.put(&"VaultNamespace", |s| &s.vault_namespace);
    }
}

/// Name is filtered; the pointer fields (ShutdownDelay, MaxRunDuration, ...) are skipped.
impl Primitives for TaskGroup {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"Count", |s| s.count);
        f.map("Meta", |s| &s.meta);
        f.put(&"PreventRescheduleOnLost", |s| s.prevent_reschedule_on_lost);
    }
}

/// Name and Config are filtered (Config is diffed as its own object).
impl Primitives for Task {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"Driver", |s| &s.driver);
        f.map("Env", |s| &s.env);
        f.put(&"KillSignal", |s| &s.kill_signal);
        f.put(&"KillTimeout", |s| s.kill_timeout);
        f.put(&"Kind", |s| &s.kind);
        f.put(&"Leader", |s| s.leader);
        f.map("Meta", |s| &s.meta);
        f.put(&"ShutdownDelay", |s| s.shutdown_delay);
        f.put(&"User", |s| &s.user);
    }
}

impl Primitives for Constraint {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"LTarget", |s| &s.l_target);
        f.put(&"Operand", |s| &s.operand);
        f.put(&"RTarget", |s| &s.r_target);
    }
}

impl Primitives for Affinity {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"LTarget", |s| &s.l_target);
        f.put(&"Operand", |s| &s.operand);
        f.put(&"RTarget", |s| &s.r_target);
        f.put(&"Weight", |s| s.weight);
    }
}

impl Primitives for RestartPolicy {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"Attempts", |s| s.attempts.unwrap_or_default());
        f.put(&"Delay", |s| s.delay.unwrap_or_default());
        f.put(&"Interval", |s| s.interval.unwrap_or_default());
        f.put(&"Mode", |s| s.mode.as_deref().unwrap_or_default());
        f.put(&"RenderTemplates", |s| {
            s.render_templates.unwrap_or_default()
        });
    }
}

impl Primitives for MigrateStrategy {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"HealthCheck", |s| {
            s.health_check.as_deref().unwrap_or_default()
        });
        f.put(&"HealthyDeadline", |s| {
            s.healthy_deadline.unwrap_or_default()
        });
        f.put(&"MaxParallel", |s| s.max_parallel.unwrap_or_default());
        f.put(&"MinHealthyTime", |s| {
            s.min_healthy_time.unwrap_or_default()
        });
    }
}

impl Primitives for ReschedulePolicy {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"Attempts", |s| s.attempts.unwrap_or_default());
        f.put(&"Delay", |s| s.delay.unwrap_or_default());
        f.put(&"DelayFunction", |s| {
            s.delay_function.as_deref().unwrap_or_default()
        });
        f.put(&"Interval", |s| s.interval.unwrap_or_default());
        f.put(&"MaxDelay", |s| s.max_delay.unwrap_or_default());
        f.put(&"Unlimited", |s| s.unlimited.unwrap_or_default());
    }
}

impl Primitives for EphemeralDisk {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"Migrate", |s| s.migrate);
        f.put(&"SizeMB", |s| s.size_mb);
        f.put(&"Sticky", |s| s.sticky);
    }
}

impl Primitives for Consul {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"Cluster", |s| &s.cluster);
        f.put(&"Namespace", |s| &s.namespace);
        f.put(&"Partition", |s| &s.partition);
    }
}

/// A group's update block; Stagger is filtered.
impl Primitives for UpdateStrategy {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"AutoPromote", |s| s.auto_promote.unwrap_or_default());
        f.put(&"AutoRevert", |s| s.auto_revert.unwrap_or_default());
        f.put(&"Canary", |s| s.canary.unwrap_or_default());
        f.put(&"HealthCheck", |s| {
            s.health_check.as_deref().unwrap_or_default()
        });
        f.put(&"HealthyDeadline", |s| {
            s.healthy_deadline.unwrap_or_default()
        });
        f.put(&"MaxParallel", |s| s.max_parallel.unwrap_or_default());
        f.put(&"MinHealthyTime", |s| {
            s.min_healthy_time.unwrap_or_default()
        });
        f.put(&"ProgressDeadline", |s| {
            s.progress_deadline.unwrap_or_default()
        });
    }
}

/// Nomad flattens the disconnect block fully, so its unset pointers print as "nil".
impl Primitives for DisconnectStrategy {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"LostAfter", |s| s.lost_after);
        f.put(&"Reconcile", |s| &s.reconcile);
        f.put(&"Replace", |s| or_nil(s.replace));
        f.put(&"StopOnClientAfter", |s| or_nil(s.stop_on_client_after));
    }
}

/// Device, CIDR, IP and MBits are filtered; ports, DNS and CNI are objects of their own.
impl Primitives for NetworkResource {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"Hostname", |s| &s.hostname);
        f.put(&"Mode", |s| &s.mode);
    }
}

/// ID, Type, the indexes and the Job, Group and Namespace targets are filtered; the policy
/// document is an object of its own.
impl Primitives for ScalingPolicy {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"Enabled", |s| s.enabled.unwrap_or_default());
        f.put(&"Max", |s| s.max.unwrap_or_default());
        f.put(&"Min", |s| s.min.unwrap_or_default());
        f.paths(|s, f| {
            for (k, v) in &s.target {
                if !matches!(k.as_str(), "Job" | "Group" | "Namespace") {
                    f.put(Text::entry("Target", k), v);
                }
            }
        });
    }
}

impl Primitives for Service {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"Address", |s| &s.address);
        f.put(&"AddressMode", |s| &s.address_mode);
        f.map("CanaryMeta", |s| &s.canary_meta);
        f.put(&"Cluster", |s| &s.cluster);
        f.put(&"EnableTagOverride", |s| s.enable_tag_override);
        f.put(&"Kind", |s| &s.kind);
        f.map("Meta", |s| &s.meta);
        f.put(&"Name", |s| &s.name);
        f.put(&"Namespace", |s| &s.namespace);
        f.put(&"OnUpdate", |s| &s.on_update);
        f.put(&"PortLabel", |s| &s.port_label);
        f.put(&"Provider", |s| &s.provider);
        f.map("TaggedAddresses", |s| &s.tagged_addresses);
        f.put(&"TaskName", |s| &s.task_name);
    }
}

/// Args and Header are lists, so Nomad's primitive flattening skips them (Header is diffed as
/// an object of its own).
impl Primitives for ServiceCheck {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"AddressMode", |s| &s.address_mode);
        f.put(&"Body", |s| &s.body);
        f.put(&"Command", |s| &s.command);
        f.put(&"Expose", |s| s.expose);
        f.put(&"FailuresBeforeCritical", |s| s.failures_before_critical);
        f.put(&"FailuresBeforeWarning", |s| s.failures_before_warning);
        f.put(&"GRPCService", |s| &s.grpc_service);
        f.put(&"GRPCUseTLS", |s| s.grpc_use_tls);
        f.put(&"InitialStatus", |s| &s.initial_status);
        f.put(&"Interval", |s| s.interval);
        f.put(&"Method", |s| &s.method);
        f.put(&"Name", |s| &s.name);
        f.put(&"Notes", |s| &s.notes);
        f.put(&"OnUpdate", |s| &s.on_update);
        f.put(&"Path", |s| &s.path);
        f.put(&"PortLabel", |s| &s.port_label);
        f.put(&"Protocol", |s| &s.protocol);
        f.put(&"SuccessBeforePassing", |s| s.success_before_passing);
        f.put(&"TLSServerName", |s| &s.tls_server_name);
        f.put(&"TLSSkipVerify", |s| s.tls_skip_verify);
        f.put(&"TaskName", |s| &s.task_name);
        f.put(&"Timeout", |s| s.timeout);
        f.put(&"Type", |s| &s.check_type);
    }
}

impl Primitives for CheckRestart {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"Grace", |s| s.grace);
        f.put(&"IgnoreWarnings", |s| s.ignore_warnings);
        f.put(&"Limit", |s| s.limit);
    }
}

impl Primitives for Resources {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"CPU", |s| s.cpu);
        f.put(&"Cores", |s| s.cores);
        f.put(&"DiskMB", |s| s.disk_mb);
        f.put(&"IOPS", |s| s.iops);
        f.put(&"MemoryMB", |s| s.memory_mb);
        f.put(&"MemoryMaxMB", |s| s.memory_max_mb);
        f.put(&"SecretsMB", |s| s.secrets_mb);
    }
}

impl Primitives for RequestedDevice {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"Count", |s| s.count);
        f.put(&"Name", |s| &s.name);
    }
}

impl Primitives for LogConfig {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"Disabled", |s| s.disabled);
        f.put(&"MaxFileSizeMB", |s| s.max_file_size_mb);
        f.put(&"MaxFiles", |s| s.max_files);
    }
}

impl Primitives for DispatchPayloadConfig {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"File", |s| &s.file);
    }
}

impl Primitives for TaskArtifact {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"Chown", |s| s.chown);
        f.map("GetterHeaders", |s| &s.getter_headers);
        f.put(&"GetterInsecure", |s| s.getter_insecure);
        f.put(&"GetterMode", |s| &s.getter_mode);
        f.map("GetterOptions", |s| &s.getter_options);
        f.put(&"GetterSource", |s| &s.getter_source);
        f.put(&"RelativeDest", |s| &s.relative_dest);
    }
}

impl Primitives for Vault {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"AllowTokenExpiration", |s| s.allow_token_expiration);
        f.put(&"ChangeMode", |s| &s.change_mode);
        f.put(&"ChangeSignal", |s| &s.change_signal);
        f.put(&"Cluster", |s| &s.cluster);
        f.put(&"DisableFile", |s| s.disable_file);
        f.put(&"Env", |s| s.env);
        f.put(&"Namespace", |s| &s.namespace);
        f.put(&"Role", |s| &s.role);
    }
}

/// Nomad flattens secrets fully, so their opaque config shows as `Config[key]`.
impl Primitives for Secret {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.paths(|s, f| f.value_map("Config", &s.config));
        f.map("Env", |s| &s.env);
        f.put(&"Name", |s| &s.name);
        f.put(&"Path", |s| &s.path);
        f.put(&"Provider", |s| &s.provider);
    }
}

/// Uid and Gid are pointers Nomad adds back by hand, only when set.
impl Primitives for Template {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"ChangeMode", |s| &s.change_mode);
        f.put(&"ChangeSignal", |s| &s.change_signal);
        f.put(&"DestPath", |s| &s.dest_path);
        f.put(&"EmbeddedTmpl", |s| &s.embedded_tmpl);
        f.put(&"Envvars", |s| s.envvars);
        f.put(&"ErrMissingKey", |s| s.err_missing_key);
        f.put_some(&"Gid", |s| s.gid);
        f.put(&"LeftDelim", |s| &s.left_delim);
        f.put(&"Once", |s| s.once);
        f.put(&"Perms", |s| &s.perms);
        f.put(&"RightDelim", |s| &s.right_delim);
        f.put(&"SourcePath", |s| &s.source_path);
        f.put(&"Splay", |s| s.splay);
        f.put_some(&"Uid", |s| s.uid);
        f.put(&"VaultGrace", |s| s.vault_grace);
    }
}

/// Flattened fully by Nomad: an unset bound prints as "nil".
impl Primitives for WaitConfig {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"Max", |s| or_nil(s.max));
        f.put(&"Min", |s| or_nil(s.min));
    }
}

impl Primitives for ChangeScript {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"Command", |s| &s.command);
        f.put(&"FailOnError", |s| s.fail_on_error);
        f.put(&"Timeout", |s| s.timeout);
    }
}

impl Primitives for VolumeMount {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"Destination", |s| &s.destination);
        f.put(&"PropagationMode", |s| &s.propagation_mode);
        f.put(&"ReadOnly", |s| s.read_only);
        f.put(&"SELinuxLabel", |s| &s.selinux_label);
        f.put(&"Volume", |s| &s.volume);
    }
}

impl Primitives for VolumeRequest {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"AccessMode", |s| &s.access_mode);
        f.put(&"AttachmentMode", |s| &s.attachment_mode);
        f.put(&"Name", |s| &s.name);
        f.put(&"PerAlloc", |s| s.per_alloc);
        f.put(&"ReadOnly", |s| s.read_only);
        f.put(&"Source", |s| &s.source);
        f.put(&"Sticky", |s| s.sticky);
        f.put(&"Type", |s| &s.volume_type);
    }
}

impl Primitives for PeriodicConfig {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"Enabled", |s| s.enabled);
        f.put(&"ProhibitOverlap", |s| s.prohibit_overlap);
        f.put(&"Spec", |s| &s.spec);
        f.put(&"SpecType", |s| &s.spec_type);
        f.put(&"TimeZone", |s| &s.time_zone);
    }
}

impl Primitives for ParameterizedJobConfig {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"Payload", |s| &s.payload);
    }
}

impl Primitives for MultiregionStrategy {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"MaxParallel", |s| s.max_parallel);
        f.put(&"OnFailure", |s| &s.on_failure);
    }
}

impl Primitives for MultiregionRegion {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"Count", |s| s.count);
        f.map("Meta", |s| &s.meta);
        f.put(&"Name", |s| &s.name);
        f.put(&"NodePool", |s| &s.node_pool);
    }
}

impl Primitives for JobUi {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"Description", |s| &s.description);
    }
}

impl Primitives for JobUiLink {
    fn primitives(f: &mut Fields<'_, Self>) {
        f.put(&"Label", |s| &s.label);
        f.put(&"Url", |s| &s.url);
    }
}

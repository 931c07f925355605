//! Which attributes and blocks each jobspec block accepts, and the Nomad API JSON field each
//! one fills. The tables follow the HCL names and types of Nomad's `api` package.
//!
//! Fields whose JSON name starts with `#` are not job fields: they hold blocks Nomad moves
//! elsewhere after decoding (a group's `vault` goes to its tasks, constraint shorthands become
//! operands); the `post` hooks in [`crate::normalize`] consume them.

use crate::normalize;
use crate::normalize::Post;

/// The accepted contents of one kind of block.
#[derive(Debug)]
pub(crate) struct Schema {
    pub fields: &'static [Field],
    /// Runs on the decoded block, to apply Nomad's rewrites and checks.
    pub post: Option<Post>,
}

#[derive(Debug)]
pub(crate) struct Field {
    pub hcl: &'static str,
    pub json: &'static str,
    pub kind: Kind,
    pub required: bool,
}

/// The width of an integer field, for range checks.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Width {
    I8,
    U8,
    U16,
    U32,
    U64,
    I64,
}

impl Width {
    pub fn range(self) -> (i128, i128) {
        match self {
            Width::I8 => (i8::MIN.into(), i8::MAX.into()),
            Width::U8 => (0, u8::MAX.into()),
            Width::U16 => (0, u16::MAX.into()),
            Width::U32 => (0, u32::MAX.into()),
            Width::U64 => (0, u64::MAX.into()),
            Width::I64 => (i64::MIN.into(), i64::MAX.into()),
        }
    }
}

#[derive(Debug)]
pub(crate) enum Kind {
    Str,
    Int(Width),
    Bool,
    /// A Go duration string or a number of nanoseconds.
    Duration,
    StrList,
    IntList(Width),
    /// `map[string]string`: a block of attributes or an attribute holding an object.
    StrMap,
    /// `map[string][]string`, such as a check's `header` block.
    StrListMap,
    /// A free-form block such as a task's `config`: nested blocks become lists of objects.
    FreeMap,
    /// At most one block.
    Block(&'static Schema),
    /// Any number of blocks, in order.
    Blocks(&'static Schema),
    /// Labeled blocks collected into an object keyed by label.
    LabeledMap(&'static Schema),
    /// Where the block's label goes.
    Label,
}

use Kind::*;
use Width::*;

const fn field(hcl: &'static str, json: &'static str, kind: Kind) -> Field {
    Field {
        hcl,
        json,
        kind,
        required: false,
    }
}

impl Field {
    const fn required(mut self) -> Field {
        self.required = true;
        self
    }
}

macro_rules! schema {
    ($name:ident, [$($field:expr),* $(,)?]) => {
        schema!($name, [$($field),*], None);
    };
    ($name:ident, [$($field:expr),* $(,)?], $post:expr) => {
        pub(crate) static $name: Schema = Schema {
            fields: &[$($field),*],
            post: $post,
        };
    };
}

schema!(
    JOB,
    [
        field("", "#label", Label),
        field("region", "Region", Str),
        field("namespace", "Namespace", Str),
        field("id", "ID", Str),
        field("name", "Name", Str),
        field("type", "Type", Str),
        field("priority", "Priority", Int(I64)),
        field("all_at_once", "AllAtOnce", Bool),
        field("datacenters", "Datacenters", StrList),
        field("node_pool", "NodePool", Str),
        field("constraint", "Constraints", Blocks(&CONSTRAINT)),
        field("affinity", "Affinities", Blocks(&AFFINITY)),
        field("group", "TaskGroups", Blocks(&TASK_GROUP)),
        field("update", "Update", Block(&UPDATE_STRATEGY)),
        field("multiregion", "Multiregion", Block(&MULTIREGION)),
        field("spread", "Spreads", Blocks(&SPREAD)),
        field("periodic", "Periodic", Block(&PERIODIC_CONFIG)),
        field(
            "parameterized",
            "ParameterizedJob",
            Block(&PARAMETERIZED_JOB_CONFIG)
        ),
        field("reschedule", "Reschedule", Block(&RESCHEDULE_POLICY)),
        field("migrate", "Migrate", Block(&MIGRATE_STRATEGY)),
        field("meta", "Meta", StrMap),
        field("ui", "UI", Block(&JOB_UI_CONFIG)),
        field("vault", "#Vault", Block(&VAULT)),
        field("secret", "#Secrets", Blocks(&SECRET)),
        field("task", "#Tasks", Blocks(&TASK)),
    ]
);

schema!(
    CONSTRAINT,
    [
        field("attribute", "LTarget", Str),
        field("value", "RTarget", Str),
        field("operator", "Operand", Str),
        field("distinct_hosts", "#distinct_hosts", Bool),
        field("distinct_property", "#distinct_property", Str),
        field("regexp", "#regexp", Str),
        field("version", "#version", Str),
        field("semver", "#semver", Str),
        field("set_contains", "#set_contains", Str),
        field("set_contains_all", "#set_contains_all", Str),
        field("set_contains_any", "#set_contains_any", Str),
        field("is_set", "#is_set", Str),
        field("is_not_set", "#is_not_set", Str),
    ],
    Some(normalize::constraint)
);

schema!(
    AFFINITY,
    [
        field("attribute", "LTarget", Str),
        field("value", "RTarget", Str),
        field("operator", "Operand", Str),
        field("weight", "Weight", Int(I8)),
        field("regexp", "#regexp", Str),
        field("version", "#version", Str),
        field("semver", "#semver", Str),
        field("set_contains", "#set_contains", Str),
        field("set_contains_all", "#set_contains_all", Str),
        field("set_contains_any", "#set_contains_any", Str),
    ],
    Some(normalize::affinity)
);

schema!(
    TASK_GROUP,
    [
        field("name", "Name", Label),
        field("count", "Count", Int(I64)),
        field("constraint", "Constraints", Blocks(&CONSTRAINT)),
        field("affinity", "Affinities", Blocks(&AFFINITY)),
        field("task", "Tasks", Blocks(&TASK)),
        field("spread", "Spreads", Blocks(&SPREAD)),
        field("volume", "Volumes", LabeledMap(&VOLUME_REQUEST)),
        field("restart", "RestartPolicy", Block(&RESTART_POLICY)),
        field("disconnect", "Disconnect", Block(&DISCONNECT_STRATEGY)),
        field("reschedule", "ReschedulePolicy", Block(&RESCHEDULE_POLICY)),
        field("ephemeral_disk", "EphemeralDisk", Block(&EPHEMERAL_DISK)),
        field("update", "Update", Block(&UPDATE_STRATEGY)),
        field("migrate", "Migrate", Block(&MIGRATE_STRATEGY)),
        field("network", "Networks", Blocks(&NETWORK_RESOURCE)),
        field("meta", "Meta", StrMap),
        field("service", "Services", Blocks(&SERVICE)),
        field("shutdown_delay", "ShutdownDelay", Duration),
        field("max_run_duration", "MaxRunDuration", Duration),
        field(
            "stop_after_client_disconnect",
            "StopAfterClientDisconnect",
            Duration
        ),
        field("max_client_disconnect", "MaxClientDisconnect", Duration),
        field("scaling", "Scaling", Block(&SCALING_POLICY)),
        field("consul", "Consul", Block(&CONSUL)),
        field(
            "prevent_reschedule_on_lost",
            "PreventRescheduleOnLost",
            Bool
        ),
        field("vault", "#Vault", Block(&VAULT)),
        field("secret", "#Secrets", Blocks(&SECRET)),
    ],
    Some(normalize::task_group)
);

schema!(
    TASK,
    [
        field("name", "Name", Label),
        field("driver", "Driver", Str),
        field("user", "User", Str),
        field("lifecycle", "Lifecycle", Block(&TASK_LIFECYCLE)),
        field("config", "Config", FreeMap),
        field("constraint", "Constraints", Blocks(&CONSTRAINT)),
        field("affinity", "Affinities", Blocks(&AFFINITY)),
        field("env", "Env", StrMap),
        field("service", "Services", Blocks(&SERVICE)),
        field("resources", "Resources", Block(&RESOURCES)),
        field("restart", "RestartPolicy", Block(&RESTART_POLICY)),
        field("meta", "Meta", StrMap),
        field("kill_timeout", "KillTimeout", Duration),
        field("logs", "LogConfig", Block(&LOG_CONFIG)),
        field("artifact", "Artifacts", Blocks(&TASK_ARTIFACT)),
        field("vault", "Vault", Block(&VAULT)),
        field("consul", "Consul", Block(&CONSUL)),
        field("template", "Templates", Blocks(&TEMPLATE)),
        field(
            "dispatch_payload",
            "DispatchPayload",
            Block(&DISPATCH_PAYLOAD_CONFIG)
        ),
        field("volume_mount", "VolumeMounts", Blocks(&VOLUME_MOUNT)),
        field(
            "csi_plugin",
            "CSIPluginConfig",
            Block(&TASK_CSI_PLUGIN_CONFIG)
        ),
        field("leader", "Leader", Bool),
        field("shutdown_delay", "ShutdownDelay", Duration),
        field("kill_signal", "KillSignal", Str),
        field("kind", "Kind", Str),
        field("scaling", "ScalingPolicies", Blocks(&TASK_SCALING_POLICY)),
        field("secret", "Secrets", Blocks(&SECRET)),
        field("identity", "Identities", Blocks(&WORKLOAD_IDENTITY)),
        field("action", "Actions", Blocks(&ACTION)),
        field("schedule", "Schedule", Block(&TASK_SCHEDULE)),
    ],
    Some(normalize::task)
);

schema!(
    TASK_LIFECYCLE,
    [
        field("hook", "Hook", Str).required(),
        field("sidecar", "Sidecar", Bool),
    ]
);

schema!(
    SERVICE,
    [
        field("name", "Name", Str),
        field("tags", "Tags", StrList),
        field("canary_tags", "CanaryTags", StrList),
        field("enable_tag_override", "EnableTagOverride", Bool),
        field("port", "PortLabel", Str),
        field("address_mode", "AddressMode", Str),
        field("address", "Address", Str),
        field("check", "Checks", Blocks(&SERVICE_CHECK)),
        field("check_restart", "CheckRestart", Block(&CHECK_RESTART)),
        field("connect", "Connect", Block(&CONSUL_CONNECT)),
        field("meta", "Meta", StrMap),
        field("canary_meta", "CanaryMeta", StrMap),
        field("tagged_addresses", "TaggedAddresses", StrMap),
        field("task", "TaskName", Str),
        field("on_update", "OnUpdate", Str),
        field("identity", "Identity", Block(&WORKLOAD_IDENTITY)),
        field("weights", "Weights", Block(&SERVICE_WEIGHTS)),
        field("provider", "Provider", Str),
        field("cluster", "Cluster", Str),
        field("kind", "Kind", Str),
    ]
);

schema!(
    SERVICE_CHECK,
    [
        field("name", "Name", Str),
        field("type", "Type", Str),
        field("command", "Command", Str),
        field("args", "Args", StrList),
        field("path", "Path", Str),
        field("protocol", "Protocol", Str),
        field("port", "PortLabel", Str),
        field("expose", "Expose", Bool),
        field("address_mode", "AddressMode", Str),
        field("advertise", "Advertise", Str),
        field("interval", "Interval", Duration),
        field("timeout", "Timeout", Duration),
        field("initial_status", "InitialStatus", Str),
        field("notes", "Notes", Str),
        field("tls_server_name", "TLSServerName", Str),
        field("tls_skip_verify", "TLSSkipVerify", Bool),
        field("header", "Header", StrListMap),
        field("method", "Method", Str),
        field("check_restart", "CheckRestart", Block(&CHECK_RESTART)),
        field("grpc_service", "GRPCService", Str),
        field("grpc_use_tls", "GRPCUseTLS", Bool),
        field("task", "TaskName", Str),
        field("success_before_passing", "SuccessBeforePassing", Int(I64)),
        field(
            "failures_before_critical",
            "FailuresBeforeCritical",
            Int(I64)
        ),
        field("failures_before_warning", "FailuresBeforeWarning", Int(I64)),
        field("body", "Body", Str),
        field("on_update", "OnUpdate", Str),
    ]
);

schema!(
    CHECK_RESTART,
    [
        field("limit", "Limit", Int(I64)),
        field("grace", "Grace", Duration),
        field("ignore_warnings", "IgnoreWarnings", Bool),
    ]
);

schema!(
    CONSUL_CONNECT,
    [
        field("native", "Native", Bool),
        field("gateway", "Gateway", Block(&CONSUL_GATEWAY)),
        field(
            "sidecar_service",
            "SidecarService",
            Block(&CONSUL_SIDECAR_SERVICE)
        ),
        field("sidecar_task", "SidecarTask", Block(&SIDECAR_TASK)),
    ]
);

schema!(
    CONSUL_GATEWAY,
    [
        field("proxy", "Proxy", Block(&CONSUL_GATEWAY_PROXY)),
        field("ingress", "Ingress", Block(&CONSUL_INGRESS_CONFIG_ENTRY)),
        field(
            "terminating",
            "Terminating",
            Block(&CONSUL_TERMINATING_CONFIG_ENTRY)
        ),
        field("mesh", "Mesh", Block(&CONSUL_MESH_CONFIG_ENTRY)),
    ]
);

schema!(
    CONSUL_GATEWAY_PROXY,
    [
        field("connect_timeout", "ConnectTimeout", Duration),
        field(
            "envoy_gateway_bind_tagged_addresses",
            "EnvoyGatewayBindTaggedAddresses",
            Bool
        ),
        field(
            "envoy_gateway_bind_addresses",
            "EnvoyGatewayBindAddresses",
            LabeledMap(&CONSUL_GATEWAY_BIND_ADDRESS)
        ),
        field(
            "envoy_gateway_no_default_bind",
            "EnvoyGatewayNoDefaultBind",
            Bool
        ),
        field("envoy_dns_discovery_type", "EnvoyDNSDiscoveryType", Str),
        field("config", "Config", FreeMap),
    ]
);

schema!(
    CONSUL_GATEWAY_BIND_ADDRESS,
    [
        field("", "Name", Label),
        field("address", "Address", Str),
        field("port", "Port", Int(I64)),
    ]
);

schema!(
    CONSUL_INGRESS_CONFIG_ENTRY,
    [
        field("tls", "TLS", Block(&CONSUL_GATEWAY_TLS_CONFIG)),
        field("listener", "Listeners", Blocks(&CONSUL_INGRESS_LISTENER)),
    ]
);

schema!(
    CONSUL_GATEWAY_TLS_CONFIG,
    [
        field("enabled", "Enabled", Bool),
        field("tls_min_version", "TLSMinVersion", Str),
        field("tls_max_version", "TLSMaxVersion", Str),
        field("cipher_suites", "CipherSuites", StrList),
        field("sds", "SDS", Block(&CONSUL_GATEWAY_TLS_SDS_CONFIG)),
    ]
);

schema!(
    CONSUL_GATEWAY_TLS_SDS_CONFIG,
    [
        field("cluster_name", "ClusterName", Str),
        field("cert_resource", "CertResource", Str),
    ]
);

schema!(
    CONSUL_INGRESS_LISTENER,
    [
        field("port", "Port", Int(I64)),
        field("protocol", "Protocol", Str),
        field("service", "Services", Blocks(&CONSUL_INGRESS_SERVICE)),
    ]
);

schema!(
    CONSUL_INGRESS_SERVICE,
    [
        field("name", "Name", Str),
        field("hosts", "Hosts", StrList),
        field("tls", "TLS", Block(&CONSUL_GATEWAY_TLS_CONFIG)),
        field(
            "request_headers",
            "RequestHeaders",
            Block(&CONSUL_HTTP_HEADER_MODIFIERS)
        ),
        field(
            "response_headers",
            "ResponseHeaders",
            Block(&CONSUL_HTTP_HEADER_MODIFIERS)
        ),
        field("max_connections", "MaxConnections", Int(U32)),
        field("max_pending_requests", "MaxPendingRequests", Int(U32)),
        field("max_concurrent_requests", "MaxConcurrentRequests", Int(U32)),
    ]
);

schema!(
    CONSUL_HTTP_HEADER_MODIFIERS,
    [
        field("add", "Add", StrMap),
        field("set", "Set", StrMap),
        field("remove", "Remove", StrList),
    ]
);

schema!(
    CONSUL_TERMINATING_CONFIG_ENTRY,
    [field("service", "Services", Blocks(&CONSUL_LINKED_SERVICE)),]
);

schema!(
    CONSUL_LINKED_SERVICE,
    [
        field("name", "Name", Str),
        field("ca_file", "CAFile", Str),
        field("cert_file", "CertFile", Str),
        field("key_file", "KeyFile", Str),
        field("sni", "SNI", Str),
    ]
);

schema!(CONSUL_MESH_CONFIG_ENTRY, [
    ,
]);

schema!(
    CONSUL_SIDECAR_SERVICE,
    [
        field("tags", "Tags", StrList),
        field("port", "Port", Str),
        field("proxy", "Proxy", Block(&CONSUL_PROXY)),
        field("disable_default_tcp_check", "DisableDefaultTCPCheck", Bool),
        field("meta", "Meta", StrMap),
    ]
);

schema!(
    CONSUL_PROXY,
    [
        field("local_service_address", "LocalServiceAddress", Str),
        field("local_service_port", "LocalServicePort", Int(I64)),
        field("expose", "Expose", Block(&CONSUL_EXPOSE_CONFIG)),
        field("upstreams", "Upstreams", Blocks(&CONSUL_UPSTREAM)),
        field(
            "transparent_proxy",
            "TransparentProxy",
            Block(&CONSUL_TRANSPARENT_PROXY)
        ),
        field("config", "Config", FreeMap),
    ]
);

schema!(
    CONSUL_EXPOSE_CONFIG,
    [field("path", "Paths", Blocks(&CONSUL_EXPOSE_PATH)),]
);

schema!(
    CONSUL_EXPOSE_PATH,
    [
        field("path", "Path", Str),
        field("protocol", "Protocol", Str),
        field("local_path_port", "LocalPathPort", Int(I64)),
        field("listener_port", "ListenerPort", Str),
    ]
);

schema!(
    CONSUL_UPSTREAM,
    [
        field("destination_name", "DestinationName", Str),
        field("destination_namespace", "DestinationNamespace", Str),
        field("destination_peer", "DestinationPeer", Str),
        field("destination_partition", "DestinationPartition", Str),
        field("destination_type", "DestinationType", Str),
        field("local_bind_port", "LocalBindPort", Int(I64)),
        field("datacenter", "Datacenter", Str),
        field("local_bind_address", "LocalBindAddress", Str),
        field("local_bind_socket_path", "LocalBindSocketPath", Str),
        field("local_bind_socket_mode", "LocalBindSocketMode", Str),
        field("mesh_gateway", "MeshGateway", Block(&CONSUL_MESH_GATEWAY)),
        field("config", "Config", FreeMap),
    ]
);

schema!(CONSUL_MESH_GATEWAY, [field("mode", "Mode", Str),]);

schema!(
    CONSUL_TRANSPARENT_PROXY,
    [
        field("uid", "UID", Str),
        field("outbound_port", "OutboundPort", Int(U16)),
        field("exclude_inbound_ports", "ExcludeInboundPorts", StrList),
        field(
            "exclude_outbound_ports",
            "ExcludeOutboundPorts",
            IntList(U16)
        ),
        field("exclude_outbound_cidrs", "ExcludeOutboundCIDRs", StrList),
        field("exclude_uids", "ExcludeUIDs", StrList),
        field("no_dns", "NoDNS", Bool),
    ]
);

schema!(
    SIDECAR_TASK,
    [
        field("name", "Name", Str),
        field("driver", "Driver", Str),
        field("user", "User", Str),
        field("config", "Config", FreeMap),
        field("env", "Env", StrMap),
        field("resources", "Resources", Block(&RESOURCES)),
        field("meta", "Meta", StrMap),
        field("kill_timeout", "KillTimeout", Duration),
        field("logs", "LogConfig", Block(&LOG_CONFIG)),
        field("shutdown_delay", "ShutdownDelay", Duration),
        field("kill_signal", "KillSignal", Str),
        field("volume_mount", "VolumeMounts", Blocks(&VOLUME_MOUNT)),
        field("identity", "Identities", Blocks(&WORKLOAD_IDENTITY)),
    ]
);

schema!(
    RESOURCES,
    [
        field("cpu", "CPU", Int(I64)),
        field("cores", "Cores", Int(I64)),
        field("memory", "MemoryMB", Int(I64)),
        field("memory_max", "MemoryMaxMB", Int(I64)),
        field("disk", "DiskMB", Int(I64)),
        field("network", "Networks", Blocks(&NETWORK_RESOURCE)),
        field("device", "Devices", Blocks(&REQUESTED_DEVICE)),
        field("numa", "NUMA", Block(&NUMA_RESOURCE)),
        field("secrets", "SecretsMB", Int(I64)),
        field("iops", "IOPS", Int(I64)),
    ]
);

schema!(
    NETWORK_RESOURCE,
    [
        field("mode", "Mode", Str),
        field("device", "Device", Str),
        field("cidr", "CIDR", Str),
        field("ip", "IP", Str),
        field("dns", "DNS", Block(&DNS_CONFIG)),
        field("reserved_ports", "ReservedPorts", Blocks(&PORT)),
        field("port", "DynamicPorts", Blocks(&PORT)),
        field("hostname", "Hostname", Str),
        field("mbits", "MBits", Int(I64)),
        field("cni", "CNI", Block(&CNI_CONFIG)),
    ],
    Some(normalize::network)
);

schema!(
    DNS_CONFIG,
    [
        field("servers", "Servers", StrList),
        field("searches", "Searches", StrList),
        field("options", "Options", StrList),
    ]
);

schema!(
    PORT,
    [
        field("", "Label", Label),
        field("static", "Value", Int(I64)),
        field("to", "To", Int(I64)),
        field("host_network", "HostNetwork", Str),
        field("ignore_collision", "IgnoreCollision", Bool),
    ]
);

schema!(CNI_CONFIG, [field("args", "Args", StrMap),]);

schema!(
    REQUESTED_DEVICE,
    [
        field("", "Name", Label),
        field("count", "Count", Int(U64)),
        field("constraint", "Constraints", Blocks(&CONSTRAINT)),
        field("affinity", "Affinities", Blocks(&AFFINITY)),
    ]
);

schema!(
    NUMA_RESOURCE,
    [
        field("affinity", "Affinity", Str),
        field("devices", "Devices", StrList),
    ]
);

schema!(
    LOG_CONFIG,
    [
        field("max_files", "MaxFiles", Int(I64)),
        field("max_file_size", "MaxFileSizeMB", Int(I64)),
        field("enabled", "Enabled", Bool),
        field("disabled", "Disabled", Bool),
    ]
);

schema!(
    VOLUME_MOUNT,
    [
        field("volume", "Volume", Str),
        field("destination", "Destination", Str),
        field("read_only", "ReadOnly", Bool),
        field("propagation_mode", "PropagationMode", Str),
        field("selinux_label", "SELinuxLabel", Str),
    ]
);

schema!(
    WORKLOAD_IDENTITY,
    [
        field("name", "Name", Str),
        field("aud", "Audience", StrList),
        field("change_mode", "ChangeMode", Str),
        field("change_signal", "ChangeSignal", Str),
        field("env", "Env", Bool),
        field("file", "File", Bool),
        field("filepath", "Filepath", Str),
        field("service_name", "ServiceName", Str),
        field("ttl", "TTL", Duration),
        field("extra_claims", "ExtraClaims", StrList),
    ]
);

schema!(
    SERVICE_WEIGHTS,
    [
        field("passing", "Passing", Int(I64)),
        field("warning", "Warning", Int(I64)),
    ]
);

schema!(
    RESTART_POLICY,
    [
        field("interval", "Interval", Duration),
        field("attempts", "Attempts", Int(I64)),
        field("delay", "Delay", Duration),
        field("mode", "Mode", Str),
        field("render_templates", "RenderTemplates", Bool),
    ]
);

schema!(
    TASK_ARTIFACT,
    [
        field("source", "GetterSource", Str),
        field("options", "GetterOptions", StrMap),
        field("headers", "GetterHeaders", StrMap),
        field("mode", "GetterMode", Str),
        field("insecure", "GetterInsecure", Bool),
        field("destination", "RelativeDest", Str),
        field("chown", "Chown", Bool),
    ]
);

schema!(
    VAULT,
    [
        field("policies", "Policies", StrList),
        field("role", "Role", Str),
        field("namespace", "Namespace", Str),
        field("cluster", "Cluster", Str),
        field("env", "Env", Bool),
        field("disable_file", "DisableFile", Bool),
        field("change_mode", "ChangeMode", Str),
        field("change_signal", "ChangeSignal", Str),
        field("allow_token_expiration", "AllowTokenExpiration", Bool),
    ],
    Some(normalize::vault)
);

schema!(
    CONSUL,
    [
        field("namespace", "Namespace", Str),
        field("cluster", "Cluster", Str),
        field("partition", "Partition", Str),
    ]
);

schema!(
    TEMPLATE,
    [
        field("source", "SourcePath", Str),
        field("destination", "DestPath", Str),
        field("data", "EmbeddedTmpl", Str),
        field("change_mode", "ChangeMode", Str),
        field("change_script", "ChangeScript", Block(&CHANGE_SCRIPT)),
        field("change_signal", "ChangeSignal", Str),
        field("once", "Once", Bool),
        field("splay", "Splay", Duration),
        field("perms", "Perms", Str),
        field("uid", "Uid", Int(I64)),
        field("gid", "Gid", Int(I64)),
        field("left_delimiter", "LeftDelim", Str),
        field("right_delimiter", "RightDelim", Str),
        field("env", "Envvars", Bool),
        field("vault_grace", "VaultGrace", Duration),
        field("wait", "Wait", Block(&WAIT_CONFIG)),
        field("error_on_missing_key", "ErrMissingKey", Bool),
    ],
    Some(normalize::template)
);

schema!(
    CHANGE_SCRIPT,
    [
        field("command", "Command", Str).required(),
        field("args", "Args", StrList),
        field("timeout", "Timeout", Duration),
        field("fail_on_error", "FailOnError", Bool).required(),
        field("run_on_first_render", "RunOnFirstRender", Bool),
    ],
    Some(normalize::change_script)
);

schema!(
    WAIT_CONFIG,
    [
        field("min", "Min", Duration).required(),
        field("max", "Max", Duration).required(),
    ]
);

schema!(DISPATCH_PAYLOAD_CONFIG, [field("file", "File", Str),]);

schema!(
    TASK_CSI_PLUGIN_CONFIG,
    [
        field("id", "ID", Str),
        field("type", "Type", Str),
        field("mount_dir", "MountDir", Str),
        field("stage_publish_base_dir", "StagePublishBaseDir", Str),
        field("health_timeout", "HealthTimeout", Duration),
    ]
);

schema!(
    SCALING_POLICY,
    [
        field("min", "Min", Int(I64)),
        field("max", "Max", Int(I64)),
        field("policy", "Policy", FreeMap),
        field("enabled", "Enabled", Bool),
        field("type", "Type", Str),
    ],
    Some(normalize::group_scaling)
);

schema!(
    TASK_SCALING_POLICY,
    [
        field("", "#label", Label),
        field("min", "Min", Int(I64)),
        field("max", "Max", Int(I64)),
        field("policy", "Policy", FreeMap),
        field("enabled", "Enabled", Bool),
        field("type", "Type", Str),
    ],
    Some(normalize::task_scaling)
);

schema!(
    SECRET,
    [
        field("name", "Name", Label),
        field("provider", "Provider", Str),
        field("path", "Path", Str),
        field("config", "Config", FreeMap),
        field("env", "Env", StrMap),
    ]
);

schema!(
    ACTION,
    [
        field("name", "Name", Label),
        field("command", "Command", Str).required(),
        field("args", "Args", StrList),
    ]
);

schema!(
    TASK_SCHEDULE,
    [field("cron", "Cron", Block(&TASK_SCHEDULE_CRON)),]
);

schema!(
    TASK_SCHEDULE_CRON,
    [
        field("start", "Start", Str),
        field("end", "End", Str),
        field("timezone", "Timezone", Str),
    ]
);

schema!(
    SPREAD,
    [
        field("attribute", "Attribute", Str),
        field("weight", "Weight", Int(I8)),
        field("target", "SpreadTarget", Blocks(&SPREAD_TARGET)),
    ]
);

schema!(
    SPREAD_TARGET,
    [
        field("", "Value", Label),
        field("percent", "Percent", Int(U8)),
    ]
);

schema!(
    VOLUME_REQUEST,
    [
        field("name", "Name", Label),
        field("type", "Type", Str),
        field("source", "Source", Str),
        field("read_only", "ReadOnly", Bool),
        field("sticky", "Sticky", Bool),
        field("access_mode", "AccessMode", Str),
        field("attachment_mode", "AttachmentMode", Str),
        field("mount_options", "MountOptions", Block(&CSI_MOUNT_OPTIONS)),
        field("per_alloc", "PerAlloc", Bool),
    ]
);

schema!(
    CSI_MOUNT_OPTIONS,
    [
        field("fs_type", "FSType", Str),
        field("mount_flags", "MountFlags", StrList),
    ]
);

schema!(
    DISCONNECT_STRATEGY,
    [
        field("lost_after", "LostAfter", Duration),
        field("stop_on_client_after", "StopOnClientAfter", Duration),
        field("replace", "Replace", Bool),
        field("reconcile", "Reconcile", Str),
    ]
);

schema!(
    RESCHEDULE_POLICY,
    [
        field("attempts", "Attempts", Int(I64)),
        field("interval", "Interval", Duration),
        field("delay", "Delay", Duration),
        field("delay_function", "DelayFunction", Str),
        field("max_delay", "MaxDelay", Duration),
        field("unlimited", "Unlimited", Bool),
    ]
);

schema!(
    EPHEMERAL_DISK,
    [
        field("sticky", "Sticky", Bool),
        field("migrate", "Migrate", Bool),
        field("size", "SizeMB", Int(I64)),
    ]
);

schema!(
    UPDATE_STRATEGY,
    [
        field("stagger", "Stagger", Duration),
        field("max_parallel", "MaxParallel", Int(I64)),
        field("health_check", "HealthCheck", Str),
        field("min_healthy_time", "MinHealthyTime", Duration),
        field("healthy_deadline", "HealthyDeadline", Duration),
        field("progress_deadline", "ProgressDeadline", Duration),
        field("canary", "Canary", Int(I64)),
        field("auto_revert", "AutoRevert", Bool),
        field("auto_promote", "AutoPromote", Bool),
    ]
);

schema!(
    MIGRATE_STRATEGY,
    [
        field("max_parallel", "MaxParallel", Int(I64)),
        field("health_check", "HealthCheck", Str),
        field("min_healthy_time", "MinHealthyTime", Duration),
        field("healthy_deadline", "HealthyDeadline", Duration),
    ]
);

schema!(
    MULTIREGION,
    [
        field("strategy", "Strategy", Block(&MULTIREGION_STRATEGY)),
        field("region", "Regions", Blocks(&MULTIREGION_REGION)),
    ]
);

schema!(
    MULTIREGION_STRATEGY,
    [
        field("max_parallel", "MaxParallel", Int(I64)),
        field("on_failure", "OnFailure", Str),
    ]
);

schema!(
    MULTIREGION_REGION,
    [
        field("", "Name", Label),
        field("count", "Count", Int(I64)),
        field("datacenters", "Datacenters", StrList),
        field("node_pool", "NodePool", Str),
        field("meta", "Meta", StrMap),
    ]
);

schema!(
    PERIODIC_CONFIG,
    [
        field("enabled", "Enabled", Bool),
        field("cron", "Spec", Str),
        field("crons", "Specs", StrList),
        field("prohibit_overlap", "ProhibitOverlap", Bool),
        field("time_zone", "TimeZone", Str),
    ],
    Some(normalize::periodic)
);

schema!(
    PARAMETERIZED_JOB_CONFIG,
    [
        field("payload", "Payload", Str),
        field("meta_required", "MetaRequired", StrList),
        field("meta_optional", "MetaOptional", StrList),
    ]
);

schema!(
    JOB_UI_CONFIG,
    [
        field("description", "Description", Str),
        field("link", "Links", Blocks(&JOB_UI_LINK)),
    ]
);

schema!(
    JOB_UI_LINK,
    [field("label", "Label", Str), field("url", "URL", Str),]
);

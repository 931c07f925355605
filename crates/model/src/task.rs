//! `Task`: one process a driver runs, with its resources, logs, templates, artifacts and the
//! blocks kept as plain data (vault, consul, identities, actions).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use smol_str::SmolStr;

use crate::{
    Affinity, Constraint, Consul, Nanos, NetworkResource, RestartPolicy, SECOND, ScalingPolicy,
    Service,
};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Task {
    pub name: SmolStr,
    pub driver: SmolStr,
    pub user: SmolStr,
    /// The driver's configuration, opaque to the server.
    #[serde(with = "crate::nullable")]
    pub config: BTreeMap<String, Value>,
    #[serde(with = "crate::nullable")]
    pub env: BTreeMap<String, String>,
    #[serde(with = "crate::nullable")]
    pub services: Vec<Service>,
    pub vault: Option<Vault>,
    #[serde(with = "crate::nullable")]
    pub secrets: Vec<Secret>,
    pub consul: Option<Consul>,
    #[serde(with = "crate::nullable")]
    pub templates: Vec<Template>,
    #[serde(with = "crate::nullable")]
    pub constraints: Vec<Constraint>,
    #[serde(with = "crate::nullable")]
    pub affinities: Vec<Affinity>,
    pub resources: Option<Resources>,
    pub restart_policy: Option<RestartPolicy>,
    pub dispatch_payload: Option<DispatchPayloadConfig>,
    pub lifecycle: Option<TaskLifecycle>,
    #[serde(with = "crate::nullable")]
    pub meta: BTreeMap<String, String>,
    pub kill_timeout: Nanos,
    pub log_config: Option<LogConfig>,
    #[serde(with = "crate::nullable")]
    pub artifacts: Vec<TaskArtifact>,
    pub leader: bool,
    pub shutdown_delay: Nanos,
    #[serde(with = "crate::nullable")]
    pub volume_mounts: Vec<VolumeMount>,
    #[serde(with = "crate::nullable")]
    pub scaling_policies: Vec<ScalingPolicy>,
    pub kill_signal: SmolStr,
    pub kind: SmolStr,
    /// Kept as data.
    #[serde(rename = "CSIPluginConfig")]
    pub csi_plugin_config: Option<Value>,
    /// Workload identities, kept as data.
    pub identity: Option<Value>,
    #[serde(with = "crate::nullable")]
    pub identities: Vec<Value>,
    /// Kept as data.
    #[serde(with = "crate::nullable")]
    pub actions: Vec<Value>,
    /// Kept as data.
    pub schedule: Option<Value>,
}

impl Task {
    /// A main task: not a lifecycle hook (a hook-less lifecycle block also counts as main).
    pub fn is_main(&self) -> bool {
        self.lifecycle.as_ref().is_none_or(|l| l.hook.is_empty())
    }
}

/// What a task asks of its node. Disk is asked at the group level (`EphemeralDisk`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Resources {
    /// MHz.
    #[serde(rename = "CPU")]
    pub cpu: i64,
    pub cores: i64,
    #[serde(rename = "MemoryMB")]
    pub memory_mb: i64,
    #[serde(rename = "MemoryMaxMB")]
    pub memory_max_mb: i64,
    #[serde(rename = "DiskMB")]
    pub disk_mb: i64,
    /// Deprecated; read only to warn about it.
    #[serde(rename = "IOPS")]
    pub iops: i64,
    #[serde(with = "crate::nullable")]
    pub networks: Vec<NetworkResource>,
    #[serde(with = "crate::nullable")]
    pub devices: Vec<RequestedDevice>,
    /// Kept as data.
    #[serde(rename = "NUMA")]
    pub numa: Option<Value>,
    #[serde(rename = "SecretsMB")]
    pub secrets_mb: i64,
}

/// A device request (`device "nvidia/gpu" { count = 2 }`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RequestedDevice {
    pub name: String,
    pub count: u64,
    #[serde(with = "crate::nullable")]
    pub constraints: Vec<Constraint>,
    #[serde(with = "crate::nullable")]
    pub affinities: Vec<Affinity>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct LogConfig {
    pub max_files: i64,
    #[serde(rename = "MaxFileSizeMB")]
    pub max_file_size_mb: i64,
    pub disabled: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Template {
    pub source_path: String,
    pub dest_path: String,
    pub embedded_tmpl: String,
    pub change_mode: String,
    pub change_signal: String,
    pub change_script: Option<ChangeScript>,
    pub once: bool,
    /// Absent on input means 5s; an explicit 0 is kept.
    #[serde(default = "five_seconds")]
    pub splay: Nanos,
    pub perms: String,
    pub uid: Option<i64>,
    pub gid: Option<i64>,
    pub left_delim: String,
    pub right_delim: String,
    pub envvars: bool,
    pub vault_grace: Nanos,
    pub wait: Option<WaitConfig>,
    pub err_missing_key: bool,
}

fn five_seconds() -> Nanos {
    5 * SECOND
}

/// Template change modes.
pub mod change_mode {
    pub const NOOP: &str = "noop";
    pub const SIGNAL: &str = "signal";
    pub const RESTART: &str = "restart";
    pub const SCRIPT: &str = "script";
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ChangeScript {
    pub command: String,
    #[serde(with = "crate::nullable")]
    pub args: Vec<String>,
    pub timeout: Nanos,
    pub fail_on_error: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct WaitConfig {
    pub min: Option<Nanos>,
    pub max: Option<Nanos>,
}

/// Something go-getter downloads into the task directory before it starts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TaskArtifact {
    pub getter_source: String,
    #[serde(with = "crate::nullable")]
    pub getter_options: BTreeMap<String, String>,
    #[serde(with = "crate::nullable")]
    pub getter_headers: BTreeMap<String, String>,
    pub getter_mode: String,
    pub getter_insecure: bool,
    pub relative_dest: String,
    pub chown: bool,
}

/// `lifecycle`: run the task as a hook around the main tasks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TaskLifecycle {
    /// One of [`lifecycle_hook`].
    pub hook: String,
    pub sidecar: bool,
}

pub mod lifecycle_hook {
    pub const PRESTART: &str = "prestart";
    pub const POSTSTART: &str = "poststart";
    pub const POSTSTOP: &str = "poststop";
}

/// `dispatch_payload`: where a dispatched job's payload is written inside the task.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DispatchPayloadConfig {
    pub file: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VolumeMount {
    pub volume: String,
    pub destination: String,
    pub read_only: bool,
    pub propagation_mode: String,
    #[serde(rename = "SELinuxLabel")]
    pub selinux_label: String,
}

/// A task's `vault` block, kept as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Vault {
    /// Deprecated in Nomad in favor of workload identities, still accepted and kept.
    #[serde(with = "crate::nullable")]
    pub policies: Vec<String>,
    pub role: String,
    pub namespace: String,
    pub cluster: String,
    pub env: bool,
    pub disable_file: bool,
    pub change_mode: String,
    pub change_signal: String,
    pub allow_token_expiration: bool,
}

impl Default for Vault {
    /// The token is exposed in the environment unless the block says otherwise.
    fn default() -> Self {
        Self {
            policies: Vec::new(),
            role: String::new(),
            namespace: String::new(),
            cluster: String::new(),
            env: true,
            disable_file: false,
            change_mode: String::new(),
            change_signal: String::new(),
            allow_token_expiration: false,
        }
    }
}

/// A task's `secret` block, kept as data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Secret {
    pub name: String,
    pub provider: String,
    pub path: String,
    #[serde(with = "crate::nullable")]
    pub config: BTreeMap<String, Value>,
    #[serde(with = "crate::nullable")]
    pub env: BTreeMap<String, String>,
}

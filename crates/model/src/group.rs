//! `TaskGroup`: tasks placed together on one node, and the policies that govern them (restart,
//! reschedule, migrate, disconnect, scaling, ephemeral disk, volumes).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use smol_str::SmolStr;

use crate::{Affinity, Constraint, Nanos, NetworkResource, Service, Spread, Task, UpdateStrategy};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TaskGroup {
    pub name: SmolStr,
    /// Absent on input means 1 (Nomad's API default); an explicit 0 is kept.
    #[serde(default = "one")]
    pub count: i64,
    pub update: Option<UpdateStrategy>,
    pub migrate: Option<MigrateStrategy>,
    #[serde(with = "crate::nullable")]
    pub constraints: Vec<Constraint>,
    pub scaling: Option<ScalingPolicy>,
    pub restart_policy: Option<RestartPolicy>,
    pub disconnect: Option<DisconnectStrategy>,
    #[serde(with = "crate::nullable")]
    pub tasks: Vec<Arc<Task>>,
    pub ephemeral_disk: Option<EphemeralDisk>,
    #[serde(with = "crate::nullable")]
    pub meta: BTreeMap<String, String>,
    pub reschedule_policy: Option<ReschedulePolicy>,
    #[serde(with = "crate::nullable")]
    pub affinities: Vec<Affinity>,
    #[serde(with = "crate::nullable")]
    pub spreads: Vec<Spread>,
    #[serde(with = "crate::nullable")]
    pub networks: Vec<NetworkResource>,
    pub consul: Option<Consul>,
    #[serde(with = "crate::nullable")]
    pub services: Vec<Service>,
    #[serde(with = "crate::nullable")]
    pub volumes: BTreeMap<String, VolumeRequest>,
    pub shutdown_delay: Option<Nanos>,
    pub max_run_duration: Option<Nanos>,
    /// Deprecated by `disconnect.stop_on_client_after`; kept as data.
    pub stop_after_client_disconnect: Option<Nanos>,
    /// Deprecated by `disconnect.lost_after`; kept as data.
    pub max_client_disconnect: Option<Nanos>,
    pub prevent_reschedule_on_lost: bool,
}

fn one() -> i64 {
    1
}

impl TaskGroup {
    pub fn lookup_task(&self, name: &str) -> Option<&Task> {
        self.tasks.iter().find(|t| t.name == name).map(Arc::as_ref)
    }
}

/// `restart`: what the client does when a task exits. Fields are optional on input because the
/// task's block is merged over the group's, and the group's over the job type's default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RestartPolicy {
    pub attempts: Option<i64>,
    pub interval: Option<Nanos>,
    pub delay: Option<Nanos>,
    /// One of [`restart_mode`].
    pub mode: Option<String>,
    pub render_templates: Option<bool>,
}

pub mod restart_mode {
    pub const DELAY: &str = "delay";
    pub const FAIL: &str = "fail";
}

/// `reschedule`: how the scheduler replaces failed allocations. Optional fields for the same
/// field-by-field merge as [`RestartPolicy`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ReschedulePolicy {
    pub attempts: Option<i64>,
    pub interval: Option<Nanos>,
    pub delay: Option<Nanos>,
    /// One of [`delay_function`].
    pub delay_function: Option<String>,
    pub max_delay: Option<Nanos>,
    pub unlimited: Option<bool>,
}

pub mod delay_function {
    pub const CONSTANT: &str = "constant";
    pub const EXPONENTIAL: &str = "exponential";
    pub const FIBONACCI: &str = "fibonacci";
}

/// `migrate`: how allocations leave a draining node.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct MigrateStrategy {
    pub max_parallel: Option<i64>,
    pub health_check: Option<String>,
    pub min_healthy_time: Option<Nanos>,
    pub healthy_deadline: Option<Nanos>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EphemeralDisk {
    pub sticky: bool,
    #[serde(rename = "SizeMB")]
    pub size_mb: i64,
    pub migrate: bool,
}

/// `scaling`: the bounds an autoscaler may move the group's count within.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ScalingPolicy {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "Type")]
    pub policy_type: String,
    /// `Namespace`, `Job`, `Group` (and `Task` for task policies).
    #[serde(with = "crate::nullable")]
    pub target: BTreeMap<String, String>,
    /// Opaque to Nomad: the autoscaler's own configuration.
    #[serde(with = "crate::nullable")]
    pub policy: BTreeMap<String, serde_json::Value>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub enabled: Option<bool>,
    pub create_index: u64,
    pub modify_index: u64,
}

pub const SCALING_POLICY_TYPE_HORIZONTAL: &str = "horizontal";

/// `volume` in a group: a host or CSI volume the group's tasks may mount.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VolumeRequest {
    pub name: String,
    #[serde(rename = "Type")]
    pub volume_type: String,
    pub source: String,
    pub read_only: bool,
    pub sticky: bool,
    pub access_mode: String,
    pub attachment_mode: String,
    /// Kept as data.
    pub mount_options: Option<serde_json::Value>,
    pub per_alloc: bool,
}

pub mod volume_type {
    pub const HOST: &str = "host";
    pub const CSI: &str = "csi";
}

/// `disconnect`: what happens to allocations whose client stops heartbeating.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DisconnectStrategy {
    pub lost_after: Nanos,
    pub stop_on_client_after: Option<Nanos>,
    pub replace: Option<bool>,
    /// One of [`reconcile`].
    pub reconcile: String,
}

/// Reconcile options of a disconnect block.
pub mod reconcile {
    pub const KEEP_ORIGINAL: &str = "keep_original";
    pub const KEEP_REPLACEMENT: &str = "keep_replacement";
    pub const BEST_SCORE: &str = "best_score";
    pub const LONGEST_RUNNING: &str = "longest_running";
}

/// A `consul` block of a group or task, kept as data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Consul {
    pub namespace: String,
    pub cluster: String,
    pub partition: String,
}

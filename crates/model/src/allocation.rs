//! `Allocation`: one placement of a task group on a node, with what the client reports back
//! (task states and events), and `AllocListStub`, the row of allocation lists.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use smol_str::SmolStr;

use crate::{AllocMetric, Job, Nanos, NetworkResource, TaskLifecycle};

/// What the scheduler wants of an allocation (`DesiredStatus`).
pub mod desired_status {
    pub const RUN: &str = "run";
    pub const STOP: &str = "stop";
    pub const EVICT: &str = "evict";
}

/// What the client reports of an allocation (`ClientStatus`).
pub mod client_status {
    pub const PENDING: &str = "pending";
    pub const RUNNING: &str = "running";
    pub const COMPLETE: &str = "complete";
    pub const FAILED: &str = "failed";
    pub const LOST: &str = "lost";
    pub const UNKNOWN: &str = "unknown";
}

/// Task states (`TaskState.State`).
pub mod task_state {
    pub const PENDING: &str = "pending";
    pub const RUNNING: &str = "running";
    pub const DEAD: &str = "dead";
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Allocation {
    #[serde(rename = "ID")]
    pub id: SmolStr,
    pub namespace: SmolStr,
    #[serde(rename = "EvalID")]
    pub eval_id: SmolStr,
    /// `<job>.<group>[<index>]`.
    pub name: SmolStr,
    #[serde(rename = "NodeID")]
    pub node_id: SmolStr,
    pub node_name: SmolStr,
    #[serde(rename = "JobID")]
    pub job_id: SmolStr,
    /// The job version the allocation runs; shared by all allocations of that version.
    pub job: Option<Arc<Job>>,
    pub task_group: SmolStr,
    /// Shared by a group's placements that reserve no ports, networks or cores.
    pub allocated_resources: Option<Arc<AllocatedResources>>,
    pub metrics: Option<AllocMetric>,
    /// One of [`desired_status`].
    pub desired_status: SmolStr,
    pub desired_description: String,
    pub desired_transition: DesiredTransition,
    /// One of [`client_status`].
    pub client_status: SmolStr,
    pub client_description: String,
    #[serde(with = "crate::nullable")]
    pub task_states: BTreeMap<String, TaskState>,
    /// Transitions of the whole allocation, oldest first: the scheduler records when the client
    /// status became `unknown` (node disconnected) or `lost`, and when it came back.
    #[serde(with = "crate::nullable")]
    pub alloc_states: Vec<AllocState>,
    pub previous_allocation: SmolStr,
    pub next_allocation: SmolStr,
    #[serde(rename = "DeploymentID")]
    pub deployment_id: SmolStr,
    /// Boxed, as the reschedule tracker: most allocations have neither, and an `Allocation`
    /// with them inline is a larger allocator size class.
    pub deployment_status: Option<Box<AllocDeploymentStatus>>,
    pub reschedule_tracker: Option<Box<RescheduleTracker>>,
    #[serde(rename = "FollowupEvalID")]
    pub followup_eval_id: SmolStr,
    #[serde(with = "crate::nullable")]
    pub preempted_allocations: Vec<String>,
    pub preempted_by_allocation: SmolStr,
    pub create_index: u64,
    pub modify_index: u64,
    pub alloc_modify_index: u64,
    /// Unix nanoseconds.
    pub create_time: i64,
    /// Unix nanoseconds.
    pub modify_time: i64,
}

/// The resources a placement reserved on its node.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocatedResources {
    #[serde(with = "crate::nullable")]
    pub tasks: BTreeMap<String, AllocatedTaskResources>,
    /// `null` for main tasks.
    #[serde(with = "crate::nullable")]
    pub task_lifecycles: BTreeMap<String, Option<TaskLifecycle>>,
    pub shared: AllocatedSharedResources,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocatedTaskResources {
    pub cpu: AllocatedCpuResources,
    pub memory: AllocatedMemoryResources,
    #[serde(with = "crate::nullable")]
    pub networks: Vec<NetworkResource>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocatedCpuResources {
    pub cpu_shares: i64,
    #[serde(with = "crate::nullable")]
    pub reserved_cores: Vec<u16>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocatedMemoryResources {
    #[serde(rename = "MemoryMB")]
    pub memory_mb: i64,
    #[serde(rename = "MemoryMaxMB")]
    pub memory_max_mb: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocatedSharedResources {
    #[serde(with = "crate::nullable")]
    pub networks: Vec<NetworkResource>,
    #[serde(rename = "DiskMB")]
    pub disk_mb: i64,
    #[serde(with = "crate::nullable")]
    pub ports: Vec<AllocatedPortMapping>,
}

/// A port assigned to a group network.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocatedPortMapping {
    pub label: String,
    pub value: i64,
    pub to: i64,
    #[serde(rename = "HostIP")]
    pub host_ip: String,
    pub ignore_collision: bool,
}

/// What the scheduler should do with an allocation next; `None` means "not asked".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DesiredTransition {
    pub migrate: Option<bool>,
    pub reschedule: Option<bool>,
    pub force_reschedule: Option<bool>,
    pub no_shutdown_delay: Option<bool>,
    pub migrate_disable_placement: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TaskState {
    /// One of [`task_state`].
    pub state: String,
    pub failed: bool,
    pub restarts: u64,
    /// RFC 3339.
    pub last_restart: String,
    /// RFC 3339.
    pub started_at: String,
    /// RFC 3339.
    pub finished_at: String,
    #[serde(with = "crate::nullable")]
    pub events: Vec<TaskEvent>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TaskEvent {
    #[serde(rename = "Type")]
    pub event_type: String,
    /// Unix nanoseconds.
    pub time: i64,
    pub message: String,
    pub display_message: String,
    #[serde(with = "crate::nullable")]
    pub details: BTreeMap<String, String>,
    pub fails_task: bool,
    pub restart_reason: String,
    pub setup_error: String,
    pub driver_error: String,
    pub exit_code: i64,
    pub signal: i64,
    pub kill_timeout: Nanos,
    pub kill_error: String,
    pub kill_reason: String,
    pub start_delay: i64,
    pub download_error: String,
    pub validation_error: String,
    pub disk_limit: i64,
    pub failed_sibling: String,
    pub vault_error: String,
    pub task_signal_reason: String,
    pub task_signal: String,
    pub driver_message: String,
    pub generic_source: String,
}

/// One recorded transition of an allocation (`AllocState`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocState {
    /// Which field changed; Nomad numbers them and only has [`alloc_state_field::CLIENT_STATUS`].
    pub field: u8,
    pub value: String,
    /// RFC 3339.
    pub time: String,
}

/// The fields an [`AllocState`] records.
pub mod alloc_state_field {
    pub const CLIENT_STATUS: u8 = 0;
}

/// The reschedules that led to an allocation, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RescheduleTracker {
    #[serde(with = "crate::nullable")]
    pub events: Vec<RescheduleEvent>,
    pub last_reschedule: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RescheduleEvent {
    /// Unix nanoseconds.
    pub reschedule_time: i64,
    #[serde(rename = "PrevAllocID")]
    pub prev_alloc_id: SmolStr,
    #[serde(rename = "PrevNodeID")]
    pub prev_node_id: SmolStr,
    pub delay: Nanos,
}

/// An allocation's health within a deployment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocDeploymentStatus {
    /// `None` until the health is known.
    pub healthy: Option<bool>,
    /// RFC 3339.
    pub timestamp: String,
    pub canary: bool,
    pub modify_index: u64,
}

/// One row of an allocation list (`GET /v1/job/:id/allocations`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocListStub {
    #[serde(rename = "ID")]
    pub id: SmolStr,
    #[serde(rename = "EvalID")]
    pub eval_id: SmolStr,
    pub name: SmolStr,
    pub namespace: SmolStr,
    #[serde(rename = "NodeID")]
    pub node_id: SmolStr,
    pub node_name: SmolStr,
    #[serde(rename = "JobID")]
    pub job_id: SmolStr,
    pub job_type: String,
    pub job_version: u64,
    pub task_group: SmolStr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allocated_resources: Option<Arc<AllocatedResources>>,
    pub desired_status: SmolStr,
    pub desired_description: String,
    pub client_status: SmolStr,
    pub client_description: String,
    pub desired_transition: DesiredTransition,
    #[serde(with = "crate::nullable")]
    pub task_states: BTreeMap<String, TaskState>,
    pub deployment_status: Option<AllocDeploymentStatus>,
    #[serde(rename = "FollowupEvalID")]
    pub followup_eval_id: SmolStr,
    pub next_allocation: SmolStr,
    pub previous_allocation: SmolStr,
    pub reschedule_tracker: Option<RescheduleTracker>,
    #[serde(with = "crate::nullable")]
    pub preempted_allocations: Vec<String>,
    pub preempted_by_allocation: SmolStr,
    pub create_index: u64,
    pub modify_index: u64,
    pub create_time: i64,
    pub modify_time: i64,
}

impl Allocation {
    /// The scheduler no longer wants it to run.
    pub fn server_terminal(&self) -> bool {
        matches!(
            self.desired_status.as_str(),
            desired_status::STOP | desired_status::EVICT
        )
    }

    /// The client says it has stopped for good.
    pub fn client_terminal(&self) -> bool {
        matches!(
            self.client_status.as_str(),
            client_status::COMPLETE | client_status::FAILED | client_status::LOST
        )
    }

    pub fn terminal(&self) -> bool {
        self.server_terminal() || self.client_terminal()
    }

    /// The row of an allocation list; resources only when asked.
    pub fn stub(&self, with_resources: bool) -> AllocListStub {
        let job = self.job.as_deref();
        AllocListStub {
            id: self.id.clone(),
            eval_id: self.eval_id.clone(),
            name: self.name.clone(),
            namespace: self.namespace.clone(),
            node_id: self.node_id.clone(),
            node_name: self.node_name.clone(),
            job_id: self.job_id.clone(),
            job_type: job.map(|j| j.job_type.clone()).unwrap_or_default(),
            job_version: job.map_or(0, |j| j.version),
            task_group: self.task_group.clone(),
            allocated_resources: self.allocated_resources.clone().filter(|_| with_resources),
            desired_status: self.desired_status.clone(),
            desired_description: self.desired_description.clone(),
            client_status: self.client_status.clone(),
            client_description: self.client_description.clone(),
            desired_transition: self.desired_transition.clone(),
            task_states: self.task_states.clone(),
            deployment_status: self.deployment_status.as_deref().cloned(),
            followup_eval_id: self.followup_eval_id.clone(),
            next_allocation: self.next_allocation.clone(),
            previous_allocation: self.previous_allocation.clone(),
            reschedule_tracker: self.reschedule_tracker.as_deref().cloned(),
            preempted_allocations: self.preempted_allocations.clone(),
            preempted_by_allocation: self.preempted_by_allocation.clone(),
            create_index: self.create_index,
            modify_index: self.modify_index,
            create_time: self.create_time,
            modify_time: self.modify_time,
        }
    }
}

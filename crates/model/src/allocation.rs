//! `Allocation`: one placement of a task group on a node, with what the client reports back
//! (task states and events), and `AllocListStub`, the row of allocation lists.

use std::borrow::Cow::{self, Borrowed};
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use smol_str::SmolStr;

use crate::sparse::{Sparse, StaticDefault};
use crate::{AllocMetric, Job, Nanos, NetworkResource, TaskLifecycle};

/// What the scheduler wants of an allocation (`DesiredStatus`). `Unset` is the empty string
/// of a record that names none.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum DesiredStatus {
    #[default]
    #[serde(rename = "")]
    Unset,
    Run,
    Stop,
    Evict,
}

impl DesiredStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unset => "",
            Self::Run => "run",
            Self::Stop => "stop",
            Self::Evict => "evict",
        }
    }
}

impl std::fmt::Display for DesiredStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the client reports of an allocation (`ClientStatus`). `Unset` is the empty string of
/// a record that names none.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ClientStatus {
    #[default]
    #[serde(rename = "")]
    Unset,
    Pending,
    Running,
    Complete,
    Failed,
    Lost,
    Unknown,
}

impl ClientStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unset => "",
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Complete => "complete",
            Self::Failed => "failed",
            Self::Lost => "lost",
            Self::Unknown => "unknown",
        }
    }

    /// The client has stopped it for good.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Complete | Self::Failed | Self::Lost)
    }
}

impl std::fmt::Display for ClientStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Task states (`TaskState.State`).
pub mod task_state {
    pub const PENDING: &str = "pending";
    pub const RUNNING: &str = "running";
    pub const DEAD: &str = "dead";
}

/// One placement of a task group on a node. The fields a fresh placement leaves at their
/// defaults are in [`AllocDetails`], boxed once one of them is set: read them with
/// [`Allocation::details`], write them with [`Allocation::details_mut`]. A million placements
/// are a million of these records, so their size is the scale benchmark's memory.
///
/// Laid out in this order (`repr(C)`), hottest first: an evaluation reads every allocation of
/// its job (to classify it, find its node and count it), each a cold record, so the fields it
/// reads share the record's first four cache lines (with the `Arc`'s counts, which a
/// snapshot's list of a job's allocations takes), the statuses every rule checks first of
/// all, and the rest (metrics, times, the evaluation and node name) come after. The statuses
/// are a byte each: as text they took 48 bytes of every record.
#[derive(Debug, Clone, Default, PartialEq)]
#[repr(C)]
pub struct Allocation {
    pub desired_status: DesiredStatus,
    pub client_status: ClientStatus,
    pub id: SmolStr,
    pub node_id: SmolStr,
    pub namespace: SmolStr,
    pub job_id: SmolStr,
    /// The job version the allocation runs; shared by all allocations of that version.
    pub job: Option<Arc<Job>>,
    /// Shared by a group's placements that reserve no ports, networks or cores.
    pub allocated_resources: Option<Arc<AllocatedResources>>,
    pub task_group: SmolStr,
    /// `<job>.<group>[<index>]`.
    pub name: SmolStr,
    pub details: Sparse<AllocDetails>,
    pub create_index: u64,
    pub modify_index: u64,
    pub alloc_modify_index: u64,
    pub deployment_id: SmolStr,
    pub eval_id: SmolStr,
    /// Unix nanoseconds.
    pub create_time: i64,
    /// Unix nanoseconds.
    pub modify_time: i64,
    pub node_name: SmolStr,
    /// What the scheduler saw placing it, kept as placed (Nomad keeps the original
    /// placement's): shared, so the copies a stop, an update and the commit make of the record
    /// take a count rather than copying its lists and strings from cold memory.
    pub metrics: Option<Arc<AllocMetric>>,
}

// Behind an `Arc` (whose two counts take 16 bytes) the record fits mimalloc's 320-byte size
// class; at 744 bytes it took the 768 one: 450 MB of the scale benchmark's million records.
// (Its metric, placed once and shared by its copies, is a 112-byte block of its own.)
const _: () = assert!(std::mem::size_of::<Allocation>() + 16 <= 320);

/// The fields of an [`Allocation`] that a fresh placement leaves at their defaults: the
/// descriptions and the client's reports, the links to other allocations and evaluations, the
/// scheduler's requests and the deployment's view of it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AllocDetails {
    pub desired_description: String,
    pub desired_transition: DesiredTransition,
    pub client_description: String,
    pub task_states: BTreeMap<String, TaskState>,
    /// Transitions of the whole allocation, oldest first: the scheduler records when the client
    /// status became `unknown` (node disconnected) or `lost`, and when it came back.
    pub alloc_states: Vec<AllocState>,
    pub previous_allocation: SmolStr,
    pub next_allocation: SmolStr,
    /// Boxed, as the reschedule tracker: an allocation with details (stopped, lost, replaced)
    /// seldom has either, and with them inline its details are a larger allocator size class.
    pub deployment_status: Option<Box<AllocDeploymentStatus>>,
    pub reschedule_tracker: Option<Box<RescheduleTracker>>,
    pub followup_eval_id: SmolStr,
    pub preempted_allocations: Vec<String>,
    pub preempted_by_allocation: SmolStr,
}

impl StaticDefault for AllocDetails {
    fn static_default() -> &'static Self {
        static DEFAULT: LazyLock<AllocDetails> = LazyLock::new(AllocDetails::default);
        &DEFAULT
    }
}

/// An allocation as Nomad writes it: every field, in Nomad's order. Both directions are derived
/// on this mirror, borrowed from the record when writing and owned when reading, rather than
/// written by hand: one list spells each field's name, place and default once, where
/// hand-written code would spell them in the serializer, the deserializer's field names and
/// its visitor.
#[derive(Default, Serialize, Deserialize)]
#[serde(rename = "Allocation", rename_all = "PascalCase", default)]
struct Wire<'a> {
    #[serde(rename = "ID")]
    id: Cow<'a, SmolStr>,
    namespace: Cow<'a, SmolStr>,
    #[serde(rename = "EvalID")]
    eval_id: Cow<'a, SmolStr>,
    name: Cow<'a, SmolStr>,
    #[serde(rename = "NodeID")]
    node_id: Cow<'a, SmolStr>,
    node_name: Cow<'a, SmolStr>,
    #[serde(rename = "JobID")]
    job_id: Cow<'a, SmolStr>,
    job: Cow<'a, Option<Arc<Job>>>,
    task_group: Cow<'a, SmolStr>,
    allocated_resources: Cow<'a, Option<Arc<AllocatedResources>>>,
    metrics: Cow<'a, Option<Arc<AllocMetric>>>,
    desired_status: DesiredStatus,
    desired_description: Cow<'a, str>,
    desired_transition: Cow<'a, DesiredTransition>,
    client_status: ClientStatus,
    client_description: Cow<'a, str>,
    #[serde(with = "crate::nullable")]
    task_states: Cow<'a, BTreeMap<String, TaskState>>,
    #[serde(with = "crate::nullable")]
    alloc_states: Cow<'a, [AllocState]>,
    previous_allocation: Cow<'a, SmolStr>,
    next_allocation: Cow<'a, SmolStr>,
    #[serde(rename = "DeploymentID")]
    deployment_id: Cow<'a, SmolStr>,
    deployment_status: Cow<'a, Option<Box<AllocDeploymentStatus>>>,
    reschedule_tracker: Cow<'a, Option<Box<RescheduleTracker>>>,
    #[serde(rename = "FollowupEvalID")]
    followup_eval_id: Cow<'a, SmolStr>,
    #[serde(with = "crate::nullable")]
    preempted_allocations: Cow<'a, [String]>,
    preempted_by_allocation: Cow<'a, SmolStr>,
    create_index: u64,
    modify_index: u64,
    alloc_modify_index: u64,
    create_time: i64,
    modify_time: i64,
}

impl<'a> From<&'a Allocation> for Wire<'a> {
    fn from(alloc: &'a Allocation) -> Wire<'a> {
        let details = alloc.details();
        Wire {
            id: Borrowed(&alloc.id),
            namespace: Borrowed(&alloc.namespace),
            eval_id: Borrowed(&alloc.eval_id),
            name: Borrowed(&alloc.name),
            node_id: Borrowed(&alloc.node_id),
            node_name: Borrowed(&alloc.node_name),
            job_id: Borrowed(&alloc.job_id),
            job: Borrowed(&alloc.job),
            task_group: Borrowed(&alloc.task_group),
            allocated_resources: Borrowed(&alloc.allocated_resources),
            metrics: Borrowed(&alloc.metrics),
            desired_status: alloc.desired_status,
            desired_description: Borrowed(&details.desired_description),
            desired_transition: Borrowed(&details.desired_transition),
            client_status: alloc.client_status,
            client_description: Borrowed(&details.client_description),
            task_states: Borrowed(&details.task_states),
            alloc_states: Borrowed(&details.alloc_states),
            previous_allocation: Borrowed(&details.previous_allocation),
            next_allocation: Borrowed(&details.next_allocation),
            deployment_id: Borrowed(&alloc.deployment_id),
            deployment_status: Borrowed(&details.deployment_status),
            reschedule_tracker: Borrowed(&details.reschedule_tracker),
            followup_eval_id: Borrowed(&details.followup_eval_id),
            preempted_allocations: Borrowed(&details.preempted_allocations),
            preempted_by_allocation: Borrowed(&details.preempted_by_allocation),
            create_index: alloc.create_index,
            modify_index: alloc.modify_index,
            alloc_modify_index: alloc.alloc_modify_index,
            create_time: alloc.create_time,
            modify_time: alloc.modify_time,
        }
    }
}

impl From<Wire<'_>> for Allocation {
    fn from(wire: Wire<'_>) -> Allocation {
        let details = AllocDetails {
            desired_description: wire.desired_description.into_owned(),
            desired_transition: wire.desired_transition.into_owned(),
            client_description: wire.client_description.into_owned(),
            task_states: wire.task_states.into_owned(),
            alloc_states: wire.alloc_states.into_owned(),
            previous_allocation: wire.previous_allocation.into_owned(),
            next_allocation: wire.next_allocation.into_owned(),
            deployment_status: wire.deployment_status.into_owned(),
            reschedule_tracker: wire.reschedule_tracker.into_owned(),
            followup_eval_id: wire.followup_eval_id.into_owned(),
            preempted_allocations: wire.preempted_allocations.into_owned(),
            preempted_by_allocation: wire.preempted_by_allocation.into_owned(),
        };
        Allocation {
            id: wire.id.into_owned(),
            namespace: wire.namespace.into_owned(),
            eval_id: wire.eval_id.into_owned(),
            name: wire.name.into_owned(),
            node_id: wire.node_id.into_owned(),
            node_name: wire.node_name.into_owned(),
            job_id: wire.job_id.into_owned(),
            job: wire.job.into_owned(),
            task_group: wire.task_group.into_owned(),
            allocated_resources: wire.allocated_resources.into_owned(),
            metrics: wire.metrics.into_owned(),
            desired_status: wire.desired_status,
            client_status: wire.client_status,
            deployment_id: wire.deployment_id.into_owned(),
            create_index: wire.create_index,
            modify_index: wire.modify_index,
            alloc_modify_index: wire.alloc_modify_index,
            create_time: wire.create_time,
            modify_time: wire.modify_time,
            details: details.into(),
        }
    }
}

impl Serialize for Allocation {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Wire::from(self).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Allocation {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Wire::deserialize(deserializer).map(Allocation::from)
    }
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
    pub job_type: SmolStr,
    pub job_version: u64,
    pub task_group: SmolStr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allocated_resources: Option<Arc<AllocatedResources>>,
    pub desired_status: DesiredStatus,
    pub desired_description: String,
    pub client_status: ClientStatus,
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
    /// The fields a fresh placement leaves at their defaults; the defaults while none is set.
    pub fn details(&self) -> &AllocDetails {
        self.details.get()
    }

    /// The fields a fresh placement leaves at their defaults, boxed on first use to be set.
    pub fn details_mut(&mut self) -> &mut AllocDetails {
        self.details.get_mut()
    }

    /// Its deployment status to change in place, if it has one: unlike [`Allocation::details_mut`],
    /// this boxes nothing when it has none (the plan applier asks for every placement).
    pub fn deployment_status_mut(&mut self) -> Option<&mut AllocDeploymentStatus> {
        self.details
            .existing_mut()?
            .deployment_status
            .as_deref_mut()
    }

    /// The scheduler no longer wants it to run.
    pub fn server_terminal(&self) -> bool {
        matches!(
            self.desired_status,
            DesiredStatus::Stop | DesiredStatus::Evict
        )
    }

    /// The client says it has stopped for good.
    pub fn client_terminal(&self) -> bool {
        self.client_status.is_terminal()
    }

    pub fn terminal(&self) -> bool {
        self.server_terminal() || self.client_terminal()
    }

    /// The row of an allocation list; resources only when asked.
    pub fn stub(&self, with_resources: bool) -> AllocListStub {
        let job = self.job.as_deref();
        let details = self.details();
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
            desired_status: self.desired_status,
            desired_description: details.desired_description.clone(),
            client_status: self.client_status,
            client_description: details.client_description.clone(),
            desired_transition: details.desired_transition.clone(),
            task_states: details.task_states.clone(),
            deployment_status: details.deployment_status.as_deref().cloned(),
            followup_eval_id: details.followup_eval_id.clone(),
            next_allocation: details.next_allocation.clone(),
            previous_allocation: details.previous_allocation.clone(),
            reschedule_tracker: details.reschedule_tracker.as_deref().cloned(),
            preempted_allocations: details.preempted_allocations.clone(),
            preempted_by_allocation: details.preempted_by_allocation.clone(),
            create_index: self.create_index,
            modify_index: self.modify_index,
            create_time: self.create_time,
            modify_time: self.modify_time,
        }
    }
}

//! drover-model: the domain types of a Nomad-style orchestrator (jobs, task groups, tasks, nodes,
//! allocations, evaluations, deployments, summaries) with Nomad-compatible JSON, canonicalization
//! (defaults) and validation.
//!
//! It knows nothing of storage, scheduling or transport: it is plain data plus the pure rules
//! that Nomad applies to that data. Every other crate of drover builds on it.
//!
//! JSON conventions (Nomad's HTTP API): PascalCase names, durations as integer nanoseconds,
//! unknown fields ignored, absent fields defaulted, and Go's nil slices and maps: an empty list or
//! map is written as `null` and `null` reads as empty (see [`nullable`]). Decode request bodies
//! with [`decode_job`] or [`decode()`]: they read a `null` member as absent, as Nomad does, and name
//! the offending field in errors.
//!
//! A submitted job goes through [`Job::canonicalize`] (Nomad's defaults, both its API and its
//! server layer), then [`Job::validate`] (every problem, in Nomad's words) and [`Job::warnings`];
//! [`Job::spec_changed`] tells a new version from a re-submission.
//!
//! Fields that hold user input stay strings (job type, statuses, operands) so that validation can
//! name a bad value; the accepted values are `pub const`s in small modules next to each type.

pub mod acl;
pub mod alloc_metric;
pub mod allocation;
pub mod base64;
mod canonicalize;
pub mod constraint;
pub mod cron;
pub mod decode;
pub mod deployment;
pub mod evaluation;
pub mod gotext;
pub mod group;
pub mod job;
pub mod namespace;
pub mod network;
pub mod node;
pub mod nullable;
pub mod scaling;
pub mod service;
pub mod service_registration;
pub mod sparse;
mod spec;
pub mod submission;
pub mod summary;
pub mod task;
pub mod time;
mod validate;
mod warnings;

pub use acl::{AclPolicy, AclToken};
pub use alloc_metric::{AllocMetric, Counts, Exhaustion, NodeScoreMeta, Scores};
pub use allocation::{
    AllocDeploymentStatus, AllocDetails, AllocListStub, AllocatedCpuResources,
    AllocatedMemoryResources, AllocatedPortMapping, AllocatedResources, AllocatedSharedResources,
    AllocatedTaskResources, Allocation, ClientStatus, DesiredStatus, DesiredTransition,
    RescheduleEvent, RescheduleTracker, TaskEvent, TaskState,
};
pub use constraint::{Affinity, Constraint, Spread, SpreadTarget};
pub use decode::{DecodeError, decode, decode_job, decode_value};
pub use deployment::{Deployment, DeploymentState};
pub use evaluation::{EvalStatus, Evaluation, EvaluationStub, trigger};
pub use group::{
    Consul, DisconnectStrategy, EphemeralDisk, MigrateStrategy, ReschedulePolicy, RestartPolicy,
    ScalingPolicy, TaskGroup, VolumeRequest,
};
pub use job::{
    Job, JobListEntry, JobListStub, JobUi, JobUiLink, Multiregion, MultiregionRegion,
    MultiregionStrategy, ParameterizedJobConfig, PeriodicConfig, UpdateStrategy, VersionTag,
};
pub use namespace::Namespace;
pub use network::{Dns, NetworkResource, Port};
pub use node::{
    ClientHostVolumeConfig, DrainStrategy, DriverInfo, Node, NodeCpuResources, NodeDiskResources,
    NodeListStub, NodeMemoryResources, NodeReservedCpuResources, NodeReservedNetworkResources,
    NodeReservedResources, NodeResources,
};
pub use scaling::{JobScaleStatus, ScalingEvent, TaskGroupScaleStatus};
pub use service::{CheckRestart, Service, ServiceCheck};
pub use service_registration::ServiceRegistration;
pub use smol_str::SmolStr;
pub use submission::JobSubmission;
pub use summary::{JobChildrenSummary, JobSummary, TaskGroupSummary};
pub use task::{
    ChangeScript, DispatchPayloadConfig, LogConfig, RequestedDevice, Resources, Secret, Task,
    TaskArtifact, TaskLifecycle, Template, Vault, VolumeMount, WaitConfig,
};
pub use validate::{ValidationConfig, ValidationErrors};
pub use warnings::format_warnings;

/// A duration in nanoseconds, as Nomad's JSON carries it.
pub type Nanos = i64;

/// Nanoseconds in one second, for building [`Nanos`] values readably.
pub const SECOND: Nanos = 1_000_000_000;
pub const MINUTE: Nanos = 60 * SECOND;
pub const HOUR: Nanos = 60 * MINUTE;

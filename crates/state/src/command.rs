//! `Command`: every mutation of the store, as data. The engine builds a command with every
//! timestamp and ID already inside, appends it to its log and applies it at the log's index;
//! replaying the same commands rebuilds the same state.
//!
//! Commands serialize with named fields (rmp-serde `to_vec_named`, or JSON), so a field added
//! later with a default still reads old logs.

use std::collections::BTreeMap;
use std::sync::Arc;

use drover_model::{
    AclPolicy, AclToken, AllocDeploymentStatus, Allocation, ClientStatus, Deployment,
    DesiredTransition, DrainStrategy, Evaluation, Job, JobSubmission, Namespace, Node,
    ScalingEvent, ServiceRegistration, TaskState, VersionTag,
};
use serde::{Deserialize, Serialize};

use crate::PeriodicLaunch;

/// One write to the store. Externally tagged by variant name.
// A command is built once and moved along by reference, so the size of its largest variant
// costs nothing worth boxing the payloads for.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Command {
    UpsertJob(UpsertJob),
    DeregisterJob(DeregisterJob),
    UpsertEvals(UpsertEvals),
    DeleteEvals(DeleteEvals),
    ApplyPlanResults(PlanResults),
    UpdateAllocsFromClient(ClientAllocUpdates),
    UpdateAllocDesiredTransitions(AllocDesiredTransitions),
    UpsertNode(UpsertNode),
    DeleteNodes(DeleteNodes),
    UpdateNodeStatus(NodeStatusUpdate),
    UpdateNodeEligibility(NodeEligibilityUpdate),
    UpdateNodeDrain(NodeDrainUpdate),
    UpdateJobStability(JobStability),
    UpdateJobVersionTag(JobVersionTagUpdate),
    UpdateDeploymentStatus(DeploymentStatusChange),
    PromoteDeployment(DeploymentPromotion),
    UpdateDeploymentAllocHealth(DeploymentAllocHealth),
    UpsertScalingEvent(ScalingEventUpsert),
    UpsertPeriodicLaunch(PeriodicLaunch),
    UpsertServiceRegistrations(ServiceRegistrations),
    DeleteServiceRegistration(ServiceRegistrationDelete),
    UpsertNamespaces(Namespaces),
    DeleteNamespaces(NamespaceDeletes),
    UpsertAclPolicies(AclPolicies),
    DeleteAclPolicies(AclPolicyDeletes),
    UpsertAclTokens(AclTokens),
    DeleteAclTokens(AclTokenDeletes),
    /// The ACL bootstrap: writes its management token and records the index in
    /// [`crate::Table::AclTokenBootstrap`].
    BootstrapAclToken(AclTokens),
    /// Several commands applied in order as one transaction at one index: all or nothing.
    Batch(Vec<Command>),
}

/// Register or update a job (Nomad's `JobRegisterRequest` as the FSM applies it). The job is
/// canonical and validated; its `SubmitTime` is set. Indexes, `Version` and `Status` are set by
/// the store. Register an unchanged spec by sending only its evaluation ([`UpsertEvals`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UpsertJob {
    pub job: Arc<Job>,
    /// The source the job came from; `None` copies the submission of the submitted version
    /// forward (revert, stop and scale rely on this).
    pub submission: Option<JobSubmission>,
    /// Written in the same transaction, with `JobModifyIndex` set to the command's index.
    pub eval: Option<Evaluation>,
    /// A deployment created with the job (multiregion); an active earlier one is cancelled.
    pub deployment: Option<Deployment>,
    /// Keep the counts of groups that already existed (`PreserveCounts`).
    pub preserve_counts: bool,
    /// Nomad's `EnforceIndex`: the `JobModifyIndex` the caller expects, 0 for "must not exist".
    pub enforce_index: Option<u64>,
    /// Now, in unix nanoseconds: recorded as the first periodic launch of a periodic job.
    pub now: i64,
}

/// Stop (`purge = false`: a new version with `Stop = true`) or purge a job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeregisterJob {
    pub namespace: String,
    pub job_id: String,
    pub purge: bool,
    /// Unix nanoseconds; 0 keeps the job's `SubmitTime`.
    pub submit_time: i64,
    /// Set `DesiredTransition.NoShutdownDelay` on the allocations of the current job.
    pub no_shutdown_delay: bool,
    /// The deregistration evaluation, written in the same transaction.
    pub eval: Option<Evaluation>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UpsertEvals {
    pub evals: Vec<Evaluation>,
}

/// Garbage collection of evaluations and allocations by ID; missing ones are skipped.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeleteEvals {
    pub evals: Vec<String>,
    pub allocs: Vec<String>,
}

/// The accepted part of a scheduler's plan (Nomad's `ApplyPlanResultsRequest`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlanResults {
    /// The evaluation the plan was made for; its `ModifyIndex` moves. Empty for none.
    pub eval_id: String,
    /// The job the plan was made against, attached to every allocation sent without one.
    pub job: Option<Arc<Job>>,
    /// Placements and in-place updates, as full records. Each is boxed behind an `Arc`: a
    /// plan of a thousand placements would otherwise be one contiguous megabyte.
    pub allocs_updated: Vec<Arc<Allocation>>,
    /// Allocations the plan stops or evicts, as full records.
    pub allocs_stopped: Vec<Arc<Allocation>>,
    pub allocs_preempted: Vec<Arc<Allocation>>,
    /// A deployment created or updated by the plan; client-owned counters are kept.
    pub deployment: Option<Deployment>,
    pub deployment_updates: Vec<DeploymentStatusUpdate>,
    /// Evaluations written with the plan (follow-ups, preemption evaluations).
    pub evals: Vec<Evaluation>,
    /// Nodes to mark ineligible after repeated plan rejections.
    pub ineligible_nodes: Vec<String>,
    /// Unix nanoseconds.
    pub updated_at: i64,
}

/// A deployment's new status (Nomad's `DeploymentStatusUpdate`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeploymentStatusUpdate {
    pub deployment_id: String,
    pub status: String,
    pub status_description: String,
}

/// What clients report about their allocations, batched across nodes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientAllocUpdates {
    pub allocs: Vec<ClientAllocUpdate>,
    pub evals: Vec<Evaluation>,
}

/// The fields a client is the authority on. An update for an allocation that is gone (garbage
/// collected) is skipped, as Nomad does, so one stale report does not reject the batch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientAllocUpdate {
    pub alloc_id: String,
    pub client_status: ClientStatus,
    pub client_description: String,
    pub task_states: BTreeMap<String, TaskState>,
    pub deployment_status: Option<AllocDeploymentStatus>,
    /// Unix nanoseconds.
    pub modify_time: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AllocDesiredTransitions {
    /// Merged into each allocation's transition; unknown allocations are skipped.
    pub transitions: BTreeMap<String, DesiredTransition>,
    pub evals: Vec<Evaluation>,
}

/// Register or update a node. An existing node keeps its eligibility and drain strategy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UpsertNode {
    pub node: Node,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeleteNodes {
    pub node_ids: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NodeStatusUpdate {
    pub node_id: String,
    pub status: String,
    /// Unix seconds, as `Node.StatusUpdatedAt`.
    pub updated_at: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NodeEligibilityUpdate {
    pub node_id: String,
    pub eligibility: String,
    /// Unix seconds.
    pub updated_at: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NodeDrainUpdate {
    pub node_id: String,
    /// `None` ends the drain.
    pub drain_strategy: Option<DrainStrategy>,
    /// When the drain ends, make the node eligible again.
    pub mark_eligible: bool,
    /// Unix seconds.
    pub updated_at: i64,
}

/// Mark one version stable or not. Only the latest version rewrites the current job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct JobStability {
    pub namespace: String,
    pub job_id: String,
    pub version: u64,
    pub stable: bool,
}

/// Tag a version (`tag: Some`) or remove the tag called `name` (`tag: None`). The engine
/// resolves "latest" to a version number before building the command.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct JobVersionTagUpdate {
    pub namespace: String,
    pub job_id: String,
    pub version: u64,
    pub name: String,
    pub tag: Option<VersionTag>,
}

/// A deployment status change, with the job and evaluation that may come with it (an
/// auto-revert registers the reverted job).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeploymentStatusChange {
    pub update: DeploymentStatusUpdate,
    pub job: Option<Arc<Job>>,
    pub eval: Option<Evaluation>,
    /// Unix nanoseconds.
    pub updated_at: i64,
}

/// Promote the canaries of some groups (or all) of a deployment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeploymentPromotion {
    pub deployment_id: String,
    pub all: bool,
    pub groups: Vec<String>,
    /// Unix nanoseconds.
    pub promoted_at: i64,
    pub eval: Option<Evaluation>,
}

/// Set the deployment health of allocations (the deployment watcher or a user).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeploymentAllocHealth {
    pub deployment_id: String,
    pub healthy_alloc_ids: Vec<String>,
    pub unhealthy_alloc_ids: Vec<String>,
    /// Unix nanoseconds.
    pub timestamp: i64,
    pub deployment_update: Option<DeploymentStatusUpdate>,
    pub job: Option<Arc<Job>>,
    pub eval: Option<Evaluation>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScalingEventUpsert {
    pub namespace: String,
    pub job_id: String,
    pub task_group: String,
    pub event: ScalingEvent,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceRegistrations {
    pub services: Vec<ServiceRegistration>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceRegistrationDelete {
    pub namespace: String,
    pub id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Namespaces {
    pub namespaces: Vec<Namespace>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NamespaceDeletes {
    pub names: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AclPolicies {
    pub policies: Vec<AclPolicy>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AclPolicyDeletes {
    pub names: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AclTokens {
    pub tokens: Vec<AclToken>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AclTokenDeletes {
    pub accessor_ids: Vec<String>,
}

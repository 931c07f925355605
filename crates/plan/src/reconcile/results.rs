//! What the cluster reconciler hands the scheduler: plain data describing placements, updates,
//! stops, deployment changes and follow-up evaluations.

use std::collections::BTreeMap;
use std::sync::Arc;

use drover_model::{Allocation, ClientStatus, Deployment, Evaluation, SmolStr};

use super::names::AllocNameIndex;
use crate::annotations::DesiredUpdates;

/// Nomad's status descriptions for allocations the scheduler stops or updates.
pub mod status_description {
    pub const NOT_NEEDED: &str = "alloc not needed due to job update";
    pub const RECONNECTED: &str = "alloc not needed due to disconnected client reconnect";
    pub const MIGRATING: &str = "alloc is being migrated";
    pub const UPDATING: &str = "alloc is being updated due to job update";
    pub const LOST: &str = "alloc is lost since its node is down";
    pub const UNKNOWN: &str = "alloc is unknown since its node is disconnected";
    pub const IN_PLACE: &str = "alloc updating in-place";
    pub const NODE_TAINTED: &str = "alloc not needed as node is tainted";
    pub const RESCHEDULED: &str = "alloc was rescheduled because it failed";
}

/// Nomad's descriptions of the follow-up evaluations the reconciler asks for.
pub mod eval_description {
    pub const RESCHEDULING_FOLLOWUP: &str = "created for delayed rescheduling";
    pub const DISCONNECT_TIMEOUT_FOLLOWUP: &str = "created for delayed disconnect timeout";
}

/// A change of a deployment's status: the state store's type, which plans carry as they are.
pub use drover_state::DeploymentStatusUpdate;

/// A new allocation to place.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlaceResult {
    /// `<job>.<group>[<index>]`; the scheduler renames it when the index turns out duplicated
    /// (see [`AllocNameIndex::is_duplicate`]).
    pub name: String,
    pub task_group: String,
    /// The allocation this one replaces (lost, failed, migrating); chained as
    /// `PreviousAllocation`.
    pub previous_alloc: Option<Arc<Allocation>>,
    pub canary: bool,
    /// Replaces a failed allocation: the scheduler records a reschedule event and penalizes the
    /// nodes it failed on.
    pub reschedule: bool,
    /// Replaces an allocation on a down or missing node.
    pub lost: bool,
    /// Canaries are still unpromoted: place with the last promoted (or stable) job version,
    /// not older than `min_job_version`, rather than the version being deployed.
    pub downgrade_non_canary: bool,
    pub min_job_version: u64,
}

/// An allocation replaced by a new one of the current job version. The old one is stopped only
/// if the new one finds a place.
#[derive(Debug, Clone, PartialEq)]
pub struct DestructiveResult {
    pub name: String,
    pub task_group: String,
    pub stop_alloc: Arc<Allocation>,
    pub stop_description: String,
}

/// An allocation to stop.
#[derive(Debug, Clone, PartialEq)]
pub struct StopResult {
    pub alloc: Arc<Allocation>,
    /// The client status to record (`lost`, `failed`), or `Unset` to leave it.
    pub client_status: ClientStatus,
    pub status_description: String,
    /// The follow-up evaluation that will replace it, when the replacement waits.
    pub followup_eval_id: SmolStr,
}

/// Everything the cluster reconciler decided (Nomad's `reconcileResults`). Lists are in a
/// deterministic order: task groups by name, then allocations by name index or by their order
/// in the input.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReconcileResults {
    /// A deployment to create, with the state of every group it covers.
    pub deployment: Option<Deployment>,
    pub deployment_updates: Vec<DeploymentStatusUpdate>,
    pub place: Vec<PlaceResult>,
    pub destructive_update: Vec<DestructiveResult>,
    /// Allocations to update in place to the current job version: those the in-place check
    /// accepted (all candidates, with a check that accepts everything). The scheduler builds
    /// the updated allocations, keeping their networks, devices and reserved cores.
    pub inplace_update: Vec<Arc<Allocation>>,
    pub stop: Vec<StopResult>,
    /// Allocations updated without a job change (a `FollowupEvalID`), by ID.
    pub attribute_updates: BTreeMap<String, Arc<Allocation>>,
    /// Allocations on disconnected nodes, now client status `unknown`, by ID.
    pub disconnect_updates: BTreeMap<String, Arc<Allocation>>,
    /// Unknown allocations resumed after their node reconnected, by ID.
    pub reconnect_updates: BTreeMap<String, Arc<Allocation>>,
    pub desired_tg_updates: BTreeMap<String, DesiredUpdates>,
    /// Delayed evaluations to create, by task group.
    pub desired_followup_evals: BTreeMap<String, Vec<Evaluation>>,
    /// Each group's name bookkeeping after reconciliation, for the scheduler's duplicate-name
    /// check.
    pub name_indexes: BTreeMap<String, AllocNameIndex>,
}

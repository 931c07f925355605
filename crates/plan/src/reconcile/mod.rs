//! The reconcilers: pure functions that compare a job's desired state with its allocations and
//! say what the scheduler must do about it. They read no state and place nothing: the scheduler
//! passes in the job, its allocations, its latest deployment, the tainted nodes, the time and an
//! ID generator, then turns the results into a plan (finding nodes for the placements).
//!
//! - [`reconcile`]: service and batch jobs (counts, rolling updates with canaries and
//!   `max_parallel`, deployments, migrations, lost and disconnected allocations, reschedules).
//! - [`reconcile_nodes`]: system and sysbatch jobs (one allocation per eligible node).
//! - [`tasks_updated`]: whether a group change needs new allocations or updates in place.
//! - [`reschedule`]: reschedule policies and their delays.
//! - [`names`]: allocation names and their indexes.

mod alloc;
mod cluster;
mod deployment;
mod filters;
pub mod names;
mod node;
mod reconnect;
pub mod reschedule;
mod results;
mod taint;
mod tasks_updated;

pub(crate) use alloc::{AllocExt, record_client_state};
pub use cluster::{InPlaceCheck, ReconcileInput, reconcile};
pub use names::{AllocNameIndex, alloc_index, alloc_name};
pub use node::{NodeAllocTuple, NodeReconcileInput, NodeReconcileResults, reconcile_nodes};
pub use results::{
    DeploymentStatusUpdate, DestructiveResult, PlaceResult, ReconcileResults, StopResult,
    eval_description, status_description,
};
pub(crate) use taint::taints;
pub use taint::{TaintedNode, TaintedNodes, stopped_allocs_to_mark_lost, tainted_nodes};
pub use tasks_updated::tasks_updated;

//! drover-state: the versioned MVCC state store. It owns the tables (jobs and their version
//! history, summaries, submissions, evaluations, allocations, deployments, nodes, periodic
//! launches, scaling events, service registrations, namespaces, ACL objects), their secondary
//! indexes, Nomad's per-table write indexes, the [`Command`]s that change them with Nomad's
//! write semantics, listing with Nomad's paging, blocking waits, and the byte encoding of
//! commands and snapshots.
//!
//! It must not know about HTTP, ACL policy evaluation, scheduling or files: the engine builds
//! commands (with every timestamp and ID inside) and hands bytes to whatever stores them.
//! `apply` is a pure function of (state, index, command); the only thread primitives are the
//! store's locks, the condition variable that wakes waiters, and the thread that frees what
//! commits replaced, which the embedder may start ([`reclaim`]).
//!
//! Job IDs are case-sensitive in every table (Nomad lowercases them in its version and
//! submission tables; see docs/compat.md).

mod apply;
mod command;
mod encode;
mod error;
mod invariants;
mod job_row;
mod keys;
mod paginate;
pub mod reclaim;
mod records;
mod related_evals;
mod snapshot;
mod store;
mod table;
mod tables;
pub mod usage;

pub use command::*;
pub use encode::{
    CommandLogWriter, FORMAT_VERSION, LogEntry, encode_commands, read_commands, read_snapshot,
    snapshot_from_bytes, snapshot_to_bytes, write_snapshot,
};
pub use error::StateError;
pub use keys::parse_uuid;
pub use paginate::{NamespaceSelector, Page, PageRequest, compare_create_token, page};
pub use reclaim::{Reclaimer, spawn_reclaimer};
pub use records::{JobScalingEvents, PeriodicLaunch};
pub use snapshot::{JobAllocs, ListedJob, NodesVersion, Snapshot};
pub use store::{CommitHook, Staged, StateStore};
pub use table::Table;

/// How many untagged versions of a job are kept (Nomad's `JobTrackedVersions`), and how many
/// submissions.
pub const JOB_TRACKED_VERSIONS: usize = 6;

//! drover-model: the domain types of a Nomad-style orchestrator (jobs, task groups, tasks, nodes,
//! allocations, evaluations, deployments, summaries) with Nomad-compatible JSON, canonicalization
//! (defaults) and validation.
//!
//! It knows nothing of storage, scheduling or transport: it is plain data plus the pure rules
//! that Nomad applies to that data. Every other crate of drover builds on it.
//!
//! JSON conventions (Nomad's HTTP API): PascalCase names, durations as integer nanoseconds,
//! unknown fields ignored, absent fields defaulted, and Go's nil slices and maps: an empty list or
//! map is written as `null` and `null` reads as empty (see [`nullable`]).

pub mod alloc_metric;
pub mod evaluation;
pub mod nullable;

pub use alloc_metric::{AllocMetric, NodeScoreMeta};
pub use evaluation::{EvalStatus, Evaluation, trigger};

/// A duration in nanoseconds, as Nomad's JSON carries it.
pub type Nanos = i64;

/// Nanoseconds in one second, for building [`Nanos`] values readably.
pub const SECOND: Nanos = 1_000_000_000;

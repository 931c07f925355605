//! drover-plan: the job diff engine and the scheduler that both places work for real and answers
//! the `plan` dry-run.
//!
//! - [`diff`]: Nomad-compatible job diffs and plan annotations.
//! - [`feasible`]: feasibility checking, computed node classes, ranking and node selection.
//! - [`reconcile`]: the reconciler that compares a job's desired state with its allocations.
//! - [`scheduler`]: the schedulers, `Plan` and the `Planner` trait they submit through.
//!
//! It sees the cluster only through read-only state snapshots and never commits anything itself:
//! a scheduler's output is a `Plan`, plain data that the engine's plan applier checks and commits.
//! No I/O, clocks or OS randomness: time and random seeds are arguments.

pub mod annotations;
pub mod diff;
pub mod feasible;
pub mod reconcile;
pub mod scheduler;

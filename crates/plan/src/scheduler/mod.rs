//! The schedulers: they turn an evaluation into a [`Plan`] by reconciling a job with its
//! allocations and placing what is missing through the feasibility stack.
//!
//! A scheduler sees the cluster only through a read-only [`Snapshot`] and acts only through a
//! [`Planner`]: the engine's planner hands plans to the plan applier and evaluations to the
//! broker; the dry-run planner records and never commits.

mod plan;

pub use plan::{Plan, PlanResult, Planner, PlannerError};

//! Plan annotations: what the scheduler would do to each task group, as the plan endpoint and the
//! diff annotator report it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Counts of the scheduler's intended changes to one task group (`DesiredTGUpdates[group]`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DesiredUpdates {
    pub ignore: u64,
    pub place: u64,
    pub migrate: u64,
    pub stop: u64,
    pub in_place_update: u64,
    pub destructive_update: u64,
    pub canary: u64,
    pub preemptions: u64,
    pub reschedule_now: u64,
    pub reschedule_later: u64,
    pub disconnect: u64,
    pub reconnect: u64,
}

/// The annotations a scheduler attaches to a plan when the evaluation asks for them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PlanAnnotations {
    #[serde(rename = "DesiredTGUpdates")]
    pub desired_tg_updates: BTreeMap<String, DesiredUpdates>,
    /// Stubs of the allocations the plan would preempt; drover does not preempt yet.
    pub preempted_allocs: Option<Vec<serde_json::Value>>,
}

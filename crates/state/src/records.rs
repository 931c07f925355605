//! Records the store keeps that the model does not define: periodic launches and the scaling
//! history of a job.

use std::collections::BTreeMap;

use drover_model::ScalingEvent;
use serde::{Deserialize, Serialize};

/// When a periodic job last launched a child (Nomad's `PeriodicLaunch`). The first row of a job
/// records when it was registered, so a missed launch can be caught up after a restart.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PeriodicLaunch {
    #[serde(rename = "ID")]
    pub id: String,
    pub namespace: String,
    /// Unix nanoseconds.
    pub launch: i64,
    pub create_index: u64,
    pub modify_index: u64,
}

/// The scaling events of one job, by task group, newest first (Nomad's `JobScalingEvents`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobScalingEvents {
    pub namespace: String,
    #[serde(rename = "JobID")]
    pub job_id: String,
    pub scaling_events: BTreeMap<String, Vec<ScalingEvent>>,
    pub modify_index: u64,
}

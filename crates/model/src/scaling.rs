//! Scaling history and status: `ScalingEvent` (one count change or autoscaler message) and
//! `JobScaleStatus` (the `GET /v1/job/:id/scale` view).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How many scaling events are kept per task group.
pub const JOB_TRACKED_SCALING_EVENTS: usize = 20;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ScalingEvent {
    /// Unix nanoseconds.
    pub time: i64,
    /// The new count; `None` for an event that only reports.
    pub count: Option<i64>,
    pub previous_count: i64,
    pub message: String,
    pub error: bool,
    #[serde(with = "crate::nullable")]
    pub meta: BTreeMap<String, serde_json::Value>,
    #[serde(rename = "EvalID")]
    pub eval_id: Option<String>,
    pub create_index: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobScaleStatus {
    #[serde(rename = "JobID")]
    pub job_id: String,
    pub namespace: String,
    pub job_create_index: u64,
    pub job_modify_index: u64,
    pub job_stopped: bool,
    #[serde(with = "crate::nullable")]
    pub task_groups: BTreeMap<String, TaskGroupScaleStatus>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TaskGroupScaleStatus {
    pub desired: i64,
    pub placed: i64,
    pub running: i64,
    pub healthy: i64,
    pub unhealthy: i64,
    /// Newest first.
    #[serde(with = "crate::nullable")]
    pub events: Vec<ScalingEvent>,
}

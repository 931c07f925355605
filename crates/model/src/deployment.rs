//! `Deployment`: the rollout of one job version, tracked per task group.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use smol_str::SmolStr;

use crate::Nanos;

pub mod deployment_status {
    pub const RUNNING: &str = "running";
    pub const PAUSED: &str = "paused";
    pub const FAILED: &str = "failed";
    pub const SUCCESSFUL: &str = "successful";
    pub const CANCELLED: &str = "cancelled";
    pub const INITIALIZING: &str = "initializing";
    pub const PENDING: &str = "pending";
    pub const BLOCKED: &str = "blocked";
    pub const UNBLOCKING: &str = "unblocking";
}

/// Nomad's `StatusDescription` texts.
pub mod deployment_description {
    pub const RUNNING: &str = "Deployment is running";
    pub const RUNNING_NEEDS_PROMOTION: &str = "Deployment is running but requires manual promotion";
    pub const RUNNING_AUTO_PROMOTION: &str = "Deployment is running pending automatic promotion";
    pub const PAUSED: &str = "Deployment is paused";
    pub const SUCCESSFUL: &str = "Deployment completed successfully";
    pub const STOPPED_JOB: &str = "Cancelled because job is stopped";
    pub const NEWER_JOB: &str = "Cancelled due to newer version of job";
    pub const FAILED_ALLOCATIONS: &str = "Failed due to unhealthy allocations";
    pub const PROGRESS_DEADLINE: &str = "Failed due to progress deadline";
    pub const FAILED_BY_USER: &str = "Deployment marked as failed";
    pub const FAILED_BY_PEER: &str = "Failed because of an error in peer region";
    pub const BLOCKED: &str = "Deployment is complete but waiting for peer region";
    pub const UNBLOCKING: &str = "Deployment is unblocking remaining regions";
    pub const PENDING_FOR_PEER: &str = "Deployment is pending, waiting for peer region";
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Deployment {
    #[serde(rename = "ID")]
    pub id: SmolStr,
    pub namespace: String,
    #[serde(rename = "JobID")]
    pub job_id: String,
    pub job_version: u64,
    pub job_modify_index: u64,
    pub job_spec_modify_index: u64,
    pub job_create_index: u64,
    pub is_multiregion: bool,
    #[serde(with = "crate::nullable")]
    pub task_groups: BTreeMap<String, DeploymentState>,
    /// One of [`deployment_status`].
    pub status: String,
    pub status_description: String,
    pub eval_priority: i64,
    pub create_index: u64,
    pub modify_index: u64,
    /// Unix nanoseconds.
    pub create_time: i64,
    /// Unix nanoseconds.
    pub modify_time: i64,
}

impl Deployment {
    /// Running, paused, pending, blocked, unblocking or initializing: not finished yet.
    pub fn active(&self) -> bool {
        matches!(
            self.status.as_str(),
            deployment_status::RUNNING
                | deployment_status::PAUSED
                | deployment_status::PENDING
                | deployment_status::BLOCKED
                | deployment_status::UNBLOCKING
                | deployment_status::INITIALIZING
        )
    }
}

/// One task group's progress within a deployment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DeploymentState {
    pub auto_revert: bool,
    pub auto_promote: bool,
    pub progress_deadline: Nanos,
    /// RFC 3339.
    pub require_progress_by: String,
    pub promoted: bool,
    #[serde(with = "crate::nullable")]
    pub placed_canaries: Vec<String>,
    pub desired_canaries: i64,
    pub desired_total: i64,
    pub placed_allocs: i64,
    pub healthy_allocs: i64,
    pub unhealthy_allocs: i64,
}

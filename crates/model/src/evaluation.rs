//! `Evaluation`: a request to reconcile one job's desired state with the cluster, and the record
//! of how that went.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{AllocMetric, Nanos};

/// The status of an evaluation. `complete`, `failed` and `canceled` are terminal.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum EvalStatus {
    Blocked,
    #[default]
    Pending,
    Complete,
    Failed,
    Canceled,
}

impl EvalStatus {
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Complete | Self::Failed | Self::Canceled)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Blocked => "blocked",
            Self::Pending => "pending",
            Self::Complete => "complete",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
        }
    }
}

/// Why an evaluation was created (`TriggeredBy`), with Nomad's strings.
pub mod trigger {
    pub const JOB_REGISTER: &str = "job-register";
    pub const JOB_DEREGISTER: &str = "job-deregister";
    pub const PERIODIC_JOB: &str = "periodic-job";
    pub const NODE_DRAIN: &str = "node-drain";
    pub const NODE_UPDATE: &str = "node-update";
    pub const ALLOC_STOP: &str = "alloc-stop";
    pub const SCHEDULED: &str = "scheduled";
    pub const ROLLING_UPDATE: &str = "rolling-update";
    pub const DEPLOYMENT_WATCHER: &str = "deployment-watcher";
    pub const FAILED_FOLLOW_UP: &str = "failed-follow-up";
    pub const MAX_PLAN_ATTEMPTS: &str = "max-plan-attempts";
    pub const ALLOC_FAILURE: &str = "alloc-failure";
    pub const QUEUED_ALLOCS: &str = "queued-allocs";
    pub const PREEMPTION: &str = "preemption";
    pub const JOB_SCALING: &str = "job-scaling";
    pub const MAX_DISCONNECT_TIMEOUT: &str = "max-disconnect-timeout";
    pub const RECONNECT: &str = "reconnect";
    pub const ALLOC_RESCHEDULE: &str = "alloc-reschedule";
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Evaluation {
    #[serde(rename = "ID")]
    pub id: String,
    pub namespace: String,
    pub priority: i32,
    /// The scheduler that handles it: the job's type (`service`, `batch`, `system`, `sysbatch`).
    #[serde(rename = "Type")]
    pub eval_type: String,
    pub triggered_by: String,
    #[serde(rename = "JobID")]
    pub job_id: String,
    pub job_modify_index: u64,
    #[serde(rename = "NodeID")]
    pub node_id: String,
    pub node_modify_index: u64,
    #[serde(rename = "DeploymentID")]
    pub deployment_id: String,
    pub status: EvalStatus,
    pub status_description: String,
    /// How long to wait before scheduling, set on follow-up evaluations.
    pub wait: Nanos,
    /// When the evaluation may be scheduled, in unix nanoseconds; 0 means now.
    pub wait_until: i64,
    pub next_eval: String,
    pub previous_eval: String,
    pub blocked_eval: String,
    /// Placements that failed, by task group; `null` when nothing failed.
    #[serde(rename = "FailedTGAllocs")]
    pub failed_tg_allocs: Option<BTreeMap<String, AllocMetric>>,
    /// Computed node classes and whether the job could run on them; `null` unless blocked.
    pub class_eligibility: Option<BTreeMap<String, bool>>,
    /// Whether the job has constraints that escape computed node classes.
    pub escaped_computed_class: bool,
    pub quota_limit_reached: String,
    pub annotate_plan: bool,
    #[serde(with = "crate::nullable")]
    pub queued_allocations: BTreeMap<String, u32>,
    pub leader_ack: String,
    pub snapshot_index: u64,
    pub create_index: u64,
    pub modify_index: u64,
    /// Unix nanoseconds.
    pub create_time: i64,
    /// Unix nanoseconds.
    pub modify_time: i64,
}

impl Evaluation {
    pub fn is_terminal(&self) -> bool {
        self.status.is_terminal()
    }
}

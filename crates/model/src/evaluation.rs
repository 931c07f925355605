//! `Evaluation`: a request to reconcile one job's desired state with the cluster, and the record
//! of how that went.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use smol_str::SmolStr;

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
    pub id: SmolStr,
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
    /// When the evaluation may be scheduled, in unix nanoseconds; 0 means now. A `time.Time`
    /// in JSON, as in Nomad.
    #[serde(with = "crate::time::unix_nanos")]
    pub wait_until: i64,
    pub next_eval: String,
    pub previous_eval: String,
    pub blocked_eval: String,
    /// The evaluations linked to this one through next, previous and blocked evaluations,
    /// transitively; filled in only for a read that asks for them, never stored.
    pub related_evals: Option<Vec<EvaluationStub>>,
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

/// An evaluation in brief, as Nomad lists related evaluations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EvaluationStub {
    #[serde(rename = "ID")]
    pub id: SmolStr,
    pub namespace: String,
    pub priority: i32,
    #[serde(rename = "Type")]
    pub eval_type: String,
    pub triggered_by: String,
    #[serde(rename = "JobID")]
    pub job_id: String,
    #[serde(rename = "NodeID")]
    pub node_id: String,
    #[serde(rename = "DeploymentID")]
    pub deployment_id: String,
    pub status: EvalStatus,
    pub status_description: String,
    #[serde(with = "crate::time::unix_nanos")]
    pub wait_until: i64,
    pub next_eval: String,
    pub previous_eval: String,
    pub blocked_eval: String,
    pub create_index: u64,
    pub modify_index: u64,
    pub create_time: i64,
    pub modify_time: i64,
}

impl Evaluation {
    pub fn is_terminal(&self) -> bool {
        self.status.is_terminal()
    }

    /// The evaluations this one names as next, previous and blocked.
    pub fn related_ids(&self) -> impl Iterator<Item = &str> {
        [&self.next_eval, &self.previous_eval, &self.blocked_eval]
            .into_iter()
            .map(String::as_str)
            .filter(|id| !id.is_empty())
    }

    pub fn stub(&self) -> EvaluationStub {
        EvaluationStub {
            id: self.id.clone(),
            namespace: self.namespace.clone(),
            priority: self.priority,
            eval_type: self.eval_type.clone(),
            triggered_by: self.triggered_by.clone(),
            job_id: self.job_id.clone(),
            node_id: self.node_id.clone(),
            deployment_id: self.deployment_id.clone(),
            status: self.status,
            status_description: self.status_description.clone(),
            wait_until: self.wait_until,
            next_eval: self.next_eval.clone(),
            previous_eval: self.previous_eval.clone(),
            blocked_eval: self.blocked_eval.clone(),
            create_index: self.create_index,
            modify_index: self.modify_index,
            create_time: self.create_time,
            modify_time: self.modify_time,
        }
    }
}

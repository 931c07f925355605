//! `AllocMetric`: what the scheduler saw while placing one task group, as Nomad reports it in
//! `FailedTGAllocs` and on allocations.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::Nanos;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocMetric {
    pub nodes_evaluated: u32,
    pub nodes_filtered: u32,
    pub nodes_in_pool: u32,
    /// Ready nodes per datacenter: the same for every placement of an evaluation, so shared.
    #[serde(with = "crate::nullable")]
    pub nodes_available: Arc<BTreeMap<String, u32>>,
    #[serde(with = "crate::nullable")]
    pub class_filtered: BTreeMap<String, u32>,
    #[serde(with = "crate::nullable")]
    pub constraint_filtered: BTreeMap<String, u32>,
    pub nodes_exhausted: u32,
    #[serde(with = "crate::nullable")]
    pub class_exhausted: BTreeMap<String, u32>,
    #[serde(with = "crate::nullable")]
    pub dimension_exhausted: BTreeMap<String, u32>,
    #[serde(with = "crate::nullable")]
    pub quota_exhausted: Vec<String>,
    #[serde(with = "crate::nullable")]
    pub score_meta_data: Vec<NodeScoreMeta>,
    pub allocation_time: Nanos,
    pub coalesced_failures: u32,
}

/// The scores of one of the top nodes considered for a placement.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NodeScoreMeta {
    #[serde(rename = "NodeID")]
    pub node_id: String,
    #[serde(with = "crate::nullable")]
    pub scores: Scores,
    pub norm_score: f64,
}

/// A node's score from each scorer, keyed by the scorer's name on the wire as Nomad's
/// `Scores` map is. The scorers are a fixed set, so they are fields: every allocation keeps
/// five of these, and a map per node would be most of its memory. Fields are in name order,
/// as the map's keys are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    #[serde(rename = "allocation-spread", skip_serializing_if = "Option::is_none")]
    pub allocation_spread: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binpack: Option<f64>,
    #[serde(rename = "job-anti-affinity", skip_serializing_if = "Option::is_none")]
    pub job_anti_affinity: Option<f64>,
    #[serde(rename = "node-affinity", skip_serializing_if = "Option::is_none")]
    pub node_affinity: Option<f64>,
    #[serde(
        rename = "node-reschedule-penalty",
        skip_serializing_if = "Option::is_none"
    )]
    pub node_reschedule_penalty: Option<f64>,
}

impl crate::nullable::IsEmpty for Scores {
    fn is_empty(&self) -> bool {
        *self == Scores::default()
    }
}

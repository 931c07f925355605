//! `AllocMetric`: what the scheduler saw while placing one task group, as Nomad reports it in
//! `FailedTGAllocs` and on allocations.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Nanos;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocMetric {
    pub nodes_evaluated: u32,
    pub nodes_filtered: u32,
    pub nodes_in_pool: u32,
    #[serde(with = "crate::nullable")]
    pub nodes_available: BTreeMap<String, u32>,
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
    pub scores: BTreeMap<String, f64>,
    pub norm_score: f64,
}

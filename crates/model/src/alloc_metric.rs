//! `AllocMetric`: what the scheduler saw while placing one task group, as Nomad reports it in
//! `FailedTGAllocs` and on allocations.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use smol_str::SmolStr;

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
    pub class_filtered: Counts,
    #[serde(with = "crate::nullable")]
    pub constraint_filtered: Counts,
    pub nodes_exhausted: u32,
    #[serde(with = "crate::nullable")]
    pub class_exhausted: Counts,
    #[serde(with = "crate::nullable")]
    pub dimension_exhausted: Counts,
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
    pub node_id: SmolStr,
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

/// Node counts by name (of a node class, a constraint or a resource dimension), written as a
/// map in name order. A sorted vector rather than a `BTreeMap`: every placement keeps one or
/// two of these with a handful of entries, and a B-tree leaf has room for eleven.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts(Vec<(SmolStr, u32)>);

impl Counts {
    pub fn get(&self, name: &str) -> Option<u32> {
        self.position(name).ok().map(|i| self.0[i].1)
    }

    /// Adds `n` to the count of `name`.
    pub fn add(&mut self, name: &str, n: u32) {
        match self.position(name) {
            Ok(i) => self.0[i].1 += n,
            Err(i) => self.0.insert(i, (SmolStr::new(name), n)),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, (SmolStr, u32)> {
        self.0.iter()
    }

    fn position(&self, name: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(name))
    }
}

/// Counts by distinct names; a repeated name keeps its last count, as a map would.
impl FromIterator<(SmolStr, u32)> for Counts {
    fn from_iter<I: IntoIterator<Item = (SmolStr, u32)>>(iter: I) -> Self {
        Counts(
            iter.into_iter()
                .collect::<BTreeMap<_, _>>()
                .into_iter()
                .collect(),
        )
    }
}

impl<const N: usize> From<[(SmolStr, u32); N]> for Counts {
    fn from(entries: [(SmolStr, u32); N]) -> Self {
        entries.into_iter().collect()
    }
}

impl<'a> IntoIterator for &'a Counts {
    type Item = &'a (SmolStr, u32);
    type IntoIter = std::slice::Iter<'a, (SmolStr, u32)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// The count of `name`; panics if there is none, as a map's index does.
impl std::ops::Index<&str> for Counts {
    type Output = u32;

    fn index(&self, name: &str) -> &u32 {
        match self.position(name) {
            Ok(i) => &self.0[i].1,
            Err(_) => panic!("no count for {name:?}"),
        }
    }
}

impl Serialize for Counts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

impl<'de> Deserialize<'de> for Counts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(BTreeMap::<SmolStr, u32>::deserialize(deserializer)?
            .into_iter()
            .collect())
    }
}

impl crate::nullable::IsEmpty for Counts {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

//! `AllocMetric`: what the scheduler saw while placing one task group, as Nomad reports it in
//! `FailedTGAllocs` and on allocations.

use std::borrow::Cow::{self, Borrowed};
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use smol_str::SmolStr;

use crate::Nanos;
use crate::sparse::{Sparse, StaticDefault};

/// What the scheduler saw while placing one task group. The counts of a placement that ran
/// short are in [`Exhaustion`], boxed once one of them is set: read them with
/// [`AllocMetric::exhaustion`], write them with [`AllocMetric::exhaustion_mut`]. Every placed
/// allocation keeps its metric, so its size is part of the scale benchmark's memory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AllocMetric {
    pub nodes_evaluated: u32,
    pub nodes_filtered: u32,
    pub nodes_in_pool: u32,
    /// Ready nodes per datacenter: the same for every placement of an evaluation, so shared.
    pub nodes_available: Arc<BTreeMap<String, u32>>,
    pub class_filtered: Counts,
    pub constraint_filtered: Counts,
    pub score_meta_data: Vec<NodeScoreMeta>,
    pub allocation_time: Nanos,
    pub exhaustion: Sparse<Exhaustion>,
}

/// The counts of a placement that ran short: nodes without room (in all, by class and by
/// resource dimension), exhausted quotas, and the failed placements coalesced into this one.
/// A placement that found room has none of them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exhaustion {
    pub nodes_exhausted: u32,
    pub class_exhausted: Counts,
    pub dimension_exhausted: Counts,
    pub quota_exhausted: Vec<String>,
    pub coalesced_failures: u32,
}

impl StaticDefault for Exhaustion {
    fn static_default() -> &'static Self {
        static DEFAULT: LazyLock<Exhaustion> = LazyLock::new(Exhaustion::default);
        &DEFAULT
    }
}

impl AllocMetric {
    /// The counts of a placement that ran short; zero and empty while none is set.
    pub fn exhaustion(&self) -> &Exhaustion {
        self.exhaustion.get()
    }

    /// The counts of a placement that ran short, boxed on first use to be set.
    pub fn exhaustion_mut(&mut self) -> &mut Exhaustion {
        self.exhaustion.get_mut()
    }
}

/// A metric as Nomad writes it: every field, in Nomad's order; as [`crate::Allocation`]'s
/// mirror, derived both ways, borrowed to write and owned to read.
#[derive(Default, Serialize, Deserialize)]
#[serde(rename = "AllocMetric", rename_all = "PascalCase", default)]
struct Wire<'a> {
    nodes_evaluated: u32,
    nodes_filtered: u32,
    nodes_in_pool: u32,
    #[serde(with = "crate::nullable")]
    nodes_available: Cow<'a, Arc<BTreeMap<String, u32>>>,
    #[serde(with = "crate::nullable")]
    class_filtered: Cow<'a, Counts>,
    #[serde(with = "crate::nullable")]
    constraint_filtered: Cow<'a, Counts>,
    nodes_exhausted: u32,
    #[serde(with = "crate::nullable")]
    class_exhausted: Cow<'a, Counts>,
    #[serde(with = "crate::nullable")]
    dimension_exhausted: Cow<'a, Counts>,
    #[serde(with = "crate::nullable")]
    quota_exhausted: Cow<'a, [String]>,
    #[serde(with = "crate::nullable")]
    score_meta_data: Cow<'a, [NodeScoreMeta]>,
    allocation_time: Nanos,
    coalesced_failures: u32,
}

impl<'a> From<&'a AllocMetric> for Wire<'a> {
    fn from(metric: &'a AllocMetric) -> Wire<'a> {
        let exhaustion = metric.exhaustion();
        Wire {
            nodes_evaluated: metric.nodes_evaluated,
            nodes_filtered: metric.nodes_filtered,
            nodes_in_pool: metric.nodes_in_pool,
            nodes_available: Borrowed(&metric.nodes_available),
            class_filtered: Borrowed(&metric.class_filtered),
            constraint_filtered: Borrowed(&metric.constraint_filtered),
            nodes_exhausted: exhaustion.nodes_exhausted,
            class_exhausted: Borrowed(&exhaustion.class_exhausted),
            dimension_exhausted: Borrowed(&exhaustion.dimension_exhausted),
            quota_exhausted: Borrowed(&exhaustion.quota_exhausted),
            score_meta_data: Borrowed(&metric.score_meta_data),
            allocation_time: metric.allocation_time,
            coalesced_failures: exhaustion.coalesced_failures,
        }
    }
}

impl From<Wire<'_>> for AllocMetric {
    fn from(wire: Wire<'_>) -> AllocMetric {
        let exhaustion = Exhaustion {
            nodes_exhausted: wire.nodes_exhausted,
            class_exhausted: wire.class_exhausted.into_owned(),
            dimension_exhausted: wire.dimension_exhausted.into_owned(),
            quota_exhausted: wire.quota_exhausted.into_owned(),
            coalesced_failures: wire.coalesced_failures,
        };
        AllocMetric {
            nodes_evaluated: wire.nodes_evaluated,
            nodes_filtered: wire.nodes_filtered,
            nodes_in_pool: wire.nodes_in_pool,
            nodes_available: wire.nodes_available.into_owned(),
            class_filtered: wire.class_filtered.into_owned(),
            constraint_filtered: wire.constraint_filtered.into_owned(),
            score_meta_data: wire.score_meta_data.into_owned(),
            allocation_time: wire.allocation_time,
            exhaustion: exhaustion.into(),
        }
    }
}

impl Serialize for AllocMetric {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Wire::from(self).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for AllocMetric {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Wire::deserialize(deserializer).map(AllocMetric::from)
    }
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
/// `Scores` map is, with only the scorers that ran. The scorers are a fixed set, so the scores
/// are an array in name order (the order the map's keys are written) with a mask of those
/// present: every allocation keeps five of these, and five `Option<f64>`s take 80 bytes
/// where this takes 48.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Scores {
    values: [f64; SCORERS.len()],
    present: u8,
}

/// The scorers' names, in name order.
const SCORERS: [&str; 5] = [
    "allocation-spread",
    "binpack",
    "job-anti-affinity",
    "node-affinity",
    "node-reschedule-penalty",
];

impl Scores {
    pub fn new(
        allocation_spread: Option<f64>,
        binpack: Option<f64>,
        job_anti_affinity: Option<f64>,
        node_affinity: Option<f64>,
        node_reschedule_penalty: Option<f64>,
    ) -> Scores {
        let all = [
            allocation_spread,
            binpack,
            job_anti_affinity,
            node_affinity,
            node_reschedule_penalty,
        ];
        let mut scores = Scores::default();
        for (i, score) in all.into_iter().enumerate() {
            scores.set(i, score);
        }
        scores
    }

    fn set(&mut self, i: usize, score: Option<f64>) {
        if let Some(score) = score {
            self.values[i] = score;
            self.present |= 1 << i;
        }
    }

    fn iter(&self) -> impl Iterator<Item = (&'static str, f64)> + '_ {
        (0..SCORERS.len())
            .filter(|i| self.present & (1 << i) != 0)
            .map(|i| (SCORERS[i], self.values[i]))
    }
}

impl Serialize for Scores {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Collected first so that the map's length is known up front, as it was for the
        // derived struct: the log's msgpack frames stay byte for byte the same.
        let present: Vec<_> = self.iter().collect();
        serializer.collect_map(present)
    }
}

/// Unknown scorers are ignored and a `null` score is absent, as the derived struct did.
impl<'de> Deserialize<'de> for Scores {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, Option<f64>>::deserialize(deserializer)?;
        let mut scores = Scores::default();
        for (i, name) in SCORERS.iter().enumerate() {
            scores.set(i, map.get(*name).copied().flatten());
        }
        Ok(scores)
    }
}

impl crate::nullable::IsEmpty for Scores {
    fn is_empty(&self) -> bool {
        self.present == 0
    }
}

/// Node counts by name (of a node class, a constraint or a resource dimension), written as a
/// map in name order. A sorted slice rather than a `BTreeMap`: every placement keeps one or
/// two of these with a handful of entries, and a B-tree leaf has room for eleven; a boxed
/// slice rather than a vector (16 bytes, not 24), as it is built once and every placed
/// allocation's metric holds two.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts(Box<[(SmolStr, u32)]>);

impl Counts {
    pub fn get(&self, name: &str) -> Option<u32> {
        self.position(name).ok().map(|i| self.0[i].1)
    }

    /// Adds `n` to the count of `name`.
    pub fn add(&mut self, name: &str, n: u32) {
        match self.position(name) {
            Ok(i) => self.0[i].1 += n,
            Err(i) => {
                let mut entries = std::mem::take(&mut self.0).into_vec();
                entries.insert(i, (SmolStr::new(name), n));
                self.0 = entries.into_boxed_slice();
            }
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
        // Sorted in place rather than through a map: every placement builds a few of these.
        // The sort is stable, so of equal names the last one's count is the one kept.
        let mut entries: Vec<(SmolStr, u32)> = iter.into_iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                kept.1 = later.1;
            }
            same
        });
        Counts(entries.into_boxed_slice())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn check<T: Serialize + for<'de> Deserialize<'de>>(input: &str, expected: &str) {
        let value: T = serde_json::from_str(input).unwrap();
        assert_eq!(serde_json::to_string(&value).unwrap(), expected);
    }

    /// Scores and counts read and write as the maps they are on the wire: in name order, a
    /// `null` or unknown scorer dropped.
    #[test]
    fn scores_and_counts_are_maps_on_the_wire() {
        let scores = r#"{"binpack":0.5,"node-affinity":-1.0}"#;
        check::<Scores>(scores, scores);
        check::<Scores>(
            r#"{"node-affinity":null,"devices":1.0,"binpack":0.5}"#,
            r#"{"binpack":0.5}"#,
        );
        check::<Counts>(
            r#"{"class-b":2,"class-a":1}"#,
            r#"{"class-a":1,"class-b":2}"#,
        );
    }
}

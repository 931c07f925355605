//! What one `select` saw, counted the way Nomad fills `AllocMetric`, in a form cheap to update per
//! node: counters keyed by dense ids (node classes from the view, reasons from a per-stack
//! interner). [`Metrics::to_alloc_metric`] turns it into the model type on demand.

use std::collections::BTreeMap;
use std::sync::Arc;

use drover_model::{AllocMetric, Counts, Exhaustion, NodeScoreMeta, Scores, SmolStr};

use super::table::{Interner, NO_NODE_CLASS};
use super::view::ClusterView;

/// How many of the best-scoring nodes `ScoreMetaData` keeps (Nomad's `MaxRetainedNodeScores`).
const RETAINED_SCORES: usize = 5;

/// Reasons and dimensions by id, so hot paths count a `u32` instead of hashing a string.
#[derive(Debug, Clone)]
pub(crate) struct Reasons(Interner);

/// Reasons every stack knows, interned in this order at construction.
pub(crate) mod reason {
    pub(crate) const CLASS_INELIGIBLE: u32 = 0;
    pub(crate) const MISSING_DRIVERS: u32 = 1;
    pub(crate) const MISSING_DEVICES: u32 = 2;
    pub(crate) const MISSING_NETWORK: u32 = 3;
    pub(crate) const MISSING_SECRETS: u32 = 4;
    pub(crate) const MISSING_HOST_VOLUMES: u32 = 5;
    pub(crate) const DISTINCT_HOSTS: u32 = 6;
    pub(crate) const CPU: u32 = 7;
    pub(crate) const MEMORY: u32 = 8;
    pub(crate) const DISK: u32 = 9;
    pub(crate) const CORES: u32 = 10;
    pub(crate) const PORT_COLLISION: u32 = 11;
    pub(crate) const INVALID_NODE: u32 = 12;

    pub(crate) const NAMES: [&str; 13] = [
        "computed class ineligible",
        "missing drivers",
        "missing devices",
        "missing network",
        "missing secrets provider",
        "missing compatible host volumes",
        "distinct_hosts",
        "cpu",
        "memory",
        "disk",
        "cores",
        "network: port collision",
        "network: invalid node",
    ];
}

impl Default for Reasons {
    fn default() -> Self {
        let mut reasons = Interner::default();
        for name in reason::NAMES {
            reasons.intern(name);
        }
        Self(reasons)
    }
}

impl Reasons {
    pub(crate) fn intern(&mut self, name: &str) -> u32 {
        self.0.intern(name)
    }

    fn name(&self, id: u32) -> &SmolStr {
        self.0.name(id)
    }
}

/// The scores of one ranked node, by scorer. `None` means the scorer does not run in this stack.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct NodeScores {
    pub(crate) node: u32,
    pub(crate) binpack: f64,
    pub(crate) job_anti_affinity: Option<f64>,
    pub(crate) reschedule_penalty: Option<f64>,
    pub(crate) node_affinity: Option<f64>,
    /// Only reported when non-zero, as Nomad does.
    pub(crate) spread: Option<f64>,
    pub(crate) normalized: f64,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Metrics {
    pub(crate) nodes_evaluated: u32,
    nodes_filtered: u32,
    nodes_exhausted: u32,
    class_filtered: Vec<(u32, u32)>,
    constraint_filtered: Vec<(u32, u32)>,
    class_exhausted: Vec<(u32, u32)>,
    dimension_exhausted: Vec<(u32, u32)>,
    /// The best nodes by normalized score with their rank order, at most [`RETAINED_SCORES`].
    top: Vec<(u32, NodeScores)>,
    scored: u32,
}

fn bump(counts: &mut Vec<(u32, u32)>, key: u32) {
    match counts.iter_mut().find(|(k, _)| *k == key) {
        Some((_, n)) => *n += 1,
        None => counts.push((key, 1)),
    }
}

impl Metrics {
    pub(crate) fn reset(&mut self) {
        self.nodes_evaluated = 0;
        self.nodes_filtered = 0;
        self.nodes_exhausted = 0;
        self.class_filtered.clear();
        self.constraint_filtered.clear();
        self.class_exhausted.clear();
        self.dimension_exhausted.clear();
        self.top.clear();
        self.scored = 0;
    }

    /// A node failed feasibility (`AllocMetric.FilterNode`).
    pub(crate) fn filter(&mut self, node_class: u32, reason: u32) {
        self.nodes_filtered += 1;
        if node_class != NO_NODE_CLASS {
            bump(&mut self.class_filtered, node_class);
        }
        bump(&mut self.constraint_filtered, reason);
    }

    /// A feasible node did not fit (`AllocMetric.ExhaustedNode`).
    pub(crate) fn exhaust(&mut self, node_class: u32, dimension: u32) {
        self.nodes_exhausted += 1;
        if node_class != NO_NODE_CLASS {
            bump(&mut self.class_exhausted, node_class);
        }
        bump(&mut self.dimension_exhausted, dimension);
    }

    /// A node was ranked; keep it if it is among the best (a later node must score strictly
    /// higher than the worst kept one to replace it).
    pub(crate) fn score(&mut self, scores: NodeScores) {
        let rank = self.scored;
        self.scored += 1;
        if self.top.len() < RETAINED_SCORES {
            self.top.push((rank, scores));
            return;
        }
        let (worst, _) =
            self.top
                .iter()
                .enumerate()
                .fold((0, f64::INFINITY), |(wi, w), (i, (_, s))| {
                    if s.normalized < w {
                        (i, s.normalized)
                    } else {
                        (wi, w)
                    }
                });
        if scores.normalized > self.top[worst].1.normalized {
            self.top[worst] = (rank, scores);
        }
    }

    pub(crate) fn to_alloc_metric(
        &self,
        view: &ClusterView,
        reasons: &Reasons,
        pool: &Pool,
    ) -> AllocMetric {
        let by_class = |counts: &[(u32, u32)]| -> Counts {
            counts
                .iter()
                .map(|&(c, n)| (SmolStr::new(&view.table.node_class_names[c as usize]), n))
                .collect()
        };
        let by_reason = |counts: &[(u32, u32)]| -> Counts {
            counts
                .iter()
                .map(|&(r, n)| (reasons.name(r).clone(), n))
                .collect()
        };
        let mut top = self.top.clone();
        top.sort_by(|(ra, a), (rb, b)| b.normalized.total_cmp(&a.normalized).then(ra.cmp(rb)));
        AllocMetric {
            nodes_evaluated: self.nodes_evaluated,
            nodes_filtered: self.nodes_filtered,
            nodes_in_pool: pool.nodes_in_pool,
            nodes_available: pool.nodes_available.clone(),
            class_filtered: by_class(&self.class_filtered),
            constraint_filtered: by_reason(&self.constraint_filtered),
            score_meta_data: top.iter().map(|(_, s)| score_meta(view, s)).collect(),
            exhaustion: Exhaustion {
                nodes_exhausted: self.nodes_exhausted,
                class_exhausted: by_class(&self.class_exhausted),
                dimension_exhausted: by_reason(&self.dimension_exhausted),
                ..Exhaustion::default()
            }
            .into(),
            ..AllocMetric::default()
        }
    }
}

fn score_meta(view: &ClusterView, s: &NodeScores) -> NodeScoreMeta {
    NodeScoreMeta {
        node_id: view.node(s.node as usize).id.clone(),
        scores: Scores::new(
            s.spread,
            Some(s.binpack),
            s.job_anti_affinity,
            s.node_affinity,
            s.reschedule_penalty,
        ),
        norm_score: s.normalized,
    }
}

/// The job's ready nodes: how many, and how many per datacenter (`NodesInPool`,
/// `NodesAvailable`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Pool {
    pub(crate) nodes_in_pool: u32,
    pub(crate) nodes_available: Arc<BTreeMap<String, u32>>,
}

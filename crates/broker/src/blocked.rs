//! `BlockedEvals`: evaluations that could not place every allocation wait here until the cluster
//! changes in a way that could let them place more. Released evaluations are returned to the
//! caller, who enqueues them into the broker; duplicates are returned for the caller to cancel.
//!
//! An evaluation is blocked by its class eligibility (the computed node classes it saw, and
//! whether it could run on them) or, when its constraints escape computed classes, on any change.
//! A system job's evaluations are kept per node as well, for [`BlockedEvals::unblock_node`].

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use drover_model::{Evaluation, trigger};

use crate::{Time, Token};

/// A released evaluation, with the token of the delivery that re-blocked it if any: hand it to
/// `EvalBroker::enqueue_all`.
pub type Released = (Arc<Evaluation>, Option<Token>);

/// The periods of the tracker. `Default` is Nomad's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockedConfig {
    /// How often evaluations blocked by max-plan-attempts are released.
    pub failed_unblock_interval: Duration,
    /// How often old unblock indexes are pruned.
    pub prune_interval: Duration,
    /// How old an unblock index must be to be pruned.
    pub prune_threshold: Duration,
}

impl Default for BlockedConfig {
    fn default() -> Self {
        Self {
            failed_unblock_interval: Duration::from_secs(60),
            prune_interval: Duration::from_secs(5 * 60),
            prune_threshold: Duration::from_secs(15 * 60),
        }
    }
}

/// Counts of blocked evaluations, as Nomad's `BlockedStats`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockedStats {
    pub total_blocked: usize,
    /// Those whose constraints escape computed node classes.
    pub total_escaped: usize,
    /// For each computed node class, how many blocked evaluations could run on it.
    pub by_class: BTreeMap<String, usize>,
}

/// The blocked-evaluation tracker. Like the broker it starts disabled and forgets everything
/// when disabled.
#[derive(Debug, Default)]
pub struct BlockedEvals {
    config: BlockedConfig,
    enabled: bool,
    /// One evaluation per job, or per job and node for system jobs; ordered, so evaluations are
    /// released in a deterministic order.
    evals: BTreeMap<BlockKey, Blocked>,
    /// System jobs' blocked evaluations by node ID.
    by_node: HashMap<String, BTreeSet<BlockKey>>,
    /// The raft index of the last unblock of each computed node class, and when it happened.
    unblock_indexes: HashMap<String, (u64, Time)>,
    duplicates: Vec<Arc<Evaluation>>,
    next_failed_unblock: Option<Time>,
    next_prune: Option<Time>,
}

#[derive(Debug)]
struct Blocked {
    eval: Arc<Evaluation>,
    token: Option<Token>,
}

/// A blocked evaluation's place, ordered by (namespace, job ID, node ID): the node counts only
/// for a system job's evaluation, which is blocked per node. It shares the evaluation instead of
/// copying its strings, so releasing thousands of evaluations frees no keys.
#[derive(Debug, Clone)]
struct BlockKey(Arc<Evaluation>);

impl BlockKey {
    fn parts(&self) -> (&str, &str, &str) {
        let eval = &self.0;
        let node = if eval.eval_type == SYSTEM {
            eval.node_id.as_str()
        } else {
            ""
        };
        (&eval.namespace, &eval.job_id, node)
    }
}

impl Ord for BlockKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts().cmp(&other.parts())
    }
}

impl PartialOrd for BlockKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for BlockKey {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for BlockKey {}

const SYSTEM: &str = "system";

impl BlockedEvals {
    pub fn new(config: BlockedConfig) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Disabling drops every tracked evaluation, duplicate and unblock index.
    pub fn set_enabled(&mut self, enabled: bool) {
        self.enabled = enabled;
        if !enabled {
            *self = Self::new(self.config.clone());
        }
    }

    /// Tracks a blocked evaluation; `token` is the worker's delivery when it re-blocks an
    /// evaluation it is still processing. If the job already has a blocked evaluation, the one
    /// with the newer max(create, snapshot) index is kept (the new one on a tie) and the other
    /// becomes a duplicate. If a class it could use was unblocked after its snapshot, it missed
    /// that unblock and is returned at once for enqueueing.
    pub fn block(&mut self, eval: Arc<Evaluation>, token: Option<Token>) -> Option<Released> {
        if !self.enabled {
            return None;
        }
        let key = BlockKey(Arc::clone(&eval));
        if let Some(existing) = self.evals.get(&key)
            && existing.eval.id != eval.id
        {
            if latest_index(&existing.eval) > latest_index(&eval) {
                self.duplicates.push(eval);
                return None;
            }
            if let Some(old) = self.remove(&key) {
                self.duplicates.push(old.eval);
            }
        }
        if self.missed_unblock(&eval) {
            self.remove(&key);
            return Some((eval, token));
        }
        if eval.eval_type == SYSTEM && !eval.node_id.is_empty() {
            let nodes = self.by_node.entry(eval.node_id.clone()).or_default();
            nodes.insert(key.clone());
        }
        self.evals.insert(key, Blocked { eval, token });
        None
    }

    /// Whether the scheduler ran on a snapshot older than an unblock that could have helped.
    fn missed_unblock(&self, eval: &Evaluation) -> bool {
        let mut newest = 0;
        for (class, &(index, _)) in &self.unblock_indexes {
            newest = newest.max(index);
            if eval.snapshot_index < index && eligibility(eval, class) != Some(false) {
                return true;
            }
        }
        eval.escaped_computed_class && eval.snapshot_index < newest
    }

    /// Capacity changed on nodes of `computed_class` at raft `index`: releases every escaped
    /// evaluation and every one not explicitly ineligible for the class (a class it never saw
    /// may fit it).
    pub fn unblock(&mut self, computed_class: &str, index: u64, now: Time) -> Vec<Released> {
        if !self.enabled || computed_class.is_empty() {
            return Vec::new();
        }
        self.unblock_indexes
            .insert(computed_class.to_owned(), (index, now));
        self.release(|eval| {
            eval.escaped_computed_class || eligibility(eval, computed_class) != Some(false)
        })
    }

    /// Capacity changed on one node: releases the system jobs' evaluations blocked on it.
    pub fn unblock_node(&mut self, node_id: &str) -> Vec<Released> {
        let Some(keys) = self.by_node.remove(node_id) else {
            return Vec::new();
        };
        keys.iter()
            .filter_map(|key| self.remove(key))
            .map(|b| (b.eval, b.token))
            .collect()
    }

    /// The job's evaluation succeeded: its blocked evaluations are no longer needed and are
    /// dropped (the state store cancels them).
    pub fn untrack(&mut self, namespace: &str, job_id: &str) {
        // The job's first possible key: no node.
        let first = BlockKey(Arc::new(Evaluation {
            namespace: namespace.to_owned(),
            job_id: job_id.to_owned(),
            ..Evaluation::default()
        }));
        let keys: Vec<BlockKey> = self
            .evals
            .range(first..)
            .map(|(key, _)| key)
            .take_while(|key| key.0.namespace == namespace && key.0.job_id == job_id)
            .cloned()
            .collect();
        for key in &keys {
            self.remove(key);
        }
    }

    /// Fires the periods due at `now`: the release of evaluations blocked by max-plan-attempts,
    /// and the pruning of old unblock indexes. The first tick after enabling starts both periods.
    pub fn tick(&mut self, now: Time) -> Vec<Released> {
        if !self.enabled {
            return Vec::new();
        }
        let mut released = Vec::new();
        if self.next_failed_unblock.is_some_and(|due| due <= now) {
            released = self.release(|eval| eval.triggered_by == trigger::MAX_PLAN_ATTEMPTS);
        }
        if self.next_failed_unblock.is_none_or(|due| due <= now) {
            self.next_failed_unblock = Some(now + self.config.failed_unblock_interval);
        }
        if self.next_prune.is_some_and(|due| due <= now) {
            let threshold = self.config.prune_threshold;
            self.unblock_indexes
                .retain(|_, (_, at)| *at + threshold >= now);
        }
        if self.next_prune.is_none_or(|due| due <= now) {
            self.next_prune = Some(now + self.config.prune_interval);
        }
        released
    }

    /// When [`Self::tick`] next has something to do.
    pub fn next_deadline(&self) -> Option<Time> {
        match (self.next_failed_unblock, self.next_prune) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Takes the evaluations that lost to a newer blocked evaluation of their job; the caller
    /// cancels them.
    pub fn take_duplicates(&mut self) -> Vec<Arc<Evaluation>> {
        std::mem::take(&mut self.duplicates)
    }

    pub fn stats(&self) -> BlockedStats {
        let mut stats = BlockedStats {
            total_blocked: self.evals.len(),
            ..BlockedStats::default()
        };
        for Blocked { eval, .. } in self.evals.values() {
            stats.total_escaped += usize::from(eval.escaped_computed_class);
            let eligible = eval.class_eligibility.iter().flatten();
            for (class, _) in eligible.filter(|(_, eligible)| **eligible) {
                *stats.by_class.entry(class.clone()).or_default() += 1;
            }
        }
        stats
    }

    fn release(&mut self, mut pred: impl FnMut(&Evaluation) -> bool) -> Vec<Released> {
        let released: Vec<(BlockKey, Blocked)> = self
            .evals
            .extract_if(.., |_, blocked| pred(&blocked.eval))
            .collect();
        released
            .into_iter()
            .map(|(key, blocked)| {
                self.forget_node(&key);
                (blocked.eval, blocked.token)
            })
            .collect()
    }

    fn remove(&mut self, key: &BlockKey) -> Option<Blocked> {
        let blocked = self.evals.remove(key)?;
        self.forget_node(key);
        Some(blocked)
    }

    fn forget_node(&mut self, key: &BlockKey) {
        let (_, _, node_id) = key.parts();
        if node_id.is_empty() {
            return;
        }
        if let Some(keys) = self.by_node.get_mut(node_id) {
            keys.remove(key);
            if keys.is_empty() {
                self.by_node.remove(node_id);
            }
        }
    }
}

fn eligibility(eval: &Evaluation, class: &str) -> Option<bool> {
    eval.class_eligibility.as_ref()?.get(class).copied()
}

/// The newest state an evaluation has seen: it was created or scheduled at this raft index.
fn latest_index(eval: &Evaluation) -> u64 {
    eval.create_index.max(eval.snapshot_index)
}

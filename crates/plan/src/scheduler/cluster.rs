//! The cluster as one scheduling attempt sees it: every node of the snapshot and the
//! allocations that hold resources on them, laid out as a feasibility [`ClusterView`] that the
//! scheduler keeps current as its plan grows, and the node rules the schedulers share.

use std::sync::{Arc, Mutex, PoisonError};

use drover_model::job::{ALL_NODE_POOLS, DEFAULT_NODE_POOL};
use drover_model::{Allocation, ClientStatus, Job, Node};
use drover_state::usage::UsageVersion;
use drover_state::{NodesVersion, Snapshot};

use super::Plan;
use super::allocation::copy_of;
use crate::feasible::{
    ClusterView, GenericStack, KeptUsage, NodeTable, RankedNode, SpareFits, SpareStates,
};

/// The [`NodeTable`] of the last node set seen, shared by the evaluations scheduled with clones
/// of one [`super::SchedulerConfig`]. Indexing the nodes of a large cluster takes milliseconds,
/// so a table is rebuilt only when the snapshot's node table is not the one it was built from.
#[derive(Debug, Clone, Default)]
pub struct NodeTableCache(Arc<Mutex<Option<CachedTable>>>);

#[derive(Debug)]
struct CachedTable {
    nodes: NodesVersion,
    table: Arc<NodeTable>,
    /// Every node's store usage (by position in `table`) as of a snapshot's usage table: the
    /// next evaluation updates only the nodes its snapshot changed, where looking up each
    /// node it ranks cost a search of the store's table.
    usage: Option<(UsageVersion, Arc<[KeptUsage]>)>,
    /// The per-node states and fit scores of the last views and stacks done with, for the
    /// next ones over `table`: one set for each worker scheduling at once, up to
    /// [`MAX_SPARES`].
    spare: Vec<(SpareStates, SpareFits)>,
}

/// Spare sets kept at most: more than workers usually run (a set for 10,000 nodes takes more
/// than half a megabyte).
const MAX_SPARES: usize = 8;

impl NodeTableCache {
    pub(super) fn table(&self, snapshot: &Snapshot) -> Arc<NodeTable> {
        let mut cached = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let nodes = snapshot.nodes_version();
        if let Some(c) = cached.as_ref().filter(|c| c.nodes == nodes) {
            return Arc::clone(&c.table);
        }
        let records: Vec<Arc<Node>> = snapshot.nodes("").cloned().collect();
        let table = Arc::new(NodeTable::new(&records));
        *cached = Some(CachedTable {
            nodes,
            table: Arc::clone(&table),
            usage: None,
            spare: Vec::new(),
        });
        table
    }

    /// Every node's store usage as of `snapshot`, by position in `table`; `None` unless
    /// `table` is the cached one.
    pub(super) fn node_usage(
        &self,
        table: &Arc<NodeTable>,
        snapshot: &Snapshot,
    ) -> Option<Arc<[KeptUsage]>> {
        let mut cached = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let cached = cached.as_mut().filter(|c| Arc::ptr_eq(&c.table, table))?;
        let version = snapshot.node_usage_version();
        let (since, mut used) = cached.usage.take().unwrap_or_else(|| {
            let empty = vec![KeptUsage::default(); table.len()];
            (UsageVersion::default(), empty.into())
        });
        let changed: Vec<_> = since.changed_nodes(&version).collect();
        if !changed.is_empty() {
            // Copied only while an earlier evaluation's view still holds it.
            let nodes = Arc::make_mut(&mut used);
            for (node_id, usage) in changed {
                if let Some(node) = table.usage_key_position(&node_id) {
                    nodes[node] = usage.map_or_else(KeptUsage::default, |u| KeptUsage {
                        total: u.total,
                        holds_network: u.holds_network(),
                    });
                }
            }
        }
        cached.usage = Some((version, Arc::clone(&used)));
        Some(used)
    }
}

impl NodeTableCache {
    /// The per-node states and fit scores a view and stack over `table` may reuse, if kept.
    pub(super) fn take_spare(&self, table: &Arc<NodeTable>) -> Option<(SpareStates, SpareFits)> {
        let mut cached = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        cached
            .as_mut()
            .filter(|c| Arc::ptr_eq(&c.table, table))?
            .spare
            .pop()
    }

    /// Keeps the per-node states and fit scores of a view and stack over `table` that are
    /// done, unless the cached table has changed since.
    pub(super) fn keep_spare(
        &self,
        table: &Arc<NodeTable>,
        view: ClusterView,
        stack: GenericStack,
    ) {
        let mut cached = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(c) = cached.as_mut().filter(|c| Arc::ptr_eq(&c.table, table))
            && c.spare.len() < MAX_SPARES
        {
            c.spare.push((view.into_spare(), stack.into_spare_fits()));
        }
    }
}

/// How an allocation is stopped: Nomad's description, the client status to record (`lost`)
/// or none, and the follow-up evaluation that replaces it later, if any.
#[derive(Debug, Clone, Copy)]
pub(super) struct Stop<'a> {
    pub description: &'a str,
    pub client_status: ClientStatus,
    pub followup_eval_id: &'a str,
}

impl<'a> Stop<'a> {
    pub fn new(description: &'a str) -> Self {
        Stop {
            description,
            client_status: ClientStatus::Unset,
            followup_eval_id: "",
        }
    }
}

/// Stops `alloc` in the plan (a full copy when the plan is `stored`, see `copy_of`) and frees
/// its room in the view.
pub(super) fn stop_alloc(
    plan: &mut Plan,
    view: &mut ClusterView,
    alloc: &Allocation,
    stop: Stop<'_>,
    stored: bool,
    now: i64,
) {
    let copy = copy_of(alloc, stored, None);
    let Stop {
        description,
        client_status,
        followup_eval_id,
    } = stop;
    plan.append_stopped_alloc(copy, description, client_status, followup_eval_id, now);
    view.remove_alloc(&alloc.id);
}

/// Nomad's in-place check of `alloc` on its own node: the node must still be in the job's
/// datacenters and pool, and `rank` (the new version of the group, on that node alone) must
/// find room once the allocation's own is freed. When it does, the allocation stays out of the
/// view for the caller to count its updated version; otherwise it is counted again.
pub(super) fn rank_in_place(
    view: &mut ClusterView,
    alloc: &Allocation,
    job: &Job,
    rank: impl FnOnce(&ClusterView, usize) -> Option<RankedNode>,
) -> Option<RankedNode> {
    let node = view.node_position(&alloc.node_id)?;
    let on_node = view.node(node);
    if !in_any_datacenter(on_node, job) || !in_pool(on_node, job) {
        return None;
    }
    let counted = view.remove_alloc(&alloc.id);
    let ranked = rank(view, node);
    if ranked.is_none() && counted {
        view.add_alloc(alloc);
    }
    ranked
}

/// Whether the node is in one of the job's datacenters (`*` globs; none listed means all).
fn in_any_datacenter(node: &Node, job: &Job) -> bool {
    job.datacenters.is_empty() || job.datacenters.iter().any(|p| glob(p, &node.datacenter))
}

/// Whether the node is in the job's node pool (`all` or none: every pool).
pub(super) fn in_pool(node: &Node, job: &Job) -> bool {
    let pool = job.node_pool.as_str();
    let node_pool = match node.node_pool.as_str() {
        "" => DEFAULT_NODE_POOL,
        p => p,
    };
    pool.is_empty() || pool == ALL_NODE_POOLS || pool == node_pool
}

/// ryanuber/go-glob, as Nomad matches datacenters: `*` matches any run of characters.
fn glob(pattern: &str, subject: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = subject.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn glob_matches_like_go_glob() {
        for (pattern, subject, matches) in [
            ("dc1", "dc1", true),
            ("dc1", "dc10", false),
            ("*", "anything", true),
            ("dc*", "dc2", true),
            ("*-east", "us-east", true),
            ("us-*-1", "us-west-1", true),
            ("us-*-1", "us-west-2", false),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "acb", false),
        ] {
            assert_eq!(glob(pattern, subject), matches, "{pattern} ~ {subject}");
        }
    }
}

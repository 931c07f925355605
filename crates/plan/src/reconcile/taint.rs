//! Tainted nodes: the nodes under a job's allocations that are down, draining, disconnected or
//! gone from the state, which is all the reconcilers need to know about nodes.

use std::borrow::Borrow;
use std::sync::Arc;

use drover_model::allocation::ClientStatus;
use drover_model::node::node_status;
use drover_model::{Allocation, Node};

use super::{StopResult, status_description};
use crate::feasible::hash::FoldHashMap;

/// The status of a tainted node (one of `drover_model::node::node_status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaintedNode {
    pub status: String,
}

impl TaintedNode {
    pub(crate) fn is(&self, status: &str) -> bool {
        self.status == status
    }
}

/// Node ID -> its taint; `None` when the node is missing from the state. Hashed: the
/// reconcilers look up the node of every allocation of a job, and few nodes are tainted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaintedNodes(FoldHashMap<String, Option<TaintedNode>>);

impl TaintedNodes {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get(&self, node_id: &str) -> Option<&Option<TaintedNode>> {
        self.0.get(node_id)
    }

    pub fn contains_key(&self, node_id: &str) -> bool {
        self.0.contains_key(node_id)
    }

    pub fn insert(&mut self, node_id: String, taint: Option<TaintedNode>) {
        self.0.insert(node_id, taint);
    }
}

impl FromIterator<(String, Option<TaintedNode>)> for TaintedNodes {
    fn from_iter<I: IntoIterator<Item = (String, Option<TaintedNode>)>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

/// The tainted nodes under `allocs` (Nomad's `taintedNodes`): missing nodes, down or draining
/// nodes, and disconnected nodes (whose allocations wait out `disconnect.lost_after`).
/// `lookup` finds an allocation's node: `None` when it is missing from the state, `Some(None)`
/// when the caller knows it does not taint (so its record need not be read). It is called once
/// for each allocation, in order.
pub fn tainted_nodes<'a, N: Borrow<Node>>(
    allocs: impl IntoIterator<Item = &'a Arc<Allocation>>,
    mut lookup: impl FnMut(&str) -> Option<Option<N>>,
) -> TaintedNodes {
    let mut tainted = TaintedNodes::new();
    // A node is looked up once per allocation on it: cheaper than remembering the nodes seen,
    // and it taints all of them alike.
    for alloc in allocs {
        let Some(node) = lookup(&alloc.node_id) else {
            tainted.insert(alloc.node_id.to_string(), None);
            continue;
        };
        let Some(node) = node.filter(|n| taints(n.borrow())) else {
            continue;
        };
        let taint = TaintedNode {
            status: node.borrow().status.clone(),
        };
        tainted.insert(alloc.node_id.to_string(), Some(taint));
    }
    tainted
}

/// Whether a node taints the allocations on it: down, disconnected or draining.
pub(crate) fn taints(node: &Node) -> bool {
    node.status == node_status::DOWN
        || node.status == node_status::DISCONNECTED
        || node.drain_strategy.is_some()
}

/// Allocations the server already stopped whose node is down or gone while the client last
/// said pending or running: they are marked lost (Nomad's `updateNonTerminalAllocsToLost`).
pub fn stopped_allocs_to_mark_lost(
    allocs: &[Arc<Allocation>],
    tainted: &TaintedNodes,
) -> Vec<StopResult> {
    // The allocation's own fields first: few are stopped yet still running, and looking up
    // their node costs more.
    allocs
        .iter()
        .filter(|alloc| {
            alloc.server_terminal()
                && matches!(
                    alloc.client_status,
                    ClientStatus::Running | ClientStatus::Pending
                )
        })
        .filter(|alloc| match tainted.get(alloc.node_id.as_str()) {
            Some(Some(node)) => node.is(node_status::DOWN),
            Some(None) => true,
            None => false,
        })
        .map(|alloc| StopResult {
            alloc: Arc::clone(alloc),
            client_status: ClientStatus::Lost,
            status_description: status_description::LOST.to_string(),
            followup_eval_id: Default::default(),
        })
        .collect()
}

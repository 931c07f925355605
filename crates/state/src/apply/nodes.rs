//! Node writes (`upsertNodeTxn`, `deleteNodeTxn`, `updateNodeStatusTxn`,
//! `updateNodeEligibilityImpl`, `updateNodeDrainImpl`).

use std::sync::Arc;

use drover_model::Node;
use drover_model::node::node_eligibility;

use super::Txn;
use crate::StateError;
use crate::command::{DeleteNodes, NodeDrainUpdate, NodeStatusUpdate, UpsertNode};
use crate::keys::{Id, QId};
use crate::table::Table;

impl Txn<'_> {
    /// A re-registering node keeps the eligibility and drain that operators set.
    pub(super) fn upsert_node(&mut self, c: &UpsertNode) -> Result<(), StateError> {
        let mut node = c.node.clone();
        match self.t.nodes.get(&QId::new(&node.id)) {
            Some(existing) => {
                node.create_index = existing.create_index;
                node.scheduling_eligibility = existing.scheduling_eligibility.clone();
                node.drain_strategy = existing.drain_strategy.clone();
            }
            None => node.create_index = self.index,
        }
        node.modify_index = self.index;
        self.put_node(node);
        Ok(())
    }

    fn put_node(&mut self, node: Node) {
        self.insert_into(|t| &mut t.nodes, Id::of(&node.id), Arc::new(node));
        self.touch(Table::Nodes);
    }

    pub(super) fn delete_nodes(&mut self, c: &DeleteNodes) -> Result<(), StateError> {
        if c.node_ids.is_empty() {
            return Err(StateError::NodeIdsMissing);
        }
        for node_id in &c.node_ids {
            if self
                .remove_from(|t| &mut t.nodes, &QId::new(node_id))
                .is_none()
            {
                return Err(StateError::NodeNotFound);
            }
        }
        self.touch(Table::Nodes);
        Ok(())
    }

    /// A copy of a stored node, stamped with this transaction's index.
    fn node_copy(&self, node_id: &str, updated_at: i64) -> Result<Node, StateError> {
        let node = self
            .t
            .nodes
            .get(&QId::new(node_id))
            .ok_or(StateError::NodeNotFound)?;
        let mut node = (**node).clone();
        node.status_updated_at = updated_at;
        node.modify_index = self.index;
        Ok(node)
    }

    pub(super) fn update_node_status(&mut self, c: &NodeStatusUpdate) -> Result<(), StateError> {
        let mut node = self.node_copy(&c.node_id, c.updated_at)?;
        node.status = c.status.clone();
        self.put_node(node);
        Ok(())
    }

    pub(super) fn update_node_eligibility(
        &mut self,
        node_id: &str,
        eligibility: &str,
        updated_at: i64,
    ) -> Result<(), StateError> {
        let mut node = self.node_copy(node_id, updated_at)?;
        if node.drain_strategy.is_some() && eligibility == node_eligibility::ELIGIBLE {
            return Err(StateError::EligibleWhileDraining);
        }
        node.scheduling_eligibility = eligibility.to_string();
        self.put_node(node);
        Ok(())
    }

    /// Draining makes a node ineligible; ending a drain may make it eligible again.
    pub(super) fn update_node_drain(&mut self, c: &NodeDrainUpdate) -> Result<(), StateError> {
        let mut node = self.node_copy(&c.node_id, c.updated_at)?;
        node.drain_strategy = c.drain_strategy.clone();
        if node.drain_strategy.is_some() {
            node.scheduling_eligibility = node_eligibility::INELIGIBLE.to_string();
        } else if c.mark_eligible {
            node.scheduling_eligibility = node_eligibility::ELIGIBLE.to_string();
        }
        self.put_node(node);
        Ok(())
    }
}

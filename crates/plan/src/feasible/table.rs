//! `NodeTable`: what the placement loop needs of the nodes themselves, indexed once and shared.
//!
//! Everything here depends on the nodes only, not on allocations, so one table serves every
//! evaluation until a node changes: build it when the node set changes and hand the same
//! `Arc<NodeTable>` to each evaluation's [`super::ClusterView`]. Node attributes and meta are
//! interned into flat arrays (a sorted run of `(key, value)` ids per node), so checking a
//! constraint reads a few bytes next to each other instead of walking a map of heap strings, and
//! results can be remembered per distinct value.

use std::sync::Arc;

use drover_model::{Node, SmolStr};
use drover_state::parse_uuid;
use drover_state::usage::{NodeKey, NodeUsage};

use super::class::computed_class;
use super::hash::FoldHashMap;
use super::net::parse_port_ranges;

/// The user-set node class of a node without one.
pub(crate) const NO_NODE_CLASS: u32 = u32::MAX;

/// Node fields that constraints can name directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Datacenter,
    NodeClass,
    NodePool,
    Id,
    Name,
}

/// Keys with this prefix identify one node.
pub(crate) const UNIQUE_PREFIX: &str = "unique.";

/// A node's value for a property or field. Values many nodes share are interned (so results can
/// be remembered per value); values of one node alone (`unique.` keys, IDs, names) are only
/// copied next to each other, since interning them would cost more than it saves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NodeValue {
    Shared(u32),
    Own(u32),
}

/// [`NodeValue`] packed in a `u32`: own values have the high bit set.
const OWN: u32 = 1 << 31;

fn pack(value: NodeValue) -> u32 {
    match value {
        NodeValue::Shared(id) => id,
        NodeValue::Own(span) => span | OWN,
    }
}

fn unpack(packed: u32) -> NodeValue {
    if packed & OWN == 0 {
        NodeValue::Shared(packed)
    } else {
        NodeValue::Own(packed & !OWN)
    }
}

/// Strings by dense id. Names are `SmolStr`s so that a placement's metric shares a long one
/// (a constraint's text) instead of copying it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Interner {
    names: Vec<SmolStr>,
    ids: FoldHashMap<Box<str>, u32>,
}

impl Interner {
    pub(crate) fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.into());
        self.ids.insert(name.into(), id);
        id
    }

    pub(crate) fn get(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    pub(crate) fn name(&self, id: u32) -> &SmolStr {
        &self.names[id as usize]
    }

    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }
}

/// See the module documentation.
#[derive(Debug)]
pub struct NodeTable {
    nodes: Vec<Arc<Node>>,
    positions: FoldHashMap<String, u32>,
    /// Positions by the address of the node's ID. An allocation placed on a node clones the
    /// node's ID (a `SmolStr` sharing its text), so looking it up compares an address instead
    /// of hashing and comparing 36 characters stored elsewhere. Two live strings never start
    /// at one address, and the table keeps its nodes' IDs alive, so an address and a length
    /// that match are the same ID. The length is part of the key, so a lookup reads neither
    /// string.
    by_address: FoldHashMap<(usize, usize), u32>,
    /// Positions of the nodes whose IDs are UUIDs, by the UUID's bits: the store's usage table
    /// names nodes that way, so finding its changed nodes writes out and hashes no text.
    by_uuid: FoldHashMap<[u64; 2], u32>,
    /// Computed class id per node, and the class strings.
    pub(crate) class: Vec<u32>,
    pub(crate) class_names: Vec<String>,
    /// User node class id per node ([`NO_NODE_CLASS`] when empty), and the names.
    pub(crate) node_class: Vec<u32>,
    pub(crate) node_class_names: Vec<String>,
    /// Ready, eligible and not draining.
    pub(crate) schedulable: Vec<bool>,
    /// Down, disconnected or draining: the nodes that taint the allocations on them.
    taints: Vec<bool>,
    /// Node resources less what the node reserves for itself.
    pub(crate) capacity: Vec<NodeUsage>,
    /// Host ports each node reserves, sorted; `None` when its reserved port list does not parse.
    pub(crate) reserved_ports: Vec<Option<Box<[u16]>>>,
    /// Attribute (`attr.<key>`) and meta (`meta.<key>`) keys, and shared values.
    keys: Interner,
    values: Interner,
    /// Own values, concatenated, and their spans.
    own_text: String,
    own_spans: Vec<(u32, u32)>,
    /// Per node, `props[ranges[i].0..ranges[i].1]` holds its `(key, packed value)` sorted by key.
    props: Vec<(u32, u32)>,
    ranges: Vec<(u32, u32)>,
    /// Per node, the shared datacenter, node class and pool ids, and the own ID and name spans.
    shared_fields: Vec<[u32; 3]>,
    own_fields: Vec<[u32; 2]>,
}

impl NodeTable {
    /// Indexes the nodes (pass every node of the snapshot: readiness, datacenters and pools are
    /// filtered per job, and nodes hosting a job's allocations matter for spread and
    /// `distinct_property` even when they take no new work). A node's stored computed class is
    /// used when set, computed otherwise.
    pub fn new(nodes: &[Arc<Node>]) -> Self {
        let mut table = Self {
            nodes: nodes.to_vec(),
            positions: FoldHashMap::with_capacity_and_hasher(nodes.len(), Default::default()),
            by_address: FoldHashMap::with_capacity_and_hasher(nodes.len(), Default::default()),
            by_uuid: FoldHashMap::with_capacity_and_hasher(nodes.len(), Default::default()),
            class: Vec::with_capacity(nodes.len()),
            class_names: Vec::new(),
            node_class: Vec::with_capacity(nodes.len()),
            node_class_names: Vec::new(),
            schedulable: Vec::with_capacity(nodes.len()),
            taints: Vec::with_capacity(nodes.len()),
            capacity: Vec::with_capacity(nodes.len()),
            reserved_ports: Vec::with_capacity(nodes.len()),
            keys: Interner::default(),
            values: Interner::default(),
            own_text: String::new(),
            own_spans: Vec::new(),
            props: Vec::new(),
            ranges: Vec::with_capacity(nodes.len()),
            shared_fields: Vec::with_capacity(nodes.len()),
            own_fields: Vec::with_capacity(nodes.len()),
        };
        let mut classes = Interner::default();
        let mut node_classes = Interner::default();
        for (i, node) in nodes.iter().enumerate() {
            table.positions.insert(node.id.to_string(), i as u32);
            table.by_address.insert(address(&node.id), i as u32);
            if let Some(bits) = parse_uuid(&node.id) {
                table.by_uuid.insert(bits, i as u32);
            }
            let class = if node.computed_class.is_empty() {
                classes.intern(&computed_class(node))
            } else {
                classes.intern(&node.computed_class)
            };
            table.class.push(class);
            table.node_class.push(if node.node_class.is_empty() {
                NO_NODE_CLASS
            } else {
                node_classes.intern(&node.node_class)
            });
            table.schedulable.push(node.is_schedulable());
            table.taints.push(crate::reconcile::taints(node));
            table.capacity.push(node_capacity(node));
            let spec = node
                .reserved_resources
                .as_ref()
                .map_or("", |r| r.networks.reserved_host_ports.as_str());
            table
                .reserved_ports
                .push(parse_port_ranges(spec).map(|mut ports| {
                    ports.sort_unstable();
                    ports.dedup();
                    ports.into()
                }));
            table.index_props(node);
        }
        table.class_names = classes.names.into_iter().map(String::from).collect();
        table.node_class_names = node_classes.names.into_iter().map(String::from).collect();
        table
    }

    fn index_props(&mut self, node: &Node) {
        let start = self.props.len() as u32;
        let mut key = String::new();
        for (prefix, map) in [("attr.", &node.attributes), ("meta.", &node.meta)] {
            for (k, v) in map {
                key.clear();
                key.push_str(prefix);
                key.push_str(k);
                let value = if k.starts_with(UNIQUE_PREFIX) {
                    self.own(v)
                } else {
                    NodeValue::Shared(self.values.intern(v))
                };
                self.props.push((self.keys.intern(&key), pack(value)));
            }
        }
        self.props[start as usize..].sort_unstable();
        self.ranges.push((start, self.props.len() as u32));
        let shared = [&node.datacenter, &node.node_class, &node.node_pool];
        self.shared_fields
            .push(shared.map(|f| self.values.intern(f)));
        let own = [&node.id, &node.name].map(|f| self.own_span(f));
        self.own_fields.push(own);
    }

    fn own(&mut self, value: &str) -> NodeValue {
        NodeValue::Own(self.own_span(value))
    }

    fn own_span(&mut self, value: &str) -> u32 {
        let start = self.own_text.len() as u32;
        self.own_text.push_str(value);
        self.own_spans.push((start, self.own_text.len() as u32));
        self.own_spans.len() as u32 - 1
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn nodes(&self) -> &[Arc<Node>] {
        &self.nodes
    }

    pub fn position(&self, node_id: &str) -> Option<usize> {
        self.node_position(node_id).map(|i| i as usize)
    }

    pub(crate) fn node_position(&self, node_id: &str) -> Option<u32> {
        match self.by_address.get(&address(node_id)) {
            Some(&i) => Some(i),
            None => self.positions.get(node_id).copied(),
        }
    }

    /// The position of a node the store's usage table names.
    pub(crate) fn usage_key_position(&self, key: &NodeKey<'_>) -> Option<usize> {
        match key.uuid() {
            Some(bits) => self.by_uuid.get(&bits).map(|&i| i as usize),
            None => key.with_str(|id| self.position(id)),
        }
    }

    /// Whether the node at a position is down, disconnected or draining.
    pub(crate) fn taints(&self, node: usize) -> bool {
        self.taints[node]
    }

    /// A node's ID, from the table's own copy: the IDs of all nodes lie next to each other,
    /// so reading one costs no visit to the node's record and its string.
    pub(crate) fn id(&self, node: usize) -> &str {
        self.text(NodeValue::Own(self.own_fields[node][0]))
    }

    /// The id of `attr.<key>` or `meta.<key>`, if any node has it.
    pub(crate) fn key(&self, key: &str) -> Option<u32> {
        self.keys.get(key)
    }

    /// A property's value on a node.
    pub(crate) fn prop(&self, node: u32, key: u32) -> Option<NodeValue> {
        let (start, end) = self.ranges[node as usize];
        let props = &self.props[start as usize..end as usize];
        props
            .binary_search_by_key(&key, |&(k, _)| k)
            .ok()
            .map(|at| unpack(props[at].1))
    }

    pub(crate) fn field(&self, node: u32, field: Field) -> NodeValue {
        let [dc, class, pool] = self.shared_fields[node as usize];
        let [id, name] = self.own_fields[node as usize];
        match field {
            Field::Datacenter => NodeValue::Shared(dc),
            Field::NodeClass => NodeValue::Shared(class),
            Field::NodePool => NodeValue::Shared(pool),
            Field::Id => NodeValue::Own(id),
            Field::Name => NodeValue::Own(name),
        }
    }

    /// The datacenter and node pool value ids of a node.
    pub(crate) fn datacenter_and_pool(&self, node: u32) -> (u32, u32) {
        let [dc, _, pool] = self.shared_fields[node as usize];
        (dc, pool)
    }

    pub(crate) fn text(&self, value: NodeValue) -> &str {
        match value {
            NodeValue::Shared(id) => self.values.name(id),
            NodeValue::Own(span) => {
                let (start, end) = self.own_spans[span as usize];
                &self.own_text[start as usize..end as usize]
            }
        }
    }

    pub(crate) fn value(&self, id: u32) -> &str {
        self.values.name(id)
    }

    pub(crate) fn value_count(&self) -> usize {
        self.values.len()
    }
}

/// Where a string's text starts, and its length.
fn address(text: &str) -> (usize, usize) {
    (text.as_ptr() as usize, text.len())
}

/// What a node offers for allocations: its resources less its own reservation.
pub fn node_capacity(node: &Node) -> NodeUsage {
    let mut cap = node
        .node_resources
        .as_ref()
        .map(|r| NodeUsage {
            cpu: r.cpu.cpu_shares,
            memory_mb: r.memory.memory_mb,
            disk_mb: r.disk.disk_mb,
        })
        .unwrap_or_default();
    if let Some(reserved) = &node.reserved_resources {
        cap.sub(NodeUsage {
            cpu: reserved.cpu.cpu_shares,
            memory_mb: reserved.memory.memory_mb,
            disk_mb: reserved.disk.disk_mb,
        });
    }
    cap
}

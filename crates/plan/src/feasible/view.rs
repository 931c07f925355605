//! `ClusterView`: the allocations one evaluation sees on the nodes of a [`NodeTable`], and what
//! they use.
//!
//! An evaluation's view starts from the store's node usage (what every non-terminal allocation
//! holds, kept per node at commit) and counts its own job's allocations one by one: those are
//! the ones anti-affinity, `distinct_hosts`, `distinct_property` and spread count, and the ones
//! its plan stops or updates. A node's usage is read from the store when the view first needs
//! it, so building a view costs the job's allocations, not the cluster's. The scheduler keeps
//! the view current as its plan grows ([`ClusterView::add_alloc`] for placements and in-place
//! updates, [`ClusterView::remove_alloc`] for stops), so no node is overcommitted within one
//! plan. Each node lists its counted allocations with their job and group ids, so the job rules
//! never look at an allocation's strings.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::sync::Arc;

use drover_model::{AllocatedResources, Allocation, Node, SmolStr};
use drover_state::usage::{AllocUsage, NodeUsage};
use drover_state::{Snapshot, parse_uuid};

use super::hash::{FoldHashMap, FoldHashSet};
use super::net::NodeNet;
use super::table::NodeTable;

/// An allocation counted on a node.
#[derive(Debug, Clone)]
struct Slot {
    node: u32,
    job: u32,
    /// Where the allocation is in its job's list, so that removing it takes no search.
    job_position: u32,
    /// Not server-terminal: counts for `distinct_property` and spread.
    live: bool,
    usage: AllocUsage,
}

/// A node's reference to one of its allocations, with the ids the hot paths compare.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NodeAlloc {
    slot: u32,
    pub(crate) job: u32,
    pub(crate) group: u32,
}

/// One of a job's allocations, for property counts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct JobAlloc {
    slot: u32,
    pub(crate) node: u32,
    pub(crate) group: u32,
    pub(crate) live: bool,
}

/// An allocation ID as the view keys it: a canonical UUID (what servers generate) as its 128
/// bits, so counting one of a job's allocations neither copies its ID nor takes a count on the
/// ID's shared text (a cold cache line, touched again to drop it); any other ID as its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum AllocKey {
    Uuid([u64; 2]),
    Text(SmolStr),
}

impl AllocKey {
    fn new(id: &str) -> Self {
        parse_uuid(id).map_or_else(|| AllocKey::Text(id.into()), AllocKey::Uuid)
    }

    /// The key of an allocation's own ID: a text key shares it.
    fn of(id: &SmolStr) -> Self {
        parse_uuid(id).map_or_else(|| AllocKey::Text(id.clone()), AllocKey::Uuid)
    }
}

/// The store's node usage a view starts from.
#[derive(Debug, Clone)]
struct StoreUsage {
    snapshot: Snapshot,
    used: StoreUsed,
    /// The job's allocations that hold ports, bandwidth or cores: the store counts them, and
    /// so does the view, in its own slots.
    own_network: FoldHashSet<SmolStr>,
}

/// The network usage of a node where no allocation holds ports, bandwidth or cores.
static NO_NETWORK: NodeNet = NodeNet::EMPTY;

/// A node's usage in the store, as a scheduler keeps it across evaluations.
#[derive(Debug, Clone, Copy, Default)]
pub struct KeptUsage {
    pub total: NodeUsage,
    /// Whether any of its allocations holds ports, bandwidth or cores: only then does the
    /// node's network check read the store.
    pub holds_network: bool,
}

/// What the store counts on each node.
#[derive(Debug, Clone)]
enum StoreUsed {
    /// Read from the snapshot when first needed.
    Lazy(Vec<OnceCell<NodeUsage>>),
    /// Every node's, by position, as of the view's snapshot: kept across evaluations by
    /// the scheduler's node table cache.
    Kept(Arc<[KeptUsage]>),
}

/// What a view keeps of one node, side by side: ranking a node reads its usage, its network
/// and its allocations, and finds all three in one place.
#[derive(Debug, Clone, Default)]
struct NodeState {
    /// What the view's own counting changed on the node, on top of the store's usage.
    counted: NodeUsage,
    /// The node's ports, bandwidth and cores, built when first needed (boxed: a view has a
    /// cell for each of up to 10,000 nodes and ranks a few hundred of them).
    net: OnceCell<Box<NodeNet>>,
    allocs: Vec<NodeAlloc>,
}

impl NodeState {
    /// Empties the state for another view, keeping its list's room. Every field is named, so
    /// a field added later cannot be forgotten here.
    fn clear(&mut self) {
        let NodeState {
            counted,
            net,
            allocs,
        } = self;
        *counted = NodeUsage::default();
        *net = OnceCell::new();
        allocs.clear();
    }
}

/// The per-node states of a view that is done, cleared, for the next view of the same node
/// table: a view has one for each node of the cluster (half a megabyte at 10,000 nodes), and
/// fresh memory for them at every evaluation is memory the kernel zeroes page by page. The
/// nodes' lists keep their room, too.
#[derive(Debug, Default)]
pub struct SpareStates(Vec<NodeState>);

/// See the module documentation.
#[derive(Debug, Clone)]
pub struct ClusterView {
    pub(crate) table: Arc<NodeTable>,
    store: Option<StoreUsage>,
    /// What the view keeps of each node, by position.
    per_node: Vec<NodeState>,
    slots: Vec<Option<Slot>>,
    free_slots: Vec<u32>,
    alloc_slot: FoldHashMap<AllocKey, u32>,
    /// Jobs by namespace and ID, and each job's task groups, as dense ids.
    jobs: HashMap<String, HashMap<String, u32>>,
    job_groups: Vec<Vec<(Box<str>, u32)>>,
    /// Each job's namespace and ID, and the job counted last: its allocations tend to come
    /// together, and comparing two short strings costs less than hashing them.
    job_names: Vec<(Box<str>, Box<str>)>,
    last_job: u32,
    group_count: u32,
    pub(crate) job_allocs: Vec<Vec<JobAlloc>>,
    /// The usage of the resources counted last: a group's placements share one record.
    last_usage: Option<(Arc<AllocatedResources>, AllocUsage)>,
}

impl ClusterView {
    /// Indexes `nodes` into a new [`NodeTable`] and counts `allocs` on them. To reuse a table
    /// across evaluations, use [`ClusterView::with_table`].
    pub fn new<'a>(nodes: &[Arc<Node>], allocs: impl IntoIterator<Item = &'a Allocation>) -> Self {
        Self::with_table(Arc::new(NodeTable::new(nodes)), allocs)
    }

    /// Counts `allocs` on the nodes of `table`, and nothing else. Allocations on unknown nodes
    /// and client-terminal allocations are skipped.
    pub fn with_table<'a>(
        table: Arc<NodeTable>,
        allocs: impl IntoIterator<Item = &'a Allocation>,
    ) -> Self {
        let mut view = Self::empty(table);
        for alloc in allocs {
            view.add_alloc(alloc);
        }
        view
    }

    /// Lets go of the snapshot the view reads the store's node usage from, before a plan made
    /// on it is submitted: the store writes in place only where no snapshot shares its
    /// tables. The view's node usage is not read after that.
    pub fn release_snapshot(&mut self) {
        if let Some(store) = &mut self.store {
            store.snapshot = Snapshot::default();
        }
    }

    /// The view's per-node states, cleared, for the next view of its node table.
    pub fn into_spare(self) -> SpareStates {
        let mut states = self.per_node;
        states.iter_mut().for_each(NodeState::clear);
        SpareStates(states)
    }

    /// The view of an evaluation on `snapshot`: the store's node usage, with the job's
    /// allocations (`own`: all of them, or at least all that are not terminal) counted one by
    /// one. `uuids` holds each one's ID as the store keys it (a UUID's bits, or `None`), so
    /// that the view reads no ID's text. `nodes`, when given, holds the position in `table` of
    /// each of `own`'s nodes, as the caller found them already. `kept`, when given, is every
    /// node's store usage as of `snapshot` (by position in `table`); otherwise a node's is read
    /// from the snapshot when first needed. `spare`, when given, are the states of an earlier
    /// view of `table`.
    pub fn for_job(
        table: Arc<NodeTable>,
        snapshot: &Snapshot,
        own: &[Arc<Allocation>],
        uuids: &[Option<[u64; 2]>],
        nodes: Option<&[Option<u32>]>,
        kept: Option<Arc<[KeptUsage]>>,
        spare: Option<SpareStates>,
    ) -> Self {
        let per_node = match spare {
            Some(SpareStates(states)) if states.len() == table.len() => states,
            _ => vec![NodeState::default(); table.len()],
        };
        let mut view = Self::with_states(table, per_node);
        if !snapshot.has_node_usage() {
            return view;
        }
        let used = match kept {
            Some(kept) => StoreUsed::Kept(kept),
            None => StoreUsed::Lazy(vec![OnceCell::new(); view.len()]),
        };
        view.slots.reserve(own.len());
        view.alloc_slot.reserve(own.len());
        let mut own_network = FoldHashSet::default();
        debug_assert!(nodes.is_none_or(|n| n.len() == own.len()));
        debug_assert_eq!(uuids.len(), own.len());
        for (i, alloc) in own.iter().enumerate().filter(|(_, a)| !a.terminal()) {
            let node = match nodes {
                Some(nodes) => nodes[i],
                None => view.table.node_position(&alloc.node_id),
            };
            let key = match uuids[i] {
                Some(uuid) => AllocKey::Uuid(uuid),
                None => AllocKey::Text(alloc.id.clone()),
            };
            // Listed, not added: the store's usage holds it already (removing it subtracts it).
            let slot = view.count_alloc(alloc, node, key);
            if let Some(Some(slot)) = slot.map(|i| &view.slots[i as usize])
                && slot.usage.holds_network()
            {
                own_network.insert(alloc.id.clone());
            }
        }
        view.store = Some(StoreUsage {
            snapshot: snapshot.clone(),
            used,
            own_network,
        });
        view
    }

    fn empty(table: Arc<NodeTable>) -> Self {
        let per_node = vec![NodeState::default(); table.len()];
        Self::with_states(table, per_node)
    }

    fn with_states(table: Arc<NodeTable>, per_node: Vec<NodeState>) -> Self {
        Self {
            table,
            store: None,
            per_node,
            slots: Vec::new(),
            free_slots: Vec::new(),
            alloc_slot: FoldHashMap::default(),
            jobs: HashMap::new(),
            job_groups: Vec::new(),
            job_names: Vec::new(),
            last_job: 0,
            group_count: 0,
            job_allocs: Vec::new(),
            last_usage: None,
        }
    }

    pub fn table(&self) -> &Arc<NodeTable> {
        &self.table
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    pub fn nodes(&self) -> &[Arc<Node>] {
        self.table.nodes()
    }

    /// The node at a position (as returned in a `RankedNode`).
    pub fn node(&self, node: usize) -> &Arc<Node> {
        &self.table.nodes()[node]
    }

    pub fn node_position(&self, node_id: &str) -> Option<usize> {
        self.table.position(node_id)
    }

    /// What the node offers for allocations: its resources less its own reservation.
    pub fn capacity(&self, node: usize) -> NodeUsage {
        self.table.capacity[node]
    }

    /// What the counted allocations use on the node.
    pub fn used(&self, node: usize) -> NodeUsage {
        let mut used = self.per_node[node].counted;
        if let Some(store) = &self.store {
            used.add(match &store.used {
                StoreUsed::Kept(kept) => kept[node].total,
                StoreUsed::Lazy(cells) => *cells[node].get_or_init(|| {
                    store
                        .snapshot
                        .node_usage(self.table.id(node))
                        .map_or_else(NodeUsage::default, |u| u.total)
                }),
            });
        }
        used
    }

    /// The ports, bandwidth and cores the counted allocations hold on the node.
    pub(crate) fn net(&self, node: usize) -> &NodeNet {
        let cell = &self.per_node[node].net;
        if let Some(net) = cell.get() {
            return net;
        }
        if !self.may_hold_network(node) {
            return &NO_NETWORK;
        }
        cell.get_or_init(|| Box::new(self.count_net(node)))
    }

    /// Whether any allocation counted on the node may hold ports, bandwidth or cores: false
    /// only when the kept store usage and the view's own allocations there say none does
    /// (most nodes of most clusters), and [`ClusterView::count_net`] would find nothing.
    fn may_hold_network(&self, node: usize) -> bool {
        self.store_network(node).is_some()
            || self.per_node[node].allocs.iter().any(|a| {
                self.slots[a.slot as usize]
                    .as_ref()
                    .is_some_and(|s| s.usage.holds_network())
            })
    }

    /// The store's usage, unless the kept usage says no allocation on the node holds ports,
    /// bandwidth or cores.
    fn store_network(&self, node: usize) -> Option<&StoreUsage> {
        self.store.as_ref().filter(|store| match &store.used {
            StoreUsed::Kept(kept) => kept[node].holds_network,
            StoreUsed::Lazy(_) => true,
        })
    }

    /// What [`ClusterView::net`] holds for a node: the store's allocations on it that hold
    /// ports, bandwidth or cores (other than the job's own), and the view's own.
    fn count_net(&self, node: usize) -> NodeNet {
        let reserved = self.table.reserved_ports[node].as_deref();
        let mut net = NodeNet::default();
        if let Some(store) = self.store_network(node)
            && let Some(usage) = store.snapshot.node_usage(self.table.id(node))
        {
            // The node's total comes with it: `used` needs no lookup of its own.
            if let StoreUsed::Lazy(cells) = &store.used {
                let _ = cells[node].set(usage.total);
            }
            let others = usage
                .network()
                .filter(|(id, _)| !store.own_network.contains(*id));
            for (_, usage) in others {
                net.add(reserved, usage);
            }
        }
        let slots = self.per_node[node]
            .allocs
            .iter()
            .filter_map(|a| self.slots[a.slot as usize].as_ref());
        for slot in slots.filter(|s| s.usage.holds_network()) {
            net.add(reserved, &slot.usage);
        }
        net
    }

    /// The allocations counted on a node.
    pub(crate) fn node_allocs(&self, node: usize) -> &[NodeAlloc] {
        &self.per_node[node].allocs
    }

    pub fn contains_alloc(&self, alloc_id: &str) -> bool {
        self.alloc_slot.contains_key(&AllocKey::new(alloc_id))
    }

    /// Counts an allocation on its node: an existing one, a placement of the plan, or the new
    /// version of an in-place update (which replaces the allocation with the same ID). Returns
    /// false (and counts nothing) when the node is unknown or the client has stopped it.
    pub fn add_alloc(&mut self, alloc: &Allocation) -> bool {
        let key = AllocKey::of(&alloc.id);
        self.remove_key(&key);
        let node = self.table.node_position(&alloc.node_id);
        let Some(Some(slot)) = self
            .count_alloc(alloc, node, key)
            .map(|i| &self.slots[i as usize])
        else {
            return false;
        };
        let n = slot.node as usize;
        let state = &mut self.per_node[n];
        state.counted.add(slot.usage.resources);
        if slot.usage.holds_network()
            && let Some(net) = state.net.get_mut()
        {
            net.add(self.table.reserved_ports[n].as_deref(), &slot.usage);
        }
        true
    }

    /// Lists an allocation on its node (at `node` in the table) and in its job (not its
    /// usage); the slot it takes.
    fn count_alloc(&mut self, alloc: &Allocation, node: Option<u32>, key: AllocKey) -> Option<u32> {
        let node = node?;
        if alloc.client_terminal() {
            return None;
        }
        let job = self.intern_job(&alloc.namespace, &alloc.job_id);
        let group = self.intern_group(job, &alloc.task_group);
        let usage = self.usage_of(alloc);
        let job_allocs = &mut self.job_allocs[job as usize];
        let slot = Slot {
            node,
            job,
            job_position: job_allocs.len() as u32,
            live: !alloc.server_terminal(),
            usage,
        };
        let index = match self.free_slots.pop() {
            Some(index) => index,
            None => {
                self.slots.push(None);
                self.slots.len() as u32 - 1
            }
        };
        job_allocs.push(JobAlloc {
            slot: index,
            node,
            group,
            live: slot.live,
        });
        self.alloc_slot.insert(key, index);
        self.per_node[node as usize].allocs.push(NodeAlloc {
            slot: index,
            job,
            group,
        });
        self.slots[index as usize] = Some(slot);
        Some(index)
    }

    fn usage_of(&mut self, alloc: &Allocation) -> AllocUsage {
        let Some(resources) = &alloc.allocated_resources else {
            return AllocUsage::default();
        };
        if let Some((last, usage)) = &self.last_usage
            && Arc::ptr_eq(last, resources)
        {
            return usage.clone();
        }
        let usage = AllocUsage::of(alloc);
        self.last_usage = Some((Arc::clone(resources), usage.clone()));
        usage
    }

    /// Stops counting an allocation (a stop or eviction in the plan, or the old version of an
    /// in-place update). Returns whether it was counted.
    pub fn remove_alloc(&mut self, alloc_id: &str) -> bool {
        self.remove_key(&AllocKey::new(alloc_id))
    }

    fn remove_key(&mut self, key: &AllocKey) -> bool {
        let Some(index) = self.alloc_slot.remove(key) else {
            return false;
        };
        let Some(slot) = self.slots[index as usize].take() else {
            return false;
        };
        self.free_slots.push(index);
        let n = slot.node as usize;
        let state = &mut self.per_node[n];
        state.counted.sub(slot.usage.resources);
        if let Some(at) = state.allocs.iter().position(|a| a.slot == index) {
            state.allocs.remove(at);
        }
        if slot.usage.holds_network() {
            // Rebuilt when next needed.
            state.net = OnceCell::new();
        }
        // The job's last allocation takes the removed one's place.
        let job_allocs = &mut self.job_allocs[slot.job as usize];
        let at = slot.job_position as usize;
        job_allocs.swap_remove(at);
        if let Some(moved) = job_allocs.get(at)
            && let Some(moved) = self.slots[moved.slot as usize].as_mut()
        {
            moved.job_position = slot.job_position;
        }
        true
    }

    /// The dense id of a job, if any of its allocations were ever counted.
    pub(crate) fn job_key(&self, namespace: &str, job_id: &str) -> Option<u32> {
        if let Some((ns, id)) = self.job_names.get(self.last_job as usize)
            && **id == *job_id
            && **ns == *namespace
        {
            return Some(self.last_job);
        }
        self.jobs.get(namespace)?.get(job_id).copied()
    }

    pub(crate) fn group_key(&self, job: u32, group: &str) -> Option<u32> {
        self.job_groups[job as usize]
            .iter()
            .find(|(name, _)| &**name == group)
            .map(|&(_, key)| key)
    }

    fn intern_job(&mut self, namespace: &str, job_id: &str) -> u32 {
        let key = match self.job_key(namespace, job_id) {
            Some(key) => key,
            None => {
                let key = self.job_groups.len() as u32;
                self.jobs
                    .entry(namespace.to_owned())
                    .or_default()
                    .insert(job_id.to_owned(), key);
                self.job_names.push((namespace.into(), job_id.into()));
                self.job_groups.push(Vec::new());
                self.job_allocs.push(Vec::new());
                key
            }
        };
        self.last_job = key;
        key
    }

    fn intern_group(&mut self, job: u32, group: &str) -> u32 {
        if let Some(key) = self.group_key(job, group) {
            return key;
        }
        let key = self.group_count;
        self.group_count += 1;
        self.job_groups[job as usize].push((group.into(), key));
        key
    }
}

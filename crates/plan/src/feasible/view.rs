//! `ClusterView`: the allocations one evaluation sees on the nodes of a [`NodeTable`], and what
//! they use.
//!
//! Built once per evaluation, then kept current by the scheduler as its plan grows
//! ([`ClusterView::add_alloc`] for placements and in-place updates, [`ClusterView::remove_alloc`]
//! for stops), so no node is overcommitted within one plan. Usage lives in flat per-node arrays;
//! each node lists its allocations with their job and group ids, so anti-affinity and
//! `distinct_hosts` never look at an allocation's strings.

use std::collections::HashMap;
use std::sync::Arc;

use drover_model::{AllocatedResources, Allocation, Node};

use super::hash::FoldHashMap;
use super::net::{NodeNet, PortUse};
use super::table::{NodeTable, NodeUsage};

/// An allocation counted on a node.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    node: u32,
    job: u32,
    /// Where the allocation is in its job's list, so that removing it takes no search.
    job_position: u32,
    /// Not server-terminal: counts for `distinct_property` and spread.
    live: bool,
    usage: NodeUsage,
    pub(crate) cores: Box<[u16]>,
    pub(crate) ports: Box<[PortUse]>,
    pub(crate) bandwidth: Box<[(Box<str>, i64)]>,
}

impl Slot {
    /// Whether the allocation holds ports, bandwidth or cores: only then does it change its
    /// node's [`NodeNet`].
    fn holds_network(&self) -> bool {
        !self.ports.is_empty() || !self.bandwidth.is_empty() || !self.cores.is_empty()
    }
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

/// See the module documentation.
#[derive(Debug, Clone)]
pub struct ClusterView {
    pub(crate) table: Arc<NodeTable>,
    pub(crate) used: Vec<NodeUsage>,
    pub(crate) net: Vec<NodeNet>,
    pub(crate) node_allocs: Vec<Vec<NodeAlloc>>,
    slots: Vec<Option<Slot>>,
    free_slots: Vec<u32>,
    alloc_slot: FoldHashMap<Box<str>, u32>,
    /// Jobs by namespace and ID, and each job's task groups, as dense ids.
    jobs: HashMap<String, HashMap<String, u32>>,
    job_groups: Vec<Vec<(Box<str>, u32)>>,
    /// Each job's namespace and ID, and the job counted last: its allocations tend to come
    /// together, and comparing two short strings costs less than hashing them.
    job_names: Vec<(Box<str>, Box<str>)>,
    last_job: u32,
    group_count: u32,
    pub(crate) job_allocs: Vec<Vec<JobAlloc>>,
}

impl ClusterView {
    /// Indexes `nodes` into a new [`NodeTable`] and counts `allocs` on them. To reuse a table
    /// across evaluations, use [`ClusterView::with_table`].
    pub fn new<'a>(nodes: &[Arc<Node>], allocs: impl IntoIterator<Item = &'a Allocation>) -> Self {
        Self::with_table(Arc::new(NodeTable::new(nodes)), allocs)
    }

    /// Counts `allocs` on the nodes of `table`. Allocations on unknown nodes and client-terminal
    /// allocations are skipped.
    pub fn with_table<'a>(
        table: Arc<NodeTable>,
        allocs: impl IntoIterator<Item = &'a Allocation>,
    ) -> Self {
        let n = table.len();
        let mut view = Self {
            table,
            used: vec![NodeUsage::default(); n],
            net: vec![NodeNet::default(); n],
            node_allocs: vec![Vec::new(); n],
            slots: Vec::new(),
            free_slots: Vec::new(),
            alloc_slot: FoldHashMap::default(),
            jobs: HashMap::new(),
            job_groups: Vec::new(),
            job_names: Vec::new(),
            last_job: 0,
            group_count: 0,
            job_allocs: Vec::new(),
        };
        for alloc in allocs {
            view.add_alloc(alloc);
        }
        view
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
        self.used[node]
    }

    pub fn contains_alloc(&self, alloc_id: &str) -> bool {
        self.alloc_slot.contains_key(alloc_id)
    }

    /// Counts an allocation on its node: an existing one, a placement of the plan, or the new
    /// version of an in-place update (which replaces the allocation with the same ID). Returns
    /// false (and counts nothing) when the node is unknown or the client has stopped it.
    pub fn add_alloc(&mut self, alloc: &Allocation) -> bool {
        self.remove_alloc(&alloc.id);
        let Some(node) = self.table.node_position(&alloc.node_id) else {
            return false;
        };
        if alloc.client_terminal() {
            return false;
        }
        let job = self.intern_job(&alloc.namespace, &alloc.job_id);
        let group = self.intern_group(job, &alloc.task_group);
        let resources = alloc.allocated_resources.as_ref();
        let (usage, cores) = resources.map(comparable).unwrap_or_default();
        let (ports, bandwidth) = resources.map(PortUse::of_alloc).unwrap_or_default();
        let job_allocs = &mut self.job_allocs[job as usize];
        let slot = Slot {
            node,
            job,
            job_position: job_allocs.len() as u32,
            live: !alloc.server_terminal(),
            usage,
            cores: cores.into(),
            ports: ports.into(),
            bandwidth: bandwidth.into(),
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
        let n = node as usize;
        self.used[n].add(usage);
        if slot.holds_network() {
            self.net[n].add_slot(self.table.reserved_ports[n].as_deref(), &slot);
        }
        self.alloc_slot.insert(alloc.id.as_str().into(), index);
        self.node_allocs[n].push(NodeAlloc {
            slot: index,
            job,
            group,
        });
        self.slots[index as usize] = Some(slot);
        true
    }

    /// Stops counting an allocation (a stop or eviction in the plan, or the old version of an
    /// in-place update). Returns whether it was counted.
    pub fn remove_alloc(&mut self, alloc_id: &str) -> bool {
        let Some(index) = self.alloc_slot.remove(alloc_id) else {
            return false;
        };
        let Some(slot) = self.slots[index as usize].take() else {
            return false;
        };
        self.free_slots.push(index);
        let n = slot.node as usize;
        self.used[n].sub(slot.usage);
        let on_node = &mut self.node_allocs[n];
        if let Some(at) = on_node.iter().position(|a| a.slot == index) {
            on_node.remove(at);
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
        if slot.holds_network() {
            let reserved = self.table.reserved_ports[n].as_deref();
            let mut net = NodeNet::default();
            for a in &self.node_allocs[n] {
                if let Some(other) = &self.slots[a.slot as usize] {
                    net.add_slot(reserved, other);
                }
            }
            self.net[n] = net;
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

/// When a task runs relative to the main tasks, for summing resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Main,
    Prestart,
    PrestartSidecar,
    Poststop,
}

impl Phase {
    pub(crate) fn of(lifecycle: Option<&drover_model::TaskLifecycle>) -> Self {
        match lifecycle.map(|l| (l.hook.as_str(), l.sidecar)) {
            Some(("prestart", true)) => Self::PrestartSidecar,
            Some(("prestart", false)) => Self::Prestart,
            Some(("poststop", _)) => Self::Poststop,
            _ => Self::Main,
        }
    }
}

/// Sums the CPU and memory of tasks the way Nomad compares allocations: tasks that never run at
/// the same time (prestart, main, poststop) take the largest of their phases; reserved-core tasks
/// always count their CPU in full.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PhaseSum {
    pinned_cpu: i64,
    main: (i64, i64),
    prestart: (i64, i64),
    poststop: (i64, i64),
}

impl PhaseSum {
    pub(crate) fn add(&mut self, phase: Phase, cpu: i64, memory_mb: i64, pinned: bool) {
        let fungible_cpu = if pinned {
            self.pinned_cpu += cpu;
            0
        } else {
            cpu
        };
        let add = |sum: &mut (i64, i64)| {
            sum.0 += fungible_cpu;
            sum.1 += memory_mb;
        };
        match phase {
            Phase::Main => add(&mut self.main),
            Phase::Prestart => add(&mut self.prestart),
            Phase::PrestartSidecar => {
                add(&mut self.prestart);
                add(&mut self.main);
            }
            Phase::Poststop => add(&mut self.poststop),
        }
    }

    /// CPU and memory.
    pub(crate) fn total(&self) -> (i64, i64) {
        let cpu = self.main.0.max(self.prestart.0).max(self.poststop.0);
        let memory = self.main.1.max(self.prestart.1).max(self.poststop.1);
        (self.pinned_cpu + cpu, memory)
    }
}

/// The resources an allocation holds on its node, and its reserved cores.
fn comparable(resources: &AllocatedResources) -> (NodeUsage, Vec<u16>) {
    let mut sum = PhaseSum::default();
    let mut cores = Vec::new();
    for (name, task) in &resources.tasks {
        let lifecycle = resources.task_lifecycles.get(name).and_then(Option::as_ref);
        let pinned = !task.cpu.reserved_cores.is_empty();
        cores.extend_from_slice(&task.cpu.reserved_cores);
        sum.add(
            Phase::of(lifecycle),
            task.cpu.cpu_shares,
            task.memory.memory_mb,
            pinned,
        );
    }
    cores.sort_unstable();
    cores.dedup();
    let (cpu, memory_mb) = sum.total();
    let usage = NodeUsage {
        cpu,
        memory_mb,
        disk_mb: resources.shared.disk_mb,
    };
    (usage, cores)
}

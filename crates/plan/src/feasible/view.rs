//! `ClusterView`: the cluster as one evaluation sees it, laid out for the placement loop.
//!
//! Built once per evaluation from the nodes and the allocations on them, then kept current by the
//! scheduler as its plan grows ([`ClusterView::add_alloc`] for placements and in-place updates,
//! [`ClusterView::remove_alloc`] for stops), so no node is overcommitted within one plan. Per-node
//! data lives in flat arrays indexed by node position; the strings a node carries are read only
//! when a check needs them and its class is not cached yet.

use std::collections::HashMap;
use std::sync::Arc;

use drover_model::{AllocatedResources, Allocation, Node};

use super::class::computed_class;
use super::net::{NodeNet, PortUse};

/// CPU (MHz), memory (MB) and disk (MB).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeUsage {
    pub cpu: i64,
    pub memory_mb: i64,
    pub disk_mb: i64,
}

impl NodeUsage {
    fn add(&mut self, other: NodeUsage) {
        self.cpu += other.cpu;
        self.memory_mb += other.memory_mb;
        self.disk_mb += other.disk_mb;
    }

    fn sub(&mut self, other: NodeUsage) {
        self.cpu -= other.cpu;
        self.memory_mb -= other.memory_mb;
        self.disk_mb -= other.disk_mb;
    }
}

/// An allocation counted on a node.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    id: Box<str>,
    pub(crate) node: u32,
    pub(crate) job: u32,
    pub(crate) group: u32,
    /// Not server-terminal: counts for `distinct_property` and spread.
    pub(crate) live: bool,
    usage: NodeUsage,
    pub(crate) cores: Box<[u16]>,
    pub(crate) ports: Box<[PortUse]>,
    pub(crate) bandwidth: Box<[(Box<str>, i64)]>,
}

/// The user-set node class of a node without one.
pub(crate) const NO_NODE_CLASS: u32 = u32::MAX;

/// See the module documentation.
#[derive(Debug, Clone)]
pub struct ClusterView {
    nodes: Vec<Arc<Node>>,
    node_index: HashMap<String, u32>,
    /// Computed class id per node, and the class strings.
    pub(crate) class: Vec<u32>,
    pub(crate) class_names: Vec<String>,
    /// User node class id per node ([`NO_NODE_CLASS`] when empty), and the names.
    pub(crate) node_class: Vec<u32>,
    pub(crate) node_class_names: Vec<String>,
    /// Node resources less what the node reserves for itself.
    pub(crate) capacity: Vec<NodeUsage>,
    pub(crate) used: Vec<NodeUsage>,
    pub(crate) net: Vec<NodeNet>,
    pub(crate) node_slots: Vec<Vec<u32>>,
    slots: Vec<Option<Slot>>,
    free_slots: Vec<u32>,
    alloc_slot: HashMap<Box<str>, u32>,
    /// Jobs by namespace and ID, and each job's task groups, as dense ids.
    jobs: HashMap<String, HashMap<String, u32>>,
    job_groups: Vec<Vec<(Box<str>, u32)>>,
    group_count: u32,
    pub(crate) job_slots: Vec<Vec<u32>>,
}

impl ClusterView {
    /// Indexes `nodes` (pass every node of the snapshot: readiness, datacenters and pools are
    /// filtered per job by the stack, and nodes that host the job's allocations matter for spread
    /// and `distinct_property` even when they cannot take new work) and the allocations on them.
    /// Allocations on unknown nodes and client-terminal allocations are skipped.
    pub fn new<'a>(nodes: &[Arc<Node>], allocs: impl IntoIterator<Item = &'a Allocation>) -> Self {
        let mut view = Self {
            nodes: nodes.to_vec(),
            node_index: HashMap::with_capacity(nodes.len()),
            class: Vec::with_capacity(nodes.len()),
            class_names: Vec::new(),
            node_class: Vec::with_capacity(nodes.len()),
            node_class_names: Vec::new(),
            capacity: Vec::with_capacity(nodes.len()),
            used: vec![NodeUsage::default(); nodes.len()],
            net: Vec::with_capacity(nodes.len()),
            node_slots: vec![Vec::new(); nodes.len()],
            slots: Vec::new(),
            free_slots: Vec::new(),
            alloc_slot: HashMap::new(),
            jobs: HashMap::new(),
            job_groups: Vec::new(),
            group_count: 0,
            job_slots: Vec::new(),
        };
        let mut classes: HashMap<String, u32> = HashMap::new();
        let mut node_classes: HashMap<&str, u32> = HashMap::new();
        for (i, node) in nodes.iter().enumerate() {
            view.node_index.insert(node.id.clone(), i as u32);
            let class = if node.computed_class.is_empty() {
                computed_class(node)
            } else {
                node.computed_class.clone()
            };
            let next = classes.len() as u32;
            let class_id = *classes.entry(class).or_insert_with_key(|name| {
                view.class_names.push(name.clone());
                next
            });
            view.class.push(class_id);
            let node_class = if node.node_class.is_empty() {
                NO_NODE_CLASS
            } else {
                let next = node_classes.len() as u32;
                *node_classes.entry(&node.node_class).or_insert_with(|| {
                    view.node_class_names.push(node.node_class.clone());
                    next
                })
            };
            view.node_class.push(node_class);
            view.capacity.push(capacity(node));
            view.net.push(NodeNet::new(node));
        }
        for alloc in allocs {
            view.add_alloc(alloc);
        }
        view
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

    /// The node at a position (as returned in a `RankedNode`).
    pub fn node(&self, node: usize) -> &Arc<Node> {
        &self.nodes[node]
    }

    pub fn node_position(&self, node_id: &str) -> Option<usize> {
        self.node_index.get(node_id).map(|&i| i as usize)
    }

    /// What the node offers for allocations: its resources less its own reservation.
    pub fn capacity(&self, node: usize) -> NodeUsage {
        self.capacity[node]
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
        let Some(&node) = self.node_index.get(&alloc.node_id) else {
            return false;
        };
        if alloc.client_terminal() {
            return false;
        }
        let job = self.intern_job(&alloc.namespace, &alloc.job_id);
        let group = self.intern_group(job, &alloc.task_group);
        let (usage, cores) = alloc
            .allocated_resources
            .as_ref()
            .map(comparable)
            .unwrap_or_default();
        let (ports, bandwidth) = alloc
            .allocated_resources
            .as_ref()
            .map(PortUse::of_alloc)
            .unwrap_or_default();
        let slot = Slot {
            id: alloc.id.as_str().into(),
            node,
            job,
            group,
            live: !alloc.server_terminal(),
            usage,
            cores: cores.into(),
            ports: ports.into(),
            bandwidth: bandwidth.into(),
        };
        self.used[node as usize].add(usage);
        self.net[node as usize].add_slot(&slot);
        let index = match self.free_slots.pop() {
            Some(index) => index,
            None => {
                self.slots.push(None);
                self.slots.len() as u32 - 1
            }
        };
        self.alloc_slot.insert(slot.id.clone(), index);
        self.node_slots[node as usize].push(index);
        self.job_slots[job as usize].push(index);
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
        let node = slot.node as usize;
        self.used[node].sub(slot.usage);
        self.node_slots[node].retain(|&s| s != index);
        self.job_slots[slot.job as usize].retain(|&s| s != index);
        let remaining = self.node_slots[node]
            .iter()
            .filter_map(|&s| self.slots[s as usize].as_ref());
        self.net[node] = NodeNet::rebuild(&self.nodes[node], remaining);
        true
    }

    pub(crate) fn slot(&self, index: u32) -> &Slot {
        self.slots[index as usize]
            .as_ref()
            .expect("slot lists only hold live slots")
    }

    /// The dense id of a job, if any of its allocations were ever counted.
    pub(crate) fn job_key(&self, namespace: &str, job_id: &str) -> Option<u32> {
        self.jobs.get(namespace)?.get(job_id).copied()
    }

    pub(crate) fn group_key(&self, job: u32, group: &str) -> Option<u32> {
        self.job_groups[job as usize]
            .iter()
            .find(|(name, _)| &**name == group)
            .map(|&(_, key)| key)
    }

    fn intern_job(&mut self, namespace: &str, job_id: &str) -> u32 {
        if let Some(key) = self.job_key(namespace, job_id) {
            return key;
        }
        let key = self.job_groups.len() as u32;
        self.jobs
            .entry(namespace.to_owned())
            .or_default()
            .insert(job_id.to_owned(), key);
        self.job_groups.push(Vec::new());
        self.job_slots.push(Vec::new());
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

fn capacity(node: &Node) -> NodeUsage {
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
/// always count in full.
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

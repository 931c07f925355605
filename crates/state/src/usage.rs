//! Node usage: for every node, what its non-terminal allocations hold (CPU, memory and disk as
//! the scheduler sums them, and the ports, bandwidth and cores of those that hold any).
//!
//! Derived data: kept in step with the allocations table by `Tables::put_alloc` and
//! `Tables::remove_alloc` (O(changed allocations) per commit, persistent so snapshots share
//! it), never encoded, rebuilt when a snapshot is restored. A scheduler starts its view of the
//! cluster from it instead of summing every allocation of the cluster per evaluation.

use std::sync::Arc;

use drover_model::{AllocatedResources, Allocation, NetworkResource, TaskLifecycle};
use imbl::OrdMap;
use imbl::ordmap::DiffItem;

use crate::keys::{Id, Name, QId};
use crate::snapshot::Snapshot;

/// CPU (MHz), memory (MB) and disk (MB).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeUsage {
    pub cpu: i64,
    pub memory_mb: i64,
    pub disk_mb: i64,
}

impl NodeUsage {
    pub fn add(&mut self, other: NodeUsage) {
        self.cpu += other.cpu;
        self.memory_mb += other.memory_mb;
        self.disk_mb += other.disk_mb;
    }

    pub fn sub(&mut self, other: NodeUsage) {
        self.cpu -= other.cpu;
        self.memory_mb -= other.memory_mb;
        self.disk_mb -= other.disk_mb;
    }
}

/// A host port an allocation holds on an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortUse {
    pub ip: Box<str>,
    pub port: i64,
    pub ignore_collision: bool,
}

/// What one allocation holds on its node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllocUsage {
    pub resources: NodeUsage,
    /// Reserved cores, sorted, without repeats.
    pub cores: Box<[u16]>,
    pub ports: Box<[PortUse]>,
    /// Megabits per network device.
    pub bandwidth: Box<[(Box<str>, i64)]>,
}

impl AllocUsage {
    /// What `alloc` holds; nothing when it has no allocated resources.
    pub fn of(alloc: &Allocation) -> Self {
        alloc
            .allocated_resources
            .as_deref()
            .map(Self::of_resources)
            .unwrap_or_default()
    }

    fn of_resources(resources: &AllocatedResources) -> Self {
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
        let (ports, bandwidth) = held_ports(resources);
        AllocUsage {
            resources: NodeUsage {
                cpu,
                memory_mb,
                disk_mb: resources.shared.disk_mb,
            },
            cores: cores.into(),
            ports: ports.into(),
            bandwidth: bandwidth.into(),
        }
    }

    /// Whether the allocation holds ports, bandwidth or cores: what a node's network check
    /// needs beyond the sums.
    pub fn holds_network(&self) -> bool {
        !self.ports.is_empty() || !self.bandwidth.is_empty() || !self.cores.is_empty()
    }
}

/// The ports and per-device bandwidth an allocation holds: its assigned port mappings when it
/// has them, otherwise (older allocations) the ports of its group networks; and the first
/// network of each task.
fn held_ports(resources: &AllocatedResources) -> (Vec<PortUse>, Vec<(Box<str>, i64)>) {
    let mut ports = Vec::new();
    let mut bandwidth = Vec::new();
    let network_ports = |n: &NetworkResource, ports: &mut Vec<PortUse>| {
        ports.extend(n.ports().map(|p| PortUse {
            ip: n.ip.as_str().into(),
            port: p.value,
            ignore_collision: false,
        }));
    };
    if resources.shared.ports.is_empty() {
        for network in &resources.shared.networks {
            network_ports(network, &mut ports);
            bandwidth.push((network.device.as_str().into(), network.mbits));
        }
    } else {
        ports.extend(resources.shared.ports.iter().map(|p| PortUse {
            ip: p.host_ip.as_str().into(),
            port: p.value,
            ignore_collision: p.ignore_collision,
        }));
    }
    for task in resources.tasks.values() {
        if let Some(network) = task.networks.first() {
            network_ports(network, &mut ports);
            bandwidth.push((network.device.as_str().into(), network.mbits));
        }
    }
    (ports, bandwidth)
}

/// When a task runs relative to the main tasks, for summing resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Main,
    Prestart,
    PrestartSidecar,
    Poststop,
}

impl Phase {
    pub fn of(lifecycle: Option<&TaskLifecycle>) -> Self {
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
pub struct PhaseSum {
    pinned_cpu: i64,
    main: (i64, i64),
    prestart: (i64, i64),
    poststop: (i64, i64),
}

impl PhaseSum {
    pub fn add(&mut self, phase: Phase, cpu: i64, memory_mb: i64, pinned: bool) {
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
    pub fn total(&self) -> (i64, i64) {
        let cpu = self.main.0.max(self.prestart.0).max(self.poststop.0);
        let memory = self.main.1.max(self.prestart.1).max(self.poststop.1);
        (self.pinned_cpu + cpu, memory)
    }
}

/// What the non-terminal allocations on one node hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeAllocs {
    /// How many allocations are counted.
    pub count: u32,
    /// Their summed CPU, memory and disk.
    pub total: NodeUsage,
    /// Those that hold ports, bandwidth or cores, by allocation ID: the row's string, which
    /// [`NodeAllocs::network`] lends out (few allocations hold any).
    network: OrdMap<Name, Arc<AllocUsage>>,
}

impl NodeAllocs {
    /// Whether any of the allocations holds ports, bandwidth or cores.
    pub fn holds_network(&self) -> bool {
        !self.network.is_empty()
    }

    /// The allocations that hold ports, bandwidth or cores, in ID order.
    pub fn network(&self) -> impl Iterator<Item = (&str, &AllocUsage)> {
        self.network
            .iter()
            .map(|(id, usage)| (id.as_str(), &**usage))
    }
}

/// Node usage by node ID (see the module documentation). Nodes without counted allocations
/// have no entry. The entries are held inline, not behind an `Arc`: a write copies the leaf
/// of 16 nodes it lands in, and that copy then reads no other node's record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct UsageTable(OrdMap<Id, NodeAllocs>);

impl UsageTable {
    /// Follows an allocation's change: `old` is the stored version it replaces, `new` the one
    /// stored (none when removed).
    pub(crate) fn replace(&mut self, old: Option<&Allocation>, new: Option<&Allocation>) {
        let (old, new) = (old.filter(|a| counts(a)), new.filter(|a| counts(a)));
        if let (Some(old), Some(new)) = (old, new)
            && holds_the_same(old, new)
        {
            return;
        }
        if let Some(old) = old {
            self.remove(old);
        }
        if let Some(new) = new {
            self.add(new);
        }
    }

    fn add(&mut self, alloc: &Allocation) {
        let usage = AllocUsage::of(alloc);
        let node = self.0.entry(Id::of(&alloc.node_id)).or_default();
        node.count += 1;
        node.total.add(usage.resources);
        if usage.holds_network() {
            node.network.insert(alloc.id.clone(), Arc::new(usage));
        }
    }

    fn remove(&mut self, alloc: &Allocation) {
        let Some(node) = self.0.get_mut(&QId::new(&alloc.node_id)) else {
            return;
        };
        node.count -= 1;
        if node.count == 0 {
            self.0.remove(&QId::new(&alloc.node_id));
            return;
        }
        node.total.sub(AllocUsage::of(alloc).resources);
        node.network.remove(alloc.id.as_str());
    }

    /// The table recomputed from every allocation.
    pub(crate) fn recompute<'a>(allocs: impl IntoIterator<Item = &'a Arc<Allocation>>) -> Self {
        let mut table = UsageTable::default();
        for alloc in allocs.into_iter().filter(|a| counts(a)) {
            table.add(alloc);
        }
        table
    }
}

/// Whether two versions of a counted allocation hold the same on the same node: the client's
/// updates, which leave the resources the scheduler allocated as they are (and shared).
fn holds_the_same(old: &Allocation, new: &Allocation) -> bool {
    let same_resources = match (&old.allocated_resources, &new.allocated_resources) {
        (Some(old), Some(new)) => Arc::ptr_eq(old, new),
        (old, new) => old.is_none() && new.is_none(),
    };
    same_resources && old.node_id == new.node_id
}

/// Whether an allocation holds room on its node: it is not terminal.
fn counts(alloc: &Allocation) -> bool {
    !alloc.terminal()
}

/// The node usage of a snapshot, kept to learn later which nodes' usage another snapshot
/// changed: a scheduler that keeps every node's usage across evaluations updates it from
/// [`UsageVersion::changed_nodes`] instead of looking up each node it ranks. Holding one keeps
/// only the usage table alive. The default is the usage of an empty cluster.
#[derive(Debug, Clone, Default)]
pub struct UsageVersion(UsageTable);

impl UsageVersion {
    /// The nodes whose usage differs in `newer` (in either direction), by node ID, with their
    /// usage there (`None`: no counted allocations). Parts of the table the two versions share
    /// are skipped, so this costs what the commits between them changed.
    pub fn changed_nodes<'a>(
        &'a self,
        newer: &'a UsageVersion,
    ) -> impl Iterator<Item = (NodeKey<'a>, Option<&'a NodeAllocs>)> + 'a {
        self.0.0.diff(&newer.0.0).map(|change| match change {
            DiffItem::Add(id, node)
            | DiffItem::Update {
                new: (id, node), ..
            } => (NodeKey(id), Some(node)),
            DiffItem::Remove(id, _) => (NodeKey(id), None),
        })
    }
}

/// A node ID as the usage table keys it. A UUID is held as its bits: its text is written on
/// the stack when asked for, not allocated for each changed node.
#[derive(Debug, Clone, Copy)]
pub struct NodeKey<'a>(&'a Id);

impl NodeKey<'_> {
    /// Calls `f` with the node's ID.
    pub fn with_str<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        self.0.with_str(f)
    }

    /// The node ID's bits when it is a UUID (as [`crate::parse_uuid`] reads its text), which
    /// a caller can look up without writing the text out.
    pub fn uuid(&self) -> Option<[u64; 2]> {
        self.0.uuid()
    }
}

impl Snapshot {
    /// This snapshot's node usage, to compare with a later one's.
    pub fn node_usage_version(&self) -> UsageVersion {
        UsageVersion(self.tables.usage.clone())
    }

    /// What the non-terminal allocations on a node hold; `None` when it has none.
    pub fn node_usage(&self, node_id: &str) -> Option<&NodeAllocs> {
        self.tables.usage.0.get(&QId::new(node_id))
    }

    /// The kept table equals one recomputed from the allocations.
    pub(crate) fn check_node_usage(&self, errors: &mut Vec<String>) {
        if self.tables.usage != UsageTable::recompute(self.tables.allocs.values()) {
            errors.push("node usage disagrees with the allocations".to_string());
        }
    }

    /// Whether any node has allocations counted.
    pub fn has_node_usage(&self) -> bool {
        !self.tables.usage.0.is_empty()
    }
}

//! Ranking a feasible node: bin packing (does the group fit, with which ports and cores, and how
//! well), then job anti-affinity, the rescheduling penalty, node affinities and spreads. The final
//! score is the mean of the scores that apply (Nomad's `ScoreNormalizationIterator`).

use std::collections::BTreeMap;

use drover_model::{
    Affinity, AllocatedCpuResources, AllocatedMemoryResources, AllocatedPortMapping,
    AllocatedResources, AllocatedSharedResources, AllocatedTaskResources, NetworkResource, Node,
    Resources, Spread, TaskGroup,
};
use drover_state::usage::{NodeUsage, Phase, PhaseSum};

use super::checks::Ctx;
use super::constraint::{CompiledConstraint, Target, escapes_class};
use super::metrics::reason;
use super::net::PortOffer;
use super::property::SpreadPlan;
use super::rng::Rng;
use super::view::ClusterView;

/// The highest bin-packing fit score, used to scale it to [0, 1].
const MAX_FIT_SCORE: f64 = 18.0;

/// Nomad's `MemoryNoLimit`: `memory_max = -1` lifts the memory limit.
const MEMORY_NO_LIMIT: i64 = -1;

/// How fit scores favour nodes (the scheduler configuration's `SchedulerAlgorithm`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SchedulerAlgorithm {
    /// Prefer fuller nodes (`ScoreFitBinPack`).
    #[default]
    Binpack,
    /// Prefer emptier nodes (`ScoreFitSpread`).
    Spread,
}

/// One task's ask.
#[derive(Debug, Clone)]
struct TaskAsk {
    phase: Phase,
    cpu: i64,
    /// Memory plus secrets memory, as Nomad reserves it.
    memory_mb: i64,
    memory_max_mb: i64,
    cores: usize,
    network: Option<NetworkResource>,
}

/// What a task group asks of a node.
#[derive(Debug, Clone)]
pub(crate) struct Ask {
    tasks: Vec<TaskAsk>,
    disk_mb: i64,
    network: Option<NetworkResource>,
    /// CPU and memory when no task reserves cores (then they do not depend on the node).
    fixed: Option<(i64, i64)>,
    /// Ports, task networks or cores to hand out: bin packing must build an [`Offer`].
    needs_offer: bool,
}

impl Ask {
    pub(crate) fn new(tg: &TaskGroup, memory_oversubscription: bool) -> Self {
        let none = Resources::default();
        let tasks: Vec<TaskAsk> = tg
            .tasks
            .iter()
            .map(|task| {
                let r = task.resources.as_ref().unwrap_or(&none);
                let memory_max_mb = match r.memory_max_mb {
                    _ if !memory_oversubscription => 0,
                    max if max > 0 => max + r.secrets_mb,
                    MEMORY_NO_LIMIT => MEMORY_NO_LIMIT,
                    _ => 0,
                };
                TaskAsk {
                    phase: Phase::of(task.lifecycle.as_ref()),
                    cpu: r.cpu,
                    memory_mb: r.memory_mb + r.secrets_mb,
                    memory_max_mb,
                    cores: usize::try_from(r.cores).unwrap_or(0),
                    network: r.networks.first().cloned(),
                }
            })
            .collect();
        let fixed = tasks.iter().all(|t| t.cores == 0).then(|| {
            let mut sum = PhaseSum::default();
            for t in &tasks {
                sum.add(t.phase, t.cpu, t.memory_mb, false);
            }
            sum.total()
        });
        let network = tg.networks.first().cloned();
        let needs_offer =
            fixed.is_none() || network.is_some() || tasks.iter().any(|t| t.network.is_some());
        Self {
            tasks,
            disk_mb: tg.ephemeral_disk.as_ref().map_or(0, |d| d.size_mb),
            network,
            fixed,
            needs_offer,
        }
    }
}

/// The ports, networks and cores a node would give the group.
#[derive(Debug, Clone, Default)]
pub(crate) struct Offer {
    ports: Vec<AllocatedPortMapping>,
    group_network: Option<NetworkResource>,
    task_networks: Vec<Option<NetworkResource>>,
    /// Per task: reserved cores and the CPU (MHz) they stand for.
    task_cores: Vec<(Vec<u16>, i64)>,
}

/// Why bin packing passed over a node: a dimension to count, or nothing (a host network template
/// that does not resolve, which Nomad skips silently).
pub(crate) type Exhausted = Option<u32>;

/// Fits the group on a node (Nomad's `BinPackIterator` without preemption): ports, task networks,
/// reserved cores, then CPU, cores, memory and disk. Returns the normalized fit score, and the
/// offer when the group asks for something to hand out (boxed: candidates move often, and most
/// groups need none).
pub(crate) fn binpack(
    ctx: &mut Ctx,
    ask: &Ask,
    view: &ClusterView,
    index: u32,
    region: &str,
    fits: &mut FitScores,
    rng: &mut Rng,
) -> Result<(f64, Option<Box<Offer>>), Exhausted> {
    let i = index as usize;
    let net = view.net(i);
    if view.table.reserved_ports[i].is_none() {
        return Err(Some(reason::INVALID_NODE));
    }
    if net.collision {
        return Err(Some(reason::PORT_COLLISION));
    }
    let mut offer: Option<Box<Offer>> = None;
    let (cpu, memory_mb) = match ask.fixed {
        Some(fixed) if !ask.needs_offer => fixed,
        _ => {
            let offer = &mut **offer.insert(Box::default());
            offer_ports_and_cores(ctx, ask, view, index, region, rng, offer)?;
            let mut sum = PhaseSum::default();
            for (t, (_, pinned_cpu)) in ask.tasks.iter().zip(&offer.task_cores) {
                let pinned = t.cores > 0;
                let cpu = if pinned { *pinned_cpu } else { t.cpu };
                sum.add(t.phase, cpu, t.memory_mb, pinned);
            }
            sum.total()
        }
    };

    if net.cores_overlap {
        return Err(Some(reason::CORES));
    }
    let cap = view.table.capacity[i];
    let used = view.used(i);
    let util = NodeUsage {
        cpu: used.cpu + cpu,
        memory_mb: used.memory_mb + memory_mb,
        disk_mb: used.disk_mb + ask.disk_mb,
    };
    if util.cpu > cap.cpu {
        return Err(Some(reason::CPU));
    }
    // Reserved cores must be cores the node offers (only worth checking when some are held).
    let offered = offer.iter().flat_map(|o| &o.task_cores);
    let mut held = net.cores.iter().chain(offered.flat_map(|(c, _)| c));
    if held.clone().next().is_some() {
        let usable = usable_cores(view.node(i));
        if !usable.is_empty() && !held.all(|c| usable.contains(c)) {
            return Err(Some(reason::CORES));
        }
    }
    if util.memory_mb > cap.memory_mb {
        return Err(Some(reason::MEMORY));
    }
    if util.disk_mb > cap.disk_mb {
        return Err(Some(reason::DISK));
    }
    Ok((fits.score(i, cap, util), offer))
}

/// The room of a stack's fit scores (one for each node), kept for the next stack over the same
/// nodes: grown afresh at every evaluation, it was copied as it grew and its pages zeroed by the
/// kernel.
#[derive(Debug, Default)]
pub struct SpareFits(Vec<(i64, i64, f64)>);

/// Normalized fit scores by node, each with the utilization it was computed for. Ranking the
/// same node again with nothing changed there (the next placement of a group, which changed
/// one node) reuses the score instead of taking two powers of ten again. Valid for one node
/// table, as one stack uses.
#[derive(Debug)]
pub(crate) struct FitScores {
    algorithm: SchedulerAlgorithm,
    by_node: Vec<(i64, i64, f64)>,
}

impl FitScores {
    pub(crate) fn new(algorithm: SchedulerAlgorithm) -> Self {
        Self {
            algorithm,
            by_node: Vec::new(),
        }
    }

    /// The cache's room, emptied, for the next stack to reuse (see [`SpareFits`]).
    pub(crate) fn into_room(self) -> SpareFits {
        let mut by_node = self.by_node;
        by_node.clear();
        SpareFits(by_node)
    }

    /// Takes over an earlier cache's room (emptied by [`Self::into_room`]) unless this one
    /// has entries already.
    pub(crate) fn reuse(&mut self, room: SpareFits) {
        if self.by_node.is_empty() {
            self.by_node = room.0;
        }
    }

    fn score(&mut self, node: usize, cap: NodeUsage, util: NodeUsage) -> f64 {
        if node >= self.by_node.len() {
            self.by_node.resize(node + 1, (i64::MIN, i64::MIN, 0.0));
        }
        let (cpu, memory_mb, score) = &mut self.by_node[node];
        if (*cpu, *memory_mb) != (util.cpu, util.memory_mb) {
            (*cpu, *memory_mb) = (util.cpu, util.memory_mb);
            *score = fit_score(cap, util, self.algorithm) / MAX_FIT_SCORE;
        }
        *score
    }
}

fn offer_ports_and_cores(
    ctx: &mut Ctx,
    ask: &Ask,
    view: &ClusterView,
    index: u32,
    region: &str,
    rng: &mut Rng,
    offer: &mut Offer,
) -> Result<(), Exhausted> {
    let i = index as usize;
    let node = view.node(i);
    let reserved = view.table.reserved_ports[i].as_deref().unwrap_or_default();
    let mut ports = PortOffer::new(node, reserved, view.net(i));
    let mut network_error = |error: String| Some(ctx.reasons.intern(&format!("network: {error}")));
    if let Some(network) = &ask.network {
        let resolved = resolve_port_host_networks(network, node, region).ok_or(None)?;
        let assigned = ports
            .assign_group(&resolved, rng)
            .map_err(&mut network_error)?;
        offer.group_network = Some(ports.group_network(&resolved, &assigned));
        offer.ports = assigned;
    }
    let mut taken_cores: Vec<u16> = view.net(i).cores.clone();
    let usable = usable_cores(node);
    let mhz_per_core = mhz_per_core(node, usable.len());
    for task in &ask.tasks {
        let network = match &task.network {
            Some(net) => Some(ports.assign_task(net, rng).map_err(&mut network_error)?),
            None => None,
        };
        offer.task_networks.push(network);
        let cores: Vec<u16> = if task.cores > 0 {
            let free: Vec<u16> = usable
                .iter()
                .copied()
                .filter(|c| !taken_cores.contains(c))
                .take(task.cores)
                .collect();
            if free.len() < task.cores {
                return Err(Some(reason::CORES));
            }
            taken_cores.extend_from_slice(&free);
            free
        } else {
            Vec::new()
        };
        let pinned_cpu = cores.len() as i64 * mhz_per_core;
        offer.task_cores.push((cores, pinned_cpu));
    }
    Ok(())
}

/// The cores allocations may reserve: the node's reservable cores (all of them when it lists
/// none) less the ones it keeps for itself, in ascending order.
fn usable_cores(node: &Node) -> Vec<u16> {
    let Some(resources) = &node.node_resources else {
        return Vec::new();
    };
    let reserved: &[u16] = node
        .reserved_resources
        .as_ref()
        .map_or(&[], |r| &r.cpu.reserved_cpu_cores);
    let mut cores: Vec<u16> = if resources.cpu.reservable_cpu_cores.is_empty() {
        (0..resources.cpu.total_cpu_cores)
            .filter_map(|c| u16::try_from(c).ok())
            .collect()
    } else {
        resources.cpu.reservable_cpu_cores.clone()
    };
    cores.retain(|c| !reserved.contains(c));
    cores.sort_unstable();
    cores.dedup();
    cores
}

fn mhz_per_core(node: &Node, usable: usize) -> i64 {
    let Some(resources) = &node.node_resources else {
        return 0;
    };
    let cores = match resources.cpu.total_cpu_cores {
        0 => usable as i64,
        n => i64::from(n),
    };
    if cores == 0 {
        0
    } else {
        resources.cpu.cpu_shares / cores
    }
}

/// Nomad's `ScoreFitBinPack` / `ScoreFitSpread`, in [0, 18].
fn fit_score(cap: NodeUsage, util: NodeUsage, algorithm: SchedulerAlgorithm) -> f64 {
    let free = |used: i64, total: i64| {
        let free = 1.0 - used as f64 / total as f64;
        // A node that offers nothing counts as full rather than poisoning the score with NaN.
        if free.is_nan() { 0.0 } else { free }
    };
    let total =
        10f64.powf(free(util.cpu, cap.cpu)) + 10f64.powf(free(util.memory_mb, cap.memory_mb));
    let score = match algorithm {
        SchedulerAlgorithm::Binpack => 20.0 - total,
        SchedulerAlgorithm::Spread => total - 2.0,
    };
    score.clamp(0.0, MAX_FIT_SCORE)
}

/// The allocation's resources for the chosen node.
pub(crate) fn allocated_resources(
    tg: &TaskGroup,
    ask: &Ask,
    offer: Option<Box<Offer>>,
) -> AllocatedResources {
    let offer = offer.map(|o| *o).unwrap_or_default();
    let mut tasks = BTreeMap::new();
    let mut task_lifecycles = BTreeMap::new();
    let mut task_networks = offer.task_networks.into_iter();
    let mut task_cores = offer.task_cores.into_iter();
    for (task, task_ask) in tg.tasks.iter().zip(&ask.tasks) {
        let (reserved_cores, pinned_cpu) = task_cores.next().unwrap_or_default();
        let cpu_shares = if task_ask.cores > 0 {
            pinned_cpu
        } else {
            task_ask.cpu
        };
        tasks.insert(
            task.name.to_string(),
            AllocatedTaskResources {
                cpu: AllocatedCpuResources {
                    cpu_shares,
                    reserved_cores,
                },
                memory: AllocatedMemoryResources {
                    memory_mb: task_ask.memory_mb,
                    memory_max_mb: task_ask.memory_max_mb,
                },
                networks: task_networks.next().flatten().into_iter().collect(),
            },
        );
        task_lifecycles.insert(task.name.to_string(), task.lifecycle.clone());
    }
    AllocatedResources {
        tasks,
        task_lifecycles,
        shared: AllocatedSharedResources {
            networks: offer.group_network.into_iter().collect(),
            disk_mb: ask.disk_mb,
            ports: offer.ports,
        },
    }
}

/// The group's node affinities (job, group and tasks), with the per-class score cache they allow
/// when none reads a `unique.` field.
#[derive(Debug)]
pub(crate) struct AffinityPlan {
    affinities: Vec<(CompiledConstraint, f64)>,
    weight_sum: f64,
    escaped: bool,
    by_class: Vec<Option<f64>>,
}

impl AffinityPlan {
    pub(crate) fn new<'a>(
        affinities: impl Iterator<Item = &'a Affinity>,
        view: &ClusterView,
        region: &str,
        ctx: &mut Ctx,
    ) -> Option<Self> {
        let mut escaped = false;
        let affinities: Vec<(CompiledConstraint, f64)> = affinities
            .map(|a| {
                escaped |= escapes_class(&a.l_target) || escapes_class(&a.r_target);
                let c = CompiledConstraint::new(
                    &a.l_target,
                    &a.operand,
                    &a.r_target,
                    &view.table,
                    region,
                    &mut ctx.cache,
                );
                (c, f64::from(a.weight))
            })
            .collect();
        if affinities.is_empty() {
            return None;
        }
        let weight_sum = affinities.iter().map(|(_, w)| w.abs()).sum();
        Some(Self {
            affinities,
            weight_sum,
            escaped,
            by_class: vec![None; view.table.class_names.len()],
        })
    }

    /// Σ(weights of matching affinities) / Σ|weights|, in [-1, 1].
    pub(crate) fn score(&mut self, view: &ClusterView, index: u32, ctx: &mut Ctx) -> f64 {
        let class = view.table.class[index as usize] as usize;
        if let Some(score) = self.by_class[class].filter(|_| !self.escaped) {
            return score;
        }
        // Summed from +0.0: an empty float `sum()` is -0.0, which would show in the metrics.
        let mut matched = 0.0;
        for (affinity, weight) in &mut self.affinities {
            if affinity.matches(&view.table, index, &mut ctx.cache) {
                matched += *weight;
            }
        }
        let score = matched / self.weight_sum;
        if !self.escaped {
            self.by_class[class] = Some(score);
        }
        score
    }
}

/// The group's spread blocks (group and job) with the weight they share.
#[derive(Debug)]
pub(crate) struct SpreadScorer {
    spreads: Vec<SpreadPlan>,
    weight_sum: f64,
}

impl SpreadScorer {
    pub(crate) fn new<'a>(
        spreads: impl Iterator<Item = &'a Spread>,
        tg: &TaskGroup,
        view: &ClusterView,
        region: &str,
    ) -> Option<Self> {
        let spreads: Vec<SpreadPlan> = spreads
            .map(|s| SpreadPlan::new(s, &tg.name, tg.count, &view.table, region))
            .collect();
        if spreads.is_empty() {
            return None;
        }
        let weight_sum = spreads.iter().map(|s| s.weight).sum();
        Some(Self {
            spreads,
            weight_sum,
        })
    }

    pub(crate) fn refresh(&mut self, view: &ClusterView, job: Option<u32>) {
        for spread in &mut self.spreads {
            spread.set.refresh(view, job);
        }
    }

    /// The summed boost of every spread block for placing on this node (Nomad's
    /// `SpreadIterator`). `lowest` is the lowest boost seen in the evaluation, used for targets
    /// that want no allocations.
    pub(crate) fn score(&mut self, view: &ClusterView, index: u32, lowest: &mut f64) -> f64 {
        let mut total = 0.0;
        for spread in &mut self.spreads {
            let Some(value) = spread.set.value(&view.table, index) else {
                total -= 1.0;
                continue;
            };
            if spread.is_even() {
                total += even_spread_boost(spread, value);
                continue;
            }
            let Some(desired) = spread.desired[value as usize] else {
                total -= 1.0;
                continue;
            };
            if desired == 0.0 {
                total += *lowest;
                continue;
            }
            let used = spread.set.count(value) as f64 + 1.0;
            let share = if self.weight_sum == 0.0 {
                0.0
            } else {
                spread.weight / self.weight_sum
            };
            let boost = (desired - used) / desired * share;
            total += boost;
            *lowest = lowest.min(boost);
        }
        total
    }
}

/// Even spread without targets: favour values used less than the most used one.
fn even_spread_boost(spread: &SpreadPlan, value: u32) -> f64 {
    let (min, max) = spread.set.used_range();
    if max == 0 {
        // Nothing placed yet.
        return 0.0;
    }
    let current = spread.set.count(value);
    if current != min {
        (min as f64 - current as f64) / min as f64
    } else if min == max {
        -1.0
    } else {
        (max - min) as f64 / min as f64
    }
}

/// -(collisions + 1) / count when the node already runs allocations of this job's group.
pub(crate) fn job_anti_affinity(
    view: &ClusterView,
    index: u32,
    group: Option<u32>,
    count: i64,
) -> Option<f64> {
    let group = group?;
    let collisions = view
        .node_allocs(index as usize)
        .iter()
        .filter(|a| a.group == group)
        .count();
    (collisions > 0).then(|| -((collisions + 1) as f64) / count.max(1) as f64)
}

/// The group network with its ports' host network templates (`${meta.net}`) resolved against the
/// node; `None` when one does not resolve.
fn resolve_port_host_networks(
    network: &NetworkResource,
    node: &Node,
    region: &str,
) -> Option<NetworkResource> {
    let mut resolved = network.clone();
    for port in resolved
        .reserved_ports
        .iter_mut()
        .chain(resolved.dynamic_ports.iter_mut())
    {
        if !port.host_network.is_empty() {
            let target = Target::parse(&port.host_network);
            port.host_network = target.resolve(node, region)?.to_owned();
        }
    }
    Some(resolved)
}

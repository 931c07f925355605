//! Feasibility: which nodes may run a task group at all, in Nomad's order, with per-class caching.
//!
//! The job's ready nodes in its datacenters and node pool are the candidates. Each candidate then
//! passes, in order: the job's constraints; the group's drivers, constraints (group and tasks),
//! devices, network (mode and host networks) and secrets providers; the group's host and CSI
//! volumes; `distinct_hosts`; `distinct_property`. The job and group checks (all but volumes and
//! the distinct ones) only read class-relevant node fields, so their answer is cached per computed
//! class unless a constraint reads a `unique.` field.

use std::collections::BTreeMap;
use std::sync::Arc;

use drover_model::constraint::operand;
use drover_model::group::volume_type;
use drover_model::job::{ALL_NODE_POOLS, DEFAULT_NODE_POOL, job_type};
use drover_model::{Constraint, Job, Node, SmolStr, TaskGroup};

use super::class::{ClassCache, ClassStatus};
use super::constraint::{CompiledConstraint, EvalCache, Target, constraint_reason, escapes_class};
use super::metrics::{Metrics, Pool, Reasons, reason};
use super::net::has_host_network;
use super::property::{DistinctProperty, go_quote};
use super::table::NodeTable;
use super::version::{ConstraintKind, Version, VersionConstraints};
use super::view::ClusterView;

/// Per-evaluation state shared by the checks: metrics of the current `select`, reason ids and the
/// parse caches.
#[derive(Debug, Default)]
pub(crate) struct Ctx {
    pub(crate) metrics: Metrics,
    pub(crate) reasons: Reasons,
    pub(crate) cache: EvalCache,
}

/// Constraints compiled with the reason they are counted under when they fail.
#[derive(Debug, Clone, Default)]
struct Constraints(Vec<(CompiledConstraint, u32)>);

impl Constraints {
    fn compile<'a>(
        constraints: impl Iterator<Item = &'a Constraint>,
        table: &NodeTable,
        region: &str,
        ctx: &mut Ctx,
    ) -> Self {
        // `distinct_hosts` and `distinct_property` always pass here: their own checks enforce them.
        let checked = |c: &&Constraint| {
            c.operand != operand::DISTINCT_HOSTS && c.operand != operand::DISTINCT_PROPERTY
        };
        Self(
            constraints
                .filter(checked)
                .map(|c| {
                    let compiled = CompiledConstraint::new(
                        &c.l_target,
                        &c.operand,
                        &c.r_target,
                        table,
                        region,
                        &mut ctx.cache,
                    );
                    (compiled, ctx.reasons.intern(&constraint_reason(c)))
                })
                .collect(),
        )
    }

    fn check(&mut self, table: &NodeTable, node: u32, cache: &mut EvalCache) -> Result<(), u32> {
        for (constraint, reason) in &mut self.0 {
            if !constraint.matches(table, node, cache) {
                return Err(*reason);
            }
        }
        Ok(())
    }
}

fn any_escapes<'a>(mut constraints: impl Iterator<Item = &'a Constraint>) -> bool {
    constraints.any(|c| escapes_class(&c.l_target) || escapes_class(&c.r_target))
}

/// `distinct_hosts` is on when present with an empty, unparseable or true `RTarget`.
fn distinct_hosts<'a>(mut constraints: impl Iterator<Item = &'a Constraint>) -> bool {
    constraints
        .find(|c| c.operand == operand::DISTINCT_HOSTS)
        .is_some_and(|c| parse_go_bool(&c.r_target).unwrap_or(true))
}

/// Go's `strconv.ParseBool`.
fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// What the stack needs of the job, compiled once per job version.
#[derive(Debug)]
pub(crate) struct JobPlan {
    pub(crate) namespace: SmolStr,
    pub(crate) id: SmolStr,
    pub(crate) version: u64,
    pub(crate) region: SmolStr,
    pub(crate) batch: bool,
    pub(crate) datacenters: Vec<SmolStr>,
    pub(crate) node_pool: SmolStr,
    constraints: Constraints,
    pub(crate) classes: ClassCache,
    pub(crate) distinct_hosts: bool,
    pub(crate) distinct_properties: Vec<DistinctProperty>,
    pub(crate) pool: Pool,
}

impl JobPlan {
    pub(crate) fn new(job: &Job, view: &ClusterView, ctx: &mut Ctx) -> Self {
        Self {
            namespace: job.namespace.clone(),
            id: job.id.clone(),
            version: job.version,
            region: job.region.clone(),
            batch: job.job_type == job_type::BATCH,
            datacenters: job.datacenters.clone(),
            node_pool: job.node_pool.clone(),
            constraints: Constraints::compile(
                job.constraints.iter(),
                &view.table,
                &job.region,
                ctx,
            ),
            classes: ClassCache::new(
                any_escapes(job.constraints.iter()),
                view.table.class_names.len(),
            ),
            distinct_hosts: distinct_hosts(job.constraints.iter()),
            distinct_properties: job
                .constraints
                .iter()
                .filter(|c| c.operand == operand::DISTINCT_PROPERTY)
                .map(|c| DistinctProperty::new(c, None, &view.table, &job.region))
                .collect(),
            pool: Pool::default(),
        }
    }

    pub(crate) fn is(&self, job: &Job) -> bool {
        self.namespace == job.namespace && self.id == job.id && self.version == job.version
    }

    /// Whether a job version places on the same nodes as this one.
    pub(crate) fn same_nodes(&self, job: &Job) -> bool {
        self.datacenters == job.datacenters && self.node_pool == job.node_pool
    }

    /// The ready nodes in the job's datacenters and pool, in view order, and their counts.
    pub(crate) fn candidates(&mut self, view: &ClusterView) -> Vec<Visit> {
        let table = &view.table;
        // Datacenter and pool verdicts per distinct pair, so each string is matched once, with
        // the pair's eligible nodes counted there (a map entry per node cost more than the rest).
        let mut verdicts: Vec<((u32, u32), bool, u32)> = Vec::new();
        let mut nodes = Vec::with_capacity(table.len());
        for i in 0..table.len() as u32 {
            if !table.schedulable[i as usize] {
                continue;
            }
            let key = table.datacenter_and_pool(i);
            let at = match verdicts.iter().position(|(k, _, _)| *k == key) {
                Some(at) => at,
                None => {
                    let (dc, pool) = key;
                    let eligible = in_pool(table.value(pool), &self.node_pool)
                        && in_any_datacenter(table.value(dc), &self.datacenters);
                    verdicts.push((key, eligible, 0));
                    verdicts.len() - 1
                }
            };
            let (_, eligible, count) = &mut verdicts[at];
            if *eligible {
                nodes.push(Visit::new(table, i));
                *count += 1;
            }
        }
        let mut by_dc: BTreeMap<String, u32> = BTreeMap::new();
        for ((dc, _), _, n) in verdicts.into_iter().filter(|(_, eligible, _)| *eligible) {
            *by_dc.entry(table.value(dc).to_owned()).or_default() += n;
        }
        self.pool = Pool {
            nodes_in_pool: nodes.len() as u32,
            nodes_available: Arc::new(by_dc),
        };
        nodes
    }
}

fn in_pool(node_pool: &str, job_pool: &str) -> bool {
    let node_pool = if node_pool.is_empty() {
        DEFAULT_NODE_POOL
    } else {
        node_pool
    };
    job_pool.is_empty() || job_pool == ALL_NODE_POOLS || job_pool == node_pool
}

/// A canonical job always lists datacenters; an empty list means every datacenter (`"*"`).
fn in_any_datacenter(dc: &str, patterns: &[SmolStr]) -> bool {
    patterns.is_empty() || patterns.iter().any(|p| glob_match(p, dc))
}

/// ryanuber/go-glob: `*` matches any run of characters, everything else matches itself.
fn glob_match(pattern: &str, subject: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == subject;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    let Some(mut rest) = subject.strip_prefix(first) else {
        return false;
    };
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// The network checks of a group: its mode, and the host networks its ports name.
#[derive(Debug, Clone)]
struct NetworkCheck {
    mode: String,
    /// `(host network target, as written, port label)` for ports that name a host network.
    host_networks: Vec<(Target, String, String)>,
}

/// A host volume request with its source as written (`per_alloc` adds the allocation's index).
#[derive(Debug, Clone)]
struct HostVolume {
    source: String,
    per_alloc: bool,
    read_only: bool,
    sticky: bool,
}

/// What the stack needs of one task group, compiled once per job version.
#[derive(Debug)]
pub(crate) struct GroupChecks {
    drivers: Vec<SmolStr>,
    constraints: Constraints,
    needs_devices: bool,
    network: NetworkCheck,
    secrets: Vec<String>,
    host_volumes: Vec<HostVolume>,
    csi_volumes: Vec<(String, bool)>,
    pub(crate) classes: ClassCache,
    pub(crate) distinct_hosts: bool,
    pub(crate) distinct_properties: Vec<DistinctProperty>,
}

impl GroupChecks {
    pub(crate) fn new(tg: &TaskGroup, view: &ClusterView, region: &str, ctx: &mut Ctx) -> Self {
        let task_constraints = || tg.tasks.iter().flat_map(|t| &t.constraints);
        let all_constraints = || tg.constraints.iter().chain(task_constraints());
        let mut drivers: Vec<SmolStr> = tg.tasks.iter().map(|t| t.driver.clone()).collect();
        drivers.sort();
        drivers.dedup();
        let mut secrets: Vec<String> = tg
            .tasks
            .iter()
            .flat_map(|t| &t.secrets)
            .map(|s| format!("plugins.secrets.{}.version", s.provider))
            .collect();
        secrets.sort();
        secrets.dedup();
        let network = match tg.networks.first() {
            Some(n) => NetworkCheck {
                mode: if n.mode.is_empty() { "host" } else { &n.mode }.to_owned(),
                host_networks: n
                    .dynamic_ports
                    .iter()
                    .chain(&n.reserved_ports)
                    .filter(|p| !p.host_network.is_empty())
                    .map(|p| {
                        let target = Target::parse(&p.host_network);
                        (target, p.host_network.clone(), p.label.clone())
                    })
                    .collect(),
            },
            None => NetworkCheck {
                mode: "host".to_owned(),
                host_networks: Vec::new(),
            },
        };
        let volumes =
            |kind: &'static str| tg.volumes.values().filter(move |v| v.volume_type == kind);
        let csi_volumes: Vec<(String, bool)> = volumes(volume_type::CSI)
            .map(|v| (v.source.clone(), v.per_alloc))
            .collect();
        let escaped = any_escapes(all_constraints()) || !csi_volumes.is_empty();
        Self {
            drivers,
            constraints: Constraints::compile(all_constraints(), &view.table, region, ctx),
            needs_devices: tg
                .tasks
                .iter()
                .any(|t| t.resources.as_ref().is_some_and(|r| !r.devices.is_empty())),
            network,
            secrets,
            host_volumes: volumes(volume_type::HOST)
                .map(|v| HostVolume {
                    source: v.source.clone(),
                    per_alloc: v.per_alloc,
                    read_only: v.read_only,
                    sticky: v.sticky,
                })
                .collect(),
            csi_volumes,
            classes: ClassCache::new(escaped, view.table.class_names.len()),
            distinct_hosts: distinct_hosts(tg.constraints.iter()),
            distinct_properties: tg
                .constraints
                .iter()
                .filter(|c| c.operand == operand::DISTINCT_PROPERTY)
                .map(|c| DistinctProperty::new(c, Some(&tg.name), &view.table, region))
                .collect(),
        }
    }

    /// Drivers, constraints, devices, network and secrets: the checks cached per class.
    fn check(
        &mut self,
        table: &NodeTable,
        index: u32,
        region: &str,
        ctx: &mut Ctx,
    ) -> Result<(), u32> {
        let node = &*table.nodes()[index as usize];
        if !self.drivers.iter().all(|d| has_driver(node, d)) {
            return Err(reason::MISSING_DRIVERS);
        }
        self.constraints.check(table, index, &mut ctx.cache)?;
        // Nodes in drover's model carry no devices.
        if self.needs_devices {
            return Err(reason::MISSING_DEVICES);
        }
        self.check_network(node, region, ctx)?;
        if !self.secrets.iter().all(|s| node.attributes.contains_key(s)) {
            return Err(reason::MISSING_SECRETS);
        }
        Ok(())
    }

    fn check_network(&self, node: &Node, region: &str, ctx: &mut Ctx) -> Result<(), u32> {
        let mode = self.network.mode.as_str();
        if mode == "none" {
            return Ok(());
        }
        let has_mode = node
            .node_resources
            .iter()
            .flat_map(|r| &r.networks)
            .any(|n| if n.mode.is_empty() { "host" } else { &n.mode } == mode);
        let bridge_upgrade = mode == "bridge" && predates_bridge_fingerprint(node);
        if !(has_mode || bridge_upgrade) {
            return Err(reason::MISSING_NETWORK);
        }
        for (target, written, label) in &self.network.host_networks {
            let Some(name) = target.resolve(node, region) else {
                return Err(ctx.reasons.intern(&format!(
                    "invalid host network {} template for port {}",
                    go_quote(written),
                    go_quote(label)
                )));
            };
            if !has_host_network(node, name) {
                return Err(ctx.reasons.intern(&format!(
                    "missing host network {} for port {}",
                    go_quote(name),
                    go_quote(label)
                )));
            }
        }
        Ok(())
    }

    /// Host and CSI volumes: checked on every node, never cached.
    fn check_available(&self, node: &Node, alloc_name: &str, ctx: &mut Ctx) -> Result<(), u32> {
        if self.host_volumes.is_empty() && self.csi_volumes.is_empty() {
            return Ok(());
        }
        let suffix = alloc_suffix(alloc_name);
        let source = |s: &str, per_alloc: bool| {
            if per_alloc {
                format!("{s}{suffix}")
            } else {
                s.to_owned()
            }
        };
        let host_ok = self.host_volumes.iter().all(|req| {
            node.host_volumes
                .get(&source(&req.source, req.per_alloc))
                .is_some_and(|vol| {
                    // Sticky volumes need a dynamic (ID-carrying) volume, and a read-only
                    // volume can only be mounted read-only.
                    let dynamic = !vol.id.is_empty();
                    (dynamic || !req.sticky) && (dynamic || req.read_only || !vol.read_only)
                })
        });
        if !host_ok {
            return Err(reason::MISSING_HOST_VOLUMES);
        }
        // CSI volumes live in a state table drover does not have: every one is missing.
        if !self.csi_volumes.is_empty() {
            let missing: Vec<String> = self
                .csi_volumes
                .iter()
                .map(|(s, per_alloc)| source(s, *per_alloc))
                .collect();
            return Err(ctx
                .reasons
                .intern(&format!("missing CSI volume(s) {}", missing.join(", "))));
        }
        Ok(())
    }
}

/// The `[N]` at the end of an allocation name.
fn alloc_suffix(name: &str) -> &str {
    name.rfind('[').map_or("", |at| &name[at..])
}

/// A driver is usable when its fingerprint says detected and healthy, or, for nodes that report
/// no driver info, when its `driver.<name>` attribute is true.
fn has_driver(node: &Node, driver: &str) -> bool {
    if let Some(info) = node.drivers.get(driver) {
        return info.detected && info.healthy;
    }
    node.attributes
        .get(&format!("driver.{driver}"))
        .and_then(|v| parse_go_bool(v))
        .unwrap_or(false)
}

/// Clients before 0.12 did not fingerprint the bridge network; Nomad lets bridge groups on them.
fn predates_bridge_fingerprint(node: &Node) -> bool {
    let Some(version) = node
        .attributes
        .get("nomad.version")
        .and_then(|v| Version::parse_semver(v))
    else {
        return false;
    };
    VersionConstraints::parse("< 0.12", ConstraintKind::Version).is_some_and(|c| c.check(&version))
}

/// A node to examine, with the ids the class cache and the metrics need, so that a node answered
/// from the cache is rejected without touching the node table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Visit {
    pub(crate) node: u32,
    class: u32,
    pub(crate) node_class: u32,
}

impl Visit {
    pub(crate) fn new(table: &NodeTable, node: u32) -> Self {
        Self {
            node,
            class: table.class[node as usize],
            node_class: table.node_class[node as usize],
        }
    }
}

/// The view's dense ids of the job and the group being placed (`None` until the view has counted
/// an allocation of them).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Keys {
    pub(crate) job_key: Option<u32>,
    pub(crate) group_key: Option<u32>,
}

/// The class cache's quick no: the job, or (once the job is known to fit) the group, is
/// ineligible on the node's class. Counted like Nomad counts it.
#[inline]
pub(crate) fn class_rejected(
    ctx: &mut Ctx,
    job: &JobPlan,
    group: &GroupChecks,
    visit: Visit,
) -> bool {
    let rejected = match job.classes.status(visit.class) {
        ClassStatus::Ineligible => true,
        ClassStatus::Eligible => group.classes.status(visit.class) == ClassStatus::Ineligible,
        ClassStatus::Unknown => false,
    };
    if rejected {
        ctx.metrics
            .filter(visit.node_class, reason::CLASS_INELIGIBLE);
    }
    rejected
}

/// Nomad's `FeasibilityWrapper` for one node: the job's constraints, then the group's class
/// checks (each answered from the class cache when `cached` and known, and its answer recorded
/// in the cache either way, for blocked evaluations), then availability. Filters are counted in
/// the metrics.
pub(crate) fn feasible(
    ctx: &mut Ctx,
    job: &mut JobPlan,
    group: &mut GroupChecks,
    view: &ClusterView,
    visit: Visit,
    alloc_name: &str,
    cached: bool,
) -> bool {
    let Visit {
        node: index,
        class,
        node_class,
    } = visit;
    let node = view.node(index as usize);
    let status = |cache: &ClassCache| {
        if cached {
            cache.status(class)
        } else {
            ClassStatus::Unknown
        }
    };

    match status(&job.classes) {
        ClassStatus::Ineligible => {
            ctx.metrics.filter(node_class, reason::CLASS_INELIGIBLE);
            return false;
        }
        ClassStatus::Eligible => {}
        ClassStatus::Unknown => {
            let result = job.constraints.check(&view.table, index, &mut ctx.cache);
            job.classes.set(class, result.is_ok());
            if let Err(reason) = result {
                ctx.metrics.filter(node_class, reason);
                return false;
            }
        }
    }

    match status(&group.classes) {
        ClassStatus::Ineligible => {
            ctx.metrics.filter(node_class, reason::CLASS_INELIGIBLE);
            return false;
        }
        ClassStatus::Eligible => {}
        ClassStatus::Unknown => {
            let result = group.check(&view.table, index, &job.region, ctx);
            group.classes.set(class, result.is_ok());
            if let Err(reason) = result {
                ctx.metrics.filter(node_class, reason);
                return false;
            }
        }
    }

    if let Err(reason) = group.check_available(node, alloc_name, ctx) {
        ctx.metrics.filter(node_class, reason);
        return false;
    }
    true
}

/// `distinct_hosts` (when `hosts`; the system stack has none) then `distinct_property`
/// (job-level sets before the group's).
pub(crate) fn distinct(
    ctx: &mut Ctx,
    job: &mut JobPlan,
    group: &mut GroupChecks,
    view: &ClusterView,
    visit: Visit,
    keys: Keys,
    hosts: bool,
) -> bool {
    let Visit {
        node: index,
        node_class,
        ..
    } = visit;
    let Keys { job_key, group_key } = keys;
    if hosts && (job.distinct_hosts || group.distinct_hosts) {
        let collides = job_key.is_some_and(|job_key| {
            view.node_allocs(index as usize)
                .iter()
                .any(|a| a.job == job_key && (job.distinct_hosts || Some(a.group) == group_key))
        });
        if collides {
            ctx.metrics.filter(node_class, reason::DISTINCT_HOSTS);
            return false;
        }
    }
    let sets = job
        .distinct_properties
        .iter_mut()
        .chain(group.distinct_properties.iter_mut());
    for set in sets {
        if let Err(message) = set.check(&view.table, index) {
            let reason = ctx.reasons.intern(&message);
            ctx.metrics.filter(node_class, reason);
            return false;
        }
    }
    true
}

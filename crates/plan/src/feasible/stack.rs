//! The stacks: [`GenericStack`] for service and batch jobs and [`SystemStack`] for system and
//! sysbatch jobs, which chain feasibility, bin packing, scoring and selection for one placement.

use drover_model::{AllocMetric, AllocatedResources, Job, TaskGroup};
use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::sync::Arc;

use super::checks::{self, Ctx, GroupChecks, JobPlan, Keys, Visit};
use super::class::merge_eligibility;
use super::metrics::{NodeScores, Pool};
use super::rank::{
    self, AffinityPlan, Ask, FitScores, Offer, SchedulerAlgorithm, SpareFits, SpreadScorer,
};
use super::rng::Rng;
use super::view::ClusterView;

/// Options scored nodes with a non-positive score may be passed over for (Nomad's `maxSkip`).
const MAX_SKIP: usize = 3;
/// Scores at or below this are passed over when better options follow.
const SKIP_SCORE_THRESHOLD: f64 = 0.0;
/// Nodes examined when a group has affinities or spreads, unless configured otherwise.
const DEFAULT_NODE_LIMIT_FOR_FEASIBILITY_CHECKS: usize = 100;

/// The parts of Nomad's scheduler configuration the stacks honour (already merged with the job's
/// node pool configuration by the caller).
#[derive(Debug, Clone)]
pub struct StackConfig {
    pub algorithm: SchedulerAlgorithm,
    /// Record `memory_max` in allocated resources (`MemoryOversubscriptionEnabled`).
    pub memory_oversubscription: bool,
    /// How many nodes to rank when a group has affinities or spreads, at least (the group's
    /// count is used when larger).
    pub node_limit_for_feasibility_checks: usize,
}

impl Default for StackConfig {
    fn default() -> Self {
        Self {
            algorithm: SchedulerAlgorithm::Binpack,
            memory_oversubscription: false,
            node_limit_for_feasibility_checks: DEFAULT_NODE_LIMIT_FOR_FEASIBILITY_CHECKS,
        }
    }
}

/// Per-placement options (Nomad's `SelectOptions`). Nodes are positions in the cluster view.
#[derive(Debug, Clone, Copy, Default)]
pub struct SelectOptions<'a> {
    /// Nodes the allocation being replaced failed on: scored -1 (`node-reschedule-penalty`).
    pub penalty_nodes: &'a [usize],
    /// Tried alone first (sticky or migrating ephemeral disks); all nodes when it does not fit.
    pub preferred_node: Option<usize>,
    /// The allocation's name, `<job>.<group>[<index>]`, for `per_alloc` volumes.
    pub alloc_name: &'a str,
}

/// The chosen node and what to allocate there.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedNode {
    /// The node's position in the cluster view.
    pub node: usize,
    /// The mean of the node's scores.
    pub final_score: f64,
    /// Task resources (CPU, memory, reserved cores, task networks), lifecycles, and the shared
    /// disk, group network and assigned ports: one record shared by every placement of the group
    /// that reserves no ports, networks or cores.
    pub resources: Arc<AllocatedResources>,
}

/// A node that passed feasibility and bin packing, with its score.
#[derive(Debug, Clone)]
struct Candidate {
    node: u32,
    score: f64,
    offer: Option<Box<Offer>>,
}

/// One task group, compiled for the current job version.
#[derive(Debug)]
struct GroupPlan {
    name: String,
    count: i64,
    checks: GroupChecks,
    ask: Ask,
    affinity: Option<AffinityPlan>,
    spread: Option<SpreadScorer>,
    /// The resources of a placement without an offer, the same on every node: built once.
    unreserved: OnceCell<Arc<AllocatedResources>>,
}

/// Which scorers run after bin packing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pipeline {
    /// distinct_hosts, anti-affinity, penalty, affinity, spread.
    Generic,
    /// Bin packing only; no class cache (every system placement looks at one node afresh).
    System,
}

/// What both stacks share: the compiled job and groups and the evaluation's caches.
#[derive(Debug)]
struct Core {
    config: StackConfig,
    rng: Rng,
    ctx: Ctx,
    job: Option<JobPlan>,
    job_affinities: Vec<drover_model::Affinity>,
    job_spreads: Vec<drover_model::Spread>,
    groups: Vec<GroupPlan>,
    lowest_spread_boost: f64,
    fits: FitScores,
}

impl Core {
    fn new(config: StackConfig, seed: u64) -> Self {
        Self {
            fits: FitScores::new(config.algorithm),
            config,
            rng: Rng::new(seed),
            ctx: Ctx::default(),
            job: None,
            job_affinities: Vec::new(),
            job_spreads: Vec::new(),
            groups: Vec::new(),
            lowest_spread_boost: -1.0,
        }
    }

    /// Compiles a new job version; returns the candidate nodes when they changed.
    fn set_job(&mut self, view: &ClusterView, job: &Job) -> Option<Vec<Visit>> {
        if self.job.as_ref().is_some_and(|plan| plan.is(job)) {
            return None;
        }
        let same_nodes = self.job.as_ref().is_some_and(|plan| plan.same_nodes(job));
        let mut plan = JobPlan::new(job, view, &mut self.ctx);
        let candidates = plan.candidates(view);
        self.job = Some(plan);
        self.job_affinities = job.affinities.clone();
        self.job_spreads = job.spreads.clone();
        self.groups.clear();
        self.lowest_spread_boost = -1.0;
        (!same_nodes).then_some(candidates)
    }

    fn group_index(&mut self, view: &ClusterView, tg: &TaskGroup) -> usize {
        if let Some(index) = self.groups.iter().position(|g| g.name == tg.name) {
            return index;
        }
        let affinities = self
            .job_affinities
            .iter()
            .chain(&tg.affinities)
            .chain(tg.tasks.iter().flat_map(|t| &t.affinities));
        let region = self.job.as_ref().map_or("", |j| j.region.as_str());
        let group = GroupPlan {
            name: tg.name.to_string(),
            count: tg.count,
            checks: GroupChecks::new(tg, view, region, &mut self.ctx),
            ask: Ask::new(tg, self.config.memory_oversubscription),
            affinity: AffinityPlan::new(affinities, view, region, &mut self.ctx),
            spread: SpreadScorer::new(tg.spreads.iter().chain(&self.job_spreads), tg, view, region),
            unreserved: OnceCell::new(),
        };
        self.groups.push(group);
        self.groups.len() - 1
    }

    /// Starts a placement: fresh metrics, current job and group ids, recounted property sets.
    fn begin(&mut self, view: &ClusterView, group: usize) -> Keys {
        self.ctx.metrics.reset();
        let job = self.job.as_mut().expect("begin runs after set_job");
        let job_key = view.job_key(&job.namespace, &job.id);
        let plan = &mut self.groups[group];
        let group_key = job_key.and_then(|j| view.group_key(j, &plan.name));
        for set in &mut job.distinct_properties {
            set.set.refresh(view, job_key);
        }
        for set in &mut plan.checks.distinct_properties {
            set.set.refresh(view, job_key);
        }
        if let Some(spread) = &mut plan.spread {
            spread.refresh(view, job_key);
        }
        Keys { job_key, group_key }
    }

    /// The class cache's answer for a node, before anything reads the node itself.
    #[inline]
    fn class_rejected(&mut self, group: usize, visit: Visit) -> bool {
        let job = self
            .job
            .as_ref()
            .expect("class_rejected runs after set_job");
        checks::class_rejected(&mut self.ctx, job, &self.groups[group].checks, visit)
    }

    /// Feasibility, bin packing and scoring of one node; `None` when it is filtered or exhausted.
    fn rank(
        &mut self,
        view: &ClusterView,
        group: usize,
        visit: Visit,
        keys: Keys,
        options: &SelectOptions,
        pipeline: Pipeline,
    ) -> Option<Candidate> {
        let job = self.job.as_mut().expect("rank runs after set_job");
        let plan = &mut self.groups[group];
        let ctx = &mut self.ctx;
        let cached = pipeline == Pipeline::Generic;
        let index = visit.node;
        if !checks::feasible(
            ctx,
            job,
            &mut plan.checks,
            view,
            visit,
            options.alloc_name,
            cached,
        ) {
            return None;
        }
        if !checks::distinct(ctx, job, &mut plan.checks, view, visit, keys, cached) {
            return None;
        }
        let (binpack, offer) = match rank::binpack(
            ctx,
            &plan.ask,
            view,
            index,
            &job.region,
            &mut self.fits,
            &mut self.rng,
        ) {
            Ok(fit) => fit,
            Err(exhausted) => {
                if let Some(dimension) = exhausted {
                    ctx.metrics.exhaust(visit.node_class, dimension);
                }
                return None;
            }
        };
        let mut scores = NodeScores {
            node: index,
            binpack,
            ..NodeScores::default()
        };
        let mut sum = binpack;
        let mut scorers = 1.0;
        let mut add = |score: f64| {
            sum += score;
            scorers += 1.0;
        };
        if pipeline == Pipeline::Generic {
            let anti_affinity = rank::job_anti_affinity(view, index, keys.group_key, plan.count);
            anti_affinity.inspect(|&s| add(s));
            scores.job_anti_affinity = Some(anti_affinity.unwrap_or(0.0));
            let penalized = options.penalty_nodes.contains(&(index as usize));
            if penalized {
                add(-1.0);
            }
            scores.reschedule_penalty = Some(if penalized { -1.0 } else { 0.0 });
            let affinity = plan.affinity.as_mut().map(|a| a.score(view, index, ctx));
            affinity.inspect(|&s| add(s));
            scores.node_affinity = Some(affinity.unwrap_or(0.0));
            if let Some(spread) = &mut plan.spread {
                let total = spread.score(view, index, &mut self.lowest_spread_boost);
                if total != 0.0 {
                    add(total);
                    scores.spread = Some(total);
                }
            }
        }
        scores.normalized = sum / scorers;
        ctx.metrics.score(scores);
        Some(Candidate {
            node: index,
            score: scores.normalized,
            offer,
        })
    }

    fn ranked_node(&self, tg: &TaskGroup, group: usize, best: Candidate) -> RankedNode {
        let plan = &self.groups[group];
        RankedNode {
            node: best.node as usize,
            final_score: best.score,
            resources: match best.offer {
                Some(offer) => Arc::new(rank::allocated_resources(tg, &plan.ask, Some(offer))),
                None => Arc::clone(
                    plan.unreserved
                        .get_or_init(|| Arc::new(rank::allocated_resources(tg, &plan.ask, None))),
                ),
            },
        }
    }

    fn metrics(&self, view: &ClusterView) -> AllocMetric {
        let no_job = Pool::default();
        let pool = self.job.as_ref().map_or(&no_job, |j| &j.pool);
        self.ctx
            .metrics
            .to_alloc_metric(view, &self.ctx.reasons, pool)
    }
}

/// Nomad's `LimitIterator`: returns at most `limit` options, passing over up to [`MAX_SKIP`]
/// options that score at or below [`SKIP_SCORE_THRESHOLD`] while better ones may follow.
#[derive(Debug)]
struct Limit {
    limit: usize,
    seen: usize,
    skipped: Vec<Candidate>,
    skipped_returned: usize,
}

impl Limit {
    fn new(limit: usize) -> Self {
        Self {
            limit,
            seen: 0,
            skipped: Vec::new(),
            skipped_returned: 0,
        }
    }

    fn next(&mut self, source: &mut impl FnMut() -> Option<Candidate>) -> Option<Candidate> {
        if self.seen == self.limit {
            return None;
        }
        let mut option = Some(self.next_option(source)?);
        while self.skipped.len() < MAX_SKIP {
            match option {
                Some(candidate) if candidate.score <= SKIP_SCORE_THRESHOLD => {
                    self.skipped.push(candidate);
                    option = source();
                }
                _ => break,
            }
        }
        self.seen += 1;
        match option {
            Some(candidate) => Some(candidate),
            None => self.next_option(source),
        }
    }

    /// The source's next option, or a passed-over one once the source is exhausted.
    fn next_option(&mut self, source: &mut impl FnMut() -> Option<Candidate>) -> Option<Candidate> {
        let next = source();
        if next.is_none() && self.skipped_returned < self.skipped.len() {
            self.skipped_returned += 1;
            return Some(self.skipped[self.skipped_returned - 1].clone());
        }
        next
    }
}

/// The stack for service and batch jobs (Nomad's `GenericStack`).
///
/// The job's candidate nodes are shuffled once (from the seed) when the job is set, and every
/// `select` continues from where the previous one stopped, ranking up to a limit of feasible
/// nodes: 2 for batch jobs, `max(2, ceil(log2(candidates)))` for service jobs, and at least
/// [`StackConfig::node_limit_for_feasibility_checks`] (or the group's count) when the group has
/// affinities or spreads. The best-scoring node wins.
#[derive(Debug)]
pub struct GenericStack {
    core: Core,
    order: Vec<Visit>,
    cursor: usize,
}

impl GenericStack {
    /// `seed` drives the node shuffle and dynamic port choices: the same seed, view and calls
    /// give the same placements ([`super::shuffle_seed`] derives Nomad's seed from an evaluation).
    pub fn new(config: StackConfig, seed: u64) -> Self {
        Self {
            core: Core::new(config, seed),
            order: Vec::new(),
            cursor: 0,
        }
    }

    /// Reuses the room of an earlier stack's fit scores over the same nodes.
    pub fn reuse_fits(&mut self, spare: SpareFits) {
        self.core.fits.reuse(spare);
    }

    /// The room of this stack's fit scores, for the next stack over the same nodes.
    pub fn into_spare_fits(self) -> SpareFits {
        self.core.fits.into_room()
    }

    /// Sets the job to place (a no-op for the same namespace, ID and version). A version with
    /// other datacenters or node pool gets a fresh shuffle of its candidate nodes. Every view
    /// passed to this stack must be over the same [`super::NodeTable`].
    pub fn set_job(&mut self, view: &ClusterView, job: &Job) {
        if let Some(mut candidates) = self.core.set_job(view, job) {
            self.core.rng.shuffle(&mut candidates);
            self.order = candidates;
            self.cursor = 0;
        }
    }

    /// Picks a node for one allocation of `tg`, or `None` (then [`GenericStack::metrics`] says
    /// why). Also `None` before [`GenericStack::set_job`].
    pub fn select(
        &mut self,
        view: &ClusterView,
        tg: &TaskGroup,
        options: &SelectOptions,
    ) -> Option<RankedNode> {
        self.core.job.as_ref()?;
        let group = self.core.group_index(view, tg);
        if let Some(preferred) = options.preferred_node.filter(|&n| n < view.len()) {
            let preferred = [Visit::new(&view.table, preferred as u32)];
            let mut cursor = 0;
            if let Some(best) = self.run(view, group, &preferred, &mut cursor, options, 2) {
                return Some(self.core.ranked_node(tg, group, best));
            }
        }
        let limit = self.limit(tg, group);
        let order = std::mem::take(&mut self.order);
        let mut cursor = self.cursor;
        let best = self.run(view, group, &order, &mut cursor, options, limit);
        self.order = order;
        self.cursor = cursor;
        best.map(|best| self.core.ranked_node(tg, group, best))
    }

    /// Ranks one node alone, as Nomad does to check an in-place update: remove the allocation
    /// being updated from the view first, so it does not count against itself.
    pub fn select_on(
        &mut self,
        view: &ClusterView,
        tg: &TaskGroup,
        node: usize,
        options: &SelectOptions,
    ) -> Option<RankedNode> {
        if self.core.job.is_none() || node >= view.len() {
            return None;
        }
        let group = self.core.group_index(view, tg);
        let mut cursor = 0;
        let only = [Visit::new(&view.table, node as u32)];
        let best = self.run(view, group, &only, &mut cursor, options, 2)?;
        Some(self.core.ranked_node(tg, group, best))
    }

    /// Nomad's pipeline from the random source to the maximum score.
    fn run(
        &mut self,
        view: &ClusterView,
        group: usize,
        nodes: &[Visit],
        cursor: &mut usize,
        options: &SelectOptions,
        limit: usize,
    ) -> Option<Candidate> {
        let keys = self.core.begin(view, group);
        let core = &mut self.core;
        let mut seen = 0;
        let mut source = || {
            let n = nodes.len();
            loop {
                if *cursor == n || seen == n {
                    if seen == n {
                        return None;
                    }
                    *cursor = 0;
                }
                let visit = nodes[*cursor];
                *cursor += 1;
                seen += 1;
                core.ctx.metrics.nodes_evaluated += 1;
                if core.class_rejected(group, visit) {
                    continue;
                }
                if let Some(candidate) =
                    core.rank(view, group, visit, keys, options, Pipeline::Generic)
                {
                    return Some(candidate);
                }
            }
        };
        let mut limit = Limit::new(limit);
        let mut best: Option<Candidate> = None;
        while let Some(candidate) = limit.next(&mut source) {
            if best.as_ref().is_none_or(|b| candidate.score > b.score) {
                best = Some(candidate);
            }
        }
        best
    }

    fn limit(&self, tg: &TaskGroup, group: usize) -> usize {
        let job = self.core.job.as_ref().expect("limit runs after set_job");
        let plan = &self.core.groups[group];
        if plan.affinity.is_some() || plan.spread.is_some() {
            let count = usize::try_from(tg.count).unwrap_or(0);
            return count.max(self.core.config.node_limit_for_feasibility_checks);
        }
        let n = self.order.len();
        if job.batch || n == 0 {
            return 2;
        }
        (f64::from(n as u32).log2().ceil() as usize).max(2)
    }

    /// What the last `select` saw (Nomad's `AllocMetric`); `AllocationTime` stays 0 since the
    /// stack reads no clock.
    pub fn metrics(&self, view: &ClusterView) -> AllocMetric {
        self.core.metrics(view)
    }

    /// Per computed class, whether the job can run there as far as this evaluation found out
    /// (for a blocked evaluation's `ClassEligibility`).
    pub fn class_eligibility(&self, view: &ClusterView) -> BTreeMap<String, bool> {
        class_eligibility(&self.core, view)
    }

    /// Whether some constraint escaped the class cache (`EscapedComputedClass`).
    pub fn escaped_computed_class(&self) -> bool {
        escaped(&self.core)
    }
}

fn class_eligibility(core: &Core, view: &ClusterView) -> BTreeMap<String, bool> {
    match &core.job {
        Some(job) => merge_eligibility(
            &job.classes,
            core.groups.iter().map(|g| &g.checks.classes),
            &view.table.class_names,
        ),
        None => BTreeMap::new(),
    }
}

fn escaped(core: &Core) -> bool {
    core.job.as_ref().is_some_and(|j| j.classes.escaped)
        || core.groups.iter().any(|g| g.checks.classes.escaped)
}

/// The stack for system and sysbatch jobs (Nomad's `SystemStack`): one node at a time, with
/// feasibility, `distinct_property` and bin packing, and no limit, anti-affinity, affinity,
/// spread or `distinct_hosts`.
#[derive(Debug)]
pub struct SystemStack {
    core: Core,
    nodes: Vec<Visit>,
}

impl SystemStack {
    pub fn new(config: StackConfig, seed: u64) -> Self {
        Self {
            core: Core::new(config, seed),
            nodes: Vec::new(),
        }
    }

    /// Sets the job to place (a no-op for the same namespace, ID and version).
    pub fn set_job(&mut self, view: &ClusterView, job: &Job) {
        if let Some(candidates) = self.core.set_job(view, job) {
            self.nodes = candidates;
        }
    }

    /// The job's ready nodes in its datacenters and node pool, in view order: the nodes a system
    /// job should run on.
    pub fn nodes(&self) -> impl Iterator<Item = usize> + '_ {
        self.nodes.iter().map(|v| v.node as usize)
    }

    /// Whether `tg` can be placed on `node`, and with what; `None` also before
    /// [`SystemStack::set_job`] or for a position outside the view.
    pub fn select(
        &mut self,
        view: &ClusterView,
        tg: &TaskGroup,
        node: usize,
        options: &SelectOptions,
    ) -> Option<RankedNode> {
        if self.core.job.is_none() || node >= view.len() {
            return None;
        }
        let group = self.core.group_index(view, tg);
        let keys = self.core.begin(view, group);
        self.core.ctx.metrics.nodes_evaluated += 1;
        let best = self.core.rank(
            view,
            group,
            Visit::new(&view.table, node as u32),
            keys,
            options,
            Pipeline::System,
        )?;
        Some(self.core.ranked_node(tg, group, best))
    }

    /// What the last `select` saw.
    pub fn metrics(&self, view: &ClusterView) -> AllocMetric {
        self.core.metrics(view)
    }

    /// Per computed class of the nodes looked at so far, whether the job can run there (for a
    /// blocked evaluation's `ClassEligibility`).
    pub fn class_eligibility(&self, view: &ClusterView) -> BTreeMap<String, bool> {
        class_eligibility(&self.core, view)
    }

    /// Whether some constraint escaped the class cache (`EscapedComputedClass`).
    pub fn escaped_computed_class(&self) -> bool {
        escaped(&self.core)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the limit over candidates with these scores; returns the nodes it hands out and how
    /// many candidates it pulled from the source.
    fn limited(limit: usize, scores: &[f64]) -> (Vec<u32>, usize) {
        let mut pulled = 0;
        let mut source = || {
            let score = *scores.get(pulled)?;
            pulled += 1;
            Some(Candidate {
                node: pulled as u32 - 1,
                score,
                offer: None,
            })
        };
        let mut limiter = Limit::new(limit);
        let mut out = Vec::new();
        while let Some(c) = limiter.next(&mut source) {
            out.push(c.node);
        }
        (out, pulled)
    }

    #[test]
    fn limit_passes_over_non_positive_scores_while_better_ones_follow() {
        assert_eq!(limited(2, &[0.5, 0.4, 0.3]), (vec![0, 1], 2));
        // Up to three options at or below zero are passed over...
        assert_eq!(limited(2, &[-0.1, 0.0, 0.4, 0.3, 0.2]), (vec![2, 3], 4));
        // ...but no more than three in all.
        assert_eq!(limited(2, &[-0.1, -0.2, -0.3, -0.4, 0.5]), (vec![3, 4], 5));
        // Passed-over options come back when the source runs dry.
        assert_eq!(limited(3, &[-0.1, 0.5]), (vec![1, 0], 2));
        assert_eq!(limited(1, &[-0.1, -0.2]), (vec![0], 2));
    }
}

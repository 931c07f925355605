//! The generic scheduler for service and batch jobs (Nomad's `GenericScheduler`).
//!
//! An attempt loads the job (and, for service jobs, its latest deployment), reconciles it with
//! its allocations (an in-place candidate is re-ranked alone on its own node), puts the
//! reconciler's stops and updates in the plan, then places: destructive updates first (the
//! allocation they replace is stopped first, so its room counts), new allocations after, one
//! `select` each. Only the first failed placement of a group is tried; later ones coalesce into
//! its metrics. Failed placements leave a blocked evaluation behind.

use std::collections::BTreeMap;
use std::sync::Arc;

use drover_model::allocation::ClientStatus;
use drover_model::{
    AllocDeploymentStatus, Allocation, EvalStatus, Evaluation, Job, SmolStr, TaskGroup, trigger,
};
use drover_state::Snapshot;

use super::allocation::{NewAllocation, updated_in_place};
use super::attempt::{Scheduling, Start, Step, retry_max};
use super::cluster::{NodeTableCache, Stop, rank_in_place, stop_alloc};
use super::evals::{blocked_description, blocked_eval, cannot_handle};
use super::{Plan, PlanResult, Planner, Run, SchedulerContext, SchedulerError};
use crate::annotations::PlanAnnotations;
use crate::feasible::{ClusterView, GenericStack, NodeTable, SelectOptions, StackConfig};
use crate::reconcile::reschedule::new_reschedule_tracker;
use crate::reconcile::{
    AllocNameIndex, DestructiveResult, PlaceResult, ReconcileInput, ReconcileResults, alloc_index,
    reconcile, stopped_allocs_to_mark_lost, tainted_nodes,
};

const MAX_SERVICE_ATTEMPTS: usize = 5;
const MAX_BATCH_ATTEMPTS: usize = 2;

/// The triggers the generic scheduler handles.
const TRIGGERS: [&str; 17] = [
    trigger::JOB_REGISTER,
    trigger::JOB_DEREGISTER,
    trigger::NODE_DRAIN,
    trigger::NODE_UPDATE,
    trigger::ALLOC_STOP,
    trigger::ALLOC_RESCHEDULE,
    trigger::ROLLING_UPDATE,
    trigger::QUEUED_ALLOCS,
    trigger::PERIODIC_JOB,
    trigger::MAX_PLAN_ATTEMPTS,
    trigger::DEPLOYMENT_WATCHER,
    trigger::ALLOC_FAILURE,
    trigger::FAILED_FOLLOW_UP,
    trigger::PREEMPTION,
    trigger::JOB_SCALING,
    trigger::MAX_DISCONNECT_TIMEOUT,
    trigger::RECONNECT,
];

/// What a failed allocation's reschedule tracker says about the last attempt to replace it.
mod last_reschedule {
    pub const OK: &str = "ok";
    pub const NO_PLACEMENT: &str = "no placement";
}

pub(super) fn process(
    run: Run,
    eval: &Evaluation,
    batch: bool,
    snapshot: Snapshot,
    planner: &mut dyn Planner,
    ctx: &mut SchedulerContext<'_>,
) -> Result<Option<PlanResult>, SchedulerError> {
    GenericScheduler {
        s: Scheduling::new(run, eval, snapshot, planner, ctx),
        batch,
        blocked: None,
        next_eval: String::new(),
        placer: None,
    }
    .process()
}

/// The view of the cluster an attempt keeps current and the stack that ranks nodes on it,
/// built when the attempt first stops, updates or places an allocation: an evaluation whose
/// reconcile finds nothing to do (half of those a node failure creates) never counts its job's
/// allocations on the nodes.
#[derive(Debug)]
struct Placer {
    table: Arc<NodeTable>,
    /// Where the view finds every node's store usage kept across evaluations.
    node_tables: NodeTableCache,
    snapshot: Snapshot,
    config: StackConfig,
    seed: u64,
    /// The job to place, unless it is stopped.
    job: Option<Arc<Job>>,
    built: Option<Built>,
}

impl Placer {
    /// Lets go of the snapshot before the plan is submitted (see [`Scheduling::submit`]),
    /// once the view is built: after the submit the view is read for class eligibility only.
    fn release_snapshot(&mut self) {
        if let Some(built) = &mut self.built {
            self.snapshot = Snapshot::default();
            built.view.release_snapshot();
        }
    }

    /// The view and stack, built on first use from the attempt's allocations.
    fn get(&mut self, own: Own<'_>) -> &mut Built {
        self.built.get_or_insert_with(|| {
            let kept = self.node_tables.node_usage(&self.table, &self.snapshot);
            let (states, fits) = self.node_tables.take_spare(&self.table).unzip();
            let table = Arc::clone(&self.table);
            let view = ClusterView::for_job(
                table,
                &self.snapshot,
                own.allocs,
                own.uuids,
                Some(own.nodes),
                kept,
                states,
            );
            let mut stack = GenericStack::new(self.config.clone(), self.seed);
            if let Some(fits) = fits {
                stack.reuse_fits(fits);
            }
            if let Some(job) = &self.job {
                stack.set_job(&view, job);
            }
            Built { view, stack }
        })
    }
}

impl Drop for Placer {
    /// The view's per-node states and the stack's fit scores go back to the cache, for the
    /// next evaluation's.
    fn drop(&mut self) {
        if let Some(built) = self.built.take() {
            self.node_tables
                .keep_spare(&self.table, built.view, built.stack);
        }
    }
}

/// The attempt's allocations, with what is known of each already: its node's position in the
/// table (found by the tainted nodes' search) and its ID as the store keys it.
#[derive(Debug, Clone, Copy, Default)]
struct Own<'a> {
    allocs: &'a [Arc<Allocation>],
    nodes: &'a [Option<u32>],
    uuids: &'a [Option<[u64; 2]>],
}

#[derive(Debug)]
struct Built {
    view: ClusterView,
    stack: GenericStack,
}

impl Built {
    /// Whether `existing` can take the new version of its group where it runs; the updated
    /// allocation is then counted at once and added to `updated`.
    fn update_in_place(
        &mut self,
        existing: &Allocation,
        update: &InPlace<'_>,
        tg: &TaskGroup,
        updated: &mut Vec<Allocation>,
    ) -> bool {
        let job = update.job;
        let options = SelectOptions {
            alloc_name: &existing.name,
            ..SelectOptions::default()
        };
        let stack = &mut self.stack;
        let rank = |view: &ClusterView, node| stack.select_on(view, tg, node, &options);
        let Some(ranked) = rank_in_place(&mut self.view, existing, job, rank) else {
            return false;
        };
        let resources = ranked.resources;
        let alloc = updated_in_place(existing, job, update.eval_id, resources, update.stored);
        self.view.add_alloc(&alloc);
        updated.push(alloc);
        true
    }
}

/// What an in-place update is made with.
#[derive(Debug)]
struct InPlace<'a> {
    job: &'a Arc<Job>,
    eval_id: &'a str,
    /// The plan is stored: a full copy, with the metrics of the original placement.
    stored: bool,
}

/// A placement to make: a destructive update or a reconciler placement.
#[derive(Debug)]
struct Missing {
    name: String,
    task_group: String,
    previous: Option<Arc<Allocation>>,
    /// A destructive update stops the allocation it replaces, with this description.
    stop_previous: Option<String>,
    canary: bool,
    reschedule: bool,
    downgrade: bool,
    min_job_version: u64,
}

impl From<DestructiveResult> for Missing {
    fn from(d: DestructiveResult) -> Self {
        Missing {
            name: d.name,
            task_group: d.task_group,
            previous: Some(d.stop_alloc),
            stop_previous: Some(d.stop_description),
            canary: false,
            reschedule: false,
            downgrade: false,
            min_job_version: 0,
        }
    }
}

impl From<PlaceResult> for Missing {
    fn from(p: PlaceResult) -> Self {
        Missing {
            name: p.name,
            task_group: p.task_group,
            previous: p.previous_alloc,
            stop_previous: None,
            canary: p.canary,
            reschedule: p.reschedule,
            downgrade: p.downgrade_non_canary,
            min_job_version: p.min_job_version,
        }
    }
}

struct GenericScheduler<'a, 'c> {
    s: Scheduling<'a, 'c>,
    batch: bool,
    blocked: Option<Evaluation>,
    next_eval: String,
    /// The last attempt's view and stack, for the class eligibility of blocked evaluations.
    placer: Option<Placer>,
}

impl GenericScheduler<'_, '_> {
    fn process(mut self) -> Result<Option<PlanResult>, SchedulerError> {
        if !TRIGGERS.contains(&self.s.eval.triggered_by.as_str()) {
            self.set_status(EvalStatus::Failed, &cannot_handle(self.s.eval))?;
            return Ok(None);
        }
        let limit = if self.batch {
            MAX_BATCH_ATTEMPTS
        } else {
            MAX_SERVICE_ATTEMPTS
        };
        if !retry_max(limit, || self.attempt())? {
            let blocked = self.create_blocked_eval(true);
            let description = format!("maximum attempts reached ({limit})");
            let status = self.set_status(EvalStatus::Failed, &description);
            blocked.and(status)?;
            return Ok(self.s.result);
        }
        if self.s.eval.status == EvalStatus::Blocked && !self.s.failed.is_empty() {
            // Still blocked: back to the blocked set with what this attempt learned.
            let (classes, escaped) = self.eligibility();
            let mut reblocked = self.s.eval.clone();
            reblocked.class_eligibility = Some(classes);
            reblocked.escaped_computed_class = escaped;
            self.s.planner.reblock_eval(reblocked)?;
        } else {
            self.set_status(EvalStatus::Complete, "")?;
        }
        Ok(self.s.result)
    }

    fn attempt(&mut self) -> Result<Step, SchedulerError> {
        let eval = self.s.eval;
        let Start {
            job,
            allocs,
            uuids,
            mut plan,
            table,
            seed,
        } = self.s.start(!self.batch);
        let mut placer = Placer {
            table,
            node_tables: self.s.ctx.config.node_tables.clone(),
            snapshot: self.s.snapshot.clone(),
            config: self.s.ctx.config.stack.clone(),
            seed,
            job: job.clone().filter(|j| !j.stop),
            built: None,
        };
        let followups =
            self.compute_job_allocs(job.as_ref(), &allocs, &uuids, &mut plan, &mut placer);
        self.placer = Some(placer);

        // An evaluation waiting for delayed reschedules leaves the retry to them.
        let waiting = !followups.is_empty() && self.s.ctx.now <= eval.wait_until;
        if eval.status != EvalStatus::Blocked
            && !self.s.failed.is_empty()
            && self.blocked.is_none()
            && !waiting
        {
            self.create_blocked_eval(false)?;
        }
        if plan.is_no_op() && !eval.annotate_plan {
            return Ok(Step::Done);
        }
        // An evaluation that was itself delayed does not delay again.
        if eval.wait_until == 0 {
            for mut followup in followups {
                followup.previous_eval = eval.id.to_string();
                followup.create_time = self.s.ctx.now;
                followup.modify_time = self.s.ctx.now;
                self.next_eval = followup.id.to_string();
                self.s.planner.create_eval(followup)?;
            }
        }

        if let Some(placer) = &mut self.placer {
            placer.release_snapshot();
        }
        let committed = self.s.submit(plan)?;
        if committed.refreshed {
            // Nothing of this attempt's deployment was necessarily kept: load it again.
            self.s.deployment = None;
            return Ok(Step::Retry {
                progress: committed.progress,
            });
        }
        if !committed.full {
            return Err(SchedulerError::MissingRefresh);
        }
        Ok(Step::Done)
    }

    /// Reconciles the job with its allocations and puts the outcome in the plan; returns the
    /// delayed follow-up evaluations the reconciler asks for.
    fn compute_job_allocs(
        &mut self,
        job: Option<&Arc<Job>>,
        allocs: &[Arc<Allocation>],
        uuids: &[Option<[u64; 2]>],
        plan: &mut Plan,
        placer: &mut Placer,
    ) -> Vec<Evaluation> {
        let eval = self.s.eval;
        let now = self.s.ctx.now;
        let table = &placer.table;
        // The table knows which nodes taint: only their records are read. Each allocation's
        // node position is kept for the view.
        let mut nodes = Vec::with_capacity(allocs.len());
        let tainted = tainted_nodes(allocs, |id| {
            let n = table.node_position(id);
            nodes.push(n);
            let n = n? as usize;
            Some(table.taints(n).then(|| &*table.nodes()[n]))
        });
        let own = Own {
            allocs,
            nodes: &nodes,
            uuids,
        };
        let stored = self.s.run.stored;
        for lost in stopped_allocs_to_mark_lost(allocs, &tainted) {
            let stop = Stop {
                client_status: lost.client_status,
                ..Stop::new(&lost.status_description)
            };
            let view = &mut placer.get(own).view;
            stop_alloc(plan, view, &lost.alloc, stop, stored, now);
        }

        // Room for every allocation at once: growing a vector of large records copies them.
        let mut in_place = Vec::with_capacity(allocs.len());
        let results = {
            let input = ReconcileInput {
                job_id: &eval.job_id,
                job: job.map(|j| &**j),
                batch: self.batch,
                allocs,
                deployment: self.s.deployment.as_ref(),
                tainted_nodes: &tainted,
                eval_id: &eval.id,
                eval_priority: eval.priority,
                now,
            };
            let mut check = |existing: &Allocation, _: &Job, tg: &TaskGroup| {
                job.is_some_and(|job| {
                    let update = InPlace {
                        job,
                        eval_id: &eval.id,
                        stored,
                    };
                    let built = placer.get(own);
                    built.update_in_place(existing, &update, tg, &mut in_place)
                })
            };
            reconcile(&input, &mut check, &mut *self.s.ctx.new_id)
        };
        let ReconcileResults {
            deployment,
            deployment_updates,
            place,
            destructive_update,
            inplace_update,
            stop,
            attribute_updates,
            disconnect_updates,
            reconnect_updates,
            desired_tg_updates,
            desired_followup_evals,
            name_indexes,
        } = results;

        if eval.annotate_plan {
            plan.annotations = Some(PlanAnnotations {
                desired_tg_updates,
                preempted_allocs: None,
            });
        }
        plan.deployment.clone_from(&deployment);
        plan.deployment_updates = deployment_updates;
        if deployment.is_some() {
            self.s.deployment = deployment;
        }
        for s in &stop {
            let how = Stop {
                description: &s.status_description,
                client_status: s.client_status,
                followup_eval_id: &s.followup_eval_id,
            };
            let view = &mut placer.get(own).view;
            stop_alloc(plan, view, &s.alloc, how, stored, now);
        }
        for update in disconnect_updates
            .into_values()
            .chain(reconnect_updates.into_values())
        {
            plan.append_alloc(Arc::unwrap_or_clone(update));
        }
        // The reconciler takes every update the check accepted, in the order it asked.
        debug_assert!(
            in_place
                .iter()
                .map(|a| &a.id)
                .eq(inplace_update.iter().map(|a| &a.id))
        );
        let deployment_id = self.s.deployment.as_ref().map_or("", |d| d.id.as_str());
        for mut updated in in_place {
            if updated.deployment_id != deployment_id {
                updated.deployment_id = deployment_id.into();
                updated.details.edit(|d| d.deployment_status = None);
            }
            plan.append_alloc(updated);
        }
        for update in attribute_updates.into_values() {
            plan.append_alloc(Arc::unwrap_or_clone(update));
        }
        let followups = desired_followup_evals.into_values().flatten().collect();

        let queued = self.s.queued.get_or_insert_default();
        let Some(job) = job.filter(|_| !place.is_empty() || !destructive_update.is_empty()) else {
            for tg in job.iter().flat_map(|j| &j.task_groups) {
                queued.insert(tg.name.to_string(), 0);
            }
            return followups;
        };
        for group in place.iter().map(|p| &p.task_group) {
            *queued.entry(group.clone()).or_default() += 1;
        }
        for group in destructive_update.iter().map(|d| &d.task_group) {
            *queued.entry(group.clone()).or_default() += 1;
        }
        let missing = destructive_update
            .into_iter()
            .map(Missing::from)
            .chain(place.into_iter().map(Missing::from));
        let mut name_indexes = name_indexes;
        let built = placer.get(own);
        for m in missing {
            self.place(job, plan, built, m, &mut name_indexes);
        }
        followups
    }

    /// Finds a node for one missing allocation and adds it to the plan, or records the failure.
    fn place(
        &mut self,
        job: &Arc<Job>,
        plan: &mut Plan,
        built: &mut Built,
        missing: Missing,
        name_indexes: &mut BTreeMap<String, AllocNameIndex>,
    ) {
        let now = self.s.ctx.now;
        let downgraded = if missing.downgrade {
            self.downgraded_job(job, &missing)
        } else {
            None
        };
        let active = self.s.deployment.as_ref().filter(|d| d.active());
        let (place_job, deployment_id) = match &downgraded {
            Some((id, older)) => (older, Some(id)),
            None => (job, active.map(|d| &d.id)),
        };
        let Some(tg) = place_job.lookup_task_group(&missing.task_group) else {
            return;
        };
        if let Some(metric) = self.s.failed.get_mut(tg.name.as_str()) {
            metric.exhaustion_mut().coalesced_failures += 1;
            return;
        }

        if downgraded.is_some() {
            built.stack.set_job(&built.view, place_job);
        }
        let preferred = preferred_node(&built.view, &missing, tg, job);
        let previous = missing.previous.as_deref();
        if let (Some(prev), Some(description)) = (previous, &missing.stop_previous) {
            let stored = self.s.run.stored;
            stop_alloc(
                plan,
                &mut built.view,
                prev,
                Stop::new(description),
                stored,
                now,
            );
        }
        let penalty = penalty_nodes(&built.view, previous);
        let options = SelectOptions {
            penalty_nodes: &penalty,
            preferred_node: preferred,
            alloc_name: &missing.name,
        };
        let ranked = built.stack.select(&built.view, tg, &options);
        let recorded = ranked.is_none() || self.s.run.stored;
        let metrics = recorded.then(|| built.stack.metrics(&built.view));
        if downgraded.is_some() {
            built.stack.set_job(&built.view, job);
        }

        let Some(ranked) = ranked else {
            self.s
                .failed
                .insert(tg.name.to_string(), metrics.unwrap_or_default());
            if let (Some(prev), Some(_)) = (previous, &missing.stop_previous) {
                plan.remove_update(&prev.node_id, &prev.id);
                built.view.add_alloc(prev);
            }
            if let Some(prev) = previous.filter(|_| missing.reschedule) {
                failed_to_reschedule(plan, prev);
            }
            return;
        };

        let mut name = missing.name;
        if let Some(names) = name_indexes.get_mut(tg.name.as_str()) {
            let index = alloc_index(&name, &job.id, &tg.name);
            if names.is_duplicate(index) {
                name = names.next(1).pop().unwrap_or(name);
                names.unset_index(index);
            }
        }
        let mut alloc = NewAllocation {
            id: (self.s.ctx.new_id)(),
            eval: self.s.eval,
            job: place_job,
            task_group: &tg.name,
            name,
            node: built.view.node(ranked.node),
            resources: ranked.resources,
            metrics,
            deployment_id,
            now,
        }
        .build();
        if let Some(prev) = previous {
            alloc.details_mut().previous_allocation = prev.id.clone();
            if missing.reschedule {
                alloc.details_mut().reschedule_tracker =
                    Some(Box::new(new_reschedule_tracker(prev, now)));
                if let Some(planned) = plan.planned_mut(&prev.node_id, &prev.id) {
                    annotate_reschedule(planned, last_reschedule::OK);
                }
            }
        }
        if missing.canary && self.s.deployment.is_some() {
            alloc.details_mut().deployment_status = Some(Box::new(AllocDeploymentStatus {
                canary: true,
                ..AllocDeploymentStatus::default()
            }));
        }
        built.view.add_alloc(&alloc);
        plan.append_alloc(alloc);
    }

    /// The job version a non-canary placement keeps while canaries are unpromoted: the
    /// version of the newest deployment whose group was promoted or had no canaries, else the
    /// version being replaced if it had no update strategy. With that deployment's ID.
    fn downgraded_job(&self, job: &Job, missing: &Missing) -> Option<(SmolStr, Arc<Job>)> {
        let (ns, id) = (&job.namespace, &job.id);
        let mut deployments = self.s.snapshot.deployments_by_job(ns, id, false);
        deployments.sort_by_key(|d| std::cmp::Reverse(d.job_version));
        let settled = deployments.iter().find(|d| {
            let state = d.task_groups.get(&missing.task_group);
            state.is_some_and(|s| s.promoted || s.desired_canaries == 0)
        });
        let (deployment_id, older) = match settled {
            Some(d) => (
                d.id.clone(),
                self.s.snapshot.job_version(ns, id, d.job_version)?,
            ),
            None => {
                let older = self
                    .s
                    .snapshot
                    .job_version(ns, id, missing.min_job_version)?;
                let rolling = older.update.as_ref().and_then(|u| u.max_parallel);
                if rolling.unwrap_or(0) != 0 {
                    return None;
                }
                (SmolStr::default(), older)
            }
        };
        let usable = older.version >= missing.min_job_version
            && older.lookup_task_group(&missing.task_group).is_some();
        usable.then_some((deployment_id, older))
    }

    /// Computed classes the job can or cannot run on, and whether a constraint escaped them.
    /// They depend on the nodes and the job, not on allocations: a view the last attempt did
    /// not need is built without them.
    fn eligibility(&mut self) -> (BTreeMap<String, bool>, bool) {
        match &mut self.placer {
            Some(p) => {
                let Built { view, stack } = p.get(Own::default());
                (
                    stack.class_eligibility(view),
                    stack.escaped_computed_class(),
                )
            }
            None => (BTreeMap::new(), false),
        }
    }

    fn create_blocked_eval(&mut self, plan_failure: bool) -> Result<(), SchedulerError> {
        let (classes, escaped) = self.eligibility();
        let id = (self.s.ctx.new_id)();
        let classes = (!escaped).then_some(classes);
        let mut blocked = blocked_eval(
            self.s.eval,
            id,
            classes,
            escaped,
            &self.s.failed,
            self.s.ctx.now,
        );
        if plan_failure {
            blocked.triggered_by = trigger::MAX_PLAN_ATTEMPTS.to_string();
            blocked.status_description = blocked_description::MAX_PLAN_ATTEMPTS.to_string();
        } else {
            blocked.status_description = blocked_description::FAILED_PLACEMENTS.to_string();
        }
        self.s.planner.create_eval(blocked.clone())?;
        self.blocked = Some(blocked);
        Ok(())
    }

    fn set_status(&mut self, status: EvalStatus, description: &str) -> Result<(), SchedulerError> {
        let (blocked, next_eval) = (self.blocked.as_ref(), &self.next_eval);
        self.s.set_status(status, description, blocked, next_eval)
    }
}

/// The node of the allocation being replaced, tried first when the group's ephemeral disk is
/// sticky or migrates, the job still places on the same datacenters and pool, and the node is
/// ready.
fn preferred_node(
    view: &ClusterView,
    missing: &Missing,
    tg: &TaskGroup,
    job: &Job,
) -> Option<usize> {
    let prev = missing.previous.as_ref()?;
    let prev_job = prev.job.as_ref()?;
    if prev_job.node_pool != job.node_pool || prev_job.datacenters != job.datacenters {
        return None;
    }
    let disk = tg.ephemeral_disk.as_ref()?;
    if !disk.sticky && !disk.migrate {
        return None;
    }
    let node = view.node_position(&prev.node_id)?;
    view.node(node).is_schedulable().then_some(node)
}

/// The nodes a replacement is penalized on: where the allocation failed, and where the
/// allocations it replaced failed before.
fn penalty_nodes(view: &ClusterView, previous: Option<&Allocation>) -> Vec<usize> {
    let Some(prev) = previous else {
        return Vec::new();
    };
    let failed_on = (prev.client_status == ClientStatus::Failed).then_some(&prev.node_id);
    let earlier = prev
        .details()
        .reschedule_tracker
        .iter()
        .flat_map(|t| &t.events);
    let mut nodes: Vec<usize> = failed_on
        .into_iter()
        .chain(earlier.map(|e| &e.prev_node_id))
        .filter_map(|id| view.node_position(id))
        .collect();
    nodes.sort_unstable();
    nodes.dedup();
    nodes
}

fn annotate_reschedule(alloc: &mut Allocation, note: &str) {
    let tracker = alloc
        .details_mut()
        .reschedule_tracker
        .get_or_insert_with(Box::default);
    tracker.last_reschedule = note.to_string();
}

/// A failed allocation whose replacement found no place: not stopped after all, but marked,
/// so that the blocked evaluation reschedules it later with its history intact.
fn failed_to_reschedule(plan: &mut Plan, prev: &Allocation) {
    plan.remove_update(&prev.node_id, &prev.id);
    let mut marked = prev.clone();
    annotate_reschedule(&mut marked, last_reschedule::NO_PLACEMENT);
    match plan.planned_mut(&prev.node_id, &prev.id) {
        Some(planned) => *planned = marked,
        // Marked by an earlier attempt already: writing it again would change nothing, yet
        // the commit would count as progress, and the attempts would never end while another
        // part of the plan is refused.
        None if marked == *prev => {}
        None => plan.append_alloc(marked),
    }
}

//! The node schedulers for system and sysbatch jobs (Nomad's `SystemScheduler` and
//! `SysBatchScheduler`): one allocation of each group on every ready node of the job's
//! datacenters and pool that passes feasibility.
//!
//! An attempt reconciles node by node, stops what no longer belongs, tries updates in place on
//! their own node, stops and re-places the rest within `max_parallel`, then ranks each missing
//! allocation on its node alone. A node filtered by constraints is not a failure (the group just
//! does not run there); running out of resources is, and leaves a blocked evaluation tied to
//! that node. System jobs (not sysbatch) also keep a deployment: its desired total is the
//! number of nodes the group could be placed on, and canaries are a percentage of the updates.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use drover_model::allocation::ClientStatus;
use drover_model::deployment::{deployment_description, deployment_status};
use drover_model::{
    AllocDeploymentStatus, AllocMetric, Allocation, Deployment, EvalStatus, Evaluation, Job,
    TaskGroup, trigger,
};
use drover_state::{DeploymentStatusUpdate, Snapshot};

use super::allocation::{NewAllocation, copy_of, updated_in_place};
use super::attempt::{Scheduling, Start, Step, retry_max};
use super::cluster::{Stop, in_pool, rank_in_place, stop_alloc};
use super::evals::{blocked_description, blocked_eval, cannot_handle};
use super::{Plan, PlanResult, Planner, Run, SchedulerContext, SchedulerError};
use crate::annotations::{DesiredUpdates, PlanAnnotations};
use crate::feasible::{ClusterView, SelectOptions, SystemStack};
use crate::reconcile::{
    AllocExt, NodeAllocTuple, NodeReconcileInput, reconcile_nodes, status_description,
    stopped_allocs_to_mark_lost, tainted_nodes, tasks_updated,
};

const MAX_SYSTEM_ATTEMPTS: usize = 5;
const MAX_SYSBATCH_ATTEMPTS: usize = 2;

/// The triggers both node schedulers handle; sysbatch also handles `periodic-job`.
const TRIGGERS: [&str; 12] = [
    trigger::JOB_REGISTER,
    trigger::NODE_UPDATE,
    trigger::FAILED_FOLLOW_UP,
    trigger::JOB_DEREGISTER,
    trigger::ROLLING_UPDATE,
    trigger::PREEMPTION,
    trigger::DEPLOYMENT_WATCHER,
    trigger::NODE_DRAIN,
    trigger::ALLOC_STOP,
    trigger::QUEUED_ALLOCS,
    trigger::JOB_SCALING,
    trigger::RECONNECT,
];

pub(super) fn process(
    run: Run,
    eval: &Evaluation,
    sysbatch: bool,
    snapshot: Snapshot,
    planner: &mut dyn Planner,
    ctx: &mut SchedulerContext<'_>,
) -> Result<Option<PlanResult>, SchedulerError> {
    NodeScheduler {
        s: Scheduling::new(run, eval, snapshot, planner, ctx),
        sysbatch,
    }
    .process()
}

struct NodeScheduler<'a, 'c> {
    s: Scheduling<'a, 'c>,
    sysbatch: bool,
}

/// One attempt's working state.
struct Attempt<'j> {
    job: &'j Arc<Job>,
    view: ClusterView,
    stack: SystemStack,
    plan: Plan,
    /// Ready nodes in the job's datacenters and pool: where every group should run.
    eligible: BTreeSet<String>,
    /// Nodes of the job's pool that are not ready.
    not_ready: BTreeSet<String>,
    desired: BTreeMap<String, DesiredUpdates>,
    /// Per group: nodes the group runs or could run on, updates that need new allocations,
    /// canaries already running (system deployments).
    candidates: BTreeMap<String, i64>,
    destructive: BTreeMap<String, i64>,
    canaries: BTreeMap<String, i64>,
    /// Groups that keep allocations somewhere (ignored or updated in place).
    existing: HashSet<String>,
    /// Per group, the filtering counts of the nodes it was filtered on.
    filtered: BTreeMap<String, AllocMetric>,
    /// The plan is stored: allocations updated in place record the metrics of their node's
    /// ranking, and copies are full (see `Run::stored`).
    stored: bool,
}

impl NodeScheduler<'_, '_> {
    fn process(mut self) -> Result<Option<PlanResult>, SchedulerError> {
        let handled = TRIGGERS.contains(&self.s.eval.triggered_by.as_str())
            || (self.sysbatch && self.s.eval.triggered_by == trigger::PERIODIC_JOB);
        if !handled {
            self.set_status(EvalStatus::Failed, &cannot_handle(self.s.eval))?;
            return Ok(None);
        }
        let limit = if self.sysbatch {
            MAX_SYSBATCH_ATTEMPTS
        } else {
            MAX_SYSTEM_ATTEMPTS
        };
        if !retry_max(limit, || self.attempt())? {
            let description = format!("maximum attempts reached ({limit})");
            self.set_status(EvalStatus::Failed, &description)?;
        } else {
            self.set_status(EvalStatus::Complete, "")?;
        }
        Ok(self.s.result)
    }

    fn attempt(&mut self) -> Result<Step, SchedulerError> {
        let Start {
            job,
            allocs,
            uuids,
            plan,
            table,
            seed,
        } = self.s.start(!self.sysbatch);
        let config = &self.s.ctx.config;
        let kept = config.node_tables.node_usage(&table, &self.s.snapshot);
        let snapshot = &self.s.snapshot;
        let view = ClusterView::for_job(table, snapshot, &allocs, &uuids, None, kept, None);
        let stack = SystemStack::new(config.stack.clone(), seed);
        let plan = match job.as_ref() {
            Some(job) => {
                let stored = self.s.run.stored;
                let mut attempt = Attempt::new(job, view, stack, plan, stored);
                self.compute_job_allocs(&mut attempt, &allocs);
                attempt.plan
            }
            None => self.stop_purged(plan, &allocs),
        };
        if plan.is_no_op() && !self.s.eval.annotate_plan {
            return Ok(Step::Done);
        }
        let committed = self.s.submit(plan)?;
        Ok(if committed.full && !committed.refreshed {
            Step::Done
        } else {
            Step::Retry {
                progress: committed.progress,
            }
        })
    }

    /// A purged job: everything of it stops.
    fn stop_purged(&mut self, mut plan: Plan, allocs: &[Arc<Allocation>]) -> Plan {
        let eval = self.s.eval;
        let now = self.s.ctx.now;
        let stored = self.s.run.stored;
        let tainted = tainted_nodes(allocs, |id| self.s.snapshot.node(id).map(Some));
        for lost in stopped_allocs_to_mark_lost(allocs, &tainted) {
            let description = &lost.status_description;
            let copy = copy_of(&lost.alloc, stored, None);
            plan.append_stopped_alloc(copy, description, lost.client_status, "", now);
        }
        let (eligible, not_ready) = (BTreeSet::new(), BTreeSet::new());
        let input = NodeReconcileInput {
            job: None,
            eligible_nodes: &eligible,
            not_ready_nodes: &not_ready,
            tainted_nodes: &tainted,
            allocs,
            deployment: self.s.deployment.as_ref(),
            now,
        };
        let results = reconcile_nodes(&input, &mut *self.s.ctx.new_id);
        let mut desired: BTreeMap<String, DesiredUpdates> = BTreeMap::new();
        for t in &results.stop {
            if let Some(alloc) = &t.alloc {
                let copy = copy_of(alloc, stored, None);
                plan.append_stopped_alloc(
                    copy,
                    status_description::NOT_NEEDED,
                    ClientStatus::Unset,
                    "",
                    now,
                );
                desired.entry(t.task_group.clone()).or_default().stop += 1;
            }
        }
        if !self.sysbatch {
            self.s.deployment = results.deployment;
            plan.deployment.clone_from(&self.s.deployment);
            plan.deployment_updates = results.deployment_updates;
        }
        if eval.annotate_plan {
            plan.annotations = Some(PlanAnnotations {
                desired_tg_updates: desired,
                preempted_allocs: None,
            });
        }
        plan
    }

    fn compute_job_allocs(&mut self, a: &mut Attempt<'_>, allocs: &[Arc<Allocation>]) {
        let eval = self.s.eval;
        let now = self.s.ctx.now;
        let job = a.job;
        let view = &a.view;
        let tainted = tainted_nodes(allocs, |id| {
            view.node_position(id).map(|n| Some(&**view.node(n)))
        });
        for lost in stopped_allocs_to_mark_lost(allocs, &tainted) {
            a.stop(
                &lost.alloc,
                &lost.status_description,
                lost.client_status,
                now,
            );
        }
        let input = NodeReconcileInput {
            job: Some(job),
            eligible_nodes: &a.eligible,
            not_ready_nodes: &a.not_ready,
            tainted_nodes: &tainted,
            allocs,
            deployment: self.s.deployment.as_ref(),
            now,
        };
        let mut results = reconcile_nodes(&input, &mut *self.s.ctx.new_id);
        if !self.sysbatch {
            self.s.deployment = results.deployment.take();
        }

        for (tuples, description, client) in [
            (
                &results.stop,
                status_description::NOT_NEEDED,
                ClientStatus::Unset,
            ),
            (
                &results.migrate,
                status_description::NODE_TAINTED,
                ClientStatus::Unset,
            ),
            (&results.lost, status_description::LOST, ClientStatus::Lost),
        ] {
            for alloc in tuples.iter().filter_map(|t| t.alloc.as_deref()) {
                a.stop(alloc, description, client, now);
            }
        }
        for alloc in results
            .disconnecting
            .iter()
            .filter_map(|t| t.alloc.as_deref())
        {
            a.plan.append_alloc(alloc.clone());
        }

        let updates = std::mem::take(&mut results.update)
            .into_iter()
            .chain(std::mem::take(&mut results.reconnecting));
        let deployment_id = self.s.deployment.as_ref().map_or("", |d| d.id.as_str());
        let (destructive, in_place) = a.update_in_place(updates, &eval.id, deployment_id);

        let count = |desired: &mut BTreeMap<String, DesiredUpdates>,
                     tuples: &[NodeAllocTuple],
                     bump: fn(&mut DesiredUpdates)| {
            for t in tuples {
                bump(desired.entry(t.task_group.clone()).or_default());
            }
        };
        count(&mut a.desired, &results.stop, |d| d.stop += 1);
        count(&mut a.desired, &results.place, |d| d.place += 1);
        count(&mut a.desired, &results.ignore, |d| d.ignore += 1);
        count(&mut a.desired, &results.migrate, |d| d.migrate += 1);
        count(&mut a.desired, &in_place, |d| d.in_place_update += 1);
        count(&mut a.desired, &destructive, |d| d.destructive_update += 1);
        count(&mut a.desired, &results.disconnecting, |d| {
            d.disconnect += 1
        });
        count(&mut a.desired, &results.reconnecting, |d| d.reconnect += 1);

        let bump = |m: &mut BTreeMap<String, i64>, group: &str| {
            *m.entry(group.to_string()).or_default() += 1;
        };
        for t in results.place.iter().chain(&in_place).chain(&results.ignore) {
            bump(&mut a.candidates, &t.task_group);
        }
        for t in &destructive {
            bump(&mut a.candidates, &t.task_group);
            bump(&mut a.destructive, &t.task_group);
        }
        for t in results.ignore.iter().filter(|t| is_canary(t)) {
            bump(&mut a.canaries, &t.task_group);
        }
        for t in in_place.iter().chain(&results.ignore) {
            a.existing.insert(t.task_group.clone());
        }

        let mut place = results.place;
        self.evict_and_place(a, destructive, &results.ignore, &mut place);

        let queued = self.s.queued.get_or_insert_default();
        for tg in job.task_groups.iter().filter(|_| !job.stop) {
            queued.insert(tg.name.to_string(), 0);
        }
        for t in &place {
            *queued.entry(t.task_group.clone()).or_default() += 1;
        }
        for t in &place {
            self.place(a, t);
        }

        if !self.sysbatch {
            for (group, &n) in &a.candidates {
                a.desired.entry(group.clone()).or_default().place = n.max(0) as u64;
            }
            self.update_deployment(a, &place, &results.ignore, results.deployment_updates);
        }
        if eval.annotate_plan {
            a.plan.annotations = Some(PlanAnnotations {
                desired_tg_updates: std::mem::take(&mut a.desired),
                preempted_allocs: None,
            });
        }
    }

    /// Stops the allocations that need new ones, group by group within `max_parallel`, and
    /// queues their replacements. In a system deployment, allocations placed by it that are
    /// not healthy yet take from the limit.
    fn evict_and_place(
        &self,
        a: &mut Attempt<'_>,
        destructive: Vec<NodeAllocTuple>,
        ignore: &[NodeAllocTuple],
        place: &mut Vec<NodeAllocTuple>,
    ) {
        let job = a.job;
        let job_limit = match job.update.as_ref().and_then(|u| u.max_parallel) {
            Some(n) if n > 0 => n,
            _ => destructive.len() as i64,
        };
        let mut limits: BTreeMap<&str, i64> = job
            .task_groups
            .iter()
            .map(|tg| {
                let own = tg.update.as_ref().and_then(|u| u.max_parallel);
                (
                    tg.name.as_str(),
                    own.filter(|n| *n > 0).unwrap_or(job_limit),
                )
            })
            .collect();
        if let Some(d) = &self.s.deployment {
            for alloc in ignore.iter().filter_map(|t| t.alloc.as_deref()) {
                if alloc.deployment_id == d.id
                    && !alloc.is_unhealthy()
                    && !alloc.is_healthy()
                    && let Some(limit) = limits.get_mut(alloc.task_group.as_str())
                {
                    *limit -= 1;
                }
            }
        }
        for t in destructive {
            let Some(alloc) = t.alloc.as_deref() else {
                continue;
            };
            let Some(limit) = limits
                .get_mut(alloc.task_group.as_str())
                .filter(|l| **l > 0)
            else {
                continue;
            };
            // Canaries are limited later, once the feasible nodes are known.
            if !t.canary {
                *limit -= 1;
            }
            a.stop(
                alloc,
                status_description::UPDATING,
                ClientStatus::Unset,
                self.s.ctx.now,
            );
            place.push(t);
        }
    }

    /// Ranks one missing allocation on its node and places it, or records why not.
    fn place(&mut self, a: &mut Attempt<'_>, missing: &NodeAllocTuple) {
        let group = &missing.task_group;
        let Some(node) = a
            .view
            .node_position(&missing.node_id)
            .filter(|_| a.eligible.contains(&missing.node_id))
        else {
            return;
        };
        let Some(tg) = a.job.lookup_task_group(group) else {
            return;
        };
        let options = SelectOptions {
            alloc_name: &missing.name,
            ..SelectOptions::default()
        };
        let Some(ranked) = a.stack.select(&a.view, tg, node, &options) else {
            let metrics = a.stack.metrics(&a.view);
            self.placement_failed(a, missing, tg, node, metrics);
            return;
        };
        let metrics = self.s.run.stored.then(|| a.stack.metrics(&a.view));
        let active = self.s.deployment.as_ref().filter(|d| d.active());
        let mut alloc = NewAllocation {
            id: (self.s.ctx.new_id)(),
            eval: self.s.eval,
            job: a.job,
            task_group: group,
            name: missing.name.clone(),
            node: a.view.node(ranked.node),
            resources: ranked.resources,
            metrics,
            deployment_id: active.map(|d| &d.id),
            now: self.s.ctx.now,
        }
        .build();
        if let Some(prev) = &missing.alloc {
            alloc.details_mut().previous_allocation = prev.id.clone();
        }
        if missing.canary && self.s.deployment.is_some() {
            alloc.details_mut().deployment_status = Some(Box::new(AllocDeploymentStatus {
                canary: true,
                ..AllocDeploymentStatus::default()
            }));
        }
        a.view.add_alloc(&alloc);
        a.plan.append_alloc(alloc);
    }

    fn placement_failed(
        &mut self,
        a: &mut Attempt<'_>,
        missing: &NodeAllocTuple,
        tg: &TaskGroup,
        node: usize,
        metrics: AllocMetric,
    ) {
        let group = tg.name.as_str();
        if !self.sysbatch {
            *a.candidates.entry(group.to_string()).or_default() -= 1;
            if missing.alloc.is_some() {
                *a.destructive.entry(group.to_string()).or_default() -= 1;
            }
        }
        if metrics.nodes_filtered > 0 {
            // The group just does not run there; only when it runs nowhere is that a failure.
            let queued = self.s.queued.get_or_insert_default();
            let left = queued.entry(group.to_string()).or_default();
            *left = left.saturating_sub(1);
            let nowhere = *left == 0 && !a.existing.contains(group);
            let merged = match a.filtered.get_mut(group) {
                Some(merged) => {
                    merge_filtered(merged, &metrics);
                    merged
                }
                None => a.filtered.entry(group.to_string()).or_insert(metrics),
            };
            if nowhere {
                self.s.failed.insert(group.to_string(), merged.clone());
            }
            if self.sysbatch {
                let desired = a.desired.entry(group.to_string()).or_default();
                desired.place = desired.place.saturating_sub(1);
            }
            return;
        }
        if let Some(metric) = self.s.failed.get_mut(group) {
            metric.exhaustion_mut().coalesced_failures += 1;
            return;
        }
        self.s.failed.insert(group.to_string(), metrics);
        // Only the classes of the nodes looked at so far, as Nomad records them.
        let escaped = a.stack.escaped_computed_class();
        let classes = (!escaped).then(|| a.stack.class_eligibility(&a.view));
        let mut blocked = blocked_eval(
            self.s.eval,
            (self.s.ctx.new_id)(),
            classes,
            escaped,
            &self.s.failed,
            self.s.ctx.now,
        );
        blocked.status_description = blocked_description::FAILED_PLACEMENTS.to_string();
        blocked.node_id = a.view.node(node).id.to_string();
        // A failure to create it is not fatal: the node's next update evaluates the job again.
        let _ = self.s.planner.create_eval(blocked);
    }

    /// Completes a system deployment now that the feasible nodes are known: each group's
    /// desired total is the nodes it could be placed on, canaries are the group's percentage
    /// of its updates (at most `max_parallel`), and the deployment succeeds once every group
    /// is healthy.
    fn update_deployment(
        &mut self,
        a: &mut Attempt<'_>,
        place: &[NodeAllocTuple],
        ignore: &[NodeAllocTuple],
        mut updates: Vec<DeploymentStatusUpdate>,
    ) {
        let Some(mut d) = self.s.deployment.take() else {
            a.plan.deployment_updates = updates;
            return;
        };
        let job = a.job;
        let mut complete = true;
        for tg in &job.task_groups {
            let candidates = a.candidates.get(tg.name.as_str()).copied().unwrap_or(0);
            if candidates < 1 {
                // Placed nowhere: a finished deployment forgets the group.
                if d.status == deployment_status::SUCCESSFUL {
                    d.task_groups.remove(tg.name.as_str());
                }
                continue;
            }
            let Some(state) = d.task_groups.get_mut(tg.name.as_str()) else {
                continue;
            };
            let update = tg.update.as_ref();
            let max_parallel = update.and_then(|u| u.max_parallel).unwrap_or(0);
            let canary = update.and_then(|u| u.canary).unwrap_or(0);
            let destructive = a.destructive.get(tg.name.as_str()).copied().unwrap_or(0);
            let canarying = max_parallel > 0
                && canary > 0
                && !state.promoted
                && job.version != 0
                && destructive > 0;
            state.desired_total = candidates;
            if canarying {
                let updating = destructive + a.canaries.get(tg.name.as_str()).copied().unwrap_or(0);
                let required = (canary * updating + 99) / 100;
                let required = required.min(max_parallel);
                state.desired_canaries = required;
                let placed = a.keep_canaries(required, &tg.name, place, ignore);
                a.desired.entry(tg.name.to_string()).or_default().canary = placed.len() as u64;
                state.placed_canaries = placed;
            }
            complete &= !canarying && state.healthy_allocs >= state.desired_total;
        }
        if d.task_groups.is_empty() {
            return;
        }
        updates.extend(status_updates(&mut d, complete, job));
        a.plan.deployment = Some(d.clone());
        a.plan.deployment_updates = updates;
        self.s.deployment = Some(d);
    }

    fn set_status(&mut self, status: EvalStatus, description: &str) -> Result<(), SchedulerError> {
        self.s.set_status(status, description, None, "")
    }
}

impl<'j> Attempt<'j> {
    fn new(
        job: &'j Arc<Job>,
        view: ClusterView,
        mut stack: SystemStack,
        plan: Plan,
        stored: bool,
    ) -> Self {
        let live = !job.stop;
        if live {
            stack.set_job(&view, job);
        }
        let eligible = stack.nodes().map(|n| view.node(n).id.to_string()).collect();
        let not_ready = view
            .nodes()
            .iter()
            .filter(|n| live && !n.is_schedulable() && in_pool(n, job))
            .map(|n| n.id.to_string())
            .collect();
        Attempt {
            job,
            view,
            stack,
            plan,
            eligible,
            not_ready,
            desired: BTreeMap::new(),
            candidates: BTreeMap::new(),
            destructive: BTreeMap::new(),
            canaries: BTreeMap::new(),
            existing: HashSet::new(),
            filtered: BTreeMap::new(),
            stored,
        }
    }

    fn stop(
        &mut self,
        alloc: &Allocation,
        description: &str,
        client_status: ClientStatus,
        now: i64,
    ) {
        let stop = Stop {
            client_status,
            ..Stop::new(description)
        };
        stop_alloc(
            &mut self.plan,
            &mut self.view,
            alloc,
            stop,
            self.stored,
            now,
        );
    }

    /// Splits updates into those that need new allocations and those done in place (added to
    /// the plan with the metrics of their node's ranking, in the current deployment).
    fn update_in_place(
        &mut self,
        updates: impl Iterator<Item = NodeAllocTuple>,
        eval_id: &str,
        deployment_id: &str,
    ) -> (Vec<NodeAllocTuple>, Vec<NodeAllocTuple>) {
        let (mut destructive, mut in_place) = (Vec::new(), Vec::new());
        for t in updates {
            let done = t.alloc.as_deref().is_some_and(|alloc| {
                self.try_in_place(alloc, &t.task_group, eval_id, deployment_id)
            });
            if done {
                in_place.push(t);
            } else {
                destructive.push(t);
            }
        }
        (destructive, in_place)
    }

    fn try_in_place(
        &mut self,
        alloc: &Allocation,
        group: &str,
        eval_id: &str,
        deployment_id: &str,
    ) -> bool {
        let job = self.job;
        let Some(tg) = job.lookup_task_group(group) else {
            return false;
        };
        if alloc
            .job
            .as_ref()
            .is_none_or(|own| tasks_updated(job, own, group))
        {
            return false;
        }
        // Finished work stays as it is.
        if alloc.terminal() {
            return true;
        }
        let options = SelectOptions {
            alloc_name: &alloc.name,
            ..SelectOptions::default()
        };
        let stack = &mut self.stack;
        let rank = |view: &ClusterView, node| stack.select(view, tg, node, &options);
        let Some(ranked) = rank_in_place(&mut self.view, alloc, job, rank) else {
            return false;
        };
        let mut updated = updated_in_place(alloc, job, eval_id, ranked.resources, self.stored);
        updated.metrics = self
            .stored
            .then(|| Arc::new(self.stack.metrics(&self.view)));
        updated.deployment_id = deployment_id.into();
        updated.details.edit(|d| d.deployment_status = None);
        self.view.add_alloc(&updated);
        self.plan.append_alloc(updated);
        true
    }

    /// Keeps `required` canaries of `group` among the placed ones (replacements of failed
    /// canaries first, then canaries already running, then placements in node order) and
    /// takes the others out of the plan with the stops of the allocations they replaced.
    /// Returns the canaries kept.
    fn keep_canaries(
        &mut self,
        required: i64,
        group: &str,
        place: &[NodeAllocTuple],
        ignore: &[NodeAllocTuple],
    ) -> Vec<String> {
        if required == 0 {
            return Vec::new();
        }
        let failed: HashSet<&str> = place
            .iter()
            .filter(|t| is_canary(t))
            .filter_map(|t| t.alloc.as_deref())
            .map(|a| a.id.as_str())
            .collect();
        let preferred: HashSet<String> = self
            .plan
            .node_allocation
            .values()
            .flatten()
            .filter(|a| failed.contains(a.details().previous_allocation.as_str()))
            .map(|a| a.id.to_string())
            .collect();
        let mut left = required - preferred.len() as i64;
        let mut kept: Vec<String> = ignore
            .iter()
            .filter(|t| t.task_group == group && is_canary(t))
            .filter_map(|t| t.alloc.as_ref().map(|a| a.id.to_string()))
            .collect();
        left -= kept.len() as i64;

        let not_ready = &self.not_ready;
        let mut unplaced = Vec::new();
        for allocs in self.plan.node_allocation.values_mut() {
            allocs.retain(|a| {
                if a.task_group != group || !a.is_canary() {
                    return true;
                }
                if not_ready.contains(a.node_id.as_str()) {
                    return false;
                }
                if left > 0 || preferred.contains(a.id.as_str()) {
                    left -= 1;
                    kept.push(a.id.to_string());
                    return true;
                }
                unplaced.push((a.node_id.clone(), a.details().previous_allocation.clone()));
                false
            });
        }
        self.plan
            .node_allocation
            .retain(|_, allocs| !allocs.is_empty());
        for (node_id, previous) in unplaced {
            self.plan.remove_update(&node_id, &previous);
        }
        kept
    }
}

fn is_canary(t: &NodeAllocTuple) -> bool {
    t.alloc.as_ref().is_some_and(|a| a.is_canary())
}

/// Nomad's `mergeNodeFiltered`: the filtering counts of another node's ranking.
fn merge_filtered(acc: &mut AllocMetric, metrics: &AllocMetric) {
    acc.nodes_evaluated += metrics.nodes_evaluated;
    acc.nodes_filtered += metrics.nodes_filtered;
    for (class, n) in &metrics.class_filtered {
        acc.class_filtered.add(class, *n);
    }
    for (reason, n) in &metrics.constraint_filtered {
        acc.constraint_filtered.add(reason, *n);
    }
    acc.allocation_time += metrics.allocation_time;
}

/// The status updates of a system deployment after this evaluation.
fn status_updates(d: &mut Deployment, complete: bool, job: &Job) -> Vec<DeploymentStatusUpdate> {
    let running = d.status == deployment_status::RUNNING;
    let with_canaries = || d.task_groups.values().filter(|s| s.desired_canaries > 0);
    if running && with_canaries().any(|s| !s.promoted) {
        d.status_description = if with_canaries().all(|s| s.auto_promote) {
            deployment_description::RUNNING_AUTO_PROMOTION
        } else {
            deployment_description::RUNNING_NEEDS_PROMOTION
        }
        .to_string();
        return Vec::new();
    }
    let update = |status: &str, description: &str| DeploymentStatusUpdate {
        deployment_id: d.id.to_string(),
        status: status.to_string(),
        status_description: description.to_string(),
    };
    let mut updates = Vec::new();
    if complete {
        if !job.is_multiregion() {
            let successful = deployment_description::SUCCESSFUL;
            updates.push(update(deployment_status::SUCCESSFUL, successful));
        } else if d.status != deployment_status::UNBLOCKING
            && d.status != deployment_status::SUCCESSFUL
        {
            let blocked = deployment_description::BLOCKED;
            updates.push(update(deployment_status::BLOCKED, blocked));
        }
    }
    if d.status == deployment_status::INITIALIZING {
        let pending = deployment_description::PENDING_FOR_PEER;
        updates.push(update(deployment_status::PENDING, pending));
    }
    updates
}

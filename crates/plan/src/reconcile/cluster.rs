//! The cluster reconciler for service and batch jobs (Nomad's `AllocReconciler`): compares a
//! job's task groups with its allocations and decides, group by group, what to place, update,
//! stop, migrate and reschedule, within the limits of the job's deployment.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use drover_model::allocation::{ClientStatus, DesiredStatus};
use drover_model::deployment::{deployment_description, deployment_status};
use drover_model::{
    Allocation, Deployment, DeploymentState, EvalStatus, Evaluation, Job, SmolStr, TaskGroup,
    trigger,
};

use super::alloc::AllocExt;
use super::deployment::{
    initial_state, is_failed, is_paused, new_deployment, status_update, update_is_empty,
};
use super::filters::{
    AllocSet, Classified, DelayedReschedule, RescheduleContext, Slot, classify,
    delay_by_stop_after, difference, drop_server_terminal, filter_by_rescheduleable, name_order,
    names, remove_all, with_ids,
};
use super::names::{AllocNameIndex, alloc_index};
use super::reconnect::keep_replacement;
use super::reschedule::BATCHED_FAILED_ALLOC_WINDOW;
use super::tasks_updated::tasks_updated;
use super::{
    DestructiveResult, PlaceResult, ReconcileResults, StopResult, TaintedNodes, eval_description,
    status_description,
};
use crate::annotations::DesiredUpdates;

/// Everything the cluster reconciler reads.
#[derive(Debug, Clone, Copy)]
pub struct ReconcileInput<'a> {
    /// The evaluation's job ID; the job itself may be gone.
    pub job_id: &'a str,
    /// The job as it should run; `None` (purged) or stopped means stop everything.
    pub job: Option<&'a Job>,
    /// Batch semantics: finished allocations are not replaced.
    pub batch: bool,
    /// All allocations of the job, of any version and status. Their order breaks ties (which
    /// of two equal allocations stops), so pass them in a stable order, such as by ID.
    pub allocs: &'a [Arc<Allocation>],
    /// The job's latest deployment.
    pub deployment: Option<&'a Deployment>,
    pub tainted_nodes: &'a TaintedNodes,
    pub eval_id: &'a str,
    pub eval_priority: i32,
    /// Unix nanoseconds.
    pub now: i64,
}

/// Whether an allocation can take the new version of its group where it runs. Called only for
/// allocations whose group changed in place-safe ways (see [`tasks_updated`]); the scheduler
/// checks the node (still in the job's datacenters and pool) and that the new resources fit.
pub trait InPlaceCheck {
    fn fits_in_place(&mut self, existing: &Allocation, job: &Job, group: &TaskGroup) -> bool;
}

impl<F: FnMut(&Allocation, &Job, &TaskGroup) -> bool> InPlaceCheck for F {
    fn fits_in_place(&mut self, existing: &Allocation, job: &Job, group: &TaskGroup) -> bool {
        self(existing, job, group)
    }
}

/// Reconciles a service or batch job with its allocations.
///
/// `in_place` decides which in-place candidates really stay on their nodes (the others become
/// destructive updates, subject to canaries and `max_parallel`); `new_id` names the created
/// deployment and follow-up evaluations.
pub fn reconcile(
    input: &ReconcileInput<'_>,
    in_place: &mut dyn InPlaceCheck,
    new_id: &mut dyn FnMut() -> String,
) -> ReconcileResults {
    let mut reconciler = Reconciler {
        input,
        in_place,
        new_id,
        deployment_old: None,
        deployment_current: None,
        deployment_created: false,
        paused: false,
        failed: false,
        tasks_updated_cache: Vec::new(),
        results: ReconcileResults::default(),
    };
    reconciler.compute();
    reconciler.results
}

/// One group's decisions, merged into the results when the group is done.
#[derive(Debug, Default)]
struct GroupOutcome {
    desired: DesiredUpdates,
    place: Vec<PlaceResult>,
    stop: Vec<StopResult>,
    destructive: Vec<DestructiveResult>,
    inplace: Vec<Arc<Allocation>>,
    /// Updated copies by allocation ID, as in the results.
    attribute_updates: BTreeMap<String, Arc<Allocation>>,
    disconnect_updates: BTreeMap<String, Arc<Allocation>>,
    reconnect_updates: BTreeMap<String, Arc<Allocation>>,
    followup_evals: Vec<Evaluation>,
}

enum UpdateKind {
    Ignore,
    InPlace,
    Destructive,
}

struct Reconciler<'a, 'h> {
    input: &'a ReconcileInput<'a>,
    in_place: &'h mut dyn InPlaceCheck,
    new_id: &'h mut dyn FnMut() -> String,
    /// A deployment of another job version (or finished): its unpromoted canaries are stopped.
    deployment_old: Option<&'a Deployment>,
    /// The deployment of this job version, if any; groups attach their states to a created one.
    deployment_current: Option<Deployment>,
    deployment_created: bool,
    paused: bool,
    failed: bool,
    /// `tasks_updated` by the allocation's job (allocations of one version share it).
    tasks_updated_cache: Vec<(*const Job, bool)>,
    results: ReconcileResults,
}

fn stop(alloc: &Arc<Allocation>, client_status: ClientStatus, description: &str) -> StopResult {
    StopResult {
        alloc: Arc::clone(alloc),
        client_status,
        status_description: description.to_string(),
        followup_eval_id: SmolStr::default(),
    }
}

fn stop_all<'s>(
    set: &'s AllocSet,
    client_status: ClientStatus,
    description: &'s str,
) -> impl Iterator<Item = StopResult> + 's {
    set.values()
        .map(move |a| stop(a, client_status, description))
}

fn unpromoted_canaries(deployment: &Deployment) -> impl Iterator<Item = &String> {
    let unpromoted = deployment.task_groups.values().filter(|s| !s.promoted);
    unpromoted.flat_map(|s| &s.placed_canaries)
}

fn max_parallel(group: &TaskGroup) -> usize {
    let update = group.update.as_ref();
    update.and_then(|u| u.max_parallel).unwrap_or(0).max(0) as usize
}

fn canary_count(group: &TaskGroup) -> usize {
    let update = group.update.as_ref();
    update.and_then(|u| u.canary).unwrap_or(0).max(0) as usize
}

fn is_canarying(state: &DeploymentState) -> bool {
    state.desired_canaries != 0 && !state.promoted
}

impl<'a> Reconciler<'a, '_> {
    fn compute(&mut self) {
        let input = self.input;
        // Listed in slot order, then built whole: cheaper than inserting one by one.
        let mut listed: BTreeMap<String, Vec<(Slot, Arc<Allocation>)>> = BTreeMap::new();
        for (slot, alloc) in input.allocs.iter().enumerate() {
            let entry = (slot, Arc::clone(alloc));
            match listed.get_mut(alloc.task_group.as_str()) {
                Some(group) => group.push(entry),
                None => {
                    listed.insert(alloc.task_group.to_string(), vec![entry]);
                }
            }
        }
        let mut matrix: BTreeMap<String, AllocSet> = listed
            .into_iter()
            .map(|(group, allocs)| (group, allocs.into_iter().collect()))
            .collect();
        for group in input.job.iter().flat_map(|j| &j.task_groups) {
            matrix.entry(group.name.to_string()).or_default();
        }

        self.cancel_unneeded_deployments();
        let job = match input.job {
            Some(job) if !job.stop => job,
            _ => {
                self.stop_job(matrix);
                return;
            }
        };

        if let Some(d) = &self.deployment_current {
            self.paused = is_paused(d);
            self.failed = is_failed(d);
        }

        let mut complete = true;
        for (group, allocs) in matrix {
            complete &= self.compute_group(job, &group, allocs);
        }
        self.finish_deployment(job, complete);
    }

    /// Sets aside a deployment that is no longer wanted (job stopped, another job version, or
    /// already successful), cancelling it while it is active.
    fn cancel_unneeded_deployments(&mut self) {
        let Some(d) = self.input.deployment else {
            return;
        };
        let job = self.input.job.filter(|j| !j.stop);
        let cancel = match job {
            None => Some(deployment_description::STOPPED_JOB),
            Some(j) if d.job_create_index != j.create_index || d.job_version != j.version => {
                Some(deployment_description::NEWER_JOB)
            }
            Some(_) if d.status == deployment_status::SUCCESSFUL => None,
            Some(_) => {
                self.deployment_current = Some(d.clone());
                return;
            }
        };
        self.deployment_old = Some(d);
        if let Some(description) = cancel.filter(|_| d.active()) {
            let update = status_update(d, deployment_status::CANCELLED, description);
            self.results.deployment_updates.push(update);
        }
    }

    /// A stopped job: every allocation that is not terminal yet stops.
    fn stop_job(&mut self, matrix: BTreeMap<String, AllocSet>) {
        for (group, allocs) in matrix {
            let live: AllocSet = allocs.into_iter().filter(|(_, a)| !a.terminal()).collect();
            let mut outcome = GroupOutcome::default();
            self.stop_everything(&live, &mut outcome);
            self.merge(&group, outcome);
        }
    }

    /// Stops all of `allocs`, counting every one of them as a stop.
    fn stop_everything(&self, allocs: &AllocSet, out: &mut GroupOutcome) {
        let c = classify(allocs, self.input.tainted_nodes, self.input.now);
        let not_needed = status_description::NOT_NEEDED;
        let lost = (ClientStatus::Lost, status_description::LOST);
        for (set, (client, description)) in [
            (&c.untainted, (ClientStatus::Unset, not_needed)),
            (&c.migrate, (ClientStatus::Unset, not_needed)),
            (&c.lost, lost),
            (&c.disconnecting, (ClientStatus::Unset, not_needed)),
            (&c.reconnecting, (ClientStatus::Unset, not_needed)),
        ] {
            out.stop.extend(stop_all(set, client, description));
        }
        // Server-terminal allocations need no stop unless their client status is unknown.
        let unknown = c.ignore.values().chain(c.expiring.values());
        let unknown = unknown.filter(|a| a.client_status == ClientStatus::Unknown);
        out.stop
            .extend(unknown.map(|a| stop(a, ClientStatus::Unset, not_needed)));
        out.desired.stop += allocs.len() as u64;
    }

    fn merge(&mut self, group: &str, out: GroupOutcome) {
        let r = &mut self.results;
        r.desired_tg_updates.insert(group.to_string(), out.desired);
        r.place.extend(out.place);
        r.stop.extend(out.stop);
        r.destructive_update.extend(out.destructive);
        r.inplace_update.extend(out.inplace);
        r.attribute_updates.extend(out.attribute_updates);
        r.disconnect_updates.extend(out.disconnect_updates);
        r.reconnect_updates.extend(out.reconnect_updates);
        if !out.followup_evals.is_empty() {
            r.desired_followup_evals
                .insert(group.to_string(), out.followup_evals);
        }
    }

    fn reschedule_context(&self) -> RescheduleContext<'_> {
        RescheduleContext {
            batch: self.input.batch,
            now: self.input.now,
            eval_id: self.input.eval_id,
            deployment: self.deployment_current.as_ref(),
        }
    }

    /// Reconciles one task group; returns whether the group's part of the deployment is done.
    fn compute_group(&mut self, job: &'a Job, group: &str, mut all: AllocSet) -> bool {
        let input = self.input;
        let mut out = GroupOutcome::default();
        drop_server_terminal(&mut all);
        let Some(tg) = job.lookup_task_group(group).filter(|tg| tg.count > 0) else {
            self.stop_everything(&all, &mut out);
            self.merge(group, out);
            return true;
        };
        let count = tg.count as usize;

        let (mut dstate, existing_deployment) = self.deployment_state(tg);

        // Finished batch work of older versions is history, not part of this group any more.
        if input.batch {
            let before = all.len();
            all.retain(|_, a| !(a.older_than(job) && a.terminal()));
            out.desired.ignore += (before - all.len()) as u64;
        }

        let canaries = self.cancel_unneeded_canaries(&mut all, &mut out);

        let Classified {
            untainted,
            mut migrate,
            mut lost,
            mut disconnecting,
            reconnecting,
            ignore,
            expiring,
        } = classify(&all, input.tainted_nodes, input.now);
        out.desired.ignore += ignore.len() as u64;

        let rescheduleable = filter_by_rescheduleable(&untainted, false, self.reschedule_context());
        let mut untainted = rescheduleable.untainted;
        let mut reschedule_now = rescheduleable.now;
        let mut reschedule_later = rescheduleable.later;
        // Batch allocations stopped with `alloc stop` migrate and are rescheduled.
        let migrating = filter_by_rescheduleable(&migrate, false, self.reschedule_context());
        reschedule_now.extend(migrating.now);
        reschedule_later.extend(migrating.later);

        if !reconnecting.is_empty() {
            let (stopped, reconnected) = self.reconnect(&reconnecting, &all, tg, &mut out);
            for set in [&mut untainted, &mut migrate, &mut lost, &mut disconnecting] {
                remove_all(set, &stopped);
            }
            untainted.extend(reconnected);
        }
        lost.extend(expiring);

        let mut delayed_stops = BTreeMap::new();
        if !disconnecting.is_empty() {
            delayed_stops = self.disconnect(
                job,
                &disconnecting,
                &mut untainted,
                &mut reschedule_now,
                &mut reschedule_later,
                &mut out,
            );
        }

        // Lost allocations with `stop_on_client_after` hold back the whole group's placements
        // until the client has stopped them.
        let lost_later = delay_by_stop_after(&lost, input.now);
        if !lost_later.is_empty() {
            let (evals_by_alloc, evals) = self.batched_evals(
                job,
                &lost_later,
                trigger::ALLOC_FAILURE,
                eval_description::RESCHEDULING_FOLLOWUP,
            );
            out.followup_evals.extend(evals);
            delayed_stops.extend(evals_by_alloc);
        }

        if !reschedule_later.is_empty() {
            self.reschedule_later(job, &reschedule_later, &all, &mut migrate, &mut out);
        }

        let mut name_index = {
            // Each allocation once: a migrating batch allocation is also rescheduled.
            let sets = [&untainted, &migrate, &reschedule_now, &lost];
            let seed = sets.iter().enumerate().flat_map(|(i, set)| {
                let earlier = &sets[..i];
                let fresh = move |slot: &Slot| !earlier.iter().any(|s| s.contains_key(slot));
                set.iter()
                    .filter(move |(slot, _)| fresh(slot))
                    .map(|(_, a)| a)
            });
            AllocNameIndex::new(input.job_id, group, count as u64, seed)
        };

        let canarying = is_canarying(&dstate);
        let mut stops = Stops {
            group: tg,
            untainted: &mut untainted,
            migrate: &mut migrate,
            name_index: &mut name_index,
        };
        stops.compute(
            input.job_id,
            &lost,
            &canaries,
            canarying,
            &delayed_stops,
            &mut out,
        );

        let (inplace, destructive) = self.compute_updates(&untainted, job, tg, &mut out);
        if !existing_deployment {
            dstate.desired_total += (destructive.len() + inplace.len()) as i64;
        }

        if canarying {
            remove_all(&mut untainted, &canaries);
        }
        let requires_canaries = tg.update.is_some()
            && !destructive.is_empty()
            && canaries.len() < canary_count(tg)
            && !dstate.promoted;
        if requires_canaries {
            dstate.desired_canaries = canary_count(tg) as i64;
            if !self.paused && !self.failed {
                let wanted = canary_count(tg) - canaries.len();
                out.desired.canary += wanted as u64;
                let names =
                    name_index.next_canaries(wanted, canaries.values(), destructive.values());
                out.place.extend(names.into_iter().map(|name| PlaceResult {
                    name,
                    task_group: group.to_string(),
                    canary: true,
                    ..Default::default()
                }));
            }
        }

        let canarying = is_canarying(&dstate);
        let limit = self.rolling_limit(tg, &untainted, &destructive, &migrate, canarying);

        let mut place = Vec::new();
        if lost_later.is_empty() {
            place = placements(
                tg,
                &mut name_index,
                &untainted,
                &migrate,
                &reschedule_now,
                &lost,
                canarying,
            );
            if !existing_deployment {
                dstate.desired_total += place.len() as i64;
            }
        }

        let place_ready = !self.paused && !self.failed && !canarying;
        let limit = self.place(
            place_ready,
            place,
            &migrate,
            &reschedule_now,
            limit,
            &mut out,
        );

        if place_ready {
            let take = destructive.len().min(limit);
            out.desired.destructive_update += take as u64;
            out.desired.ignore += (destructive.len() - take) as u64;
            let updates = name_order(&destructive).into_iter().take(take);
            out.destructive
                .extend(updates.map(|alloc| DestructiveResult {
                    name: alloc.name.to_string(),
                    task_group: group.to_string(),
                    stop_alloc: Arc::clone(alloc),
                    stop_description: status_description::UPDATING.to_string(),
                }));
        } else {
            out.desired.ignore += destructive.len() as u64;
        }

        migrations(&migrate, canarying, tg, &mut out);

        if !existing_deployment {
            let updating = !destructive.is_empty() || out.desired.in_place_update != 0;
            self.create_deployment(job, tg, dstate, &all, updating);
        }

        if out.place.len() > count {
            out.place.truncate(count);
            out.desired.place = count as u64;
        }

        let pending_work = !destructive.is_empty()
            || !inplace.is_empty()
            || !out.place.is_empty()
            || !migrate.is_empty()
            || !reschedule_now.is_empty()
            || !reschedule_later.is_empty()
            || requires_canaries;
        let complete = !pending_work && self.group_healthy(group);

        // A failed allocation stopped or replaced here (scaled away, or by a destructive update)
        // takes no follow-up marker as well: the plan would carry two conflicting versions of
        // it. A stop records the follow-up instead.
        for stop in &mut out.stop {
            if let Some(marked) = out.attribute_updates.remove(stop.alloc.id.as_str()) {
                stop.followup_eval_id = marked.details().followup_eval_id.clone();
            }
        }
        for update in &out.destructive {
            out.attribute_updates.remove(update.stop_alloc.id.as_str());
        }

        self.results
            .name_indexes
            .insert(group.to_string(), name_index);
        self.merge(group, out);
        complete
    }

    /// The group's state in the current deployment, or a fresh one from the update block.
    fn deployment_state(&self, tg: &TaskGroup) -> (DeploymentState, bool) {
        let existing = self.deployment_current.as_ref();
        match existing.and_then(|d| d.task_groups.get(tg.name.as_str())) {
            Some(state) => (state.clone(), true),
            None => (initial_state(tg), false),
        }
    }

    /// Stops the unpromoted canaries of an old or failed deployment, and the current
    /// deployment's canaries that must migrate or were lost; returns the remaining canaries.
    fn cancel_unneeded_canaries(&self, all: &mut AllocSet, out: &mut GroupOutcome) -> AllocSet {
        let failed = self.deployment_current.as_ref();
        let failed = failed.filter(|d| is_failed(d));
        let stale = self.deployment_old.into_iter().chain(failed);
        let cancelled = with_ids(all, stale.flat_map(unpromoted_canaries));
        out.stop.extend(stop_all(
            &cancelled,
            ClientStatus::Unset,
            status_description::NOT_NEEDED,
        ));
        out.desired.stop += cancelled.len() as u64;
        remove_all(all, &cancelled);

        let Some(current) = &self.deployment_current else {
            return AllocSet::new();
        };
        let placed = current
            .task_groups
            .values()
            .flat_map(|s| &s.placed_canaries);
        let canaries = with_ids(all, placed);
        let c = classify(&canaries, self.input.tainted_nodes, self.input.now);
        // Not counted as stops: the deployment is still running and replaces them.
        out.stop.extend(stop_all(
            &c.migrate,
            ClientStatus::Unset,
            status_description::MIGRATING,
        ));
        let lost = status_description::LOST;
        out.stop.extend(stop_all(&c.lost, ClientStatus::Lost, lost));
        remove_all(all, &c.migrate);
        remove_all(all, &c.lost);
        c.untainted
    }

    /// Splits allocations of other job versions into in-place and destructive updates.
    fn compute_updates(
        &mut self,
        untainted: &AllocSet,
        job: &Job,
        tg: &TaskGroup,
        out: &mut GroupOutcome,
    ) -> (AllocSet, AllocSet) {
        self.tasks_updated_cache.clear();
        let (mut inplace, mut destructive) = (AllocSet::new(), AllocSet::new());
        for (slot, alloc) in untainted {
            let target = match self.update_kind(alloc, job, tg) {
                UpdateKind::Ignore => {
                    out.desired.ignore += 1;
                    continue;
                }
                UpdateKind::InPlace => &mut inplace,
                UpdateKind::Destructive => &mut destructive,
            };
            target.insert(*slot, Arc::clone(alloc));
        }
        out.inplace.extend(inplace.values().cloned());
        out.desired.in_place_update += inplace.len() as u64;
        (inplace, destructive)
    }

    fn update_kind(&mut self, alloc: &Allocation, job: &Job, tg: &TaskGroup) -> UpdateKind {
        let Some(own) = alloc.job.as_ref() else {
            return UpdateKind::Destructive;
        };
        if own.job_modify_index == job.job_modify_index {
            return UpdateKind::Ignore;
        }
        let key = Arc::as_ptr(own);
        let changed = match self.tasks_updated_cache.iter().find(|(k, _)| *k == key) {
            Some((_, changed)) => *changed,
            None => {
                let changed = tasks_updated(job, own, &tg.name);
                self.tasks_updated_cache.push((key, changed));
                changed
            }
        };
        if changed {
            UpdateKind::Destructive
        } else if alloc.terminal() {
            // Finished batch work: nothing to update.
            UpdateKind::Ignore
        } else if self.in_place.fits_in_place(alloc, job, tg) {
            UpdateKind::InPlace
        } else {
            UpdateKind::Destructive
        }
    }

    /// How many more allocations a rolling update may take down or place right now.
    fn rolling_limit(
        &self,
        tg: &TaskGroup,
        untainted: &AllocSet,
        destructive: &AllocSet,
        migrate: &AllocSet,
        canarying: bool,
    ) -> usize {
        if update_is_empty(tg) || destructive.len() + migrate.len() == 0 {
            return tg.count as usize;
        }
        let Some(current) = &self.deployment_current else {
            return max_parallel(tg);
        };
        if self.paused || self.failed || canarying {
            return 0;
        }
        let mut limit = max_parallel(tg);
        for alloc in untainted.values().filter(|a| a.deployment_id == current.id) {
            if alloc.is_unhealthy() {
                return 0;
            }
            if !alloc.is_healthy() {
                limit = limit.saturating_sub(1);
            }
        }
        limit
    }

    /// Applies the placements when the deployment allows them; otherwise only lost allocations
    /// are replaced and failed ones rescheduled, so that the job does not shrink meanwhile.
    /// Returns what is left of the rolling limit.
    fn place(
        &self,
        ready: bool,
        place: Vec<PlaceResult>,
        migrate: &AllocSet,
        reschedule_now: &AllocSet,
        limit: usize,
        out: &mut GroupOutcome,
    ) -> usize {
        if ready {
            out.desired.place += place.len() as u64;
            let taken = place.len().min(limit);
            out.place.extend(place);
            // Disconnecting and migrating allocations may be rescheduled, but did not fail.
            let failed = reschedule_now.iter().filter(|(slot, a)| {
                !out.disconnect_updates.contains_key(a.id.as_str())
                    && !migrate.contains_key(*slot)
                    && a.client_status != ClientStatus::Unknown
            });
            for (_, alloc) in failed {
                out.stop.push(stop(
                    alloc,
                    ClientStatus::Unset,
                    status_description::RESCHEDULED,
                ));
                out.desired.stop += 1;
            }
            return limit - taken;
        }

        // (Nomad takes the first placements as the lost replacements, which can be reschedules
        // instead; drover takes the lost ones.)
        let current_id = self.deployment_current.as_ref().map(|d| d.id.as_str());
        for p in place {
            let previous = p.previous_alloc.clone();
            match previous {
                _ if p.lost => {}
                Some(prev) if p.reschedule => {
                    if self.failed && current_id == Some(prev.deployment_id.as_str()) {
                        continue;
                    }
                    if !out.disconnect_updates.contains_key(prev.id.as_str()) {
                        out.stop.push(stop(
                            &prev,
                            ClientStatus::Unset,
                            status_description::RESCHEDULED,
                        ));
                        out.desired.stop += 1;
                    }
                }
                _ => continue,
            }
            out.place.push(p);
            out.desired.place += 1;
        }
        limit
    }

    /// Attaches a new group state to the deployment, creating the deployment on first need:
    /// the group has an update strategy and work to do, and is not simply running already.
    fn create_deployment(
        &mut self,
        job: &Job,
        tg: &TaskGroup,
        state: DeploymentState,
        all: &AllocSet,
        updating_spec: bool,
    ) {
        if update_is_empty(tg) || state.desired_total == 0 {
            return;
        }
        let had_running = all.values().any(|a| a.runs_version_of(job));
        if had_running && !updating_spec {
            return;
        }
        let deployment = self.deployment_current.get_or_insert_with(|| {
            self.deployment_created = true;
            let id = (self.new_id)();
            let priority = i64::from(self.input.eval_priority);
            new_deployment(job, id, priority, self.input.now)
        });
        deployment.task_groups.insert(tg.name.to_string(), state);
    }

    /// Whether the deployment's state for the group shows enough healthy allocations (and
    /// promoted canaries).
    fn group_healthy(&self, group: &str) -> bool {
        let Some(current) = &self.deployment_current else {
            return false;
        };
        current.task_groups.get(group).is_none_or(|s| {
            s.healthy_allocs >= s.desired_total.max(s.desired_canaries)
                && (s.desired_canaries == 0 || s.promoted)
        })
    }

    /// Marks a finished deployment successful, and describes a created one.
    fn finish_deployment(&mut self, job: &Job, complete: bool) {
        let Some(mut current) = self.deployment_current.take() else {
            return;
        };
        let updates = &mut self.results.deployment_updates;
        if complete && !job.is_multiregion() {
            let successful = deployment_description::SUCCESSFUL;
            updates.push(status_update(
                &current,
                deployment_status::SUCCESSFUL,
                successful,
            ));
        } else if complete
            && current.status != deployment_status::UNBLOCKING
            && current.status != deployment_status::SUCCESSFUL
        {
            // Multiregion: done here, waiting for the other regions.
            let blocked = deployment_description::BLOCKED;
            updates.push(status_update(&current, deployment_status::BLOCKED, blocked));
        }
        if current.status == deployment_status::INITIALIZING {
            let pending = deployment_description::PENDING_FOR_PEER;
            updates.push(status_update(&current, deployment_status::PENDING, pending));
        }

        if self.deployment_created {
            let needs_promotion = |s: &DeploymentState| s.desired_canaries > 0 && !s.promoted;
            let groups = || current.task_groups.values().filter(|s| needs_promotion(s));
            if groups().next().is_some() {
                current.status_description = if groups().all(|s| s.auto_promote) {
                    deployment_description::RUNNING_AUTO_PROMOTION
                } else {
                    deployment_description::RUNNING_NEEDS_PROMOTION
                }
                .to_string();
            }
            self.results.deployment = Some(current);
        } else if current.status == deployment_status::INITIALIZING {
            // Sent in full so that the plan applier persists the computed group states.
            self.results.deployment = Some(current);
        }
    }

    /// Follow-up evaluations for allocations due later: one per batch of allocations due
    /// within [`BATCHED_FAILED_ALLOC_WINDOW`] of the batch's first, waiting until that first.
    fn batched_evals(
        &mut self,
        job: &Job,
        delayed: &[DelayedReschedule],
        triggered_by: &str,
        description: &str,
    ) -> (BTreeMap<SmolStr, SmolStr>, Vec<Evaluation>) {
        let mut delayed: Vec<&DelayedReschedule> = delayed.iter().collect();
        delayed.sort_by(|a, b| (a.at, &a.alloc.id).cmp(&(b.at, &b.alloc.id)));
        let mut evals: Vec<Evaluation> = Vec::new();
        let mut by_alloc = BTreeMap::new();
        for d in delayed {
            let batch_start = evals.last().map(|e| e.wait_until);
            if batch_start.is_none_or(|start| d.at - start >= BATCHED_FAILED_ALLOC_WINDOW) {
                evals.push(Evaluation {
                    id: (self.new_id)().into(),
                    namespace: job.namespace.to_string(),
                    priority: self.input.eval_priority,
                    eval_type: job.job_type.to_string(),
                    triggered_by: triggered_by.to_string(),
                    job_id: job.id.to_string(),
                    job_modify_index: job.modify_index,
                    status: EvalStatus::Pending,
                    status_description: description.to_string(),
                    wait_until: d.at,
                    ..Default::default()
                });
            }
            if let Some(eval) = evals.last() {
                by_alloc.insert(d.alloc.id.clone(), eval.id.clone());
            }
        }
        (by_alloc, evals)
    }

    /// Creates the delayed evaluations for failed allocations and records each one's
    /// `FollowupEvalID`, so that later evaluations leave it to that one.
    fn reschedule_later(
        &mut self,
        job: &Job,
        later: &[DelayedReschedule],
        all: &AllocSet,
        migrate: &mut AllocSet,
        out: &mut GroupOutcome,
    ) {
        let (evals_by_alloc, evals) = self.batched_evals(
            job,
            later,
            trigger::ALLOC_RESCHEDULE,
            eval_description::RESCHEDULING_FOLLOWUP,
        );
        for d in later {
            let Some(eval_id) = evals_by_alloc.get(d.alloc.id.as_str()) else {
                continue;
            };
            let with_followup = |alloc: &Allocation| {
                let mut updated = alloc.clone();
                updated.details_mut().followup_eval_id = eval_id.clone();
                Arc::new(updated)
            };
            let id = &d.alloc.id;
            if let Some(alloc) = out.disconnect_updates.get(id.as_str()) {
                let updated = with_followup(alloc);
                out.disconnect_updates.insert(id.to_string(), updated);
            } else if let Some(alloc) = migrate.get(&d.slot) {
                // Carried by the migration's stop.
                let updated = with_followup(alloc);
                migrate.insert(d.slot, updated);
            } else if let Some(alloc) = all.get(&d.slot) {
                out.attribute_updates
                    .insert(id.to_string(), with_followup(alloc));
            }
        }
        out.followup_evals.extend(evals);
        out.desired.reschedule_later = later.len() as u64;
    }

    /// Marks allocations on disconnected nodes unknown, with a follow-up evaluation at the end
    /// of their `lost_after` window, and reschedules those whose policy says so. Returns the
    /// follow-up evaluation of each.
    fn disconnect(
        &mut self,
        job: &Job,
        disconnecting: &AllocSet,
        untainted: &mut AllocSet,
        reschedule_now: &mut AllocSet,
        reschedule_later: &mut Vec<DelayedReschedule>,
        out: &mut GroupOutcome,
    ) -> BTreeMap<SmolStr, SmolStr> {
        let now = self.input.now;
        let split = filter_by_rescheduleable(disconnecting, true, self.reschedule_context());
        reschedule_now.extend(split.now);
        untainted.extend(split.untainted);
        reschedule_later.extend(split.later);

        let timeouts: Vec<DelayedReschedule> = disconnecting
            .iter()
            .map(|(&slot, alloc)| DelayedReschedule {
                slot,
                alloc: Arc::clone(alloc),
                at: alloc.disconnect_timeout(now),
            })
            .collect();
        let (evals_by_alloc, evals) = self.batched_evals(
            job,
            &timeouts,
            trigger::MAX_DISCONNECT_TIMEOUT,
            eval_description::DISCONNECT_TIMEOUT_FOLLOWUP,
        );
        out.followup_evals.extend(evals);

        for (slot, alloc) in disconnecting {
            let mut updated = alloc.with_client_state(ClientStatus::Unknown, now);
            updated.client_status = ClientStatus::Unknown;
            updated.details_mut().client_description = status_description::UNKNOWN.to_string();
            let followup = evals_by_alloc
                .get(alloc.id.as_str())
                .cloned()
                .unwrap_or_default();
            updated.details_mut().followup_eval_id = followup;
            let updated = Arc::new(updated);
            if reschedule_now.contains_key(slot) {
                reschedule_now.insert(*slot, Arc::clone(&updated));
            }
            out.disconnect_updates.insert(alloc.id.to_string(), updated);
        }
        out.desired.disconnect = out.disconnect_updates.len() as u64;
        out.desired.reschedule_now = reschedule_now.len() as u64;
        out.desired.reschedule_later = reschedule_later.len() as u64;
        evals_by_alloc
    }

    /// Decides between reconnecting allocations and their replacements. Returns the stopped
    /// allocations and the reconnecting ones that stay.
    fn reconnect(
        &self,
        reconnecting: &AllocSet,
        all: &AllocSet,
        tg: &TaskGroup,
        out: &mut GroupOutcome,
    ) -> (AllocSet, AllocSet) {
        let job = self.input.job;
        let outdated = |a: &Allocation| {
            a.should_migrate()
                || a.should_reschedule()
                || a.should_force_reschedule()
                || job.is_some_and(|j| a.older_than(j))
        };
        let by_id: BTreeMap<&str, (Slot, &Arc<Allocation>)> = all
            .iter()
            .map(|(&slot, a)| (a.id.as_str(), (slot, a)))
            .collect();
        let mut stopped = AllocSet::new();
        let mut stop_one =
            |slot: Slot, alloc: &Arc<Allocation>, status: ClientStatus, description: &str| {
                if let Entry::Vacant(entry) = stopped.entry(slot) {
                    entry.insert(Arc::clone(alloc));
                    out.stop.push(stop(alloc, status, description));
                }
            };
        for (&slot, alloc) in reconnecting {
            if !alloc.server_terminal() && alloc.client_status == ClientStatus::Failed {
                let rescheduled = status_description::RESCHEDULED;
                stop_one(slot, alloc, ClientStatus::Failed, rescheduled);
                continue;
            }
            if alloc.desired_status != DesiredStatus::Run || outdated(alloc) {
                stop_one(
                    slot,
                    alloc,
                    ClientStatus::Unset,
                    status_description::NOT_NEEDED,
                );
                continue;
            }
            // A replacement may itself have been replaced: follow the chain.
            let mut replacements: Vec<(Slot, &Arc<Allocation>)> = Vec::new();
            let mut next = by_id.get(alloc.details().next_allocation.as_str());
            while let Some(&(s, replacement)) =
                next.filter(|(s, _)| !replacements.iter().any(|(r, _)| r == s))
            {
                replacements.push((s, replacement));
                next = by_id.get(replacement.details().next_allocation.as_str());
            }
            for (replacement_slot, replacement) in replacements {
                if replacement_slot == slot || replacement.server_terminal() {
                    continue;
                }
                let disconnect = tg.disconnect.as_ref();
                if keep_replacement(disconnect, alloc, replacement, self.input.now) {
                    stop_one(
                        slot,
                        alloc,
                        ClientStatus::Unset,
                        status_description::NOT_NEEDED,
                    );
                } else {
                    let reconnected = status_description::RECONNECTED;
                    stop_one(
                        replacement_slot,
                        replacement,
                        ClientStatus::Unset,
                        reconnected,
                    );
                }
            }
        }
        let reconnected = difference(reconnecting, &stopped);

        let now = self.input.now;
        for alloc in reconnected.values() {
            let resumes = !outdated(alloc)
                && alloc.desired_status == DesiredStatus::Run
                && alloc.client_status == ClientStatus::Running;
            if resumes {
                let updated = alloc.with_client_state(alloc.client_status, now);
                out.reconnect_updates
                    .insert(alloc.id.to_string(), Arc::new(updated));
            }
        }
        out.desired.stop += stopped.len() as u64;
        out.desired.reconnect = out.reconnect_updates.len() as u64;
        (stopped, reconnected)
    }
}

/// The sets `compute` trims when a group has more allocations than it wants.
struct Stops<'s> {
    group: &'s TaskGroup,
    untainted: &'s mut AllocSet,
    migrate: &'s mut AllocSet,
    name_index: &'s mut AllocNameIndex,
}

impl Stops<'_> {
    /// Stops every lost allocation, then the excess over the group's count: when canaries were
    /// promoted, the old allocations sharing their names; then migrating allocations with the
    /// highest indexes; then untainted ones with the highest indexes; then any (duplicates).
    fn compute(
        &mut self,
        job_id: &str,
        lost: &AllocSet,
        canaries: &AllocSet,
        canarying: bool,
        delayed: &BTreeMap<SmolStr, SmolStr>,
        out: &mut GroupOutcome,
    ) {
        let mut stopped: AllocSet = lost.clone();
        for alloc in lost.values() {
            let mut result = stop(alloc, ClientStatus::Lost, status_description::LOST);
            result.followup_eval_id = delayed.get(alloc.id.as_str()).cloned().unwrap_or_default();
            out.stop.push(result);
        }
        self.trim(job_id, canaries, canarying, &mut stopped, out);
        out.desired.stop += stopped.len() as u64;
        remove_all(self.untainted, &stopped);
    }

    fn trim(
        &mut self,
        job_id: &str,
        canaries: &AllocSet,
        canarying: bool,
        stopped: &mut AllocSet,
        out: &mut GroupOutcome,
    ) {
        // Unpromoted canaries stay; unknown allocations (disconnected) may come back, so they
        // neither count nor stop.
        let candidates = || {
            let untainted = self.untainted.iter();
            untainted.filter(|(slot, _)| !(canarying && canaries.contains_key(*slot)))
        };
        let known = candidates().filter(|(_, a)| a.client_status != ClientStatus::Unknown);
        let count = self.group.count as usize;
        let Some(mut remove) = (known.count() + self.migrate.len()).checked_sub(count) else {
            return;
        };
        if remove == 0 {
            return;
        }
        let mut working: AllocSet = candidates()
            .filter(|(_, a)| !a.server_terminal())
            .map(|(slot, a)| (*slot, Arc::clone(a)))
            .collect();
        let mut take = |slot: Slot, alloc: &Arc<Allocation>, remove: &mut usize| {
            stopped.insert(slot, Arc::clone(alloc));
            out.stop.push(stop(
                alloc,
                ClientStatus::Unset,
                status_description::NOT_NEEDED,
            ));
            *remove -= 1;
        };

        if !canarying && !canaries.is_empty() {
            let canary_names = names(canaries);
            let shadowed = difference(&working, canaries)
                .into_iter()
                .filter(|(_, a)| canary_names.contains(a.name.as_str()));
            for (slot, alloc) in shadowed {
                working.remove(&slot);
                take(slot, &alloc, &mut remove);
                if remove == 0 {
                    return;
                }
            }
        }

        if !self.migrate.is_empty() {
            let group = &self.group.name;
            let mut migrating =
                AllocNameIndex::new(job_id, group, count as u64, self.migrate.values());
            let highest = migrating.highest(remove);
            let chosen = named(self.migrate, &highest);
            for (slot, alloc) in chosen {
                self.migrate.remove(&slot);
                let index = alloc_index(&alloc.name, &alloc.job_id, &alloc.task_group);
                self.name_index.unset_index(index);
                take(slot, &alloc, &mut remove);
                if remove == 0 {
                    return;
                }
            }
        }

        let highest = self.name_index.highest(remove);
        for (slot, alloc) in named(&working, &highest) {
            working.remove(&slot);
            take(slot, &alloc, &mut remove);
            if remove == 0 {
                return;
            }
        }

        // Duplicate names can leave some to remove.
        for (slot, alloc) in working {
            take(slot, &alloc, &mut remove);
            if remove == 0 {
                return;
            }
        }
    }
}

/// The allocations of `set` holding one of `names`.
fn named(set: &AllocSet, names: &BTreeSet<String>) -> Vec<(Slot, Arc<Allocation>)> {
    set.iter()
        .filter(|(_, a)| names.contains(a.name.as_str()))
        .map(|(slot, a)| (*slot, Arc::clone(a)))
        .collect()
}

/// Replacements for failed and lost allocations, then new names up to the group's count.
fn placements(
    tg: &TaskGroup,
    name_index: &mut AllocNameIndex,
    untainted: &AllocSet,
    migrate: &AllocSet,
    reschedule_now: &AllocSet,
    lost: &AllocSet,
    canarying: bool,
) -> Vec<PlaceResult> {
    let count = tg.count as usize;
    let rescheduled = reschedule_now.values().map(|alloc| PlaceResult {
        reschedule: true,
        ..replacement(alloc, tg, canarying)
    });
    let mut place: Vec<PlaceResult> = rescheduled.collect();
    let mut existing = untainted.len() + migrate.len() + reschedule_now.len();
    for alloc in lost.values() {
        if existing >= count {
            break;
        }
        existing += 1;
        place.push(PlaceResult {
            lost: true,
            ..replacement(alloc, tg, canarying)
        });
    }
    if existing < count {
        let names = name_index.next(count - existing);
        place.extend(names.into_iter().map(|name| PlaceResult {
            name,
            task_group: tg.name.to_string(),
            downgrade_non_canary: canarying,
            ..Default::default()
        }));
    }
    place
}

/// Stops migrating allocations and places their replacements (except batch allocations that
/// are rescheduled instead, or drained without a replacement).
fn migrations(migrate: &AllocSet, canarying: bool, tg: &TaskGroup, out: &mut GroupOutcome) {
    out.desired.migrate += migrate.len() as u64;
    for alloc in name_order(migrate) {
        out.stop.push(stop(
            alloc,
            ClientStatus::Unset,
            status_description::MIGRATING,
        ));
        let batch = alloc.job_type_is(drover_model::job::job_type::BATCH);
        if batch && (alloc.should_reschedule() || alloc.migrate_disables_placement()) {
            continue;
        }
        out.place.push(replacement(alloc, tg, canarying));
    }
}

/// A placement taking over `alloc`'s name. While canaries are unpromoted, replacements of
/// non-canaries keep the version being replaced (at least `alloc`'s).
fn replacement(alloc: &Arc<Allocation>, tg: &TaskGroup, canarying: bool) -> PlaceResult {
    PlaceResult {
        name: alloc.name.to_string(),
        task_group: tg.name.to_string(),
        previous_alloc: Some(Arc::clone(alloc)),
        canary: alloc.is_canary(),
        downgrade_non_canary: canarying && !alloc.is_canary(),
        min_job_version: alloc.job_version(),
        ..Default::default()
    }
}

//! Allocation writes: plan results (`UpsertPlanResults`, `upsertAllocsImpl`), client updates
//! (`UpdateAllocsFromClient`), desired transitions, and the deployment counters that
//! allocations move (`updateDeploymentWithAlloc`).

use std::collections::HashMap;
use std::sync::Arc;

use drover_model::allocation::ClientStatus;
use drover_model::job::job_status;
use drover_model::node::node_eligibility;
use drover_model::{Allocation, DesiredTransition, Job, SmolStr, time};

use super::Txn;
use super::deployments::StableVersion;
use super::status::JobsToRecompute;
use crate::StateError;
use crate::command::{AllocDesiredTransitions, ClientAllocUpdates, PlanResults};
use crate::keys::QId;
use crate::table::Table;

impl Txn<'_> {
    pub(super) fn apply_plan_results(&mut self, c: &PlanResults) -> Result<(), StateError> {
        for node_id in &c.ineligible_nodes {
            self.update_node_eligibility(
                node_id,
                node_eligibility::INELIGIBLE,
                c.updated_at / 1_000_000_000,
            )?;
        }
        if let Some(deployment) = &c.deployment {
            let mut deployment = deployment.clone();
            // Counters the clients own are kept from the stored deployment.
            if let Some(existing) = self.t.deployments.get(&QId::new(&deployment.id)) {
                for (name, old) in &existing.task_groups {
                    match deployment.task_groups.get_mut(name) {
                        Some(new) => {
                            new.healthy_allocs = old.healthy_allocs;
                            new.unhealthy_allocs = old.unhealthy_allocs;
                            new.placed_allocs = old.placed_allocs;
                            new.require_progress_by = old.require_progress_by.clone();
                        }
                        None => {
                            deployment.task_groups.insert(name.clone(), old.clone());
                        }
                    }
                }
            }
            self.upsert_deployment_impl(deployment)?;
        }
        self.plan_deployment_updates(&c.deployment_updates, c.updated_at);
        if !c.eval_id.is_empty() {
            self.update_eval_modify_index(&c.eval_id)?;
        }
        let allocs: Vec<&Arc<Allocation>> = c
            .allocs_updated
            .iter()
            .chain(&c.allocs_stopped)
            .chain(&c.allocs_preempted)
            .collect();
        self.upsert_allocs(&allocs, c.job.as_ref())?;
        self.upsert_evals(c.evals.iter().cloned())
    }

    /// Inserts new allocations and applies the scheduler's view to existing ones; the
    /// client-owned fields of an existing allocation are kept. An allocation without its job
    /// takes `job`.
    ///
    /// A replacement marks the allocation it replaces with its ID (`next_allocation`). When
    /// that allocation is itself written later in the same batch (a plan stops what it
    /// replaces), the mark is carried into that write instead of writing the allocation twice:
    /// the result is the same, for one copy of the record and one walk of the tables.
    fn upsert_allocs(
        &mut self,
        allocs: &[&Arc<Allocation>],
        job: Option<&Arc<Job>>,
    ) -> Result<(), StateError> {
        let last_write: HashMap<&str, usize> = allocs
            .iter()
            .enumerate()
            .map(|(at, alloc)| (alloc.id.as_str(), at))
            .collect();
        // Replaced allocation -> its replacement, until the replaced one's own write.
        let mut marks: HashMap<SmolStr, SmolStr> = HashMap::new();
        let mut jobs = JobsToRecompute::new();
        for (at, alloc) in allocs.iter().enumerate() {
            let mut alloc = Allocation::clone(alloc);
            if alloc.job.is_none() {
                alloc.job = job.cloned();
            }
            let mark = marks.remove(alloc.id.as_str());
            let existing = self.t.allocs.get(&QId::new(&alloc.id)).cloned();
            match &existing {
                None => {
                    alloc.create_index = self.index;
                    alloc.modify_index = self.index;
                    alloc.alloc_modify_index = self.index;
                    if let Some(status) = alloc.deployment_status_mut() {
                        status.modify_index = self.index;
                    }
                    if alloc.job.is_none() {
                        return Err(StateError::AllocWithoutJob(alloc.id.into()));
                    }
                    let Some(job) = self.t.job(&alloc.namespace, &alloc.job_id) else {
                        return Err(StateError::UnknownJobForAlloc {
                            alloc: alloc.id.into(),
                            job: alloc.job_id.into(),
                            namespace: alloc.namespace.into(),
                        });
                    };
                    // The job was stopped after the scheduler took its snapshot: placing
                    // would only be undone, and failing would make the scheduler retry.
                    if job.stop {
                        continue;
                    }
                }
                Some(old) => {
                    alloc.create_index = old.create_index;
                    alloc.modify_index = self.index;
                    alloc.alloc_modify_index = self.index;
                    let keeps_client_status = alloc.client_status != ClientStatus::Lost
                        && alloc.client_status != ClientStatus::Unknown;
                    let kept = old.details();
                    let next_allocation = mark.as_ref().unwrap_or(&kept.next_allocation);
                    alloc.details.edit(|d| {
                        if !next_allocation.is_empty() {
                            d.next_allocation = next_allocation.clone();
                        }
                        d.task_states = kept.task_states.clone();
                        if keeps_client_status {
                            d.client_description = kept.client_description.clone();
                        }
                    });
                    if keeps_client_status {
                        alloc.client_status = old.client_status;
                    }
                    if alloc.job.is_none() {
                        alloc.job = old.job.clone();
                    }
                }
            }
            self.update_deployment_with_alloc(&mut alloc, existing.as_deref())?;
            self.update_summary_with_alloc(&alloc, existing.as_deref())?;
            if alloc.client_terminal() {
                self.delete_services_of_alloc(&alloc.id);
            }
            let force = jobs
                .entry((alloc.namespace.clone(), alloc.job_id.clone()))
                .or_insert(None);
            if !alloc.terminal() {
                *force = Some(job_status::RUNNING);
            }
            let previous = alloc.details().previous_allocation.clone();
            let alloc_id = alloc.id.clone();
            self.put_alloc(Arc::new(alloc));
            // Most allocations replace none: no search of the tables for an empty ID.
            if previous.is_empty() {
                continue;
            }
            if last_write
                .get(previous.as_str())
                .is_some_and(|&then| then > at)
            {
                marks.insert(previous, alloc_id);
            } else if let Some(prev) = self.t.allocs.get(&QId::new(&previous)) {
                let mut prev = (**prev).clone();
                prev.details_mut().next_allocation = alloc_id;
                prev.modify_index = self.index;
                self.put_alloc(Arc::new(prev));
            }
        }
        self.touch(Table::Allocs);
        self.set_job_statuses(jobs, false);
        Ok(())
    }

    pub(super) fn update_allocs_from_client(
        &mut self,
        c: &ClientAllocUpdates,
    ) -> Result<(), StateError> {
        let mut jobs = JobsToRecompute::new();
        for update in &c.allocs {
            let Some(old) = self.t.allocs.get(&QId::new(&update.alloc_id)).cloned() else {
                continue;
            };
            let mut alloc = (*old).clone();
            alloc.client_status = update.client_status;
            alloc.details_mut().client_description = update.client_description.clone();
            alloc.details_mut().task_states = update.task_states.clone();
            match (
                &mut alloc.details_mut().deployment_status,
                &update.deployment_status,
            ) {
                (Some(current), Some(new)) => {
                    // The client only reports health, and only news counts.
                    if let Some(healthy) = new.healthy
                        && current.healthy != Some(healthy)
                    {
                        current.healthy = Some(healthy);
                        current.timestamp = new.timestamp.clone();
                        current.modify_index = self.index;
                    }
                }
                (None, Some(new)) => {
                    let mut new = new.clone();
                    new.modify_index = self.index;
                    alloc.details_mut().deployment_status = Some(Box::new(new));
                }
                _ => {}
            }
            alloc.modify_index = self.index;
            alloc.modify_time = update.modify_time;
            self.update_deployment_with_alloc(&mut alloc, Some(&old))?;
            self.update_summary_with_alloc(&alloc, Some(&old))?;
            if alloc.client_terminal() {
                self.delete_services_of_alloc(&alloc.id);
            }
            jobs.insert((alloc.namespace.clone(), alloc.job_id.clone()), None);
            self.put_alloc(Arc::new(alloc));
        }
        self.upsert_evals(c.evals.iter().cloned())?;
        self.set_job_statuses(jobs, false);
        self.touch(Table::Allocs);
        Ok(())
    }

    pub(super) fn update_desired_transitions(
        &mut self,
        c: &AllocDesiredTransitions,
    ) -> Result<(), StateError> {
        for (alloc_id, transition) in &c.transitions {
            self.merge_desired_transition(alloc_id, transition);
        }
        for eval in &c.evals {
            self.nested_upsert_eval(eval.clone());
        }
        self.touch(Table::Allocs);
        Ok(())
    }

    fn merge_desired_transition(&mut self, alloc_id: &str, transition: &DesiredTransition) {
        let Some(alloc) = self.t.allocs.get(&QId::new(alloc_id)) else {
            return;
        };
        let mut alloc = (**alloc).clone();
        let merged = &mut alloc.details_mut().desired_transition;
        let overlay = |into: &mut Option<bool>, from: Option<bool>| {
            if from.is_some() {
                *into = from;
            }
        };
        overlay(&mut merged.migrate, transition.migrate);
        overlay(&mut merged.reschedule, transition.reschedule);
        overlay(&mut merged.force_reschedule, transition.force_reschedule);
        overlay(&mut merged.no_shutdown_delay, transition.no_shutdown_delay);
        overlay(
            &mut merged.migrate_disable_placement,
            transition.migrate_disable_placement,
        );
        alloc.modify_index = self.index;
        alloc.alloc_modify_index = self.index;
        self.put_alloc(Arc::new(alloc));
    }

    /// `no_shutdown_delay` on deregister: every allocation of the current job incarnation
    /// skips its shutdown delay.
    pub(super) fn set_no_shutdown_delay(&mut self, namespace: &str, job_id: &str) {
        let Some(job) = self.t.job(namespace, job_id) else {
            return;
        };
        let create_index = job.create_index;
        let ids: Vec<SmolStr> = self
            .t
            .allocs_of_job(namespace, job_id)
            .filter(|a| {
                a.job
                    .as_ref()
                    .is_some_and(|j| j.create_index == create_index)
            })
            .map(|a| a.id.clone())
            .collect();
        let transition = DesiredTransition {
            no_shutdown_delay: Some(true),
            ..DesiredTransition::default()
        };
        for id in &ids {
            self.merge_desired_transition(id, &transition);
        }
        if !ids.is_empty() {
            self.touch(Table::Allocs);
        }
    }

    /// Deletes an allocation and its service registrations; false when it did not exist.
    pub(super) fn delete_alloc(&mut self, alloc_id: &str) -> bool {
        if self.remove_alloc(alloc_id).is_none() {
            return false;
        }
        self.delete_services_of_alloc(alloc_id);
        true
    }

    /// Placement and health counters of the allocation's deployment, its placed canaries,
    /// and the progress deadline.
    pub(super) fn update_deployment_with_alloc(
        &mut self,
        alloc: &mut Allocation,
        existing: Option<&Allocation>,
    ) -> Result<(), StateError> {
        if alloc.deployment_id.is_empty() {
            return Ok(());
        }
        let deployment_id = QId::new(&alloc.deployment_id);
        let Some(deployment) = self.t.deployments.get(&deployment_id) else {
            return Ok(());
        };
        if !deployment
            .task_groups
            .contains_key(alloc.task_group.as_str())
        {
            return Ok(());
        }
        let health = |a: &Allocation| {
            a.details()
                .deployment_status
                .as_ref()
                .and_then(|s| s.healthy)
        };
        let (mut placed, mut healthy, mut unhealthy) = (0, 0, 0);
        match (existing, health(alloc)) {
            (None, _) => placed = 1,
            (Some(old), _) if old.deployment_id != alloc.deployment_id => placed = 1,
            (Some(old), Some(now)) => match health(old) {
                None if now => healthy = 1,
                None => unhealthy = 1,
                Some(true) if !now => {
                    healthy = -1;
                    unhealthy = 1;
                }
                Some(_) => {}
            },
            (Some(_), None) => {}
        }
        if placed == 0 && healthy == 0 && unhealthy == 0 {
            return Ok(());
        }
        if healthy + unhealthy != 0
            && let Some(status) = alloc
                .details
                .existing_mut()
                .and_then(|d| d.deployment_status.as_deref_mut())
        {
            status.modify_index = self.index;
        }
        // Only counters change, in place: the deployment keeps its index entries, and of the
        // plan's many placements only the first copies it.
        let index = self.index;
        let Some(deployment) = self.deployment_mut(&deployment_id) else {
            return Ok(());
        };
        let Some(state) = deployment.task_groups.get_mut(alloc.task_group.as_str()) else {
            return Ok(());
        };
        state.placed_allocs += placed;
        state.healthy_allocs += healthy;
        state.unhealthy_allocs += unhealthy;
        let canary = alloc
            .details()
            .deployment_status
            .as_ref()
            .is_some_and(|s| s.canary);
        if canary && !state.placed_canaries.iter().any(|id| *id == alloc.id) {
            state.placed_canaries.push(alloc.id.to_string());
        }
        let deadline = state.progress_deadline;
        if deadline != 0 {
            let required_by = time::parse_rfc3339(&state.require_progress_by);
            if placed != 0 && required_by.is_none() {
                // Modify time, not create time: an in-place update may join a deployment.
                state.require_progress_by =
                    time::format_rfc3339(alloc.modify_time.saturating_add(deadline));
            } else if healthy != 0 {
                let healthy_at = alloc
                    .details()
                    .deployment_status
                    .as_ref()
                    .and_then(|s| time::parse_rfc3339(&s.timestamp))
                    .unwrap_or_default();
                let candidate = healthy_at.saturating_add(deadline);
                if required_by.is_none_or(|by| candidate > by) {
                    state.require_progress_by = time::format_rfc3339(candidate);
                }
            }
        }
        deployment.modify_index = index;
        deployment.modify_time = alloc.modify_time;
        let stable = StableVersion::of(deployment);
        self.deployment_written(stable)
    }
}

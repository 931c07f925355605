//! Deployment writes (`upsertDeploymentImpl`, `UpdateDeploymentStatus`,
//! `UpdateDeploymentPromotion`, `UpdateDeploymentAllocHealth`).

use std::sync::Arc;

use drover_model::deployment::{deployment_description, deployment_status};
use drover_model::{Deployment, Job, time};

use super::Txn;
use super::jobs::JobWrite;
use crate::StateError;
use crate::command::{
    DeploymentAllocHealth, DeploymentPromotion, DeploymentStatusChange, DeploymentStatusUpdate,
};
use crate::keys::QId;
use crate::table::Table;

impl Txn<'_> {
    /// Writes a deployment with its indexes. Promotion can't be undone, and a successful
    /// deployment marks its job version stable.
    pub(super) fn upsert_deployment_impl(
        &mut self,
        mut deployment: Deployment,
    ) -> Result<(), StateError> {
        match self.t.deployments.get(&QId::new(&deployment.id)) {
            Some(existing) => {
                deployment.create_index = existing.create_index;
                for (name, old) in &existing.task_groups {
                    if old.promoted
                        && deployment
                            .task_groups
                            .get(name)
                            .is_some_and(|new| !new.promoted)
                    {
                        return Err(StateError::PromotionUndone);
                    }
                }
            }
            None => deployment.create_index = self.index,
        }
        deployment.modify_index = self.index;
        let stable = StableVersion::of(&deployment);
        self.put_deployment(Arc::new(deployment));
        self.deployment_written(stable)
    }

    /// What follows any write of a deployment: the table's index, and the job version that a
    /// successful deployment marks stable.
    pub(super) fn deployment_written(
        &mut self,
        stable: Option<StableVersion>,
    ) -> Result<(), StateError> {
        self.touch(Table::Deployment);
        match stable {
            Some(v) => self.update_job_stability(&v.namespace, &v.job_id, v.version, true),
            None => Ok(()),
        }
    }

    /// A deployment registered with its job: an active earlier deployment is cancelled and
    /// the new one points at the job as written.
    pub(super) fn register_deployment(
        &mut self,
        job: &Job,
        mut deployment: Deployment,
    ) -> Result<(), StateError> {
        let latest = self
            .t
            .deployments_of_job(&job.namespace, &job.id)
            .max_by_key(|d| d.create_index)
            .filter(|d| d.active())
            .cloned();
        if let Some(latest) = latest {
            let mut cancelled = (*latest).clone();
            cancelled.status = deployment_status::CANCELLED.to_string();
            cancelled.status_description = deployment_description::NEWER_JOB.to_string();
            self.upsert_deployment_impl(cancelled)?;
        }
        deployment.job_create_index = job.create_index;
        deployment.job_modify_index = job.modify_index;
        deployment.job_spec_modify_index = job.job_modify_index;
        deployment.job_version = job.version;
        self.upsert_deployment_impl(deployment)
    }

    pub(super) fn update_deployment_status(
        &mut self,
        c: &DeploymentStatusChange,
    ) -> Result<(), StateError> {
        self.update_deployment_status_impl(&c.update, c.updated_at)?;
        self.upsert_optional_job_and_eval(c.job.as_ref(), c.eval.as_ref())
    }

    /// The job (an auto-revert) and evaluation that may ride along a deployment change.
    fn upsert_optional_job_and_eval(
        &mut self,
        job: Option<&Arc<Job>>,
        eval: Option<&drover_model::Evaluation>,
    ) -> Result<(), StateError> {
        if let Some(job) = job {
            self.upsert_job_impl(job.clone(), JobWrite::default())?;
        }
        self.upsert_evals(eval.cloned())
    }

    /// A new status on an active deployment; running and paused restart the progress
    /// deadlines.
    pub(super) fn update_deployment_status_impl(
        &mut self,
        update: &DeploymentStatusUpdate,
        updated_at: i64,
    ) -> Result<(), StateError> {
        let mut deployment = self.active_deployment(&update.deployment_id)?;
        deployment.status = update.status.clone();
        deployment.status_description = update.status_description.clone();
        deployment.modify_time = updated_at;
        let restart = matches!(
            deployment.status.as_str(),
            deployment_status::PAUSED | deployment_status::RUNNING
        );
        if restart {
            for state in deployment.task_groups.values_mut() {
                if state.progress_deadline != 0 {
                    state.require_progress_by =
                        time::format_rfc3339(updated_at.saturating_add(state.progress_deadline));
                }
            }
        }
        self.upsert_deployment_impl(deployment)
    }

    /// A plan's deployment status updates. Nomad's `UpsertPlanResults` ignores their errors: a
    /// deployment that finished (failed by the watcher, say) after the scheduler took its
    /// snapshot keeps its status, and the plan's allocations are still written.
    pub(super) fn plan_deployment_updates(
        &mut self,
        updates: &[DeploymentStatusUpdate],
        updated_at: i64,
    ) {
        for update in updates {
            let active = self
                .t
                .deployments
                .get(&QId::new(&update.deployment_id))
                .is_some_and(|d| d.active());
            if active {
                // Only the job's stability can still fail (its version is gone); Nomad
                // ignores that too.
                let _ignored = self.update_deployment_status_impl(update, updated_at);
            }
        }
    }

    fn active_deployment(&self, id: &str) -> Result<Deployment, StateError> {
        let Some(deployment) = self.t.deployments.get(&QId::new(id)) else {
            return Err(StateError::DeploymentNotFound(id.to_string()));
        };
        if !deployment.active() {
            return Err(StateError::DeploymentTerminal {
                id: deployment.id.to_string(),
                status: deployment.status.clone(),
            });
        }
        Ok((**deployment).clone())
    }

    /// Promotes the healthy canaries of the chosen groups; every chosen group must have all
    /// the canaries it wants healthy.
    pub(super) fn promote_deployment(&mut self, c: &DeploymentPromotion) -> Result<(), StateError> {
        let mut deployment = self.active_deployment(&c.deployment_id)?;
        let chosen = |group: &str| c.all || c.groups.iter().any(|g| g == group);
        let canaries: Vec<&String> = deployment
            .task_groups
            .values()
            .flat_map(|s| &s.placed_canaries)
            .collect();
        let promotable: Vec<_> = self
            .t
            .allocs_of_deployment(&c.deployment_id)
            .filter(|a| canaries.iter().any(|id| **id == a.id) && chosen(&a.task_group))
            .filter(|a| {
                !a.terminal()
                    && a.details()
                        .deployment_status
                        .as_ref()
                        .is_some_and(|s| s.healthy == Some(true))
            })
            .cloned()
            .collect();
        let mut lacking = Vec::new();
        for (name, state) in &deployment.task_groups {
            if !chosen(name) || state.desired_canaries == 0 {
                continue;
            }
            let have = promotable.iter().filter(|a| a.task_group == name).count();
            if (have as i64) < state.desired_canaries {
                lacking.push(format!(
                    "Task group {name:?} has {have}/{} healthy allocations",
                    state.desired_canaries
                ));
            }
        }
        if !lacking.is_empty() {
            return Err(StateError::UnhealthyCanaries(multierror(&lacking)));
        }
        for (name, state) in deployment.task_groups.iter_mut() {
            if !chosen(name) {
                continue;
            }
            if state.progress_deadline > 0
                && time::parse_rfc3339(&state.require_progress_by).is_some()
            {
                state.require_progress_by =
                    time::format_rfc3339(c.promoted_at.saturating_add(state.progress_deadline));
            }
            state.promoted = true;
        }
        let needs_promotion = deployment
            .task_groups
            .values()
            .any(|s| s.desired_canaries > 0 && !s.promoted);
        if !needs_promotion && deployment.status == deployment_status::RUNNING {
            deployment.status_description = deployment_description::RUNNING.to_string();
        }
        deployment.modify_time = c.promoted_at;
        self.upsert_deployment_impl(deployment)?;
        if let Some(eval) = &c.eval {
            self.nested_upsert_eval(eval.clone());
        }
        for alloc in promotable {
            let mut promoted = (*alloc).clone();
            if let Some(status) = promoted.deployment_status_mut() {
                status.canary = false;
                status.modify_index = self.index;
            }
            promoted.modify_index = self.index;
            promoted.alloc_modify_index = self.index;
            self.put_alloc(Arc::new(promoted));
        }
        self.touch(Table::Allocs);
        Ok(())
    }

    pub(super) fn update_deployment_alloc_health(
        &mut self,
        c: &DeploymentAllocHealth,
    ) -> Result<(), StateError> {
        self.active_deployment(&c.deployment_id)?;
        let marks = c
            .healthy_alloc_ids
            .iter()
            .map(|id| (id, true))
            .chain(c.unhealthy_alloc_ids.iter().map(|id| (id, false)));
        let mut any = false;
        for (alloc_id, healthy) in marks {
            any = true;
            let Some(old) = self.t.allocs.get(&QId::new(alloc_id)).cloned() else {
                return Err(StateError::AllocNotFound(alloc_id.clone()));
            };
            if old.deployment_id != c.deployment_id {
                return Err(StateError::AllocNotInDeployment {
                    alloc: alloc_id.clone(),
                    deployment: c.deployment_id.clone(),
                });
            }
            let mut alloc = (*old).clone();
            let status = alloc
                .details_mut()
                .deployment_status
                .get_or_insert_with(Default::default);
            status.healthy = Some(healthy);
            status.timestamp = time::format_rfc3339(c.timestamp);
            status.modify_index = self.index;
            alloc.modify_time = c.timestamp;
            alloc.modify_index = self.index;
            self.update_deployment_with_alloc(&mut alloc, Some(&old))?;
            self.put_alloc(Arc::new(alloc));
        }
        if any {
            self.touch(Table::Allocs);
        }
        if let Some(update) = &c.deployment_update {
            self.update_deployment_status_impl(update, c.timestamp)?;
        }
        self.upsert_optional_job_and_eval(c.job.as_ref(), c.eval.as_ref())
    }
}

/// go-multierror's text for a list of errors.
fn multierror(errors: &[String]) -> String {
    let noun = if errors.len() == 1 {
        "1 error occurred".to_string()
    } else {
        format!("{} errors occurred", errors.len())
    };
    let items: String = errors.iter().map(|e| format!("\n\t* {e}")).collect();
    format!("{noun}:{items}\n\n")
}

/// The job version a successful deployment marks stable, taken before the deployment is
/// stored (the write borrows it).
pub(super) struct StableVersion {
    namespace: String,
    job_id: String,
    version: u64,
}

impl StableVersion {
    pub(super) fn of(deployment: &Deployment) -> Option<Self> {
        (deployment.status == deployment_status::SUCCESSFUL).then(|| StableVersion {
            namespace: deployment.namespace.clone(),
            job_id: deployment.job_id.clone(),
            version: deployment.job_version,
        })
    }
}

//! The allocation records schedulers put in plans: new placements and in-place updates.

use std::sync::Arc;

use drover_model::allocation::{client_status, desired_status};
use drover_model::{AllocMetric, AllocatedResources, Allocation, Evaluation, Job, Node};

/// A placement the stack found a node for.
#[derive(Debug)]
pub(super) struct NewAllocation<'a> {
    pub id: String,
    pub eval: &'a Evaluation,
    /// The job version placed (the current one, or the version a canarying group keeps).
    pub job: &'a Arc<Job>,
    pub task_group: &'a str,
    pub name: String,
    pub node: &'a Node,
    pub resources: AllocatedResources,
    pub metrics: AllocMetric,
    /// The active deployment, if any.
    pub deployment_id: &'a str,
    /// Unix nanoseconds: the creation time until the applier commits it.
    pub now: i64,
}

impl NewAllocation<'_> {
    /// The record Nomad builds: desired to run, pending on the client.
    pub fn build(self) -> Allocation {
        Allocation {
            id: self.id,
            namespace: self.job.namespace.clone(),
            eval_id: self.eval.id.clone(),
            name: self.name,
            node_id: self.node.id.clone(),
            node_name: self.node.name.clone(),
            job_id: self.job.id.clone(),
            job: Some(Arc::clone(self.job)),
            task_group: self.task_group.to_string(),
            allocated_resources: Some(self.resources),
            metrics: Some(self.metrics),
            desired_status: desired_status::RUN.to_string(),
            client_status: client_status::PENDING.to_string(),
            deployment_id: self.deployment_id.to_string(),
            create_time: self.now,
            modify_time: self.now,
            ..Allocation::default()
        }
    }
}

/// `existing` updated in place to `job` with the resources the stack found on its node,
/// keeping the networks, ports and reserved cores it holds (they cannot change in place).
pub(super) fn updated_in_place(
    existing: &Allocation,
    job: &Arc<Job>,
    eval_id: &str,
    mut resources: AllocatedResources,
) -> Allocation {
    let old = existing.allocated_resources.as_ref();
    for (task, new) in &mut resources.tasks {
        let kept = old.and_then(|r| r.tasks.get(task));
        new.networks = kept.map(|t| t.networks.clone()).unwrap_or_default();
        new.cpu.reserved_cores = kept
            .map(|t| t.cpu.reserved_cores.clone())
            .unwrap_or_default();
    }
    let shared = old.map(|r| (r.shared.networks.clone(), r.shared.ports.clone()));
    (resources.shared.networks, resources.shared.ports) = shared.unwrap_or_default();
    let mut updated = existing.clone();
    updated.eval_id = eval_id.to_string();
    updated.job = Some(Arc::clone(job));
    updated.allocated_resources = Some(resources);
    updated
}

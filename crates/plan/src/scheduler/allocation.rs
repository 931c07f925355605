//! The allocation records schedulers put in plans: new placements and in-place updates.

use std::sync::Arc;

use drover_model::allocation::{ClientStatus, DesiredStatus};
use drover_model::{
    AllocDetails, AllocMetric, AllocatedResources, Allocation, Evaluation, Job, Node, SmolStr,
};

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
    pub resources: Arc<AllocatedResources>,
    pub metrics: Option<AllocMetric>,
    /// The active deployment, if any.
    pub deployment_id: Option<&'a SmolStr>,
    /// Unix nanoseconds: the creation time until the applier commits it.
    pub now: i64,
}

impl NewAllocation<'_> {
    /// The record Nomad builds: desired to run, pending on the client.
    pub fn build(self) -> Allocation {
        Allocation {
            id: self.id.into(),
            namespace: self.job.namespace.as_str().into(),
            eval_id: self.eval.id.clone(),
            name: self.name.into(),
            node_id: self.node.id.clone(),
            node_name: self.node.name.clone(),
            job_id: self.job.id.as_str().into(),
            job: Some(Arc::clone(self.job)),
            task_group: self.task_group.into(),
            allocated_resources: Some(self.resources),
            metrics: self.metrics.map(Arc::new),
            desired_status: DesiredStatus::Run,
            client_status: ClientStatus::Pending,
            deployment_id: self.deployment_id.cloned().unwrap_or_default(),
            create_time: self.now,
            modify_time: self.now,
            ..Allocation::default()
        }
    }
}

/// `existing` updated in place to `job` with the resources the stack found on its node,
/// keeping the networks, ports and reserved cores it holds (they cannot change in place), and,
/// in a `stored` plan, its metrics (Nomad keeps those of the original placement); see
/// [`copy_of`].
pub(super) fn updated_in_place(
    existing: &Allocation,
    job: &Arc<Job>,
    eval_id: &str,
    mut resources: Arc<AllocatedResources>,
    stored: bool,
) -> Allocation {
    let old = existing.allocated_resources.as_deref();
    if old.is_some_and(holds_reservations) || holds_reservations(&resources) {
        let new = Arc::make_mut(&mut resources);
        for (task, new) in &mut new.tasks {
            let kept = old.and_then(|r| r.tasks.get(task));
            new.networks = kept.map(|t| t.networks.clone()).unwrap_or_default();
            new.cpu.reserved_cores = kept
                .map(|t| t.cpu.reserved_cores.clone())
                .unwrap_or_default();
        }
        let shared = old.map(|r| (r.shared.networks.clone(), r.shared.ports.clone()));
        (new.shared.networks, new.shared.ports) = shared.unwrap_or_default();
    }
    let mut updated = copy_of(existing, stored, Some(resources));
    updated.eval_id = eval_id.into();
    updated.job = Some(Arc::clone(job));
    updated
}

/// Whether `r` holds networks, ports or reserved cores: what an in-place update keeps.
fn holds_reservations(r: &AllocatedResources) -> bool {
    !r.shared.networks.is_empty()
        || !r.shared.ports.is_empty()
        || r.tasks
            .values()
            .any(|t| !t.networks.is_empty() || !t.cpu.reserved_cores.is_empty())
}

/// A copy of `alloc` for the plan, with `resources` instead of its own when given: in full when
/// the plan is `stored`, otherwise (a dry-run's plan, only reported) trimmed to what a plan
/// shows and the scheduler reads back: identity, node, job, statuses, lineage, deployment,
/// resources, indexes and times. The client's reports (task and allocation states), the
/// metrics and the transition and preemption records are most of an allocation's heap, and
/// a dry-run copies every allocation it stops or updates.
pub(super) fn copy_of(
    alloc: &Allocation,
    stored: bool,
    resources: Option<Arc<AllocatedResources>>,
) -> Allocation {
    if !stored {
        let details = alloc.details();
        return Allocation {
            id: alloc.id.clone(),
            namespace: alloc.namespace.clone(),
            eval_id: alloc.eval_id.clone(),
            name: alloc.name.clone(),
            node_id: alloc.node_id.clone(),
            job_id: alloc.job_id.clone(),
            job: alloc.job.clone(),
            task_group: alloc.task_group.clone(),
            allocated_resources: resources.or_else(|| alloc.allocated_resources.clone()),
            desired_status: alloc.desired_status,
            client_status: alloc.client_status,
            deployment_id: alloc.deployment_id.clone(),
            create_index: alloc.create_index,
            modify_index: alloc.modify_index,
            alloc_modify_index: alloc.alloc_modify_index,
            create_time: alloc.create_time,
            modify_time: alloc.modify_time,
            details: AllocDetails {
                desired_description: details.desired_description.clone(),
                previous_allocation: details.previous_allocation.clone(),
                deployment_status: details.deployment_status.clone(),
                reschedule_tracker: details.reschedule_tracker.clone(),
                followup_eval_id: details.followup_eval_id.clone(),
                ..AllocDetails::default()
            }
            .into(),
            ..Allocation::default()
        };
    }
    // Every field is named, so that one added later is not silently dropped.
    let Allocation {
        id,
        namespace,
        eval_id,
        name,
        node_id,
        node_name,
        job_id,
        job,
        task_group,
        allocated_resources,
        metrics: alloc_metrics,
        desired_status,
        client_status,
        deployment_id,
        create_index,
        modify_index,
        alloc_modify_index,
        create_time,
        modify_time,
        details,
    } = alloc;
    Allocation {
        id: id.clone(),
        namespace: namespace.clone(),
        eval_id: eval_id.clone(),
        name: name.clone(),
        node_id: node_id.clone(),
        node_name: node_name.clone(),
        job_id: job_id.clone(),
        job: job.clone(),
        task_group: task_group.clone(),
        allocated_resources: resources.or_else(|| allocated_resources.clone()),
        metrics: alloc_metrics.clone(),
        desired_status: *desired_status,
        client_status: *client_status,
        deployment_id: deployment_id.clone(),
        create_index: *create_index,
        modify_index: *modify_index,
        alloc_modify_index: *alloc_modify_index,
        create_time: *create_time,
        modify_time: *modify_time,
        details: details.clone(),
    }
}

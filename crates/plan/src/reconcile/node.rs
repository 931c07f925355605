//! The node reconciler for system and sysbatch jobs (Nomad's `NodeReconciler`): one allocation
//! of each task group on every eligible node, compared node by node with what runs there.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use drover_model::allocation::{ClientStatus, DesiredStatus};
use drover_model::deployment::{deployment_description, deployment_status};
use drover_model::job::job_type;
use drover_model::node::node_status;
use drover_model::{Allocation, Deployment, Job, TaskGroup};

use super::alloc::AllocExt;
use super::deployment::{
    initial_state, is_failed, is_paused, new_deployment, status_update, update_is_empty,
};
use super::names::alloc_name;
use super::{DeploymentStatusUpdate, TaintedNodes, status_description};

/// Everything the node reconciler reads.
#[derive(Debug, Clone, Copy)]
pub struct NodeReconcileInput<'a> {
    /// The job as it should run; `None` or stopped means stop everything.
    pub job: Option<&'a Job>,
    /// Ready nodes in the job's datacenters and node pool: each should run every group.
    pub eligible_nodes: &'a BTreeSet<String>,
    /// Nodes that are not ready (draining, ineligible, down, ...): their allocations stay
    /// until the job changes.
    pub not_ready_nodes: &'a BTreeSet<String>,
    pub tainted_nodes: &'a TaintedNodes,
    /// All allocations of the job, of any version and status.
    pub allocs: &'a [Arc<Allocation>],
    /// The job's latest deployment.
    pub deployment: Option<&'a Deployment>,
    /// Unix nanoseconds.
    pub now: i64,
}

/// One named allocation slot on one node.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeAllocTuple {
    /// `<job name>.<group>[<index>]`.
    pub name: String,
    pub task_group: String,
    pub node_id: String,
    /// The existing allocation; for a placement, the node's last terminal allocation of that
    /// name (the previous allocation), if any. Disconnect and reconnect entries carry the
    /// updated copy.
    pub alloc: Option<Arc<Allocation>>,
    /// An update that must go out as a canary (unpromoted canary deployment).
    pub canary: bool,
}

/// What the node reconciler decided, per kind of change. The scheduler re-checks updates for
/// in-place fit, stops `stop` and `migrate` ("alloc not needed due to job update", "alloc not
/// needed as node is tainted"), stops `lost` as lost, and places `place`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeReconcileResults {
    pub place: Vec<NodeAllocTuple>,
    pub update: Vec<NodeAllocTuple>,
    pub migrate: Vec<NodeAllocTuple>,
    pub stop: Vec<NodeAllocTuple>,
    pub ignore: Vec<NodeAllocTuple>,
    pub lost: Vec<NodeAllocTuple>,
    /// Running allocations on disconnected nodes, now `unknown`.
    pub disconnecting: Vec<NodeAllocTuple>,
    /// Unknown allocations whose node came back, with the reconnect recorded.
    pub reconnecting: Vec<NodeAllocTuple>,
    /// The deployment after reconciliation: the current one, or one created for this version
    /// (whose group states the scheduler completes), or none.
    pub deployment: Option<Deployment>,
    pub deployment_updates: Vec<DeploymentStatusUpdate>,
}

/// Reconciles a system or sysbatch job node by node. `new_id` names a created deployment.
pub fn reconcile_nodes(
    input: &NodeReconcileInput<'_>,
    new_id: &mut dyn FnMut() -> String,
) -> NodeReconcileResults {
    let job = input.job.filter(|j| !j.stop);

    let mut live: BTreeMap<&str, Vec<&Arc<Allocation>>> = BTreeMap::new();
    let mut terminal: Terminal<'_> = BTreeMap::new();
    for alloc in input.allocs {
        if alloc.terminal() {
            let on_node = terminal.entry(alloc.node_id.as_str()).or_default();
            let slot = on_node.entry(alloc.name.as_str()).or_insert(alloc);
            if slot.create_index < alloc.create_index {
                *slot = alloc;
            }
        } else {
            live.entry(&alloc.node_id).or_default().push(alloc);
        }
    }
    for node in input.eligible_nodes {
        live.entry(node).or_default();
    }

    // Each group's `count` names (normally one) are wanted on every node.
    let mut required: BTreeMap<String, &TaskGroup> = BTreeMap::new();
    for tg in job.iter().flat_map(|j| &j.task_groups) {
        for i in 0..tg.count.max(0) as u64 {
            let job = job.map_or("", |j| j.name.as_str());
            required.insert(alloc_name(job, &tg.name, i), tg);
        }
    }

    let mut reconciler = NodeReconciler {
        input,
        terminal,
        results: NodeReconcileResults::default(),
        deployment_old: None,
        deployment_current: input.deployment.cloned(),
        same_version_allocs: false,
        new_id,
    };
    reconciler.cancel_unneeded_deployments(input.job);
    for (node, allocs) in live {
        reconciler.compute_for_node(job, &required, node, &allocs);
    }

    // Allocations already at this version without a deployment mean the version rolled out
    // without one; starting a deployment now could never complete.
    if input.deployment.is_none() && reconciler.same_version_allocs {
        let dropped = reconciler.deployment_current.take();
        let updates = &mut reconciler.results.deployment_updates;
        updates.retain(|u| dropped.as_ref().is_none_or(|d| u.deployment_id != d.id));
    }
    let mut results = reconciler.results;
    results.deployment = reconciler.deployment_current;
    results
}

/// The newest terminal allocation by node and name.
type Terminal<'a> = BTreeMap<&'a str, BTreeMap<&'a str, &'a Arc<Allocation>>>;

struct NodeReconciler<'a, 'h> {
    input: &'a NodeReconcileInput<'a>,
    terminal: Terminal<'a>,
    results: NodeReconcileResults,
    deployment_old: Option<&'a Deployment>,
    deployment_current: Option<Deployment>,
    same_version_allocs: bool,
    new_id: &'h mut dyn FnMut() -> String,
}

fn tuple(name: &str, group: &str, node: &str, alloc: Option<Arc<Allocation>>) -> NodeAllocTuple {
    NodeAllocTuple {
        name: name.to_string(),
        task_group: group.to_string(),
        node_id: node.to_string(),
        alloc,
        canary: false,
    }
}

fn job_modify_index(alloc: &Allocation) -> u64 {
    alloc.own_job().map_or(0, |j| j.job_modify_index)
}

impl<'a> NodeReconciler<'a, '_> {
    /// Sets aside a deployment of another job version, or a successful one; cancels it while
    /// it is active (or when the job stopped).
    fn cancel_unneeded_deployments(&mut self, job: Option<&Job>) {
        let Some(current) = &self.deployment_current else {
            return;
        };
        let cancel =
            |description| status_update(current, deployment_status::CANCELLED, description);
        let job = match job {
            Some(job) if !job.stop => job,
            _ => {
                if current.active() {
                    let update = cancel(deployment_description::STOPPED_JOB);
                    self.results.deployment_updates.push(update);
                }
                return;
            }
        };
        let other_version =
            current.job_create_index != job.create_index || current.job_version != job.version;
        if other_version && current.active() {
            let update = cancel(deployment_description::NEWER_JOB);
            self.results.deployment_updates.push(update);
        } else if current.status != deployment_status::SUCCESSFUL {
            return;
        }
        self.deployment_old = self.input.deployment;
        self.deployment_current = None;
    }

    /// Compares what runs on `node` with the `required` allocation names.
    fn compute_for_node(
        &mut self,
        job: Option<&'a Job>,
        required: &BTreeMap<String, &TaskGroup>,
        node: &'a str,
        allocs: &[&Arc<Allocation>],
    ) {
        let input = self.input;
        let current = self.deployment_current.as_ref();
        let paused = current.is_some_and(is_paused);
        let failed = current.is_some_and(is_failed);

        let mut existing = BTreeSet::new();
        let mut updates_on_node = 0;
        for &alloc in allocs {
            let name = alloc.name.as_str();
            existing.insert(name);
            let (Some(job), Some(tg)) = (job, required.get(name).copied()) else {
                let t = tuple(name, &alloc.task_group, node, Some(Arc::clone(alloc)));
                self.results.stop.push(t);
                continue;
            };
            let slot = tuple(name, &tg.name, node, Some(Arc::clone(alloc)));
            let reconnect = matches!(
                alloc.client_status,
                ClientStatus::Unknown | ClientStatus::Running
            ) && alloc.needs_to_reconnect();
            let taint = input.tainted_nodes.get(alloc.node_id.as_str());

            if alloc.should_migrate() {
                self.results.migrate.push(slot);
                continue;
            }
            if reconnect && alloc.expired(input.now) {
                self.results.lost.push(slot);
                continue;
            }
            if alloc.client_status == ClientStatus::Unknown
                && alloc.desired_status == DesiredStatus::Run
            {
                self.results.ignore.push(slot);
                continue;
            }
            if taint.is_none() && reconnect {
                let updated = alloc.with_client_state(alloc.client_status, input.now);
                let t = tuple(name, &tg.name, node, Some(Arc::new(updated)));
                self.results.reconnecting.push(t);
                continue;
            }
            if let Some(taint) = taint {
                // Finished sysbatch work stays finished whatever happens to its node.
                let finished = alloc.job_type_is(job_type::SYSBATCH) && alloc.ran_successfully();
                let node_is = |status| taint.as_ref().is_some_and(|n| n.is(status));
                if !finished
                    && node_is(node_status::DISCONNECTED)
                    && alloc.client_status == ClientStatus::Running
                {
                    let mut updated = alloc.with_client_state(ClientStatus::Unknown, input.now);
                    updated.client_status = ClientStatus::Unknown;
                    updated.details_mut().client_description =
                        status_description::UNKNOWN.to_string();
                    let t = tuple(name, &tg.name, node, Some(Arc::new(updated)));
                    self.results.disconnecting.push(t);
                } else if !finished && (taint.is_none() || node_is(node_status::DOWN)) {
                    self.results.lost.push(slot);
                } else {
                    self.ignore(slot);
                }
                continue;
            }

            let job_changed = job.job_modify_index != job_modify_index(alloc);
            if input.not_ready_nodes.contains(node) {
                // An ineligible node keeps its allocations until the job changes.
                if job_changed {
                    self.results.stop.push(slot);
                } else {
                    self.ignore(slot);
                }
                continue;
            }
            if !input.eligible_nodes.contains(node) {
                self.results.stop.push(slot);
                continue;
            }
            if job_changed {
                let canary_update = tg.update.as_ref().and_then(|u| u.canary).unwrap_or(0) > 0;
                let unpromoted = match &self.deployment_current {
                    Some(d) => d
                        .task_groups
                        .get(tg.name.as_str())
                        .is_some_and(|s| !s.promoted),
                    None => true,
                };
                let canary = !update_is_empty(tg) && canary_update && unpromoted;
                self.results.update.push(NodeAllocTuple { canary, ..slot });
                updates_on_node += 1;
                continue;
            }
            self.ignore(slot);
        }

        let Some(job) = job else {
            return;
        };
        for (name, &tg) in required {
            let current = self.deployment_current.as_ref();
            let existing_deployment =
                current.is_some_and(|d| d.task_groups.contains_key(tg.name.as_str()));

            if !existing.contains(name.as_str()) {
                let on_node = self.terminal.get(node);
                let previous = on_node.and_then(|t| t.get(name.as_str())).copied();
                match previous {
                    // Sysbatch work ran here already: only a new job version runs it again.
                    Some(done) if job.job_type == job_type::SYSBATCH => {
                        let t = tuple(name, &tg.name, node, Some(Arc::clone(done)));
                        if job.job_modify_index != job_modify_index(done) {
                            self.results.update.push(t);
                            updates_on_node += 1;
                        } else {
                            self.results.ignore.push(t);
                        }
                        continue;
                    }
                    // No new work on tainted or ineligible nodes.
                    _ if input.tainted_nodes.contains_key(node)
                        || !input.eligible_nodes.contains(node) =>
                    {
                        continue;
                    }
                    _ => {
                        let t = tuple(name, &tg.name, node, previous.cloned());
                        self.results.place.push(t);
                    }
                }
            }

            if existing_deployment || update_is_empty(tg) || paused || failed {
                continue;
            }
            self.create_deployment(job, tg, updates_on_node, allocs, node);
        }
    }

    fn ignore(&mut self, slot: NodeAllocTuple) {
        self.same_version_allocs = true;
        self.results.ignore.push(slot);
    }

    /// Attaches a fresh state for the group to the deployment (creating it) when this node
    /// updates the group or has never run this job version.
    fn create_deployment(
        &mut self,
        job: &Job,
        tg: &TaskGroup,
        updates_on_node: usize,
        live: &[&Arc<Allocation>],
        node: &str,
    ) {
        if self
            .deployment_old
            .is_some_and(|old| old.job_version == job.version)
        {
            return;
        }
        let this_version = |a: &Allocation| a.job_id == job.id && a.runs_version_of(job);
        let running = live.iter().any(|a| this_version(a));
        self.same_version_allocs |= running;
        let ran_here = self
            .terminal
            .get(node)
            .is_some_and(|t| t.values().any(|a| this_version(a)));
        if (running || ran_here) && updates_on_node == 0 {
            return;
        }

        let deployment = match &mut self.deployment_current {
            Some(d) => d,
            None => {
                let id = (self.new_id)();
                let created = new_deployment(job, id, job.priority, self.input.now);
                let running = deployment_description::RUNNING;
                let update = status_update(&created, deployment_status::RUNNING, running);
                self.results.deployment_updates.push(update);
                self.deployment_current.insert(created)
            }
        };
        deployment
            .task_groups
            .insert(tg.name.to_string(), initial_state(tg));
    }
}

//! The plan applier (Nomad's `planApply`, `evaluatePlan`, `evaluateNodePlan`): schedulers
//! work on snapshots that may be stale, so every node a plan places on is checked again
//! against the latest state before anything is committed. What fits is committed as one
//! `ApplyPlanResults` command; when a node is refused the result carries a refresh index
//! and the scheduler retries on newer state. An `AllAtOnce` plan is all or nothing.
//!
//! The check and the commit happen under the writer lock, so the state checked is the state
//! committed against: plans are applied one at a time, like Nomad's plan queue.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use drover_model::allocation::ClientStatus;
use drover_model::node::{node_eligibility, node_status};
use drover_model::{Allocation, Evaluation, Node, trigger};
use drover_plan::feasible::{NodeUsage, node_capacity, parse_port_ranges};
use drover_plan::scheduler::{Plan, PlanResult};
use drover_state::usage::AllocUsage;
use drover_state::{Command, PlanResults, Snapshot, Table};

use crate::engine::Engine;
use crate::error::EngineError;

impl Engine {
    /// Re-checks `plan` against the latest state and commits what still fits.
    pub(crate) fn apply_plan(&self, plan: Plan) -> Result<PlanResult, EngineError> {
        self.with_writer(|writer| {
            let snapshot = writer.snapshot();
            let (eval_id, job) = (plan.eval_id.clone(), plan.job.clone());
            let mut result = evaluate_plan(&snapshot, plan);
            if is_no_op(&result) {
                return Ok(result);
            }
            let now = self.now();
            for alloc in result.node_allocation.values_mut().flatten() {
                if alloc.create_time == 0 {
                    alloc.create_time = now;
                }
                alloc.modify_time = now;
            }
            let stopped = result.node_update.values_mut().flatten();
            for alloc in stopped.chain(result.node_preemptions.values_mut().flatten()) {
                alloc.modify_time = now;
            }
            let allocs_preempted: Vec<Arc<Allocation>> = result
                .node_preemptions
                .values()
                .flatten()
                .map(|a| Arc::new(a.clone()))
                .collect();
            let evals = preemption_evals(self, &snapshot, &allocs_preempted, now);
            // The allocations move into the command and back: each is a few dozen strings.
            let (allocs_updated, placed_on) = by_node_into_list(&mut result.node_allocation);
            let (allocs_stopped, stopped_on) = by_node_into_list(&mut result.node_update);
            let command = Command::ApplyPlanResults(PlanResults {
                eval_id,
                job,
                allocs_updated,
                allocs_stopped,
                allocs_preempted,
                deployment: result.deployment.clone(),
                deployment_updates: result.deployment_updates.clone(),
                evals,
                ineligible_nodes: Vec::new(),
                updated_at: now,
            });
            // The store writes in place only where no snapshot shares its tables.
            drop(snapshot);
            let committed = writer.commit(&command, None);
            if let Command::ApplyPlanResults(results) = command {
                result.node_allocation = list_into_by_node(results.allocs_updated, placed_on);
                result.node_update = list_into_by_node(results.allocs_stopped, stopped_on);
            }
            let index = committed?;
            result.alloc_index = index;
            if result.refresh_index != 0 {
                // The scheduler must at least see what was just placed.
                result.refresh_index = result.refresh_index.max(index);
            }
            Ok(result)
        })
    }
}

/// What of `plan` may be committed on `snapshot`: the allocations of the nodes where it still
/// fits move from the plan into the result. Only placements can be refused (stops and
/// evictions only free room), and a refused node's stops stay out of the result too.
fn evaluate_plan(snapshot: &Snapshot, mut plan: Plan) -> PlanResult {
    let refused: Vec<String> = plan
        .node_allocation
        .keys()
        .filter(|node_id| !node_fits(snapshot, &plan, node_id))
        .cloned()
        .collect();
    let mut result = PlanResult::default();
    if refused.is_empty() || !plan.all_at_once {
        result.deployment = plan.deployment.take();
        result.deployment_updates = std::mem::take(&mut plan.deployment_updates);
        for node_id in &refused {
            plan.node_update.remove(node_id);
            plan.node_allocation.remove(node_id);
        }
        // Preemptions are taken on the nodes the plan stops or places on.
        let preempted = std::mem::take(&mut plan.node_preemptions)
            .into_iter()
            .filter(|(node_id, _)| {
                plan.node_update.contains_key(node_id) || plan.node_allocation.contains_key(node_id)
            });
        for (node_id, preempted) in preempted {
            // Allocations that stopped meanwhile need no preempting.
            let live: Vec<Allocation> = preempted
                .into_iter()
                .filter(|a| snapshot.alloc(&a.id).is_some_and(|s| !s.terminal()))
                .collect();
            result.node_preemptions.insert(node_id, live);
        }
        result.node_update = non_empty(std::mem::take(&mut plan.node_update));
        result.node_allocation = non_empty(std::mem::take(&mut plan.node_allocation));
    }
    if !refused.is_empty() {
        result.refresh_index = snapshot
            .table_index(Table::Allocs)
            .max(snapshot.table_index(Table::Nodes));
        keep_placed_canaries(&mut result);
    }
    result
}

type ByNode = BTreeMap<String, Vec<Allocation>>;

/// The nodes of `by_node` that have allocations.
fn non_empty(mut by_node: ByNode) -> ByNode {
    by_node.retain(|_, allocs| !allocs.is_empty());
    by_node
}

/// The allocations of a per-node map, in node order, leaving it empty; with each node and
/// how many of the allocations are its, to put them back with [`list_into_by_node`].
fn by_node_into_list(by_node: &mut ByNode) -> (Vec<Arc<Allocation>>, Vec<(String, usize)>) {
    let mut allocs = Vec::with_capacity(by_node.values().map(Vec::len).sum());
    let nodes = std::mem::take(by_node)
        .into_iter()
        .map(|(node_id, on_node)| {
            let count = on_node.len();
            allocs.extend(on_node.into_iter().map(Arc::new));
            (node_id, count)
        })
        .collect();
    (allocs, nodes)
}

/// The inverse of [`by_node_into_list`].
fn list_into_by_node(allocs: Vec<Arc<Allocation>>, nodes: Vec<(String, usize)>) -> ByNode {
    let mut allocs = allocs.into_iter().map(Arc::unwrap_or_clone);
    nodes
        .into_iter()
        .map(|(node_id, count)| (node_id, allocs.by_ref().take(count).collect()))
        .collect()
}

/// Nomad's `evaluateNodePlan`.
fn node_fits(snapshot: &Snapshot, plan: &Plan, node_id: &str) -> bool {
    let placements = plan
        .node_allocation
        .get(node_id)
        .map_or(&[][..], Vec::as_slice);
    // Stops and evictions only ever free room.
    if placements.is_empty() {
        return true;
    }
    let Some(node) = snapshot.node(node_id) else {
        return false;
    };
    match node.status.as_str() {
        node_status::READY => {}
        // Only marking allocations unknown (disconnected) or lost (down) is allowed there.
        node_status::DISCONNECTED => {
            return placements
                .iter()
                .all(|a| a.client_status == ClientStatus::Unknown);
        }
        node_status::DOWN => return placements.iter().all(marks_lost),
        _ => return false,
    }
    // The allocations the store counts on the node (not terminal), by ID.
    let stored = |id: &str| {
        snapshot
            .alloc(id)
            .filter(|a| a.node_id == node_id && !a.terminal())
    };
    // A new placement has no create index, so the store cannot hold it: no need to look.
    let committed = |a: &Allocation| a.create_index != 0;
    // In-place updates of allocations already there need no room and no eligibility.
    if placements
        .iter()
        .all(|p| committed(p) && stored(&p.id).is_some())
    {
        return true;
    }
    if node.scheduling_eligibility == node_eligibility::INELIGIBLE {
        return false;
    }
    let leaving: BTreeSet<&str> = [&plan.node_update, &plan.node_preemptions]
        .into_iter()
        .filter_map(|m| m.get(node_id))
        .flatten()
        .chain(placements.iter().filter(|a| committed(a)))
        .map(|a| a.id.as_str())
        .collect();
    let usage = snapshot.node_usage(node_id);
    let mut used = usage.map_or_else(NodeUsage::default, |u| u.total);
    for alloc in leaving.iter().filter_map(|id| stored(id)) {
        used.sub(AllocUsage::of(&alloc).resources);
    }
    let placed: Vec<AllocUsage> = placements
        .iter()
        .filter(|a| !a.client_terminal())
        .map(AllocUsage::of)
        .collect();
    for p in &placed {
        used.add(p.resources);
    }
    let staying = usage
        .into_iter()
        .flat_map(|u| u.network())
        .filter(|(id, _)| !leaving.contains(id))
        .map(|(_, usage)| usage);
    fits(&node, used, staying.chain(&placed))
}

/// Nomad's `AllocsFit`: CPU, memory and disk as the scheduler counts them (with task
/// lifecycles), no host port held twice or reserved by the node, no core reserved twice.
/// `used` sums the node's allocations; `network` lists those that hold ports or cores.
fn fits<'a>(node: &Node, used: NodeUsage, network: impl Iterator<Item = &'a AllocUsage>) -> bool {
    let capacity = node_capacity(node);
    if used.cpu > capacity.cpu
        || used.memory_mb > capacity.memory_mb
        || used.disk_mb > capacity.disk_mb
    {
        return false;
    }
    let spec = node
        .reserved_resources
        .as_ref()
        .map_or("", |r| r.networks.reserved_host_ports.as_str());
    let Some(reserved) = parse_port_ranges(spec) else {
        return false;
    };
    let mut ports = BTreeSet::new();
    let mut cores = BTreeSet::new();
    for usage in network {
        for p in &usage.ports {
            let reserved = u16::try_from(p.port).is_ok_and(|port| reserved.contains(&port));
            let taken = reserved || !ports.insert((&*p.ip, p.port));
            if taken && !p.ignore_collision {
                return false;
            }
        }
        if !usage.cores.iter().all(|c| cores.insert(*c)) {
            return false;
        }
    }
    true
}

/// On a down node: lost, or unknown for a group that keeps its allocations rather than
/// replacing them.
fn marks_lost(alloc: &Allocation) -> bool {
    let keeps_unknown = || {
        alloc
            .job
            .as_ref()
            .and_then(|job| job.lookup_task_group(&alloc.task_group))
            .and_then(|g| g.disconnect.as_ref())
            .and_then(|d| d.replace)
            == Some(false)
    };
    alloc.client_status == ClientStatus::Lost
        || (alloc.client_status == ClientStatus::Unknown && keeps_unknown())
}

/// A deployment lists as placed canaries only those the partial commit placed.
fn keep_placed_canaries(result: &mut PlanResult) {
    let placed: BTreeSet<String> = result
        .node_allocation
        .values()
        .flatten()
        .map(|a| a.id.to_string())
        .collect();
    if let Some(deployment) = &mut result.deployment {
        for group in deployment.task_groups.values_mut() {
            group.placed_canaries.retain(|id| placed.contains(id));
        }
    }
}

fn is_no_op(result: &PlanResult) -> bool {
    result.node_update.is_empty()
        && result.node_allocation.is_empty()
        && result.deployment.is_none()
        && result.deployment_updates.is_empty()
}

/// One `preemption` evaluation for every job that loses an allocation.
fn preemption_evals(
    engine: &Engine,
    snapshot: &Snapshot,
    preempted: &[Arc<Allocation>],
    now: i64,
) -> Vec<Evaluation> {
    let jobs: BTreeSet<(&str, &str)> = preempted
        .iter()
        .map(|a| (a.namespace.as_str(), a.job_id.as_str()))
        .collect();
    jobs.into_iter()
        .filter_map(|(namespace, job_id)| snapshot.job(namespace, job_id))
        .map(|job: Arc<_>| engine.job_eval(&job, trigger::PREEMPTION, now))
        .collect()
}

#[cfg(test)]
mod tests {
    use drover_model::{Job, TaskGroup};
    use drover_state::{PlanResults, StateStore, UpsertJob, UpsertNode};
    use serde_json::json;

    use super::*;

    fn node(id: &str, status: &str, eligibility: &str) -> Node {
        serde_json::from_value(json!({
            "ID": id, "Datacenter": "dc1", "Status": status, "SchedulingEligibility": eligibility,
            "NodeResources": {"Cpu": {"CpuShares": 1000}, "Memory": {"MemoryMB": 1000},
                              "Disk": {"DiskMB": 1000}},
            "ReservedResources": {"Networks": {"ReservedHostPorts": "22"}}
        }))
        .unwrap()
    }

    fn alloc(id: &str, node_id: &str, cpu: i64, port: i64) -> Allocation {
        serde_json::from_value(json!({
            "ID": id, "Namespace": "default", "JobID": "web", "TaskGroup": "web", "NodeID": node_id,
            "DesiredStatus": "run", "ClientStatus": "pending",
            "AllocatedResources": {
                "Tasks": {"web": {"Cpu": {"CpuShares": cpu}, "Memory": {"MemoryMB": 100}}},
                "Shared": {"DiskMB": 100, "Ports": [{"Label": "http", "Value": port, "HostIP": "10.0.0.1"}]}
            }
        }))
        .unwrap()
    }

    /// Nodes `ready`, `down` and `closed` (ineligible); `web-1` uses 600 MHz and port 8080
    /// on `ready`.
    fn snapshot() -> Snapshot {
        let store = StateStore::new();
        let job = Arc::new(Job {
            id: "web".into(),
            namespace: "default".into(),
            job_type: "service".into(),
            task_groups: vec![Arc::new(TaskGroup {
                name: "web".into(),
                ..TaskGroup::default()
            })],
            ..Job::default()
        });
        let mut commands = vec![
            Command::UpsertNode(UpsertNode {
                node: node("ready", node_status::READY, node_eligibility::ELIGIBLE),
            }),
            Command::UpsertNode(UpsertNode {
                node: node("down", node_status::DOWN, node_eligibility::ELIGIBLE),
            }),
            Command::UpsertNode(UpsertNode {
                node: node("closed", node_status::READY, node_eligibility::INELIGIBLE),
            }),
            Command::UpsertJob(UpsertJob {
                job: job.clone(),
                ..UpsertJob::default()
            }),
        ];
        commands.push(Command::ApplyPlanResults(PlanResults {
            job: Some(job),
            allocs_updated: vec![
                Arc::new(alloc("web-1", "ready", 600, 8080)),
                Arc::new(alloc("web-c", "closed", 100, 8080)),
            ],
            ..PlanResults::default()
        }));
        for (i, command) in commands.iter().enumerate() {
            store.apply(i as u64 + 1, command).unwrap();
        }
        store.snapshot()
    }

    fn on(node_id: &str, allocs: Vec<Allocation>) -> BTreeMap<String, Vec<Allocation>> {
        BTreeMap::from([(node_id.to_string(), allocs)])
    }

    /// Which nodes' placements were accepted, and the refresh index.
    fn check(plan: Plan, accepted: &[&str], refreshed: bool) {
        let snapshot = snapshot();
        let result = evaluate_plan(&snapshot, plan);
        let got: Vec<&str> = result.node_allocation.keys().map(String::as_str).collect();
        assert_eq!(got, accepted);
        assert_eq!(result.refresh_index != 0, refreshed);
        if refreshed {
            assert_eq!(result.refresh_index, snapshot.latest_index());
        }
    }

    #[test]
    fn placements_that_still_fit_are_accepted() {
        let fits = Plan {
            node_allocation: on("ready", vec![alloc("web-2", "ready", 400, 8081)]),
            ..Plan::default()
        };
        check(fits, &["ready"], false);
    }

    #[test]
    fn overcommitted_or_colliding_nodes_are_refused() {
        for placement in [
            alloc("web-2", "ready", 500, 8081),
            alloc("web-2", "ready", 100, 8080),
            alloc("web-2", "ready", 100, 22),
        ] {
            let plan = Plan {
                node_allocation: on("ready", vec![placement]),
                ..Plan::default()
            };
            check(plan, &[], true);
        }
    }

    #[test]
    fn stops_in_the_same_plan_make_room() {
        let plan = Plan {
            node_update: on("ready", vec![alloc("web-1", "ready", 600, 8080)]),
            node_allocation: on("ready", vec![alloc("web-2", "ready", 900, 8080)]),
            ..Plan::default()
        };
        check(plan, &["ready"], false);
    }

    #[test]
    fn missing_down_and_ineligible_nodes_take_no_new_placements() {
        for node_id in ["gone", "down", "closed"] {
            let plan = Plan {
                node_allocation: on(node_id, vec![alloc("web-9", node_id, 10, 9000)]),
                ..Plan::default()
            };
            check(plan, &[], true);
        }
    }

    #[test]
    fn in_place_updates_need_no_eligibility_and_stops_always_fit() {
        // An in-place update carries the stored record, create index and all.
        let stored = Allocation::clone(&snapshot().alloc("web-c").unwrap());
        let in_place = Plan {
            node_allocation: on("closed", vec![stored]),
            ..Plan::default()
        };
        check(in_place, &["closed"], false);
        let snapshot = snapshot();
        let stop_only = Plan {
            node_update: on("down", vec![alloc("web-1", "down", 600, 8080)]),
            ..Plan::default()
        };
        let result = evaluate_plan(&snapshot, stop_only);
        assert_eq!((result.node_update.len(), result.refresh_index), (1, 0));
    }

    #[test]
    fn all_at_once_plans_are_all_or_nothing() {
        let mut allocations = on("ready", vec![alloc("web-2", "ready", 100, 8081)]);
        allocations.insert("down".to_string(), vec![alloc("web-3", "down", 100, 8081)]);
        let plan = Plan {
            all_at_once: true,
            node_allocation: allocations.clone(),
            ..Plan::default()
        };
        check(plan, &[], true);
        let partial = Plan {
            node_allocation: allocations,
            ..Plan::default()
        };
        check(partial, &["ready"], true);
    }
}

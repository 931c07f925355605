//! Scenarios of the system and sysbatch schedulers: one allocation per feasible node, node by
//! node, compared with golden files.

mod scheduler_support;

use drover_model::ClientStatus;
use drover_model::node::node_status;
use drover_model::{EvalStatus, SECOND, trigger};
use scheduler_support::*;
use serde_json::json;

fn windows(id: &str) -> drover_model::Node {
    let mut n = node(id, "dc1");
    n.attributes.insert("kernel.name".into(), "windows".into());
    n.computed_class = drover_plan::feasible::computed_class(&n);
    n
}

fn linux_only(job_type: &str) -> drover_model::Job {
    let mut job = system_job(job_type);
    job.constraints = vec![constraint("${attr.kernel.name}", "=", "linux")];
    job
}

/// A node joins: only it gets the system job.
#[test]
fn system_job_reaches_a_new_node() {
    let mut cluster = Cluster::new(["node-1", "node-2"].map(|id| node(id, "dc1")));
    let eval = cluster.register(system_job("system"));
    let first = cluster.schedule(&eval);
    assert_eq!(
        placed_per_group(&first.plans[0]),
        [("app".into(), 2)].into()
    );
    cluster.run_all("agent");

    cluster.add_node(node("node-3", "dc1"));
    let eval = cluster.evaluate("agent", trigger::NODE_UPDATE);
    let planned = cluster.dry_run(&eval);
    check_golden("system_new_node", &dry_run_view(&planned));
    let run = cluster.schedule(&eval);
    let placed: Vec<&String> = run.plans[0].node_allocation.keys().collect();
    assert_eq!(placed, ["node-3"]);
    assert_eq!(cluster.live_count("agent"), 3);
}

/// Nodes filtered by constraints are not failures; a group placed nowhere is, with the
/// filtering of every node merged.
#[test]
fn filtered_nodes_are_not_failures() {
    let mut cluster = Cluster::new([node("node-1", "dc1"), windows("node-2")]);
    let eval = cluster.register(linux_only("system"));
    let planned = cluster.dry_run(&eval);
    let updated = planned.eval.as_ref().unwrap();
    assert!(updated.failed_tg_allocs.is_none());
    assert_eq!(updated.queued_allocations, [("app".into(), 0)].into());
    let desired = &planned.plan.as_ref().unwrap().annotations.as_ref().unwrap();
    assert_eq!(
        desired.desired_tg_updates["app"].place, 1,
        "only the feasible node counts"
    );

    let mut nowhere = Cluster::new([windows("node-1"), windows("node-2")]);
    let eval = nowhere.register(linux_only("sysbatch"));
    let planned = nowhere.dry_run(&eval);
    check_golden("system_filtered_everywhere", &dry_run_view(&planned));
    let failed = planned.eval.unwrap().failed_tg_allocs.unwrap();
    assert_eq!(failed["app"].nodes_filtered, 2);
    assert!(planned.created_evals.is_empty(), "filtering blocks nothing");
}

/// A node without room: the placement fails there, and a blocked evaluation waits for that
/// node.
#[test]
fn exhausted_node_blocks_on_that_node() {
    let mut small = node("node-2", "dc1");
    small.node_resources.as_mut().unwrap().memory.memory_mb = 512;
    let mut cluster = Cluster::new([node("node-1", "dc1"), small]);
    let eval = cluster.register(system_job("system"));
    let run = cluster.schedule(&eval);
    check_golden("system_exhausted", &run_view(&run));
    let blocked = &run.created[0];
    assert_eq!(blocked.status, EvalStatus::Blocked);
    assert_eq!(blocked.node_id, "node-2");
    let failed = run.updated[0].failed_tg_allocs.as_ref().unwrap();
    assert_eq!(
        failed["app"].exhaustion().dimension_exhausted,
        [("memory".into(), 1)].into()
    );
}

/// The blocked evaluation of an exhausted node carries what the scheduler learned about the
/// classes it looked at: filtered by a constraint (ineligible), or only short of room (eligible).
#[test]
fn blocked_eval_records_class_eligibility() {
    let mut small = node("node-2", "dc1");
    small.node_resources.as_mut().unwrap().memory.memory_mb = 512;
    let mut cluster = Cluster::new([windows("node-1"), small.clone()]);
    let eval = cluster.register(linux_only("system"));
    let run = cluster.schedule(&eval);
    let blocked = &run.created[0];
    assert_eq!(blocked.node_id, "node-2");
    assert!(!blocked.escaped_computed_class);
    let expected = [
        (windows("node-1").computed_class, false),
        (small.computed_class, true),
    ];
    assert_eq!(blocked.class_eligibility, Some(expected.into()));
}

/// Sysbatch work that finished is not run again; a new version runs it again.
#[test]
fn sysbatch_runs_once_per_version() {
    let mut cluster = Cluster::new(["node-1", "node-2"].map(|id| node(id, "dc1")));
    let eval = cluster.register(system_job("sysbatch"));
    cluster.schedule(&eval);
    let placed = cluster.snapshot().allocs_by_job("default", "agent", true);
    for alloc in placed {
        cluster.finish(&alloc.id, false, NOW - 10 * SECOND);
    }
    let eval = cluster.evaluate("agent", trigger::PERIODIC_JOB);
    let again = cluster.schedule(&eval);
    assert!(again.plans.is_empty(), "finished work stays finished");
    assert_eq!(again.updated[0].status, EvalStatus::Complete);

    let mut job = system_job("sysbatch");
    destructive_change(&mut job);
    let eval = cluster.register(job);
    let planned = cluster.dry_run(&eval);
    check_golden("sysbatch_new_version", &dry_run_view(&planned));
    let plan = planned.plan.unwrap();
    assert_eq!(plan.node_allocation.values().flatten().count(), 2);
}

/// Updates: in place where only the kill timeout changed; a new image replaces allocations
/// `max_parallel` at a time.
#[test]
fn system_updates_in_place_and_within_max_parallel() {
    let mut cluster = Cluster::new(["node-1", "node-2", "node-3"].map(|id| node(id, "dc1")));
    let mut job = system_job("system");
    group(&mut job).update = Some(update(1, 0));
    let eval = cluster.register(job.clone());
    cluster.schedule(&eval);
    cluster.run_all("agent");

    in_place_change(&mut job);
    let eval = cluster.register(job.clone());
    let in_place = cluster.dry_run(&eval);
    cluster.schedule(&eval);

    destructive_change(&mut job);
    let eval = cluster.register(job);
    let destructive = cluster.dry_run(&eval);
    check_golden(
        "system_updates",
        &json!({"InPlace": dry_run_view(&in_place), "Destructive": dry_run_view(&destructive)}),
    );
    let desired = &destructive
        .plan
        .unwrap()
        .annotations
        .unwrap()
        .desired_tg_updates["app"];
    assert_eq!(desired.destructive_update, 3);
}

/// A node goes down: its allocation is lost (and nothing is placed on the down node).
#[test]
fn system_allocation_lost_with_its_node() {
    let mut cluster = Cluster::new(["node-1", "node-2"].map(|id| node(id, "dc1")));
    let eval = cluster.register(system_job("system"));
    cluster.schedule(&eval);
    cluster.run_all("agent");
    cluster.node_status("node-2", node_status::DOWN);
    let eval = cluster.evaluate("agent", trigger::NODE_UPDATE);
    let run = cluster.schedule(&eval);
    let plan = &run.plans[0];
    let stopped = &plan.node_update["node-2"][0];
    assert_eq!(stopped.client_status, ClientStatus::Lost);
    assert_eq!(
        stopped.details().desired_description,
        "alloc is lost since its node is down"
    );
    assert!(plan.node_allocation.is_empty());
}

/// Stopping the job stops every allocation; triggers outside the node schedulers' list fail.
#[test]
fn stop_and_unknown_trigger() {
    let mut cluster = Cluster::new(["node-1", "node-2"].map(|id| node(id, "dc1")));
    let eval = cluster.register(system_job("system"));
    cluster.schedule(&eval);
    let mut job = system_job("system");
    job.stop = true;
    let eval = cluster.register(job);
    let run = cluster.schedule(&eval);
    assert_eq!(run.plans[0].node_update.values().flatten().count(), 2);
    assert_eq!(cluster.live_count("agent"), 0);

    let eval = cluster.evaluate("agent", trigger::PERIODIC_JOB);
    let run = cluster.schedule(&eval);
    assert_eq!(run.updated[0].status, EvalStatus::Failed);
    assert_eq!(
        run.updated[0].status_description,
        "scheduler cannot handle 'periodic-job' evaluation reason"
    );
}

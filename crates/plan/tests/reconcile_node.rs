//! Scenarios of the node reconciler (system and sysbatch jobs), checked against golden files.

mod reconcile_common;

use std::collections::BTreeSet;
use std::sync::Arc;

use drover_model::ClientStatus;
use drover_model::{Allocation, Deployment, Job, SECOND};
use drover_plan::reconcile::{
    NodeReconcileInput, NodeReconcileResults, TaintedNodes, reconcile_nodes,
};
use reconcile_common::*;

fn system_job(job_type: &str) -> Job {
    let mut job = service_job(1);
    job.job_type = job_type.into();
    group(&mut job).reschedule_policy = None;
    job
}

fn nodes(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

struct NodeScenario {
    job: Option<Job>,
    eligible: BTreeSet<String>,
    not_ready: BTreeSet<String>,
    tainted: TaintedNodes,
    allocs: Vec<Allocation>,
    deployment: Option<Deployment>,
}

impl NodeScenario {
    fn new(job: &Job, eligible: &[&str], allocs: Vec<Allocation>) -> Self {
        Self {
            job: Some(job.clone()),
            eligible: nodes(eligible),
            not_ready: BTreeSet::new(),
            tainted: TaintedNodes::new(),
            allocs,
            deployment: None,
        }
    }
}

fn check(name: &str, s: &NodeScenario) -> NodeReconcileResults {
    let allocs: Vec<Arc<Allocation>> = s.allocs.iter().cloned().map(Arc::new).collect();
    let input = NodeReconcileInput {
        job: s.job.as_ref(),
        eligible_nodes: &s.eligible,
        not_ready_nodes: &s.not_ready,
        tainted_nodes: &s.tainted,
        allocs: &allocs,
        deployment: s.deployment.as_ref(),
        now: NOW,
    };
    let results = reconcile_nodes(&input, &mut ids());
    check_golden(&format!("node_{name}"), &node_view(&results));
    results
}

/// The system job's allocation on `node`.
fn on_node(job: &Arc<Job>, node: &str) -> Allocation {
    let mut a = alloc(job, 0, node);
    a.id = format!("v{}-{node}", job.version).into();
    a
}

fn node_names(tuples: &[drover_plan::reconcile::NodeAllocTuple]) -> Vec<&str> {
    tuples.iter().map(|t| t.node_id.as_str()).collect()
}

#[test]
fn new_system_job_runs_on_every_eligible_node() {
    let job = system_job("system");
    let r = check(
        "new_job",
        &NodeScenario::new(&job, &["n1", "n2", "n3"], vec![]),
    );
    assert_eq!(node_names(&r.place), ["n1", "n2", "n3"]);
    assert!(r.place.iter().all(|p| p.name == "web.app[0]"));
}

#[test]
fn new_node_gets_an_allocation_and_no_deployment() {
    let mut job = system_job("system");
    group(&mut job).update = Some(update(1, 0));
    let job_arc = Arc::new(job.clone());
    let allocs = vec![on_node(&job_arc, "n1"), on_node(&job_arc, "n2")];
    let r = check(
        "new_node",
        &NodeScenario::new(&job, &["n1", "n2", "n3"], allocs),
    );
    assert_eq!(node_names(&r.place), ["n3"]);
    assert_eq!(node_names(&r.ignore), ["n1", "n2"]);
    assert!(r.deployment.is_none() && r.deployment_updates.is_empty());
}

#[test]
fn node_that_left_the_job_stops_its_allocation() {
    let job = system_job("system");
    let job_arc = Arc::new(job.clone());
    let allocs = vec![on_node(&job_arc, "n1"), on_node(&job_arc, "n2")];
    // n2 is ready but no longer in the job's datacenters: not eligible, not "not ready".
    let r = check("node_left", &NodeScenario::new(&job, &["n1"], allocs));
    assert_eq!(node_names(&r.stop), ["n2"]);
}

#[test]
fn draining_node_keeps_its_allocation_until_the_job_changes() {
    let v0 = system_job("system");
    let v0_arc = Arc::new(v0.clone());
    let allocs = vec![on_node(&v0_arc, "n1"), on_node(&v0_arc, "n2")];
    let mut s = NodeScenario::new(&v0, &["n1"], allocs.clone());
    s.not_ready = nodes(&["n2"]);
    let r = check("not_ready_unchanged", &s);
    assert_eq!(node_names(&r.ignore), ["n1", "n2"]);

    let v1 = next_version(&v0, destructive_change);
    let mut s = NodeScenario::new(&v1, &["n1"], allocs);
    s.not_ready = nodes(&["n2"]);
    let r = check("not_ready_changed", &s);
    assert_eq!(node_names(&r.update), ["n1"]);
    assert_eq!(node_names(&r.stop), ["n2"]);
}

#[test]
fn down_node_loses_its_allocation_and_disconnected_node_marks_it_unknown() {
    let job = system_job("system");
    let job_arc = Arc::new(job.clone());
    let allocs = vec![
        on_node(&job_arc, "n1"),
        on_node(&job_arc, "n2"),
        on_node(&job_arc, "n3"),
    ];
    let mut s = NodeScenario::new(&job, &["n1"], allocs);
    s.tainted = tainted(&[("n2", Some("down")), ("n3", Some("disconnected"))]);
    let r = check("tainted", &s);
    assert_eq!(node_names(&r.lost), ["n2"]);
    assert_eq!(node_names(&r.disconnecting), ["n3"]);
    let unknown = r.disconnecting[0].alloc.as_ref().expect("updated alloc");
    assert_eq!(unknown.client_status, ClientStatus::Unknown);
}

#[test]
fn job_update_creates_a_deployment_with_canary_updates() {
    let mut v0 = system_job("system");
    group(&mut v0).update = Some(update(1, 50));
    let v0_arc = Arc::new(v0.clone());
    let v1 = next_version(&v0, destructive_change);
    let allocs = vec![on_node(&v0_arc, "n1"), on_node(&v0_arc, "n2")];
    let r = check(
        "update_deployment",
        &NodeScenario::new(&v1, &["n1", "n2"], allocs),
    );
    assert_eq!(node_names(&r.update), ["n1", "n2"]);
    assert!(r.update.iter().all(|u| u.canary));
    let d = r.deployment.expect("deployment created");
    assert_eq!((d.id.as_str(), d.job_version), ("id-1", 1));
    assert_eq!(r.deployment_updates[0].status, "running");
}

#[test]
fn sysbatch_does_not_rerun_finished_work() {
    let v0 = system_job("sysbatch");
    let v0_arc = Arc::new(v0.clone());
    let mut done = on_node(&v0_arc, "n1");
    finished(&mut done, NOW - 60 * SECOND, false);
    let allocs = vec![done.clone()];
    let r = check(
        "sysbatch_done",
        &NodeScenario::new(&v0, &["n1", "n2"], allocs),
    );
    assert_eq!(node_names(&r.ignore), ["n1"]);
    assert_eq!(node_names(&r.place), ["n2"]);

    // A new version runs it again where it finished.
    let v1 = next_version(&v0, destructive_change);
    let r = check(
        "sysbatch_new_version",
        &NodeScenario::new(&v1, &["n1"], vec![done]),
    );
    assert_eq!(node_names(&r.update), ["n1"]);
}

#[test]
fn stopped_system_job_stops_everything() {
    let mut job = system_job("system");
    let job_arc = Arc::new(job.clone());
    let allocs = vec![on_node(&job_arc, "n1"), on_node(&job_arc, "n2")];
    job.stop = true;
    let r = check("job_stop", &NodeScenario::new(&job, &["n1", "n2"], allocs));
    assert_eq!(node_names(&r.stop), ["n1", "n2"]);
    assert!(r.place.is_empty());
}

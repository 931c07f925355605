//! Node calls through the engine (register, status, eligibility, drain) and the evaluations
//! Nomad creates for them; and the log: replaying it rebuilds the engine's state exactly.

mod engine_common;

use drover::model::{DrainStrategy, EvalStatus, Evaluation, Node};
use drover::state::StateStore;
use engine_common::*;

fn node_update_evals(f: &Fixture, job_id: &str) -> Vec<Evaluation> {
    f.engine
        .job_evaluations(&ctx(), job_id)
        .unwrap()
        .value
        .iter()
        .filter(|e| e.triggered_by == "node-update")
        .map(|e| (**e).clone())
        .collect()
}

#[test]
fn system_jobs_are_evaluated_when_a_node_comes_up_or_goes_down() {
    let f = fixture();
    let mut system = sample_job("agent");
    system.job_type = "system".into();
    f.engine.register_job(&ctx(), register(system)).unwrap();

    // Registered while initializing: nothing to place yet.
    f.engine.upsert_node(node("n1", "initializing")).unwrap();
    assert!(node_update_evals(&f, "agent").is_empty());
    let registered = f.engine.snapshot().node("n1").unwrap();
    assert_eq!(
        (
            registered.node_pool.as_str(),
            registered.scheduling_eligibility.as_str()
        ),
        ("default", "eligible")
    );
    assert!(registered.computed_class.starts_with("v1:"));

    let ready = f.engine.update_node_status("n1", "ready").unwrap();
    let evals = node_update_evals(&f, "agent");
    assert_eq!(evals.len(), 1);
    assert_eq!(
        (
            evals[0].node_id.as_str(),
            evals[0].node_modify_index,
            evals[0].status,
            evals[0].eval_type.as_str()
        ),
        ("n1", ready, EvalStatus::Pending, "system")
    );
    // Ready to ready changes nothing; down does.
    f.engine.update_node_status("n1", "ready").unwrap();
    assert_eq!(node_update_evals(&f, "agent").len(), 1);
    f.engine.update_node_status("n1", "down").unwrap();
    assert_eq!(node_update_evals(&f, "agent").len(), 2);

    // A node registered ready is evaluated at once.
    f.engine.upsert_node(node("n2", "ready")).unwrap();
    assert_eq!(node_update_evals(&f, "agent").len(), 3);
}

#[test]
fn eligibility_and_drain() {
    let f = fixture();
    let mut system = sample_job("agent");
    system.job_type = "system".into();
    f.engine.register_job(&ctx(), register(system)).unwrap();
    f.engine.upsert_node(node("n1", "ready")).unwrap();
    let before = node_update_evals(&f, "agent").len();

    f.engine
        .update_node_eligibility("n1", "ineligible")
        .unwrap();
    assert_eq!(node_update_evals(&f, "agent").len(), before);
    f.engine.update_node_eligibility("n1", "eligible").unwrap();
    assert_eq!(node_update_evals(&f, "agent").len(), before + 1);

    f.engine
        .update_node_drain("n1", Some(DrainStrategy::default()), false)
        .unwrap();
    let drained = f.engine.snapshot().node("n1").unwrap();
    assert_eq!(drained.scheduling_eligibility, "ineligible");
    check_error(
        f.engine.update_node_eligibility("n1", "eligible"),
        500,
        "can not set node's scheduling eligibility to eligible while it is draining",
    );
    f.engine.update_node_drain("n1", None, true).unwrap();
    assert_eq!(
        f.engine
            .snapshot()
            .node("n1")
            .unwrap()
            .scheduling_eligibility,
        "eligible"
    );
    assert_eq!(node_update_evals(&f, "agent").len(), before + 2);

    check_error(
        f.engine.update_node_eligibility("n1", "maybe"),
        500,
        "invalid scheduling eligibility \"maybe\"",
    );
    check_error(
        f.engine.update_node_status("gone", "ready"),
        404,
        "node not found",
    );
    check_error(
        f.engine.upsert_node(Node::default()),
        500,
        "missing node ID for client registration",
    );
}

#[test]
fn replaying_the_log_rebuilds_the_same_state() {
    let f = fixture();
    f.engine.upsert_node(node("n1", "ready")).unwrap();
    f.engine.register_job(&ctx(), sample_register()).unwrap();
    let mut update = sample_job("cache");
    update.priority = 65;
    f.engine.register_job(&ctx(), register(update)).unwrap();
    f.engine
        .deregister_job(&ctx(), "cache", &Default::default())
        .unwrap();
    f.engine.update_node_status("n1", "down").unwrap();

    let store = StateStore::new();
    let entries = f.log.entries();
    for (index, command) in &entries {
        store.apply(*index, command).unwrap();
    }
    let indexes: Vec<u64> = entries.iter().map(|(i, _)| *i).collect();
    assert_eq!(indexes, (1..=indexes.len() as u64).collect::<Vec<_>>());
    assert!(store.snapshot() == f.engine.snapshot());
}

//! Scenarios of the cluster reconciler (service and batch jobs), each with explicit allocations,
//! nodes and time, checked against a golden file of the complete results.

mod reconcile_common;

use std::sync::Arc;

use drover_model::ClientStatus;
use drover_model::{DeploymentState, SECOND};
use reconcile_common::*;

#[test]
fn new_job_is_placed() {
    let r = check("new_job", &Scenario::new(Some(service_job(3)), vec![]));
    assert_eq!(placed_names(&r), ["web.app[0]", "web.app[1]", "web.app[2]"]);
    assert!(r.deployment.is_none(), "no update block, no deployment");
}

#[test]
fn new_job_with_update_block_creates_a_deployment() {
    let mut job = service_job(3);
    group(&mut job).update = Some(update(2, 0));
    let r = check("new_job_deployment", &Scenario::new(Some(job), vec![]));
    let deployment = r.deployment.expect("deployment created");
    assert_eq!(deployment.id, "id-1");
    assert_eq!(deployment.task_groups["app"].desired_total, 3);
    // Nothing runs yet, so the rolling limit does not hold back the first placements.
    assert_eq!(r.place.len(), 3);
}

#[test]
fn unchanged_job_is_left_alone_and_gets_no_new_deployment() {
    let mut job = service_job(3);
    group(&mut job).update = Some(update(2, 0));
    let job = Arc::new(job);
    let r = check(
        "unchanged_job",
        &Scenario::new(Some((*job).clone()), running(&job, 3)),
    );
    assert!(r.deployment.is_none());
    assert!(r.place.is_empty() && r.stop.is_empty());
    assert_eq!(r.desired_tg_updates["app"].ignore, 3);
}

#[test]
fn deployment_of_the_current_version_is_not_recreated() {
    let mut v0 = service_job(2);
    group(&mut v0).update = Some(update(1, 0));
    let v0 = Arc::new(v0);
    let v1 = next_version(&v0, in_place_change);
    // The deployment of v1 already ran and succeeded; the allocations were updated in place.
    let v1_arc = Arc::new(v1.clone());
    let mut allocs = running(&v1_arc, 2);
    for a in &mut allocs {
        in_deployment(a, "d-1", Some(true), false);
    }
    let state = DeploymentState {
        desired_total: 2,
        healthy_allocs: 2,
        placed_allocs: 2,
        ..Default::default()
    };
    let mut s = Scenario::new(Some(v1.clone()), allocs);
    s.deployment = Some(deployment(&v1, "d-1", "successful", state));
    let r = check("deployment_not_recreated", &s);
    assert!(r.deployment.is_none());
    assert!(r.deployment_updates.is_empty());
}

#[test]
fn scale_up_fills_the_next_names() {
    let v0 = Arc::new(service_job(3));
    let v1 = next_version(&v0, |j| group(j).count = 5);
    let r = check("scale_up", &Scenario::new(Some(v1), running(&v0, 3)));
    assert_eq!(placed_names(&r), ["web.app[3]", "web.app[4]"]);
    // The count is not a task change: the running allocations move to v1 in place.
    assert_eq!(r.inplace_update.len(), 3);
}

#[test]
fn scale_down_stops_the_highest_names() {
    let v0 = Arc::new(service_job(5));
    let v1 = next_version(&v0, |j| group(j).count = 2);
    let r = check("scale_down", &Scenario::new(Some(v1), running(&v0, 5)));
    let mut stopped = stopped_names(&r);
    stopped.sort();
    assert_eq!(stopped, ["web.app[2]", "web.app[3]", "web.app[4]"]);
    assert!(
        r.stop
            .iter()
            .all(|s| s.status_description == "alloc not needed due to job update")
    );
}

#[test]
fn in_place_update() {
    let v0 = Arc::new(service_job(3));
    let v1 = next_version(&v0, in_place_change);
    let r = check("in_place_update", &Scenario::new(Some(v1), running(&v0, 3)));
    assert_eq!(r.inplace_update.len(), 3);
    assert!(r.destructive_update.is_empty());
}

#[test]
fn in_place_candidate_that_does_not_fit_becomes_destructive() {
    let v0 = Arc::new(service_job(3));
    let v1 = next_version(&v0, in_place_change);
    let mut s = Scenario::new(Some(v1), running(&v0, 3));
    s.no_fit = vec!["v0-1".into()];
    let r = check("in_place_no_fit", &s);
    assert_eq!(r.inplace_update.len(), 2);
    assert_eq!(r.destructive_update.len(), 1);
    assert_eq!(r.destructive_update[0].name, "web.app[1]");
}

#[test]
fn destructive_update_without_update_block_replaces_everything() {
    let v0 = Arc::new(service_job(3));
    let v1 = next_version(&v0, destructive_change);
    let r = check(
        "destructive_update",
        &Scenario::new(Some(v1), running(&v0, 3)),
    );
    assert_eq!(r.destructive_update.len(), 3);
    assert!(r.deployment.is_none());
}

#[test]
fn destructive_update_rolls_max_parallel_at_a_time() {
    let mut v0 = service_job(4);
    group(&mut v0).update = Some(update(2, 0));
    let v0 = Arc::new(v0);
    let v1 = next_version(&v0, destructive_change);

    // First evaluation: a deployment starts and the two lowest names are replaced.
    let r = check(
        "rolling_first_eval",
        &Scenario::new(Some(v1.clone()), running(&v0, 4)),
    );
    assert_eq!(destructive_names(&r), ["web.app[0]", "web.app[1]"]);
    assert_eq!(r.desired_tg_updates["app"].ignore, 2);
    let d = r.deployment.expect("deployment created");
    assert_eq!(d.task_groups["app"].desired_total, 4);

    // While the two replacements are not healthy yet, nothing more happens.
    let v1_arc = Arc::new(v1.clone());
    let mut allocs: Vec<_> = running(&v0, 4).into_iter().skip(2).collect();
    for i in 0..2 {
        let mut a = alloc(&v1_arc, i, &format!("node-{}", i + 4));
        in_deployment(&mut a, "d-1", None, false);
        allocs.push(a);
    }
    let state = DeploymentState {
        desired_total: 4,
        placed_allocs: 2,
        ..Default::default()
    };
    let mut s = Scenario::new(Some(v1.clone()), allocs.clone());
    s.deployment = Some(deployment(&v1, "d-1", "running", state.clone()));
    let r = check("rolling_waits_for_health", &s);
    assert!(r.destructive_update.is_empty());

    // Once they are healthy, the next two go.
    for a in allocs.iter_mut().filter(|a| a.deployment_id == "d-1") {
        in_deployment(a, "d-1", Some(true), false);
    }
    let mut s = Scenario::new(Some(v1.clone()), allocs);
    s.deployment = Some(deployment(
        &v1,
        "d-1",
        "running",
        DeploymentState {
            healthy_allocs: 2,
            ..state
        },
    ));
    let r = check("rolling_next_batch", &s);
    assert_eq!(destructive_names(&r), ["web.app[2]", "web.app[3]"]);
}

#[test]
fn node_down_loses_its_allocation_and_replaces_it() {
    let v0 = service_job(3);
    let v0_arc = Arc::new(v0.clone());
    let mut s = Scenario::new(Some(v0), running(&v0_arc, 3));
    s.tainted = tainted(&[("node-1", Some("down")), ("node-2", None)]);
    let r = check("lost_on_down_node", &s);
    let lost: Vec<&str> = r
        .stop
        .iter()
        .filter(|s| s.client_status == ClientStatus::Lost)
        .map(|s| s.alloc.name.as_str())
        .collect();
    assert_eq!(lost, ["web.app[1]", "web.app[2]"]);
    assert!(r.place.iter().all(|p| p.lost && p.previous_alloc.is_some()));
}

#[test]
fn drain_migrates_marked_allocations() {
    let v0 = service_job(3);
    let v0_arc = Arc::new(v0.clone());
    let mut allocs = running(&v0_arc, 3);
    // node-0 drains; the drainer has marked only one of its allocations so far.
    allocs[2].node_id = "node-0".into();
    migrate(&mut allocs[0]);
    let mut s = Scenario::new(Some(v0), allocs);
    s.tainted = tainted(&[("node-0", Some("ready"))]);
    let r = check("drain_migrate", &s);
    assert_eq!(stopped_names(&r), ["web.app[0]"]);
    assert_eq!(r.stop[0].status_description, "alloc is being migrated");
    assert_eq!(r.desired_tg_updates["app"].migrate, 1);
    assert_eq!(placed_names(&r), ["web.app[0]"]);
}

#[test]
fn canary_update_then_promotion_then_rolling() {
    let mut v0 = service_job(4);
    group(&mut v0).update = Some(update(2, 2));
    let v0 = Arc::new(v0);
    let v1 = next_version(&v0, destructive_change);
    let v1_arc = Arc::new(v1.clone());

    // Canaries first: no destructive update, the old allocations are left alone.
    let r = check(
        "canary_first_eval",
        &Scenario::new(Some(v1.clone()), running(&v0, 4)),
    );
    assert_eq!(placed_names(&r), ["web.app[0]", "web.app[1]"]);
    assert!(r.place.iter().all(|p| p.canary));
    assert!(r.destructive_update.is_empty());
    let d = r.deployment.expect("deployment created");
    assert_eq!(
        d.status_description,
        "Deployment is running but requires manual promotion"
    );

    // Canaries placed and healthy but not promoted: still nothing else.
    let mut allocs = running(&v0, 4);
    let mut canaries = Vec::new();
    for i in 0..2 {
        let mut a = alloc(&v1_arc, i, &format!("node-{}", i + 4));
        a.id = format!("canary-{i}").into();
        in_deployment(&mut a, "d-1", Some(true), true);
        canaries.push(a.id.to_string());
        allocs.push(a);
    }
    let state = DeploymentState {
        desired_canaries: 2,
        desired_total: 4,
        placed_canaries: canaries,
        placed_allocs: 2,
        healthy_allocs: 2,
        ..Default::default()
    };
    let mut s = Scenario::new(Some(v1.clone()), allocs.clone());
    s.deployment = Some(deployment(&v1, "d-1", "running", state.clone()));
    let r = check("canary_waiting_for_promotion", &s);
    assert!(r.place.is_empty() && r.destructive_update.is_empty() && r.stop.is_empty());

    // Promoted: the old allocations sharing the canaries' names stop, and the rest roll
    // max_parallel at a time.
    let mut s = Scenario::new(Some(v1.clone()), allocs);
    s.deployment = Some(deployment(
        &v1,
        "d-1",
        "running",
        DeploymentState {
            promoted: true,
            ..state
        },
    ));
    let r = check("canary_promoted", &s);
    let mut stopped = stopped_names(&r);
    stopped.sort();
    assert_eq!(stopped, ["web.app[0]", "web.app[1]"]);
    assert_eq!(destructive_names(&r), ["web.app[2]", "web.app[3]"]);
}

#[test]
fn completed_batch_allocation_is_not_replaced() {
    let job = batch_job(2);
    let job_arc = Arc::new(job.clone());
    let mut allocs = running(&job_arc, 2);
    finished(&mut allocs[0], NOW - 60 * SECOND, false);
    let r = check("batch_complete", &Scenario::new(Some(job), allocs));
    assert!(r.place.is_empty() && r.stop.is_empty());
    assert_eq!(r.desired_tg_updates["app"].ignore, 2);
}

#[test]
fn failed_batch_allocation_is_rescheduled_now_when_its_delay_passed() {
    let job = batch_job(2);
    let job_arc = Arc::new(job.clone());
    let mut allocs = running(&job_arc, 2);
    // Failed 10s ago; the policy's 5s delay has passed.
    finished(&mut allocs[1], NOW - 10 * SECOND, true);
    let r = check("batch_reschedule_now", &Scenario::new(Some(job), allocs));
    assert_eq!(placed_names(&r), ["web.app[1]"]);
    assert!(r.place[0].reschedule);
    assert_eq!(
        r.stop[0].status_description,
        "alloc was rescheduled because it failed"
    );
}

#[test]
fn failed_batch_allocations_are_rescheduled_later_in_batches() {
    let job = batch_job(4);
    let job_arc = Arc::new(job.clone());
    let mut allocs = running(&job_arc, 4);
    // Due at NOW+4s and NOW+7s (one batch, waiting until NOW+4s), and at NOW+20s (another).
    finished(&mut allocs[0], NOW - SECOND, true);
    finished(&mut allocs[1], NOW + 2 * SECOND, true);
    finished(&mut allocs[2], NOW + 15 * SECOND, true);
    let r = check("batch_reschedule_later", &Scenario::new(Some(job), allocs));
    assert!(r.place.is_empty());
    let evals = &r.desired_followup_evals["app"];
    let waits: Vec<i64> = evals
        .iter()
        .map(|e| (e.wait_until - NOW) / SECOND)
        .collect();
    assert_eq!(waits, [4, 20]);
    assert_eq!(
        r.attribute_updates["v0-0"].details().followup_eval_id,
        evals[0].id
    );
    assert_eq!(
        r.attribute_updates["v0-1"].details().followup_eval_id,
        evals[0].id
    );
    assert_eq!(
        r.attribute_updates["v0-2"].details().followup_eval_id,
        evals[1].id
    );
    assert_eq!(r.desired_tg_updates["app"].reschedule_later, 3);
}

#[test]
fn failed_batch_allocation_is_rescheduled_by_its_followup_eval() {
    let job = batch_job(1);
    let job_arc = Arc::new(job.clone());
    let mut allocs = running(&job_arc, 1);
    finished(&mut allocs[0], NOW - SECOND, true);
    allocs[0].details_mut().followup_eval_id = "eval-1".into();
    let r = check(
        "batch_reschedule_followup",
        &Scenario::new(Some(job), allocs),
    );
    assert!(r.place[0].reschedule);
}

#[test]
fn batch_allocation_out_of_attempts_is_not_rescheduled() {
    let job = batch_job(1);
    let job_arc = Arc::new(job.clone());
    let mut allocs = running(&job_arc, 1);
    finished(&mut allocs[0], NOW - 60 * SECOND, true);
    rescheduled(&mut allocs[0], &[(NOW - HOUR_NANOS, 5 * SECOND)]);
    let r = check(
        "batch_reschedule_exhausted",
        &Scenario::new(Some(job), allocs),
    );
    assert!(r.place.is_empty() && r.desired_followup_evals.is_empty());
}

const HOUR_NANOS: i64 = 3600 * SECOND;

#[test]
fn failed_service_allocation_waits_out_its_exponential_delay() {
    let job = service_job(2);
    let job_arc = Arc::new(job.clone());
    let mut allocs = running(&job_arc, 2);
    // Second failure: last delay 30s, so the next is 60s after it failed 20s ago.
    finished(&mut allocs[0], NOW - 20 * SECOND, true);
    rescheduled(&mut allocs[0], &[(NOW - 10 * 60 * SECOND, 30 * SECOND)]);
    let r = check(
        "service_reschedule_later",
        &Scenario::new(Some(job), allocs),
    );
    let evals = &r.desired_followup_evals["app"];
    assert_eq!(evals[0].wait_until, NOW + 40 * SECOND);
    assert_eq!(evals[0].triggered_by, "alloc-reschedule");
}

#[test]
fn stopped_job_stops_everything_and_cancels_its_deployment() {
    let mut job = service_job(3);
    group(&mut job).update = Some(update(1, 0));
    let job_arc = Arc::new(job.clone());
    let mut allocs = running(&job_arc, 3);
    finished(&mut allocs[2], NOW - 60 * SECOND, false);
    let mut stopped = job.clone();
    stopped.stop = true;
    let mut s = Scenario::new(Some(stopped), allocs);
    s.deployment = Some(deployment(
        &job,
        "d-1",
        "running",
        DeploymentState::default(),
    ));
    let r = check("job_stop", &s);
    assert_eq!(stopped_names(&r), ["web.app[0]", "web.app[1]"]);
    assert_eq!(r.desired_tg_updates["app"].stop, 2);
    assert_eq!(r.deployment_updates[0].status, "cancelled");
    assert_eq!(
        r.deployment_updates[0].status_description,
        "Cancelled because job is stopped"
    );
}

#[test]
fn purged_job_stops_everything() {
    let job_arc = Arc::new(service_job(2));
    let r = check("job_purged", &Scenario::new(None, running(&job_arc, 2)));
    assert_eq!(r.stop.len(), 2);
}

#[test]
fn removed_group_is_stopped() {
    let v0 = Arc::new(service_job(2));
    let v1 = next_version(&v0, |j| group(j).name = "api".into());
    let r = check("group_removed", &Scenario::new(Some(v1), running(&v0, 2)));
    assert_eq!(r.desired_tg_updates["app"].stop, 2);
    assert_eq!(r.desired_tg_updates["api"].place, 2);
}

#[test]
fn disconnected_node_marks_allocations_unknown_until_lost_after() {
    let mut job = service_job(2);
    group(&mut job).disconnect = Some(drover_model::DisconnectStrategy {
        lost_after: 300 * SECOND,
        replace: Some(false),
        reconcile: "best_score".into(),
        ..Default::default()
    });
    let job_arc = Arc::new(job.clone());
    let mut s = Scenario::new(Some(job), running(&job_arc, 2));
    s.tainted = tainted(&[("node-0", Some("disconnected"))]);
    let r = check("disconnect", &s);
    let update = &r.disconnect_updates["v0-0"];
    assert_eq!(update.client_status, ClientStatus::Unknown);
    let eval = &r.desired_followup_evals["app"][0];
    assert_eq!(eval.triggered_by, "max-disconnect-timeout");
    assert_eq!(eval.wait_until, NOW + 300 * SECOND);
    assert_eq!(update.details().followup_eval_id, eval.id);
    assert!(r.place.is_empty(), "replace = false");
}

#[test]
fn reconnected_allocation_resumes() {
    let mut job = service_job(2);
    group(&mut job).disconnect = Some(drover_model::DisconnectStrategy {
        lost_after: 300 * SECOND,
        replace: Some(false),
        reconcile: "best_score".into(),
        ..Default::default()
    });
    let job_arc = Arc::new(job.clone());
    let mut allocs = running(&job_arc, 2);
    client_state(&mut allocs[0], "unknown", NOW - 60 * SECOND);
    allocs[0].client_status = ClientStatus::Running;
    let r = check("reconnect", &Scenario::new(Some(job), allocs));
    assert!(r.reconnect_updates.contains_key("v0-0"));
    assert_eq!(r.desired_tg_updates["app"].reconnect, 1);
}

#[test]
fn lost_allocation_with_stop_on_client_after_waits_for_the_client_to_stop_it() {
    let mut job = service_job(2);
    group(&mut job).disconnect = Some(drover_model::DisconnectStrategy {
        stop_on_client_after: Some(60 * SECOND),
        replace: Some(true),
        ..Default::default()
    });
    let job_arc = Arc::new(job.clone());
    let mut s = Scenario::new(Some(job), running(&job_arc, 2));
    s.tainted = tainted(&[("node-1", Some("down"))]);
    let r = check("lost_stop_after", &s);
    // Replaced only after stop_on_client_after plus the kill timeout.
    assert!(r.place.is_empty());
    let eval = &r.desired_followup_evals["app"][0];
    assert_eq!(eval.wait_until, NOW + 65 * SECOND);
    assert_eq!(eval.triggered_by, "alloc-failure");
    assert_eq!(r.stop[0].followup_eval_id, eval.id);
}

#[test]
fn paused_deployment_places_no_canaries_but_replaces_lost_allocations() {
    let mut v0 = service_job(3);
    group(&mut v0).update = Some(update(1, 1));
    let v0 = Arc::new(v0);
    let v1 = next_version(&v0, destructive_change);
    let mut s = Scenario::new(Some(v1.clone()), running(&v0, 3));
    s.deployment = Some(deployment(
        &v1,
        "d-1",
        "paused",
        DeploymentState {
            desired_total: 3,
            desired_canaries: 1,
            ..Default::default()
        },
    ));
    s.tainted = tainted(&[("node-2", Some("down"))]);
    let r = check("paused_deployment", &s);
    assert_eq!(placed_names(&r), ["web.app[2]"]);
    assert!(r.place[0].lost && r.place[0].downgrade_non_canary);
    assert_eq!(r.desired_tg_updates["app"].canary, 0);
}

#[test]
fn newer_version_cancels_the_deployment_and_its_unpromoted_canaries() {
    let mut v0 = service_job(2);
    group(&mut v0).update = Some(update(1, 1));
    let v0 = Arc::new(v0);
    let v1 = next_version(&v0, destructive_change);
    let v1_arc = Arc::new(v1.clone());
    let v2 = next_version(&v1, |j| {
        Arc::make_mut(&mut group(j).tasks[0])
            .config
            .insert("image".into(), serde_json::json!("nginx:3"));
    });
    let mut allocs = running(&v0, 2);
    let mut canary = alloc(&v1_arc, 0, "node-5");
    canary.id = "canary-0".into();
    in_deployment(&mut canary, "d-1", Some(true), true);
    allocs.push(canary);
    let mut s = Scenario::new(Some(v2), allocs);
    s.deployment = Some(deployment(
        &v1,
        "d-1",
        "running",
        DeploymentState {
            desired_canaries: 1,
            desired_total: 2,
            placed_canaries: vec!["canary-0".into()],
            ..Default::default()
        },
    ));
    let r = check("newer_version_cancels", &s);
    assert_eq!(
        r.deployment_updates[0].status_description,
        "Cancelled due to newer version of job"
    );
    assert_eq!(r.stop[0].alloc.id, "canary-0");
    let d = r.deployment.expect("a deployment for v2");
    assert_eq!(d.job_version, 2);
}

#[test]
fn failed_deployment_does_not_reschedule_its_failed_allocations() {
    let mut v0 = service_job(2);
    group(&mut v0).update = Some(update(2, 0));
    let v0 = Arc::new(v0);
    let v1 = next_version(&v0, destructive_change);
    let v1_arc = Arc::new(v1.clone());
    let mut allocs = running(&v1_arc, 2);
    for a in &mut allocs {
        in_deployment(a, "d-1", Some(false), false);
    }
    finished(&mut allocs[1], NOW - 10 * 60 * SECOND, true);
    let mut s = Scenario::new(Some(v1.clone()), allocs);
    s.deployment = Some(deployment(
        &v1,
        "d-1",
        "failed",
        DeploymentState {
            desired_total: 2,
            placed_allocs: 2,
            unhealthy_allocs: 2,
            ..Default::default()
        },
    ));
    let r = check("failed_deployment", &s);
    assert!(r.place.is_empty() && r.stop.is_empty());
}

#[test]
fn failed_service_allocation_past_its_delay_is_rescheduled_now() {
    let job = service_job(2);
    let job_arc = Arc::new(job.clone());
    let mut allocs = running(&job_arc, 2);
    finished(&mut allocs[1], NOW - 31 * SECOND, true);
    let r = check("service_reschedule_now", &Scenario::new(Some(job), allocs));
    assert_eq!(placed_names(&r), ["web.app[1]"]);
    assert!(r.place[0].reschedule);
    assert_eq!(r.stop[0].alloc.id, "v0-1");
}

#[test]
fn healthy_deployment_is_marked_successful() {
    let mut job = service_job(2);
    group(&mut job).update = Some(update(1, 0));
    let job_arc = Arc::new(job.clone());
    let mut allocs = running(&job_arc, 2);
    for a in &mut allocs {
        in_deployment(a, "d-1", Some(true), false);
    }
    let mut s = Scenario::new(Some(job.clone()), allocs);
    s.deployment = Some(deployment(
        &job,
        "d-1",
        "running",
        DeploymentState {
            desired_total: 2,
            placed_allocs: 2,
            healthy_allocs: 2,
            ..Default::default()
        },
    ));
    let r = check("deployment_successful", &s);
    assert_eq!(r.deployment_updates[0].status, "successful");
    assert_eq!(
        r.deployment_updates[0].status_description,
        "Deployment completed successfully"
    );
}

#[test]
fn finished_batch_work_of_older_versions_is_history() {
    let v0 = Arc::new(batch_job(2));
    let v1 = next_version(&v0, destructive_change);
    let mut allocs = running(&v0, 2);
    finished(&mut allocs[0], NOW - HOUR_NANOS, false);
    let r = check("batch_old_version", &Scenario::new(Some(v1), allocs));
    // The finished one is ignored; the running one is replaced by the new version, and the
    // finished slot runs again.
    assert_eq!(r.desired_tg_updates["app"].ignore, 1);
    assert_eq!(destructive_names(&r), ["web.app[1]"]);
    assert_eq!(placed_names(&r), ["web.app[0]"]);
}

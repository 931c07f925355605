//! Scenarios of the generic scheduler (service and batch jobs) on a cluster in a state store:
//! each registers a job, changes the cluster, runs the scheduler and compares what it did with
//! a golden file.

mod scheduler_support;

use drover_model::{EvalStatus, SECOND, trigger};
use drover_plan::scheduler::{SchedulerConfig, SchedulerContext, SchedulerError, dry_run};
use drover_state::{Command, DeregisterJob};
use scheduler_support::*;

fn three_nodes() -> Cluster {
    Cluster::new(["node-1", "node-2", "node-3"].map(|id| node(id, "dc1")))
}

/// A new job, planned (dry-run) then scheduled for real: three allocations spread over the
/// nodes by anti-affinity, everything placed, nothing queued.
#[test]
fn new_job_is_placed() {
    let mut cluster = three_nodes();
    let eval = cluster.register(service_job(3));
    let planned = cluster.dry_run(&eval);
    check_golden("new_job_dry_run", &dry_run_view(&planned));

    let run = cluster.schedule(&eval);
    assert_eq!(run.plans.len(), 1);
    assert_eq!(placed_per_group(&run.plans[0]), [("app".into(), 3)].into());
    assert_eq!(cluster.live_allocs("web").len(), 3);
    let updated = &run.updated[0];
    assert_eq!(updated.status, EvalStatus::Complete);
    assert_eq!(updated.queued_allocations, [("app".into(), 0)].into());
    assert!(
        run.plans[0].annotations.is_none(),
        "annotations only when asked"
    );
}

/// Scaling up places the missing names (and updates the others in place: the count is part of
/// the job version); scaling down stops the highest indexes.
#[test]
fn scale_up_then_down() {
    let mut cluster = three_nodes();
    let eval = cluster.register(service_job(2));
    cluster.schedule(&eval);
    cluster.run_all("web");

    let eval = cluster.register(service_job(4));
    let up = cluster.schedule(&eval);
    cluster.run_all("web");
    let eval = cluster.register(service_job(1));
    let down = cluster.schedule(&eval);

    check_golden(
        "scale_up_then_down",
        &serde_json::json!({"Up": run_view(&up), "Down": run_view(&down)}),
    );
    let live = cluster.live_allocs("web");
    assert_eq!(live.keys().collect::<Vec<_>>(), ["web.app[0]"]);
}

/// A kill timeout changes in place (same allocations, new job version); an image needs new
/// allocations, which replace the old ones one for one.
#[test]
fn in_place_versus_destructive_update() {
    let mut cluster = three_nodes();
    let eval = cluster.register(service_job(2));
    cluster.schedule(&eval);
    cluster.run_all("web");
    let before = cluster.live_allocs("web");

    let mut job = service_job(2);
    in_place_change(&mut job);
    let eval = cluster.register(job.clone());
    let in_place = cluster.dry_run(&eval);
    cluster.schedule(&eval);
    let after = cluster.live_allocs("web");
    assert_eq!(
        before.values().map(|a| &a.id).collect::<Vec<_>>(),
        after.values().map(|a| &a.id).collect::<Vec<_>>(),
        "in-place updates keep the allocations"
    );
    assert!(after.values().all(|a| a.job.as_ref().unwrap().version == 1));

    destructive_change(&mut job);
    let eval = cluster.register(job);
    let destructive = cluster.dry_run(&eval);
    check_golden(
        "in_place_versus_destructive",
        &serde_json::json!({
            "InPlace": dry_run_view(&in_place),
            "Destructive": dry_run_view(&destructive),
        }),
    );
}

/// A node goes down: its allocation is stopped as lost and replaced on another node.
#[test]
fn node_down_allocations_lost_and_replaced() {
    let mut cluster = three_nodes();
    let eval = cluster.register(service_job(3));
    cluster.schedule(&eval);
    cluster.run_all("web");
    let lost_node = cluster.live_allocs("web")["web.app[0]"].node_id.clone();

    cluster.node_status(&lost_node, "down");
    let eval = cluster.evaluate("web", trigger::NODE_UPDATE);
    let run = cluster.schedule(&eval);
    check_golden("node_down", &run_view(&run));
    let live = cluster.live_allocs("web");
    assert_eq!(live.len(), 3);
    assert!(live.values().all(|a| a.node_id != lost_node));
}

/// A draining node's allocations, marked for migration, move elsewhere.
#[test]
fn drain_migrates_allocations() {
    let mut cluster = three_nodes();
    let eval = cluster.register(service_job(2));
    cluster.schedule(&eval);
    cluster.run_all("web");
    let drained = cluster.live_allocs("web")["web.app[1]"].node_id.clone();

    cluster.drain(&drained);
    let eval = cluster.evaluate("web", trigger::NODE_DRAIN);
    let planned = cluster.dry_run(&eval);
    check_golden("drain_migrate", &dry_run_view(&planned));
    cluster.schedule(&eval);
    assert!(
        cluster
            .live_allocs("web")
            .values()
            .all(|a| a.node_id != drained)
    );
}

/// A destructive update with canaries: one canary first and nothing else; once promoted,
/// `max_parallel` old allocations at a time.
#[test]
fn canary_update_with_max_parallel() {
    let mut cluster =
        Cluster::new(["node-1", "node-2", "node-3", "node-4"].map(|id| node(id, "dc1")));
    let mut job = service_job(4);
    group(&mut job).update = Some(update(2, 1));
    let eval = cluster.register(job.clone());
    cluster.schedule(&eval);
    cluster.run_all("web");
    let first = cluster
        .snapshot()
        .latest_deployment("default", "web")
        .unwrap();
    let ids = cluster
        .live_allocs("web")
        .values()
        .map(|a| a.id.to_string())
        .collect();
    cluster.healthy(&first.id, ids);

    destructive_change(&mut job);
    let eval = cluster.register(job);
    let canary = cluster.schedule(&eval);
    cluster.run_all("web");
    let deployment = cluster
        .snapshot()
        .latest_deployment("default", "web")
        .unwrap();
    let canaries = deployment.task_groups["app"].placed_canaries.clone();
    assert_eq!(canaries.len(), 1);
    cluster.healthy(&deployment.id, canaries);
    cluster.promote(&deployment.id);

    let eval = cluster.evaluate("web", trigger::DEPLOYMENT_WATCHER);
    let rolling = cluster.schedule(&eval);
    check_golden(
        "canary_max_parallel",
        &serde_json::json!({"Canary": run_view(&canary), "AfterPromotion": run_view(&rolling)}),
    );
}

/// Finished batch work stays finished: nothing is placed again.
#[test]
fn completed_batch_job_is_not_replaced() {
    let mut cluster = three_nodes();
    let eval = cluster.register(batch_job(2));
    cluster.schedule(&eval);
    for alloc in cluster.live_allocs("web").values() {
        cluster.finish(&alloc.id, false, NOW - 10 * SECOND);
    }
    let eval = cluster.evaluate("web", trigger::NODE_UPDATE);
    let run = cluster.schedule(&eval);
    assert!(run.plans.is_empty(), "nothing to do: no plan is submitted");
    assert_eq!(run.updated[0].status, EvalStatus::Complete);
    let planned = cluster.dry_run(&eval);
    check_golden("batch_complete", &dry_run_view(&planned));
}

/// A failed batch allocation: rescheduled now once its delay has passed (on another node,
/// with its history), or later through a follow-up evaluation.
#[test]
fn failed_batch_allocation_is_rescheduled_per_policy() {
    let mut cluster = three_nodes();
    let eval = cluster.register(batch_job(1));
    cluster.schedule(&eval);
    let failed = cluster.live_allocs("web")["web.app[0]"].clone();

    cluster.finish(&failed.id, true, NOW - 10 * SECOND);
    let eval = cluster.evaluate("web", trigger::ALLOC_FAILURE);
    let now = cluster.dry_run(&eval);

    let mut later = three_nodes();
    let eval = later.register(batch_job(1));
    later.schedule(&eval);
    let failed = later.live_allocs("web")["web.app[0]"].clone();
    later.finish(&failed.id, true, NOW - SECOND);
    let eval = later.evaluate("web", trigger::ALLOC_FAILURE);
    let delayed = later.schedule(&eval);
    check_golden(
        "batch_reschedule",
        &serde_json::json!({"Now": dry_run_view(&now), "Later": run_view(&delayed)}),
    );
    assert_eq!(delayed.created.len(), 1, "one follow-up evaluation");
    assert_eq!(delayed.updated[0].next_eval, delayed.created[0].id);
}

/// A constraint no node meets: the placements fail, later ones coalesce, and a blocked
/// evaluation remembers the computed class that cannot run the job.
#[test]
fn unmet_constraint_blocks_with_class_eligibility() {
    let mut cluster = three_nodes();
    let mut job = service_job(3);
    job.constraints = vec![constraint("${attr.kernel.name}", "=", "windows")];
    let eval = cluster.register(job);
    let planned = cluster.dry_run(&eval);
    check_golden("unmet_constraint", &dry_run_view(&planned));

    let updated = planned.eval.unwrap();
    let failed = &updated.failed_tg_allocs.as_ref().unwrap()["app"];
    assert_eq!(failed.exhaustion().coalesced_failures, 2);
    assert_eq!(updated.queued_allocations, [("app".into(), 3)].into());
    let blocked = &planned.created_evals[0];
    assert_eq!(blocked.status, EvalStatus::Blocked);
    assert_eq!(updated.blocked_eval, blocked.id);
    let classes = blocked.class_eligibility.as_ref().unwrap();
    assert_eq!(classes.len(), 1);
    assert!(classes.values().all(|eligible| !eligible));
}

/// The applier refuses one node of the first plan: the scheduler retries on the refreshed
/// state and places the rest.
#[test]
fn partial_commit_retries_on_refreshed_state() {
    let mut cluster = three_nodes();
    let eval = cluster.register(service_job(3));
    let run = cluster
        .schedule_with(&eval, Commit::RefuseNodeOnce("node-2"))
        .unwrap();
    assert_eq!(run.plans.len(), 2);
    assert_eq!(
        run.plans[1]
            .node_allocation
            .values()
            .map(Vec::len)
            .sum::<usize>(),
        1,
        "the second plan places only what was refused"
    );
    assert_eq!(cluster.live_allocs("web").len(), 3);
    assert_eq!(run.updated.last().unwrap().status, EvalStatus::Complete);
    check_golden("partial_commit", &run_view(&run));
}

/// The applier never commits anything: after 5 attempts (2 for batch) the evaluation fails
/// and a blocked evaluation waits for capacity.
#[test]
fn max_plan_attempts() {
    for (job, attempts) in [(service_job(2), 5), (batch_job(2), 2)] {
        let mut cluster = three_nodes();
        let eval = cluster.register(job);
        let run = cluster.schedule_with(&eval, Commit::Nothing).unwrap();
        assert_eq!(run.plans.len(), attempts);
        let updated = &run.updated[0];
        assert_eq!(updated.status, EvalStatus::Failed);
        assert_eq!(
            updated.status_description,
            format!("maximum attempts reached ({attempts})")
        );
        let blocked = &run.created[0];
        assert_eq!(blocked.triggered_by, "max-plan-attempts");
        assert_eq!(
            blocked.status_description,
            "created due to placement conflicts"
        );
        assert_eq!(updated.blocked_eval, blocked.id);
    }
}

/// An unknown trigger fails the evaluation with Nomad's words; an unknown type is an error.
#[test]
fn unknown_trigger_and_type() {
    let mut cluster = three_nodes();
    let eval = cluster.register(service_job(1));
    let mut odd = eval.clone();
    odd.triggered_by = "scheduled".into();
    let run = cluster.schedule(&odd);
    assert!(run.plans.is_empty());
    assert_eq!(run.updated[0].status, EvalStatus::Failed);
    assert_eq!(
        run.updated[0].status_description,
        "scheduler cannot handle 'scheduled' evaluation reason"
    );

    let mut odd = eval;
    odd.eval_type = "_core".into();
    let err = cluster.schedule_with(&odd, Commit::All).unwrap_err();
    assert_eq!(err, SchedulerError::UnknownScheduler("_core".into()));
    assert_eq!(err.to_string(), "unknown scheduler '_core'");
}

/// A stopped job: every allocation stops, and the dry-run counts them.
#[test]
fn stopped_job_stops_everything() {
    let mut cluster = three_nodes();
    let eval = cluster.register(service_job(2));
    cluster.schedule(&eval);
    let mut job = service_job(2);
    job.stop = true;
    let eval = cluster.register(job);
    let planned = cluster.dry_run(&eval);
    let plan = planned.plan.unwrap();
    let desired = &plan.annotations.unwrap().desired_tg_updates["app"];
    assert_eq!(desired.stop, 2);
    assert_eq!(plan.node_update.values().flatten().count(), 2);
    assert!(plan.node_allocation.is_empty());
}

/// A dry-run that submits no plan (a trigger the scheduler does not handle) is an error, as in
/// Nomad's plan endpoint.
#[test]
fn dry_run_expects_one_plan() {
    let mut cluster = three_nodes();
    let mut eval = cluster.register(service_job(1));
    eval.triggered_by = "scheduled".into();
    let mut new_id = || "id".to_string();
    let mut ctx = SchedulerContext {
        now: NOW,
        seed: 1,
        new_id: &mut new_id,
        config: SchedulerConfig::default(),
    };
    let err = dry_run(&eval, cluster.snapshot(), &mut ctx).unwrap_err();
    assert_eq!(err, SchedulerError::UnexpectedPlans(0));
    assert_eq!(
        err.to_string(),
        "scheduler resulted in an unexpected number of plans: 0"
    );
}

/// A blocked evaluation that still cannot place goes back to the blocked set with its class
/// eligibility; once a node fits, it completes.
#[test]
fn blocked_evaluation_reblocks_then_completes() {
    let mut cluster = Cluster::new([node("node-1", "dc1")]);
    let mut job = service_job(1);
    job.constraints = vec![constraint("${meta.tier}", "=", "gold")];
    let eval = cluster.register(job);
    let first = cluster.schedule(&eval);
    let blocked = first.created[0].clone();
    assert_eq!(blocked.status, EvalStatus::Blocked);

    let again = cluster.schedule(&blocked);
    assert!(
        again.updated.is_empty(),
        "a blocked evaluation is not completed"
    );
    assert_eq!(again.reblocked.len(), 1);
    let classes = again.reblocked[0].class_eligibility.as_ref().unwrap();
    assert!(classes.values().all(|eligible| !eligible));

    let mut gold = node("node-2", "dc1");
    gold.meta.insert("tier".into(), "gold".into());
    gold.computed_class = drover_plan::feasible::computed_class(&gold);
    cluster.add_node(gold);
    let done = cluster.schedule(&blocked);
    assert_eq!(done.updated[0].status, EvalStatus::Complete);
    assert_eq!(cluster.live_allocs("web")["web.app[0]"].node_id, "node-2");
}

/// A purged job: the store deleted it with its allocations, so its evaluation finds nothing
/// to do and completes.
#[test]
fn purged_job_needs_nothing() {
    let mut cluster = three_nodes();
    let eval = cluster.register(service_job(2));
    cluster.schedule(&eval);
    cluster.apply(Command::DeregisterJob(DeregisterJob {
        namespace: "default".into(),
        job_id: "web".into(),
        purge: true,
        ..Default::default()
    }));
    let mut eval = eval;
    eval.id = "eval-purge".into();
    eval.triggered_by = trigger::JOB_DEREGISTER.into();
    let run = cluster.schedule(&eval);
    assert!(run.plans.is_empty());
    assert_eq!(run.updated[0].status, EvalStatus::Complete);
    assert!(run.updated[0].queued_allocations.is_empty());
}

//! Nomad's write semantics, one behavior per test: stop and purge, evaluation side effects,
//! submissions, scaling events, the `all` views, deployments, nodes, and bad input.

use std::sync::Arc;

use drover_model::allocation::ClientStatus;
use drover_model::deployment::deployment_status;
use drover_model::{
    AllocDeploymentStatus, Deployment, DeploymentState, DrainStrategy, EvalStatus, Job,
    JobSubmission, Node, ScalingEvent, Task, TaskGroup,
};
use drover_state::{
    ClientAllocUpdate, ClientAllocUpdates, Command, DeploymentAllocHealth, DeploymentPromotion,
    DeregisterJob, NodeDrainUpdate, NodeEligibilityUpdate, PlanResults, ScalingEventUpsert,
    StateError, Table, UpsertJob, UpsertNode,
};

use crate::support::*;

fn deregister(id: &str, purge: bool) -> Command {
    Command::DeregisterJob(DeregisterJob {
        namespace: NS.to_string(),
        job_id: id.to_string(),
        purge,
        ..DeregisterJob::default()
    })
}

#[test]
fn a_failed_command_leaves_the_store_unchanged_and_names_the_problem() {
    let mut h = Harness::new();
    let mut elsewhere = job("web", 1);
    elsewhere.namespace = "nope".into();
    let check = |h: &mut Harness, command: Command, expected: &str| {
        let err = h.run(command).expect_err("must fail");
        assert_eq!(err.to_string(), expected);
    };
    check(
        &mut h,
        register(elsewhere),
        r#"job "web" is in nonexistent namespace "nope""#,
    );
    check(
        &mut h,
        deregister("web", false),
        r#"job "web" in namespace "default" doesn't exist to be deregistered"#,
    );
    check(&mut h, deregister("web", true), "job not found");
    h.ok(register(job("web", 1)));
    let ghost = Arc::new(job("ghost", 1));
    check(
        &mut h,
        place(vec![alloc("a1", &ghost, "n1")]),
        r#"job "ghost" in namespace "default" not found for allocation "a1""#,
    );
    let stale = h.store.apply(1, &register(job("other", 1)));
    assert_eq!(
        stale,
        Err(StateError::StaleIndex {
            index: 1,
            latest: h.index - 1
        })
    );
    let enforce = Command::UpsertJob(UpsertJob {
        job: Arc::new(job("web", 2)),
        enforce_index: Some(99),
        ..UpsertJob::default()
    });
    let modify_index = h.job("web").job_modify_index;
    check(
        &mut h,
        enforce,
        &format!(
            "Enforcing job modify index 99: job exists with conflicting job modify index: {modify_index}"
        ),
    );
}

#[test]
fn stop_is_a_new_version_and_purge_deletes_everything_but_evaluations() {
    let mut h = Harness::new();
    let submission = JobSubmission {
        source: "job \"web\" {}".to_string(),
        format: "hcl2".to_string(),
        ..JobSubmission::default()
    };
    h.ok(Command::UpsertJob(UpsertJob {
        job: Arc::new(job("web", 1)),
        submission: Some(submission),
        eval: Some(eval("e1", "web", EvalStatus::Pending)),
        ..UpsertJob::default()
    }));
    let web = h.job("web");
    h.ok(place(vec![alloc("a1", &web, "n1")]));
    h.ok(deregister("web", false));
    let stopped = h.job("web");
    assert!(stopped.stop);
    assert_eq!(stopped.version, 1);
    let snap = h.snap();
    let copied = snap
        .job_submission(NS, "web", 1)
        .expect("submission copied forward");
    assert_eq!(copied.source, "job \"web\" {}");
    assert_eq!(copied.job_modify_index, stopped.job_modify_index);

    h.ok(Command::UpsertScalingEvent(ScalingEventUpsert {
        namespace: NS.to_string(),
        job_id: "web".to_string(),
        task_group: "web".to_string(),
        event: ScalingEvent::default(),
    }));
    h.ok(deregister("web", true));
    let snap = h.snap();
    assert!(snap.job(NS, "web").is_none());
    assert!(snap.job_versions(NS, "web").is_empty());
    assert!(snap.job_summary(NS, "web").is_none());
    assert!(snap.job_submission(NS, "web", 0).is_none());
    assert!(snap.alloc("a1").is_none());
    assert!(snap.scaling_events(NS, "web").is_none());
    let e1 = snap.eval("e1").expect("evaluations stay readable");
    assert_eq!(e1.status, EvalStatus::Complete);
    assert_eq!(e1.status_description, "job web deleted");
    assert_eq!(snap.table_index(Table::Allocs), h.index);
}

#[test]
fn a_successful_evaluation_cancels_the_jobs_blocked_ones() {
    let mut h = Harness::new();
    h.ok(register(job("web", 1)));
    h.ok(evals(vec![eval("blocked", "web", EvalStatus::Blocked)]));
    let mut failed = eval("e-failed", "web", EvalStatus::Complete);
    failed.failed_tg_allocs = Some([("web".to_string(), Default::default())].into());
    h.ok(evals(vec![failed]));
    assert_eq!(
        h.snap().eval("blocked").expect("eval").status,
        EvalStatus::Blocked
    );
    h.ok(evals(vec![eval("e-ok", "web", EvalStatus::Complete)]));
    let blocked = h.snap().eval("blocked").expect("eval");
    assert_eq!(blocked.status, EvalStatus::Canceled);
    assert_eq!(
        blocked.status_description,
        r#"evaluation "e-ok" successful"#
    );
    assert_eq!(blocked.modify_index, h.index);
}

#[test]
fn submissions_keep_the_six_latest() {
    let mut h = Harness::new();
    for count in 1..=8 {
        h.ok(Command::UpsertJob(UpsertJob {
            job: Arc::new(job("web", count)),
            submission: Some(JobSubmission {
                source: format!("count = {count}"),
                ..JobSubmission::default()
            }),
            ..UpsertJob::default()
        }));
    }
    let snap = h.snap();
    let kept: Vec<u64> = (0..8)
        .filter(|v| snap.job_submission(NS, "web", *v).is_some())
        .collect();
    assert_eq!(kept, vec![2, 3, 4, 5, 6, 7]);
}

/// Job `web` with groups `a` and `b` of tasks `x`, `y` and `z`, built afresh on every call (as a
/// decoded request is); task `b.y` runs `image`.
fn two_group_job(image: &str) -> Job {
    let group = |name: &str| {
        let task = |task: &str| {
            let image = if (name, task) == ("b", "y") {
                image
            } else {
                "app:1"
            };
            Arc::new(Task {
                name: task.into(),
                driver: "docker".into(),
                config: [("image".to_string(), serde_json::json!(image))].into(),
                ..Task::default()
            })
        };
        Arc::new(TaskGroup {
            name: name.into(),
            tasks: ["x", "y", "z"].map(task).into(),
            ..TaskGroup::default()
        })
    };
    Job {
        task_groups: vec![group("a"), group("b")],
        ..job("web", 1)
    }
}

#[test]
fn a_new_version_shares_what_it_did_not_change_with_the_one_before() {
    let mut h = Harness::new();
    h.ok(register(two_group_job("app:1")));
    h.ok(register(two_group_job("app:2")));
    h.ok(register(two_group_job("app:3")));
    let versions = h.snap().job_versions(NS, "web");
    let [v2, v1, v0] = &versions[..] else {
        panic!("three versions, got {}", versions.len());
    };
    for (old, new) in [(v0, v1), (v1, v2)] {
        let (old_a, new_a) = (&old.task_groups[0], &new.task_groups[0]);
        assert!(Arc::ptr_eq(old_a, new_a), "unchanged group a is shared");
        let (old_b, new_b) = (&old.task_groups[1], &new.task_groups[1]);
        assert!(!Arc::ptr_eq(old_b, new_b), "changed group b is not");
        let shared: Vec<bool> = (0..3)
            .map(|i| Arc::ptr_eq(&old_b.tasks[i], &new_b.tasks[i]))
            .collect();
        assert_eq!(shared, [true, false, true], "b's tasks x and z are shared");
    }
    assert_eq!(v2.task_groups, two_group_job("app:3").task_groups);

    // Replaying the log (its commands given up, as on a restart) rebuilds the same versions,
    // shared the same way.
    let replayed = drover_state::StateStore::new();
    for (index, command) in h.log.clone() {
        replayed.apply_owned(index, command).expect("replays");
    }
    assert_eq!(replayed.snapshot(), h.snap());
    let versions = replayed.snapshot().job_versions(NS, "web");
    assert!(Arc::ptr_eq(
        &versions[0].task_groups[0],
        &versions[2].task_groups[0]
    ));
    assert!(Arc::ptr_eq(
        &versions[0].task_groups[1].tasks[2],
        &versions[2].task_groups[1].tasks[2]
    ));
}

#[test]
fn scaling_events_keep_twenty_per_group_newest_first() {
    let mut h = Harness::new();
    h.ok(register(job("web", 1)));
    for n in 0..25 {
        h.ok(Command::UpsertScalingEvent(ScalingEventUpsert {
            namespace: NS.to_string(),
            job_id: "web".to_string(),
            task_group: "web".to_string(),
            event: ScalingEvent {
                message: format!("event {n}"),
                ..ScalingEvent::default()
            },
        }));
    }
    let events = h.snap().scaling_events(NS, "web").expect("events");
    let list = &events.scaling_events["web"];
    assert_eq!(list.len(), 20);
    assert_eq!(list[0].message, "event 24");
    assert_eq!(list[19].message, "event 5");
    assert_eq!(list[0].create_index, h.index);
    assert_eq!(events.modify_index, h.index);
}

#[test]
fn all_views_include_an_earlier_job_with_the_same_id() {
    let mut h = Harness::new();
    h.ok(register(job("web", 1)));
    let current = h.job("web");
    // A plan made against an earlier job with this ID (another CreateIndex) commits late.
    let mut earlier = (*current).clone();
    earlier.create_index = 0;
    let earlier = Arc::new(earlier);
    h.ok(place(vec![
        alloc("old", &earlier, "n1"),
        alloc("new", &current, "n1"),
    ]));
    let deployment = |id: &str, job_create_index: u64| Deployment {
        id: id.into(),
        namespace: NS.to_string(),
        job_id: "web".to_string(),
        job_create_index,
        status: deployment_status::CANCELLED.to_string(),
        ..Deployment::default()
    };
    h.ok(Command::ApplyPlanResults(PlanResults {
        deployment: Some(deployment("d-old", 0)),
        ..PlanResults::default()
    }));
    h.ok(Command::ApplyPlanResults(PlanResults {
        deployment: Some(deployment("d-new", current.create_index)),
        ..PlanResults::default()
    }));
    let snap = h.snap();
    let allocs = |all: bool| -> Vec<String> {
        snap.allocs_by_job(NS, "web", all)
            .iter()
            .map(|a| a.id.to_string())
            .collect()
    };
    let deployments = |all: bool| -> Vec<String> {
        snap.deployments_by_job(NS, "web", all)
            .iter()
            .map(|d| d.id.to_string())
            .collect()
    };
    assert_eq!(allocs(false), vec!["new"]);
    assert_eq!(allocs(true), vec!["new", "old"]);
    assert_eq!(deployments(false), vec!["d-new"]);
    assert_eq!(deployments(true), vec!["d-new", "d-old"]);
    assert_eq!(
        snap.latest_deployment(NS, "web").expect("latest").id,
        "d-new"
    );
}

#[test]
fn deployments_count_placements_health_and_promote_canaries() {
    let mut h = Harness::new();
    h.ok(register(job("web", 2)));
    let web = h.job("web");
    let mut group = DeploymentState {
        desired_canaries: 1,
        desired_total: 2,
        progress_deadline: 600_000_000_000,
        ..DeploymentState::default()
    };
    group.placed_canaries.clear();
    let deployment = Deployment {
        id: "d1".into(),
        namespace: NS.to_string(),
        job_id: "web".to_string(),
        job_version: web.version,
        job_create_index: web.create_index,
        status: deployment_status::RUNNING.to_string(),
        task_groups: [("web".to_string(), group)].into(),
        ..Deployment::default()
    };
    let mut canary = alloc("c1", &web, "n1");
    canary.deployment_id = "d1".into();
    canary.modify_time = 1_000_000_000;
    canary.details_mut().deployment_status = Some(Box::new(AllocDeploymentStatus {
        canary: true,
        ..AllocDeploymentStatus::default()
    }));
    h.ok(Command::ApplyPlanResults(PlanResults {
        deployment: Some(deployment),
        allocs_updated: vec![Arc::new(canary)],
        ..PlanResults::default()
    }));
    let d = h.snap().deployment("d1").expect("deployment");
    let state = &d.task_groups["web"];
    assert_eq!(state.placed_allocs, 1);
    assert_eq!(state.placed_canaries, vec!["c1".to_string()]);
    assert_eq!(state.require_progress_by, "1970-01-01T00:10:01Z");
    assert_eq!(h.snap().job(NS, "web").expect("job").status, "running");

    let promote = Command::PromoteDeployment(DeploymentPromotion {
        deployment_id: "d1".to_string(),
        all: true,
        ..DeploymentPromotion::default()
    });
    let err = h.run(promote.clone()).expect_err("canary not healthy yet");
    assert_eq!(
        err.to_string(),
        "1 error occurred:\n\t* Task group \"web\" has 0/1 healthy allocations\n\n"
    );
    h.ok(Command::UpdateDeploymentAllocHealth(
        DeploymentAllocHealth {
            deployment_id: "d1".to_string(),
            healthy_alloc_ids: vec!["c1".to_string()],
            timestamp: 2_000_000_000,
            ..DeploymentAllocHealth::default()
        },
    ));
    let d = h.snap().deployment("d1").expect("deployment");
    assert_eq!(d.task_groups["web"].healthy_allocs, 1);
    assert_eq!(
        d.task_groups["web"].require_progress_by,
        "1970-01-01T00:10:02Z"
    );
    h.ok(promote);
    let snap = h.snap();
    assert!(snap.deployment("d1").expect("deployment").task_groups["web"].promoted);
    let c1 = snap.alloc("c1").expect("alloc");
    assert!(
        !c1.details()
            .deployment_status
            .as_ref()
            .expect("status")
            .canary
    );
}

#[test]
fn nodes_keep_operator_settings_across_re_registration() {
    let mut h = Harness::new();
    let node = Node {
        id: "n1".into(),
        status: "ready".to_string(),
        scheduling_eligibility: "eligible".to_string(),
        ..Node::default()
    };
    h.ok(Command::UpsertNode(UpsertNode { node: node.clone() }));
    assert_eq!(h.snap().ready_nodes().count(), 1);
    h.ok(Command::UpdateNodeDrain(NodeDrainUpdate {
        node_id: "n1".to_string(),
        drain_strategy: Some(DrainStrategy::default()),
        updated_at: 5,
        ..NodeDrainUpdate::default()
    }));
    h.ok(Command::UpsertNode(UpsertNode { node }));
    let n1 = h.snap().node("n1").expect("node");
    assert_eq!(n1.scheduling_eligibility, "ineligible");
    assert!(n1.drain_strategy.is_some());
    assert_eq!(h.snap().ready_nodes().count(), 0);
    let err = h
        .run(Command::UpdateNodeEligibility(NodeEligibilityUpdate {
            node_id: "n1".to_string(),
            eligibility: "eligible".to_string(),
            updated_at: 6,
        }))
        .expect_err("draining");
    assert_eq!(
        err.to_string(),
        "can not set node's scheduling eligibility to eligible while it is draining"
    );
}

#[test]
fn snapshots_never_see_later_writes_and_can_be_written_privately() {
    let mut h = Harness::new();
    h.ok(register(job("web", 1)));
    let before = h.snap();
    h.ok(register(job("web", 2)));
    let web = h.job("web");
    h.ok(place(vec![alloc("a1", &web, "n1")]));
    assert_eq!(before.job(NS, "web").expect("job").version, 0);
    assert!(before.alloc("a1").is_none());

    let mut dry_run = h.snap();
    dry_run
        .apply(h.index + 1, &register(job("web", 9)))
        .expect("private write");
    assert_eq!(dry_run.job(NS, "web").expect("job").task_groups[0].count, 9);
    assert_eq!(h.job("web").task_groups[0].count, 2);
}

#[test]
fn a_privately_applied_snapshot_commits_only_over_the_state_it_came_from() {
    let h = Harness::new();
    let base = h.snap();
    let mut next = base.clone();
    next.apply(1, &register(job("web", 3)))
        .expect("private write");
    h.store
        .commit_snapshot(&base, next.clone())
        .expect("the store has not moved");
    assert_eq!(h.snap(), next);
    assert_eq!(h.store.applied_index(), 1);

    let mut late = base.clone();
    late.apply(1, &register(job("api", 1)))
        .expect("private write");
    assert_eq!(
        h.store.commit_snapshot(&base, late),
        Err(StateError::StaleIndex {
            index: 1,
            latest: 1
        })
    );
    assert_eq!(h.snap(), next, "a refused commit changes nothing");
}

#[test]
fn client_updates_skip_collected_allocations_and_move_job_status() {
    let mut h = Harness::new();
    h.ok(register_with_eval(
        job("web", 1),
        eval("e1", "web", EvalStatus::Complete),
    ));
    let web = h.job("web");
    h.ok(place(vec![alloc("a1", &web, "n1")]));
    let update = |id: &str, status: ClientStatus| ClientAllocUpdate {
        alloc_id: id.to_string(),
        client_status: status,
        modify_time: 42,
        ..ClientAllocUpdate::default()
    };
    h.ok(Command::UpdateAllocsFromClient(ClientAllocUpdates {
        allocs: vec![
            update("gone", ClientStatus::Running),
            update("a1", ClientStatus::Complete),
        ],
        evals: Vec::new(),
    }));
    let snap = h.snap();
    assert_eq!(snap.alloc("a1").expect("alloc").modify_time, 42);
    assert_eq!(snap.job(NS, "web").expect("job").status, "dead");
}

#[test]
fn nodes_version_changes_only_with_a_node_write() {
    let node = |id: &str| {
        Command::UpsertNode(UpsertNode {
            node: Node {
                id: id.into(),
                status: "ready".to_string(),
                ..Node::default()
            },
        })
    };
    let mut h = Harness::new();
    h.ok(node("n1"));
    let before = h.snap().nodes_version();
    h.ok(register(job("web", 1)));
    assert_eq!(
        h.snap().nodes_version(),
        before,
        "a job write keeps the node table"
    );
    h.ok(node("n2"));
    assert_ne!(
        h.snap().nodes_version(),
        before,
        "a node write makes a new one"
    );

    // Another store with the same nodes holds another table.
    let mut other = Harness::new();
    other.ok(node("n1"));
    other.ok(node("n2"));
    assert_ne!(other.snap().nodes_version(), h.snap().nodes_version());
}

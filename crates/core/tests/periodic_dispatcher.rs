//! `PeriodicDispatcher` over simulated time: due launches, `ProhibitOverlap`, force, what is
//! tracked, the catch-up on restore; and the child a launch registers.

use std::collections::{BTreeMap, BTreeSet};

use drover_core::error::ApiError;
use drover_core::periodic::{
    Launch, MAX_LAUNCHES_PER_TICK, PeriodicDispatcher, PeriodicError, PeriodicState, derive_child,
};
use drover_model::{Job, ParameterizedJobConfig, PeriodicConfig};

const SECOND: i64 = 1_000_000_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
/// 2024-01-01T00:00:00Z, a Monday.
const DAY0: i64 = 1_704_067_200 * SECOND;

/// The cluster as the dispatcher sees it.
#[derive(Default)]
struct Cluster {
    running: BTreeSet<String>,
    launches: BTreeMap<String, i64>,
}

impl PeriodicState for Cluster {
    fn has_running_children(&self, _namespace: &str, job_id: &str) -> bool {
        self.running.contains(job_id)
    }

    fn last_launch(&self, _namespace: &str, job_id: &str) -> Option<i64> {
        self.launches.get(job_id).copied()
    }
}

fn job(id: &str, spec: &str) -> Job {
    Job {
        id: id.into(),
        name: id.into(),
        namespace: "default".into(),
        job_type: "batch".into(),
        periodic: Some(PeriodicConfig {
            spec: spec.to_string(),
            spec_type: "cron".to_string(),
            time_zone: "UTC".to_string(),
            ..PeriodicConfig::default()
        }),
        ..Job::default()
    }
}

fn no_overlap(mut job: Job) -> Job {
    if let Some(periodic) = &mut job.periodic {
        periodic.prohibit_overlap = true;
    }
    job
}

/// Launches as `job@minutes since DAY0`.
fn show(launches: &[Launch]) -> Vec<String> {
    launches
        .iter()
        .map(|l| {
            assert_eq!(l.namespace, "default");
            format!("{}@{}", l.job_id, (l.launch_time - DAY0) / MINUTE)
        })
        .collect()
}

fn dispatcher(jobs: &[Job], now: i64) -> PeriodicDispatcher {
    let mut dispatcher = PeriodicDispatcher::new();
    for job in jobs {
        dispatcher.add(job, now).expect("a valid spec");
    }
    dispatcher
}

#[test]
fn launches_come_due_on_schedule() {
    let cluster = Cluster::default();
    let mut d = dispatcher(&[job("report", "*/15 * * * *")], DAY0 + 7 * MINUTE);
    assert_eq!(d.next_deadline(), Some(DAY0 + 15 * MINUTE));
    assert!(show(&d.tick(DAY0 + 15 * MINUTE - 1, &cluster)).is_empty());
    assert_eq!(show(&d.tick(DAY0 + 15 * MINUTE, &cluster)), ["report@15"]);
    assert_eq!(d.next_deadline(), Some(DAY0 + 30 * MINUTE));
    // A late tick launches every time it missed, in order.
    assert_eq!(
        show(&d.tick(DAY0 + 61 * MINUTE, &cluster)),
        ["report@30", "report@45", "report@60"]
    );
    assert_eq!(d.next_deadline(), Some(DAY0 + 75 * MINUTE));
}

#[test]
fn launches_of_several_jobs_come_in_time_then_id_order() {
    let cluster = Cluster::default();
    let jobs = [
        job("b-hourly", "0 * * * *"),
        job("a-hourly", "0 * * * *"),
        job("half", "30 * * * *"),
    ];
    let mut d = dispatcher(&jobs, DAY0);
    assert_eq!(
        show(&d.tick(DAY0 + 2 * HOUR, &cluster)),
        [
            "half@30",
            "a-hourly@60",
            "b-hourly@60",
            "half@90",
            "a-hourly@120",
            "b-hourly@120"
        ]
    );
}

#[test]
fn overlap_is_skipped_while_a_child_runs() {
    let mut cluster = Cluster::default();
    cluster.running.insert("guarded".to_string());
    cluster.running.insert("free".to_string());
    let jobs = [
        no_overlap(job("guarded", "0 * * * *")),
        job("free", "0 * * * *"),
    ];
    let mut d = dispatcher(&jobs, DAY0);
    // The skipped launch still moves the schedule on.
    assert_eq!(show(&d.tick(DAY0 + HOUR, &cluster)), ["free@60"]);
    assert_eq!(d.next_deadline(), Some(DAY0 + 2 * HOUR));
    cluster.running.clear();
    assert_eq!(
        show(&d.tick(DAY0 + 2 * HOUR, &cluster)),
        ["free@120", "guarded@120"]
    );
    // Missed launches of a guarded job: the first one's child runs, the rest are skipped.
    assert_eq!(
        show(&d.tick(DAY0 + 5 * HOUR, &cluster)),
        ["free@180", "guarded@180", "free@240", "free@300"]
    );
}

#[test]
fn force_launches_now_even_while_a_child_runs() {
    let mut cluster = Cluster::default();
    cluster.running.insert("guarded".to_string());
    let guarded = no_overlap(job("guarded", "0 0 * * *"));
    let d = dispatcher(std::slice::from_ref(&guarded), DAY0);
    let now = DAY0 + 5 * HOUR + 30 * SECOND;
    assert_eq!(
        d.force(&guarded, now),
        Ok(Launch {
            namespace: "default".to_string(),
            job_id: "guarded".to_string(),
            launch_time: now,
        })
    );
    // The schedule does not move.
    assert_eq!(d.next_deadline(), Some(DAY0 + 24 * HOUR));
}

#[test]
fn force_refuses_non_periodic_and_untracked_jobs() {
    let d = dispatcher(&[], DAY0);
    let plain = Job {
        periodic: None,
        ..job("plain", "")
    };
    let err = d.force(&plain, DAY0).unwrap_err();
    assert_eq!(err, PeriodicError::NotPeriodic);
    assert_eq!(err.to_string(), "can't force launch non-periodic job");

    let mut disabled = job("nightly", "@daily");
    disabled.periodic.as_mut().unwrap().enabled = false;
    let err = d.force(&disabled, DAY0).unwrap_err();
    assert_eq!(
        err.to_string(),
        "force launch for job \"nightly\" failed: can't force run non-tracked job \"nightly\" (default)"
    );
    let api = ApiError::from(err);
    assert_eq!(api.status, 500);
    assert_eq!(
        api.message,
        "force launch for job \"nightly\" failed: can't force run non-tracked job \"nightly\" (default)"
    );
}

#[test]
fn only_active_periodic_jobs_are_tracked() {
    let mut disabled = job("disabled", "@hourly");
    disabled.periodic.as_mut().unwrap().enabled = false;
    let stopped = Job {
        stop: true,
        ..job("stopped", "@hourly")
    };
    let parameterized = Job {
        parameterized_job: Some(ParameterizedJobConfig::default()),
        ..job("parameterized", "@hourly")
    };
    // What a periodic, parameterized parent dispatches is a periodic job itself.
    let dispatched = Job {
        id: "parameterized/dispatch-1700000000-0a1b2c3d".into(),
        dispatched: true,
        ..parameterized.clone()
    };
    let plain = Job {
        periodic: None,
        ..job("plain", "")
    };
    let jobs = [
        disabled,
        stopped,
        parameterized,
        plain,
        dispatched,
        job("active", "@hourly"),
    ];
    let d = dispatcher(&jobs, DAY0);
    let tracked: Vec<&str> = jobs
        .iter()
        .map(|job| job.id.as_str())
        .filter(|id| d.is_tracked("default", id))
        .collect();
    assert_eq!(
        tracked,
        ["parameterized/dispatch-1700000000-0a1b2c3d", "active"]
    );
}

#[test]
fn an_update_reschedules_and_stopping_untracks() {
    let cluster = Cluster::default();
    let mut d = dispatcher(&[job("report", "0 * * * *")], DAY0 + 10 * MINUTE);
    assert_eq!(d.next_deadline(), Some(DAY0 + HOUR));
    d.add(&job("report", "*/20 * * * *"), DAY0 + 10 * MINUTE)
        .unwrap();
    assert_eq!(d.next_deadline(), Some(DAY0 + 20 * MINUTE));
    let stopped = Job {
        stop: true,
        ..job("report", "*/20 * * * *")
    };
    d.add(&stopped, DAY0 + 11 * MINUTE).unwrap();
    assert!(!d.is_tracked("default", "report"));
    assert_eq!(d.next_deadline(), None);
    assert!(d.tick(DAY0 + 2 * HOUR, &cluster).is_empty());

    d.add(&job("report", "@hourly"), DAY0).unwrap();
    d.remove("default", "report");
    assert!(!d.is_tracked("default", "report"));
    assert_eq!(d.next_deadline(), None);
}

#[test]
fn a_spec_that_does_not_parse_is_refused_and_not_tracked() {
    let mut d = PeriodicDispatcher::new();
    let err = d.add(&job("bad", "every hour"), DAY0).unwrap_err();
    assert_eq!(
        err.to_string(),
        "failed parsing cron expression: every hour: missing field(s)"
    );
    assert!(!d.is_tracked("default", "bad"));
}

#[test]
fn a_job_whose_schedule_is_over_stays_tracked_without_a_deadline() {
    let cluster = Cluster::default();
    let once = job("once", "0 0 1 1 * 2024");
    let mut d = dispatcher(std::slice::from_ref(&once), DAY0 - HOUR);
    assert_eq!(show(&d.tick(DAY0, &cluster)), ["once@0"]);
    assert_eq!(d.next_deadline(), None);
    assert!(d.is_tracked("default", "once"));
    assert!(d.force(&once, DAY0 + HOUR).is_ok());
}

#[test]
fn a_long_pause_hands_out_launches_a_tick_at_a_time() {
    let cluster = Cluster::default();
    let mut d = dispatcher(&[job("tick", "* * * * * * *")], DAY0);
    let now = DAY0 + 1000 * SECOND;
    let mut total = 0;
    let mut ticks = 0;
    while d.next_deadline().is_some_and(|deadline| deadline <= now) {
        let launches = d.tick(now, &cluster);
        assert!(launches.len() <= MAX_LAUNCHES_PER_TICK);
        total += launches.len();
        ticks += 1;
    }
    assert_eq!(total, 1000);
    assert_eq!(ticks, 1000_usize.div_ceil(MAX_LAUNCHES_PER_TICK));
    assert_eq!(d.next_deadline(), Some(now + SECOND));
}

#[test]
fn launches_follow_wall_clock_time_through_a_fall_back() {
    let cluster = Cluster::default();
    let mut nightly = job("nightly", "30 1 * * *");
    nightly.periodic.as_mut().unwrap().time_zone = "America/Los_Angeles".to_string();
    // 2019-11-03T00:00:00-07:00; 01:30 happens at -07:00 and again at -08:00.
    let start = 1_572_764_400 * SECOND;
    let mut d = dispatcher(&[nightly], start);
    let launches = d.tick(start + 3 * HOUR, &cluster);
    let times: Vec<i64> = launches
        .iter()
        .map(|l| (l.launch_time - start) / MINUTE)
        .collect();
    assert_eq!(times, [90, 150]);
}

#[test]
fn restore_catches_up_once_for_each_missed_schedule() {
    let now = DAY0 + 10 * HOUR + 5 * MINUTE;
    let mut cluster = Cluster::default();
    // Last launched two hours ago: missed twice, caught up once, at `now`.
    cluster
        .launches
        .insert("missed".to_string(), now - 2 * HOUR);
    // Launched on time five minutes ago: the next launch is still ahead.
    cluster
        .launches
        .insert("recent".to_string(), now - 5 * MINUTE);
    // Missed, but a child still runs and overlap is prohibited.
    cluster
        .launches
        .insert("guarded".to_string(), now - 2 * HOUR);
    cluster.running.insert("guarded".to_string());
    // Missed, a child runs, overlap allowed.
    cluster
        .launches
        .insert("overlapping".to_string(), now - 2 * HOUR);
    cluster.running.insert("overlapping".to_string());
    // Stopped: not tracked, no catch-up.
    cluster
        .launches
        .insert("stopped".to_string(), now - 2 * HOUR);
    let jobs = [
        job("recent", "0 * * * *"),
        job("missed", "0 * * * *"),
        no_overlap(job("guarded", "0 * * * *")),
        job("overlapping", "0 * * * *"),
        job("unrecorded", "0 * * * *"),
        Job {
            stop: true,
            ..job("stopped", "0 * * * *")
        },
    ];
    let mut d = dispatcher(&[job("stale", "@hourly")], DAY0);
    let launches = d.restore(&jobs, now, &cluster);
    assert_eq!(
        launches,
        [
            Launch {
                namespace: "default".to_string(),
                job_id: "missed".to_string(),
                launch_time: now,
            },
            Launch {
                namespace: "default".to_string(),
                job_id: "overlapping".to_string(),
                launch_time: now,
            },
        ]
    );
    let tracked: Vec<&str> = [
        "recent",
        "missed",
        "guarded",
        "overlapping",
        "unrecorded",
        "stopped",
        "stale",
    ]
    .into_iter()
    .filter(|id| d.is_tracked("default", id))
    .collect();
    assert_eq!(
        tracked,
        ["recent", "missed", "guarded", "overlapping", "unrecorded"]
    );
    // Restored jobs launch on schedule from now on.
    assert_eq!(d.next_deadline(), Some(DAY0 + 11 * HOUR));
}

#[test]
fn the_child_is_the_parent_renamed_without_its_periodic_block() {
    let parent_json: serde_json::Value =
        serde_json::from_str(include_str!("golden/periodic_parent.json")).expect("JSON");
    let parent: Job = serde_json::from_value(parent_json).expect("the parent decodes");
    // 2023-11-14T22:13:20.5Z: the child's ID carries whole seconds.
    let child = derive_child(&parent, 1_700_000_000 * SECOND + SECOND / 2);
    // The golden file holds the fields that differ from the parent's; the rest is inherited.
    let (serde_json::Value::Object(parent), serde_json::Value::Object(child)) = (
        serde_json::to_value(&parent).unwrap(),
        serde_json::to_value(&child).unwrap(),
    ) else {
        panic!("jobs encode as objects");
    };
    let changed: serde_json::Map<String, serde_json::Value> = child
        .into_iter()
        .filter(|(field, value)| parent.get(field) != Some(value))
        .collect();
    let golden: serde_json::Value =
        serde_json::from_str(include_str!("golden/periodic_child.json")).expect("golden JSON");
    assert_eq!(serde_json::Value::Object(changed), golden);
}

#[test]
fn a_launch_before_1970_rounds_down_to_the_second() {
    let child = derive_child(&job("report", "@daily"), -SECOND / 2);
    assert_eq!(child.id, "report/periodic--1");
}

mod snapshot_state {
    use std::sync::Arc;

    use drover_core::periodic::{PeriodicState, derive_child};
    use drover_model::{Allocation, ClientStatus, DesiredStatus, EvalStatus, Evaluation};
    use drover_state::{
        ClientAllocUpdate, ClientAllocUpdates, Command, PlanResults, StateStore, UpsertEvals,
        UpsertJob,
    };

    use super::{DAY0, HOUR, job, no_overlap};

    fn eval(id: &str, job_id: &str, status: EvalStatus) -> Evaluation {
        Evaluation {
            id: id.into(),
            namespace: "default".to_string(),
            job_id: job_id.to_string(),
            status,
            ..Evaluation::default()
        }
    }

    fn upsert(job: drover_model::Job, eval: Option<Evaluation>) -> Command {
        Command::UpsertJob(UpsertJob {
            job: Arc::new(job),
            eval,
            now: DAY0,
            ..UpsertJob::default()
        })
    }

    /// The store's view: children are `<parent>/periodic-...` with that parent, running while
    /// an evaluation or an allocation of theirs is not terminal; the last launch is the row
    /// the store records.
    #[test]
    fn a_snapshot_answers_what_the_dispatcher_asks() {
        let store = StateStore::new();
        let parent = no_overlap(job("report", "0 * * * *"));
        store.apply(1, &upsert(parent.clone(), None)).unwrap();
        let snapshot = store.snapshot();
        assert!(!snapshot.has_running_children("default", "report"));
        // A periodic job's first row is its registration time.
        assert_eq!(snapshot.last_launch("default", "report"), Some(DAY0));
        assert_eq!(snapshot.last_launch("default", "other"), None);

        let child = derive_child(&parent, DAY0 + HOUR);
        let child_id = child.id.clone();
        let pending = eval("e1", &child_id, EvalStatus::Pending);
        store
            .apply(2, &upsert(child.clone(), Some(pending)))
            .unwrap();
        let snapshot = store.snapshot();
        assert!(snapshot.has_running_children("default", "report"));
        assert_eq!(snapshot.last_launch("default", "report"), Some(DAY0 + HOUR));

        let complete = eval("e1", &child_id, EvalStatus::Complete);
        let evals = Command::UpsertEvals(UpsertEvals {
            evals: vec![complete],
        });
        store.apply(3, &evals).unwrap();
        assert!(!store.snapshot().has_running_children("default", "report"));

        let running = Allocation {
            id: "a1".into(),
            namespace: "default".into(),
            eval_id: "e1".into(),
            job_id: child_id.as_str().into(),
            task_group: "build".into(),
            desired_status: DesiredStatus::Run,
            client_status: ClientStatus::Running,
            ..Allocation::default()
        };
        let plan = Command::ApplyPlanResults(PlanResults {
            job: Some(Arc::new(child)),
            allocs_updated: vec![Arc::new(running.clone())],
            ..PlanResults::default()
        });
        store.apply(4, &plan).unwrap();
        assert!(store.snapshot().has_running_children("default", "report"));

        let done = Command::UpdateAllocsFromClient(ClientAllocUpdates {
            allocs: vec![ClientAllocUpdate {
                alloc_id: running.id.into(),
                client_status: ClientStatus::Complete,
                ..ClientAllocUpdate::default()
            }],
            evals: Vec::new(),
        });
        store.apply(5, &done).unwrap();
        assert!(!store.snapshot().has_running_children("default", "report"));

        // A job named like a child but with another parent is not one.
        let mut impostor = job("report/periodic-1", "");
        impostor.periodic = None;
        let pending = eval("e2", "report/periodic-1", EvalStatus::Pending);
        store.apply(6, &upsert(impostor, Some(pending))).unwrap();
        assert!(!store.snapshot().has_running_children("default", "report"));
    }
}

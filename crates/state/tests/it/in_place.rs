//! Commands write the store's tables in place when no snapshot shares them: a command that
//! fails (at its end, or a sub-command in the middle of a batch) leaves the store exactly as
//! it was, and a snapshot taken before a commit keeps reading what it read.

use std::sync::Arc;

use drover_model::allocation::ClientStatus;
use drover_model::job::VersionTag;
use drover_model::{EvalStatus, JobSubmission, Namespace, Node};
use drover_state::{
    ClientAllocUpdate, ClientAllocUpdates, Command, JobStability, JobVersionTagUpdate,
    NamespaceDeletes, Namespaces, StateStore, UpsertJob, UpsertNode,
};

use crate::support::{NS, alloc, eval, evals, job, place, register};

/// Two stores given the same commands at indexes 1, 2, ...: one to write to while no snapshot
/// of it is held (so in place), one to compare it with.
fn twins(commands: &[Command]) -> (StateStore, StateStore, u64) {
    let (store, twin) = (StateStore::new(), StateStore::new());
    for (i, command) in commands.iter().enumerate() {
        store.apply(i as u64 + 1, command).expect("setup applies");
        twin.apply(i as u64 + 1, command).expect("setup applies");
    }
    (store, twin, commands.len() as u64 + 1)
}

fn setup() -> Vec<Command> {
    let web = Arc::new(job("web", 2));
    vec![
        Command::UpsertNode(UpsertNode {
            node: Node {
                id: "n1".into(),
                status: "ready".to_string(),
                ..Node::default()
            },
        }),
        register(job("web", 2)),
        register(job("api", 1)),
        evals(vec![eval("e1", "web", EvalStatus::Pending)]),
        place(vec![alloc("a1", &web, "n1"), alloc("a2", &web, "n1")]),
        Command::UpsertNamespaces(Namespaces {
            namespaces: vec![Namespace {
                name: "team".to_string(),
                ..Namespace::default()
            }],
        }),
    ]
}

/// Writes to every kind of row the setup holds, some rows twice (a job's row copied once and
/// then edited in place, an allocation replaced twice).
fn writes() -> Vec<Command> {
    let web = Arc::new(job("web", 3));
    let running = |id: &str| ClientAllocUpdate {
        alloc_id: id.to_string(),
        client_status: ClientStatus::Running,
        modify_time: 5,
        ..ClientAllocUpdate::default()
    };
    vec![
        register(job("web", 3)),
        register(job("web", 4)),
        register(job("new", 1)),
        evals(vec![
            eval("e1", "web", EvalStatus::Complete),
            eval("e2", "web", EvalStatus::Pending),
        ]),
        place(vec![alloc("a3", &web, "n1")]),
        Command::UpdateAllocsFromClient(ClientAllocUpdates {
            allocs: vec![running("a1"), running("a3")],
            evals: Vec::new(),
        }),
        Command::UpdateAllocsFromClient(ClientAllocUpdates {
            allocs: vec![ClientAllocUpdate {
                client_status: ClientStatus::Complete,
                ..running("a1")
            }],
            evals: Vec::new(),
        }),
        Command::UpsertNode(UpsertNode {
            node: Node {
                id: "n2".into(),
                status: "ready".to_string(),
                ..Node::default()
            },
        }),
        Command::DeleteNamespaces(NamespaceDeletes {
            names: vec!["team".to_string()],
        }),
    ]
}

/// What every failing command below fails on: a namespace that does not exist.
fn failing() -> Command {
    Command::DeleteNamespaces(NamespaceDeletes {
        names: vec!["nope".to_string()],
    })
}

fn check_unchanged(store: &StateStore, twin: &StateStore) {
    let (snapshot, expected) = (store.snapshot(), twin.snapshot());
    assert_eq!(snapshot.check_invariants(), Ok(()));
    assert!(snapshot == expected, "a failed command changed the store");
}

#[test]
fn a_batch_failing_after_its_writes_leaves_the_store_as_it_was() {
    let (store, twin, index) = twins(&setup());
    let mut batch = writes();
    batch.push(failing());
    assert!(store.apply(index, &Command::Batch(batch)).is_err());
    check_unchanged(&store, &twin);
    // Nothing is left of the failed command: its index is still free, and the same writes
    // without the failure give both stores the same state.
    let batch = Command::Batch(writes());
    store.apply(index, &batch).expect("applies");
    twin.apply(index, &batch).expect("applies");
    check_unchanged(&store, &twin);
    assert_eq!(store.snapshot().job(NS, "web").expect("web").version, 2);
}

#[test]
fn every_prefix_of_writes_is_rolled_back() {
    let all = writes();
    for end in 0..=all.len() {
        let (store, twin, index) = twins(&setup());
        let mut batch = all[..end].to_vec();
        batch.push(failing());
        assert!(store.apply(index, &Command::Batch(batch)).is_err());
        check_unchanged(&store, &twin);
    }
}

#[test]
fn a_failure_given_up_to_the_store_is_rolled_back_too() {
    let (store, twin, index) = twins(&setup());
    let mut batch = writes();
    batch.insert(3, failing());
    assert!(store.apply_owned(index, Command::Batch(batch)).is_err());
    check_unchanged(&store, &twin);
}

#[test]
fn a_staged_command_dropped_uncommitted_is_rolled_back() {
    let (store, twin, index) = twins(&setup());
    let staged = store
        .stage(index, &Command::Batch(writes()))
        .expect("applies");
    drop(staged);
    check_unchanged(&store, &twin);
    store
        .stage(index, &Command::Batch(writes()))
        .expect("applies")
        .commit();
    assert_eq!(store.applied_index(), index);
    assert_eq!(store.snapshot().job(NS, "web").expect("web").version, 2);
}

#[test]
fn a_snapshot_taken_before_a_commit_keeps_its_values() {
    let (store, _, index) = twins(&setup());
    let before = store.snapshot();
    let old_alloc = before.alloc("a1").expect("a1");
    store
        .apply(index, &Command::Batch(writes()))
        .expect("applies");
    // With no snapshot held, the next commit writes in place; `after` was taken before it.
    let after = store.snapshot();
    store
        .apply(index + 1, &register(job("web", 9)))
        .expect("applies");
    assert_eq!(before.job(NS, "web").expect("web").version, 0);
    assert_eq!(before.job_versions(NS, "web").len(), 1);
    assert_eq!(before.alloc("a1"), Some(old_alloc));
    assert!(before.alloc("a3").is_none());
    assert!(before.node("n2").is_none());
    assert!(before.namespace("team").is_some());
    assert_eq!(after.job(NS, "web").expect("web").version, 2);
    assert_eq!(
        after.alloc("a1").expect("a1").client_status,
        ClientStatus::Complete
    );
    assert!(after.namespace("team").is_none());
    assert_eq!(store.snapshot().job(NS, "web").expect("web").version, 3);
    for snapshot in [before, after, store.snapshot()] {
        assert_eq!(snapshot.check_invariants(), Ok(()));
    }
}

/// A job with as many versions and submissions as the store keeps: a failed command puts back
/// the version and the submission that retention dropped, the tags and stability it changed.
#[test]
fn versions_and_submissions_dropped_by_a_failed_command_are_put_back() {
    let submitted = |count: i64| {
        Command::UpsertJob(UpsertJob {
            job: Arc::new(job("web", count)),
            submission: Some(JobSubmission {
                source: format!("count = {count}"),
                format: "hcl2".to_string(),
                ..JobSubmission::default()
            }),
            ..UpsertJob::default()
        })
    };
    let tag = |version: u64, name: &str, tagged: bool| {
        Command::UpdateJobVersionTag(JobVersionTagUpdate {
            namespace: NS.to_string(),
            job_id: "web".to_string(),
            version,
            name: name.to_string(),
            tag: tagged.then(|| VersionTag {
                name: name.to_string(),
                ..VersionTag::default()
            }),
        })
    };
    let stable = |version: u64, stable: bool| {
        Command::UpdateJobStability(JobStability {
            namespace: NS.to_string(),
            job_id: "web".to_string(),
            version,
            stable,
        })
    };
    let mut setup: Vec<Command> = (1..=8).map(submitted).collect();
    setup.extend([tag(3, "kept", true), stable(4, true)]);
    let (store, twin, index) = twins(&setup);
    let writes = vec![
        submitted(9),
        register(job("web", 10)),
        tag(3, "kept", false),
        tag(5, "other", true),
        stable(4, false),
        stable(9, true),
        submitted(11),
    ];
    for end in 0..=writes.len() {
        let mut batch = writes[..end].to_vec();
        batch.push(failing());
        assert!(store.apply(index, &Command::Batch(batch.clone())).is_err());
        check_unchanged(&store, &twin);
        assert!(store.apply_owned(index, Command::Batch(batch)).is_err());
        check_unchanged(&store, &twin);
    }
    // The same writes, committed: six untagged versions and the tagged one are kept.
    let batch = Command::Batch(writes);
    store.apply(index, &batch).expect("applies");
    let snapshot = store.snapshot();
    assert_eq!(snapshot.check_invariants(), Ok(()));
    let versions: Vec<u64> = snapshot
        .job_versions(NS, "web")
        .iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(versions, [10, 9, 8, 7, 6, 5, 4]);
}

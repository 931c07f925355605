//! Blocked evaluations: which evaluations each capacity change releases, per-job dedup, missed
//! unblocks, system evaluations per node, the max-plan-attempts period and stats.

use std::collections::BTreeMap;
use std::sync::Arc;

use drover_broker::{BlockedEvals, BlockedStats, Released};
use drover_model::{Evaluation, trigger};

use crate::{at, eval};

fn tracker() -> BlockedEvals {
    let mut blocked = BlockedEvals::default();
    blocked.set_enabled(true);
    blocked
}

/// A blocked evaluation of `job` that saw the given classes (`true` = eligible).
fn blocked(id: &str, job: &str, index: u64, classes: &[(&str, bool)]) -> Evaluation {
    let classes: BTreeMap<String, bool> =
        classes.iter().map(|(c, e)| ((*c).to_owned(), *e)).collect();
    Evaluation {
        class_eligibility: Some(classes),
        snapshot_index: index,
        ..eval(id, job, 50, "service", index)
    }
}

fn escaped(id: &str, job: &str, index: u64) -> Evaluation {
    Evaluation {
        escaped_computed_class: true,
        ..blocked(id, job, index, &[])
    }
}

fn system(id: &str, job: &str, node: &str, index: u64) -> Evaluation {
    Evaluation {
        eval_type: "system".to_owned(),
        node_id: node.to_owned(),
        ..blocked(id, job, index, &[("c1", true)])
    }
}

fn block_all(tracker: &mut BlockedEvals, evals: Vec<Evaluation>) {
    for e in evals {
        let id = e.id.clone();
        assert_eq!(
            tracker.block(Arc::new(e), None),
            None,
            "{id} was released at once"
        );
    }
}

#[track_caller]
fn check(released: Vec<Released>, expected: &[&str]) {
    let ids: Vec<&str> = released.iter().map(|(e, _)| e.id.as_str()).collect();
    assert_eq!(ids, expected);
}

#[test]
fn unblock_releases_eligible_unknown_and_escaped_classes() {
    let mut t = tracker();
    block_all(
        &mut t,
        vec![
            blocked("e1", "a", 10, &[("c1", true)]),
            blocked("e2", "b", 10, &[("c1", false), ("c2", true)]),
            blocked("e3", "c", 10, &[("c2", true)]),
            escaped("e4", "d", 10),
        ],
    );
    check(t.unblock("c1", 20, at(0.0)), &["e1", "e3", "e4"]);
    check(t.unblock("c1", 21, at(0.0)), &[]);
    check(t.unblock("c2", 22, at(0.0)), &["e2"]);
    assert_eq!(t.stats(), BlockedStats::default());
}

#[test]
fn newest_blocked_eval_of_a_job_wins() {
    let mut t = tracker();
    block_all(
        &mut t,
        vec![
            blocked("old", "a", 10, &[("c1", true)]),
            blocked("new", "a", 12, &[("c1", true)]),
            // Older than the one tracked: it is the duplicate.
            blocked("stale", "a", 11, &[("c1", true)]),
        ],
    );
    let dups: Vec<String> = t
        .take_duplicates()
        .iter()
        .map(|e| e.id.to_string())
        .collect();
    assert_eq!(dups, ["old", "stale"]);
    assert!(t.take_duplicates().is_empty());
    check(t.unblock("c1", 20, at(0.0)), &["new"]);
}

#[test]
fn an_eval_that_missed_an_unblock_is_released_at_once() {
    let mut t = tracker();
    assert!(t.unblock("c1", 20, at(0.0)).is_empty());
    let evals = [
        // Scheduled on a snapshot before the unblock of a class it can use, or never saw.
        (blocked("e1", "a", 19, &[("c1", true)]), true),
        (blocked("e2", "b", 19, &[("c2", true)]), true),
        (escaped("e3", "c", 19), true),
        // Ineligible for the class, or scheduled after the unblock.
        (blocked("e4", "d", 19, &[("c1", false)]), false),
        (blocked("e5", "e", 20, &[("c1", true)]), false),
        (escaped("e6", "f", 20), false),
    ];
    for (eval, released) in evals {
        let id = eval.id.clone();
        assert_eq!(t.block(Arc::new(eval), None).is_some(), released, "{id}");
    }
    assert_eq!(t.stats().total_blocked, 3);
}

#[test]
fn system_evals_are_released_per_node() {
    let mut t = tracker();
    block_all(
        &mut t,
        vec![
            system("s1", "sys", "n1", 10),
            system("s2", "sys", "n2", 10),
            system("s3", "other", "n1", 10),
        ],
    );
    check(t.unblock_node("n1"), &["s3", "s1"]);
    check(t.unblock_node("n1"), &[]);
    assert_eq!(t.stats().total_blocked, 1);
    // A class unblock releases system evaluations too, and forgets their node.
    check(t.unblock("c1", 20, at(0.0)), &["s2"]);
    check(t.unblock_node("n2"), &[]);
}

#[test]
fn untrack_drops_every_blocked_eval_of_the_job() {
    let mut t = tracker();
    block_all(
        &mut t,
        vec![
            system("s1", "sys", "n1", 10),
            system("s2", "sys", "n2", 10),
            blocked("e1", "a", 10, &[]),
            blocked("e2", "ab", 10, &[]),
        ],
    );
    t.untrack("default", "sys");
    t.untrack("default", "a");
    t.untrack("other-namespace", "ab");
    check(t.unblock_node("n1"), &[]);
    check(t.unblock("c1", 20, at(0.0)), &["e2"]);
}

#[test]
fn max_plan_attempts_evals_are_released_on_the_period() {
    let mut t = tracker();
    let mut failed = blocked("e1", "a", 10, &[("c1", false)]);
    failed.triggered_by = trigger::MAX_PLAN_ATTEMPTS.to_owned();
    block_all(
        &mut t,
        vec![failed, blocked("e2", "b", 10, &[("c1", false)])],
    );
    assert_eq!(t.next_deadline(), None);
    check(t.tick(at(0.0)), &[]);
    assert_eq!(t.next_deadline(), Some(at(60.0)));
    check(t.tick(at(59.0)), &[]);
    check(t.tick(at(60.0)), &["e1"]);
    assert_eq!(t.next_deadline(), Some(at(120.0)));
    assert_eq!(t.stats().total_blocked, 1);
}

#[test]
fn old_unblock_indexes_are_pruned() {
    let mut t = tracker();
    t.tick(at(0.0));
    assert!(t.unblock("c1", 20, at(0.0)).is_empty());
    let missed = || blocked("e1", "a", 19, &[("c1", true)]);
    // 15 minutes later the unblock still counts; once pruned it no longer does.
    t.tick(at(900.0));
    assert!(t.block(Arc::new(missed()), None).is_some());
    t.tick(at(1200.0));
    assert_eq!(t.block(Arc::new(missed()), None), None);
}

#[test]
fn reblocked_evals_keep_their_token() {
    let mut broker = drover_broker::EvalBroker::default();
    broker.set_enabled(true);
    broker.enqueue(eval("e1", "a", 50, "service", 1), at(0.0));
    let (_, token) = broker.dequeue(&["service"], at(0.0)).unwrap().unwrap();
    let mut t = tracker();
    assert_eq!(t.block(Arc::new(escaped("e1", "a", 1)), Some(token)), None);
    let released = t.unblock("c1", 5, at(1.0));
    assert_eq!(released[0].1, Some(token));
    // Released while its delivery is outstanding: held until the ack, then ready.
    broker.enqueue_all(released, at(1.0));
    assert_eq!(broker.stats().total_ready, 0);
    broker.ack("e1", token, at(2.0)).unwrap();
    assert_eq!(broker.stats().total_ready, 1);
}

#[test]
fn stats_count_blocked_escaped_and_classes() {
    let mut t = tracker();
    block_all(
        &mut t,
        vec![
            blocked("e1", "a", 10, &[("c1", true), ("c2", false)]),
            blocked("e2", "b", 10, &[("c1", true), ("c2", true)]),
            escaped("e3", "c", 10),
        ],
    );
    let expected = BlockedStats {
        total_blocked: 3,
        total_escaped: 1,
        by_class: BTreeMap::from([("c1".to_owned(), 2), ("c2".to_owned(), 1)]),
    };
    assert_eq!(t.stats(), expected);
}

#[test]
fn disabled_tracker_ignores_and_forgets() {
    let mut t = tracker();
    block_all(&mut t, vec![blocked("e1", "a", 10, &[])]);
    t.set_enabled(false);
    assert_eq!(t.stats(), BlockedStats::default());
    assert_eq!(t.block(Arc::new(blocked("e2", "b", 10, &[])), None), None);
    check(t.unblock("c1", 20, at(0.0)), &[]);
    t.set_enabled(true);
    check(t.unblock("c1", 21, at(0.0)), &[]);
}

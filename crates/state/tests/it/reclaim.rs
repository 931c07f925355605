//! A store given a reclaimer hands it what large commits replaced, frees small commits' own
//! leftovers, and reads the same either way.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use drover_model::Job;
use drover_state::{Command, StateStore, spawn_reclaimer};

use crate::support::{NS, job, register};

/// One batch registering `jobs` jobs, each at `count`.
fn batch(jobs: usize, count: i64) -> Command {
    Command::Batch(
        (0..jobs)
            .map(|n| register(job(&format!("j{n}"), count)))
            .collect(),
    )
}

/// Registers 100 jobs seven times at indexes 1..=7: the seventh write retires each job's
/// first version. Returns a weak handle on job `j0`'s first version.
fn register_seven_times(store: &StateStore) -> Weak<Job> {
    store.apply(1, &batch(100, 1)).expect("register");
    let first = Arc::downgrade(&store.snapshot().job(NS, "j0").expect("j0"));
    for count in 2..=7 {
        store
            .apply(count as u64, &batch(100, count))
            .expect("update");
    }
    first
}

#[test]
fn large_commits_leftovers_go_to_the_reclaimer_small_ones_are_freed_in_place() {
    let store = StateStore::new();
    let handed = Arc::new(AtomicUsize::new(0));
    let counter = handed.clone();
    store.set_reclaimer(Box::new(move |retired| {
        counter.fetch_add(1, Ordering::Relaxed);
        drop(retired);
    }));
    let first = register_seven_times(&store);
    assert_eq!(
        handed.load(Ordering::Relaxed),
        7,
        "every batch of 100 jobs is handed over"
    );
    assert!(first.upgrade().is_none(), "the retired version was freed");

    store.apply(8, &register(job("j0", 8))).expect("one job");
    assert_eq!(
        handed.load(Ordering::Relaxed),
        7,
        "a one-job commit frees its own"
    );
    let versions = store.snapshot().job_versions(NS, "j0").len();
    assert_eq!(versions, drover_state::JOB_TRACKED_VERSIONS);
}

#[test]
fn the_reclaimer_thread_frees_retired_versions_and_the_state_is_unchanged() {
    let (store, plain) = (StateStore::new(), StateStore::new());
    store.set_reclaimer(spawn_reclaimer().expect("thread"));
    let first = register_seven_times(&store);
    register_seven_times(&plain);
    assert_eq!(store.snapshot(), plain.snapshot());
    let deadline = Instant::now() + Duration::from_secs(10);
    while first.upgrade().is_some() {
        assert!(
            Instant::now() < deadline,
            "the reclaimer thread never freed it"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

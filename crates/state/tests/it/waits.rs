//! Blocking waits and commit hooks: woken by commits, bounded by the caller's deadline.

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use drover_state::{StateStore, Table};

use crate::support::*;

#[test]
fn a_wait_returns_at_once_when_the_table_is_already_past_the_index() {
    let store = StateStore::new();
    store.apply(5, &register(job("web", 1))).expect("apply");
    let index = store.wait_for_index(&[Table::Evals, Table::Jobs], 4, Instant::now());
    assert_eq!(index, 5);
}

#[test]
fn a_wait_that_times_out_returns_the_current_index() {
    let store = StateStore::new();
    store.apply(3, &register(job("web", 1))).expect("apply");
    let deadline = Instant::now() + Duration::from_millis(20);
    assert_eq!(store.wait_for_index(&[Table::Jobs], 3, deadline), 3);
    assert_eq!(store.wait_for_index(&[Table::Allocs], 0, deadline), 0);
}

#[test]
fn a_commit_wakes_a_waiter_and_calls_the_hooks_in_order() {
    let store = Arc::new(StateStore::new());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let hook_seen = seen.clone();
    store.on_commit(Box::new(move |index| {
        hook_seen.lock().expect("lock").push(index)
    }));
    let waiter = {
        let store = store.clone();
        thread::spawn(move || {
            store.wait_for_index(&[Table::Jobs], 1, Instant::now() + Duration::from_secs(60))
        })
    };
    store.apply(1, &register(job("a", 1))).expect("apply");
    store.apply(2, &evals(vec![])).expect("apply");
    store.apply(3, &register(job("b", 1))).expect("apply");
    assert_eq!(waiter.join().expect("waiter"), 3);
    assert_eq!(*seen.lock().expect("lock"), vec![1, 2, 3]);
    assert_eq!(store.wait_for_index(&[], 2, Instant::now()), 3);
}

#[test]
fn the_store_and_its_snapshots_cross_threads() {
    fn shared<T: Send + Sync + 'static>(_: &T) {}
    let store = StateStore::new();
    shared(&store);
    shared(&store.snapshot());
    let snapshot = store.snapshot();
    let reader = thread::spawn(move || snapshot.namespace("default").is_some());
    assert!(reader.join().expect("reader"));
}

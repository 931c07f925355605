//! The blocking wrapper: a waiting worker is woken by an enqueue, gives up after its timeout even
//! with a frozen clock, fires timers while it waits, and sees the broker being disabled.

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use drover_broker::{BrokerError, EvalBroker, SharedBroker, Time};
use drover_model::SECOND;

use crate::{at, eval};

fn shared() -> Arc<SharedBroker> {
    let mut broker = EvalBroker::default();
    broker.set_enabled(true);
    Arc::new(SharedBroker::new(broker))
}

fn frozen() -> Time {
    at(0.0)
}

#[test]
fn an_enqueue_wakes_a_waiting_worker() {
    let broker = shared();
    let worker = {
        let broker = Arc::clone(&broker);
        thread::spawn(move || {
            broker.dequeue_blocking(&["service"], Duration::from_secs(30), &frozen)
        })
    };
    // Whether the worker is already waiting or not, it must get the evaluation.
    broker.with(|b| b.enqueue(eval("e1", "a", 50, "service", 1), at(0.0)));
    let (got, _) = worker
        .join()
        .unwrap()
        .unwrap()
        .expect("the worker got work");
    assert_eq!(got.id, "e1");
}

#[test]
fn a_wait_without_work_times_out_with_a_frozen_clock() {
    let broker = shared();
    let got = broker.dequeue_blocking(&["service"], Duration::from_millis(20), &frozen);
    assert_eq!(got, Ok(None));
}

#[test]
fn a_waiting_worker_fires_due_timers() {
    let broker = shared();
    let mut delayed = eval("e1", "a", 50, "service", 1);
    delayed.wait_until = SECOND / 100;
    broker.with(|b| b.enqueue(delayed, at(0.0)));
    // The clock never moves, but the wait for the evaluation's deadline times out, which proves
    // that much time has passed.
    let got = broker.dequeue_blocking(&["service"], Duration::from_secs(30), &frozen);
    let (got, _) = got.unwrap().expect("the delayed evaluation became ready");
    assert_eq!(got.id, "e1");
}

#[test]
fn disabling_the_broker_releases_waiting_workers() {
    let broker = shared();
    let worker = {
        let broker = Arc::clone(&broker);
        thread::spawn(move || {
            broker.dequeue_blocking(&["service"], Duration::from_secs(30), &frozen)
        })
    };
    broker.with(|b| b.set_enabled(false));
    assert_eq!(worker.join().unwrap(), Err(BrokerError::Disabled));
}

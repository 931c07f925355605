//! Reschedule policies: the delay functions with their cap and reset, and attempts counted
//! within the interval.

mod reconcile_common;

use std::sync::Arc;

use drover_model::ClientStatus;
use drover_model::{Allocation, MINUTE, ReschedulePolicy, SECOND};
use drover_plan::reconcile::reschedule::{
    new_reschedule_tracker, next_delay, next_reschedule_time,
};
use reconcile_common::*;

/// A failed allocation under `policy`, which failed at `failed_at` after the given earlier
/// reschedules `(when, delay)`.
fn failed_alloc(policy: ReschedulePolicy, failed_at: i64, events: &[(i64, i64)]) -> Allocation {
    let mut job = service_job(1);
    group(&mut job).reschedule_policy = Some(policy);
    let mut a = alloc(&Arc::new(job), 0, "node-0");
    finished(&mut a, failed_at, true);
    if !events.is_empty() {
        rescheduled(&mut a, events);
    }
    a
}

fn policy(function: &str, delay: i64, max_delay: i64) -> ReschedulePolicy {
    ReschedulePolicy {
        attempts: Some(0),
        interval: Some(0),
        delay: Some(delay),
        delay_function: Some(function.into()),
        max_delay: Some(max_delay),
        unlimited: Some(true),
    }
}

/// Checks the delay after the given reschedule delays (each reschedule a minute apart, the
/// last one `ran_for` before the failure).
fn check_delay(policy: ReschedulePolicy, delays: &[i64], ran_for: i64, expected: i64) {
    let n = delays.len() as i64;
    let events: Vec<(i64, i64)> = delays
        .iter()
        .enumerate()
        .map(|(i, d)| (NOW - ran_for - (n - 1 - i as i64) * MINUTE, *d))
        .collect();
    let a = failed_alloc(policy, NOW, &events);
    assert_eq!(next_delay(&a), expected, "after {delays:?}");
}

#[test]
fn constant_delay_never_grows() {
    let p = policy("constant", 5 * SECOND, 0);
    check_delay(p.clone(), &[], SECOND, 5 * SECOND);
    check_delay(p, &[5 * SECOND, 5 * SECOND], SECOND, 5 * SECOND);
}

#[test]
fn exponential_delay_doubles_up_to_the_cap_and_resets_after_a_long_run() {
    let p = policy("exponential", 30 * SECOND, 60 * MINUTE);
    check_delay(p.clone(), &[], SECOND, 30 * SECOND);
    check_delay(p.clone(), &[30 * SECOND], SECOND, 60 * SECOND);
    check_delay(p.clone(), &[30 * SECOND, 60 * SECOND], SECOND, 120 * SECOND);
    // 40m doubles to 80m: capped at the 60m max.
    check_delay(p.clone(), &[40 * MINUTE], 10 * MINUTE, 60 * MINUTE);
    // At the cap, but it ran 61m since the last reschedule: back to the base delay.
    check_delay(p, &[60 * MINUTE], 61 * MINUTE, 30 * SECOND);
}

#[test]
fn fibonacci_delay_adds_the_last_two() {
    let p = policy("fibonacci", 5 * SECOND, 60 * SECOND);
    check_delay(p.clone(), &[], SECOND, 5 * SECOND);
    check_delay(p.clone(), &[5 * SECOND], SECOND, 5 * SECOND);
    check_delay(p.clone(), &[5 * SECOND, 5 * SECOND], SECOND, 10 * SECOND);
    check_delay(p.clone(), &[5 * SECOND, 10 * SECOND], SECOND, 15 * SECOND);
    check_delay(p.clone(), &[34 * SECOND, 55 * SECOND], SECOND, 60 * SECOND);
    // A series that was reset (cap, then base) starts over.
    check_delay(p, &[60 * SECOND, 5 * SECOND], SECOND, 5 * SECOND);
}

#[test]
fn attempts_are_counted_within_the_interval() {
    let limited = ReschedulePolicy {
        attempts: Some(2),
        interval: Some(60 * MINUTE),
        delay: Some(5 * SECOND),
        delay_function: Some("constant".into()),
        max_delay: Some(0),
        unlimited: Some(false),
    };
    let first = failed_alloc(limited.clone(), NOW, &[]);
    assert_eq!(next_reschedule_time(&first), Some(NOW + 5 * SECOND));

    let recent = [
        (NOW - 30 * MINUTE, 5 * SECOND),
        (NOW - 20 * MINUTE, 5 * SECOND),
    ];
    let exhausted = failed_alloc(limited.clone(), NOW, &recent);
    assert_eq!(next_reschedule_time(&exhausted), None);

    let one_expired = [
        (NOW - 2 * 60 * MINUTE, 5 * SECOND),
        (NOW - 20 * MINUTE, 5 * SECOND),
    ];
    let again = failed_alloc(limited, NOW, &one_expired);
    assert_eq!(next_reschedule_time(&again), Some(NOW + 5 * SECOND));

    let unlimited = policy("exponential", 30 * SECOND, 60 * MINUTE);
    let many: Vec<(i64, i64)> = (0..20).map(|i| (NOW - i * MINUTE, 30 * SECOND)).collect();
    let forever = failed_alloc(unlimited, NOW, &many);
    assert_eq!(next_reschedule_time(&forever), Some(NOW + 60 * SECOND));
}

#[test]
fn disabled_policy_or_running_allocation_is_not_rescheduled() {
    let disabled = ReschedulePolicy {
        attempts: Some(0),
        unlimited: Some(false),
        ..policy("constant", 5 * SECOND, 0)
    };
    assert_eq!(
        next_reschedule_time(&failed_alloc(disabled, NOW, &[])),
        None
    );

    let mut running = failed_alloc(policy("constant", 5 * SECOND, 0), NOW, &[]);
    running.client_status = ClientStatus::Running;
    assert_eq!(next_reschedule_time(&running), None);
}

#[test]
fn replacement_tracker_keeps_recent_events_and_records_this_one() {
    let limited = ReschedulePolicy {
        attempts: Some(3),
        interval: Some(60 * MINUTE),
        delay: Some(5 * SECOND),
        delay_function: Some("constant".into()),
        max_delay: Some(0),
        unlimited: Some(false),
    };
    let events = [
        (NOW - 2 * 60 * MINUTE, 5 * SECOND),
        (NOW - 10 * MINUTE, 5 * SECOND),
    ];
    let prev = failed_alloc(limited, NOW - MINUTE, &events);
    let tracker = new_reschedule_tracker(&prev, NOW);
    let kept: Vec<(i64, i64)> = tracker
        .events
        .iter()
        .map(|e| ((e.reschedule_time - NOW) / SECOND, e.delay / SECOND))
        .collect();
    assert_eq!(kept, [(-600, 5), (0, 5)]);
    let last = tracker.events.last().expect("new event");
    assert_eq!(
        (last.prev_alloc_id.as_str(), last.prev_node_id.as_str()),
        ("v0-0", "node-0")
    );
    assert_eq!(tracker.last_reschedule, "ok");
}

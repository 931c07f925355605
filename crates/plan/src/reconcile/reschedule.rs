//! When a failed allocation may be replaced: the group's reschedule policy (attempts within an
//! interval, or unlimited), its delay function (constant, exponential, fibonacci, capped by
//! `max_delay`) and the allocation's reschedule history.

use drover_model::allocation::{ClientStatus, DesiredStatus};
use drover_model::group::delay_function;
use drover_model::job::job_type;
use drover_model::{
    Allocation, Nanos, RescheduleEvent, ReschedulePolicy, RescheduleTracker, SECOND,
};

use super::alloc::AllocExt;
use drover_model::time::parse_rfc3339;

/// Failed allocations due within this window are rescheduled now rather than later, which
/// absorbs small clock differences between servers.
pub const RESCHEDULE_WINDOW: Nanos = SECOND;

/// Allocations due for a later reschedule within this window of the earliest one share one
/// follow-up evaluation.
pub const BATCHED_FAILED_ALLOC_WINDOW: Nanos = 5 * SECOND;

/// How many past reschedule events a replacement keeps when attempts are unlimited.
const MAX_PAST_RESCHEDULE_EVENTS: usize = 5;

/// The reschedule policy an allocation was placed with (its own job's group).
fn policy(alloc: &Allocation) -> Option<&ReschedulePolicy> {
    alloc.own_group()?.reschedule_policy.as_ref()
}

fn attempts(policy: &ReschedulePolicy) -> i64 {
    policy.attempts.unwrap_or(0)
}

fn unlimited(policy: &ReschedulePolicy) -> bool {
    policy.unlimited.unwrap_or(false)
}

/// When the allocation failed: the latest `FinishedAt` of its tasks, else its modify time.
pub fn last_event_time(alloc: &Allocation) -> i64 {
    alloc
        .details()
        .task_states
        .values()
        .filter_map(|s| parse_rfc3339(&s.finished_at))
        .max()
        .unwrap_or(alloc.modify_time)
}

/// The delay before the next reschedule of `alloc`. Constant: the policy's delay. Exponential:
/// double the last delay. Fibonacci: the sum of the last two delays. Both growing functions are
/// capped at `max_delay`, and start over from `delay` once the allocation ran longer than the
/// cap since its last reschedule.
pub fn next_delay(alloc: &Allocation) -> Nanos {
    let Some(policy) = policy(alloc) else {
        return 0;
    };
    let delay = policy.delay.unwrap_or(0);
    let events = alloc
        .details()
        .reschedule_tracker
        .as_ref()
        .map_or(&[][..], |t| &t.events[..]);
    let Some(last) = events.last() else {
        return delay;
    };
    let max_delay = policy.max_delay.unwrap_or(0);
    let next = match policy.delay_function.as_deref().unwrap_or("") {
        delay_function::EXPONENTIAL => last.delay.saturating_mul(2),
        delay_function::FIBONACCI => match events {
            [.., before, last] if before.delay == max_delay && last.delay == delay => last.delay,
            [.., before, last] => last.delay.saturating_add(before.delay),
            _ => delay,
        },
        _ => return delay,
    };
    if max_delay > 0 && next > max_delay {
        let ran_for = last_event_time(alloc) - last.reschedule_time;
        return if ran_for > max_delay {
            delay
        } else {
            max_delay
        };
    }
    next
}

/// Reschedules recorded within the policy's interval before `fail_time`.
fn attempts_in_interval(alloc: &Allocation, policy: &ReschedulePolicy, fail_time: i64) -> i64 {
    if attempts(policy) <= 0 {
        return 0;
    }
    let interval = policy.interval.unwrap_or(0);
    let events = alloc
        .details()
        .reschedule_tracker
        .iter()
        .flat_map(|t| &t.events);
    events
        .filter(|e| fail_time - e.reschedule_time < interval)
        .count() as i64
}

/// When a failed (or lost, or batch alloc asked to reschedule) allocation may be replaced, or
/// `None` when its policy allows no further attempt.
pub fn next_reschedule_time(alloc: &Allocation) -> Option<i64> {
    let policy = policy(alloc)?;
    if attempts(policy) == 0 && !unlimited(policy) {
        return None;
    }
    let rescheduled_batch = alloc.job_type_is(job_type::BATCH) && alloc.should_reschedule();
    let stopped = alloc.desired_status == DesiredStatus::Stop;
    let failed_or_lost = matches!(
        alloc.client_status,
        ClientStatus::Failed | ClientStatus::Lost
    );
    if (stopped && !alloc.last_reschedule_failed()) || (!rescheduled_batch && !failed_or_lost) {
        return None;
    }
    next_reschedule_time_after(alloc, last_event_time(alloc))
}

/// When the allocation may be replaced had it failed at `fail_time`, or `None` when the policy
/// allows no further attempt.
pub fn next_reschedule_time_after(alloc: &Allocation, fail_time: i64) -> Option<i64> {
    let policy = policy(alloc)?;
    let delay = next_delay(alloc);
    let eligible = match &alloc.details().reschedule_tracker {
        Some(_) if attempts(policy) > 0 => {
            attempts_in_interval(alloc, policy, fail_time) < attempts(policy)
                && delay < policy.interval.unwrap_or(0)
        }
        Some(_) => unlimited(policy),
        None => unlimited(policy) || attempts(policy) > 0,
    };
    eligible.then_some(fail_time + delay)
}

/// The reschedule history of a replacement for `prev` placed at `now`: `prev`'s events still
/// inside the interval (or its last few when attempts are unlimited), plus this reschedule.
pub fn new_reschedule_tracker(prev: &Allocation, now: i64) -> RescheduleTracker {
    let past = prev
        .details()
        .reschedule_tracker
        .as_ref()
        .map_or(&[][..], |t| &t.events[..]);
    let mut events: Vec<RescheduleEvent> = match policy(prev) {
        Some(policy) if attempts(policy) > 0 => {
            let interval = policy.interval.unwrap_or(0);
            past.iter()
                .filter(|e| interval > 0 && now - e.reschedule_time <= interval)
                .cloned()
                .collect()
        }
        _ => past[past.len().saturating_sub(MAX_PAST_RESCHEDULE_EVENTS)..].to_vec(),
    };
    events.push(RescheduleEvent {
        reschedule_time: now,
        prev_alloc_id: prev.id.clone(),
        prev_node_id: prev.node_id.clone(),
        delay: next_delay(prev),
    });
    RescheduleTracker {
        events,
        last_reschedule: "ok".to_string(),
    }
}

//! Sets of allocations, and the filters that sort a group's allocations into what
//! the reconciler does with them: classification by node taint and disconnect state, and the
//! split of failed allocations into reschedule now, reschedule later, or keep.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use drover_model::allocation::{ClientStatus, DesiredStatus};
use drover_model::node::node_status;
use drover_model::{Allocation, Deployment};

use super::alloc::AllocExt;
use super::names::alloc_index;
use super::reschedule::{RESCHEDULE_WINDOW, next_reschedule_time, next_reschedule_time_after};
use super::taint::TaintedNodes;

/// An allocation's position in the reconciler's input: a cheap, stable key.
pub(crate) type Slot = usize;

/// Allocations by input position: ordered, so that everything derived from them is
/// deterministic, and cheap to copy between the reconciler's many sets.
pub(crate) type AllocSet = BTreeMap<Slot, Arc<Allocation>>;

pub(crate) fn difference(set: &AllocSet, other: &AllocSet) -> AllocSet {
    set.iter()
        .filter(|(slot, _)| !other.contains_key(*slot))
        .map(|(slot, a)| (*slot, Arc::clone(a)))
        .collect()
}

pub(crate) fn remove_all(set: &mut AllocSet, other: &AllocSet) {
    // Usually nothing to remove: a walk of the whole set for nothing.
    if !other.is_empty() {
        set.retain(|slot, _| !other.contains_key(slot));
    }
}

/// The allocations of `set` with the given IDs.
pub(crate) fn with_ids<'a>(set: &AllocSet, ids: impl IntoIterator<Item = &'a String>) -> AllocSet {
    let ids: BTreeSet<&str> = ids.into_iter().map(String::as_str).collect();
    if ids.is_empty() {
        return AllocSet::new();
    }
    set.iter()
        .filter(|(_, a)| ids.contains(a.id.as_str()))
        .map(|(slot, a)| (*slot, Arc::clone(a)))
        .collect()
}

pub(crate) fn names(set: &AllocSet) -> BTreeSet<&str> {
    set.values().map(|a| a.name.as_str()).collect()
}

/// The allocations ordered by the index in their names (then by input position).
pub(crate) fn name_order(set: &AllocSet) -> Vec<&Arc<Allocation>> {
    let mut allocs: Vec<&Arc<Allocation>> = set.values().collect();
    allocs.sort_by_cached_key(|a| alloc_index(&a.name, &a.job_id, &a.task_group));
    allocs
}

/// What the reconciler does with each allocation of a group, by where it runs.
#[derive(Debug, Default)]
pub(crate) struct Classified {
    /// Where they are: count toward the group and may be updated.
    pub untainted: AllocSet,
    /// Marked by the drainer (or a user) to move elsewhere.
    pub migrate: AllocSet,
    /// On down or missing nodes: stopped and replaced.
    pub lost: AllocSet,
    /// Running on a node that just disconnected: marked unknown.
    pub disconnecting: AllocSet,
    /// Unknown allocations whose node came back.
    pub reconnecting: AllocSet,
    /// Server-terminal: only counted.
    pub ignore: AllocSet,
    /// Unknown past their `disconnect.lost_after` window: treated as lost.
    pub expiring: AllocSet,
}

/// In the order of [`Classified`]'s fields.
#[derive(Debug, Clone, Copy)]
enum Category {
    Untainted,
    Migrate,
    Lost,
    Disconnecting,
    Reconnecting,
    Ignore,
    Expiring,
}

/// Sorts allocations by the first of Nomad's classification rules that applies.
pub(crate) fn classify(set: &AllocSet, tainted: &TaintedNodes, now: i64) -> Classified {
    // Listed in slot order, then built whole: cheaper than inserting one by one.
    let mut sorted: [Vec<(Slot, Arc<Allocation>)>; 7] = Default::default();
    for (slot, alloc) in set {
        let category = category(alloc, tainted, now) as usize;
        sorted[category].push((*slot, Arc::clone(alloc)));
    }
    let [
        untainted,
        migrate,
        lost,
        disconnecting,
        reconnecting,
        ignore,
        expiring,
    ] = sorted.map(AllocSet::from_iter);
    Classified {
        untainted,
        migrate,
        lost,
        disconnecting,
        reconnecting,
        ignore,
        expiring,
    }
}

fn category(alloc: &Allocation, tainted: &TaintedNodes, now: i64) -> Category {
    let reconnect = matches!(
        alloc.client_status,
        ClientStatus::Unknown | ClientStatus::Running | ClientStatus::Failed
    ) && alloc.needs_to_reconnect();
    let failed = alloc.client_status == ClientStatus::Failed;

    if reconnect && alloc.desired_status == DesiredStatus::Run && failed {
        return Category::Reconnecting;
    }
    if !reconnect && alloc.terminal() {
        // A batch allocation drained without a replacement keeps holding its slot.
        if alloc.server_terminal() && alloc.migrate_disables_placement() {
            return Category::Untainted;
        }
        if alloc.server_terminal() {
            return Category::Ignore;
        }
        if alloc.is_canary() && alloc.should_migrate() {
            return Category::Migrate;
        }
        return Category::Untainted;
    }
    if alloc.expired(now) {
        return Category::Expiring;
    }
    if reconnect && failed && alloc.desired_status == DesiredStatus::Stop {
        return Category::Ignore;
    }
    // Looked up only now: most terminal allocations (many on failed nodes) are sorted above.
    let taint = tainted.get(alloc.node_id.as_str());
    let node = taint.and_then(Option::as_ref);
    let node_is = |status: &str| node.is_some_and(|n| n.is(status));
    if node_is(node_status::DISCONNECTED) {
        return if alloc.client_status == ClientStatus::Unknown {
            Category::Untainted
        } else if alloc.client_status == ClientStatus::Pending || alloc.lost_after() == 0 {
            Category::Lost
        } else {
            Category::Disconnecting
        };
    }
    if alloc.should_migrate() {
        return Category::Migrate;
    }
    if taint.is_none() || node_is(node_status::READY) {
        return if reconnect {
            Category::Reconnecting
        } else {
            Category::Untainted
        };
    }
    if !node_is(node_status::DOWN) {
        // Missing from the state (a tainted entry without a node) is lost; anything else
        // (draining, initializing) keeps its allocations where they are.
        return if node.is_none() {
            Category::Lost
        } else {
            Category::Untainted
        };
    }
    if !alloc.replace_on_disconnect() {
        if alloc.client_status == ClientStatus::Unknown {
            return Category::Untainted;
        }
        if alloc.client_status == ClientStatus::Running {
            return Category::Disconnecting;
        }
    }
    Category::Lost
}

/// Keeps allocations the server still wants, plus batch allocations (finished work must not be
/// redone) unless they were stopped in order to be rescheduled.
pub(crate) fn drop_server_terminal(set: &mut AllocSet) {
    set.retain(|_, a| {
        !a.server_terminal()
            || (a.job_type_is(drover_model::job::job_type::BATCH) && !a.should_reschedule())
    });
}

/// An allocation due to be rescheduled after `at` (unix nanoseconds).
#[derive(Debug, Clone)]
pub(crate) struct DelayedReschedule {
    pub slot: Slot,
    pub alloc: Arc<Allocation>,
    pub at: i64,
}

/// Failed allocations split into those to keep (`untainted`), to replace now, and to replace
/// later (with the time), per their reschedule policies.
#[derive(Debug, Default)]
pub(crate) struct Rescheduleable {
    pub untainted: AllocSet,
    pub now: AllocSet,
    pub later: Vec<DelayedReschedule>,
}

/// The reconciler's view of time and of the evaluation, which reschedule decisions depend on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RescheduleContext<'a> {
    pub batch: bool,
    pub now: i64,
    pub eval_id: &'a str,
    pub deployment: Option<&'a Deployment>,
}

pub(crate) fn filter_by_rescheduleable(
    set: &AllocSet,
    disconnecting: bool,
    ctx: RescheduleContext<'_>,
) -> Rescheduleable {
    // Listed in slot order, then built whole: cheaper than inserting one by one.
    let (mut untainted, mut now) = (Vec::new(), Vec::new());
    let mut later = Vec::new();
    for (&slot, alloc) in set {
        // Already unknown: a canary interrupted by a disconnect, nothing to do.
        if disconnecting && alloc.client_status == ClientStatus::Unknown {
            continue;
        }
        // Already replaced.
        if !alloc.details().next_allocation.is_empty() && alloc.terminal() {
            continue;
        }
        let (keep, ignore) = should_filter(alloc, ctx.batch);
        if keep && !disconnecting {
            untainted.push((slot, Arc::clone(alloc)));
            continue;
        }
        if ignore {
            continue;
        }
        match reschedule_decision(alloc, disconnecting, ctx) {
            Decision::Now => now.push((slot, Arc::clone(alloc))),
            decision => {
                untainted.push((slot, Arc::clone(alloc)));
                if let Decision::Later(at) = decision {
                    let alloc = Arc::clone(alloc);
                    later.push(DelayedReschedule { slot, alloc, at });
                }
            }
        }
    }
    Rescheduleable {
        untainted: untainted.into_iter().collect(),
        now: now.into_iter().collect(),
        later,
    }
}

/// Whether an allocation simply counts (`untainted`) or is dropped (`ignore`) before any
/// reschedule check. Batch: finished work counts, and stopped work that did not finish is
/// dropped. Service: complete, lost or stopped allocations are dropped so replacements take
/// their place, unless their last reschedule found no node.
fn should_filter(alloc: &Allocation, batch: bool) -> (bool, bool) {
    if batch {
        if alloc.migrate_disables_placement() {
            return (true, false);
        }
        if alloc.should_reschedule() {
            return (false, false);
        }
        return match alloc.desired_status {
            DesiredStatus::Stop if alloc.ran_successfully() => (true, false),
            DesiredStatus::Stop if alloc.last_reschedule_failed() => (false, false),
            DesiredStatus::Stop | DesiredStatus::Evict => (false, true),
            _ => (alloc.client_status != ClientStatus::Failed, false),
        };
    }
    if alloc.server_terminal() {
        return (false, !alloc.last_reschedule_failed());
    }
    let done = matches!(
        alloc.client_status,
        ClientStatus::Complete | ClientStatus::Lost
    );
    (false, done)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Keep,
    Now,
    Later(i64),
}

fn reschedule_decision(
    alloc: &Allocation,
    disconnecting: bool,
    ctx: RescheduleContext<'_>,
) -> Decision {
    // Inside the active deployment, only allocations marked for it are rescheduled.
    let in_deployment = ctx
        .deployment
        .is_some_and(|d| alloc.deployment_id == d.id && d.active());
    if in_deployment && !alloc.should_reschedule() {
        return Decision::Keep;
    }
    let forced = alloc.should_force_reschedule() && alloc.client_terminal();
    let fallback = if forced {
        Decision::Now
    } else {
        Decision::Keep
    };
    if disconnecting && !alloc.replace_on_disconnect() {
        return fallback;
    }
    let is_followup = alloc.details().followup_eval_id == ctx.eval_id;
    let at = if disconnecting {
        next_reschedule_time_after(alloc, ctx.now)
    } else if alloc.client_status == ClientStatus::Unknown && is_followup {
        next_reschedule_time_after(alloc, alloc.last_unknown().unwrap_or(0))
    } else {
        next_reschedule_time(alloc)
    };
    match at {
        Some(at) if is_followup || at - ctx.now <= RESCHEDULE_WINDOW => Decision::Now,
        _ if forced => Decision::Now,
        Some(at) if alloc.details().followup_eval_id.is_empty() => Decision::Later(at),
        _ => Decision::Keep,
    }
}

/// Lost allocations whose group has `disconnect.stop_on_client_after`: their replacement waits
/// until the client has surely stopped them.
pub(crate) fn delay_by_stop_after(set: &AllocSet, now: i64) -> Vec<DelayedReschedule> {
    set.iter()
        .filter_map(|(&slot, alloc)| {
            let at = alloc.wait_client_stop(alloc.stop_on_client_after()?, now);
            let alloc = Arc::clone(alloc);
            (at > now).then_some(DelayedReschedule { slot, alloc, at })
        })
        .collect()
}

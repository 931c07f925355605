//! Which allocation survives when a disconnected allocation comes back and a replacement was
//! placed meanwhile, per the group's `disconnect.reconcile` strategy.

use drover_model::allocation::ClientStatus;
use drover_model::group::reconcile;
use drover_model::{Allocation, DisconnectStrategy, TaskGroup};

use super::alloc::AllocExt;
use drover_model::time::parse_rfc3339;

/// True to keep `replacement` (and stop `original`), false to keep `original`. A replacement
/// running a newer job version always wins.
pub(crate) fn keep_replacement(
    strategy: Option<&DisconnectStrategy>,
    original: &Allocation,
    replacement: &Allocation,
    now: i64,
) -> bool {
    if replacement.job_version() > original.job_version()
        || replacement.job_create_index() > original.job_create_index()
    {
        return true;
    }
    match strategy.map_or("", |s| s.reconcile.as_str()) {
        reconcile::KEEP_ORIGINAL => false,
        reconcile::KEEP_REPLACEMENT => true,
        reconcile::LONGEST_RUNNING => {
            let group = original.own_group();
            let started = |a: &Allocation| group.and_then(|g| main_start(a, g, now));
            match (started(original), started(replacement)) {
                (None, Some(_)) => true,
                (Some(_), None) => false,
                (None, None) => better_score(original, replacement),
                (Some(o), Some(r)) => o >= r,
            }
        }
        _ => better_score(original, replacement),
    }
}

/// The replacement scored better when it was placed, and would not trade a running allocation
/// for one that is not running.
fn better_score(original: &Allocation, replacement: &Allocation) -> bool {
    let score = |a: &Allocation| {
        let metrics = a.metrics.as_ref()?;
        metrics.score_meta_data.first().map(|m| m.norm_score)
    };
    let better = match (score(original), score(replacement)) {
        (None, Some(_)) => true,
        (Some(o), Some(r)) => r > o,
        _ => false,
    };
    better
        && (replacement.client_status == ClientStatus::Running
            || original.client_status != ClientStatus::Running)
}

/// When the group's leader task last started, else its earliest-started task; `None` when
/// nothing has started (before `now`).
fn main_start(alloc: &Allocation, group: &TaskGroup, now: i64) -> Option<i64> {
    let last_start = |task: &str| {
        let state = alloc.details().task_states.get(task)?;
        let at = if state.restarts > 0 {
            &state.last_restart
        } else {
            &state.started_at
        };
        parse_rfc3339(at)
    };
    if let Some(leader) = group.tasks.iter().find(|t| t.leader) {
        return last_start(&leader.name);
    }
    group
        .tasks
        .iter()
        .filter_map(|t| last_start(&t.name))
        .filter(|start| *start < now)
        .min()
}

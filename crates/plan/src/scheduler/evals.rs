//! The evaluations a scheduler writes: the updated evaluation itself (Nomad's `setStatus`) and
//! the ones it creates (Nomad's `CreateBlockedEval` and `CreateFailedFollowUpEval`).

use std::collections::BTreeMap;

use drover_model::{AllocMetric, EvalStatus, Evaluation, Nanos, trigger};

/// Nomad's descriptions of the blocked evaluations a scheduler creates.
pub(super) mod blocked_description {
    pub const FAILED_PLACEMENTS: &str = "created to place remaining allocations";
    pub const MAX_PLAN_ATTEMPTS: &str = "created due to placement conflicts";
}

/// A blocked evaluation that retries the placements of `eval` once capacity changes (Nomad's
/// `CreateBlockedEval`): triggered by `queued-allocs`, linked back to `eval`, carrying the
/// computed classes the job could (not) run on and whether a constraint escaped them. The
/// caller sets the description (and, for system jobs, the node).
pub fn blocked_eval(
    eval: &Evaluation,
    id: String,
    class_eligibility: Option<BTreeMap<String, bool>>,
    escaped_computed_class: bool,
    failed_tg_allocs: &BTreeMap<String, AllocMetric>,
    now: i64,
) -> Evaluation {
    Evaluation {
        id: id.into(),
        namespace: eval.namespace.clone(),
        priority: eval.priority,
        eval_type: eval.eval_type.clone(),
        triggered_by: trigger::QUEUED_ALLOCS.to_string(),
        job_id: eval.job_id.clone(),
        job_modify_index: eval.job_modify_index,
        status: EvalStatus::Blocked,
        previous_eval: eval.id.to_string(),
        failed_tg_allocs: failed(failed_tg_allocs),
        class_eligibility,
        escaped_computed_class,
        create_time: now,
        modify_time: now,
        ..Evaluation::default()
    }
}

/// A pending evaluation that retries `eval` after `wait`, once the broker gave up on it
/// (Nomad's `CreateFailedFollowUpEval`).
pub fn failed_follow_up_eval(eval: &Evaluation, id: String, wait: Nanos, now: i64) -> Evaluation {
    Evaluation {
        id: id.into(),
        namespace: eval.namespace.clone(),
        priority: eval.priority,
        eval_type: eval.eval_type.clone(),
        triggered_by: trigger::FAILED_FOLLOW_UP.to_string(),
        job_id: eval.job_id.clone(),
        job_modify_index: eval.job_modify_index,
        status: EvalStatus::Pending,
        wait,
        previous_eval: eval.id.to_string(),
        create_time: now,
        modify_time: now,
        ..Evaluation::default()
    }
}

/// `FailedTGAllocs` as Nomad writes it: `null` when nothing failed.
fn failed(metrics: &BTreeMap<String, AllocMetric>) -> Option<BTreeMap<String, AllocMetric>> {
    (!metrics.is_empty()).then(|| metrics.clone())
}

/// What a scheduler records on the evaluation it processed.
#[derive(Debug)]
pub(super) struct Outcome<'a> {
    pub failed_tg_allocs: &'a BTreeMap<String, AllocMetric>,
    /// `None` before the scheduler counted anything: the evaluation keeps its own.
    pub queued: Option<&'a BTreeMap<String, u32>>,
    pub blocked_eval: Option<&'a Evaluation>,
    pub deployment_id: &'a str,
    pub next_eval: &'a str,
}

/// `eval` with its new status (Nomad's `setStatus`).
pub(super) fn updated_eval(
    eval: &Evaluation,
    status: EvalStatus,
    description: &str,
    outcome: &Outcome<'_>,
) -> Evaluation {
    let mut updated = eval.clone();
    updated.status = status;
    updated.status_description = description.to_string();
    updated.deployment_id = outcome.deployment_id.to_string();
    updated.failed_tg_allocs = failed(outcome.failed_tg_allocs);
    if let Some(blocked) = outcome.blocked_eval {
        updated.blocked_eval = blocked.id.to_string();
    }
    if let Some(queued) = outcome.queued {
        updated.queued_allocations = queued.clone();
    }
    if !outcome.next_eval.is_empty() {
        updated.next_eval = outcome.next_eval.to_string();
    }
    updated
}

/// Nomad's text for an evaluation whose trigger the scheduler does not handle.
pub(super) fn cannot_handle(eval: &Evaluation) -> String {
    format!(
        "scheduler cannot handle '{}' evaluation reason",
        eval.triggered_by
    )
}

//! The deployment watcher's decisions (Nomad's `deploymentWatcher`), as pure functions of a
//! snapshot and the time: what the allocations' health calls for, when the progress deadline
//! has passed and whether that fails the deployment, when canaries promote themselves, and
//! which job version a failed deployment rolls back to.

use std::collections::BTreeMap;
use std::sync::Arc;

use drover_model::deployment::deployment_description;
use drover_model::time::parse_rfc3339;
use drover_model::{Allocation, Deployment, DeploymentState, EvalStatus, Job, ReschedulePolicy};
use drover_state::Snapshot;

/// What the allocations of a deployment call for (Nomad's `allocUpdateResult`).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct AllocOutcome {
    /// An allocation turned healthy after the scheduler last looked: evaluate the job so the
    /// next batch is placed.
    pub create_eval: bool,
    pub fail: bool,
    /// A failing group asks for auto-revert.
    pub rollback: bool,
    /// Unhealthy allocations the scheduler may replace (their deployment goes on).
    pub allow_replacements: Vec<String>,
}

/// Nomad's `handleAllocUpdate`.
pub(crate) fn alloc_outcome(
    snapshot: &Snapshot,
    deployment: &Deployment,
    job: &Job,
    now: i64,
) -> AllocOutcome {
    let latest_eval = latest_eval_index(snapshot, job);
    let mut outcome = AllocOutcome::default();
    for alloc in snapshot.allocs_by_deployment(&deployment.id) {
        let Some(state) = deployment.task_groups.get(alloc.task_group.as_str()) else {
            continue;
        };
        let health = alloc
            .details()
            .deployment_status
            .as_ref()
            .and_then(|s| s.healthy);
        let fail = health == Some(false) && fails_early(deployment, &alloc, state, job, now);
        if health == Some(false)
            && !fail
            && deployment.active()
            && alloc.details().desired_transition.reschedule != Some(true)
        {
            outcome.allow_replacements.push(alloc.id.to_string());
            continue;
        }
        let health_index = alloc
            .details()
            .deployment_status
            .as_ref()
            .map_or(0, |s| s.modify_index);
        if health == Some(true) && health_index > latest_eval {
            outcome.create_eval = true;
        }
        if fail {
            outcome.fail = true;
            outcome.rollback |= state.auto_revert;
        }
    }
    outcome
}

/// Nomad's `shouldFailEarly` for an unhealthy allocation: without a progress deadline the
/// first one fails the deployment; with one, only an allocation that cannot be rescheduled.
fn fails_early(
    deployment: &Deployment,
    alloc: &Allocation,
    state: &DeploymentState,
    job: &Job,
    now: i64,
) -> bool {
    if state.progress_deadline == 0 {
        return true;
    }
    let policy = job
        .lookup_task_group(&alloc.task_group)
        .and_then(|g| g.reschedule_policy.as_ref());
    deployment.active() && !reschedule_eligible(alloc, policy, now)
}

/// Nomad's `Allocation.RescheduleEligible`: attempts left within the policy's interval.
fn reschedule_eligible(alloc: &Allocation, policy: Option<&ReschedulePolicy>, now: i64) -> bool {
    let Some(policy) = policy else {
        return false;
    };
    if policy.unlimited.unwrap_or(false) {
        return true;
    }
    let attempts = policy.attempts.unwrap_or(0);
    if attempts <= 0 {
        return false;
    }
    let interval = policy.interval.unwrap_or(0);
    let recent = alloc
        .details()
        .reschedule_tracker
        .iter()
        .flat_map(|t| &t.events)
        .filter(|e| now - e.reschedule_time < interval)
        .count();
    (recent as i64) < attempts
}

/// Nomad's `jobEvalStatus`: the newest state the scheduler has seen for the job (an
/// evaluation's snapshot index, else its create index); cancelled evaluations saw nothing.
fn latest_eval_index(snapshot: &Snapshot, job: &Job) -> u64 {
    let mut latest = 0;
    for eval in snapshot.evals_by_job(&job.namespace, &job.id) {
        if eval.status == EvalStatus::Canceled {
            continue;
        }
        if eval.snapshot_index != 0 && latest < eval.snapshot_index {
            latest = eval.snapshot_index;
        } else if latest < eval.create_index {
            latest = eval.create_index;
        }
    }
    latest
}

/// Whether the progress cutoff (Nomad's `getDeploymentProgressCutoff`: the earliest
/// `RequireProgressBy` of the groups not done yet) has passed at `now`, that is whether a group
/// past its `RequireProgressBy` is not done. The allocations are counted only then.
pub(crate) fn progress_deadline_passed(
    snapshot: &Snapshot,
    deployment: &Deployment,
    now: i64,
) -> bool {
    let overdue: Vec<(&String, &DeploymentState)> = deployment
        .task_groups
        .iter()
        .filter(|(_, state)| parse_rfc3339(&state.require_progress_by).is_some_and(|by| by <= now))
        .collect();
    if overdue.is_empty() {
        return false;
    }
    let mut healthy: BTreeMap<&str, i64> = BTreeMap::new();
    let allocs = snapshot.allocs_by_deployment(&deployment.id);
    for alloc in &allocs {
        let is_healthy = alloc
            .details()
            .deployment_status
            .as_ref()
            .is_some_and(|s| s.healthy == Some(true));
        if is_healthy && !alloc.terminal() {
            *healthy.entry(alloc.task_group.as_str()).or_default() += 1;
        }
    }
    overdue.iter().any(|(name, state)| {
        let awaits_promotion = state.desired_canaries != 0 && !state.promoted;
        awaits_promotion || healthy.get(name.as_str()).copied().unwrap_or(0) < state.desired_total
    })
}

/// Nomad's `shouldFail`, asked when the progress deadline passes: `None` when every group has
/// enough healthy allocations (canary groups awaiting promotion count their canaries), else
/// whether a failing group auto-reverts.
pub(crate) fn deadline_failure(deployment: &Deployment, job: &Job) -> Option<bool> {
    let failing: Vec<&String> = deployment
        .task_groups
        .iter()
        .filter(|(_, state)| {
            let needed = if state.desired_canaries > 0 && !state.promoted {
                state.desired_canaries
            } else {
                state.desired_total
            };
            state.healthy_allocs < needed
        })
        .map(|(name, _)| name)
        .collect();
    if failing.is_empty() {
        return None;
    }
    let auto_revert = |name: &str| {
        job.lookup_task_group(name)
            .and_then(|g| g.update.as_ref())
            .and_then(|u| u.auto_revert)
            .unwrap_or(false)
    };
    Some(failing.iter().any(|name| auto_revert(name)))
}

/// Nomad's `autoPromoteDeployment` condition: canaries were placed and await promotion, and
/// every group with canaries auto-promotes and has all of them healthy.
pub(crate) fn auto_promotable(snapshot: &Snapshot, deployment: &Deployment) -> bool {
    let groups = deployment.task_groups.values();
    let placed = groups.clone().any(|s| !s.placed_canaries.is_empty());
    let awaiting = groups
        .clone()
        .any(|s| s.desired_canaries > 0 && !s.promoted);
    if !placed || !awaiting {
        return false;
    }
    let allocs = snapshot.allocs_by_deployment(&deployment.id);
    // Terminal canaries cannot be promoted (the store refuses them).
    let healthy = |id: &String| {
        allocs.iter().any(|a| {
            a.id == id
                && !a.terminal()
                && a.details()
                    .deployment_status
                    .as_ref()
                    .is_some_and(|s| s.healthy == Some(true))
        })
    };
    groups.filter(|s| s.desired_canaries >= 1).all(|s| {
        s.auto_promote
            && s.placed_canaries.len() as i64 >= s.desired_canaries
            && s.placed_canaries.iter().filter(|id| healthy(id)).count() as i64
                == s.desired_canaries
    })
}

/// The job a failing deployment rolls back to, and the failure's description.
#[derive(Debug, PartialEq)]
pub(crate) struct Rollback {
    /// The latest stable version, when its spec differs from the current job.
    pub job: Option<Arc<Job>>,
    pub description: String,
}

/// Nomad's `latestStableJob` and `handleRollbackValidity`: the latest stable version, unless
/// its spec is the current job's (reverting would loop). Without a stable version, `None`.
pub(crate) fn rollback(snapshot: &Snapshot, current: &Job, base: &str) -> Option<Rollback> {
    let stable = snapshot
        .job_versions(&current.namespace, &current.id)
        .into_iter()
        .find(|j| j.stable)?;
    Some(if current.spec_changed(&stable) {
        Rollback {
            description: format!("{base} - rolling back to job version {}", stable.version),
            job: Some(stable),
        }
    } else {
        Rollback {
            description: format!(
                "{base} - not rolling back to stable job version {} as current job has same specification",
                stable.version
            ),
            job: None,
        }
    })
}

/// [`rollback`], with Nomad's description when there is no stable version to return to.
fn rollback_or_none(snapshot: &Snapshot, current: &Job, base: &str) -> Rollback {
    rollback(snapshot, current, base).unwrap_or_else(|| Rollback {
        job: None,
        description: format!("{base} - no stable job version to auto revert to"),
    })
}

/// A deployment failing with the description `base`, rolled back when `rollback` asks for it
/// and a stable version allows it.
pub(crate) fn failure(snapshot: &Snapshot, job: &Job, base: &str, rollback: bool) -> Rollback {
    if rollback {
        rollback_or_none(snapshot, job, base)
    } else {
        Rollback {
            job: None,
            description: base.to_string(),
        }
    }
}

/// Nomad's description of a failure the watcher found: a progress deadline failure once the
/// deadline was hit, else unhealthy allocations.
pub(crate) fn watcher_description(deadline_hit: bool) -> &'static str {
    if deadline_hit {
        deployment_description::PROGRESS_DEADLINE
    } else {
        deployment_description::FAILED_ALLOCATIONS
    }
}

#[cfg(test)]
mod tests {
    use drover_model::{RescheduleEvent, RescheduleTracker};

    use super::*;

    const MINUTE: i64 = 60_000_000_000;
    const NOW: i64 = 1_704_067_200_000_000_000;

    /// Whether an allocation rescheduled at the given times may be rescheduled again at `NOW`.
    fn check(policy: Option<ReschedulePolicy>, rescheduled_ago: &[i64], expected: bool) {
        let mut alloc = Allocation::default();
        alloc.details_mut().reschedule_tracker = (!rescheduled_ago.is_empty()).then(|| {
            Box::new(RescheduleTracker {
                events: rescheduled_ago
                    .iter()
                    .map(|ago| RescheduleEvent {
                        reschedule_time: NOW - ago,
                        ..RescheduleEvent::default()
                    })
                    .collect(),
                ..RescheduleTracker::default()
            })
        });
        assert_eq!(
            reschedule_eligible(&alloc, policy.as_ref(), NOW),
            expected,
            "{policy:?} {rescheduled_ago:?}"
        );
    }

    fn policy(attempts: i64, interval: i64, unlimited: bool) -> Option<ReschedulePolicy> {
        Some(ReschedulePolicy {
            attempts: Some(attempts),
            interval: Some(interval),
            unlimited: Some(unlimited),
            ..ReschedulePolicy::default()
        })
    }

    #[test]
    fn reschedule_eligibility_counts_attempts_within_the_interval() {
        check(None, &[], false);
        check(policy(0, 10 * MINUTE, false), &[], false);
        check(policy(0, 0, true), &[MINUTE, MINUTE, MINUTE], true);
        check(policy(2, 10 * MINUTE, false), &[], true);
        check(policy(2, 10 * MINUTE, false), &[MINUTE], true);
        check(policy(2, 10 * MINUTE, false), &[MINUTE, 2 * MINUTE], false);
        // An attempt older than the interval no longer counts.
        check(policy(2, 10 * MINUTE, false), &[MINUTE, 11 * MINUTE], true);
    }
}

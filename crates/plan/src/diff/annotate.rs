//! Nomad's plan annotations on a job diff (`scheduler.Annotate`): what the scheduler will do to
//! each group, and a display hint per task of whether its change is in place or destructive.

use std::collections::BTreeMap;

use crate::annotations::{DesiredUpdates, PlanAnnotations};

use super::field_value::FieldValue;
use super::types::{DiffType, JobDiff, TaskDiff, TaskGroupDiff};

pub const FORCES_CREATE: &str = "forces create";
pub const FORCES_DESTROY: &str = "forces destroy";
pub const FORCES_IN_PLACE_UPDATE: &str = "forces in-place update";
pub const FORCES_DESTRUCTIVE_UPDATE: &str = "forces create/destroy update";

/// Annotates every group of `diff`: its `Updates` counts from the plan, its `Count` change and
/// each changed task.
pub fn annotate(diff: &mut JobDiff, annotations: &PlanAnnotations) {
    for group in &mut diff.task_groups {
        if let Some(updates) = annotations.desired_tg_updates.get(group.name.as_str()) {
            group.updates = Some(update_counts(updates));
        }
        annotate_count(group);
        let group_type = group.diff_type;
        for task in &mut group.tasks {
            annotate_task(task, group_type);
        }
    }
}

/// The non-zero counters under Nomad's update names; preemptions, reschedules and disconnects
/// are not shown.
fn update_counts(u: &DesiredUpdates) -> BTreeMap<String, u64> {
    [
        ("ignore", u.ignore),
        ("create", u.place),
        ("migrate", u.migrate),
        ("destroy", u.stop),
        ("canary", u.canary),
        ("in-place update", u.in_place_update),
        ("create/destroy update", u.destructive_update),
    ]
    .into_iter()
    .filter(|(_, n)| *n != 0)
    .map(|(name, n)| (name.to_owned(), n))
    .collect()
}

fn annotate_count(group: &mut TaskGroupDiff) {
    let Some(count) = group.fields.iter_mut().find(|f| f.name == "Count") else {
        return;
    };
    // A missing side counts as 0; a count read back from JSON is a string.
    let parse = |v: &FieldValue| v.with_str(|s| s.parse::<i64>().unwrap_or_default());
    let (old, new) = (parse(&count.old), parse(&count.new));
    if old < new {
        count.annotations.push(FORCES_CREATE.to_owned());
    } else if new < old {
        count.annotations.push(FORCES_DESTROY.to_owned());
    }
}

/// Nomad's display heuristic, not the scheduler's real decision: any field change but the kill
/// timeout, or any block change but services, constraints, affinities and spreads, reads as
/// destructive. A log config change is destructive only when `Disabled` changed, as the scheduler
/// decides; Nomad also calls it destructive when a contextual diff merely lists `Disabled`.
fn annotate_task(task: &mut TaskDiff, group_type: DiffType) {
    if task.diff_type == DiffType::None {
        return;
    }
    if matches!(group_type, DiffType::Added | DiffType::Deleted) {
        let annotation = match task.diff_type {
            DiffType::Added => Some(FORCES_CREATE),
            DiffType::Deleted => Some(FORCES_DESTROY),
            _ => None,
        };
        if let Some(a) = annotation {
            task.annotations.push(a.to_owned());
            return;
        }
    }
    let destructive = task.fields.iter().any(|f| f.name != "KillTimeout")
        || task.objects.iter().any(|o| match o.name.as_str() {
            "Service" | "Constraint" | "Affinity" | "Spread" => false,
            "LogConfig" => o
                .fields
                .iter()
                .any(|f| f.name == "Disabled" && f.diff_type != DiffType::None),
            _ => true,
        });
    task.annotations.push(
        if destructive {
            FORCES_DESTRUCTIVE_UPDATE
        } else {
            FORCES_IN_PLACE_UPDATE
        }
        .to_owned(),
    );
}

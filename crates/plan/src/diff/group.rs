//! The task group level: its fields, its blocks in Nomad's order, and its tasks matched by name.

use std::collections::BTreeMap;
use std::sync::Arc;

use drover_model::{ScalingPolicy, TaskGroup, VolumeRequest};

use super::flat::{Fields, Primitives, Val};
use super::network::network_diffs;
use super::objects::{
    affinity_diffs, block_diff, constraint_diffs, list, opaque_map_diff, pair_by_key,
    primitive_block_diff,
};
use super::service::service_diffs;
use super::task::{task_diffs, unchanged_tasks};
use super::text::Text;
use super::types::{DiffType, ObjectDiff, TaskGroupDiff, sort_objects};
use super::value::value_diff;

/// One diff per group name on either side, in name order.
pub(crate) fn group_diffs(
    old: &[Arc<TaskGroup>],
    new: &[Arc<TaskGroup>],
    contextual: bool,
) -> Vec<TaskGroupDiff> {
    pair_by_key(old, new, |g| g.name.as_str())
        .into_iter()
        .map(|(o, n)| group_diff(o.map(Arc::as_ref), n.map(Arc::as_ref), contextual))
        .collect()
}

fn group_diff(old: Option<&TaskGroup>, new: Option<&TaskGroup>, contextual: bool) -> TaskGroupDiff {
    let name = old.or(new).map(|g| Text::copy(&g.name)).unwrap_or_default();
    let diff_type = match (old, new) {
        // One group shared by both jobs (`Arc`) is unchanged without reading it.
        (Some(o), Some(n)) if std::ptr::eq(o, n) || o == n => {
            // Unchanged: no field or object can differ, so skip the flattening.
            return TaskGroupDiff {
                name,
                tasks: unchanged_tasks(&n.tasks),
                ..TaskGroupDiff::default()
            };
        }
        (None, _) => DiffType::Added,
        (_, None) => DiffType::Deleted,
        _ => DiffType::Edited,
    };

    // Group fields are never contextual, as in Nomad.
    let mut fields = Fields::new(old, new, false);
    TaskGroup::primitives(&mut fields);
    // Nomad compares ShutdownDelay (a pointer) by hand, and only when both groups exist; nil
    // prints as "".
    if old.is_some() && new.is_some() {
        fields.put(&"ShutdownDelay", |g| {
            g.shutdown_delay.map_or(Val::Str(""), Val::Int)
        });
    }
    let fields = fields.into_diffs();

    let mut objects = constraint_diffs(
        list(old, |g| &g.constraints),
        list(new, |g| &g.constraints),
        contextual,
    );
    objects.extend(affinity_diffs(
        list(old, |g| &g.affinities),
        list(new, |g| &g.affinities),
        contextual,
    ));
    objects.extend(primitive_block_diff(
        "RestartPolicy",
        old.and_then(|g| g.restart_policy.as_ref()),
        new.and_then(|g| g.restart_policy.as_ref()),
        contextual,
    ));
    objects.extend(primitive_block_diff(
        "Migrate",
        old.and_then(|g| g.migrate.as_ref()),
        new.and_then(|g| g.migrate.as_ref()),
        contextual,
    ));
    objects.extend(primitive_block_diff(
        "ReschedulePolicy",
        old.and_then(|g| g.reschedule_policy.as_ref()),
        new.and_then(|g| g.reschedule_policy.as_ref()),
        contextual,
    ));
    objects.extend(primitive_block_diff(
        "EphemeralDisk",
        old.and_then(|g| g.ephemeral_disk.as_ref()),
        new.and_then(|g| g.ephemeral_disk.as_ref()),
        contextual,
    ));
    objects.extend(primitive_block_diff(
        "Consul",
        old.and_then(|g| g.consul.as_ref()),
        new.and_then(|g| g.consul.as_ref()),
        contextual,
    ));
    objects.extend(primitive_block_diff(
        "Update",
        old.and_then(|g| g.update.as_ref()),
        new.and_then(|g| g.update.as_ref()),
        contextual,
    ));
    objects.extend(block_diff(
        "Disconnect",
        old.and_then(|g| g.disconnect.as_ref()),
        new.and_then(|g| g.disconnect.as_ref()),
        contextual,
    ));
    objects.extend(network_diffs(
        list(old, |g| &g.networks),
        list(new, |g| &g.networks),
        contextual,
    ));
    objects.extend(scaling_diff(
        old.and_then(|g| g.scaling.as_ref()),
        new.and_then(|g| g.scaling.as_ref()),
    ));
    objects.extend(service_diffs(
        list(old, |g| &g.services),
        list(new, |g| &g.services),
        contextual,
    ));
    let empty = BTreeMap::new();
    objects.extend(volume_diffs(
        old.map_or(&empty, |g| &g.volumes),
        new.map_or(&empty, |g| &g.volumes),
        contextual,
    ));

    TaskGroupDiff {
        diff_type,
        name,
        fields,
        objects,
        tasks: task_diffs(list(old, |g| &g.tasks), list(new, |g| &g.tasks), contextual),
        updates: None,
    }
}

/// Nomad lists the scaling block and its policy document without context, always.
fn scaling_diff(old: Option<&ScalingPolicy>, new: Option<&ScalingPolicy>) -> Option<ObjectDiff> {
    let mut diff = block_diff("Scaling", old, new, false)?;
    let empty = BTreeMap::new();
    diff.objects.extend(opaque_map_diff(
        "Policy",
        old.map_or(&empty, |s| &s.policy),
        new.map_or(&empty, |s| &s.policy),
        false,
    ));
    sort_objects(&mut diff.objects);
    Some(diff)
}

/// Volumes keyed by their name in the group's map, in name order (Nomad leaves them in map
/// iteration order).
fn volume_diffs(
    old: &BTreeMap<String, VolumeRequest>,
    new: &BTreeMap<String, VolumeRequest>,
    contextual: bool,
) -> Vec<ObjectDiff> {
    if old == new {
        return Vec::new();
    }
    let mut names: Vec<&String> = old.keys().chain(new.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter_map(|name| {
            let (o, n) = (old.get(name), new.get(name));
            let mut diff = block_diff("Volume", o, n, contextual)?;
            diff.objects.extend(value_diff(
                "MountOptions",
                o.and_then(|v| v.mount_options.as_ref()),
                n.and_then(|v| v.mount_options.as_ref()),
                contextual,
            ));
            Some(diff)
        })
        .collect()
}

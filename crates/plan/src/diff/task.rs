//! The task level: its fields and its blocks in Nomad's order, resources and templates included.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use drover_model::{Resources, Task, TaskArtifact, Template};
use serde_json::Value;

use super::flat::{field_diffs, flat_diffs};
use super::network::network_diffs;
use super::objects::{
    affinity_diffs, block_diff, constraint_diffs, keyed_diffs, list, matched_diffs,
    opaque_map_diff, pair_by_key, positional_diffs, primitive_block_diff, primitive_object_diff,
    primitive_set_diff, string_set_diff, strings,
};
use super::service::service_diffs;
use super::text::Text;
use super::types::{DiffType, ObjectDiff, TaskDiff};
use super::value::{scalar_members, value_diff};

/// One diff per task name on either side, in name order.
///
/// The tasks are diffed one block at a time, each block for every task before the next block:
/// all of a task's block diffs together are more code than the instruction cache holds, so
/// diffing task after task would fetch that code again for every task of a large job.
pub(crate) fn task_diffs(old: &[Arc<Task>], new: &[Arc<Task>], contextual: bool) -> Vec<TaskDiff> {
    let pairs = pair_by_key(old, new, |t| t.name.as_str());
    let mut diffs: Vec<TaskDiff> = pairs.iter().map(|&(o, n)| task_head(o, n)).collect();
    let mut changed: Vec<(&mut TaskDiff, Option<&Task>, Option<&Task>)> = diffs
        .iter_mut()
        .zip(pairs)
        .filter(|(diff, _)| diff.diff_type != DiffType::None)
        .map(|(diff, (o, n))| (diff, o.map(Arc::as_ref), n.map(Arc::as_ref)))
        .collect();
    let tasks: Vec<&Task> = changed
        .iter()
        .flat_map(|(_, o, n)| [*o, *n])
        .flatten()
        .collect();
    warm(&tasks);
    for (diff, old, new) in &mut changed {
        // Task fields are never contextual, as in Nomad.
        diff.fields = field_diffs(*old, *new, false);
        // Room for the blocks a changed task most often has, so that the list grows at most once.
        diff.objects.reserve(8);
    }
    for block in TASK_BLOCKS {
        for (diff, old, new) in &mut changed {
            block(*old, *new, contextual, &mut diff.objects);
        }
    }
    diffs
}

/// Reads, for all the changed tasks of a group, the parts of each task that a diff reads first:
/// its record's scalar blocks, its env and meta maps, its config, artifacts and templates. They
/// are the diff's costliest cache misses (B-tree nodes and strings of two cold jobs): each
/// block's walk, hundreds of instructions an entry, would wait for them one at a time. Only the
/// reads matter, not what they read.
///
/// The reads go breadth first, one level of pointers for all the tasks before the next: each
/// level's reads depend on the one before (record, then a map's root and leaf nodes, then the
/// strings its entries point to), so a pass that went task by task would wait for every level
/// of every task in turn, while a pass over one level has the reads of all the tasks in flight
/// at once.
fn warm(tasks: &[&Task]) {
    fn first(s: &str) -> u8 {
        s.as_bytes().first().copied().unwrap_or_default()
    }
    /// A map's first and last entries: its root node and its first and last leaves.
    fn ends<K: AsRef<str> + Ord, V>(m: &BTreeMap<K, V>) -> usize {
        let end = |e: Option<(&K, &V)>| e.map_or(0, |(k, _)| k.as_ref().len());
        end(m.first_key_value()) ^ end(m.last_key_value())
    }
    fn map(m: &BTreeMap<String, String>) -> u8 {
        m.iter().fold(0, |acc, (k, v)| acc ^ first(k) ^ first(v))
    }
    fn value(v: &Value) -> u8 {
        match v {
            Value::String(s) => first(s),
            Value::Array(items) => items.iter().fold(0, |acc, item| acc ^ value(item)),
            _ => 0,
        }
    }
    // The records, and through them the first node of each map and list.
    let nodes = tasks.iter().fold(0, |acc, t| {
        let record = usize::from(first(&t.driver) ^ first(&t.user) ^ first(&t.kill_signal));
        let resources = t.resources.as_ref().map_or(0, |r| usize::from(r.cpu == 0));
        let logs = t
            .log_config
            .as_ref()
            .map_or(0, |l| usize::from(l.max_files == 0));
        let lists = t.artifacts.first().map_or(0, |a| a.getter_source.len())
            ^ t.templates.first().map_or(0, |t| t.dest_path.len());
        acc ^ record ^ resources ^ logs ^ lists ^ ends(&t.env) ^ ends(&t.meta) ^ ends(&t.config)
    });
    // Every entry, and the strings it points to.
    let entries = tasks.iter().fold(0, |acc, t| {
        let config = t
            .config
            .iter()
            .fold(0, |acc, (k, v)| acc ^ first(k) ^ value(v));
        let artifacts = t.artifacts.iter().fold(0, |acc, a| {
            acc ^ first(&a.getter_source) ^ first(&a.relative_dest) ^ map(&a.getter_options)
        });
        let templates = t.templates.iter().fold(0, |acc, t| {
            acc ^ first(&t.dest_path)
                ^ first(&t.embedded_tmpl)
                ^ first(&t.change_mode)
                ^ first(&t.perms)
        });
        acc ^ map(&t.env) ^ map(&t.meta) ^ config ^ artifacts ^ templates
    });
    std::hint::black_box((nodes, entries));
}

/// The task diffs of a group that did not change: every task name once, in order, None.
pub(crate) fn unchanged_tasks(tasks: &[Arc<Task>]) -> Vec<TaskDiff> {
    let mut names: Vec<&str> = tasks.iter().map(|t| t.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .map(|name| TaskDiff {
            name: Text::copy(name),
            ..TaskDiff::default()
        })
        .collect()
}

/// A task's name and what happened to it, without its fields and blocks.
fn task_head(old: Option<&Arc<Task>>, new: Option<&Arc<Task>>) -> TaskDiff {
    let name = old.or(new).map(|t| Text::copy(&t.name)).unwrap_or_default();
    let diff_type = match (old, new) {
        // One task shared by both jobs (`Arc`) is unchanged without reading it.
        (Some(o), Some(n)) if Arc::ptr_eq(o, n) || o == n => DiffType::None,
        (None, _) => DiffType::Added,
        (_, None) => DiffType::Deleted,
        _ => DiffType::Edited,
    };
    TaskDiff {
        diff_type,
        name,
        ..TaskDiff::default()
    }
}

/// Appends the diffs of one kind of block of two versions of a task.
type TaskBlock = fn(Option<&Task>, Option<&Task>, bool, &mut Vec<ObjectDiff>);

/// A task's blocks in Nomad's order.
const TASK_BLOCKS: [TaskBlock; 17] = [
    |old, new, contextual, out| {
        out.extend(constraint_diffs(
            list(old, |t| &t.constraints),
            list(new, |t| &t.constraints),
            contextual,
        ));
    },
    |old, new, contextual, out| {
        out.extend(affinity_diffs(
            list(old, |t| &t.affinities),
            list(new, |t| &t.affinities),
            contextual,
        ));
    },
    |old, new, contextual, out| {
        let empty = Default::default();
        out.extend(opaque_map_diff(
            "Config",
            old.map_or(&empty, |t| &t.config),
            new.map_or(&empty, |t| &t.config),
            contextual,
        ));
    },
    |old, new, contextual, out| {
        out.extend(resources_diff(
            old.and_then(|t| t.resources.as_ref()),
            new.and_then(|t| t.resources.as_ref()),
            contextual,
        ));
    },
    |old, new, contextual, out| {
        out.extend(primitive_block_diff(
            "LogConfig",
            old.and_then(|t| t.log_config.as_ref()),
            new.and_then(|t| t.log_config.as_ref()),
            contextual,
        ));
    },
    |old, new, contextual, out| {
        out.extend(primitive_block_diff(
            "DispatchPayload",
            old.and_then(|t| t.dispatch_payload.as_ref()),
            new.and_then(|t| t.dispatch_payload.as_ref()),
            contextual,
        ));
    },
    |old, new, contextual, out| {
        out.extend(primitive_set_diff(
            "Artifact",
            list(old, |t| &t.artifacts),
            list(new, |t| &t.artifacts),
            artifact_key,
            contextual,
        ));
    },
    |old, new, contextual, out| {
        out.extend(service_diffs(
            list(old, |t| &t.services),
            list(new, |t| &t.services),
            contextual,
        ));
    },
    |old, new, contextual, out| {
        out.extend(block_diff(
            "Vault",
            old.and_then(|t| t.vault.as_ref()),
            new.and_then(|t| t.vault.as_ref()),
            contextual,
        ));
    },
    |old, new, contextual, out| {
        out.extend(keyed_diffs(
            list(old, |t| &t.secrets),
            list(new, |t| &t.secrets),
            |s| s.name.as_str(),
            |o, n| block_diff("Secret", o, n, contextual),
        ));
    },
    |old, new, contextual, out| {
        out.extend(primitive_block_diff(
            "Consul",
            old.and_then(|t| t.consul.as_ref()),
            new.and_then(|t| t.consul.as_ref()),
            contextual,
        ));
    },
    |old, new, contextual, out| {
        out.extend(template_diffs(
            list(old, |t| &t.templates),
            list(new, |t| &t.templates),
            contextual,
        ));
    },
    |old, new, contextual, out| {
        out.extend(value_diff(
            "Identity",
            old.and_then(|t| t.identity.as_ref()),
            new.and_then(|t| t.identity.as_ref()),
            contextual,
        ));
    },
    |old, new, contextual, out| {
        out.extend(keyed_diffs(
            list(old, |t| &t.identities),
            list(new, |t| &t.identities),
            |id| id.get("Name").and_then(Value::as_str).unwrap_or_default(),
            |o, n| value_diff("Identity", o, n, contextual),
        ));
    },
    |old, new, contextual, out| {
        out.extend(positional_diffs(
            list(old, |t| &t.actions),
            list(new, |t| &t.actions),
            |o, n| value_diff("Action", o, n, contextual),
        ));
    },
    |old, new, contextual, out| {
        out.extend(positional_diffs(
            list(old, |t| &t.volume_mounts),
            list(new, |t| &t.volume_mounts),
            |o, n| block_diff("VolumeMount", o, n, contextual),
        ));
    },
    |old, new, contextual, out| {
        out.extend(schedule_diff(
            old.and_then(|t| t.schedule.as_ref()),
            new.and_then(|t| t.schedule.as_ref()),
            contextual,
        ));
    },
];

/// Nomad's `TaskArtifact.DiffID` is the destination; artifacts without one are keyed by their
/// whole content.
fn artifact_key(artifact: &TaskArtifact) -> Cow<'_, str> {
    if artifact.relative_dest.is_empty() {
        Cow::Owned(format!("{artifact:?}"))
    } else {
        Cow::Borrowed(&artifact.relative_dest)
    }
}

fn resources_diff(
    old: Option<&Resources>,
    new: Option<&Resources>,
    contextual: bool,
) -> Option<ObjectDiff> {
    let mut diff = block_diff("Resources", old, new, contextual)?;
    diff.objects = network_diffs(
        list(old, |r| &r.networks),
        list(new, |r| &r.networks),
        contextual,
    );
    diff.objects.extend(keyed_diffs(
        list(old, |r| &r.devices),
        list(new, |r| &r.devices),
        |d| d.name.as_str(),
        |o, n| block_diff("Device", o, n, contextual),
    ));
    diff.objects.extend(value_diff(
        "NUMA",
        old.and_then(|r| r.numa.as_ref()),
        new.and_then(|r| r.numa.as_ref()),
        contextual,
    ));
    Some(diff)
}

/// One old and one new template are diffed directly; otherwise each old template pairs with the
/// first unmatched new one that has the same destination, and the rest were deleted or added.
fn template_diffs(old: &[Template], new: &[Template], contextual: bool) -> Vec<ObjectDiff> {
    let same_destination = |_: usize, t: &Template, new: &[Template], taken: &[bool]| {
        (0..new.len()).find(|&j| !taken[j] && new[j].dest_path == t.dest_path)
    };
    matched_diffs(old, new, same_destination, |o, n| {
        template_diff(o, n, contextual)
    })
}

/// The wait block's object is named "Wait" (Nomad names it "Template" too, like its parent).
fn template_diff(
    old: Option<&Template>,
    new: Option<&Template>,
    contextual: bool,
) -> Option<ObjectDiff> {
    let mut diff = block_diff("Template", old, new, contextual)?;
    diff.objects.extend(block_diff(
        "Wait",
        old.and_then(|t| t.wait.as_ref()),
        new.and_then(|t| t.wait.as_ref()),
        contextual,
    ));
    let (old_script, new_script) = (
        old.and_then(|t| t.change_script.as_ref()),
        new.and_then(|t| t.change_script.as_ref()),
    );
    if let Some(mut script) = block_diff("ChangeScript", old_script, new_script, contextual) {
        script.objects.extend(string_set_diff(
            "Args",
            strings(old_script, |s| &s.args),
            strings(new_script, |s| &s.args),
            contextual,
        ));
        diff.objects.push(script);
    }
    Some(diff)
}

/// Only the cron window is compared, typed by its fields.
fn schedule_diff(old: Option<&Value>, new: Option<&Value>, contextual: bool) -> Option<ObjectDiff> {
    if old == new {
        return None;
    }
    let fields = flat_diffs(
        scalar_members(old.and_then(|s| s.get("Cron"))),
        scalar_members(new.and_then(|s| s.get("Cron"))),
        contextual,
    );
    primitive_object_diff("Schedule", fields)
}

//! The job level: its fields, its job-wide blocks (datacenters, constraints, affinities,
//! periodic, parameterized, multiregion, UI) and its task groups matched by name.

use drover_model::{Job, JobUi, Multiregion, ParameterizedJobConfig, PeriodicConfig};

use super::DiffError;
use super::flat::field_diffs;
use super::group::group_diffs;
use super::objects::{
    affinity_diffs, block_diff, changed_string_set_diff, constraint_diffs, list, object,
    pair_by_key, positional_diffs, presence, primitive_object_diff, string_set_diff, strings,
    type_from_fields,
};
use super::types::{DiffType, JobDiff, ObjectDiff, sort_objects};

pub(crate) fn job_diff(
    old: Option<&Job>,
    new: Option<&Job>,
    contextual: bool,
) -> Result<JobDiff, DiffError> {
    let (id, diff_type) = match (old, new) {
        (None, None) => return Ok(JobDiff::default()),
        (None, Some(n)) => (&n.id, DiffType::Added),
        (Some(o), None) => (&o.id, DiffType::Deleted),
        (Some(o), Some(n)) if o.id != n.id => {
            return Err(DiffError::DifferentJobIds {
                old: o.id.to_string(),
                new: n.id.to_string(),
            });
        }
        (Some(_), Some(n)) => (&n.id, DiffType::None),
    };
    // Job fields are never contextual, as in Nomad.
    let fields = field_diffs(old, new, false);
    let mut objects = Vec::new();
    objects.extend(changed_string_set_diff(
        "Datacenters",
        strings(old, |j| &j.datacenters),
        strings(new, |j| &j.datacenters),
        contextual,
    ));

    objects.extend(constraint_diffs(
        list(old, |j| &j.constraints),
        list(new, |j| &j.constraints),
        contextual,
    ));
    objects.extend(affinity_diffs(
        list(old, |j| &j.affinities),
        list(new, |j| &j.affinities),
        contextual,
    ));
    let task_groups = group_diffs(
        list(old, |j| &j.task_groups),
        list(new, |j| &j.task_groups),
        contextual,
    );
    objects.extend(periodic_diff(
        old.and_then(|j| j.periodic.as_ref()),
        new.and_then(|j| j.periodic.as_ref()),
        contextual,
    ));
    objects.extend(parameterized_diff(
        old.and_then(|j| j.parameterized_job.as_ref()),
        new.and_then(|j| j.parameterized_job.as_ref()),
        contextual,
    ));
    objects.extend(multiregion_diff(
        old.and_then(|j| j.multiregion.as_ref()),
        new.and_then(|j| j.multiregion.as_ref()),
        contextual,
    ));
    objects.extend(ui_diff(
        old.and_then(|j| j.ui.as_ref()),
        new.and_then(|j| j.ui.as_ref()),
        contextual,
    ));

    let changed = fields.iter().any(|f| f.diff_type != DiffType::None)
        || objects.iter().any(|o| o.diff_type != DiffType::None)
        || task_groups.iter().any(|g| g.diff_type != DiffType::None);
    let diff_type = match diff_type {
        DiffType::None if changed => DiffType::Edited,
        t => t,
    };
    Ok(JobDiff {
        diff_type,
        id: id.to_string(),
        fields,
        objects,
        task_groups,
    })
}

fn periodic_diff(
    old: Option<&PeriodicConfig>,
    new: Option<&PeriodicConfig>,
    contextual: bool,
) -> Option<ObjectDiff> {
    let mut diff = block_diff("Periodic", old, new, contextual)?;
    diff.objects.extend(changed_string_set_diff(
        "Specs",
        strings(old, |p| &p.specs),
        strings(new, |p| &p.specs),
        contextual,
    ));
    Some(diff)
}

fn parameterized_diff(
    old: Option<&ParameterizedJobConfig>,
    new: Option<&ParameterizedJobConfig>,
    contextual: bool,
) -> Option<ObjectDiff> {
    let mut diff = block_diff("ParameterizedJob", old, new, contextual)?;
    diff.objects.extend(string_set_diff(
        "MetaOptional",
        strings(old, |p| &p.meta_optional),
        strings(new, |p| &p.meta_optional),
        contextual,
    ));
    diff.objects.extend(string_set_diff(
        "MetaRequired",
        strings(old, |p| &p.meta_required),
        strings(new, |p| &p.meta_required),
        contextual,
    ));
    Some(diff)
}

/// The strategy and each region (matched by name) are objects of their own; a region's type
/// comes from its fields, so a region whose only change is its datacenters is not shown
/// (Nomad's behavior).
fn multiregion_diff(
    old: Option<&Multiregion>,
    new: Option<&Multiregion>,
    contextual: bool,
) -> Option<ObjectDiff> {
    let diff_type = presence(old, new)?;
    let mut diff = object("Multiregion", diff_type, Vec::new());
    let fields = field_diffs(
        old.and_then(|m| m.strategy.as_ref()),
        new.and_then(|m| m.strategy.as_ref()),
        contextual,
    );
    diff.objects
        .extend(primitive_object_diff("Strategy", fields));
    let (old_regions, new_regions) = (list(old, |m| &m.regions), list(new, |m| &m.regions));
    for (o, n) in pair_by_key(old_regions, new_regions, |r| r.name.as_str()) {
        if presence(o, n).is_none() {
            continue;
        }
        let fields = field_diffs(o, n, contextual);
        let Some(region_type) = type_from_fields(&fields) else {
            continue;
        };
        let mut region = object("Region", region_type, fields);
        region.objects.extend(changed_string_set_diff(
            "Datacenters",
            strings(o, |r| &r.datacenters),
            strings(n, |r| &r.datacenters),
            contextual,
        ));
        diff.objects.push(region);
    }
    sort_objects(&mut diff.objects);
    Some(diff)
}

fn ui_diff(old: Option<&JobUi>, new: Option<&JobUi>, contextual: bool) -> Option<ObjectDiff> {
    let mut diff = block_diff("UI", old, new, contextual)?;
    let (old_links, new_links) = (list(old, |u| &u.links), list(new, |u| &u.links));
    diff.objects = positional_diffs(old_links, new_links, |o, n| {
        block_diff("Link", o, n, contextual)
    });
    Some(diff)
}

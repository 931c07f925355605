//! Nomad-compatible job diffs (`nomad/structs/diff.go`): what changed between two versions of a
//! job, as `POST /v1/job/:id/plan` and `GET /v1/job/:id/versions?diffs=true` report it, and the
//! plan annotations on top (`scheduler/annotate.go`).
//!
//! Fields are flattened under Nomad's names (`Count`, `Env[FOO]`), their values kept typed and
//! printed as Nomad prints them (durations in nanoseconds) when the diff is serialized; each
//! block is an object diff; lists are matched the way Nomad matches each of them (sets keyed by
//! identity, services by score, templates by destination, volumes by name, actions by
//! position). Contextual mode also lists the unchanged fields of changed blocks.
//!
//! Cost follows the change, not the job: equal groups, tasks and blocks are recognised with `==`
//! and never walked; the two versions of a changed block are walked field by field in step.

mod annotate;
mod field_value;
mod flat;
mod group;
mod job;
mod network;
mod objects;
mod primitives;
mod service;
mod task;
mod text;
mod types;
mod value;
mod versions;

use drover_model::Job;

pub use annotate::{
    FORCES_CREATE, FORCES_DESTROY, FORCES_DESTRUCTIVE_UPDATE, FORCES_IN_PLACE_UPDATE, annotate,
};
pub use field_value::FieldValue;
pub use text::Text;
pub use types::{Annotations, DiffType, FieldDiff, JobDiff, ObjectDiff, TaskDiff, TaskGroupDiff};
pub use versions::{version_diffs, version_diffs_against};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiffError {
    /// Nomad's text, with Go's quoting of the two IDs.
    #[error("can not diff jobs with different IDs: {old:?} and {new:?}")]
    DifferentJobIds { old: String, new: String },
}

/// The diff from `old` to `new`. `None` on one side means the job is being added (old) or was
/// deleted (new); both `None` give an empty diff of type None. `contextual` lists the unchanged
/// fields of every changed block, as the plan and versions endpoints do.
pub fn job_diff(
    old: Option<&Job>,
    new: Option<&Job>,
    contextual: bool,
) -> Result<JobDiff, DiffError> {
    job::job_diff(old, new, contextual)
}

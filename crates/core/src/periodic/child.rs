//! The child job a periodic launch registers.

use drover_model::job::PERIODIC_LAUNCH_SUFFIX;
use drover_model::{Job, SECOND, SmolStr};

/// The child `parent` launches at `launch_time` (unix nanoseconds), as Nomad's `deriveJob`
/// builds it: a copy of the parent with ID `<parent>/periodic-<unix seconds>`, that ID as its
/// name, `ParentID` set, no periodic block and no status. Everything else is the parent's;
/// the registration resets versions and indexes and sets `SubmitTime`.
pub fn derive_child(parent: &Job, launch_time: i64) -> Job {
    let id = SmolStr::from(format!(
        "{}{PERIODIC_LAUNCH_SUFFIX}{}",
        parent.id,
        launch_time.div_euclid(SECOND)
    ));
    Job {
        parent_id: parent.id.clone(),
        name: id.clone(),
        id,
        periodic: None,
        status: SmolStr::default(),
        status_description: SmolStr::default(),
        ..parent.clone()
    }
}

//! `Job::spec_changed`: whether a submitted job differs from the stored one in anything but the
//! fields the server manages.

use crate::Job;

impl Job {
    /// Whether `new` (a submitted job) changes the spec of `self` (the stored job), as Nomad's
    /// `SpecChanged`: everything counts except Status, StatusDescription, Stable, Version,
    /// SubmitTime and the three indexes. Meta, NomadTokenID, VersionTag, UI and Payload count.
    pub fn spec_changed(&self, new: &Job) -> bool {
        let mut comparable = new.clone();
        comparable.status.clone_from(&self.status);
        comparable
            .status_description
            .clone_from(&self.status_description);
        comparable.stable = self.stable;
        comparable.version = self.version;
        comparable.submit_time = self.submit_time;
        comparable.create_index = self.create_index;
        comparable.modify_index = self.modify_index;
        comparable.job_modify_index = self.job_modify_index;
        comparable != *self
    }
}

//! `Job::spec_changed`: whether a submitted job differs from the stored one in anything but the
//! fields the server manages; `Job::share_unchanged`: a new version holds the groups and tasks
//! it did not change as the same `Arc`s as the version before it.

use std::sync::Arc;

use crate::Job;

impl Job {
    /// Whether `new` (a submitted job) changes the spec of `self` (the stored job), as Nomad's
    /// `SpecChanged`: everything counts except Status, StatusDescription, Stable, Version,
    /// SubmitTime and the three indexes. Meta, NomadTokenID, VersionTag, UI and Payload count.
    ///
    /// Compares field by field without copying either job (the state store calls this on
    /// every job write). The exhaustive pattern makes a new field a compile error here until
    /// it is sorted into compared or ignored.
    pub fn spec_changed(&self, new: &Job) -> bool {
        let Job {
            stop,
            region,
            namespace,
            id,
            parent_id,
            name,
            job_type,
            priority,
            all_at_once,
            datacenters,
            node_pool,
            constraints,
            affinities,
            spreads,
            task_groups,
            update,
            multiregion,
            periodic,
            parameterized_job,
            reschedule,
            migrate,
            dispatched,
            dispatch_idempotency_token,
            payload,
            meta,
            consul_namespace,
            vault_namespace,
            nomad_token_id,
            status: _,
            status_description: _,
            stable: _,
            version: _,
            submit_time: _,
            create_index: _,
            modify_index: _,
            job_modify_index: _,
            ui,
            version_tag,
        } = self;
        // The groups first: a new version usually differs there, and the stored job is cold
        // memory, a cache miss for each string compared before the difference.
        !(*task_groups == new.task_groups
            && *stop == new.stop
            && *region == new.region
            && *namespace == new.namespace
            && *id == new.id
            && *parent_id == new.parent_id
            && *name == new.name
            && *job_type == new.job_type
            && *priority == new.priority
            && *all_at_once == new.all_at_once
            && *datacenters == new.datacenters
            && *node_pool == new.node_pool
            && *constraints == new.constraints
            && *affinities == new.affinities
            && *spreads == new.spreads
            && *update == new.update
            && *multiregion == new.multiregion
            && *periodic == new.periodic
            && *parameterized_job == new.parameterized_job
            && *reschedule == new.reschedule
            && *migrate == new.migrate
            && *dispatched == new.dispatched
            && *dispatch_idempotency_token == new.dispatch_idempotency_token
            && *payload == new.payload
            && *meta == new.meta
            && *consul_namespace == new.consul_namespace
            && *vault_namespace == new.vault_namespace
            && *nomad_token_id == new.nomad_token_id
            && *ui == new.ui
            && *version_tag == new.version_tag)
    }

    /// Replaces each group of `self` that equals `prev`'s group of the same name by `prev`'s
    /// `Arc`, and in the other groups each task that equals `prev`'s task of the same name, so
    /// that the versions of a job hold one copy of what did not change and comparing or diffing
    /// them skips it by address. The job's value is unchanged.
    pub fn share_unchanged(&mut self, prev: &Job) {
        for group in &mut self.task_groups {
            let Some(old) = prev.task_groups.iter().find(|g| g.name == group.name) else {
                continue;
            };
            if *group == *old {
                *group = Arc::clone(old);
                continue;
            }
            for i in 0..group.tasks.len() {
                let task = &group.tasks[i];
                if let Some(same) = old.tasks.iter().find(|t| t.name == task.name)
                    && !Arc::ptr_eq(same, task)
                    && same == task
                {
                    Arc::make_mut(group).tasks[i] = Arc::clone(same);
                }
            }
        }
    }
}

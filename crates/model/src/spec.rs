//! `Job::spec_changed`: whether a submitted job differs from the stored one in anything but the
//! fields the server manages.

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
        !(*stop == new.stop
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
            && *task_groups == new.task_groups
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
}

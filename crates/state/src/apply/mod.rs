//! Applying a [`Command`] at a log index: a write transaction over the tables, in place, with
//! a journal of what it replaced (see [`journal`]). A command that fails leaves the tables as
//! they were; one that succeeds hands its journal to the caller, who rolls it back if what
//! follows the apply fails (the engine's log append).
//!
//! One module per area; each follows the Nomad state-store function it names.

mod allocs;
mod deployments;
mod evals;
mod jobs;
mod journal;
mod misc;
mod nodes;
mod status;
mod summary;
mod writes;

use std::sync::{Arc, LazyLock};

use drover_model::Job;

use crate::StateError;
use crate::command::Command;
use crate::table::Table;
use crate::tables::Tables;

pub(crate) use journal::Journal;

/// A write transaction: the tables being changed, the index every change is stamped with,
/// and how to take the changes back.
pub(crate) struct Txn<'a> {
    pub t: &'a mut Tables,
    pub index: u64,
    pub journal: Journal,
}

/// Applies `command` at `index` to `tables` in place. On error the tables are as they were;
/// on success the journal can still take the command back.
pub(crate) fn apply(
    tables: &mut Tables,
    index: u64,
    command: &Command,
) -> Result<Journal, StateError> {
    transact(tables, index, |txn| txn.dispatch(command))
}

/// [`apply`] for a command the caller gives up (a log entry being replayed): the jobs it
/// registers become the stored ones without being copied.
pub(crate) fn apply_owned(
    tables: &mut Tables,
    index: u64,
    mut command: Command,
) -> Result<Journal, StateError> {
    transact(tables, index, |txn| txn.dispatch_owned(&mut command))
}

fn transact(
    tables: &mut Tables,
    index: u64,
    write: impl FnOnce(&mut Txn) -> Result<(), StateError>,
) -> Result<Journal, StateError> {
    let latest = tables.applied_index;
    if index <= latest {
        return Err(StateError::StaleIndex { index, latest });
    }
    let mut txn = Txn {
        journal: Journal::new(tables),
        t: tables,
        index,
    };
    match write(&mut txn) {
        Ok(()) => {
            txn.t.applied_index = index;
            Ok(txn.journal)
        }
        Err(error) => {
            txn.journal.roll_back(txn.t);
            Err(error)
        }
    }
}

/// Stands in for the job moved out of an owned registration (never read).
fn moved_job() -> Arc<Job> {
    static EMPTY: LazyLock<Arc<Job>> = LazyLock::new(Arc::default);
    EMPTY.clone()
}

impl Txn<'_> {
    /// Records a write to `table` at this transaction's index.
    fn touch(&mut self, table: Table) {
        self.t.indexes.set(table, self.index);
    }

    /// [`Self::dispatch`], moving the job of each registration out of the command. The
    /// command is changed in place rather than taken apart: a `Command` is large, and moving
    /// each one of a batch out of its vector was a copy per job.
    fn dispatch_owned(&mut self, command: &mut Command) -> Result<(), StateError> {
        match command {
            Command::UpsertJob(c) => {
                let job = std::mem::replace(&mut c.job, moved_job());
                self.upsert_job(job, c)
            }
            Command::Batch(commands) => {
                commands.iter_mut().try_for_each(|c| self.dispatch_owned(c))
            }
            command => self.dispatch(command),
        }
    }

    fn dispatch(&mut self, command: &Command) -> Result<(), StateError> {
        match command {
            Command::UpsertJob(c) => return self.upsert_job(c.job.clone(), c),
            Command::DeregisterJob(c) => return self.deregister_job(c),
            Command::UpsertEvals(c) => return self.upsert_evals(c.evals.iter().cloned()),
            Command::DeleteEvals(c) => return self.delete_evals(c),
            Command::ApplyPlanResults(c) => return self.apply_plan_results(c),
            Command::UpdateAllocsFromClient(c) => return self.update_allocs_from_client(c),
            Command::UpdateAllocDesiredTransitions(c) => {
                return self.update_desired_transitions(c);
            }
            Command::UpsertNode(c) => return self.upsert_node(c),
            Command::DeleteNodes(c) => return self.delete_nodes(c),
            Command::UpdateNodeStatus(c) => return self.update_node_status(c),
            Command::UpdateNodeEligibility(c) => {
                return self.update_node_eligibility(&c.node_id, &c.eligibility, c.updated_at);
            }
            Command::UpdateNodeDrain(c) => return self.update_node_drain(c),
            Command::UpdateJobStability(c) => {
                return self.update_job_stability(&c.namespace, &c.job_id, c.version, c.stable);
            }
            Command::UpdateJobVersionTag(c) => return self.update_job_version_tag(c),
            Command::UpdateDeploymentStatus(c) => return self.update_deployment_status(c),
            Command::PromoteDeployment(c) => return self.promote_deployment(c),
            Command::UpdateDeploymentAllocHealth(c) => {
                return self.update_deployment_alloc_health(c);
            }
            Command::DeleteNamespaces(c) => return self.delete_namespaces(&c.names),
            Command::Batch(commands) => {
                return commands.iter().try_for_each(|c| self.dispatch(c));
            }
            // The writes below cannot fail.
            Command::UpsertScalingEvent(c) => self.upsert_scaling_event(c),
            Command::UpsertPeriodicLaunch(c) => self.upsert_periodic_launch(c.clone()),
            Command::UpsertServiceRegistrations(c) => self.upsert_services(&c.services),
            Command::DeleteServiceRegistration(c) => self.delete_service(&c.namespace, &c.id),
            Command::UpsertNamespaces(c) => self.upsert_namespaces(&c.namespaces),
            Command::UpsertAclPolicies(c) => self.upsert_acl_policies(&c.policies),
            Command::DeleteAclPolicies(c) => self.delete_acl_policies(&c.names),
            Command::UpsertAclTokens(c) => self.upsert_acl_tokens(&c.tokens),
            Command::DeleteAclTokens(c) => self.delete_acl_tokens(&c.accessor_ids),
            Command::BootstrapAclToken(c) => {
                self.upsert_acl_tokens(&c.tokens);
                self.touch(Table::AclTokenBootstrap);
            }
        }
        Ok(())
    }
}

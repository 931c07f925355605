//! Applying a [`Command`] at a log index: a write transaction over a private copy of the
//! tables, committed by the caller only when every step succeeded.
//!
//! One module per area; each follows the Nomad state-store function it names.

mod allocs;
mod deployments;
mod evals;
mod jobs;
mod misc;
mod nodes;
mod status;
mod summary;
mod time;

use crate::StateError;
use crate::command::Command;
use crate::table::Table;
use crate::tables::Tables;

/// A write transaction: the tables being changed and the index every change is stamped with.
pub(crate) struct Txn {
    pub t: Tables,
    pub index: u64,
}

/// Applies `command` at `index` to a copy of `tables`. The input is never changed, so a
/// failed command leaves nothing behind.
pub(crate) fn apply(tables: &Tables, index: u64, command: &Command) -> Result<Tables, StateError> {
    let latest = tables.applied_index;
    if index <= latest {
        return Err(StateError::StaleIndex { index, latest });
    }
    let mut txn = Txn {
        t: tables.clone(),
        index,
    };
    txn.dispatch(command)?;
    txn.t.applied_index = index;
    Ok(txn.t)
}

impl Txn {
    /// Records a write to `table` at this transaction's index.
    fn touch(&mut self, table: Table) {
        self.t.indexes.set(table, self.index);
    }

    fn dispatch(&mut self, command: &Command) -> Result<(), StateError> {
        match command {
            Command::UpsertJob(c) => self.upsert_job(c),
            Command::DeregisterJob(c) => self.deregister_job(c),
            Command::UpsertEvals(c) => self.upsert_evals(c.evals.iter().cloned()),
            Command::DeleteEvals(c) => self.delete_evals(c),
            Command::ApplyPlanResults(c) => self.apply_plan_results(c),
            Command::UpdateAllocsFromClient(c) => self.update_allocs_from_client(c),
            Command::UpdateAllocDesiredTransitions(c) => self.update_desired_transitions(c),
            Command::UpsertNode(c) => self.upsert_node(c),
            Command::DeleteNodes(c) => self.delete_nodes(c),
            Command::UpdateNodeStatus(c) => self.update_node_status(c),
            Command::UpdateNodeEligibility(c) => {
                self.update_node_eligibility(&c.node_id, &c.eligibility, c.updated_at)
            }
            Command::UpdateNodeDrain(c) => self.update_node_drain(c),
            Command::UpdateJobStability(c) => {
                self.update_job_stability(&c.namespace, &c.job_id, c.version, c.stable)
            }
            Command::UpdateJobVersionTag(c) => self.update_job_version_tag(c),
            Command::UpdateDeploymentStatus(c) => self.update_deployment_status(c),
            Command::PromoteDeployment(c) => self.promote_deployment(c),
            Command::UpdateDeploymentAllocHealth(c) => self.update_deployment_alloc_health(c),
            Command::UpsertScalingEvent(c) => self.upsert_scaling_event(c),
            Command::UpsertPeriodicLaunch(c) => {
                self.upsert_periodic_launch(c.clone());
                Ok(())
            }
            Command::UpsertServiceRegistrations(c) => {
                self.upsert_services(&c.services);
                Ok(())
            }
            Command::DeleteServiceRegistration(c) => self.delete_service(&c.namespace, &c.id),
            Command::UpsertNamespaces(c) => {
                self.upsert_namespaces(&c.namespaces);
                Ok(())
            }
            Command::DeleteNamespaces(c) => self.delete_namespaces(&c.names),
            Command::UpsertAclPolicies(c) => {
                self.upsert_acl_policies(&c.policies);
                Ok(())
            }
            Command::DeleteAclPolicies(c) => {
                self.delete_acl_policies(&c.names);
                Ok(())
            }
            Command::UpsertAclTokens(c) => {
                self.upsert_acl_tokens(&c.tokens);
                Ok(())
            }
            Command::DeleteAclTokens(c) => {
                self.delete_acl_tokens(&c.accessor_ids);
                Ok(())
            }
            Command::Batch(commands) => commands.iter().try_for_each(|c| self.dispatch(c)),
        }
    }
}

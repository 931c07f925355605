//! Task actions (Nomad's `Job.GetActions` and the `/v1/job/:id/action` exec stream): the
//! list comes from the job spec; running one needs a client node to exec into, which a
//! drover cluster does not have (see docs/compat.md).

use drover_model::gotext::quote;
use drover_state::Table;
use serde::{Deserialize, Serialize};

use crate::acl::{Capability, JobsEndpoint};
use crate::api::{Read, RequestContext};
use crate::engine::Engine;
use crate::error::{ApiError, ApiResult};

/// One action of one task (Nomad's `JobAction`: the action's fields and where it is).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobAction {
    pub name: String,
    pub command: String,
    pub args: Option<Vec<String>>,
    pub task_name: String,
    pub task_group_name: String,
}

impl Engine {
    /// `GET /v1/job/:id/actions`: every task's actions, in group and task order. Index: the
    /// job's ModifyIndex (the jobs table's when the job is missing).
    pub fn job_actions(
        &self,
        ctx: &RequestContext,
        job_id: &str,
    ) -> ApiResult<Read<Vec<JobAction>>> {
        self.authorize(ctx, JobsEndpoint::Read, ctx.namespace())?;
        if job_id.is_empty() {
            return Err(ApiError::internal("JobID required for actions"));
        }
        let snapshot = self.snapshot();
        let job = snapshot.job(ctx.namespace(), job_id).ok_or_else(|| {
            ApiError::internal(format!("Unknown job {}", quote(job_id)))
                .at_index(snapshot.table_index(Table::Jobs))
        })?;
        let actions = job
            .task_groups
            .iter()
            .flat_map(|group| group.tasks.iter().map(move |task| (group, task)))
            .flat_map(|(group, task)| {
                task.actions.iter().map(move |action| JobAction {
                    task_name: task.name.to_string(),
                    task_group_name: group.name.to_string(),
                    ..serde_json::from_value(action.clone()).unwrap_or_default()
                })
            })
            .collect();
        Ok(Read {
            value: actions,
            index: job.modify_index,
            next_token: String::new(),
        })
    }

    /// `/v1/job/:id/action?allocID=` over a websocket: Nomad's checks of the allocation and
    /// the job, in its order, then the answer it gives when no server holds a connection to
    /// the allocation's node, which is always the case here. The task and the action are
    /// checked by the client, so they are never looked at.
    pub fn run_job_action(
        &self,
        ctx: &RequestContext,
        job_id: &str,
        alloc_id: &str,
    ) -> ApiResult<()> {
        self.authenticated(ctx)?;
        if alloc_id.is_empty() {
            return Err(ApiError::bad_request("missing AllocID"));
        }
        let snapshot = self.snapshot();
        let alloc = snapshot.alloc(alloc_id).ok_or_else(|| {
            ApiError::not_found(format!("Unknown allocation {}", quote(alloc_id)))
        })?;
        self.authorize_namespace(ctx, &alloc.namespace, Capability::AllocExec)?;
        if alloc.client_terminal() {
            return Err(ApiError::bad_request(format!(
                "exec not possible, client status of allocation {} is {}",
                alloc.id, alloc.client_status
            )));
        }
        let namespace = ctx.namespace();
        if snapshot.job(namespace, job_id).is_none() {
            return Err(ApiError::not_found(format!(
                "job {job_id} not found in namespace {namespace}"
            )));
        }
        if alloc.job_id != job_id {
            return Err(ApiError::bad_request(format!(
                "job {job_id} does not have allocation {}",
                alloc.id
            )));
        }
        if snapshot.node(&alloc.node_id).is_none() {
            return Err(ApiError::bad_request(format!(
                "Unknown node {}",
                quote(&alloc.node_id)
            )));
        }
        Err(ApiError::internal("No path to node"))
    }
}

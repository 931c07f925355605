//! Allocation writes (Nomad's `Alloc.Stop`): stopping one allocation marks it to migrate and
//! asks the scheduler to look at its job again, which stops it and, unless the job no longer
//! wants it, places a replacement.

use drover_model::{DesiredTransition, Evaluation, trigger};
use drover_state::{AllocDesiredTransitions, Command};
use serde::{Deserialize, Serialize};

use crate::acl::Capability;
use crate::api::RequestContext;
use crate::engine::Engine;
use crate::error::{ApiError, ApiResult};

/// `PUT/POST /v1/allocation/:id/stop` options (`?no_shutdown_delay=`, `?reschedule=`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AllocStopOptions {
    pub no_shutdown_delay: bool,
    pub reschedule: bool,
}

/// Nomad's `AllocStopResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AllocStopResponse {
    #[serde(rename = "EvalID")]
    pub eval_id: String,
    pub index: u64,
}

impl Engine {
    /// `PUT/POST /v1/allocation/:id/stop`: sets the allocation's desired transition to
    /// migrate and creates an `alloc-stop` evaluation of the job the allocation runs, in one
    /// commit. The evaluation takes the priority, type and modify index of that job version.
    /// Needs alloc-lifecycle in the allocation's namespace (whatever the request's is).
    pub fn stop_allocation(
        &self,
        ctx: &RequestContext,
        alloc_id: &str,
        options: AllocStopOptions,
    ) -> ApiResult<AllocStopResponse> {
        self.authenticated(ctx)?;
        if alloc_id.is_empty() {
            return Err(ApiError::internal("Missing allocation ID"));
        }
        let snapshot = self.snapshot();
        let alloc = snapshot
            .alloc(alloc_id)
            .ok_or_else(|| ApiError::not_found("allocation not found"))?;
        self.authorize_namespace(ctx, &alloc.namespace, Capability::AllocLifecycle)?;
        let job = alloc
            .job
            .clone()
            .or_else(|| snapshot.job(&alloc.namespace, &alloc.job_id))
            .ok_or_else(|| ApiError::internal("job not found"))?;
        let now = self.now();
        let eval = Evaluation {
            job_modify_index: job.modify_index,
            ..self.job_eval(&job, trigger::ALLOC_STOP, now)
        };
        let eval_id = eval.id.to_string();
        let transition = DesiredTransition {
            migrate: Some(true),
            no_shutdown_delay: Some(options.no_shutdown_delay),
            reschedule: Some(options.reschedule),
            ..DesiredTransition::default()
        };
        let index = self.commit(&Command::UpdateAllocDesiredTransitions(
            AllocDesiredTransitions {
                transitions: [(alloc.id.to_string(), transition)].into(),
                evals: vec![eval],
            },
        ))?;
        Ok(AllocStopResponse { eval_id, index })
    }
}

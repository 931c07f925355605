//! Scaling (nomad-core section 6): the scale status of a job's groups.

use std::collections::BTreeMap;

use drover_model::allocation::client_status;
use drover_model::{JobScaleStatus, TaskGroupScaleStatus};
use drover_state::Table;

use crate::api::{Read, RequestContext};
use crate::engine::Engine;
use crate::error::{ApiError, ApiResult};

impl Engine {
    /// `GET /v1/job/:id/scale`: each group's desired count, its live allocations of the
    /// current job incarnation (canaries left out), and its scaling events, newest first.
    /// Index: the highest of the jobs, allocations and scaling-event tables.
    pub fn job_scale_status(
        &self,
        ctx: &RequestContext,
        job_id: &str,
    ) -> ApiResult<Read<JobScaleStatus>> {
        let snapshot = self.snapshot();
        let index = [Table::Jobs, Table::Allocs, Table::ScalingEvent]
            .into_iter()
            .map(|t| snapshot.table_index(t))
            .max()
            .unwrap_or(0);
        let job = snapshot
            .job(ctx.namespace(), job_id)
            .ok_or_else(|| ApiError::not_found("job not found").at_index(index))?;
        let mut events = snapshot
            .scaling_events(&job.namespace, &job.id)
            .map(|e| e.scaling_events.clone())
            .unwrap_or_default();
        let mut groups: BTreeMap<String, TaskGroupScaleStatus> = job
            .task_groups
            .iter()
            .map(|group| {
                let status = TaskGroupScaleStatus {
                    desired: group.count,
                    events: events.remove(&group.name).unwrap_or_default(),
                    ..TaskGroupScaleStatus::default()
                };
                (group.name.clone(), status)
            })
            .collect();
        for alloc in snapshot.allocs_by_job(&job.namespace, &job.id, false) {
            let health = alloc.deployment_status.as_ref();
            if health.is_some_and(|h| h.canary) || alloc.terminal() {
                continue;
            }
            let Some(group) = groups.get_mut(&alloc.task_group) else {
                continue;
            };
            group.placed += 1;
            if alloc.client_status == client_status::RUNNING {
                group.running += 1;
            }
            match health.and_then(|h| h.healthy) {
                Some(true) => group.healthy += 1,
                Some(false) => group.unhealthy += 1,
                None => {}
            }
        }
        Ok(Read {
            value: JobScaleStatus {
                job_id: job.id.clone(),
                namespace: job.namespace.clone(),
                job_create_index: job.create_index,
                job_modify_index: job.modify_index,
                job_stopped: job.stop,
                task_groups: groups,
            },
            index,
            next_token: String::new(),
        })
    }
}

//! Version tags (nomad-core sections 2.6 and 6): naming one version of a job so that it is
//! kept forever and can be diffed against (`?diff_tag=`), and removing such a name.
//!
//! The store enforces the rules (a name is unique across a job's versions, the version must
//! exist, untagging needs the name to be there); this module resolves `Latest` to a version
//! number and stamps the time, as Nomad's `Job.TagVersion` does before its raft apply.

use drover_model::VersionTag;
use drover_model::gotext::quote;
use drover_state::{Command, JobVersionTagUpdate};
use serde::{Deserialize, Serialize};

use crate::acl::JobsEndpoint;
use crate::api::RequestContext;
use crate::engine::Engine;
use crate::error::{ApiError, ApiResult};

/// The body of `PUT/POST /v1/job/:id/versions/:name/tag` (Nomad's `TagVersionRequest`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobTagRequest {
    pub version: u64,
    /// Tag the job's current version; `Version` must then be 0.
    pub latest: bool,
    pub description: String,
}

/// The answer of both tag writes (Nomad's `JobTagResponse`): the tag as stored (all empty
/// after an untag) and the commit's index. Nomad's RPC fills in no leader fields here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobTagResponse {
    pub name: String,
    pub description: String,
    /// Unix nanoseconds.
    pub tagged_time: i64,
    pub index: u64,
    pub last_contact: u64,
    pub known_leader: bool,
    pub next_token: String,
}

impl Engine {
    /// `PUT/POST /v1/job/:id/versions/:name/tag`: names a version of the job. Tagging a version
    /// again with the same name replaces its description and time.
    pub fn tag_job_version(
        &self,
        ctx: &RequestContext,
        job_id: &str,
        name: &str,
        request: &JobTagRequest,
    ) -> ApiResult<JobTagResponse> {
        self.authorize(ctx, JobsEndpoint::Tag, ctx.namespace())?;
        if request.latest && request.version > 0 {
            return Err(ApiError::internal(format!(
                "version must be zero when tagging latest, got: {}",
                request.version
            )));
        }
        let tag = VersionTag {
            name: name.to_string(),
            description: request.description.clone(),
            tagged_time: self.now(),
        };
        self.with_writer(|writer| {
            let namespace = ctx.namespace();
            // Nomad reads the current version without checking that the job exists (see
            // docs/compat.md); drover answers as for any other missing job.
            let version = if request.latest && request.version == 0 {
                writer
                    .snapshot()
                    .job(namespace, job_id)
                    .ok_or_else(|| ApiError::internal(format!("job {} not found", quote(job_id))))?
                    .version
            } else {
                request.version
            };
            let index = writer.commit(
                &Command::UpdateJobVersionTag(JobVersionTagUpdate {
                    namespace: namespace.to_string(),
                    job_id: job_id.to_string(),
                    version,
                    name: name.to_string(),
                    tag: Some(tag.clone()),
                }),
                None,
            )?;
            Ok(JobTagResponse {
                name: tag.name,
                description: tag.description,
                tagged_time: tag.tagged_time,
                index,
                ..JobTagResponse::default()
            })
        })
    }

    /// `DELETE /v1/job/:id/versions/:name/tag`: removes the tag called `name` from whichever
    /// version holds it.
    pub fn untag_job_version(
        &self,
        ctx: &RequestContext,
        job_id: &str,
        name: &str,
    ) -> ApiResult<JobTagResponse> {
        self.authorize(ctx, JobsEndpoint::Tag, ctx.namespace())?;
        let index = self.commit(&Command::UpdateJobVersionTag(JobVersionTagUpdate {
            namespace: ctx.namespace().to_string(),
            job_id: job_id.to_string(),
            name: name.to_string(),
            ..JobVersionTagUpdate::default()
        }))?;
        Ok(JobTagResponse {
            index,
            ..JobTagResponse::default()
        })
    }
}

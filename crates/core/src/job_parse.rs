//! `POST /v1/jobs/parse`: a jobspec (HCL2 or job JSON) to the job it describes, as Nomad's parse
//! endpoint answers it. Nothing is stored.
//!
//! Nomad answers with its API job: without `Canonicalize` only what the jobspec set has a value
//! (a client reads `"Namespace": null` and an absent `Namespace` alike), with it every default.

use drover_jobspec::{JobspecError, ParseOptions, VarFile};
use drover_model::Job;
use serde_json::Value;

use crate::acl::{AclError, JobsEndpoint};
use crate::api::{JobsParseRequest, RequestContext};
use crate::{ApiError, ApiResult, Engine};

impl Engine {
    /// Parses `request.job_hcl` with the request's variables file content: the fields the
    /// jobspec sets, or the whole canonical job when `Canonicalize` is set.
    pub fn parse_job(&self, ctx: &RequestContext, request: JobsParseRequest) -> ApiResult<Value> {
        // The agent checks this one itself, and words a token that does not resolve its way.
        let identity = self.identity(ctx).map_err(AclError::agent_resolve_error)?;
        identity.acl.check(JobsEndpoint::Parse, ctx.namespace())?;
        if request.hcl_v1 {
            return Err(ApiError::bad_request(
                JobspecError::HclV1Unsupported.to_string(),
            ));
        }
        let mut options = ParseOptions::default();
        if !request.variables.is_empty() {
            options.var_files.push(VarFile {
                name: "variables.hcl".to_owned(),
                content: request.variables,
            });
        }
        let parse_error = |e: JobspecError| match e {
            JobspecError::Empty => ApiError::bad_request(e.to_string()),
            e => ApiError::bad_request(format!("Failed to parse job: {e}")),
        };
        let spec =
            drover_jobspec::parse_to_json(&request.job_hcl, &options).map_err(parse_error)?;
        // Decoded either way, so that a spec the model cannot hold fails here as it would
        // when registered.
        let mut job: Job = serde_json::from_value(spec.clone())
            .map_err(|e| parse_error(JobspecError::Decode(e.to_string())))?;
        if !request.canonicalize {
            return Ok(spec);
        }
        job.canonicalize();
        serde_json::to_value(&job).map_err(|e| ApiError::internal(e.to_string()))
    }
}

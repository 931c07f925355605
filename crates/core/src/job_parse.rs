//! `POST /v1/jobs/parse`: a jobspec (HCL2 or job JSON) to the job it describes, as Nomad's parse
//! endpoint answers it. Nothing is stored.

use drover_jobspec::{JobspecError, ParseOptions, VarFile};
use drover_model::Job;

use crate::acl::{AclError, JobsEndpoint};
use crate::api::{JobsParseRequest, RequestContext};
use crate::{ApiError, ApiResult, Engine};

impl Engine {
    /// Parses `request.job_hcl` with the request's variables file content, and applies the
    /// job defaults when `Canonicalize` is set.
    pub fn parse_job(&self, ctx: &RequestContext, request: JobsParseRequest) -> ApiResult<Job> {
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
        let mut job = drover_jobspec::parse(&request.job_hcl, &options).map_err(|e| match e {
            JobspecError::Empty => ApiError::bad_request(e.to_string()),
            e => ApiError::bad_request(format!("Failed to parse job: {e}")),
        })?;
        if request.canonicalize {
            job.canonicalize();
        }
        Ok(job)
    }
}

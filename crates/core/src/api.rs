//! The typed requests and responses of the Jobs API. They serialize exactly like Nomad's JSON
//! bodies (the seed's sample payloads and responses), so the agent only decodes and encodes.

use std::collections::BTreeMap;

use drover_model::{AllocMetric, Evaluation, Job, JobSubmission, decode_value};
use drover_plan::annotations::PlanAnnotations;
use drover_plan::diff::JobDiff;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{ApiError, ApiResult};

/// Who is asking and where: the parts of a request that every endpoint reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    /// The `namespace` query parameter; `None` means `default`. `*` only makes sense on lists.
    pub namespace: Option<String>,
    /// The `region` query parameter.
    pub region: Option<String>,
    /// The secret ID from `X-Nomad-Token` or `Authorization: Bearer`.
    pub token: Option<String>,
}

impl RequestContext {
    pub fn namespace(&self) -> &str {
        match self.namespace.as_deref() {
            None | Some("") => drover_model::job::DEFAULT_NAMESPACE,
            Some(ns) => ns,
        }
    }
}

/// A read's answer and the index a blocking query waits on (`X-Nomad-Index`).
#[derive(Debug, Clone, PartialEq)]
pub struct Read<T> {
    pub value: T,
    pub index: u64,
    /// `X-Nomad-NextToken`: where the next page starts; empty when this was the last page.
    pub next_token: String,
}

/// `GET /v1/jobs` options besides the namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListJobsOptions {
    pub prefix: String,
    pub per_page: i32,
    pub next_token: String,
    pub filter: String,
    pub reverse: bool,
    /// `meta=true` adds each job's Meta to its stub.
    pub meta: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobRegisterRequest {
    pub job: Option<Job>,
    /// The body's `Region` (the write request's, not the job's): it wins over `?region=`.
    pub region: String,
    /// The body's `Namespace`: used when `?namespace=` is not given.
    pub namespace: String,
    pub submission: Option<JobSubmission>,
    pub enforce_index: bool,
    pub job_modify_index: u64,
    pub policy_override: bool,
    pub preserve_counts: bool,
    pub preserve_resources: bool,
    pub eval_priority: i32,
}

/// The answer to register, update, evaluate, revert and scale.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobRegisterResponse {
    #[serde(rename = "EvalID")]
    pub eval_id: String,
    pub eval_create_index: u64,
    pub job_modify_index: u64,
    pub warnings: String,
    pub index: u64,
    pub last_contact: u64,
    pub known_leader: bool,
}

/// `DELETE /v1/job/:id` options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobDeregisterOptions {
    pub purge: bool,
    pub global: bool,
    /// 0 means the job's priority.
    pub eval_priority: i32,
    pub no_shutdown_delay: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobDeregisterResponse {
    #[serde(rename = "EvalID")]
    pub eval_id: String,
    pub eval_create_index: u64,
    pub job_modify_index: u64,
    #[serde(rename = "VolumeEvalID")]
    pub volume_eval_id: String,
    pub volume_eval_index: u64,
    pub index: u64,
    pub last_contact: u64,
    pub known_leader: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobPlanRequest {
    pub job: Option<Job>,
    pub region: String,
    pub namespace: String,
    pub diff: bool,
    pub policy_override: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobPlanResponse {
    pub annotations: Option<PlanAnnotations>,
    #[serde(rename = "FailedTGAllocs")]
    pub failed_tg_allocs: Option<BTreeMap<String, AllocMetric>>,
    /// The index to pass back as `JobModifyIndex` with `EnforceIndex` (the `-check-index`).
    pub job_modify_index: u64,
    pub created_evals: Option<Vec<Evaluation>>,
    pub diff: Option<JobDiff>,
    /// RFC 3339; Go's zero time ("0001-01-01T00:00:00Z") when the job is not periodic.
    pub next_periodic_launch: String,
    pub warnings: String,
    pub index: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobEvaluateRequest {
    #[serde(rename = "JobID")]
    pub job_id: String,
    pub eval_options: EvalOptions,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EvalOptions {
    pub force_reschedule: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobDispatchRequest {
    #[serde(rename = "JobID")]
    pub job_id: String,
    /// Base64 on the wire.
    #[serde(with = "drover_model::base64")]
    pub payload: Vec<u8>,
    #[serde(with = "drover_model::nullable")]
    pub meta: BTreeMap<String, String>,
    pub id_prefix_template: String,
    pub priority: i32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobDispatchResponse {
    #[serde(rename = "DispatchedJobID")]
    pub dispatched_job_id: String,
    #[serde(rename = "EvalID")]
    pub eval_id: String,
    pub eval_create_index: u64,
    pub job_create_index: u64,
    pub index: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobRevertRequest {
    #[serde(rename = "JobID")]
    pub job_id: String,
    pub job_version: u64,
    pub enforce_prior_version: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobStabilityRequest {
    #[serde(rename = "JobID")]
    pub job_id: String,
    pub job_version: u64,
    pub stable: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobStabilityResponse {
    pub index: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ScalingRequest {
    pub count: Option<i64>,
    /// Keys `Group`, `Job` and `Namespace`.
    #[serde(with = "drover_model::nullable")]
    pub target: BTreeMap<String, String>,
    pub message: String,
    pub error: bool,
    #[serde(with = "drover_model::nullable")]
    pub meta: BTreeMap<String, serde_json::Value>,
    pub policy_override: bool,
    pub job_modify_index: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PeriodicForceResponse {
    #[serde(rename = "EvalID")]
    pub eval_id: String,
    pub eval_create_index: u64,
    pub index: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobVersionsResponse {
    pub versions: Vec<Job>,
    pub diffs: Option<Vec<JobDiff>>,
    pub index: u64,
    pub known_leader: bool,
    pub last_contact: u64,
}

/// `GET /v1/job/:id/versions` options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobVersionsOptions {
    pub diffs: bool,
    pub diff_version: Option<u64>,
    pub diff_tag: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobsParseRequest {
    #[serde(rename = "JobHCL")]
    pub job_hcl: String,
    #[serde(rename = "HCLv1")]
    pub hcl_v1: bool,
    pub variables: String,
    pub canonicalize: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobValidateRequest {
    pub job: Option<Job>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobValidateResponse {
    pub driver_config_validated: bool,
    #[serde(with = "drover_model::nullable")]
    pub validation_errors: Vec<String>,
    pub error: String,
    pub warnings: String,
}

impl JobRegisterRequest {
    /// Decodes a `PUT/POST /v1/jobs` or `/v1/job/:id` body with the agent's checks that need
    /// the raw JSON (an absent `Job.ID` differs from an empty one).
    pub fn from_json(body: &[u8]) -> ApiResult<Self> {
        decode_job_request(body, "Job ID hasn't been provided")
    }
}

impl JobPlanRequest {
    /// Decodes a `POST /v1/job/:id/plan` body, with the agent's checks.
    pub fn from_json(body: &[u8]) -> ApiResult<Self> {
        decode_job_request(body, "Job must have a valid ID")
    }
}

/// A body `{"Job": {...}, ...}`: 400 when it is empty, malformed, has no job, or a job without
/// an `ID` member.
fn decode_job_request<T: DeserializeOwned>(body: &[u8], missing_id: &str) -> ApiResult<T> {
    if body.is_empty() {
        return Err(ApiError::bad_request("Request body is empty"));
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let job = value.get("Job").filter(|job| !job.is_null());
    let job_missing = job.is_none();
    let id_missing = job.is_some_and(|job| job.get("ID").is_none_or(Value::is_null));
    let request = decode_value(value, "").map_err(|e| ApiError::bad_request(e.to_string()))?;
    if job_missing {
        return Err(ApiError::bad_request("Job must be specified"));
    }
    if id_missing {
        return Err(ApiError::bad_request(missing_id));
    }
    Ok(request)
}

/// The answer to the deployment writes: promote, fail, pause or resume, set allocation
/// health (Nomad's `DeploymentUpdateResponse`). `EvalID` is empty when no evaluation was
/// created (a pause); `RevertedJobVersion` is set when the job was rolled back.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DeploymentUpdateResponse {
    #[serde(rename = "EvalID")]
    pub eval_id: String,
    pub eval_create_index: u64,
    pub deployment_modify_index: u64,
    pub reverted_job_version: Option<u64>,
    pub index: u64,
}

/// `PUT/POST /v1/acl/bootstrap` body (optional): the secret the bootstrap token should have.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AclBootstrapRequest {
    pub bootstrap_secret: String,
}

/// `PUT/POST /v1/acl/token` and `/v1/acl/token/:accessor` body: a token as clients send it.
/// An empty `AccessorID` creates a token (the server generates both IDs).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AclTokenRequest {
    #[serde(rename = "AccessorID")]
    pub accessor_id: String,
    pub name: String,
    #[serde(rename = "Type")]
    pub token_type: String,
    #[serde(with = "drover_model::nullable")]
    pub policies: Vec<String>,
    pub global: bool,
    /// RFC 3339.
    pub expiration_time: Option<String>,
    /// A Go duration (`"1h30m"`) or nanoseconds; sets the expiration time of a new token.
    #[serde(rename = "ExpirationTTL")]
    pub expiration_ttl: Option<Value>,
}

/// An entry of `GET /v1/acl/policies`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AclPolicyListStub {
    pub name: String,
    pub description: String,
    pub create_index: u64,
    pub modify_index: u64,
}

/// An entry of `GET /v1/acl/tokens`: the token without its secret.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AclTokenListStub {
    #[serde(rename = "AccessorID")]
    pub accessor_id: String,
    pub name: String,
    #[serde(rename = "Type")]
    pub token_type: String,
    #[serde(with = "drover_model::nullable")]
    pub policies: Vec<String>,
    pub global: bool,
    pub create_time: String,
    pub expiration_time: Option<String>,
    pub create_index: u64,
    pub modify_index: u64,
}

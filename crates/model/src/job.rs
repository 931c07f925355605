//! `Job`: the unit users submit, with the job-level blocks that hang off it, and `JobListStub`,
//! the row of the job list.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize, Serializer};
use smol_str::SmolStr;

use crate::{
    Affinity, Constraint, JobSummary, MigrateStrategy, Nanos, ReschedulePolicy, Spread, TaskGroup,
};

/// Job types (`Job.Type`). `_core` is internal: users can't submit it.
pub mod job_type {
    pub const SERVICE: &str = "service";
    pub const BATCH: &str = "batch";
    pub const SYSTEM: &str = "system";
    pub const SYSBATCH: &str = "sysbatch";
    pub const CORE: &str = "_core";
}

/// Job statuses (`Job.Status`).
pub mod job_status {
    pub const PENDING: &str = "pending";
    pub const RUNNING: &str = "running";
    pub const DEAD: &str = "dead";
}

pub const DEFAULT_NAMESPACE: &str = "default";
/// The namespace wildcard of list endpoints.
pub const ALL_NAMESPACES: &str = "*";
pub const DEFAULT_REGION: &str = "global";
pub const DEFAULT_NODE_POOL: &str = "default";
pub const ALL_NODE_POOLS: &str = "all";
pub const JOB_MIN_PRIORITY: i64 = 1;
pub const JOB_DEFAULT_PRIORITY: i64 = 50;
/// The highest value the `job_max_priority` setting may take.
pub const JOB_MAX_PRIORITY: i64 = 32766;
/// Priority of internal (`_core`) jobs.
pub const CORE_JOB_PRIORITY: i64 = 32767;
/// Suffixes between a parent's ID and a child's: `<parent>/periodic-<unix>`, `<parent>/dispatch-...`.
pub const PERIODIC_LAUNCH_SUFFIX: &str = "/periodic-";
pub const DISPATCH_LAUNCH_SUFFIX: &str = "/dispatch-";
/// The largest dispatch payload, in bytes (uncompressed).
pub const DISPATCH_PAYLOAD_SIZE_LIMIT: usize = 16 * 1024;

/// A job as Nomad's HTTP API carries it. Decoded from a request it may be partial; after
/// [`Job::canonicalize`] every default is filled in and it looks like Nomad's stored job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Job {
    pub stop: bool,
    pub region: SmolStr,
    pub namespace: SmolStr,
    #[serde(rename = "ID")]
    pub id: SmolStr,
    #[serde(rename = "ParentID")]
    pub parent_id: SmolStr,
    pub name: SmolStr,
    /// One of [`job_type`]; a string because it holds user input until validation.
    #[serde(rename = "Type")]
    pub job_type: SmolStr,
    pub priority: i64,
    pub all_at_once: bool,
    #[serde(with = "crate::nullable")]
    pub datacenters: Vec<SmolStr>,
    pub node_pool: SmolStr,
    #[serde(with = "crate::nullable")]
    pub constraints: Vec<Constraint>,
    #[serde(with = "crate::nullable")]
    pub affinities: Vec<Affinity>,
    #[serde(with = "crate::nullable")]
    pub spreads: Vec<Spread>,
    #[serde(with = "crate::nullable")]
    pub task_groups: Vec<Arc<TaskGroup>>,
    /// On input, the job-wide update block that groups inherit; once canonical, Nomad keeps only
    /// `Stagger` and `MaxParallel` here.
    pub update: Option<UpdateStrategy>,
    pub multiregion: Option<Multiregion>,
    pub periodic: Option<PeriodicConfig>,
    pub parameterized_job: Option<ParameterizedJobConfig>,
    /// Input only: a job-wide reschedule block, merged into every group by canonicalization.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reschedule: Option<ReschedulePolicy>,
    /// Input only: a job-wide migrate block, merged into every group by canonicalization.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub migrate: Option<MigrateStrategy>,
    pub dispatched: bool,
    pub dispatch_idempotency_token: SmolStr,
    /// Base64 on the wire, `null` when empty.
    #[serde(with = "crate::base64")]
    pub payload: Vec<u8>,
    #[serde(with = "crate::nullable")]
    pub meta: BTreeMap<String, String>,
    pub consul_namespace: SmolStr,
    pub vault_namespace: SmolStr,
    #[serde(rename = "NomadTokenID")]
    pub nomad_token_id: SmolStr,
    pub status: SmolStr,
    pub status_description: SmolStr,
    pub stable: bool,
    pub version: u64,
    /// Unix nanoseconds.
    pub submit_time: i64,
    pub create_index: u64,
    pub modify_index: u64,
    pub job_modify_index: u64,
    #[serde(rename = "UI")]
    pub ui: Option<JobUi>,
    pub version_tag: Option<VersionTag>,
}

/// How updates roll out. Every field is optional on input because Nomad merges the group's
/// block over the job's and then over the defaults field by field; canonicalization fills all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct UpdateStrategy {
    pub stagger: Option<Nanos>,
    pub max_parallel: Option<i64>,
    /// One of [`health_check`].
    pub health_check: Option<String>,
    pub min_healthy_time: Option<Nanos>,
    pub healthy_deadline: Option<Nanos>,
    pub progress_deadline: Option<Nanos>,
    pub auto_revert: Option<bool>,
    pub auto_promote: Option<bool>,
    pub canary: Option<i64>,
}

/// Health check kinds of update and migrate blocks.
pub mod health_check {
    pub const CHECKS: &str = "checks";
    pub const TASK_STATES: &str = "task_states";
    pub const MANUAL: &str = "manual";
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Multiregion {
    pub strategy: Option<MultiregionStrategy>,
    #[serde(with = "crate::nullable")]
    pub regions: Vec<MultiregionRegion>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct MultiregionStrategy {
    pub max_parallel: i64,
    pub on_failure: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct MultiregionRegion {
    pub name: String,
    pub count: i64,
    #[serde(with = "crate::nullable")]
    pub datacenters: Vec<String>,
    pub node_pool: String,
    #[serde(with = "crate::nullable")]
    pub meta: BTreeMap<String, String>,
}

impl Default for MultiregionRegion {
    /// A region places one copy of each group unless told otherwise.
    fn default() -> Self {
        Self {
            name: String::new(),
            count: 1,
            datacenters: Vec::new(),
            node_pool: String::new(),
            meta: BTreeMap::new(),
        }
    }
}

/// `periodic`: launch a child job on a cron schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PeriodicConfig {
    pub enabled: bool,
    pub spec: String,
    #[serde(with = "crate::nullable")]
    pub specs: Vec<String>,
    pub spec_type: String,
    pub prohibit_overlap: bool,
    pub time_zone: String,
}

pub const PERIODIC_SPEC_CRON: &str = "cron";

impl Default for PeriodicConfig {
    /// A periodic block is enabled unless it says otherwise.
    fn default() -> Self {
        Self {
            enabled: true,
            spec: String::new(),
            specs: Vec::new(),
            spec_type: String::new(),
            prohibit_overlap: false,
            time_zone: String::new(),
        }
    }
}

/// `parameterized`: the job is a template that `dispatch` instantiates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ParameterizedJobConfig {
    /// One of [`dispatch_payload`].
    pub payload: String,
    #[serde(with = "crate::nullable")]
    pub meta_required: Vec<String>,
    #[serde(with = "crate::nullable")]
    pub meta_optional: Vec<String>,
}

/// Payload requirements of a parameterized job.
pub mod dispatch_payload {
    pub const OPTIONAL: &str = "optional";
    pub const REQUIRED: &str = "required";
    pub const FORBIDDEN: &str = "forbidden";
}

/// `ui`: what the web UI shows for the job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobUi {
    pub description: String,
    #[serde(with = "crate::nullable")]
    pub links: Vec<JobUiLink>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobUiLink {
    pub label: String,
    #[serde(rename = "URL")]
    pub url: String,
}

/// A name given to one version of a job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VersionTag {
    pub name: String,
    pub description: String,
    /// Unix nanoseconds.
    pub tagged_time: i64,
}

/// One row of `GET /v1/jobs`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobListStub {
    #[serde(rename = "ID")]
    pub id: SmolStr,
    #[serde(rename = "ParentID")]
    pub parent_id: SmolStr,
    pub name: SmolStr,
    pub namespace: SmolStr,
    #[serde(with = "crate::nullable")]
    pub datacenters: Vec<SmolStr>,
    pub node_pool: SmolStr,
    pub multiregion: Option<Multiregion>,
    #[serde(rename = "Type")]
    pub job_type: SmolStr,
    pub priority: i64,
    pub periodic: bool,
    pub parameterized_job: bool,
    pub stop: bool,
    pub status: SmolStr,
    pub status_description: SmolStr,
    pub job_summary: Option<JobSummary>,
    pub create_index: u64,
    pub modify_index: u64,
    pub job_modify_index: u64,
    pub submit_time: i64,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<String, String>,
}

/// A row of `GET /v1/jobs` that shares the stored job and summary instead of copying them
/// into a [`JobListStub`]: a list of 100k jobs costs two reference counts per row, and it
/// serializes exactly as the stub would.
#[derive(Debug, Clone, PartialEq)]
pub struct JobListEntry {
    pub job: Arc<Job>,
    pub summary: Option<Arc<JobSummary>>,
    /// Whether the row shows the job's `Meta` (`meta=true`).
    pub with_meta: bool,
}

impl JobListEntry {
    /// The owned stub this entry stands for.
    pub fn to_stub(&self) -> JobListStub {
        let mut stub = self.job.stub(self.summary.as_deref().cloned());
        if !self.with_meta {
            stub.meta.clear();
        }
        stub
    }
}

impl Serialize for JobListEntry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        static NO_META: BTreeMap<String, String> = BTreeMap::new();
        let job = &*self.job;
        StubView {
            id: &job.id,
            parent_id: &job.parent_id,
            name: &job.name,
            namespace: &job.namespace,
            datacenters: &job.datacenters,
            node_pool: &job.node_pool,
            multiregion: &job.multiregion,
            job_type: &job.job_type,
            priority: job.priority,
            periodic: job.is_periodic(),
            parameterized_job: job.is_parameterized(),
            stop: job.stop,
            status: &job.status,
            status_description: &job.status_description,
            job_summary: self.summary.as_deref(),
            create_index: job.create_index,
            modify_index: job.modify_index,
            job_modify_index: job.job_modify_index,
            submit_time: job.submit_time,
            meta: if self.with_meta { &job.meta } else { &NO_META },
        }
        .serialize(serializer)
    }
}

/// [`JobListStub`]'s wire form over borrowed fields (the same names, order and attributes).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct StubView<'a> {
    #[serde(rename = "ID")]
    id: &'a str,
    #[serde(rename = "ParentID")]
    parent_id: &'a str,
    name: &'a str,
    namespace: &'a str,
    #[serde(with = "crate::nullable")]
    datacenters: &'a Vec<SmolStr>,
    node_pool: &'a str,
    multiregion: &'a Option<Multiregion>,
    #[serde(rename = "Type")]
    job_type: &'a str,
    priority: i64,
    periodic: bool,
    parameterized_job: bool,
    stop: bool,
    status: &'a str,
    status_description: &'a str,
    job_summary: Option<&'a JobSummary>,
    create_index: u64,
    modify_index: u64,
    job_modify_index: u64,
    submit_time: i64,
    #[serde(skip_serializing_if = "no_meta")]
    meta: &'a BTreeMap<String, String>,
}

fn no_meta(meta: &&BTreeMap<String, String>) -> bool {
    meta.is_empty()
}

impl Job {
    pub fn is_periodic(&self) -> bool {
        self.periodic.is_some()
    }

    /// A parameterized parent; its dispatched children are not.
    pub fn is_parameterized(&self) -> bool {
        self.parameterized_job.is_some() && !self.dispatched
    }

    pub fn is_multiregion(&self) -> bool {
        self.multiregion
            .as_ref()
            .is_some_and(|m| !m.regions.is_empty())
    }

    pub fn lookup_task_group(&self, name: &str) -> Option<&TaskGroup> {
        self.task_groups
            .iter()
            .find(|tg| tg.name == name)
            .map(Arc::as_ref)
    }

    /// The row of the job list, with the job's summary when the caller has one.
    pub fn stub(&self, summary: Option<JobSummary>) -> JobListStub {
        JobListStub {
            id: self.id.clone(),
            parent_id: self.parent_id.clone(),
            name: self.name.clone(),
            namespace: self.namespace.clone(),
            datacenters: self.datacenters.clone(),
            node_pool: self.node_pool.clone(),
            multiregion: self.multiregion.clone(),
            job_type: self.job_type.clone(),
            priority: self.priority,
            periodic: self.is_periodic(),
            parameterized_job: self.is_parameterized(),
            stop: self.stop,
            status: self.status.clone(),
            status_description: self.status_description.clone(),
            job_summary: summary,
            create_index: self.create_index,
            modify_index: self.modify_index,
            job_modify_index: self.job_modify_index,
            submit_time: self.submit_time,
            meta: self.meta.clone(),
        }
    }
}

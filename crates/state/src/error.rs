//! `StateError`: why a command could not apply, or why bytes could not be decoded.
//!
//! Texts follow Nomad's where Nomad has one (Go's `%q` quoting is rendered with Rust's `{:?}`,
//! which agrees for ordinary IDs).

/// Everything that can go wrong in this crate. A command that fails leaves the store unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    #[error("index {index} is not after the latest index {latest}")]
    StaleIndex { index: u64, latest: u64 },
    #[error("job {job:?} is in nonexistent namespace {namespace:?}")]
    NonexistentNamespace { job: String, namespace: String },
    #[error("Enforcing job modify index {expected}: {reason}")]
    EnforceIndex { expected: u64, reason: String },
    #[error("job {job:?} in namespace {namespace:?} doesn't exist to be deregistered")]
    JobNotFoundToDeregister { job: String, namespace: String },
    #[error("job not found")]
    JobNotFound,
    #[error("job {job:?} in namespace {namespace:?} not found for allocation {alloc:?}")]
    UnknownJobForAlloc {
        alloc: String,
        job: String,
        namespace: String,
    },
    #[error("attempting to upsert allocation {0:?} without a job")]
    AllocWithoutJob(String),
    #[error("unable to find eval id {0:?}")]
    EvalNotFound(String),
    #[error("unknown alloc {0:?}")]
    AllocNotFound(String),
    #[error("alloc {alloc:?} is not part of deployment {deployment:?}")]
    AllocNotInDeployment { alloc: String, deployment: String },
    #[error("job summary for job {job:?} in namespace {namespace:?} is not present")]
    SummaryMissing { job: String, namespace: String },
    #[error("unable to find task group in the job summary: {0}")]
    SummaryGroupMissing(String),
    #[error("node not found")]
    NodeNotFound,
    #[error("node ids missing")]
    NodeIdsMissing,
    #[error("can not set node's scheduling eligibility to eligible while it is draining")]
    EligibleWhileDraining,
    #[error("Deployment ID {0:?} couldn't be updated as it does not exist")]
    DeploymentNotFound(String),
    #[error("Deployment {id:?} has terminal status {status:?}:")]
    DeploymentTerminal { id: String, status: String },
    #[error("deployment promotion cannot be undone")]
    PromotionUndone,
    /// One line per task group lacking healthy canaries, in Nomad's words.
    #[error("{0}")]
    UnhealthyCanaries(String),
    #[error("tag {tag:?} already exists on a different version of job {job:?}")]
    TagExists { tag: String, job: String },
    #[error("tag {tag:?} not found on job {job:?}")]
    TagNotFound { tag: String, job: String },
    #[error("job {job:?} version {version} not found")]
    JobVersionNotFound { job: String, version: u64 },
    #[error("namespace not found")]
    NamespaceNotFound,
    #[error("default namespace can not be deleted")]
    DefaultNamespaceDelete,
    #[error(
        "namespace {namespace:?} contains at least one non-terminal job {job:?}. All jobs must be terminal in namespace before it can be deleted"
    )]
    NamespaceNotEmpty { namespace: String, job: String },
    /// Bytes that are not a valid frame or payload, at this byte offset of the input.
    #[error("corrupt data at byte {offset}: {reason}")]
    Corrupt { offset: u64, reason: String },
    /// The input ended inside a frame that starts at this byte offset.
    #[error("truncated frame at byte {offset}")]
    Truncated { offset: u64 },
    #[error("unsupported format version {0}")]
    UnsupportedVersion(u32),
    #[error("encoding failed: {0}")]
    Encode(String),
    #[error("i/o error: {0}")]
    Io(String),
}

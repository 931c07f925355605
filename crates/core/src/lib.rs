//! drover-core: the engine that embeds the state store, the schedulers and the evaluation broker
//! and answers the Jobs API as typed Rust calls.
//!
//! It does no I/O: time comes from an injected [`Clock`], IDs and shuffles from a seeded
//! source ([`EngineConfig::seed`]), and every change goes through a [`Log`] the embedder
//! provides ([`MemoryLog`] here; the agent adds a durable one). Frontends decode requests into
//! the types of [`api`], call the [`Engine`], and encode the answers; errors are [`ApiError`]s
//! carrying Nomad's HTTP status and text. Threads are the embedder's too: the engine never
//! spawns one, and frontends run workers ([`Engine::run_worker`]) on their own.
//!
//! It must not know about HTTP routing, sockets, files or wall clocks.

pub mod acl;
mod acl_api;
mod admission;
mod allocations;
pub mod api;
mod applier;
mod authorize;
mod clock;
mod config;
mod deployments;
mod engine;
pub mod error;
mod ids;
mod job_actions;
mod job_dispatch;
mod job_history;
mod job_list_json;
mod job_parse;
mod job_periodic;
mod job_plan;
mod job_scale;
mod job_tags;
mod jobs;
mod list_filter;
mod log;
mod namespaces;
mod nodes;
pub mod periodic;
mod services;
pub mod tables;
mod worker;

pub use allocations::{AllocStopOptions, AllocStopResponse};
pub use clock::{Clock, ManualClock};
pub use config::EngineConfig;
pub use engine::Engine;
pub use error::{ApiError, ApiResult, EngineError, LogError};
pub use ids::IdSource;
pub use job_actions::JobAction;
pub use job_list_json::{CHUNK, JobListChunks};
pub use job_tags::{JobTagRequest, JobTagResponse};
pub use list_filter::ListFilter;
pub use log::{Log, MemoryLog};

// Embedders (the agent) build nodes and client updates and read snapshots with these types; they
// depend on this crate alone. The CLI parses jobspecs locally and prints plan diffs.
pub use drover_jobspec as jobspec;
pub use drover_model as model;
pub use drover_plan as plan;
pub use drover_state as state;

//! drover-core: the engine that embeds the state store, the schedulers and the evaluation broker
//! and answers the Jobs API as typed Rust calls.
//!
//! It does no I/O: time comes from an injected clock, IDs and shuffles from an injected seeded
//! source, and every change goes through a `Log` the embedder provides (in memory here; the
//! agent adds a durable one). Frontends decode requests into the types of [`api`] and encode the
//! answers; errors are [`ApiError`]s carrying Nomad's HTTP status and text.

pub mod api;
pub mod error;

pub use error::{ApiError, ApiResult};

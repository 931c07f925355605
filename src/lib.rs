//! drover: an embeddable re-implementation of the Nomad server core around the Jobs HTTP API.
//!
//! This root crate only re-exports the workspace crates so that embedders, integration tests and
//! benchmarks can depend on one name. Each crate documents what it owns in its own `lib.rs`.

pub use drover_broker as broker;
pub use drover_core as core;
pub use drover_filter as filter;
pub use drover_jobspec as jobspec;
pub use drover_model as model;
pub use drover_plan as plan;
pub use drover_state as state;

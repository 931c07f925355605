//! drover-agent: the `drover` binary's library. It serves Nomad's HTTP API (axum) over the
//! engine, runs `drover agent -dev` with an in-memory store and simulated client nodes, runs
//! the scheduler workers on threads and moves engine time with the wall clock.
//!
//! It owns every socket, thread, signal and clock reading of drover; the engine behind it knows
//! none of them. It must not hold Jobs API semantics itself: each route decodes the request,
//! calls the engine and encodes the answer with Nomad's status codes and headers.

mod agent;
pub mod cli;
mod clock;
pub mod config;
pub mod duration;
mod error;
pub mod http;
pub mod sim;
pub mod wal;

pub use agent::{Agent, run};
pub use clock::SystemClock;
pub use config::{AgentArgs, AgentConfig, SimConfig};
pub use error::AgentError;

//! `AgentError`: why the agent could not start or stopped.

use std::net::SocketAddr;
use std::path::PathBuf;

use drover_core::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The flags ask for something this build does not do.
    #[error("{0}")]
    Unsupported(String),
    #[error("failed to bind the HTTP API to {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("HTTP server failed: {0}")]
    Serve(std::io::Error),
    #[error("failed to start the state store's reclaimer thread: {0}")]
    Reclaimer(std::io::Error),
    #[error("failed to register the simulated nodes: {0}")]
    SimulatedNodes(ApiError),
    /// A file of the data directory could not be read or written.
    #[error("{what} {}: {source}", path.display())]
    Storage {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// The data directory holds something recovery cannot use.
    #[error("cannot recover from {}: {reason}", path.display())]
    Recovery { path: PathBuf, reason: String },
    /// A CLI command was given arguments it cannot use.
    #[error("{0}")]
    Usage(String),
    /// The CLI could not reach the agent (Go's client error text).
    #[error("{method} {url:?}: {source}")]
    Http {
        method: String,
        url: String,
        source: std::io::Error,
    },
    /// The agent answered the CLI with an error status (Nomad's client error text).
    #[error("Unexpected response code: {status} ({body})")]
    Api { status: u16, body: String },
    /// The agent's answer is not the JSON the CLI expects.
    #[error("failed to decode the answer to {path}: {reason}")]
    Decode { path: String, reason: String },
}

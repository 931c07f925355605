//! `AgentError`: why the agent could not start or stopped.

use std::net::SocketAddr;

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
    #[error("failed to register the simulated nodes: {0}")]
    SimulatedNodes(ApiError),
}

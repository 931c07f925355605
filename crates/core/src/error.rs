//! Errors: [`ApiError`], an error as the HTTP API reports it (a status code and Nomad's text),
//! and [`EngineError`], what can go wrong inside the engine itself (the log, the broker, the
//! scheduler). [`LogError`] is what a [`crate::Log`] reports.

use std::fmt;

use drover_broker::BrokerError;
use drover_state::StateError;

/// An error with the HTTP status Nomad answers it with. The agent writes `message` as a
/// `text/plain` body; embedders match on `status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub message: String,
    /// `X-Nomad-Index` for reads that answer "not found" after running their query (Nomad
    /// sets the query meta before it returns the 404); blocking queries wait on it.
    pub index: Option<u64>,
}

impl ApiError {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            index: None,
        }
    }

    /// 400: the request itself is malformed (Nomad's agent-side checks).
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }

    /// 403: the ACL check failed.
    pub fn permission_denied() -> Self {
        Self::new(403, "Permission denied")
    }

    /// 404: the thing asked for does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, message)
    }

    /// 500: what Nomad answers for server-side failures, validation and check-and-set among
    /// them (its RPC errors carry no code).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, message)
    }

    /// The same error, answered at `index`.
    pub fn at_index(mut self, index: u64) -> Self {
        self.index = Some(index);
        self
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.status)
    }
}

impl std::error::Error for ApiError {}

pub type ApiResult<T> = Result<T, ApiError>;

/// Why a [`crate::Log`] could not make an entry durable. Nothing was committed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("log append failed: {0}")]
pub struct LogError(pub String);

/// What can fail inside the engine, below the API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Log(#[from] LogError),
    /// A command was refused by the store (checked on a private copy before anything was
    /// appended, so nothing was committed).
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Broker(#[from] BrokerError),
    /// The scheduler failed on an evaluation; the evaluation was nacked.
    #[error("scheduler failed on evaluation {eval_id:?}: {message}")]
    Scheduler { eval_id: String, message: String },
}

impl From<EngineError> for ApiError {
    /// Nomad answers server-side failures with a 500 and the error text.
    fn from(error: EngineError) -> Self {
        ApiError::internal(error.to_string())
    }
}

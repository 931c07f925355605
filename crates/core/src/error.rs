//! `ApiError`: an error as the HTTP API reports it, a status code and Nomad's text.

use std::fmt;

/// An error with the HTTP status Nomad answers it with. The agent writes `message` as a
/// `text/plain` body; embedders match on `status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub message: String,
}

impl ApiError {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
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
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.status)
    }
}

impl std::error::Error for ApiError {}

pub type ApiResult<T> = Result<T, ApiError>;

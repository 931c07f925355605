//! The one error enum of the crate, with Nomad's texts.

/// Why the broker refused an operation on a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BrokerError {
    /// The broker is disabled (this server is not the leader).
    #[error("eval broker disabled")]
    Disabled,
    /// The evaluation is not handed out right now, so it cannot be acknowledged.
    #[error("evaluation is not outstanding")]
    NotOutstanding,
    /// The evaluation is handed out under another token: another worker owns it.
    #[error("evaluation token does not match")]
    TokenMismatch,
    /// This delivery's nack timer fired before the worker answered.
    #[error("evaluation nack timeout reached")]
    NackTimeoutReached,
}

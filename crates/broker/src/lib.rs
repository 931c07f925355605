//! drover-broker: where evaluations wait for the scheduler. The [`EvalBroker`] queues evaluations
//! by scheduler type and priority, hands them to workers with at-least-once delivery and keeps at
//! most one evaluation per job in flight; [`BlockedEvals`] holds evaluations that could not place
//! everything until capacity changes; [`SharedBroker`] lets worker threads wait for work.
//!
//! Sans-IO: no clock, timer, thread or randomness inside. Time is an argument ([`Time`], unix
//! nanoseconds); timers fire when the embedder calls `tick(now)`, and `next_deadline()` says when
//! that is due. It knows evaluations only as `drover_model::Evaluation` values: nothing of the
//! state store, the scheduler or the Raft log. The two structures do not know each other: the
//! caller moves released blocked evaluations into the broker.

mod blocked;
mod broker;
mod error;
mod shared;
mod time;

pub use blocked::{BlockedConfig, BlockedEvals, BlockedStats, Released};
pub use broker::{BrokerConfig, BrokerStats, EvalBroker, FAILED_QUEUE, SchedulerStats, Token};
pub use error::BrokerError;
pub use shared::{Clock, SharedBroker};
pub use time::Time;

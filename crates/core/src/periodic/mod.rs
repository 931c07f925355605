//! Periodic jobs (Nomad's `PeriodicDispatch`, `nomad/periodic.go`): when a periodic job
//! launches next, which launches are due, and the child job each launch registers.
//!
//! Everything here is pure. Time is an argument, in unix nanoseconds, and what the dispatcher
//! needs to know of the cluster comes through [`PeriodicState`], which
//! [`drover_state::Snapshot`] implements. Cron specs are read by [`drover_model::cron`], which
//! is also what `Job::validate` uses to refuse a bad spec.
//!
//! # Wiring it into the engine
//!
//! The engine owns one [`PeriodicDispatcher`] (a leader's; it is rebuilt on start-up):
//!
//! - **Start-up / leadership**: `let launches = dispatcher.restore(jobs, now, &snapshot)` with
//!   every job of the snapshot. It tracks the active periodic jobs and returns one catch-up
//!   launch (at `now`) for each job whose next launch after its recorded `periodic_launch`
//!   is already past, unless `ProhibitOverlap` holds and a child still runs.
//! - **After every commit that writes a job** (register, revert, scale, stop, a child
//!   launch): `dispatcher.add(&job, now)`. It tracks the job, re-reads an updated spec, and
//!   drops a job that became disabled, stopped or non-periodic. On a purge:
//!   `dispatcher.remove(namespace, id)`. Adding a job that is not periodic is a no-op, so
//!   the engine can call `add` for every job it writes.
//! - **`Engine::tick(now)`**: `let launches = dispatcher.tick(now, &snapshot)`, then for each
//!   [`Launch`]: read the parent from the snapshot (skip it if it is gone), build the child with
//!   [`derive_child`]`(&parent, launch.launch_time)` and commit it with a pending
//!   evaluation of the child's type and priority, triggered by `periodic-job` (Nomad's
//!   `DispatchJob`: no admission checks run, `SubmitTime` is now, and the store records the
//!   parent's `periodic_launch`).
//!   [`PeriodicDispatcher::next_deadline`] says when the next launch is due, so the embedder
//!   knows when to tick next; it is at or before `now` when a tick left launches for the next
//!   one ([`MAX_LAUNCHES_PER_TICK`]).
//! - **`POST /v1/job/:id/periodic/force`**: look the job up (`"job not found"` is the
//!   engine's), then `dispatcher.force(&job, now)?` and launch as above; the
//!   [`PeriodicError`] converts into Nomad's 500.
//! - **Plan's `NextPeriodicLaunch`**: for an enabled periodic job,
//!   [`next_launch`]`(periodic, now)`; `None` is Go's zero time.

mod child;
mod dispatcher;
mod schedule;

use drover_model::cron::CronError;
use drover_model::gotext::quote;

use crate::error::ApiError;

pub use child::derive_child;
pub use dispatcher::{Launch, MAX_LAUNCHES_PER_TICK, PeriodicDispatcher, PeriodicState};
pub use schedule::next_launch;

/// What can go wrong with a periodic job, in Nomad's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodicError {
    /// A spec validation would have refused (a job stored before the rule existed).
    #[error("failed parsing cron expression: {spec}: {error}")]
    InvalidSpec { spec: String, error: CronError },
    #[error("unknown time zone {0}")]
    InvalidTimeZone(String),
    #[error("can't force launch non-periodic job")]
    NotPeriodic,
    /// A disabled, stopped or parameterized periodic job.
    #[error(
        "force launch for job {} failed: can't force run non-tracked job {} ({namespace})",
        quote(.job_id),
        quote(.job_id)
    )]
    NotTracked { namespace: String, job_id: String },
}

impl From<PeriodicError> for ApiError {
    /// Nomad answers every periodic failure with a 500.
    fn from(error: PeriodicError) -> Self {
        ApiError::internal(error.to_string())
    }
}

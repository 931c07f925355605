//! Freeing what a commit replaced, off the writer's path.
//!
//! A committed write leaves behind the values it replaced, held by its journal: a job write
//! retires the version [`JOB_TRACKED_VERSIONS`](crate::JOB_TRACKED_VERSIONS) writes back, and
//! freeing it walks a job, its groups and their strings on memory untouched since it was
//! written: about a third of a batch of 1,000 job writes. Nothing reads those values again, so
//! a store given a [`Reclaimer`] hands a large commit's to it once the commit stands, and
//! frees them in place otherwise. [`spawn_reclaimer`] frees them on a thread of its own, as
//! Nomad's Go runtime collects garbage beside its state machine.

use std::sync::mpsc;
use std::thread;

use crate::apply::Journal;

/// What one commit replaced. Dropping it frees it.
pub struct Retired(#[expect(dead_code, reason = "held to be dropped")] pub(crate) Journal);

impl std::fmt::Debug for Retired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Retired").finish_non_exhaustive()
    }
}

/// Takes what each commit replaced; called by the writer just after the commit.
pub type Reclaimer = Box<dyn Fn(Retired) + Send + Sync>;

/// Fewer writes than this are freed by the writer: waking the reclaimer thread (a system
/// call) costs more than freeing one job's leftovers.
pub(crate) const MIN_WRITES: usize = 64;

/// How many commits' leftovers may wait for the reclaimer thread. A writer that gets that far
/// ahead frees its own, so memory does not pile up behind a slow thread.
const BACKLOG: usize = 64;

/// A reclaimer that frees on a thread named `drover-reclaim`, which ends when the store (the
/// last holder of the reclaimer) is dropped.
pub fn spawn_reclaimer() -> std::io::Result<Reclaimer> {
    let (send, receive) = mpsc::sync_channel::<Retired>(BACKLOG);
    thread::Builder::new()
        .name("drover-reclaim".to_string())
        .spawn(move || receive.into_iter().for_each(drop))?;
    // A full backlog gives the value back in the error, and it is freed here.
    Ok(Box::new(move |retired| drop(send.try_send(retired))))
}

//! `WalLog`: the engine's [`Log`] on disk. Each append is one frame written to the active
//! segment and synced (`fdatasync`) before it returns, so an acknowledged write survives a
//! crash. The engine appends under its writer lock, one entry at a time, so there is nothing
//! to batch under one sync.
//!
//! A failed write or sync leaves the segment in a state the process cannot know (the kernel may
//! have dropped the dirty pages), so the log refuses every later append: the agent keeps
//! serving reads and a restart recovers from what is on disk.

use std::fs::{self, File};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::SyncSender;

use drover_core::state::Command;
use drover_core::{Log, LogError};

use super::segments::{self, ActiveSegment};
use super::{Request, WalOptions};
use crate::error::AgentError;

/// See the module documentation.
#[derive(Debug)]
pub struct WalLog {
    dir: PathBuf,
    options: WalOptions,
    active: ActiveSegment,
    /// First indexes of the segments before the active one, oldest first.
    closed: Vec<u64>,
    next_index: u64,
    /// Start a new segment before the next entry.
    rotate: bool,
    since_snapshot: u64,
    /// Asks for a snapshot; `None` when nobody takes them (tests of the log alone).
    snapshot_requests: Option<SyncSender<Request>>,
    /// Segments holding only entries up to this index may be deleted (a snapshot covers them).
    compact_through: Arc<AtomicU64>,
    /// Set by the first failed write: why the log refuses appends.
    failed: Option<String>,
    /// The data directory's lock, held as long as the log is open.
    _lock: File,
}

impl WalLog {
    /// A log whose next entry is `next_index`, in a new segment after `closed`.
    pub(super) fn open(
        dir: PathBuf,
        options: WalOptions,
        closed: Vec<u64>,
        next_index: u64,
        lock: File,
    ) -> Result<WalLog, AgentError> {
        let active = ActiveSegment::create(&dir, next_index)?;
        Ok(WalLog {
            dir,
            options,
            active,
            closed,
            next_index,
            rotate: false,
            since_snapshot: 0,
            snapshot_requests: None,
            compact_through: Arc::new(AtomicU64::new(0)),
            failed: None,
            _lock: lock,
        })
    }

    /// Sends a request on `requests` every `snapshot_threshold` entries.
    pub(super) fn request_snapshots(&mut self, requests: SyncSender<Request>) {
        self.snapshot_requests = Some(requests);
    }

    /// Where a snapshot writer tells the log how far it may delete segments.
    pub fn compaction(&self) -> Arc<AtomicU64> {
        self.compact_through.clone()
    }

    /// The segment files on disk, oldest first.
    pub fn segments(&self) -> Vec<PathBuf> {
        self.closed
            .iter()
            .chain([&self.active.first_index])
            .map(|first| segments::path(&self.dir, *first))
            .collect()
    }

    fn fail(&mut self, what: &str, error: impl std::fmt::Display) -> LogError {
        let path = segments::path(&self.dir, self.active.first_index);
        let reason = format!("{what} {}: {error}", path.display());
        tracing::error!(%reason, "the write-ahead log refuses further writes");
        self.failed = Some(reason.clone());
        LogError(reason)
    }

    /// Starts a new segment whose first entry is `index`.
    fn rotate(&mut self, index: u64) -> Result<(), LogError> {
        let next = ActiveSegment::create(&self.dir, index)
            .map_err(|e| self.fail("failed to start the segment after", e))?;
        let previous = std::mem::replace(&mut self.active, next);
        self.closed.push(previous.first_index);
        self.rotate = false;
        Ok(())
    }

    /// Deletes the closed segments whose every entry a snapshot covers. A segment ends where
    /// the next one starts. A failure only delays the deletion.
    fn compact(&mut self) {
        let through = self.compact_through.load(Ordering::Acquire);
        let covered = self
            .closed
            .iter()
            .zip(self.closed.iter().skip(1).chain([&self.active.first_index]))
            .take_while(|(_, next)| **next - 1 <= through)
            .count();
        let mut deleted = 0;
        for first in &self.closed[..covered] {
            let path = segments::path(&self.dir, *first);
            if let Err(error) = fs::remove_file(&path) {
                tracing::warn!(path = %path.display(), %error, "failed to delete a compacted segment");
                break;
            }
            tracing::debug!(path = %path.display(), through, "deleted a segment a snapshot covers");
            deleted += 1;
        }
        self.closed.drain(..deleted);
    }
}

impl Log for WalLog {
    fn append(&mut self, index: u64, command: &Command) -> Result<(), LogError> {
        if let Some(reason) = &self.failed {
            return Err(LogError(format!(
                "the write-ahead log stopped after a failed write ({reason}); restart the agent"
            )));
        }
        if index != self.next_index {
            return Err(LogError(format!(
                "log index {index} out of order: the next entry is {}",
                self.next_index
            )));
        }
        let frame = segments::frame(index, command).map_err(|e| LogError(e.to_string()))?;
        if self.rotate {
            self.rotate(index)?;
        }
        self.compact();
        self.active
            .append(&frame)
            .map_err(|e| self.fail("failed to append to", e))?;
        self.next_index += 1;
        self.since_snapshot += 1;
        if self.since_snapshot >= self.options.snapshot_threshold
            && let Some(requests) = &self.snapshot_requests
            && requests.try_send(Request::Snapshot).is_ok()
        {
            // The snapshot will cover everything up to here: start the next entry in a new
            // segment so that the current one can go once it is written.
            self.since_snapshot = 0;
            self.rotate = true;
        }
        if self.active.len >= self.options.segment_bytes {
            self.rotate = true;
        }
        Ok(())
    }
}

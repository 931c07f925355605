//! Durable storage for `drover agent -data-dir DIR`: the engine's command log as a write-ahead
//! log, snapshots of the state, and recovery on start.
//!
//! ```text
//! DIR/server/LOCK                      held while an agent has the directory open
//! DIR/server/wal/<first index>.wal     log segments (drover-state command streams)
//! DIR/server/snapshots/<index>.snap    the state at that index (drover-state snapshot streams)
//! ```
//!
//! Recovery loads the newest snapshot that reads back whole, replays the log entries after its
//! index, and starts the engine from that state ([`Engine::restore`] re-enqueues pending
//! evaluations and re-blocks blocked ones, as a new Nomad leader does). A segment that ends in a
//! torn or corrupt frame is cut back to its last complete frame, and the offset is logged;
//! later segments are set aside (renamed `.discarded`), since entries after a gap cannot apply.
//!
//! Every `snapshot_threshold` entries the log asks a background thread for a snapshot; once
//! written, segments older than the older of the two snapshots kept are deleted.

mod log;
mod segments;
mod snapshots;

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex, Weak};
use std::thread::JoinHandle;

use drover_core::state::{Snapshot, StateStore};
use drover_core::{Clock, Engine, EngineConfig};

pub use log::WalLog;
pub use segments::Damage;

use crate::error::AgentError;

/// When segments roll over and snapshots are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalOptions {
    /// A segment that reaches this size is closed and a new one started.
    pub segment_bytes: u64,
    /// A snapshot is taken after this many entries (Nomad's `raft_snapshot_threshold`).
    pub snapshot_threshold: u64,
}

impl Default for WalOptions {
    fn default() -> Self {
        WalOptions {
            segment_bytes: 64 << 20,
            snapshot_threshold: 8192,
        }
    }
}

/// What recovery found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// The index of the snapshot the state started from, if one was loaded.
    pub snapshot_index: Option<u64>,
    /// How many log entries were applied after it.
    pub replayed: u64,
    /// The index of the last entry recovered (0 for an empty directory).
    pub last_index: u64,
    /// Where the log stopped being readable, if it did.
    pub damage: Option<Damage>,
    /// Segments after the damage, renamed `.discarded`.
    pub discarded: Vec<PathBuf>,
}

/// The recovered state and the log that continues after it.
#[derive(Debug)]
pub struct Recovered {
    pub state: Snapshot,
    pub log: WalLog,
    pub report: RecoveryReport,
}

fn server_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("server")
}

/// Opens (creating it if needed) the data directory and rebuilds the state it holds. See the
/// module documentation.
pub fn recover(data_dir: &Path, options: WalOptions) -> Result<Recovered, AgentError> {
    let server = server_dir(data_dir);
    let wal_dir = server.join("wal");
    let snapshot_dir = server.join("snapshots");
    for dir in [&wal_dir, &snapshot_dir] {
        fs::create_dir_all(dir).map_err(|e| io_error("failed to create", dir, e))?;
    }
    let lock = lock(&server.join("LOCK"))?;
    snapshots::remove_temporary(&snapshot_dir)?;

    let base = snapshots::load_newest(&snapshot_dir)?;
    let mut report = RecoveryReport {
        snapshot_index: base.as_ref().map(Snapshot::applied_index),
        ..RecoveryReport::default()
    };
    let mut state = base.unwrap_or_else(|| StateStore::new().snapshot());
    let all = segments::list(&wal_dir)?;
    let mut kept = Vec::new();
    for (position, first) in all.iter().enumerate() {
        let path = segments::path(&wal_dir, *first);
        if report.damage.is_some() {
            let aside = path.with_extension("wal.discarded");
            fs::rename(&path, &aside).map_err(|e| io_error("failed to rename", &path, e))?;
            report.discarded.push(aside);
            continue;
        }
        kept.push(*first);
        // A segment that ends before the next one starts holds nothing past the snapshot.
        if all
            .get(position + 1)
            .is_some_and(|next| next - 1 <= state.applied_index())
        {
            continue;
        }
        let scan = segments::scan(&path)?;
        for entry in scan.entries {
            let applied = state.applied_index();
            if entry.index <= applied {
                continue;
            }
            if entry.index != applied + 1 {
                return Err(AgentError::Recovery {
                    path,
                    reason: format!(
                        "log entry {} follows the state at index {applied}: entries are missing",
                        entry.index
                    ),
                });
            }
            state
                .apply(entry.index, &entry.command)
                .map_err(|e| AgentError::Recovery {
                    path: path.clone(),
                    reason: format!("log entry {} does not apply: {e}", entry.index),
                })?;
            report.replayed += 1;
        }
        if let Some(damage) = scan.damage {
            segments::truncate(&damage)?;
            if damage.offset == 0 {
                kept.pop();
            }
            report.damage = Some(damage);
        }
    }
    report.last_index = state.applied_index();
    log_report(&report);

    let next_index = state.applied_index() + 1;
    if let Some(first) = kept.iter().find(|first| **first > next_index) {
        return Err(AgentError::Recovery {
            path: segments::path(&wal_dir, *first),
            reason: format!("the segment starts after the last entry recovered ({next_index})"),
        });
    }
    // A segment named after the next index holds no entry: it becomes the active one again.
    kept.retain(|first| *first != next_index);
    let log = WalLog::open(wal_dir, options, kept, next_index, lock)?;
    Ok(Recovered { state, log, report })
}

fn log_report(report: &RecoveryReport) {
    if let Some(damage) = &report.damage {
        let fields = (
            damage.segment.display(),
            damage.offset,
            damage.dropped_bytes,
            &damage.reason,
        );
        if report.discarded.is_empty() {
            tracing::warn!(
                segment = %fields.0, offset = fields.1, dropped_bytes = fields.2, reason = %fields.3,
                "the write-ahead log ends in a torn or corrupt frame; truncated it there"
            );
        } else {
            tracing::error!(
                segment = %fields.0, offset = fields.1, dropped_bytes = fields.2, reason = %fields.3,
                discarded = ?report.discarded,
                "the write-ahead log is corrupt before its end; kept the entries before the damage and set later segments aside"
            );
        }
    }
    tracing::info!(
        snapshot_index = ?report.snapshot_index,
        replayed = report.replayed,
        last_index = report.last_index,
        "recovered the state from the data directory"
    );
}

/// Takes the directory's lock, so that two agents never write the same log.
fn lock(path: &Path) -> Result<File, AgentError> {
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| io_error("failed to open", path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => Err(AgentError::Recovery {
            path: path.to_path_buf(),
            reason: "the data directory is in use by another drover agent".to_string(),
        }),
        Err(fs::TryLockError::Error(e)) => Err(io_error("failed to lock", path, e)),
    }
}

/// What the log asks of the snapshot thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Request {
    Snapshot,
    Stop,
}

/// An engine on a data directory, and the thread that writes its snapshots.
#[derive(Debug)]
pub struct Storage {
    engine: Arc<Engine>,
    snapshots: Arc<SnapshotWriter>,
    requests: mpsc::SyncSender<Request>,
    thread: Option<JoinHandle<()>>,
}

/// Writes snapshots one at a time and tells the log how far it may compact.
#[derive(Debug)]
struct SnapshotWriter {
    dir: Mutex<PathBuf>,
    compaction: Arc<AtomicU64>,
}

impl SnapshotWriter {
    fn write(&self, snapshot: &Snapshot) -> Result<(), AgentError> {
        let dir = self
            .dir
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let through = snapshots::write(&dir, snapshot)?;
        self.compaction.fetch_max(through, Ordering::AcqRel);
        tracing::info!(index = snapshot.applied_index(), "wrote a snapshot");
        Ok(())
    }
}

/// Recovers the state in `data_dir` and starts an engine on it whose log is the directory's
/// write-ahead log.
pub fn open(
    data_dir: &Path,
    config: EngineConfig,
    clock: Arc<dyn Clock>,
    options: WalOptions,
) -> Result<Storage, AgentError> {
    let Recovered { state, mut log, .. } = recover(data_dir, options)?;
    let (requests, incoming) = mpsc::sync_channel(1);
    log.request_snapshots(requests.clone());
    let snapshots = Arc::new(SnapshotWriter {
        dir: Mutex::new(server_dir(data_dir).join("snapshots")),
        compaction: log.compaction(),
    });
    let store = StateStore::from_snapshot(state);
    let engine = Arc::new(Engine::restore(config, clock, Box::new(log), store));
    let thread = {
        let (engine, snapshots) = (Arc::downgrade(&engine), snapshots.clone());
        std::thread::Builder::new()
            .name("snapshots".to_string())
            .spawn(move || take_snapshots(&engine, &snapshots, &incoming))
            .map_err(|e| io_error("failed to start the snapshot thread for", data_dir, e))?
    };
    Ok(Storage {
        engine,
        snapshots,
        requests,
        thread: Some(thread),
    })
}

fn take_snapshots(engine: &Weak<Engine>, snapshots: &SnapshotWriter, requests: &Receiver<Request>) {
    while let Ok(Request::Snapshot) = requests.recv() {
        // Hold the engine only to take the snapshot (O(1)), not while it is written.
        let Some(snapshot) = engine.upgrade().map(|engine| engine.snapshot()) else {
            return;
        };
        if let Err(error) = snapshots.write(&snapshot) {
            tracing::error!(%error, "failed to write a snapshot");
        }
    }
}

impl Storage {
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// Writes a snapshot of the current state now; returns its index.
    pub fn snapshot_now(&self) -> Result<u64, AgentError> {
        let snapshot = self.engine.snapshot();
        self.snapshots.write(&snapshot)?;
        Ok(snapshot.applied_index())
    }

    /// Stops the snapshot thread (after the snapshot it is writing, if any). The log stays
    /// open as long as the engine lives.
    pub fn close(mut self) {
        self.requests.send(Request::Stop).ok();
        if let Some(thread) = self.thread.take() {
            thread.join().ok();
        }
    }
}

/// The files of `dir` named `<number>.<extension>`, by number.
fn list_numbered(dir: &Path, extension: &str) -> Result<Vec<(u64, PathBuf)>, AgentError> {
    let suffix = format!(".{extension}");
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| io_error("failed to list", dir, e))? {
        let path = entry
            .map_err(|e| io_error("failed to list", dir, e))?
            .path();
        let number = path
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(|name| name.strip_suffix(&suffix))
            .and_then(|stem| stem.parse::<u64>().ok());
        if let Some(number) = number {
            found.push((number, path));
        }
    }
    found.sort();
    Ok(found)
}

/// Makes the entries of `dir` (created, renamed files) durable.
fn sync_dir(dir: &Path) -> Result<(), AgentError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error("failed to sync", dir, e))
}

fn io_error(what: &'static str, path: &Path, source: std::io::Error) -> AgentError {
    AgentError::Storage {
        what,
        path: path.to_path_buf(),
        source,
    }
}

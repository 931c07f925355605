//! `StateStore`: the shared, current state. One writer at a time applies a command to the
//! current tables in place, under the store's lock, with a journal of what it replaced that
//! puts the tables back if the command (or what the caller does before committing it) fails.
//! Readers take snapshots: a snapshot shares the tables, so a write while one is held copies
//! what it changes (imbl's path copies, `Arc::make_mut` on rows) and the snapshot never sees
//! it; with none held, a write changes the tables' nodes and rows where they are. Taking a
//! snapshot waits for a write in progress. Waiters are woken on every commit.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use parking_lot::{Condvar, Mutex, MutexGuard, RwLock};

use crate::StateError;
use crate::apply::Journal;
use crate::command::Command;
use crate::reclaim::{self, Reclaimer, Retired};
use crate::snapshot::Snapshot;
use crate::table::Table;
use crate::tables::Tables;

/// Called after every commit with the index just applied, in index order. It runs while the
/// next writer waits, so keep it short, and it must not apply a command itself (that would
/// deadlock). An async frontend bridges it into its own notification.
pub type CommitHook = Box<dyn Fn(u64) + Send + Sync>;

/// The store. Share it across threads (`Arc<StateStore>`): every method takes `&self`.
pub struct StateStore {
    /// Serializes writers, so each applies to the state the previous one committed.
    writer: Mutex<()>,
    current: Mutex<Snapshot>,
    committed: Condvar,
    hooks: RwLock<Vec<CommitHook>>,
    reclaimer: OnceLock<Reclaimer>,
}

/// A command applied to the store's tables and not yet committed: [`Staged::commit`] makes it
/// the store's state; dropping it puts the tables back as they were. While it lives, other
/// writers and readers taking a snapshot wait.
#[must_use = "dropping a staged command rolls it back"]
pub struct Staged<'s> {
    store: &'s StateStore,
    _writer: MutexGuard<'s, ()>,
    /// `None` once committed.
    current: Option<MutexGuard<'s, Snapshot>>,
    journal: Option<Journal>,
    index: u64,
}

impl fmt::Debug for StateStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateStore")
            .field("applied_index", &self.current.lock().applied_index())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Staged<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Staged")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl Default for StateStore {
    fn default() -> Self {
        Self::new()
    }
}

impl StateStore {
    /// An empty store with the `default` namespace.
    pub fn new() -> Self {
        Self::from_snapshot(Snapshot::from_tables(Tables::default()))
    }

    /// A store that starts from a snapshot (a restore, or a dry-run's private copy).
    pub fn from_snapshot(snapshot: Snapshot) -> Self {
        StateStore {
            writer: Mutex::new(()),
            current: Mutex::new(snapshot),
            committed: Condvar::new(),
            hooks: RwLock::new(Vec::new()),
            reclaimer: OnceLock::new(),
        }
    }

    /// The current state, in O(1). Waits for a write in progress.
    pub fn snapshot(&self) -> Snapshot {
        self.current.lock().clone()
    }

    /// Applies `command` at log index `index` atomically: on error nothing changes. The index
    /// must be greater than the last applied one.
    pub fn apply(&self, index: u64, command: &Command) -> Result<(), StateError> {
        self.stage_with(index, |t| crate::apply::apply(t, index, command))?
            .commit();
        Ok(())
    }

    /// [`Self::apply`] for a command the caller gives up (a replayed log entry): the jobs it
    /// registers are stored without being copied.
    pub fn apply_owned(&self, index: u64, command: Command) -> Result<(), StateError> {
        self.stage_with(index, |t| crate::apply::apply_owned(t, index, command))?
            .commit();
        Ok(())
    }

    /// Applies `command` at `index` and holds it uncommitted, so that the caller can do what
    /// must succeed with it (append it to a log) before it stands: commit it then, or drop it
    /// to roll it back. On error nothing changes.
    pub fn stage(&self, index: u64, command: &Command) -> Result<Staged<'_>, StateError> {
        self.stage_with(index, |t| crate::apply::apply(t, index, command))
    }

    fn stage_with(
        &self,
        index: u64,
        apply: impl FnOnce(&mut Tables) -> Result<Journal, StateError>,
    ) -> Result<Staged<'_>, StateError> {
        let writer = self.writer.lock();
        let mut current = self.current.lock();
        // Copies the tables' roots only when a snapshot still holds them.
        let journal = apply(Arc::make_mut(&mut current.tables))?;
        Ok(Staged {
            store: self,
            _writer: writer,
            current: Some(current),
            journal: Some(journal),
            index,
        })
    }

    /// Makes `next` the store's state: a snapshot the caller derived from `base` with
    /// [`Snapshot::apply`] (to check a command before logging it), so the command is not
    /// applied a second time. Refused if the store moved on since `base` was taken.
    pub fn commit_snapshot(&self, base: &Snapshot, next: Snapshot) -> Result<(), StateError> {
        let _writer = self.writer.lock();
        let current = self.snapshot();
        if !Arc::ptr_eq(&current.tables, &base.tables) {
            return Err(StateError::StaleIndex {
                index: next.applied_index(),
                latest: current.applied_index(),
            });
        }
        let index = next.applied_index();
        *self.current.lock() = next;
        self.committed(index);
        Ok(())
    }

    /// Tells waiters and hooks that `index` was committed.
    fn committed(&self, index: u64) {
        self.committed.notify_all();
        for hook in self.hooks.read().iter() {
            hook(index);
        }
    }

    /// The index of the last command applied.
    pub fn applied_index(&self) -> u64 {
        self.current.lock().applied_index()
    }

    /// Nomad's `LatestIndex`: the greatest table index.
    pub fn latest_index(&self) -> u64 {
        self.current.lock().latest_index()
    }

    /// Blocks until the index of any of `tables` exceeds `min_index`, or until `deadline`,
    /// and returns the greatest index of those tables then. With no tables it waits on the
    /// applied index (a worker waiting for the store to catch up with the log).
    pub fn wait_for_index(&self, tables: &[Table], min_index: u64, deadline: Instant) -> u64 {
        let index_of = |snapshot: &Snapshot| {
            if tables.is_empty() {
                snapshot.applied_index()
            } else {
                snapshot.tables.indexes.max_of(tables)
            }
        };
        let mut current = self.current.lock();
        while index_of(&current) <= min_index {
            if self
                .committed
                .wait_until(&mut current, deadline)
                .timed_out()
            {
                break;
            }
        }
        index_of(&current)
    }

    /// Registers a hook called after every commit, in index order.
    pub fn on_commit(&self, hook: CommitHook) {
        self.hooks.write().push(hook);
    }

    /// Hands what each large commit replaced to `reclaimer` rather than freeing it in the
    /// writer (see [`crate::reclaim`]). The first reclaimer set stays; a later one is dropped.
    pub fn set_reclaimer(&self, reclaimer: Reclaimer) {
        let _ = self.reclaimer.set(reclaimer);
    }
}

impl Staged<'_> {
    /// Makes the staged command the store's state and tells waiters and hooks.
    pub fn commit(mut self) {
        let journal = self.journal.take();
        // Readers may go on before the values the command replaced are freed: here, or by the
        // reclaimer when the command was large.
        drop(self.current.take());
        if let Some(journal) = journal
            && journal.writes() >= reclaim::MIN_WRITES
            && let Some(reclaim) = self.store.reclaimer.get()
        {
            reclaim(Retired(journal));
        }
        self.store.committed(self.index);
    }
}

impl Drop for Staged<'_> {
    /// Not committed: the tables are put back as they were before the command.
    fn drop(&mut self) {
        if let (Some(journal), Some(current)) = (self.journal.take(), self.current.as_mut()) {
            journal.roll_back(Arc::make_mut(&mut current.tables));
        }
    }
}

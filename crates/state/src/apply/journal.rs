//! The undo journal of a write transaction. A command is applied to the store's tables in
//! place, so a command that fails part way (a sub-command of a batch, or the engine's log
//! append after it) must put back what it wrote: every write records how to restore what it
//! replaced, and a failed transaction runs those records newest first.
//!
//! What a record keeps is the replaced value itself, moved out of the table, never a second
//! count on a value that is then edited in place: that count would make the edit copy it.
//! A job's row is edited in place and each change records its inverse (the current job,
//! version, submission or summary it replaced: see `RowUndo`), so a write neither copies the
//! row nor takes a count on each of its versions. A record edited field by field (a
//! deployment's counters, a job's summary) is copied once per transaction, on its first edit,
//! and the stored one goes into the journal; later edits in the same transaction change the
//! copy.

use std::collections::HashSet;
use std::sync::Arc;

use imbl::OrdMap;

use crate::table::TableIndexes;
use crate::tables::Tables;

type Undo = Box<dyn FnOnce(&mut Tables) + Send>;

/// What a transaction wrote, and how to take it back.
pub(crate) struct Journal {
    applied_index: u64,
    indexes: TableIndexes,
    /// How to restore each write, oldest first.
    undo: Vec<Undo>,
    /// The addresses of the records this transaction copied to edit in place (or created):
    /// they are its own, edited without another copy.
    owned: HashSet<usize>,
}

impl Journal {
    /// A journal of writes to `tables`, as they are now.
    pub fn new(tables: &Tables) -> Self {
        Journal {
            applied_index: tables.applied_index,
            indexes: tables.indexes,
            undo: Vec::new(),
            owned: HashSet::new(),
        }
    }

    /// How many writes the transaction recorded.
    pub fn writes(&self) -> usize {
        self.undo.len()
    }

    /// Records how to restore a write.
    pub fn record(&mut self, undo: impl FnOnce(&mut Tables) + Send + 'static) {
        self.undo.push(Box::new(undo));
    }

    /// Notes a record this transaction created: it may be edited in place.
    pub fn own<V>(&mut self, row: &Arc<V>) {
        self.owned.insert(address(row));
    }

    /// The record in `slot` to edit in place. The first edit in a transaction puts a copy in
    /// the slot and records `restore` with the stored one; later edits change that copy.
    pub fn edit<'v, V: Clone + Send + Sync + 'static>(
        &mut self,
        slot: &'v mut Arc<V>,
        restore: impl FnOnce(&mut Tables, Arc<V>) + Send + 'static,
    ) -> &'v mut V {
        if !self.owned.contains(&address(slot)) {
            let copy = Arc::new(V::clone(slot));
            let stored = std::mem::replace(slot, copy);
            self.owned.insert(address(slot));
            self.record(move |t| restore(t, stored));
        }
        Arc::make_mut(slot)
    }

    /// Puts back everything the transaction wrote, newest write first.
    pub fn roll_back(self, tables: &mut Tables) {
        for undo in self.undo.into_iter().rev() {
            undo(tables);
        }
        tables.applied_index = self.applied_index;
        tables.indexes = self.indexes;
    }
}

/// A record's address, to recognize it while the transaction lives (the journal keeps every
/// record it replaced alive, so an address it noted is not reused by a stored one).
fn address<V>(row: &Arc<V>) -> usize {
    Arc::as_ptr(row).cast::<()>() as usize
}

/// Puts `old` back under `key` in `map` (removes the key when there was none).
pub(crate) fn put_back<K: Ord + Clone, V: Clone>(map: &mut OrdMap<K, V>, key: K, old: Option<V>) {
    match old {
        Some(old) => {
            map.insert(key, old);
        }
        None => {
            map.remove(&key);
        }
    }
}

//! `Log`: where every committed command goes before it is applied. The engine appends at the
//! next index and applies only after `append` returns, so a log replayed into an empty store
//! rebuilds the engine's state. [`MemoryLog`] keeps entries in memory; the agent provides a
//! durable one.

use std::sync::Arc;

use drover_state::Command;
use parking_lot::Mutex;

use crate::error::LogError;

/// An append-only command log. `append` must make the entry durable before it returns: the
/// engine treats a returned `Ok` as committed.
pub trait Log: Send {
    fn append(&mut self, index: u64, command: &Command) -> Result<(), LogError>;
}

/// A log in memory. Clones share the entries, so a test can keep one handle and give the other
/// to the engine.
#[derive(Debug, Clone, Default)]
pub struct MemoryLog {
    entries: Arc<Mutex<Vec<(u64, Command)>>>,
}

impl MemoryLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every entry so far, in index order.
    pub fn entries(&self) -> Vec<(u64, Command)> {
        self.entries.lock().clone()
    }
}

impl Log for MemoryLog {
    fn append(&mut self, index: u64, command: &Command) -> Result<(), LogError> {
        self.entries.lock().push((index, command.clone()));
        Ok(())
    }
}

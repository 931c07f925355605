//! Snapshot files: the whole state at one index in drover-state's snapshot stream, named after
//! that index. A snapshot is written to a temporary file, synced, renamed into place and its
//! directory synced, so a file with the final name is always complete.

use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use drover_core::state::{Snapshot, read_snapshot, write_snapshot};

use super::{io_error, list_numbered, sync_dir};
use crate::error::AgentError;

const EXTENSION: &str = "snap";
const TEMPORARY: &str = "tmp";
/// A snapshot that failed to load is renamed with this extension and never read again.
const INVALID: &str = "invalid";

/// How many snapshots are kept: the newest, and one to fall back on if the newest cannot be
/// read (the log is kept from the older one on).
pub(super) const RETAINED: usize = 2;

fn path(dir: &Path, index: u64) -> PathBuf {
    dir.join(format!("{index:020}.{EXTENSION}"))
}

/// Removes temporary files a crash left behind.
pub(super) fn remove_temporary(dir: &Path) -> Result<(), AgentError> {
    for (_, path) in list_numbered(dir, &format!("{EXTENSION}.{TEMPORARY}"))? {
        fs::remove_file(&path).map_err(|e| io_error("failed to remove", &path, e))?;
    }
    Ok(())
}

/// The newest snapshot that loads. Those that do not are set aside (renamed `.invalid`) with
/// an error in the log.
pub(super) fn load_newest(dir: &Path) -> Result<Option<Snapshot>, AgentError> {
    for (index, path) in list_numbered(dir, EXTENSION)?.into_iter().rev() {
        let loaded = File::open(&path)
            .map_err(|e| e.to_string())
            .and_then(|file| read_snapshot(BufReader::new(file)).map_err(|e| e.to_string()));
        match loaded {
            Ok(snapshot) if snapshot.applied_index() == index => return Ok(Some(snapshot)),
            Ok(snapshot) => tracing::error!(
                path = %path.display(),
                applied_index = snapshot.applied_index(),
                "snapshot file is named after another index; setting it aside"
            ),
            Err(reason) => tracing::error!(
                path = %path.display(),
                %reason,
                "snapshot cannot be read; setting it aside"
            ),
        }
        let aside = path.with_extension(format!("{EXTENSION}.{INVALID}"));
        fs::rename(&path, &aside).map_err(|e| io_error("failed to rename", &path, e))?;
    }
    Ok(None)
}

/// Writes `snapshot` durably, then removes all but the [`RETAINED`] newest. Returns the index
/// the log may be compacted through: that of the oldest snapshot kept, or 0 while there is no
/// older snapshot to fall back on.
pub(super) fn write(dir: &Path, snapshot: &Snapshot) -> Result<u64, AgentError> {
    let index = snapshot.applied_index();
    let target = path(dir, index);
    let temporary = target.with_extension(format!("{EXTENSION}.{TEMPORARY}"));
    let file = File::create(&temporary).map_err(|e| io_error("failed to create", &temporary, e))?;
    let mut out = BufWriter::new(file);
    write_snapshot(snapshot, &mut out).map_err(|e| AgentError::Storage {
        what: "failed to write",
        path: temporary.clone(),
        source: std::io::Error::other(e),
    })?;
    out.flush()
        .and_then(|()| out.get_ref().sync_all())
        .map_err(|e| io_error("failed to write", &temporary, e))?;
    fs::rename(&temporary, &target).map_err(|e| io_error("failed to rename", &temporary, e))?;
    sync_dir(dir)?;

    let snapshots = list_numbered(dir, EXTENSION)?;
    let stale = snapshots.len().saturating_sub(RETAINED);
    for (_, path) in &snapshots[..stale] {
        fs::remove_file(path).map_err(|e| io_error("failed to remove", path, e))?;
    }
    let kept = &snapshots[stale..];
    Ok(if kept.len() < RETAINED { 0 } else { kept[0].0 })
}

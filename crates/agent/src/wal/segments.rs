//! Log segments: files of framed log entries (drover-state's command stream: a header, then one
//! length + CRC32 frame per entry), each named after the index of its first entry. Only the
//! newest segment is written; older ones are read on recovery and deleted once a snapshot
//! covers them.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use drover_core::state::{Command, LogEntry, StateError, encode_commands, read_commands};

use super::{io_error, list_numbered, sync_dir};
use crate::error::AgentError;

const EXTENSION: &str = "wal";

pub(super) fn path(dir: &Path, first_index: u64) -> PathBuf {
    dir.join(format!("{first_index:020}.{EXTENSION}"))
}

/// The segments in `dir` by first index, oldest first.
pub(super) fn list(dir: &Path) -> Result<Vec<u64>, AgentError> {
    Ok(list_numbered(dir, EXTENSION)?
        .into_iter()
        .map(|(index, _)| index)
        .collect())
}

/// The stream header every segment starts with (an empty command stream is exactly that).
pub(super) fn header() -> &'static [u8] {
    static HEADER: LazyLock<Vec<u8>> =
        LazyLock::new(|| encode_commands(std::iter::empty()).unwrap_or_default());
    &HEADER
}

/// One entry as the bytes appended to a segment: its frame without the stream header.
pub(super) fn frame(index: u64, command: &Command) -> Result<Vec<u8>, StateError> {
    let mut bytes = encode_commands([(index, command)])?;
    bytes.drain(..header().len());
    Ok(bytes)
}

/// Where a segment stops being readable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    pub segment: PathBuf,
    /// The byte offset of the first frame that is cut short or fails its checksum.
    pub offset: u64,
    /// How many bytes followed it (all dropped).
    pub dropped_bytes: u64,
    pub reason: String,
}

/// The entries of a segment, and where it is damaged if it is.
pub(super) struct Scan {
    pub entries: Vec<LogEntry>,
    pub damage: Option<Damage>,
}

/// Reads a whole segment. A frame cut short or failing its checksum ends it: the frames
/// before it are kept. A header that is not ours, or a format from a newer drover, is an
/// error rather than damage: nothing is dropped then.
pub(super) fn scan(segment: &Path) -> Result<Scan, AgentError> {
    let bytes = fs::read(segment).map_err(|e| io_error("failed to read", segment, e))?;
    let (offset, reason) = match read_commands(&bytes[..]) {
        Ok(entries) => {
            return Ok(Scan {
                entries,
                damage: None,
            });
        }
        Err(StateError::Truncated { offset }) => (offset, "frame cut short".to_string()),
        Err(StateError::Corrupt { offset, reason }) if offset >= header().len() as u64 => {
            (offset, reason)
        }
        Err(error) => {
            return Err(AgentError::Recovery {
                path: segment.to_path_buf(),
                reason: error.to_string(),
            });
        }
    };
    // A torn header (a crash while the segment was created) holds no entry.
    let entries = if offset == 0 {
        Vec::new()
    } else {
        read_commands(&bytes[..offset as usize]).map_err(|e| AgentError::Recovery {
            path: segment.to_path_buf(),
            reason: e.to_string(),
        })?
    };
    Ok(Scan {
        entries,
        damage: Some(Damage {
            segment: segment.to_path_buf(),
            offset,
            dropped_bytes: bytes.len() as u64 - offset,
            reason,
        }),
    })
}

/// Cuts a damaged segment back to its last complete frame, durably. A segment without a
/// complete header is removed.
pub(super) fn truncate(damage: &Damage) -> Result<(), AgentError> {
    let path = &damage.segment;
    if damage.offset == 0 {
        return fs::remove_file(path).map_err(|e| io_error("failed to remove", path, e));
    }
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| io_error("failed to open", path, e))?;
    file.set_len(damage.offset)
        .and_then(|()| file.sync_all())
        .map_err(|e| io_error("failed to truncate", path, e))
}

/// The segment being appended to.
#[derive(Debug)]
pub(super) struct ActiveSegment {
    pub first_index: u64,
    pub file: File,
    pub len: u64,
}

impl ActiveSegment {
    /// Creates the segment whose first entry will be `first_index`, with its header on disk and
    /// its directory entry durable before any entry is acknowledged.
    pub fn create(dir: &Path, first_index: u64) -> Result<ActiveSegment, AgentError> {
        let path = path(dir, first_index);
        let header = header();
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .open(&path)
            .map_err(|e| io_error("failed to create", &path, e))?;
        file.write_all(header)
            .and_then(|()| file.sync_data())
            .map_err(|e| io_error("failed to write", &path, e))?;
        sync_dir(dir)?;
        Ok(ActiveSegment {
            first_index,
            file,
            len: header.len() as u64,
        })
    }

    /// Appends one frame and waits until it is on disk.
    pub fn append(&mut self, frame: &[u8]) -> std::io::Result<()> {
        self.file.write_all(frame)?;
        self.file.sync_data()?;
        self.len += frame.len() as u64;
        Ok(())
    }
}

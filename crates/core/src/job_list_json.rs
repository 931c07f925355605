//! `GET /v1/jobs`'s JSON body written straight from the stored jobs and summaries: byte for
//! byte what serde_json writes for a slice of [`JobListEntry`] (drover-model's `JobListStub`
//! wire form, compact), in about a third of its instructions and a quarter of its time.
//!
//! serde_json escapes every field name of every row as it writes it (some sixty per job with
//! its summary) and grows its buffer by doubling, copying up to the 57 MB of 100k jobs. Here the
//! names are literals, a string is copied whole unless it holds a byte JSON escapes (then
//! serde_json writes it, so the escapes are its own), numbers go through serde_json, and rare
//! fields (`Multiregion`, `Meta`) are written by serde. What is left is mostly reading the cold
//! jobs, which is done a block of rows ahead of writing them. `tests/job_list_json.rs` holds
//! the two encodings equal.
//!
//! The body is written in pieces of about [`CHUNK`] bytes ([`JobListChunks`]), which the agent
//! sends as they are made: the whole body of 100k jobs is 57 MB, memory the kernel would map and
//! zero page by page for every request (a fifth of the time it took), and a small piece stays
//! in the cache while it is written and sent.

use drover_model::{JobListEntry, JobSummary};
use serde::Serialize;

/// The JSON array of `entries`, as `serde_json::to_vec(entries)` writes it, in pieces of about
/// [`CHUNK`] bytes: their concatenation is the array. An error ends the pieces.
#[derive(Debug)]
pub struct JobListChunks {
    entries: Vec<JobListEntry>,
    /// The next row to write; `None` once the array is closed.
    next: Option<usize>,
}

/// About how many bytes [`JobListChunks`] puts in each piece (a row more at most): enough to
/// make each write to a socket worth its call.
pub const CHUNK: usize = 32 << 10;

impl JobListChunks {
    pub fn new(entries: Vec<JobListEntry>) -> Self {
        JobListChunks {
            entries,
            next: Some(0),
        }
    }
}

impl Iterator for JobListChunks {
    type Item = serde_json::Result<Vec<u8>>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut at = self.next?;
        // Room for a piece and the row that ends it.
        let mut out = Vec::with_capacity(CHUNK + CHUNK / 8);
        if at == 0 {
            out.push(b'[');
        }
        for rows in self.entries[at..].chunks(ROWS_READ_AHEAD) {
            std::hint::black_box(mix(rows.iter().map(read_ahead)));
            for entry in rows {
                if at > 0 {
                    out.push(b',');
                }
                if let Err(e) = write_entry(&mut out, entry) {
                    self.next = None;
                    return Some(Err(e));
                }
                at += 1;
                if out.len() >= CHUNK {
                    self.next = Some(at);
                    return Some(Ok(out));
                }
            }
        }
        out.push(b']');
        self.next = None;
        Some(Ok(out))
    }
}

/// Rows whose memory is read ahead of writing them.
const ROWS_READ_AHEAD: usize = 32;

/// Reads each cache line that writing `entry` reads. The stored jobs are cold, a miss for
/// each line; reading a block of rows in a short loop lets the processor wait for their
/// misses together, where writing rows one after the other waits for each in turn.
fn read_ahead(entry: &JobListEntry) -> usize {
    let first = |text: &str| usize::from(text.as_bytes().first().copied().unwrap_or(0));
    let job = &*entry.job;
    let mut read = mix([
        first(&job.id),
        first(&job.parent_id),
        first(&job.name),
        first(&job.namespace),
        first(&job.node_pool),
        first(&job.job_type),
        first(&job.status),
        first(&job.status_description),
        mix(job.datacenters.iter().map(|dc| first(dc))),
        usize::from(job.multiregion.is_some()),
        usize::from(job.is_periodic()),
        usize::from(job.is_parameterized()),
        usize::from(job.stop),
        job.meta.len(),
        job.priority as usize,
        job.create_index as usize,
        job.modify_index as usize,
        job.job_modify_index as usize,
        job.submit_time as usize,
    ]);
    if let Some(summary) = &entry.summary {
        read ^= mix([
            first(&summary.job_id),
            first(&summary.namespace),
            mix(summary.summary.keys().map(|group| first(group))),
            usize::from(summary.children.is_some()),
            summary.create_index as usize,
            summary.modify_index as usize,
        ]);
    }
    read
}

/// One value made of all of `values`, so that reading them is not optimized away.
fn mix(values: impl IntoIterator<Item = usize>) -> usize {
    values.into_iter().fold(0, |a, b| a ^ b)
}

fn write_entry(out: &mut Vec<u8>, entry: &JobListEntry) -> serde_json::Result<()> {
    let job = &*entry.job;
    out.extend_from_slice(b"{\"ID\":");
    string(out, &job.id)?;
    out.extend_from_slice(b",\"ParentID\":");
    string(out, &job.parent_id)?;
    out.extend_from_slice(b",\"Name\":");
    string(out, &job.name)?;
    out.extend_from_slice(b",\"Namespace\":");
    string(out, &job.namespace)?;
    out.extend_from_slice(b",\"Datacenters\":");
    if job.datacenters.is_empty() {
        out.extend_from_slice(b"null");
    } else {
        out.push(b'[');
        for (at, dc) in job.datacenters.iter().enumerate() {
            if at > 0 {
                out.push(b',');
            }
            string(out, dc)?;
        }
        out.push(b']');
    }
    out.extend_from_slice(b",\"NodePool\":");
    string(out, &job.node_pool)?;
    out.extend_from_slice(b",\"Multiregion\":");
    match &job.multiregion {
        None => out.extend_from_slice(b"null"),
        Some(multiregion) => serde_value(out, multiregion)?,
    }
    out.extend_from_slice(b",\"Type\":");
    string(out, &job.job_type)?;
    out.extend_from_slice(b",\"Priority\":");
    serde_value(out, &job.priority)?;
    out.extend_from_slice(b",\"Periodic\":");
    boolean(out, job.is_periodic());
    out.extend_from_slice(b",\"ParameterizedJob\":");
    boolean(out, job.is_parameterized());
    out.extend_from_slice(b",\"Stop\":");
    boolean(out, job.stop);
    out.extend_from_slice(b",\"Status\":");
    string(out, &job.status)?;
    out.extend_from_slice(b",\"StatusDescription\":");
    string(out, &job.status_description)?;
    out.extend_from_slice(b",\"JobSummary\":");
    match entry.summary.as_deref() {
        None => out.extend_from_slice(b"null"),
        Some(summary) => write_summary(out, summary)?,
    }
    out.extend_from_slice(b",\"CreateIndex\":");
    serde_value(out, &job.create_index)?;
    out.extend_from_slice(b",\"ModifyIndex\":");
    serde_value(out, &job.modify_index)?;
    out.extend_from_slice(b",\"JobModifyIndex\":");
    serde_value(out, &job.job_modify_index)?;
    out.extend_from_slice(b",\"SubmitTime\":");
    serde_value(out, &job.submit_time)?;
    if entry.with_meta && !job.meta.is_empty() {
        out.extend_from_slice(b",\"Meta\":");
        serde_value(out, &job.meta)?;
    }
    out.push(b'}');
    Ok(())
}

fn write_summary(out: &mut Vec<u8>, summary: &JobSummary) -> serde_json::Result<()> {
    out.extend_from_slice(b"{\"JobID\":");
    string(out, &summary.job_id)?;
    out.extend_from_slice(b",\"Namespace\":");
    string(out, &summary.namespace)?;
    out.extend_from_slice(b",\"Summary\":");
    if summary.summary.is_empty() {
        out.extend_from_slice(b"null");
    } else {
        out.push(b'{');
        for (at, (group, counts)) in summary.summary.iter().enumerate() {
            if at > 0 {
                out.push(b',');
            }
            string(out, group)?;
            let fields: [(&[u8], i64); 7] = [
                (b":{\"Queued\":", counts.queued),
                (b",\"Complete\":", counts.complete),
                (b",\"Failed\":", counts.failed),
                (b",\"Running\":", counts.running),
                (b",\"Starting\":", counts.starting),
                (b",\"Lost\":", counts.lost),
                (b",\"Unknown\":", counts.unknown),
            ];
            integers(out, &fields)?;
            out.push(b'}');
        }
        out.push(b'}');
    }
    out.extend_from_slice(b",\"Children\":");
    match &summary.children {
        None => out.extend_from_slice(b"null"),
        Some(children) => {
            let fields: [(&[u8], i64); 3] = [
                (b"{\"Pending\":", children.pending),
                (b",\"Running\":", children.running),
                (b",\"Dead\":", children.dead),
            ];
            integers(out, &fields)?;
            out.push(b'}');
        }
    }
    out.extend_from_slice(b",\"CreateIndex\":");
    serde_value(out, &summary.create_index)?;
    out.extend_from_slice(b",\"ModifyIndex\":");
    serde_value(out, &summary.modify_index)?;
    out.push(b'}');
    Ok(())
}

/// Each name (with its punctuation) followed by its number.
fn integers(out: &mut Vec<u8>, fields: &[(&[u8], i64)]) -> serde_json::Result<()> {
    for (name, value) in fields {
        out.extend_from_slice(name);
        serde_value(out, value)?;
    }
    Ok(())
}

fn boolean(out: &mut Vec<u8>, value: bool) {
    out.extend_from_slice(if value { b"true" } else { b"false" });
}

/// A JSON string: copied whole when no byte needs an escape (control characters, `"` and
/// `\`, the only ones serde_json escapes), else written by serde_json.
fn string(out: &mut Vec<u8>, value: &str) -> serde_json::Result<()> {
    // No early exit, so the check runs over whole vectors of bytes.
    let plain = value.bytes().fold(true, |plain, b| {
        plain & (b >= 0x20) & (b != b'"') & (b != b'\\')
    });
    if plain {
        out.reserve(value.len() + 2);
        out.push(b'"');
        out.extend_from_slice(value.as_bytes());
        out.push(b'"');
    } else {
        serde_value(out, value)?;
    }
    Ok(())
}

/// A value as serde_json writes it (numbers, escaped strings, the rare fields).
fn serde_value(out: &mut Vec<u8>, value: &(impl Serialize + ?Sized)) -> serde_json::Result<()> {
    value.serialize(&mut serde_json::Serializer::new(&mut *out))
}

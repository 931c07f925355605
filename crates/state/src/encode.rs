//! Commands and snapshots as bytes, for a log or a snapshot file that the embedder stores.
//!
//! A stream starts with a header (`DRVR`, a format version, the stream kind) followed by
//! frames `[len u32 LE][crc32 u32 LE][payload]`, each payload one record in MessagePack with
//! named fields (rmp-serde `to_vec_named`). A bad checksum, a bad payload or a stream cut
//! inside a frame is reported with the byte offset of the frame. A snapshot ends with a
//! record that counts the records before it, so a snapshot cut between frames is detected too.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Read, Write};
use std::sync::Arc;

use drover_model::{
    AclPolicy, AclToken, Allocation, Deployment, Evaluation, Job, JobSubmission, JobSummary,
    Namespace, Node, ServiceRegistration, SmolStr,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::command::Command;
use crate::job_row::JobRow;
use crate::keys::{Id, name};
use crate::snapshot::Snapshot;
use crate::table::Table;
use crate::tables::Tables;
use crate::{JobScalingEvents, PeriodicLaunch, StateError};

/// The version of the framing (not of the records, which evolve through named fields).
pub const FORMAT_VERSION: u32 = 1;
const MAGIC: &[u8; 4] = b"DRVR";
const HEADER_LEN: u64 = 9;
const KIND_COMMANDS: u8 = 1;
const KIND_SNAPSHOT: u8 = 2;
/// Frames larger than this are taken for corruption rather than allocated.
const MAX_FRAME: u32 = 1 << 30;

/// One log entry: a command and the index it was applied at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    pub index: u64,
    pub command: Command,
}

/// Appends framed log entries to a writer; the header is written on creation.
#[derive(Debug)]
pub struct CommandLogWriter<W: Write> {
    out: W,
}

impl<W: Write> CommandLogWriter<W> {
    pub fn new(mut out: W) -> Result<Self, StateError> {
        write_header(&mut out, KIND_COMMANDS)?;
        Ok(CommandLogWriter { out })
    }

    pub fn append(&mut self, index: u64, command: &Command) -> Result<(), StateError> {
        write_frame(&mut self.out, &EntryRef { index, command })
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

#[derive(Serialize)]
struct EntryRef<'a> {
    index: u64,
    command: &'a Command,
}

/// Encodes a whole log.
pub fn encode_commands<'a>(
    entries: impl IntoIterator<Item = (u64, &'a Command)>,
) -> Result<Vec<u8>, StateError> {
    let mut writer = CommandLogWriter::new(Vec::new())?;
    for (index, command) in entries {
        writer.append(index, command)?;
    }
    Ok(writer.into_inner())
}

/// Decodes a whole log; the stream may end after any complete frame.
pub fn read_commands(input: impl Read) -> Result<Vec<LogEntry>, StateError> {
    let mut frames = FrameReader::new(input, KIND_COMMANDS)?;
    let mut entries = Vec::new();
    while let Some(entry) = frames.next_record()? {
        entries.push(entry);
    }
    Ok(entries)
}

/// One record of a snapshot stream.
#[derive(Debug, Serialize, Deserialize)]
enum Record {
    Indexes {
        applied: u64,
        tables: BTreeMap<String, u64>,
    },
    Job(Arc<Job>),
    JobVersion(Arc<Job>),
    JobSummary(Arc<JobSummary>),
    JobSubmission(Arc<JobSubmission>),
    Eval(Arc<Evaluation>),
    Alloc(Arc<Allocation>),
    Deployment(Arc<Deployment>),
    Node(Arc<Node>),
    PeriodicLaunch(Arc<PeriodicLaunch>),
    ScalingEvents(Arc<JobScalingEvents>),
    ServiceRegistration(Arc<ServiceRegistration>),
    Namespace(Arc<Namespace>),
    AclPolicy(Arc<AclPolicy>),
    AclToken(Arc<AclToken>),
    /// The number of records before this one.
    End(u64),
}

/// Writes every table of a snapshot (secondary indexes are rebuilt on restore).
pub fn write_snapshot(snapshot: &Snapshot, out: impl Write) -> Result<(), StateError> {
    let t = &snapshot.tables;
    let mut w = RecordWriter { out, count: 0 };
    write_header(&mut w.out, KIND_SNAPSHOT)?;
    let tables = Table::ALL
        .iter()
        .map(|table| (table.name().to_string(), t.indexes.get(*table)))
        .collect();
    w.put(Record::Indexes {
        applied: t.applied_index,
        tables,
    })?;
    // Table by table, as separate tables would list them.
    let rows = || t.jobs.values();
    w.put_all(rows().map(|row| &row.job), Record::Job)?;
    w.put_all(rows().flat_map(|row| row.versions()), Record::JobVersion)?;
    w.put_all(
        rows().filter_map(|row| row.summary.as_ref()),
        Record::JobSummary,
    )?;
    w.put_all(
        rows().flat_map(|row| &row.submissions),
        Record::JobSubmission,
    )?;
    w.put_all(t.evals.values(), Record::Eval)?;
    w.put_all(t.allocs.values(), Record::Alloc)?;
    w.put_all(t.deployments.values(), Record::Deployment)?;
    w.put_all(t.nodes.values(), Record::Node)?;
    w.put_all(t.periodic_launches.values(), Record::PeriodicLaunch)?;
    w.put_all(t.scaling_events.values(), Record::ScalingEvents)?;
    w.put_all(t.services.values(), Record::ServiceRegistration)?;
    w.put_all(t.namespaces.values(), Record::Namespace)?;
    w.put_all(t.acl_policies.values(), Record::AclPolicy)?;
    w.put_all(t.acl_tokens.values(), Record::AclToken)?;
    let count = w.count;
    w.put(Record::End(count))
}

struct RecordWriter<W> {
    out: W,
    count: u64,
}

impl<W: Write> RecordWriter<W> {
    fn put(&mut self, record: Record) -> Result<(), StateError> {
        self.count += 1;
        write_frame(&mut self.out, &record)
    }

    fn put_all<'a, T: 'a>(
        &mut self,
        mut rows: impl Iterator<Item = &'a Arc<T>>,
        record: fn(Arc<T>) -> Record,
    ) -> Result<(), StateError> {
        rows.try_for_each(|row| self.put(record(row.clone())))
    }
}

pub fn snapshot_to_bytes(snapshot: &Snapshot) -> Result<Vec<u8>, StateError> {
    let mut out = Vec::new();
    write_snapshot(snapshot, &mut out)?;
    Ok(out)
}

/// Rebuilds a snapshot, secondary indexes included. Allocations that carry the same job
/// version share one copy of it again.
pub fn read_snapshot(input: impl Read) -> Result<Snapshot, StateError> {
    let mut frames = FrameReader::new(input, KIND_SNAPSHOT)?;
    let mut t = Tables::default();
    let mut jobs = JobInterner::default();
    let mut count = 0u64;
    loop {
        let offset = frames.offset;
        let Some(record) = frames.next_record::<Record>()? else {
            return Err(StateError::Truncated { offset });
        };
        match record {
            Record::Indexes { applied, tables } => {
                t.applied_index = applied;
                for (name, index) in tables {
                    if let Some(table) = Table::from_name(&name) {
                        t.indexes.set(table, index);
                    }
                }
            }
            Record::Job(job) => t.put_job(jobs.intern(job)),
            Record::JobVersion(job) => {
                let job = jobs.intern(job);
                job_row(&mut t, &job.namespace, &job.id, offset)?.insert_version(job);
            }
            Record::JobSummary(s) => {
                let row = job_row(&mut t, &s.namespace, &s.job_id, offset)?;
                row.summary = Some(s);
            }
            Record::JobSubmission(s) => {
                job_row(&mut t, &s.namespace, &s.job_id, offset)?.insert_submission(s);
            }
            Record::Eval(e) => {
                t.put_eval(e);
            }
            Record::Alloc(mut a) => {
                if let Some(job) = &a.job {
                    let shared = jobs.intern(job.clone());
                    Arc::make_mut(&mut a).job = Some(shared);
                }
                t.put_alloc(a);
            }
            Record::Deployment(d) => {
                t.put_deployment(d);
            }
            Record::Node(n) => {
                t.nodes.insert(Id::of(&n.id), n);
            }
            Record::PeriodicLaunch(l) => {
                let key = t.job_key(&l.namespace, &l.id);
                t.periodic_launches.insert(key, l);
            }
            Record::ScalingEvents(e) => {
                let key = t.job_key(&e.namespace, &e.job_id);
                t.scaling_events.insert(key, e);
            }
            Record::ServiceRegistration(s) => {
                t.put_service(s);
            }
            Record::Namespace(n) => {
                t.namespaces.insert(name(&n.name), n);
            }
            Record::AclPolicy(p) => {
                t.acl_policies.insert(name(&p.name), p);
            }
            Record::AclToken(token) => {
                t.put_token(token);
            }
            Record::End(expected) => {
                if expected != count {
                    return Err(StateError::Corrupt {
                        offset,
                        reason: format!("snapshot has {count} records, its end says {expected}"),
                    });
                }
                t.ensure_default_namespace();
                return Ok(Snapshot::from_tables(t));
            }
        }
        count += 1;
    }
}

/// The row of a job whose version, summary or submission is being restored: the job comes
/// first in a snapshot.
fn job_row<'t>(
    t: &'t mut Tables,
    namespace: &str,
    job_id: &str,
    offset: u64,
) -> Result<&'t mut JobRow, StateError> {
    t.job_row_mut(namespace, job_id)
        .ok_or_else(|| StateError::Corrupt {
            offset,
            reason: format!("a record of job {namespace}/{job_id} comes before the job"),
        })
}

pub fn snapshot_from_bytes(bytes: &[u8]) -> Result<Snapshot, StateError> {
    read_snapshot(bytes)
}

/// Shares one `Arc<Job>` among equal decoded copies of a job version.
#[derive(Default)]
struct JobInterner {
    seen: HashMap<(SmolStr, SmolStr, u64, u64), Arc<Job>>,
}

impl JobInterner {
    fn intern(&mut self, job: Arc<Job>) -> Arc<Job> {
        let key = (
            job.namespace.clone(),
            job.id.clone(),
            job.version,
            job.modify_index,
        );
        match self.seen.get(&key) {
            Some(shared) if **shared == *job => shared.clone(),
            _ => {
                self.seen.insert(key, job.clone());
                job
            }
        }
    }
}

fn write_header(out: &mut impl Write, kind: u8) -> Result<(), StateError> {
    out.write_all(MAGIC).map_err(io_error)?;
    out.write_all(&FORMAT_VERSION.to_le_bytes())
        .map_err(io_error)?;
    out.write_all(&[kind]).map_err(io_error)
}

fn write_frame(out: &mut impl Write, record: &impl Serialize) -> Result<(), StateError> {
    let payload = rmp_serde::to_vec_named(record).map_err(|e| StateError::Encode(e.to_string()))?;
    let len = u32::try_from(payload.len())
        .ok()
        .filter(|len| *len <= MAX_FRAME)
        .ok_or_else(|| StateError::Encode(format!("record of {} bytes", payload.len())))?;
    out.write_all(&len.to_le_bytes()).map_err(io_error)?;
    out.write_all(&crc32fast::hash(&payload).to_le_bytes())
        .map_err(io_error)?;
    out.write_all(&payload).map_err(io_error)
}

fn io_error(e: io::Error) -> StateError {
    StateError::Io(e.to_string())
}

/// Reads frames and counts bytes, so errors can name where they are.
struct FrameReader<R> {
    input: R,
    offset: u64,
}

impl<R: Read> FrameReader<R> {
    fn new(mut input: R, kind: u8) -> Result<Self, StateError> {
        let mut header = [0u8; HEADER_LEN as usize];
        if fill(&mut input, &mut header)? != header.len() {
            return Err(StateError::Truncated { offset: 0 });
        }
        if &header[..4] != MAGIC {
            return Err(StateError::Corrupt {
                offset: 0,
                reason: "not a drover stream".to_string(),
            });
        }
        let version = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        if version != FORMAT_VERSION {
            return Err(StateError::UnsupportedVersion(version));
        }
        if header[8] != kind {
            return Err(StateError::Corrupt {
                offset: 8,
                reason: format!("stream kind {} where {kind} was expected", header[8]),
            });
        }
        Ok(FrameReader {
            input,
            offset: HEADER_LEN,
        })
    }

    /// The next record, or `None` at a clean end of the stream.
    fn next_record<T: DeserializeOwned>(&mut self) -> Result<Option<T>, StateError> {
        let offset = self.offset;
        let mut head = [0u8; 8];
        match fill(&mut self.input, &mut head)? {
            0 => return Ok(None),
            8 => {}
            _ => return Err(StateError::Truncated { offset }),
        }
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        if len > MAX_FRAME {
            return Err(StateError::Corrupt {
                offset,
                reason: format!("frame length {len}"),
            });
        }
        let mut payload = vec![0u8; len as usize];
        if fill(&mut self.input, &mut payload)? != payload.len() {
            return Err(StateError::Truncated { offset });
        }
        if crc32fast::hash(&payload) != crc {
            return Err(StateError::Corrupt {
                offset,
                reason: "checksum mismatch".to_string(),
            });
        }
        self.offset += 8 + u64::from(len);
        rmp_serde::from_slice(&payload)
            .map(Some)
            .map_err(|e| StateError::Corrupt {
                offset,
                reason: e.to_string(),
            })
    }
}

/// Reads until `buf` is full or the input ends; returns how much was read.
fn fill(input: &mut impl Read, buf: &mut [u8]) -> Result<usize, StateError> {
    let mut read = 0;
    while read < buf.len() {
        match input.read(&mut buf[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error(e)),
        }
    }
    Ok(read)
}

//! Durable storage: the write-ahead log, snapshots and recovery (`drover_agent::wal`), driven
//! through a real engine on a temporary data directory.

mod wal_common;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use drover_agent::AgentError;
use drover_agent::wal::{self, Recovered, RecoveryReport, Storage, WalOptions};
use drover_core::api::{JobDeregisterOptions, RequestContext};
use drover_core::state::Snapshot;
use drover_core::{Engine, EngineConfig, ManualClock};
use wal_common::{TempDir, register_request, sample_job};

/// 2024-01-01T00:00:00Z, in unix nanoseconds.
const START: i64 = 1_704_067_200_000_000_000;

fn open(dir: &Path, options: WalOptions) -> Storage {
    let config = EngineConfig {
        seed: 7,
        ..EngineConfig::default()
    };
    wal::open(dir, config, Arc::new(ManualClock::new(START)), options).expect("storage opens")
}

/// Stops the storage and drops its engine (closing the log); returns the final state.
fn close(storage: Storage) -> Snapshot {
    let state = storage.engine().snapshot();
    storage.close();
    state
}

/// Recovers the directory and closes it again.
fn recover(dir: &Path) -> (Snapshot, RecoveryReport) {
    let Recovered { state, report, .. } =
        wal::recover(dir, WalOptions::default()).expect("recovers");
    (state, report)
}

/// One commit per job: `job-<i>` with `i` instances.
fn register_jobs(engine: &Engine, ids: impl IntoIterator<Item = i64>) {
    for i in ids {
        let job = sample_job(&format!("job-{i}"), i);
        engine
            .register_job(&RequestContext::default(), register_request(job))
            .expect("register");
    }
}

/// One small commit: stops `job_id`.
fn stop_job(engine: &Engine, job_id: &str) {
    engine
        .deregister_job(
            &RequestContext::default(),
            job_id,
            &JobDeregisterOptions::default(),
        )
        .expect("stop");
}

fn files(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(dir)
        .expect("listing")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == extension))
        .collect();
    found.sort();
    found
}

fn wal_dir(dir: &Path) -> PathBuf {
    dir.join("server/wal")
}

fn snapshot_dir(dir: &Path) -> PathBuf {
    dir.join("server/snapshots")
}

/// The first indexes the segment files are named after.
fn segment_indexes(dir: &Path) -> Vec<u64> {
    files(&wal_dir(dir), "wal")
        .iter()
        .map(|path| {
            let stem = path.file_stem().and_then(|s| s.to_str()).expect("name");
            stem.parse().expect("numbered")
        })
        .collect()
}

fn only_segment(dir: &Path) -> PathBuf {
    let segments = files(&wal_dir(dir), "wal");
    assert_eq!(segments.len(), 1, "{segments:?}");
    segments[0].clone()
}

fn len(path: &Path) -> u64 {
    fs::metadata(path).expect("metadata").len()
}

fn clean(report: &RecoveryReport) -> RecoveryReport {
    RecoveryReport {
        damage: None,
        discarded: Vec::new(),
        ..report.clone()
    }
}

#[test]
fn restart_recovers_every_write() {
    let dir = TempDir::new("wal-restart");
    let storage = open(dir.path(), WalOptions::default());
    register_jobs(storage.engine(), 1..=4);
    stop_job(storage.engine(), "job-2");
    let first = close(storage);

    let storage = open(dir.path(), WalOptions::default());
    assert_eq!(storage.engine().snapshot(), first);
    // The log continues at the next index.
    register_jobs(storage.engine(), 5..=6);
    let expected = close(storage);
    assert_eq!(expected.applied_index(), first.applied_index() + 2);

    let (state, report) = recover(dir.path());
    assert_eq!(state, expected);
    assert_eq!(
        report,
        RecoveryReport {
            snapshot_index: None,
            replayed: expected.applied_index(),
            last_index: expected.applied_index(),
            damage: None,
            discarded: Vec::new(),
        }
    );
}

#[test]
fn an_empty_directory_recovers_to_an_empty_state() {
    let dir = TempDir::new("wal-empty");
    let (state, report) = recover(dir.path());
    assert_eq!(state.applied_index(), 0);
    assert!(state.namespace("default").is_some());
    assert_eq!(report, RecoveryReport::default());
}

#[test]
fn a_torn_last_frame_is_cut_at_every_byte_offset() {
    let dir = TempDir::new("wal-torn");
    let storage = open(dir.path(), WalOptions::default());
    register_jobs(storage.engine(), 1..=2);
    let before = storage.engine().snapshot();
    let segment = only_segment(dir.path());
    let complete = len(&segment);
    stop_job(storage.engine(), "job-1");
    let after = close(storage);
    let bytes = fs::read(&segment).expect("segment");
    assert!(bytes.len() as u64 > complete);

    for cut in complete..bytes.len() as u64 {
        fs::remove_dir_all(wal_dir(dir.path())).expect("reset");
        fs::create_dir_all(wal_dir(dir.path())).expect("reset");
        fs::write(&segment, &bytes[..cut as usize]).expect("torn segment");
        let (state, report) = recover(dir.path());
        assert_eq!(state, before, "cut at byte {cut}");
        let damage = report
            .damage
            .map(|d| (d.segment, d.offset, d.dropped_bytes));
        let expected = (cut > complete).then(|| (segment.clone(), complete, cut - complete));
        assert_eq!(damage, expected, "cut at byte {cut}");
        assert_eq!(len(&segment), complete, "cut at byte {cut}");
    }

    fs::write(&segment, &bytes).expect("whole segment");
    let (state, report) = recover(dir.path());
    assert_eq!(state, after);
    assert_eq!(report.damage, None);
}

#[test]
fn a_corrupt_frame_ends_the_log_there_and_is_reported() {
    let dir = TempDir::new("wal-corrupt");
    let storage = open(dir.path(), WalOptions::default());
    let segment = only_segment(dir.path());
    register_jobs(storage.engine(), 1..=1);
    let kept = storage.engine().snapshot();
    let damaged_at = len(&segment);
    register_jobs(storage.engine(), 2..=4);
    close(storage);

    // Flip one payload byte of the second frame (past its 8-byte length and checksum).
    let mut bytes = fs::read(&segment).expect("segment");
    bytes[damaged_at as usize + 20] ^= 0xff;
    fs::write(&segment, &bytes).expect("corrupt segment");

    let (state, report) = recover(dir.path());
    assert_eq!(state, kept);
    let damage = report.damage.expect("damage reported");
    assert_eq!(
        (damage.segment, damage.offset, damage.dropped_bytes),
        (segment.clone(), damaged_at, bytes.len() as u64 - damaged_at)
    );
    assert!(damage.reason.contains("checksum"), "{}", damage.reason);
    assert_eq!(len(&segment), damaged_at);

    // The next start finds a clean log that continues after the kept entries.
    let storage = open(dir.path(), WalOptions::default());
    register_jobs(storage.engine(), 9..=9);
    let expected = close(storage);
    assert_eq!(expected.applied_index(), kept.applied_index() + 1);
    let (state, report) = recover(dir.path());
    assert_eq!(state, expected);
    assert_eq!(report.damage, None);
}

#[test]
fn segments_after_a_corrupt_one_are_set_aside() {
    let dir = TempDir::new("wal-discard");
    // Every entry in a segment of its own.
    let options = WalOptions {
        segment_bytes: 1,
        ..WalOptions::default()
    };
    let storage = open(dir.path(), options);
    register_jobs(storage.engine(), 1..=1);
    let kept = storage.engine().snapshot();
    register_jobs(storage.engine(), 2..=4);
    close(storage);
    let segments = files(&wal_dir(dir.path()), "wal");
    assert_eq!(segment_indexes(dir.path()), [1, 2, 3, 4]);

    let mut bytes = fs::read(&segments[1]).expect("segment");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    fs::write(&segments[1], &bytes).expect("corrupt segment");

    let (state, report) = recover(dir.path());
    assert_eq!(state, kept);
    assert_eq!(
        report.damage.map(|d| (d.segment, d.offset)),
        Some((segments[1].clone(), 9))
    );
    let discarded: Vec<PathBuf> = segments[2..]
        .iter()
        .map(|s| s.with_extension("wal.discarded"))
        .collect();
    assert_eq!(report.discarded, discarded);
    assert!(discarded.iter().all(|path| path.exists()));
    assert_eq!(segment_indexes(dir.path()), [1, 2]);
}

#[test]
fn snapshots_compact_the_log_and_recovery_replays_the_rest() {
    let dir = TempDir::new("wal-snapshot");
    let options = WalOptions {
        segment_bytes: 1,
        snapshot_threshold: u64::MAX,
    };
    let storage = open(dir.path(), options);
    register_jobs(storage.engine(), 1..=3);
    assert_eq!(storage.snapshot_now().expect("snapshot"), 3);
    register_jobs(storage.engine(), 4..=6);
    assert_eq!(storage.snapshot_now().expect("snapshot"), 6);
    // The next append deletes the segments the older snapshot covers.
    register_jobs(storage.engine(), 7..=8);
    let expected = close(storage);

    assert_eq!(segment_indexes(dir.path()), [4, 5, 6, 7, 8]);
    let snapshots = files(&snapshot_dir(dir.path()), "snap");
    assert_eq!(snapshots.len(), 2);

    let (state, report) = recover(dir.path());
    assert_eq!(state, expected);
    assert_eq!(
        clean(&report),
        RecoveryReport {
            snapshot_index: Some(6),
            replayed: 2,
            last_index: 8,
            ..RecoveryReport::default()
        }
    );

    // A newest snapshot that does not read back is set aside for the older one.
    let newest = &snapshots[1];
    let bytes = fs::read(newest).expect("snapshot");
    fs::write(newest, &bytes[..bytes.len() / 2]).expect("cut snapshot");
    let (state, report) = recover(dir.path());
    assert_eq!(state, expected);
    assert_eq!((report.snapshot_index, report.replayed), (Some(3), 5));
    assert!(newest.with_extension("snap.invalid").exists());
}

#[test]
fn snapshots_are_taken_every_threshold_entries() {
    let dir = TempDir::new("wal-threshold");
    let options = WalOptions {
        snapshot_threshold: 2,
        ..WalOptions::default()
    };
    let storage = open(dir.path(), options);
    register_jobs(storage.engine(), 1..=6);
    let expected = close(storage);
    // The first request is queued before the thread is told to stop, so it is served.
    assert!(!files(&snapshot_dir(dir.path()), "snap").is_empty());
    let (state, report) = recover(dir.path());
    assert_eq!(state, expected);
    assert!(report.snapshot_index.is_some());
}

#[test]
fn a_directory_in_use_is_refused() {
    let dir = TempDir::new("wal-lock");
    let storage = open(dir.path(), WalOptions::default());
    match wal::recover(dir.path(), WalOptions::default()) {
        Err(AgentError::Recovery { reason, .. }) => {
            assert_eq!(
                reason,
                "the data directory is in use by another drover agent"
            )
        }
        other => panic!("expected the lock to refuse, got {other:?}"),
    }
    close(storage);
    recover(dir.path());
}

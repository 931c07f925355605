//! Commands and snapshots as bytes: replay rebuilds the same store, and damaged bytes are
//! reported with their offset.

use std::sync::Arc;

use drover_model::{AclPolicy, AclToken, EvalStatus, Namespace, Node, ServiceRegistration};
use drover_state::{
    AclPolicies, AclTokens, Command, Namespaces, ServiceRegistrations, Snapshot, StateError,
    StateStore, UpsertNode, encode_commands, read_commands, read_snapshot, snapshot_from_bytes,
    snapshot_to_bytes,
};

use crate::support::*;

/// A log that touches most tables.
fn varied_log() -> Harness {
    let mut h = Harness::new();
    h.ok(Command::UpsertNamespaces(Namespaces {
        namespaces: vec![Namespace {
            name: "dev".to_string(),
            ..Namespace::default()
        }],
    }));
    h.ok(Command::UpsertNode(UpsertNode {
        node: Node {
            id: "n1".into(),
            status: "ready".to_string(),
            ..Node::default()
        },
    }));
    h.ok(register_with_eval(
        job("web", 2),
        eval("e1", "web", EvalStatus::Pending),
    ));
    let web = h.job("web");
    h.ok(place(vec![
        alloc("a1", &web, "n1"),
        alloc("a2", &web, "n1"),
    ]));
    h.ok(Command::UpsertServiceRegistrations(ServiceRegistrations {
        services: vec![ServiceRegistration {
            id: "s1".to_string(),
            service_name: "web".to_string(),
            namespace: NS.to_string(),
            job_id: "web".to_string(),
            alloc_id: "a1".to_string(),
            ..ServiceRegistration::default()
        }],
    }));
    h.ok(Command::UpsertAclPolicies(AclPolicies {
        policies: vec![AclPolicy {
            name: "readonly".to_string(),
            rules: "namespace \"*\" { policy = \"read\" }".to_string(),
            ..AclPolicy::default()
        }],
    }));
    h.ok(Command::UpsertAclTokens(AclTokens {
        tokens: vec![AclToken {
            accessor_id: "acc".to_string(),
            secret_id: "sec".to_string(),
            policies: vec!["readonly".to_string()],
            ..AclToken::default()
        }],
    }));
    h.ok(register(job("web", 3)));
    h.ok(evals(vec![eval("e1", "web", EvalStatus::Complete)]));
    h
}

fn replay(entries: impl IntoIterator<Item = (u64, Command)>, store: &StateStore) {
    for (index, command) in entries {
        store
            .apply(index, &command)
            .expect("replayed command applies");
    }
}

#[test]
fn replaying_the_decoded_log_rebuilds_an_identical_store() {
    let h = varied_log();
    let bytes = encode_commands(h.log.iter().map(|(i, c)| (*i, c))).expect("encode");
    let decoded = read_commands(bytes.as_slice()).expect("decode");
    assert_eq!(decoded.len(), h.log.len());
    let store = StateStore::new();
    for entry in decoded {
        store
            .apply_owned(entry.index, entry.command)
            .expect("replayed command applies");
    }
    assert_eq!(store.snapshot(), h.snap());
}

#[test]
fn a_restored_snapshot_plus_the_rest_of_the_log_rebuilds_the_store() {
    let h = varied_log();
    let middle = h.log.len() / 2;
    let partial = StateStore::new();
    replay(h.log[..middle].iter().cloned(), &partial);
    let bytes = snapshot_to_bytes(&partial.snapshot()).expect("encode snapshot");
    let restored = snapshot_from_bytes(&bytes).expect("decode snapshot");
    assert_eq!(restored, partial.snapshot());
    let store = StateStore::from_snapshot(restored);
    replay(h.log[middle..].iter().cloned(), &store);
    assert_eq!(store.snapshot(), h.snap());
    store
        .snapshot()
        .check_invariants()
        .expect("restored store keeps its invariants");
    let a1 = store.snapshot().alloc("a1").expect("alloc");
    let a2 = store.snapshot().alloc("a2").expect("alloc");
    let (j1, j2) = (a1.job.as_ref().expect("job"), a2.job.as_ref().expect("job"));
    assert!(Arc::ptr_eq(j1, j2), "allocations share their job again");
}

/// Offsets of the frames after the 9-byte header.
fn frame_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut offsets = Vec::new();
    let mut at = 9;
    while at < bytes.len() {
        offsets.push(at);
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("len")) as usize;
        at += 8 + len;
    }
    offsets
}

#[test]
fn damaged_bytes_are_reported_with_the_offset_of_their_frame() {
    let h = varied_log();
    let bytes = encode_commands(h.log.iter().map(|(i, c)| (*i, c))).expect("encode");
    let frames = frame_offsets(&bytes);
    let second = frames[1];

    let mut flipped = bytes.clone();
    flipped[second + 12] ^= 0xff;
    match read_commands(flipped.as_slice()) {
        Err(StateError::Corrupt { offset, reason }) => {
            assert_eq!(offset, second as u64);
            assert_eq!(reason, "checksum mismatch");
        }
        other => panic!("expected corruption, got {other:?}"),
    }

    let cut = &bytes[..second + 5];
    assert_eq!(
        read_commands(cut).map(|e| e.len()),
        Err(StateError::Truncated {
            offset: second as u64
        })
    );
    let at_boundary = &bytes[..second];
    assert_eq!(read_commands(at_boundary).map(|e| e.len()), Ok(1));

    let mut future = bytes.clone();
    future[4] = 9;
    assert_eq!(
        read_commands(future.as_slice()).map(|e| e.len()),
        Err(StateError::UnsupportedVersion(9))
    );
    let as_snapshot = read_snapshot(bytes.as_slice());
    assert!(matches!(
        as_snapshot,
        Err(StateError::Corrupt { offset: 8, .. })
    ));
}

#[test]
fn a_snapshot_cut_between_frames_is_truncated_not_smaller() {
    let h = varied_log();
    let bytes = snapshot_to_bytes(&h.snap()).expect("encode");
    let frames = frame_offsets(&bytes);
    let last = *frames.last().expect("frames");
    let result: Result<Snapshot, _> = snapshot_from_bytes(&bytes[..last]);
    assert_eq!(
        result,
        Err(StateError::Truncated {
            offset: last as u64
        })
    );
}

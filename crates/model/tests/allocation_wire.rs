//! An `Allocation` on the wire: its JSON (Nomad's field order, `null` for empty collections) and
//! the named msgpack of the state store's log and snapshots stay byte for byte the same whatever
//! the record's layout in memory. Run with `UPDATE_GOLDEN=1` to rewrite the golden files after
//! an intended change.

use std::path::PathBuf;

use drover_model::Allocation;
use serde_json::{Value, json};

/// A fresh placement: what the scheduler sets, everything else at its default.
fn placed() -> Value {
    json!({
        "ID": "5456bd7a-9fc0-c0dd-6131-cbee77f57577",
        "Namespace": "default",
        "EvalID": "9afa04bb-5d2e-0a4f-5bc8-1bfb1b4cbd8c",
        "Name": "example.cache[0]",
        "NodeID": "fb2170a8-257d-3c64-b14d-bc06cc94e34c",
        "NodeName": "node-1",
        "JobID": "example",
        "TaskGroup": "cache",
        "AllocatedResources": {
            "Tasks": {"redis": {"Cpu": {"CpuShares": 500}, "Memory": {"MemoryMB": 256}}},
            "Shared": {"DiskMB": 300}
        },
        "Metrics": {
            "NodesEvaluated": 3, "NodesFiltered": 1, "NodesInPool": 3,
            "NodesAvailable": {"dc1": 3},
            "ClassFiltered": {"class-b": 1},
            "ConstraintFiltered": {"${node.class} = class-a": 1},
            "ScoreMetaData": [{"NodeID": "fb2170a8-257d-3c64-b14d-bc06cc94e34c",
                               "Scores": {"binpack": 0.25, "job-anti-affinity": 0.0},
                               "NormScore": 0.125}],
            "AllocationTime": 41000
        },
        "DesiredStatus": "run",
        "ClientStatus": "pending",
        "DeploymentID": "7b2b5e4a-9c1e-4a8b-8d6e-2f0c9a1b3c4d",
        "CreateIndex": 12, "ModifyIndex": 12, "AllocModifyIndex": 12,
        "CreateTime": 1_704_067_200_000_000_000_i64, "ModifyTime": 1_704_067_200_000_000_000_i64
    })
}

/// Every field set, the rarely set ones included.
fn full() -> Value {
    let mut alloc = placed();
    let more = json!({
        "Metrics": {
            "NodesEvaluated": 3, "NodesFiltered": 1, "NodesInPool": 3,
            "NodesAvailable": {"dc1": 3, "dc2": 0},
            "ClassFiltered": {"class-b": 1},
            "NodesExhausted": 2,
            "ClassExhausted": {"class-a": 2},
            "DimensionExhausted": {"memory": 1, "cpu": 1},
            "QuotaExhausted": ["cpu"],
            "AllocationTime": 52000,
            "CoalescedFailures": 3
        },
        "DesiredStatus": "stop",
        "DesiredDescription": "alloc was rescheduled because it failed",
        "DesiredTransition": {"Migrate": true, "Reschedule": false, "ForceReschedule": true,
                              "NoShutdownDelay": false, "MigrateDisablePlacement": true},
        "ClientStatus": "failed",
        "ClientDescription": "Failed tasks",
        "TaskStates": {"redis": {
            "State": "dead", "Failed": true, "Restarts": 2,
            "LastRestart": "2024-01-01T00:01:00Z", "StartedAt": "2024-01-01T00:00:10Z",
            "FinishedAt": "2024-01-01T00:02:00Z",
            "Events": [{"Type": "Terminated", "Time": 1_704_067_320_000_000_000_i64,
                        "ExitCode": 1, "Details": {"exit_code": "1"}}]
        }},
        "AllocStates": [{"Field": 0, "Value": "unknown", "Time": "2024-01-01T00:01:30Z"}],
        "PreviousAllocation": "0c3b1d9e-3f0b-4a8e-9d2a-6b1e2f3a4b5c",
        "NextAllocation": "1d4c2e0f-4a1c-4b9f-8e3b-7c2f3a4b5c6d",
        "DeploymentStatus": {"Healthy": false, "Timestamp": "2024-01-01T00:02:00Z",
                             "Canary": true, "ModifyIndex": 15},
        "RescheduleTracker": {"Events": [{"RescheduleTime": 1_704_067_300_000_000_000_i64,
                                          "PrevAllocID": "0c3b1d9e-3f0b-4a8e-9d2a-6b1e2f3a4b5c",
                                          "PrevNodeID": "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b",
                                          "Delay": 30_000_000_000_i64}],
                              "LastReschedule": "ok"},
        "FollowupEvalID": "2e5d3f1a-5b2d-4c0a-9f4c-8d3a4b5c6d7e",
        "PreemptedAllocations": ["3f6e4a2b-6c3e-4d1b-8a5d-9e4b5c6d7e8f"],
        "PreemptedByAllocation": "4a7f5b3c-7d4f-4e2c-9b6e-af5c6d7e8f90",
        "ModifyIndex": 20, "AllocModifyIndex": 18
    });
    let (Value::Object(alloc_fields), Value::Object(more)) = (&mut alloc, more) else {
        unreachable!("both are objects");
    };
    alloc_fields.extend(more);
    alloc
}

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

fn hex(bytes: &[u8]) -> String {
    let lines: Vec<String> = bytes
        .chunks(32)
        .map(|line| line.iter().map(|b| format!("{b:02x}")).collect())
        .collect();
    lines.join("\n") + "\n"
}

fn check_golden(name: &str, text: &str) {
    let path = golden(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, text).expect("write golden");
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1)", path.display()));
    assert_eq!(text, expected, "{} differs", path.display());
}

/// `input` decodes, and writes the golden JSON and msgpack; both decode back to the same record.
fn check(input: Value, name: &str) {
    let alloc: Allocation = serde_json::from_value(input).expect("decode");

    let text = serde_json::to_string_pretty(&alloc).expect("encode") + "\n";
    check_golden(&format!("{name}.json"), &text);
    let again: Allocation = serde_json::from_str(&text).expect("decode the encoding");
    assert_eq!(again, alloc, "{name}: the JSON round trip");

    let bytes = rmp_serde::to_vec_named(&alloc).expect("msgpack");
    check_golden(&format!("{name}.msgpack.hex"), &hex(&bytes));
    let again: Allocation = rmp_serde::from_slice(&bytes).expect("decode the msgpack");
    assert_eq!(again, alloc, "{name}: the msgpack round trip");
}

#[test]
fn a_fresh_placement_on_the_wire() {
    check(placed(), "allocation_placed");
}

#[test]
fn an_allocation_with_every_field_on_the_wire() {
    check(full(), "allocation_full");
}

#[test]
fn an_empty_allocation_on_the_wire() {
    check(json!({}), "allocation_empty");
}

/// A detail set and cleared again leaves the record equal to one that never had it, and
/// written the same.
#[test]
fn a_detail_set_and_cleared_is_no_detail() {
    let fresh: Allocation = serde_json::from_value(placed()).expect("decode");
    let mut cleared = fresh.clone();
    cleared.details_mut().followup_eval_id = "2e5d3f1a-5b2d-4c0a-9f4c-8d3a4b5c6d7e".into();
    assert_ne!(cleared, fresh);
    cleared.details_mut().followup_eval_id = "".into();
    assert_eq!(cleared, fresh);
    let written = |a: &Allocation| serde_json::to_string(a).expect("encode");
    assert_eq!(written(&cleared), written(&fresh));
}

/// Statuses are Nomad's closed sets: a record naming another is refused, with the name.
#[test]
fn an_unknown_status_is_refused() {
    for (field, value) in [("ClientStatus", "sleeping"), ("DesiredStatus", "pause")] {
        let mut input = placed();
        input[field] = json!(value);
        let err = serde_json::from_value::<Allocation>(input)
            .expect_err("an unknown status decodes")
            .to_string();
        assert!(err.contains(&format!("unknown variant `{value}`")), "{err}");
    }
}

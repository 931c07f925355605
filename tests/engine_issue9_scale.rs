//! Scale status (`GET /v1/job/:id/scale`) through the engine: desired counts, live
//! allocations by client status, the stopped flag, and the 404.

mod engine_common;

use drover::core::api::JobDeregisterOptions;
use drover::state::ClientAllocUpdate;
use engine_common::*;

#[test]
fn scale_status_counts_the_live_allocations_of_each_group() {
    let f = fixture();
    f.engine.upsert_node(node("n1", "ready")).unwrap();
    f.engine.register_job(&ctx(), sample_register()).unwrap();
    f.engine.process_until_idle().unwrap();
    let status = f.engine.job_scale_status(&ctx(), "cache").unwrap();
    let job = f.engine.read_job(&ctx(), "cache").unwrap().value;
    let value = &status.value;
    assert_eq!(
        (value.job_id.as_str(), value.namespace.as_str()),
        ("cache", "default")
    );
    assert_eq!(value.job_create_index, job.create_index);
    assert_eq!(value.job_modify_index, job.modify_index);
    assert!(!value.job_stopped);
    let groups: Vec<(&str, i64, i64, i64)> = value
        .task_groups
        .iter()
        .map(|(name, g)| (name.as_str(), g.desired, g.placed, g.running))
        .collect();
    let desired = job.task_groups[0].count;
    assert_eq!(groups, [("cache", desired, desired, 0)]);
    assert!(value.task_groups["cache"].events.is_empty());
    assert!(status.index >= job.modify_index);

    let first = f
        .engine
        .job_allocations(&ctx(), "cache", false)
        .unwrap()
        .value[0]
        .id
        .clone();
    let update = ClientAllocUpdate {
        alloc_id: first,
        client_status: "running".to_string(),
        ..ClientAllocUpdate::default()
    };
    f.engine.update_allocs_from_client(vec![update]).unwrap();
    let value = f.engine.job_scale_status(&ctx(), "cache").unwrap().value;
    assert_eq!(value.task_groups["cache"].running, 1);

    f.engine
        .deregister_job(&ctx(), "cache", &JobDeregisterOptions::default())
        .unwrap();
    f.engine.process_until_idle().unwrap();
    let value = f.engine.job_scale_status(&ctx(), "cache").unwrap().value;
    assert!(value.job_stopped);
    assert_eq!(value.task_groups["cache"].placed, 0);
}

#[test]
fn scale_status_of_a_missing_job_is_404() {
    let f = fixture();
    check_error(
        f.engine.job_scale_status(&ctx(), "nope"),
        404,
        "job not found",
    );
}

//! Nomad service registrations (`provider = "nomad"`): written when a client reports an
//! allocation running, removed when it stops or is purged; read with the job services call.

mod engine_common;

use std::sync::Arc;

use drover::core::api::JobDeregisterOptions;
use drover::model::ClientStatus;
use drover::model::{Allocation, Job, Service, UpdateStrategy};
use drover::state::ClientAllocUpdate;
use engine_common::*;

/// The sample job with its group service and a task service on Nomad's service discovery.
fn nomad_services_job() -> Job {
    let mut job = sample_job("cache");
    let group = Arc::make_mut(&mut job.task_groups[0]);
    group.services[0].provider = "nomad".to_string();
    group.services[0].tags = vec!["db".to_string()];
    Arc::make_mut(&mut group.tasks[0]).services = vec![Service {
        name: "redis-task".to_string(),
        port_label: "db".to_string(),
        provider: "nomad".to_string(),
        tags: vec!["live".to_string()],
        canary_tags: vec!["canary".to_string()],
        ..Service::default()
    }];
    job
}

fn placed(f: &Fixture, job: Job) -> Allocation {
    f.engine.upsert_node(node("n1", "ready")).unwrap();
    f.engine.register_job(&ctx(), register(job)).unwrap();
    f.engine.process_until_idle().unwrap();
    let snapshot = f.engine.snapshot();
    let allocs = snapshot.allocs_by_job("default", "cache", false);
    assert_eq!(allocs.len(), 1);
    (*allocs[0]).clone()
}

fn report(f: &Fixture, alloc: &Allocation, status: ClientStatus) {
    let update = ClientAllocUpdate {
        alloc_id: alloc.id.to_string(),
        client_status: status,
        ..ClientAllocUpdate::default()
    };
    f.engine.update_allocs_from_client(vec![update]).unwrap();
}

/// (ID, service name, tags, address, port) of the job's registrations.
fn services(f: &Fixture) -> Vec<(String, String, Vec<String>, String, i64)> {
    let read = f.engine.job_services(&ctx(), "cache").unwrap();
    read.value
        .iter()
        .map(|s| {
            (
                s.id.clone(),
                s.service_name.clone(),
                s.tags.clone(),
                s.address.clone(),
                s.port,
            )
        })
        .collect()
}

/// The host port the scheduler gave the label `db`.
fn db_port(alloc: &Allocation) -> i64 {
    let resources = alloc.allocated_resources.as_ref().unwrap();
    let network = &resources.shared.networks[0];
    network
        .dynamic_ports
        .iter()
        .find(|p| p.label == "db")
        .map(|p| p.value)
        .unwrap()
}

#[test]
fn a_running_allocation_registers_its_services_until_it_stops() {
    let f = fixture();
    let alloc = placed(&f, nomad_services_job());
    // Pending: nothing yet.
    assert_eq!(services(&f), []);

    report(&f, &alloc, ClientStatus::Running);
    let port = db_port(&alloc);
    assert!((20_000..32_000).contains(&port), "{port}");
    let id = &alloc.id;
    let mut expected = vec![
        (
            format!("_nomad-task-{id}-group-cache-redis-cache-db"),
            "redis-cache".to_string(),
            vec!["db".to_string()],
            "10.0.0.1".to_string(),
            port,
        ),
        (
            format!("_nomad-task-{id}-redis-redis-task-db"),
            "redis-task".to_string(),
            vec!["live".to_string()],
            "10.0.0.1".to_string(),
            port,
        ),
    ];
    expected.sort();
    assert_eq!(services(&f), expected);
    let read = f.engine.job_services(&ctx(), "cache").unwrap();
    let first = &read.value[0];
    assert_eq!(
        (
            first.namespace.as_str(),
            first.node_id.as_str(),
            first.datacenter.as_str(),
            first.job_id.as_str(),
            first.alloc_id.as_str()
        ),
        ("default", "n1", "dc1", "cache", id.as_str())
    );
    assert_eq!(read.index, first.modify_index);

    // Reported again: nothing changes.
    report(&f, &alloc, ClientStatus::Running);
    assert_eq!(
        f.engine.job_services(&ctx(), "cache").unwrap().index,
        read.index
    );

    // The allocation stops on the client: its services are gone.
    report(&f, &alloc, ClientStatus::Complete);
    assert_eq!(services(&f), []);
}

#[test]
fn purging_the_job_removes_its_services() {
    let f = fixture();
    let alloc = placed(&f, nomad_services_job());
    report(&f, &alloc, ClientStatus::Running);
    assert_eq!(services(&f).len(), 2);
    let purge = JobDeregisterOptions {
        purge: true,
        ..JobDeregisterOptions::default()
    };
    f.engine.deregister_job(&ctx(), "cache", &purge).unwrap();
    assert!(
        f.engine
            .snapshot()
            .service_registrations_by_job("default", "cache")
            .is_empty()
    );
    check_error(f.engine.job_services(&ctx(), "cache"), 404, "job not found");
}

#[test]
fn consul_services_are_not_registered_with_nomad() {
    let f = fixture();
    let alloc = placed(&f, sample_job("cache"));
    report(&f, &alloc, ClientStatus::Running);
    assert_eq!(services(&f), []);
}

#[test]
fn services_of_a_missing_job_are_404() {
    let f = fixture();
    check_error(f.engine.job_services(&ctx(), "nope"), 404, "job not found");
}

#[test]
fn a_canary_registers_its_canary_tags() {
    let f = fixture();
    let mut job = nomad_services_job();
    Arc::make_mut(&mut job.task_groups[0]).update = Some(UpdateStrategy {
        canary: Some(1),
        ..UpdateStrategy::default()
    });
    let first = placed(&f, job.clone());
    report(&f, &first, ClientStatus::Running);
    let group = Arc::make_mut(&mut job.task_groups[0]);
    Arc::make_mut(&mut group.tasks[0])
        .config
        .insert("image".to_string(), serde_json::json!("redis:8"));
    f.engine.register_job(&ctx(), register(job)).unwrap();
    f.engine.process_until_idle().unwrap();
    let snapshot = f.engine.snapshot();
    let canary = snapshot
        .allocs_by_job("default", "cache", false)
        .into_iter()
        .find(|a| a.id != first.id)
        .expect("a canary");
    assert!(canary.details().deployment_status.as_ref().unwrap().canary);
    report(&f, &canary, ClientStatus::Running);
    let mut tags: Vec<(String, Vec<String>)> = f
        .engine
        .job_services(&ctx(), "cache")
        .unwrap()
        .value
        .iter()
        .filter(|s| s.service_name == "redis-task")
        .map(|s| (s.alloc_id.clone(), s.tags.clone()))
        .collect();
    let mut expected = vec![
        (first.id.to_string(), vec!["live".to_string()]),
        (canary.id.to_string(), vec!["canary".to_string()]),
    ];
    expected.sort();
    tags.sort();
    assert_eq!(tags, expected);
}

//! Fixtures shared by the feasibility tests: nodes, jobs and allocations with plain defaults, and
//! golden-file comparison.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use drover_model::node::{node_eligibility, node_status};
use drover_model::{
    AllocatedCpuResources, AllocatedMemoryResources, AllocatedResources, AllocatedSharedResources,
    AllocatedTaskResources, Allocation, Constraint, DriverInfo, EphemeralDisk, Job,
    NetworkResource, Node, NodeCpuResources, NodeDiskResources, NodeMemoryResources, NodeResources,
    Resources, Task, TaskGroup,
};
use drover_model::{ClientStatus, DesiredStatus};
use drover_plan::feasible::{ClusterView, GenericStack, RankedNode, SelectOptions, StackConfig};
use serde::Serialize;

/// A ready node in `dc` with 4000 MHz, 8192 MB, 100 GB of disk, one host network and docker.
pub fn node(id: &str, dc: &str) -> Node {
    let n: u32 = id.bytes().map(u32::from).sum::<u32>() % 250;
    Node {
        id: id.into(),
        name: id.into(),
        datacenter: dc.to_owned(),
        node_pool: "default".to_owned(),
        status: node_status::READY.to_owned(),
        scheduling_eligibility: node_eligibility::ELIGIBLE.to_owned(),
        attributes: [
            ("kernel.name", "linux"),
            ("nomad.version", "1.7.3"),
            ("unique.hostname", id),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
        drivers: [(
            "docker".to_owned(),
            DriverInfo {
                detected: true,
                healthy: true,
                ..DriverInfo::default()
            },
        )]
        .into(),
        node_resources: Some(NodeResources {
            cpu: NodeCpuResources {
                cpu_shares: 4000,
                total_cpu_cores: 4,
                reservable_cpu_cores: vec![0, 1, 2, 3],
            },
            memory: NodeMemoryResources { memory_mb: 8192 },
            disk: NodeDiskResources { disk_mb: 100_000 },
            networks: vec![NetworkResource {
                mode: "host".to_owned(),
                device: "eth0".to_owned(),
                ip: format!("10.0.0.{n}"),
                mbits: 1000,
                ..NetworkResource::default()
            }],
            ..NodeResources::default()
        }),
        ..Node::default()
    }
}

pub fn with(mut node: Node, f: impl FnOnce(&mut Node)) -> Node {
    f(&mut node);
    node
}

/// A ready node in dc1 with `meta.rack` set.
pub fn racked(id: &str, rack: &str) -> Node {
    with(node(id, "dc1"), |n| {
        n.meta.insert("rack".to_owned(), rack.to_owned());
    })
}

pub fn arcs(nodes: Vec<Node>) -> Vec<Arc<Node>> {
    nodes.into_iter().map(Arc::new).collect()
}

/// A service job `web` in dc1 with group `web` (count 3) of one docker task asking 500 MHz and
/// 256 MB, and a 300 MB ephemeral disk.
pub fn job() -> Job {
    Job {
        id: "web".into(),
        name: "web".into(),
        namespace: "default".into(),
        region: "global".into(),
        job_type: "service".into(),
        priority: 50,
        datacenters: vec!["dc1".into()],
        node_pool: "default".into(),
        task_groups: vec![Arc::new(TaskGroup {
            name: "web".into(),
            count: 3,
            ephemeral_disk: Some(EphemeralDisk {
                size_mb: 300,
                ..EphemeralDisk::default()
            }),
            tasks: vec![Arc::new(Task {
                name: "server".into(),
                driver: "docker".into(),
                resources: Some(Resources {
                    cpu: 500,
                    memory_mb: 256,
                    ..Resources::default()
                }),
                ..Task::default()
            })],
            ..TaskGroup::default()
        })],
        ..Job::default()
    }
}

pub fn constraint(l: &str, op: &str, r: &str) -> Constraint {
    Constraint {
        l_target: l.to_owned(),
        operand: op.to_owned(),
        r_target: r.to_owned(),
    }
}

/// A running allocation of `job`/`group` on `node` holding `cpu` MHz and `memory_mb`.
pub fn alloc(id: &str, job: &str, group: &str, node: &str, cpu: i64, memory_mb: i64) -> Allocation {
    Allocation {
        id: id.into(),
        namespace: "default".into(),
        name: format!("{job}.{group}[0]").into(),
        job_id: job.into(),
        task_group: group.into(),
        node_id: node.into(),
        desired_status: DesiredStatus::Run,
        client_status: ClientStatus::Running,
        allocated_resources: Some(Arc::new(AllocatedResources {
            tasks: [(
                "server".to_owned(),
                AllocatedTaskResources {
                    cpu: AllocatedCpuResources {
                        cpu_shares: cpu,
                        ..AllocatedCpuResources::default()
                    },
                    memory: AllocatedMemoryResources {
                        memory_mb,
                        ..AllocatedMemoryResources::default()
                    },
                    ..AllocatedTaskResources::default()
                },
            )]
            .into(),
            shared: AllocatedSharedResources {
                disk_mb: 300,
                ..AllocatedSharedResources::default()
            },
            ..AllocatedResources::default()
        })),
        ..Allocation::default()
    }
}

/// The allocation a scheduler would build from a selection.
pub fn placed(
    id: &str,
    job: &Job,
    group: &str,
    view: &ClusterView,
    ranked: &RankedNode,
) -> Allocation {
    Allocation {
        id: id.into(),
        namespace: job.namespace.as_str().into(),
        job_id: job.id.as_str().into(),
        task_group: group.into(),
        node_id: view.node(ranked.node).id.clone(),
        desired_status: DesiredStatus::Run,
        client_status: ClientStatus::Pending,
        allocated_resources: Some(ranked.resources.clone()),
        ..Allocation::default()
    }
}

/// Places `count` allocations of the job's first group one after another, counting each in the
/// view; returns the chosen node IDs (or `None` for a failed placement).
pub fn place_all(
    view: &mut ClusterView,
    job: &Job,
    seed: u64,
    count: usize,
) -> Vec<Option<String>> {
    let mut stack = GenericStack::new(StackConfig::default(), seed);
    stack.set_job(view, job);
    let tg = &job.task_groups[0];
    (0..count)
        .map(|i| {
            let name = format!("{}.{}[{i}]", job.id, tg.name);
            let options = SelectOptions {
                alloc_name: &name,
                ..SelectOptions::default()
            };
            let ranked = stack.select(view, tg, &options)?;
            let alloc = placed(&format!("new-{i}"), job, &tg.name, view, &ranked);
            view.add_alloc(&alloc);
            Some(alloc.node_id.into())
        })
        .collect()
}

/// Compares `value` as pretty JSON with `tests/golden/feasible/<name>.json`; with
/// `UPDATE_GOLDEN=1` the file is (re)written instead.
#[track_caller]
pub fn golden(name: &str, value: &impl Serialize) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/feasible")
        .join(format!("{name}.json"));
    let actual = serde_json::to_string_pretty(value).unwrap() + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing golden {}; run with UPDATE_GOLDEN=1",
            path.display()
        )
    });
    assert_eq!(actual, expected, "golden {name} differs");
}

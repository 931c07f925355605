//! B9 of perf-anchors.md section 8 (node feasibility, per node) and a preview of B1's placement
//! loop, on Nomad's `BenchmarkServiceScheduler` cluster shape: 5,000 nodes in 2 datacenters and
//! 50 racks, 14,000 MHz and 32,000 MB each.
//!
//! Each `feasibility` case runs one `select` of a fresh stack (nothing cached from a previous
//! iteration) that examines every node and finds none; it is reported per node.
//! - `feasibility/class_cache_hit`: a job constraint no node meets; the first node of the one
//!   computed class is checked, the other 4,999 are answered by the class cache. Goal: at most
//!   5 ns per node.
//! - `feasibility/full_constraint_set_escaped`: string equality, regexp, version and
//!   `set_contains_any` on every node (a `unique.` target escapes the class cache; the last
//!   constraint fails, so every node is checked in full). Goal: at most 200 ns per node.
//! - `feasibility/full_constraint_set_64_classes`: the same set without the escape over 64
//!   computed classes (Nomad's ComputedClass benchmark shape): 64 checks, the rest cache hits.
//! - `placement/service_1000_of_5000`: a service job of count 1000 (6,000 MHz / 6,000 MB, half of
//!   the racks eligible through `set_contains_any`), placed one allocation at a time with each
//!   placement counted in the view, from a fresh stack on a fresh view of a shared node table.
//!   Reported per placement. B1's goal for the whole plan is 5 ms, about 5 us per placement.
//!   Like the plan dry-run, it does not attach an `AllocMetric` to each placement;
//!   `placement/metrics` is the cost of one `metrics()` call after a successful placement.
//! - `placement/node_table_5000` and `placement/cluster_view_5000`: building the node table
//!   (once per node set) and an evaluation's view over it (once per evaluation).

/// The agent's allocator, so the medians are what the served API sees.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use drover::model::{
    Allocation, Constraint, DriverInfo, EphemeralDisk, Job, NetworkResource, Node,
    NodeCpuResources, NodeDiskResources, NodeMemoryResources, NodeResources, Resources, Task,
    TaskGroup,
};
use drover::model::{ClientStatus, DesiredStatus};
use drover::plan::feasible::{
    ClusterView, GenericStack, NodeTable, SelectOptions, StackConfig, computed_class,
};

const NODES: usize = 5000;
const RACKS: usize = 50;

/// A node as the state store keeps it: its computed class is filled in at registration.
fn node(i: usize, classes: usize) -> Arc<Node> {
    let attributes = [
        ("kernel.name", "linux".to_owned()),
        ("arch", "x86".to_owned()),
        ("nomad.version", "1.7.3".to_owned()),
        ("driver.exec", "1".to_owned()),
        ("unique.hostname", format!("node-{i}")),
        (
            "unique.advertise.address",
            format!("192.168.{}.{}", i % 10, i % 120),
        ),
    ];
    let meta = [
        ("rack", format!("r{}", i % RACKS)),
        ("partition", format!("p{}", i % classes)),
        ("tags", "ssd,linux,x86".to_owned()),
    ];
    let mut node = Node {
        id: format!("{i:08x}-0000-4000-8000-000000000000").into(),
        name: format!("node-{i}").into(),
        datacenter: ["dc-1", "dc-2"][i % 2].to_owned(),
        node_pool: "default".to_owned(),
        status: "ready".to_owned(),
        scheduling_eligibility: "eligible".to_owned(),
        attributes: attributes
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        meta: meta.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        drivers: [(
            "exec".to_owned(),
            DriverInfo {
                detected: true,
                healthy: true,
                ..DriverInfo::default()
            },
        )]
        .into(),
        node_resources: Some(NodeResources {
            cpu: NodeCpuResources {
                cpu_shares: 14_000,
                total_cpu_cores: 4,
                reservable_cpu_cores: vec![0, 1, 2, 3],
            },
            memory: NodeMemoryResources { memory_mb: 32_000 },
            disk: NodeDiskResources {
                disk_mb: 100 * 1024,
            },
            networks: vec![NetworkResource {
                mode: "host".to_owned(),
                device: "eth0".to_owned(),
                cidr: "192.168.0.100/32".to_owned(),
                ip: "192.168.0.100".to_owned(),
                mbits: 1000,
                ..NetworkResource::default()
            }],
            ..NodeResources::default()
        }),
        ..Node::default()
    };
    node.computed_class = computed_class(&node);
    Arc::new(node)
}

fn nodes(classes: usize) -> Vec<Arc<Node>> {
    (0..NODES).map(|i| node(i, classes)).collect()
}

fn constraint(l: &str, op: &str, r: &str) -> Constraint {
    Constraint {
        l_target: l.to_owned(),
        operand: op.to_owned(),
        r_target: r.to_owned(),
    }
}

fn job(count: i64, constraints: Vec<Constraint>) -> Job {
    Job {
        id: "bench".into(),
        namespace: "default".into(),
        region: "global".into(),
        job_type: "service".into(),
        priority: 50,
        datacenters: vec!["dc-1".into(), "dc-2".into()],
        node_pool: "default".into(),
        constraints,
        task_groups: vec![Arc::new(TaskGroup {
            name: "web".into(),
            count,
            ephemeral_disk: Some(EphemeralDisk {
                size_mb: 150,
                ..EphemeralDisk::default()
            }),
            tasks: vec![Arc::new(Task {
                name: "web".into(),
                driver: "exec".into(),
                resources: Some(Resources {
                    cpu: 6000,
                    memory_mb: 6000,
                    ..Resources::default()
                }),
                ..Task::default()
            })],
            ..TaskGroup::default()
        })],
        ..Job::default()
    }
}

/// Times one `select` of a fresh stack that examines every node (and finds none), per node.
fn per_node(c: &mut Criterion, name: &str, classes: usize, constraints: Vec<Constraint>) {
    let view = ClusterView::new(&nodes(classes), []);
    let job = job(1, constraints);
    let tg = &job.task_groups[0];
    let stack = || {
        let mut stack = GenericStack::new(StackConfig::default(), 1);
        stack.set_job(&view, &job);
        stack
    };
    let mut check = stack();
    assert!(check.select(&view, tg, &SelectOptions::default()).is_none());
    let metric = check.metrics(&view);
    assert_eq!(
        (metric.nodes_evaluated, metric.nodes_filtered),
        (NODES as u32, NODES as u32)
    );

    let mut group = c.benchmark_group("feasibility");
    group.throughput(Throughput::Elements(NODES as u64));
    group.bench_function(name, |b| {
        b.iter_batched(
            stack,
            |mut stack| black_box(stack.select(&view, tg, &SelectOptions::default()).is_none()),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn feasibility(c: &mut Criterion) {
    per_node(
        c,
        "class_cache_hit",
        1,
        vec![constraint("${attr.kernel.name}", "=", "windows")],
    );
    let full_set = |unique: &str| {
        vec![
            constraint("${attr.kernel.name}", "=", "linux"),
            constraint(unique, "regexp", "^node-[0-9]+$"),
            constraint("${attr.nomad.version}", "version", ">= 1.6, < 2.0"),
            constraint("${meta.tags}", "set_contains_any", "gpu,nvme"),
        ]
    };
    per_node(
        c,
        "full_constraint_set_escaped",
        1,
        full_set("${attr.unique.hostname}"),
    );
    per_node(
        c,
        "full_constraint_set_64_classes",
        64,
        full_set("${meta.partition}"),
    );
}

fn placement(c: &mut Criterion) {
    let nodes = nodes(1);
    let table = Arc::new(NodeTable::new(&nodes));
    let eligible_racks: Vec<String> = (0..RACKS / 2).map(|r| format!("r{r}")).collect();
    let job = job(
        1000,
        vec![constraint(
            "${meta.rack}",
            "set_contains_any",
            &eligible_racks.join(","),
        )],
    );
    let tg = &job.task_groups[0];
    let place = |view: &mut ClusterView| {
        let mut stack = GenericStack::new(StackConfig::default(), 7);
        stack.set_job(view, &job);
        let mut placed = 0;
        for i in 0..1000 {
            let name = format!("bench.web[{i}]");
            let options = SelectOptions {
                alloc_name: &name,
                ..SelectOptions::default()
            };
            let Some(ranked) = stack.select(view, tg, &options) else {
                continue;
            };
            let alloc = Allocation {
                id: format!("{i:08x}-1111-4000-8000-000000000000").into(),
                namespace: "default".into(),
                name: name.into(),
                job_id: job.id.as_str().into(),
                task_group: tg.name.as_str().into(),
                node_id: view.node(ranked.node).id.clone(),
                desired_status: DesiredStatus::Run,
                client_status: ClientStatus::Pending,
                allocated_resources: Some(ranked.resources),
                ..Allocation::default()
            };
            view.add_alloc(&alloc);
            placed += 1;
        }
        placed
    };
    assert_eq!(place(&mut ClusterView::with_table(table.clone(), [])), 1000);

    let mut group = c.benchmark_group("placement");
    group.throughput(Throughput::Elements(1000));
    group.bench_function("service_1000_of_5000", |b| {
        b.iter_batched(
            || ClusterView::with_table(table.clone(), []),
            |mut view| black_box(place(&mut view)),
            BatchSize::LargeInput,
        )
    });
    let view = ClusterView::with_table(table.clone(), []);
    let mut stack = GenericStack::new(StackConfig::default(), 7);
    stack.set_job(&view, &job);
    assert!(stack.select(&view, tg, &SelectOptions::default()).is_some());
    group.throughput(Throughput::Elements(1));
    group.bench_function("metrics", |b| b.iter(|| black_box(stack.metrics(&view))));
    group.throughput(Throughput::Elements(NODES as u64));
    group.bench_function("node_table_5000", |b| {
        b.iter(|| black_box(NodeTable::new(&nodes)))
    });
    group.bench_function("cluster_view_5000", |b| {
        b.iter(|| black_box(ClusterView::with_table(table.clone(), [])))
    });
    group.finish();
}

criterion_group!(benches, feasibility, placement);
criterion_main!(benches);

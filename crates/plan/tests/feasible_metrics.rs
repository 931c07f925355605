//! The `AllocMetric` of placements that fail, one golden file per reason: job constraint (with
//! the class cache answering for later nodes of a class), group constraint by node class,
//! exhausted dimensions, ports, datacenter, node pool, the other feasibility checks, and the
//! distinct constraints; plus the scores of a successful placement.

mod feasible_support;

use std::sync::Arc;

use drover_model::{AllocMetric, Job, NetworkResource, Node, Port, RequestedDevice, Secret};
use drover_model::{ClientHostVolumeConfig, NodeReservedNetworkResources, NodeReservedResources};
use drover_model::{VolumeRequest, node::node_status};
use drover_plan::feasible::{ClusterView, GenericStack, SelectOptions, StackConfig};
use feasible_support::*;

/// Selects one allocation of the job's first group and returns the metric (the selection must
/// fail unless `expect_placement`).
fn metric(
    nodes: Vec<Node>,
    allocs: &[drover_model::Allocation],
    job: &Job,
    expect_placement: bool,
) -> AllocMetric {
    let view = ClusterView::new(&arcs(nodes), allocs);
    let mut stack = GenericStack::new(StackConfig::default(), 42);
    stack.set_job(&view, job);
    let options = SelectOptions {
        alloc_name: "web.web[0]",
        ..SelectOptions::default()
    };
    let ranked = stack.select(&view, &job.task_groups[0], &options);
    assert_eq!(ranked.is_some(), expect_placement, "placement outcome");
    stack.metrics(&view)
}

fn classed(id: &str, class: &str) -> Node {
    with(node(id, "dc1"), |n| n.node_class = class.to_owned())
}

#[test]
fn job_constraint_then_computed_class_ineligible() {
    let nodes = vec![
        classed("a1", "small"),
        classed("a2", "small"),
        classed("b1", "large"),
        classed("b2", "large"),
        node("c1", "dc1"),
    ];
    let mut job = job();
    job.constraints = vec![constraint("${attr.kernel.name}", "=", "windows")];
    golden("job_constraint", &metric(nodes, &[], &job, false));
}

#[test]
fn group_constraint_on_node_class() {
    let nodes = vec![
        classed("a1", "small"),
        classed("a2", "small"),
        classed("b1", "large"),
        classed("g1", "gpu"),
    ];
    let mut job = job();
    let tg = Arc::make_mut(&mut job.task_groups[0]);
    tg.constraints = vec![constraint("${node.class}", "=", "gpu")];
    // g1 fits, so the group places; force failure by asking more memory than any node has.
    Arc::make_mut(&mut tg.tasks[0])
        .resources
        .as_mut()
        .unwrap()
        .memory_mb = 100_000;
    golden("group_constraint_class", &metric(nodes, &[], &job, false));
}

#[test]
fn escaped_constraint_is_checked_on_every_node() {
    let nodes = vec![
        classed("a1", "small"),
        classed("a2", "small"),
        classed("a3", "small"),
    ];
    let mut job = job();
    let tg = Arc::make_mut(&mut job.task_groups[0]);
    Arc::make_mut(&mut tg.tasks[0]).constraints =
        vec![constraint("${attr.unique.hostname}", "=", "elsewhere")];
    golden("escaped_constraint", &metric(nodes, &[], &job, false));
}

#[test]
fn exhausted_dimensions() {
    let small = |id: &str, f: fn(&mut drover_model::NodeResources)| {
        with(classed(id, "small"), |n| {
            f(n.node_resources.as_mut().unwrap())
        })
    };
    let nodes = vec![
        small("cpu", |r| r.cpu.cpu_shares = 400),
        small("mem", |r| r.memory.memory_mb = 200),
        small("disk", |r| r.disk.disk_mb = 100),
        node("busy", "dc1"),
    ];
    // The busy node is full of another job's work.
    let allocs = [alloc("other-1", "other", "g", "busy", 3800, 1000)];
    golden(
        "exhausted_dimensions",
        &metric(nodes, &allocs, &job(), false),
    );
}

#[test]
fn ports() {
    let reserving = |id: &str, ports: &str| {
        with(node(id, "dc1"), |n| {
            n.reserved_resources = Some(NodeReservedResources {
                networks: NodeReservedNetworkResources {
                    reserved_host_ports: ports.to_owned(),
                },
                ..NodeReservedResources::default()
            })
        })
    };
    let nodes = vec![
        reserving("reserved", "22,8080"),
        node("taken", "dc1"),
        with(reserving("full", "20000-20010"), |n| {
            let r = n.node_resources.as_mut().unwrap();
            r.min_dynamic_port = 20000;
            r.max_dynamic_port = 20010;
        }),
        node("collide", "dc1"),
        reserving("broken", "80-70"),
    ];
    let holds_port = |id: &str, node: &str| {
        let mut a = alloc(id, "other", "g", node, 100, 100);
        Arc::make_mut(a.allocated_resources.as_mut().unwrap())
            .shared
            .ports = vec![drover_model::AllocatedPortMapping {
            label: "http".to_owned(),
            value: 8080,
            host_ip: format!("10.0.0.{}", node.bytes().map(u32::from).sum::<u32>() % 250),
            ..Default::default()
        }];
        a
    };
    let allocs = [
        holds_port("t1", "taken"),
        holds_port("c1", "collide"),
        holds_port("c2", "collide"),
    ];
    let mut job = job();
    let port = |label: &str, value: i64| Port {
        label: label.to_owned(),
        value,
        ..Port::default()
    };
    Arc::make_mut(&mut job.task_groups[0]).networks = vec![NetworkResource {
        reserved_ports: vec![port("http", 8080)],
        dynamic_ports: vec![port("admin", 0)],
        ..NetworkResource::default()
    }];
    // Only the full node passes the static port; its dynamic range has nothing left.
    golden("ports", &metric(nodes, &allocs, &job, false));
}

#[test]
fn no_node_in_the_job_datacenters() {
    let nodes = vec![node("a", "dc1"), node("b", "dc2")];
    let mut job = job();
    job.datacenters = vec!["eu-*".into()];
    golden("datacenter", &metric(nodes, &[], &job, false));
}

#[test]
fn no_node_in_the_job_pool() {
    let nodes = vec![
        node("a", "dc1"),
        with(node("b", "dc1"), |n| n.node_pool = "gpu".to_owned()),
        with(node("c", "dc1"), |n| {
            n.node_pool = "gpu".to_owned();
            n.status = node_status::DOWN.to_owned();
        }),
    ];
    let mut job = job();
    job.node_pool = "gpu".into();
    let tg = Arc::make_mut(&mut job.task_groups[0]);
    Arc::make_mut(&mut tg.tasks[0])
        .resources
        .as_mut()
        .unwrap()
        .cpu = 5000;
    golden("pool", &metric(nodes, &[], &job, false));
}

#[test]
fn each_group_check() {
    let nodes = vec![
        with(classed("no-docker", "a"), |n| n.drivers.clear()),
        with(classed("unhealthy", "b"), |n| {
            n.drivers.get_mut("docker").unwrap().healthy = false
        }),
        with(classed("no-net", "c"), |n| {
            n.drivers.insert("exec".to_owned(), Default::default());
            n.node_resources.as_mut().unwrap().networks.clear()
        }),
        with(classed("no-volume", "d"), |n| {
            n.attributes
                .insert("plugins.secrets.vault.version".to_owned(), "1".to_owned());
        }),
        with(classed("ro-volume", "e"), |n| {
            n.attributes
                .insert("plugins.secrets.vault.version".to_owned(), "1".to_owned());
            n.host_volumes.insert(
                "data[0]".to_owned(),
                ClientHostVolumeConfig {
                    name: "data[0]".to_owned(),
                    read_only: true,
                    ..Default::default()
                },
            );
        }),
        classed("no-secrets", "f"),
    ];
    let mut job = job();
    let tg = Arc::make_mut(&mut job.task_groups[0]);
    Arc::make_mut(&mut tg.tasks[0]).secrets = vec![Secret {
        provider: "vault".to_owned(),
        ..Secret::default()
    }];
    tg.volumes.insert(
        "data".to_owned(),
        VolumeRequest {
            volume_type: "host".to_owned(),
            source: "data".to_owned(),
            per_alloc: true,
            ..VolumeRequest::default()
        },
    );
    golden("group_checks", &metric(nodes, &[], &job, false));

    let mut devices = feasible_support::job();
    let tg = Arc::make_mut(&mut devices.task_groups[0]);
    Arc::make_mut(&mut tg.tasks[0])
        .resources
        .as_mut()
        .unwrap()
        .devices = vec![RequestedDevice {
        name: "nvidia/gpu".to_owned(),
        count: 1,
        ..RequestedDevice::default()
    }];
    let m = metric(vec![node("a", "dc1")], &[], &devices, false);
    assert_eq!(m.constraint_filtered["missing devices"], 1);
}

#[test]
fn distinct_hosts_and_property() {
    let nodes = vec![
        racked("a", "r1"),
        racked("b", "r1"),
        racked("c", "r2"),
        node("d", "dc1"),
    ];
    let allocs = [
        alloc("w1", "web", "web", "a", 100, 100),
        alloc("w2", "web", "web", "c", 100, 100),
    ];
    let mut job = job();
    job.constraints = vec![constraint("", "distinct_hosts", "")];
    Arc::make_mut(&mut job.task_groups[0]).constraints =
        vec![constraint("${meta.rack}", "distinct_property", "1")];
    golden("distinct", &metric(nodes, &allocs, &job, false));
}

#[test]
fn scores_of_a_successful_placement() {
    let nodes = (0..7).map(|i| node(&format!("n{i}"), "dc1")).collect();
    let allocs = [
        alloc("w1", "web", "web", "n1", 500, 256),
        alloc("o1", "other", "g", "n2", 2000, 4096),
    ];
    let mut job = job();
    job.affinities = vec![drover_model::Affinity {
        l_target: "${node.unique.name}".to_owned(),
        operand: "regexp".to_owned(),
        r_target: "n[0-3]".to_owned(),
        weight: 50,
    }];
    golden("scores", &metric(nodes, &allocs, &job, true));
}

//! Static ports held by allocations on a node. An evaluation counts its own job's allocations
//! one by one and everything else through the store's node usage, so both ways must keep a
//! port taken until its allocation stops, and free it when it does.

mod scheduler_support;

use drover_model::{Job, NetworkResource, Port, trigger};
use drover_state::{Command, DeregisterJob};
use scheduler_support::*;

/// Service job `id` of one allocation holding static port `port`.
fn with_static_port(id: &str, port: i64) -> Job {
    let mut job = service_job(1);
    job.id = id.into();
    job.name = id.into();
    group(&mut job).networks = vec![NetworkResource {
        reserved_ports: vec![Port {
            label: "http".into(),
            value: port,
            ..Port::default()
        }],
        ..NetworkResource::default()
    }];
    job
}

fn nodes_of(cluster: &Cluster, job_id: &str) -> Vec<String> {
    let allocs = cluster.live_allocs(job_id);
    allocs.values().map(|a| a.node_id.to_string()).collect()
}

/// Two nodes, three jobs wanting port 8080: the second avoids the first's node, the third
/// finds no room until the first job stops.
#[test]
fn a_static_port_held_by_another_job_keeps_its_node_until_it_stops() {
    let mut cluster = Cluster::new(["node-1", "node-2"].map(|id| node(id, "dc1")));
    for id in ["a", "b", "c"] {
        let eval = cluster.register(with_static_port(id, 8080));
        cluster.schedule(&eval);
    }
    let (a, b) = (nodes_of(&cluster, "a"), nodes_of(&cluster, "b"));
    assert_eq!((a.len(), b.len()), (1, 1));
    assert_ne!(a, b, "b avoids the node where a holds the port");
    assert!(
        nodes_of(&cluster, "c").is_empty(),
        "no node has the port free"
    );

    cluster.apply(Command::DeregisterJob(DeregisterJob {
        namespace: "default".into(),
        job_id: "a".into(),
        ..Default::default()
    }));
    let eval = cluster.evaluate("a", trigger::JOB_DEREGISTER);
    cluster.schedule(&eval);
    let eval = cluster.evaluate("c", trigger::JOB_REGISTER);
    cluster.schedule(&eval);
    assert_eq!(nodes_of(&cluster, "c"), a, "c takes the port a freed");
}

/// One node: a destructive update of a job holding a static port stops the old allocation
/// in the same plan, which frees the port for its replacement.
#[test]
fn a_replacement_takes_the_port_its_stopped_predecessor_held() {
    let mut cluster = Cluster::new([node("node-1", "dc1")]);
    let eval = cluster.register(with_static_port("a", 8080));
    cluster.schedule(&eval);
    let before = cluster.live_allocs("a");

    let mut job = with_static_port("a", 8080);
    destructive_change(&mut job);
    let eval = cluster.register(job);
    cluster.schedule(&eval);
    let after = cluster.live_allocs("a");
    assert_eq!(after.len(), 1);
    let (old, new) = (&before["a.app[0]"], &after["a.app[0]"]);
    assert_ne!(old.id, new.id, "replaced, not updated in place");
    assert_eq!(new.node_id, "node-1");
}

//! The fault and event generator on the client side: nodes of five classes join, go down,
//! come back, disconnect, leave for good, drain and change eligibility, and the clients on
//! ready nodes report their allocations running, complete or failed.

use std::collections::BTreeSet;

use drover::core::Engine;
use drover::model::allocation::ClientStatus;
use drover::model::node::node_status;
use drover::model::{DrainStrategy, Node};
use drover::state::{ClientAllocUpdate, NamespaceSelector, PageRequest};
use serde_json::json;

use super::rng::Rng;
use super::workload::outcome;

/// Node classes, each with its own size (MHz, MB): constraints on `${node.class}` pick one.
pub const NODE_CLASSES: [&str; 5] = ["small", "medium", "large", "gpu", "storage"];
const SIZES: [(i64, i64); 5] = [
    (2000, 4096),
    (4000, 8192),
    (8000, 16384),
    (4000, 16384),
    (2000, 8192),
];

/// What the simulation knows about nodes that the engine does not: which left for good.
#[derive(Debug, Default)]
pub struct Cluster {
    next: u64,
    left: BTreeSet<String>,
}

pub type Step = Option<(String, Result<String, String>)>;

impl Cluster {
    /// A node of a random class, `ready` or (now and then) `initializing`.
    pub fn join(&mut self, engine: &Engine, rng: &mut Rng) -> Step {
        let n = self.next;
        self.next += 1;
        let class = rng.below(NODE_CLASSES.len() as u64) as usize;
        let status = if rng.chance(80) {
            node_status::READY
        } else {
            node_status::INITIALIZING
        };
        let node = node(n, class, status);
        let what = format!("join {} ({}, {status})", node.id, NODE_CLASSES[class]);
        Some((what, outcome(engine.upsert_node(node))))
    }

    /// A node still in the cluster in `status` (any when `None`), chosen at random.
    fn pick(&self, engine: &Engine, rng: &mut Rng, status: Option<&str>) -> Option<Node> {
        let snapshot = engine.snapshot();
        let nodes: Vec<_> = snapshot
            .nodes("")
            .filter(|n| !self.left.contains(n.id.as_str()))
            .filter(|n| status.is_none_or(|s| n.status == s))
            .map(|n| (**n).clone())
            .collect();
        rng.pick(&nodes).cloned()
    }

    pub fn set_status(&self, engine: &Engine, rng: &mut Rng, from: &str, to: &str) -> Step {
        let node = self.pick(engine, rng, Some(from))?;
        let what = format!("node {} {from} -> {to}", node.id);
        Some((what, outcome(engine.update_node_status(&node.id, to))))
    }

    /// A node goes down and never comes back.
    pub fn leave(&mut self, engine: &Engine, rng: &mut Rng) -> Step {
        let node = self.pick(engine, rng, None)?;
        self.left.insert(node.id.to_string());
        let what = format!("node {} leaves", node.id);
        Some((
            what,
            outcome(engine.update_node_status(&node.id, node_status::DOWN)),
        ))
    }

    pub fn drain(&self, engine: &Engine, rng: &mut Rng) -> Step {
        let node = self.pick(engine, rng, None)?;
        let (what, drain) = if node.drain_strategy.is_some() {
            (format!("node {} drain ends", node.id), None)
        } else {
            let strategy = DrainStrategy {
                deadline: 3_600_000_000_000,
                ..DrainStrategy::default()
            };
            (format!("node {} drains", node.id), Some(strategy))
        };
        let done = drain.is_none();
        Some((
            what,
            outcome(engine.update_node_drain(&node.id, drain, done)),
        ))
    }

    pub fn eligibility(&self, engine: &Engine, rng: &mut Rng) -> Step {
        let node = self.pick(engine, rng, None)?;
        let to = if node.scheduling_eligibility == "eligible" {
            "ineligible"
        } else {
            "eligible"
        };
        let what = format!("node {} {to}", node.id);
        let result = engine.update_node_eligibility(&node.id, to);
        // Nomad refuses to make a draining node eligible.
        let result = match result {
            Err(e) if node.drain_strategy.is_some() && to == "eligible" => {
                Ok(format!("refused: {e}"))
            }
            other => outcome(other),
        };
        Some((what, result))
    }

    /// The clients of ready nodes report on one to four allocations: a stopped allocation
    /// completes; a pending one starts, fails or completes; a running one fails or completes.
    pub fn client_reports(&self, engine: &Engine, rng: &mut Rng) -> Step {
        let snapshot = engine.snapshot();
        let live: Vec<_> = snapshot
            .list_allocs(&NamespaceSelector::All, &PageRequest::default(), &|a| {
                !a.client_terminal()
            })
            .items
            .into_iter()
            .filter(|a| {
                snapshot
                    .node(&a.node_id)
                    .is_some_and(|n| n.status == node_status::READY)
            })
            .cloned()
            .collect();
        if live.is_empty() {
            return None;
        }
        let mut updates = Vec::new();
        for _ in 0..rng.between(1, 4) {
            let alloc = rng.pick(&live)?;
            if updates
                .iter()
                .any(|u: &ClientAllocUpdate| u.alloc_id == alloc.id)
            {
                continue;
            }
            let status = if alloc.server_terminal() {
                ClientStatus::Complete
            } else if alloc.client_status == ClientStatus::Pending {
                rng.weighted(&[
                    (ClientStatus::Running, 70),
                    (ClientStatus::Failed, 15),
                    (ClientStatus::Complete, 15),
                ])
            } else {
                rng.weighted(&[(ClientStatus::Failed, 40), (ClientStatus::Complete, 60)])
            };
            updates.push(ClientAllocUpdate {
                alloc_id: alloc.id.to_string(),
                client_status: status,
                ..ClientAllocUpdate::default()
            });
        }
        let what = updates
            .iter()
            .map(|u| format!("{} {}", &u.alloc_id[..8], u.client_status))
            .collect::<Vec<_>>()
            .join(", ");
        Some((
            format!("client reports {what}"),
            outcome(engine.update_allocs_from_client(updates)),
        ))
    }
}

/// Node `n` of class `class`: docker-capable, in `dc1`, sized by its class.
pub fn node(n: u64, class: usize, status: &str) -> Node {
    let (cpu, memory) = SIZES[class];
    serde_json::from_value(json!({
        "ID": format!("{n:08x}-0000-4000-8000-000000000000"), "Name": format!("node-{n}"),
        "Datacenter": "dc1", "NodeClass": NODE_CLASSES[class], "Status": status,
        "Attributes": {"kernel.name": "linux", "driver.docker": "1"},
        "Drivers": {"docker": {"Detected": true, "Healthy": true}},
        "NodeResources": {"Cpu": {"CpuShares": cpu}, "Memory": {"MemoryMB": memory},
                          "Disk": {"DiskMB": 20000},
                          "Networks": [{"Mode": "host", "Device": "eth0",
                                        "IP": format!("10.0.{}.{}", n / 250, n % 250 + 1),
                                        "MBits": 1000}]},
        "ReservedResources": {"Cpu": {"CpuShares": 100}, "Memory": {"MemoryMB": 256},
                              "Disk": {"DiskMB": 1000}}
    }))
    .expect("a generated node decodes")
}

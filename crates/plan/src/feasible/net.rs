//! Ports and bandwidth on a node: what its allocations hold (on top of the host ports the node
//! reserves, kept in the node table), and assigning the static and dynamic ports a placement
//! asks for.
//!
//! Nodes in drover's model list their networks (`NodeResources.Networks`) but no named host
//! networks, so every node has one host network, `default`, whose addresses are the IPs of its
//! host-mode networks.

use drover_model::{AllocatedPortMapping, NetworkResource, Node};
use drover_state::usage::AllocUsage;

use super::rng::Rng;

/// The default dynamic port range of a node that does not set one.
const DEFAULT_MIN_DYNAMIC_PORT: i64 = 20000;
const DEFAULT_MAX_DYNAMIC_PORT: i64 = 32000;
/// Random probes for a free dynamic port before scanning the whole range.
const RANDOM_PORT_ATTEMPTS: usize = 20;
/// Ports are below this.
const PORT_LIMIT: i64 = 65536;

/// The name of the host network every node has.
const DEFAULT_HOST_NETWORK: &str = "default";

/// What allocations hold on one node's networks, and its reserved cores. The node's own
/// reserved host ports live in the node table.
#[derive(Debug, Clone, Default)]
pub(crate) struct NodeNet {
    /// Ports held by allocations, per address, sorted.
    taken: Vec<(Box<str>, Vec<u16>)>,
    /// Two allocations (or an allocation and the node) hold the same port.
    pub(crate) collision: bool,
    bandwidth: Vec<(Box<str>, i64)>,
    /// Cores reserved by allocations, sorted.
    pub(crate) cores: Vec<u16>,
    pub(crate) cores_overlap: bool,
}

impl NodeNet {
    /// Nothing held.
    pub(crate) const EMPTY: NodeNet = NodeNet {
        taken: Vec::new(),
        collision: false,
        bandwidth: Vec::new(),
        cores: Vec::new(),
        cores_overlap: false,
    };

    /// Counts an allocation's ports, bandwidth and cores; `reserved` is `None` for a node whose
    /// reserved port list does not parse.
    pub(crate) fn add(&mut self, reserved: Option<&[u16]>, usage: &AllocUsage) {
        let reserved = reserved.unwrap_or_default();
        for p in usage.ports.iter() {
            let Ok(port) = u16::try_from(p.port) else {
                self.collision = true;
                continue;
            };
            if self.is_taken(reserved, &p.ip, port) {
                self.collision |= !p.ignore_collision;
                continue;
            }
            let index = match self.taken.iter().position(|(ip, _)| *ip == p.ip) {
                Some(index) => index,
                None => {
                    self.taken.push((p.ip.clone(), Vec::new()));
                    self.taken.len() - 1
                }
            };
            let ports = &mut self.taken[index].1;
            let at = ports.partition_point(|&q| q < port);
            ports.insert(at, port);
        }
        for (device, mbits) in usage.bandwidth.iter() {
            match self.bandwidth.iter_mut().find(|(d, _)| d == device) {
                Some((_, used)) => *used += mbits,
                None => self.bandwidth.push((device.clone(), *mbits)),
            }
        }
        for &core in usage.cores.iter() {
            match self.cores.binary_search(&core) {
                Ok(_) => self.cores_overlap = true,
                Err(at) => self.cores.insert(at, core),
            }
        }
    }

    fn is_taken(&self, reserved: &[u16], ip: &str, port: u16) -> bool {
        reserved.binary_search(&port).is_ok()
            || self
                .taken
                .iter()
                .any(|(addr, ports)| &**addr == ip && ports.binary_search(&port).is_ok())
    }

    fn used_bandwidth(&self, device: &str) -> i64 {
        self.bandwidth
            .iter()
            .filter(|(d, _)| &**d == device)
            .map(|(_, mbits)| mbits)
            .sum()
    }
}

/// Nomad's `ParsePortRanges`: `"22,80,8000-8010"`; `None` when malformed.
pub fn parse_port_ranges(spec: &str) -> Option<Vec<u16>> {
    if spec.is_empty() {
        return Some(Vec::new());
    }
    let mut ports = Vec::new();
    for part in spec.split(',') {
        let part = part.trim();
        let (start, end) = match part.split_once('-') {
            Some((start, end)) => (start.parse::<u64>().ok()?, end.parse::<u64>().ok()?),
            None => {
                let port = part.parse::<u64>().ok()?;
                (port, port)
            }
        };
        if start == 0 || end < start || end >= PORT_LIMIT as u64 {
            return None;
        }
        ports.extend((start..=end).map(|p| p as u16));
    }
    Some(ports)
}

/// The addresses of a node's host network; only `default` exists (see the module documentation).
fn host_addresses<'a>(node: &'a Node, host_network: &str) -> Vec<&'a str> {
    if !(host_network.is_empty() || host_network == DEFAULT_HOST_NETWORK) {
        return Vec::new();
    }
    host_mode_networks(node).map(|n| n.ip.as_str()).collect()
}

/// Whether the node has a host network with this name.
pub(crate) fn has_host_network(node: &Node, host_network: &str) -> bool {
    !host_addresses(node, host_network).is_empty()
}

fn host_mode_networks(node: &Node) -> impl Iterator<Item = &NetworkResource> {
    node.node_resources
        .iter()
        .flat_map(|r| &r.networks)
        .filter(|n| n.mode.is_empty() || n.mode == "host")
}

/// Ports (and bandwidth) being handed out to one placement on one node, on top of what the node
/// already has taken.
#[derive(Debug)]
pub(crate) struct PortOffer<'a> {
    net: &'a NodeNet,
    reserved: &'a [u16],
    node: &'a Node,
    pending: Vec<(&'a str, u16)>,
    pending_bandwidth: Vec<(&'a str, i64)>,
    min_dynamic: i64,
    max_dynamic: i64,
}

impl<'a> PortOffer<'a> {
    pub(crate) fn new(node: &'a Node, reserved: &'a [u16], net: &'a NodeNet) -> Self {
        let (min, max) = node
            .node_resources
            .as_ref()
            .map_or((0, 0), |r| (r.min_dynamic_port, r.max_dynamic_port));
        Self {
            net,
            reserved,
            node,
            pending: Vec::new(),
            pending_bandwidth: Vec::new(),
            min_dynamic: if min > 0 {
                min
            } else {
                DEFAULT_MIN_DYNAMIC_PORT
            },
            max_dynamic: if max > 0 {
                max
            } else {
                DEFAULT_MAX_DYNAMIC_PORT
            },
        }
    }

    fn is_taken(&self, ip: &str, port: u16) -> bool {
        self.net.is_taken(self.reserved, ip, port)
            || self.pending.iter().any(|&(a, p)| a == ip && p == port)
    }

    /// Assigns the ports of a group network whose host networks are already resolved (Nomad's
    /// `AssignPorts`). The error is the reason Nomad reports after `"network: "`.
    pub(crate) fn assign_group(
        &mut self,
        ask: &NetworkResource,
        rng: &mut Rng,
    ) -> Result<Vec<AllocatedPortMapping>, String> {
        let mut offer = Vec::new();
        for port in &ask.reserved_ports {
            let mut collision = None;
            let mut assigned = None;
            for addr in host_addresses(self.node, &port.host_network) {
                let value = u16::try_from(port.value)
                    .map_err(|_| format!("invalid port {} (out of range)", port.value))?;
                if !port.ignore_collision && self.is_taken(addr, value) {
                    collision = Some(format!(
                        "reserved port collision {}={}",
                        port.label, port.value
                    ));
                    continue;
                }
                assigned = Some((addr, value));
                break;
            }
            let (addr, value) = assigned
                .ok_or_else(|| collision.unwrap_or_else(|| no_addresses(&port.host_network)))?;
            self.pending.push((addr, value));
            offer.push(AllocatedPortMapping {
                label: port.label.clone(),
                value: port.value,
                to: port.to,
                host_ip: addr.to_owned(),
                ignore_collision: port.ignore_collision,
            });
        }
        for port in &ask.dynamic_ports {
            let exclude: Vec<i64> = ask
                .reserved_ports
                .iter()
                .filter(|r| r.host_network == port.host_network)
                .map(|r| r.value)
                .collect();
            let mut assigned = None;
            let mut failure = None;
            for addr in host_addresses(self.node, &port.host_network) {
                match self.pick_dynamic(addr, &exclude, rng) {
                    Some(value) => {
                        assigned = Some((addr, value));
                        break;
                    }
                    None => failure = Some("dynamic port selection failed".to_owned()),
                }
            }
            let (addr, value) = assigned
                .ok_or_else(|| failure.unwrap_or_else(|| no_addresses(&port.host_network)))?;
            self.pending.push((addr, value));
            offer.push(AllocatedPortMapping {
                label: port.label.clone(),
                value: i64::from(value),
                to: if port.to == -1 {
                    i64::from(value)
                } else {
                    port.to
                },
                host_ip: addr.to_owned(),
                ignore_collision: false,
            });
        }
        Ok(offer)
    }

    /// Assigns a task-level network (the deprecated `resources.network` block, Nomad's
    /// `AssignTaskNetwork`): the first network with a device that has the bandwidth and the ports.
    pub(crate) fn assign_task(
        &mut self,
        ask: &NetworkResource,
        rng: &mut Rng,
    ) -> Result<NetworkResource, String> {
        let node = self.node;
        let mut error = "no networks available".to_owned();
        let devices = node
            .node_resources
            .iter()
            .flat_map(|r| &r.networks)
            .filter(|n| !n.device.is_empty());
        'networks: for network in devices {
            let ip = if network.ip.is_empty() {
                network.cidr.split('/').next().unwrap_or("")
            } else {
                network.ip.as_str()
            };
            let pending_mbits: i64 = self
                .pending_bandwidth
                .iter()
                .filter(|(d, _)| *d == network.device)
                .map(|(_, m)| m)
                .sum();
            if self.net.used_bandwidth(&network.device) + pending_mbits + ask.mbits > network.mbits
            {
                error = "bandwidth exceeded".to_owned();
                continue;
            }
            for port in &ask.reserved_ports {
                let Ok(value) = u16::try_from(port.value) else {
                    error = format!("invalid port {} (out of range)", port.value);
                    continue 'networks;
                };
                if self.is_taken(ip, value) {
                    error = format!("reserved port collision {}={}", port.label, port.value);
                    continue 'networks;
                }
            }
            let mut exclude: Vec<i64> = ask.reserved_ports.iter().map(|p| p.value).collect();
            let mut dynamic = Vec::with_capacity(ask.dynamic_ports.len());
            for _ in &ask.dynamic_ports {
                match self.pick_dynamic(ip, &exclude, rng) {
                    Some(value) => {
                        exclude.push(i64::from(value));
                        dynamic.push((ip, value));
                    }
                    None => {
                        error = "dynamic port selection failed".to_owned();
                        continue 'networks;
                    }
                }
            }
            let mut offer = NetworkResource {
                mode: ask.mode.clone(),
                device: network.device.clone(),
                ip: ip.to_owned(),
                mbits: ask.mbits,
                dns: ask.dns.clone(),
                reserved_ports: ask.reserved_ports.clone(),
                dynamic_ports: ask.dynamic_ports.clone(),
                ..NetworkResource::default()
            };
            for (port, &(_, value)) in offer.dynamic_ports.iter_mut().zip(&dynamic) {
                port.value = i64::from(value);
                if port.to == -1 {
                    port.to = port.value;
                }
            }
            self.pending.extend(dynamic);
            self.pending.extend(
                ask.reserved_ports
                    .iter()
                    .filter_map(|p| u16::try_from(p.value).ok().map(|v| (ip, v))),
            );
            self.pending_bandwidth
                .push((network.device.as_str(), ask.mbits));
            return Ok(offer);
        }
        Err(error)
    }

    /// A free dynamic port on `addr`: random probes first, then a scan of the whole range.
    fn pick_dynamic(&self, addr: &str, exclude: &[i64], rng: &mut Rng) -> Option<u16> {
        let free = |port: i64| {
            u16::try_from(port).is_ok_and(|p| !self.is_taken(addr, p)) && !exclude.contains(&port)
        };
        let span = self.max_dynamic - self.min_dynamic;
        for _ in 0..RANDOM_PORT_ATTEMPTS {
            let port = if span > 0 {
                self.min_dynamic + rng.below(span as usize) as i64
            } else {
                self.min_dynamic
            };
            if free(port) {
                return u16::try_from(port).ok();
            }
        }
        let available: Vec<i64> = (self.min_dynamic..=self.max_dynamic)
            .filter(|&p| free(p))
            .collect();
        if available.is_empty() {
            return None;
        }
        u16::try_from(available[rng.below(available.len())]).ok()
    }

    /// The group network as the allocation records it: the ask with its dynamic ports filled in and
    /// the node's host address (Nomad's `AllocatedPortsToNetworkResouce`).
    pub(crate) fn group_network(
        &self,
        ask: &NetworkResource,
        offer: &[AllocatedPortMapping],
    ) -> NetworkResource {
        let mut network = ask.clone();
        for port in &mut network.dynamic_ports {
            if let Some(assigned) = offer.iter().find(|p| p.label == port.label) {
                port.value = assigned.value;
                port.to = assigned.to;
            }
        }
        if let Some(host) = host_mode_networks(self.node).next() {
            network.ip = host.ip.clone();
        }
        network
    }
}

fn no_addresses(host_network: &str) -> String {
    let name = if host_network.is_empty() {
        DEFAULT_HOST_NETWORK
    } else {
        host_network
    };
    format!("no addresses available for {name} network")
}

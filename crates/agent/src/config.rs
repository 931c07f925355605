//! The agent's settings: [`AgentArgs`], the `drover agent` flags (Nomad's names where Nomad has
//! the flag), and [`AgentConfig`], what [`crate::Agent::start`] runs with.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use crate::duration;
use crate::error::AgentError;
use crate::wal::WalOptions;

/// `drover agent`: runs a server with simulated client nodes.
#[derive(Debug, Clone, clap::Args)]
pub struct AgentArgs {
    /// Development mode: an in-memory store and simulated client nodes, on 127.0.0.1.
    #[arg(long)]
    pub dev: bool,
    /// The address the HTTP API binds to (127.0.0.1 in dev mode, else 0.0.0.0).
    #[arg(long)]
    pub bind: Option<IpAddr>,
    /// The HTTP API port (Nomad's `ports.http`).
    #[arg(long = "http-port", default_value_t = 4646)]
    pub http_port: u16,
    /// The data directory of durable mode: a write-ahead log and snapshots of the state.
    #[arg(long = "data-dir")]
    pub data_dir: Option<PathBuf>,
    /// Durable mode takes a snapshot after this many log entries (Nomad's
    /// `server.raft_snapshot_threshold`).
    #[arg(long = "raft-snapshot-threshold", default_value_t = 8192)]
    pub raft_snapshot_threshold: u64,
    /// Enforce ACLs.
    #[arg(long = "acl-enabled")]
    pub acl_enabled: bool,
    /// The server's region.
    #[arg(long, default_value = "global")]
    pub region: String,
    /// The datacenter of the simulated nodes (see also -sim-datacenters).
    #[arg(long = "dc", default_value = "dc1")]
    pub datacenter: String,
    /// The name of the (first) simulated node; the host name by default.
    #[arg(long = "node")]
    pub node_name: Option<String>,
    /// The node class of the simulated nodes (see also -sim-node-classes).
    #[arg(long = "node-class", default_value = "")]
    pub node_class: String,
    /// The node pool of the simulated nodes.
    #[arg(long = "node-pool", default_value = "default")]
    pub node_pool: String,
    /// How many scheduler workers run (Nomad's `server.num_schedulers`).
    #[arg(long = "num-schedulers", default_value_t = 2)]
    pub num_schedulers: usize,
    /// TRACE, DEBUG, INFO, WARN, ERROR or OFF.
    #[arg(long = "log-level", default_value = "INFO")]
    pub log_level: String,
    /// How many simulated client nodes to run.
    #[arg(long = "sim-nodes", default_value_t = 1)]
    pub sim_nodes: usize,
    /// Datacenters the simulated nodes are spread over, comma-separated (default: -dc).
    #[arg(long = "sim-datacenters", value_delimiter = ',')]
    pub sim_datacenters: Vec<String>,
    /// Node classes the simulated nodes take in turn, comma-separated (default: -node-class).
    #[arg(long = "sim-node-classes", value_delimiter = ',')]
    pub sim_node_classes: Vec<String>,
    /// CPU of each simulated node in MHz (default: this machine's cores x 2000).
    #[arg(long = "sim-cpu")]
    pub sim_cpu: Option<i64>,
    /// Memory of each simulated node in MB (default: this machine's memory).
    #[arg(long = "sim-memory")]
    pub sim_memory: Option<i64>,
    /// Disk of each simulated node in MB.
    #[arg(long = "sim-disk", default_value_t = 100_000)]
    pub sim_disk: i64,
    /// How long a simulated node takes to start an allocation's tasks.
    #[arg(long = "sim-start-delay", default_value = "0s", value_parser = duration::parse)]
    pub sim_start_delay: Duration,
    /// How long the tasks of batch allocations run before they complete.
    #[arg(long = "sim-batch-run-time", default_value = "5s", value_parser = duration::parse)]
    pub sim_batch_run_time: Duration,
    /// How often time moves for the broker and the simulated nodes.
    #[arg(long = "tick", default_value = "200ms", value_parser = duration::parse)]
    pub tick: Duration,
}

/// What the agent runs with. `Default` is `drover agent -dev` without flags.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentConfig {
    pub bind: IpAddr,
    /// 0 picks a free port (tests).
    pub http_port: u16,
    pub region: String,
    pub num_schedulers: usize,
    /// The period of the ticker that moves broker time and the simulated nodes.
    pub tick: Duration,
    /// Request bodies larger than this are refused with 413.
    pub max_body_bytes: usize,
    /// After a write, wait until the evaluations it made are scheduled before answering (dev
    /// mode: clients such as python-nomad read allocations right after a register).
    pub settle_writes: bool,
    pub sim: SimConfig,
    /// Durable mode: the state lives in this directory (see [`crate::wal`]); `None` keeps it in
    /// memory.
    pub data_dir: Option<PathBuf>,
    pub wal: WalOptions,
    /// Enforce ACLs (`-acl-enabled`); bootstrap the first token with `/v1/acl/bootstrap`.
    pub acl_enabled: bool,
}

/// The simulated client nodes.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    pub nodes: usize,
    /// The first node's name; others get `-2`, `-3`, ... appended.
    pub node_name: String,
    /// The nodes take these in turn.
    pub datacenters: Vec<String>,
    /// The nodes take these in turn.
    pub node_classes: Vec<String>,
    pub node_pool: String,
    /// Per node; `None` is this machine's.
    pub cpu_mhz: Option<i64>,
    pub memory_mb: Option<i64>,
    pub disk_mb: i64,
    pub start_delay: Duration,
    pub batch_run_time: Duration,
}

/// Bodies up to 16 MiB: a job with a 1 MB source fits many times over.
pub const MAX_BODY_BYTES: usize = 16 << 20;

impl Default for AgentConfig {
    fn default() -> Self {
        Self {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            http_port: 4646,
            region: "global".to_string(),
            num_schedulers: 2,
            tick: Duration::from_millis(200),
            max_body_bytes: MAX_BODY_BYTES,
            settle_writes: true,
            sim: SimConfig::default(),
            data_dir: None,
            wal: WalOptions::default(),
            acl_enabled: false,
        }
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            nodes: 1,
            node_name: host_name(),
            datacenters: vec!["dc1".to_string()],
            node_classes: vec![String::new()],
            node_pool: "default".to_string(),
            cpu_mhz: None,
            memory_mb: None,
            disk_mb: 100_000,
            start_delay: Duration::ZERO,
            batch_run_time: Duration::from_secs(5),
        }
    }
}

impl AgentArgs {
    /// The configuration these flags ask for, or why they cannot be served yet.
    pub fn to_config(&self) -> Result<AgentConfig, AgentError> {
        if !self.dev && self.data_dir.is_none() {
            return Err(AgentError::Unsupported(
                "run `drover agent -dev` (state in memory) or `drover agent -data-dir DIR` (durable)"
                    .to_string(),
            ));
        }
        if self.num_schedulers == 0 {
            return Err(AgentError::Unsupported(
                "-num-schedulers must be at least 1".to_string(),
            ));
        }
        let or_default = |list: &[String], default: &str| {
            if list.is_empty() {
                vec![default.to_string()]
            } else {
                list.to_vec()
            }
        };
        Ok(AgentConfig {
            bind: self.bind.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            http_port: self.http_port,
            region: self.region.clone(),
            num_schedulers: self.num_schedulers,
            tick: self.tick,
            max_body_bytes: MAX_BODY_BYTES,
            settle_writes: true,
            data_dir: self.data_dir.clone(),
            acl_enabled: self.acl_enabled,
            wal: WalOptions {
                snapshot_threshold: self.raft_snapshot_threshold.max(1),
                ..WalOptions::default()
            },
            sim: SimConfig {
                nodes: self.sim_nodes,
                node_name: self.node_name.clone().unwrap_or_else(host_name),
                datacenters: or_default(&self.sim_datacenters, &self.datacenter),
                node_classes: or_default(&self.sim_node_classes, &self.node_class),
                node_pool: self.node_pool.clone(),
                cpu_mhz: self.sim_cpu,
                memory_mb: self.sim_memory,
                disk_mb: self.sim_disk,
                start_delay: self.sim_start_delay,
                batch_run_time: self.sim_batch_run_time,
            },
        })
    }
}

/// This machine's host name (Nomad names its client node after it).
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "drover".to_string())
}

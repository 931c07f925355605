//! Simulated client nodes: what a Nomad client would tell the servers, without running anything.
//!
//! Each node registers with the drivers `docker`, `exec`, `raw_exec` and `java` and this
//! machine's CPU and memory (or what the flags say). On every tick the nodes look at their
//! allocations and report, as a client would: a pending allocation starts (its tasks run), a
//! batch allocation completes after the configured run time, an allocation the scheduler
//! stopped is killed, and an allocation of a deployment turns healthy once it has run for the
//! group's `min_healthy_time`. Time is the engine clock's reading passed to [`SimulatedNodes::tick`].
//!
//! The nodes register no services themselves: the engine writes an allocation's
//! `provider = "nomad"` registrations when a node reports it running, and the deployment
//! watcher acts on the health they report.

use std::collections::BTreeMap;

use drover_core::model::allocation::{ClientStatus, DesiredStatus, task_state};
use drover_core::model::job::{health_check, job_type};
use drover_core::model::node::{node_eligibility, node_status};
use drover_core::model::time::{format_rfc3339, parse_rfc3339};
use drover_core::model::{
    AllocDeploymentStatus, Allocation, DriverInfo, NetworkResource, Node, NodeCpuResources,
    NodeDiskResources, NodeMemoryResources, NodeResources, SECOND, TaskEvent, TaskState,
};
use drover_core::state::ClientAllocUpdate;
use drover_core::{ApiResult, Engine};

use crate::config::SimConfig;

/// The drivers every simulated node offers.
const DRIVERS: [&str; 4] = ["docker", "exec", "raw_exec", "java"];
/// The Nomad version the nodes claim (what python-nomad's tests are pinned to).
pub const NOMAD_VERSION: &str = "1.9.5";
/// Nomad's default `min_healthy_time`.
const DEFAULT_MIN_HEALTHY_TIME: i64 = 10 * SECOND;
/// Nomad's default dynamic port range.
const MIN_DYNAMIC_PORT: i64 = 20_000;
const MAX_DYNAMIC_PORT: i64 = 32_000;

/// This machine as a node would fingerprint it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostResources {
    pub cores: u32,
    /// MHz.
    pub cpu_mhz: i64,
    pub memory_mb: i64,
}

impl HostResources {
    /// The CPU count (2000 MHz a core, as Nomad assumes when it cannot read a frequency) and the
    /// total memory from /proc/meminfo.
    pub fn detect() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
        let memory_mb = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|text| mem_total_mb(&text))
            .unwrap_or(4096);
        Self {
            cores,
            cpu_mhz: i64::from(cores) * 2000,
            memory_mb,
        }
    }
}

/// `MemTotal` of a /proc/meminfo text, in MB.
fn mem_total_mb(meminfo: &str) -> Option<i64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: i64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// The simulated nodes of one agent.
#[derive(Debug)]
pub struct SimulatedNodes {
    nodes: Vec<Node>,
    config: SimConfig,
}

impl SimulatedNodes {
    /// Builds the nodes `config` asks for. A node's ID follows from its name, so an agent that
    /// restarts on its data directory finds its nodes again instead of adding new ones.
    pub fn new(config: &SimConfig, host: HostResources, now: i64) -> Self {
        let nodes = (0..config.nodes)
            .map(|index| node(config, host, index, now))
            .collect();
        Self {
            nodes,
            config: config.clone(),
        }
    }

    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Registers every node as ready.
    pub fn register(&self, engine: &Engine) -> ApiResult<()> {
        for node in &self.nodes {
            engine.upsert_node(node.clone())?;
        }
        Ok(())
    }

    /// Reports what changed on the nodes' allocations by `now` (unix nanoseconds).
    pub fn tick(&self, engine: &Engine, now: i64) -> ApiResult<()> {
        let snapshot = engine.snapshot();
        let updates: Vec<ClientAllocUpdate> = self
            .nodes
            .iter()
            .flat_map(|node| snapshot.allocs_by_node(&node.id))
            .filter_map(|alloc| advance(&alloc, &self.config, now))
            .collect();
        if !updates.is_empty() {
            engine.update_allocs_from_client(updates)?;
        }
        Ok(())
    }
}

/// The `index`th node.
fn node(config: &SimConfig, host: HostResources, index: usize, now: i64) -> Node {
    let pick = |list: &[String]| {
        list.get(index % list.len().max(1))
            .cloned()
            .unwrap_or_default()
    };
    let name = if index == 0 {
        config.node_name.clone()
    } else {
        format!("{}-{}", config.node_name, index + 1)
    };
    let cpu_mhz = config.cpu_mhz.unwrap_or(host.cpu_mhz);
    let memory_mb = config.memory_mb.unwrap_or(host.memory_mb);
    let updated = format_rfc3339(now);
    let mut attributes: BTreeMap<String, String> = [
        ("arch", std::env::consts::ARCH),
        ("cpu.arch", go_arch()),
        ("kernel.name", std::env::consts::OS),
        ("os.name", std::env::consts::OS),
        ("os.signals", SIGNALS),
        ("nomad.version", NOMAD_VERSION),
        ("nomad.advertise.address", "127.0.0.1:4646"),
        ("unique.network.ip-address", "127.0.0.1"),
        ("driver.docker.version", "27.0.0"),
        ("driver.java.version", "17.0.0"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    attributes.insert("unique.hostname".to_string(), name.clone());
    attributes.insert("cpu.numcores".to_string(), host.cores.to_string());
    attributes.insert("cpu.totalcompute".to_string(), cpu_mhz.to_string());
    attributes.insert("cpu.frequency".to_string(), "2000".to_string());
    attributes.insert(
        "memory.totalbytes".to_string(),
        (memory_mb * 1024 * 1024).to_string(),
    );
    let mut drivers = BTreeMap::new();
    for driver in DRIVERS {
        attributes.insert(format!("driver.{driver}"), "1".to_string());
        drivers.insert(
            driver.to_string(),
            DriverInfo {
                attributes: BTreeMap::from([(format!("driver.{driver}"), "1".to_string())]),
                detected: true,
                healthy: true,
                health_description: "Healthy".to_string(),
                update_time: updated.clone(),
            },
        );
    }
    Node {
        id: node_id(&name).into(),
        datacenter: pick(&config.datacenters),
        name: name.into(),
        http_addr: "127.0.0.1:4646".to_string(),
        attributes,
        node_resources: Some(NodeResources {
            cpu: NodeCpuResources {
                cpu_shares: cpu_mhz,
                total_cpu_cores: host.cores,
                reservable_cpu_cores: (0..host.cores.min(u32::from(u16::MAX)) as u16).collect(),
            },
            memory: NodeMemoryResources { memory_mb },
            disk: NodeDiskResources {
                disk_mb: config.disk_mb,
            },
            networks: vec![NetworkResource {
                mode: "host".to_string(),
                device: "lo".to_string(),
                cidr: "127.0.0.1/32".to_string(),
                ip: "127.0.0.1".to_string(),
                mbits: 1000,
                ..NetworkResource::default()
            }],
            min_dynamic_port: MIN_DYNAMIC_PORT,
            max_dynamic_port: MAX_DYNAMIC_PORT,
        }),
        node_class: pick(&config.node_classes),
        node_pool: config.node_pool.clone(),
        scheduling_eligibility: node_eligibility::ELIGIBLE.to_string(),
        status: node_status::READY.to_string(),
        drivers,
        ..Node::default()
    }
}

const SIGNALS: &str = "SIGABRT,SIGALRM,SIGBUS,SIGCHLD,SIGCONT,SIGFPE,SIGHUP,SIGILL,SIGINT,SIGIO,\
SIGIOT,SIGKILL,SIGPIPE,SIGPROF,SIGQUIT,SIGSEGV,SIGSTOP,SIGSYS,SIGTERM,SIGTRAP,SIGTSTP,SIGTTIN,\
SIGTTOU,SIGURG,SIGUSR1,SIGUSR2,SIGVTALRM,SIGWINCH,SIGXCPU,SIGXFSZ";

/// Go's name for this architecture (what Nomad's `cpu.arch` says).
fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    }
}

/// What a client reports about `alloc` at `now`, if anything changed.
fn advance(alloc: &Allocation, config: &SimConfig, now: i64) -> Option<ClientAllocUpdate> {
    let job = alloc.job.as_ref()?;
    let group = job.lookup_task_group(&alloc.task_group)?;
    let tasks = group.tasks.iter().map(|t| t.name.as_str());
    let update = |status: ClientStatus, description: &str, states: BTreeMap<String, TaskState>| {
        Some(ClientAllocUpdate {
            alloc_id: alloc.id.to_string(),
            client_status: status,
            client_description: description.to_string(),
            task_states: states,
            deployment_status: alloc.details().deployment_status.as_deref().cloned(),
            modify_time: now,
        })
    };
    // Every task's last reported state, finished now.
    let finished = |event_type: &str, message: &str| {
        tasks
            .clone()
            .map(|task| {
                let stored = alloc.details().task_states.get(task);
                let mut state = stored.cloned().unwrap_or_default();
                finish(&mut state, now, event_type, message);
                (task.to_string(), state)
            })
            .collect()
    };
    let stopping = alloc.desired_status != DesiredStatus::Run;
    match alloc.client_status {
        ClientStatus::Pending | ClientStatus::Running if stopping => {
            let states = finished("Killed", "Task successfully killed");
            update(ClientStatus::Complete, "All tasks have completed", states)
        }
        ClientStatus::Pending => {
            let due = alloc
                .create_time
                .saturating_add(i64::try_from(config.start_delay.as_nanos()).unwrap_or(i64::MAX));
            if now < due {
                return None;
            }
            let states = tasks.map(|task| (task.to_string(), started(now))).collect();
            update(ClientStatus::Running, "Tasks are running", states)
        }
        ClientStatus::Running => {
            let started_at = alloc
                .details()
                .task_states
                .values()
                .filter_map(|s| parse_rfc3339(&s.started_at))
                .min()
                .unwrap_or(alloc.modify_time);
            let ran = now.saturating_sub(started_at);
            let batch = job.job_type == job_type::BATCH || job.job_type == job_type::SYSBATCH;
            let run_time = i64::try_from(config.batch_run_time.as_nanos()).unwrap_or(i64::MAX);
            if batch && ran >= run_time {
                let states = finished("Terminated", "Exit Code: 0");
                return update(ClientStatus::Complete, "All tasks have completed", states);
            }
            let health = group
                .update
                .as_ref()
                .and_then(|u| u.health_check.as_deref());
            let awaiting_health = !alloc.deployment_id.is_empty()
                && alloc
                    .details()
                    .deployment_status
                    .as_ref()
                    .is_none_or(|s| s.healthy.is_none())
                && health != Some(health_check::MANUAL);
            let min_healthy = group
                .update
                .as_ref()
                .and_then(|u| u.min_healthy_time)
                .unwrap_or(DEFAULT_MIN_HEALTHY_TIME);
            if awaiting_health && ran >= min_healthy {
                let mut report = update(
                    ClientStatus::Running,
                    &alloc.details().client_description,
                    alloc.details().task_states.clone(),
                )?;
                report.deployment_status = Some(AllocDeploymentStatus {
                    healthy: Some(true),
                    timestamp: format_rfc3339(now),
                    canary: alloc
                        .details()
                        .deployment_status
                        .as_ref()
                        .is_some_and(|s| s.canary),
                    modify_index: 0,
                });
                return Some(report);
            }
            None
        }
        _ => None,
    }
}

fn started(now: i64) -> TaskState {
    TaskState {
        state: task_state::RUNNING.to_string(),
        started_at: format_rfc3339(now),
        events: vec![
            event(now, "Received", "Task received by client"),
            event(now, "Task Setup", "Building Task Directory"),
            event(now, "Started", "Task started by client"),
        ],
        ..TaskState::default()
    }
}

fn finish(state: &mut TaskState, now: i64, event_type: &str, message: &str) {
    state.state = task_state::DEAD.to_string();
    state.finished_at = format_rfc3339(now);
    state.events.push(event(now, event_type, message));
}

fn event(now: i64, event_type: &str, message: &str) -> TaskEvent {
    TaskEvent {
        event_type: event_type.to_string(),
        time: now,
        display_message: message.to_string(),
        ..TaskEvent::default()
    }
}

/// A UUID-shaped ID (version 4 layout) derived from a node name (FNV-1a, twice salted).
fn node_id(name: &str) -> String {
    let hash = |salt: u8| {
        name.bytes()
            .chain([0, salt])
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
            })
    };
    let high = (hash(1) & !0xF000) | 0x4000;
    let low = (hash(2) & !(0xC << 60)) | (0x8 << 60);
    let hex = format!("{high:016x}{low:016x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use drover_core::model::{Job, Task, TaskGroup, UpdateStrategy};

    use super::*;

    const NOW: i64 = 1_704_067_200 * SECOND;

    fn alloc(job_kind: &str, client: ClientStatus, desired: DesiredStatus) -> Allocation {
        let job = Job {
            id: "web".into(),
            job_type: job_kind.into(),
            task_groups: vec![Arc::new(TaskGroup {
                name: "g".into(),
                tasks: vec![Arc::new(Task {
                    name: "t".into(),
                    ..Task::default()
                })],
                update: Some(UpdateStrategy {
                    min_healthy_time: Some(10 * SECOND),
                    ..UpdateStrategy::default()
                }),
                ..TaskGroup::default()
            })],
            ..Job::default()
        };
        Allocation {
            id: "a1".into(),
            job: Some(Arc::new(job)),
            task_group: "g".into(),
            client_status: client,
            desired_status: desired,
            create_time: NOW,
            modify_time: NOW,
            ..Allocation::default()
        }
    }

    fn config() -> SimConfig {
        SimConfig {
            start_delay: Duration::from_secs(1),
            batch_run_time: Duration::from_secs(5),
            ..SimConfig::default()
        }
    }

    /// The client status and task states `alloc` is reported with at `now`, if any.
    fn check(
        alloc: &Allocation,
        now: i64,
        expected: Option<(&str, &str)>,
    ) -> Option<ClientAllocUpdate> {
        let update = advance(alloc, &config(), now);
        let got = update
            .as_ref()
            .map(|u| (u.client_status.as_str(), u.task_states["t"].state.as_str()));
        assert_eq!(got, expected);
        update
    }

    fn apply(alloc: &mut Allocation, update: ClientAllocUpdate) {
        alloc.client_status = update.client_status;
        alloc.details_mut().task_states = update.task_states;
        alloc.details_mut().deployment_status = update.deployment_status.map(Box::new);
    }

    #[test]
    fn batch_allocations_start_then_complete() {
        let mut a = alloc(job_type::BATCH, ClientStatus::Pending, DesiredStatus::Run);
        check(&a, NOW, None);
        let update = check(&a, NOW + SECOND, Some(("running", "running"))).unwrap();
        apply(&mut a, update);
        check(&a, NOW + 5 * SECOND, None);
        check(&a, NOW + 6 * SECOND, Some(("complete", "dead")));
    }

    #[test]
    fn service_allocations_keep_running_and_turn_healthy() {
        let mut a = alloc(job_type::SERVICE, ClientStatus::Pending, DesiredStatus::Run);
        let update = check(&a, NOW + SECOND, Some(("running", "running"))).unwrap();
        apply(&mut a, update);
        check(&a, NOW + 100 * SECOND, None);
        a.deployment_id = "d1".into();
        check(&a, NOW + 10 * SECOND, None);
        let update = check(&a, NOW + 11 * SECOND, Some(("running", "running"))).unwrap();
        assert_eq!(
            update.deployment_status.as_ref().and_then(|s| s.healthy),
            Some(true)
        );
        apply(&mut a, update);
        check(&a, NOW + 12 * SECOND, None);
    }

    #[test]
    fn stopped_allocations_are_killed() {
        let a = alloc(
            job_type::SERVICE,
            ClientStatus::Running,
            DesiredStatus::Stop,
        );
        check(&a, NOW, Some(("complete", "dead")));
        let a = alloc(
            job_type::SERVICE,
            ClientStatus::Complete,
            DesiredStatus::Stop,
        );
        check(&a, NOW, None);
    }

    /// A service job rolled out one allocation at a time, with a Nomad service.
    const ROLLING_JOB: &str = r#"{
        "ID": "web", "Name": "web", "Type": "service", "Datacenters": ["dc1"],
        "TaskGroups": [{
            "Name": "g", "Count": 2,
            "Update": {"MaxParallel": 1, "MinHealthyTime": 10000000000},
            "Networks": [{"DynamicPorts": [{"Label": "http"}]}],
            "Services": [{"Name": "web", "PortLabel": "http", "Provider": "nomad"}],
            "Tasks": [{"Name": "t", "Driver": "docker", "Config": {"image": "nginx"},
                       "Resources": {"CPU": 100, "MemoryMB": 64}}]
        }]
    }"#;

    #[test]
    fn a_rolling_deployment_completes_on_simulated_nodes() {
        use drover_core::api::{JobRegisterRequest, RequestContext};
        use drover_core::{EngineConfig, ManualClock, MemoryLog};

        let clock = Arc::new(ManualClock::new(NOW));
        let engine = Engine::new(
            EngineConfig::default(),
            clock.clone(),
            Box::new(MemoryLog::new()),
        );
        let sim_config = SimConfig {
            nodes: 2,
            node_name: "sim".to_string(),
            ..config()
        };
        let host = HostResources {
            cores: 4,
            cpu_mhz: 8000,
            memory_mb: 16_000,
        };
        let nodes = SimulatedNodes::new(&sim_config, host, NOW);
        nodes.register(&engine).unwrap();
        let job = drover_core::model::decode_job(ROLLING_JOB.as_bytes()).unwrap();
        let ctx = RequestContext::default();
        let request = JobRegisterRequest {
            job: Some(job),
            ..JobRegisterRequest::default()
        };
        engine.register_job(&ctx, request).unwrap();
        for step in 1..=10 {
            let now = NOW + step * 5 * SECOND;
            clock.set(now);
            engine.process_until_idle().unwrap();
            nodes.tick(&engine, now).unwrap();
            engine.tick(now).unwrap();
        }
        let deployment = engine
            .job_latest_deployment(&ctx, "web")
            .unwrap()
            .value
            .unwrap();
        assert_eq!(deployment.status, "successful");
        let job = engine.read_job(&ctx, "web").unwrap().value;
        assert!(job.stable);
        let services = engine.job_services(&ctx, "web").unwrap().value;
        let addresses: Vec<&str> = services.iter().map(|s| s.address.as_str()).collect();
        assert_eq!(addresses, ["127.0.0.1", "127.0.0.1"]);
    }

    #[test]
    fn nodes_spread_over_datacenters_and_classes() {
        let config = SimConfig {
            nodes: 3,
            node_name: "sim".to_string(),
            datacenters: vec!["dc1".to_string(), "dc2".to_string()],
            node_classes: vec!["a".to_string()],
            ..SimConfig::default()
        };
        let host = HostResources {
            cores: 4,
            cpu_mhz: 8000,
            memory_mb: 16_000,
        };
        let nodes = SimulatedNodes::new(&config, host, NOW);
        let got: Vec<(&str, &str, &str)> = nodes
            .nodes()
            .iter()
            .map(|n| {
                (
                    n.name.as_str(),
                    n.datacenter.as_str(),
                    n.node_class.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("sim", "dc1", "a"),
                ("sim-2", "dc2", "a"),
                ("sim-3", "dc1", "a")
            ]
        );
        let node = &nodes.nodes()[0];
        assert_eq!(node.attributes["driver.docker"], "1");
        assert_eq!(node.attributes["unique.hostname"], "sim");
        let resources = node.node_resources.as_ref().unwrap();
        assert_eq!(
            (resources.cpu.cpu_shares, resources.memory.memory_mb),
            (8000, 16_000)
        );
    }

    #[test]
    fn meminfo() {
        assert_eq!(
            mem_total_mb("MemTotal:       16384000 kB\nMemFree: 1 kB\n"),
            Some(16000)
        );
        assert_eq!(mem_total_mb("nothing"), None);
    }

    #[test]
    fn node_ids_follow_from_names() {
        let id = node_id("sim");
        assert_eq!(id, node_id("sim"));
        assert_ne!(id, node_id("sim-2"));
        let groups: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"), "{id}");
    }
}

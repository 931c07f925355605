//! Shared helpers of the durable-storage, crash and CLI tests: temporary directories, the
//! seed's sample job, and the `drover` binary as an agent process.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use drover_agent::cli::Client;

use drover_core::api::JobRegisterRequest;
use drover_core::model::Job;

/// A fresh directory under the system's temporary directory, removed on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "drover-{name}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::remove_dir_all(&path).ok();
        std::fs::create_dir_all(&path).expect("temporary directory");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

pub fn sample_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/samples")
        .join(name)
}

/// The seed's `create_job_payload.json` job under another ID, with `count` instances.
pub fn sample_job(id: &str, count: i64) -> Job {
    let body = std::fs::read(sample_path("create_job_payload.json")).expect("sample");
    let mut job = JobRegisterRequest::from_json(&body)
        .expect("sample decodes")
        .job
        .expect("sample has a job");
    job.id = id.into();
    job.name = id.into();
    Arc::make_mut(&mut job.task_groups[0]).count = count;
    job
}

pub fn register_request(job: Job) -> JobRegisterRequest {
    JobRegisterRequest {
        job: Some(job),
        ..JobRegisterRequest::default()
    }
}

/// A `drover agent` process, killed when dropped.
pub struct AgentProcess {
    child: Child,
    pub client: Client,
    /// `http://127.0.0.1:<port>`.
    pub address: String,
}

impl AgentProcess {
    /// `drover agent` on an ephemeral loopback port with roomy simulated nodes, plus `args`.
    pub fn start(args: &[&str]) -> AgentProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_drover"))
            .arg("agent")
            .args(["-bind", "127.0.0.1", "-http-port", "0", "-tick", "50ms"])
            .args(["-sim-cpu", "100000", "-sim-memory", "100000"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("drover starts");
        let stderr = child.stderr.take().expect("stderr");
        let (lines, incoming) = mpsc::channel();
        // Keep reading, so that the agent never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                lines.send(line).ok();
            }
        });
        let deadline = Instant::now() + Duration::from_secs(120);
        let addr = loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            let line = incoming
                .recv_timeout(wait)
                .expect("the agent logs its address");
            if line.contains("drover agent started")
                && let Some(addr) = line
                    .split_whitespace()
                    .find_map(|w| w.strip_prefix("addr="))
            {
                break addr.to_string();
            }
        };
        let address = format!("http://{addr}");
        let client = Client::new(&address).expect("address");
        AgentProcess {
            child,
            client,
            address,
        }
    }

    /// SIGKILL.
    pub fn kill(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

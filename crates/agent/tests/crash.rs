//! The crash test: the `drover` binary in durable mode is killed with SIGKILL in the middle of
//! a loop of writes, restarted on the same data directory, and must still hold every write it
//! acknowledged (job, version and evaluation). Loopback only; loop counts are bounded.

mod wal_common;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use drover_agent::cli::Client;
use drover_core::api::JobRegisterResponse;
use serde_json::{Value, json};
use wal_common::{AgentProcess, TempDir, sample_job};

/// Jobs written in turn; each gets a new version (a higher count) every round.
const JOBS: usize = 10;
/// At most this many writes: 6 rounds, so no job has more versions than Nomad tracks (6).
const WRITES: usize = 60;
/// The agent is killed once this many writes were acknowledged.
const KILL_AFTER: usize = 35;

/// The agent in durable mode, with a snapshot every 16 log entries.
fn start(data_dir: &Path) -> AgentProcess {
    let data_dir = data_dir.to_str().expect("a UTF-8 path");
    AgentProcess::start(&["-data-dir", data_dir, "-raft-snapshot-threshold", "16"])
}

/// A write the agent acknowledged.
#[derive(Debug, Clone)]
struct Acked {
    job_id: String,
    count: i64,
    response: JobRegisterResponse,
}

fn register(client: &Client, job_id: &str, count: i64) -> Result<JobRegisterResponse, String> {
    let job = sample_job(job_id, count);
    client
        .put("/v1/jobs", &json!({ "Job": job }))
        .map_err(|e| e.to_string())
}

#[test]
fn every_acknowledged_write_survives_kill_9() {
    let dir = TempDir::new("crash");
    let mut agent = start(dir.path());

    let acked = Arc::new(Mutex::new(Vec::<Acked>::new()));
    let writer = {
        let (client, acked) = (agent.client.clone(), acked.clone());
        std::thread::spawn(move || {
            for i in 0..WRITES {
                let job_id = format!("crash-{}", i % JOBS);
                let count = (i / JOBS) as i64 + 1;
                match register(&client, &job_id, count) {
                    Ok(response) => acked.lock().unwrap().push(Acked {
                        job_id,
                        count,
                        response,
                    }),
                    Err(_) => return,
                }
            }
        })
    };
    let deadline = Instant::now() + Duration::from_secs(300);
    while acked.lock().unwrap().len() < KILL_AFTER {
        assert!(!writer.is_finished(), "the writes stopped early");
        assert!(Instant::now() < deadline, "the writes are too slow");
        std::thread::sleep(Duration::from_millis(5));
    }
    agent.kill();
    writer.join().expect("writer");
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() < WRITES,
        "the agent was killed after the loop ended"
    );

    let agent = start(dir.path());
    let client = &agent.client;
    for write in &acked {
        let job_path = format!("/v1/job/{}", write.job_id);
        let versions: Value = client
            .get(&format!("{job_path}/versions"))
            .unwrap_or_else(|e| panic!("{write:?}: {e}"));
        let version = versions["Versions"]
            .as_array()
            .expect("versions")
            .iter()
            .find(|v| v["JobModifyIndex"] == write.response.job_modify_index)
            .unwrap_or_else(|| panic!("{write:?}: version missing from {versions}"));
        assert_eq!(version["TaskGroups"][0]["Count"], write.count, "{write:?}");

        let eval: Value = client
            .get(&format!("/v1/evaluation/{}", write.response.eval_id))
            .unwrap_or_else(|e| panic!("{write:?}: evaluation missing: {e}"));
        assert_eq!(eval["JobID"], write.job_id.as_str(), "{write:?}");

        // A later write may have been logged without being acknowledged, never an earlier one.
        let job: Value = client.get(&job_path).expect("job");
        assert!(
            job["TaskGroups"][0]["Count"].as_i64() >= Some(write.count),
            "{write:?}: {job}"
        );
    }

    // The log continues after the recovered entries.
    let last_index = acked.iter().map(|w| w.response.index).max().unwrap_or(0);
    let response = register(client, "after-restart", 1).expect("a write after the restart");
    assert!(response.index > last_index);
}

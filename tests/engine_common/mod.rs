//! Shared helpers of the `engine_*` tests: an engine on a manual clock with a fixed seed, the
//! seed's sample payloads, golden files under `tests/golden/engine/` (rewrite them with
//! `UPDATE_GOLDEN=1` after an intended change), and error checks.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use drover::core::api::{JobRegisterRequest, RequestContext};
use drover::core::{ApiError, ApiResult, Engine, EngineConfig, ManualClock, MemoryLog};
use drover::model::{Evaluation, Job, Node};
use serde::Serialize;
use serde_json::{Value, json};

/// 2024-01-01T00:00:00Z, in unix nanoseconds.
pub const START: i64 = 1_704_067_200_000_000_000;

pub struct Fixture {
    pub engine: Arc<Engine>,
    pub clock: Arc<ManualClock>,
    pub log: MemoryLog,
}

pub fn fixture() -> Fixture {
    let clock = Arc::new(ManualClock::new(START));
    let log = MemoryLog::new();
    let config = EngineConfig {
        seed: 42,
        ..EngineConfig::default()
    };
    let engine = Engine::new(config, clock.clone(), Box::new(log.clone()));
    Fixture {
        engine: Arc::new(engine),
        clock,
        log,
    }
}

pub fn ctx() -> RequestContext {
    RequestContext::default()
}

pub fn ctx_in(namespace: &str) -> RequestContext {
    RequestContext {
        namespace: Some(namespace.to_string()),
        ..RequestContext::default()
    }
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/engine")
}

/// A copy of one of the seed's samples.
pub fn sample(name: &str) -> Vec<u8> {
    let path = golden_dir().join("samples").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The seed's `create_job_payload.json` as a register request.
pub fn sample_register() -> JobRegisterRequest {
    JobRegisterRequest::from_json(&sample("create_job_payload.json")).expect("sample decodes")
}

/// The sample job with its ID changed.
pub fn sample_job(id: &str) -> Job {
    let mut job = sample_register().job.expect("sample has a job");
    job.id = id.into();
    job
}

pub fn register(job: Job) -> JobRegisterRequest {
    JobRegisterRequest {
        job: Some(job),
        ..JobRegisterRequest::default()
    }
}

/// Compares `value`'s JSON with the golden file `name` (or writes it with `UPDATE_GOLDEN=1`).
pub fn golden(name: &str, value: &impl Serialize) {
    let path = golden_dir().join(format!("{name}.json"));
    let actual = serde_json::to_string_pretty(value).expect("serializes") + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &actual).expect("golden written");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1)", path.display()));
    let (actual, expected): (Value, Value) = (
        serde_json::from_str(&actual).expect("json"),
        serde_json::from_str(&expected).expect("golden json"),
    );
    assert_eq!(actual, expected, "golden {name} differs");
}

/// The call failed with exactly this status and text.
pub fn check_error<T: std::fmt::Debug>(result: ApiResult<T>, status: u16, message: &str) {
    match result {
        Ok(value) => panic!("expected {status} {message:?}, got {value:?}"),
        Err(ApiError {
            status: got,
            message: text,
            ..
        }) => assert_eq!((got, text.as_str()), (status, message)),
    }
}

/// A docker-capable client node in `dc1` with 4000 MHz, 8 GiB of memory and 100 GB of disk.
pub fn node(id: &str, status: &str) -> Node {
    serde_json::from_value(json!({
        "ID": id, "Name": id, "Datacenter": "dc1", "Status": status,
        "Attributes": {"kernel.name": "linux", "driver.docker": "1"},
        "Drivers": {"docker": {"Detected": true, "Healthy": true}},
        "NodeResources": {"Cpu": {"CpuShares": 4000}, "Memory": {"MemoryMB": 8192},
                          "Disk": {"DiskMB": 100000},
                          "Networks": [{"Mode": "host", "Device": "eth0", "IP": "10.0.0.1", "MBits": 1000}]}
    }))
    .unwrap()
}

/// The evaluations of a job in the default namespace, oldest first.
pub fn job_evals(engine: &Engine, job_id: &str) -> Vec<Evaluation> {
    let mut evals: Vec<Evaluation> = engine
        .job_evaluations(&ctx(), job_id)
        .unwrap()
        .value
        .iter()
        .map(|e| (**e).clone())
        .collect();
    evals.sort_by_key(|e| e.create_index);
    evals
}

//! Shared helpers of the durable-storage and CLI tests: temporary directories and the seed's
//! sample job.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

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
    job.id = id.to_string();
    job.name = id.to_string();
    job.task_groups[0].count = count;
    job
}

pub fn register_request(job: Job) -> JobRegisterRequest {
    JobRegisterRequest {
        job: Some(job),
        ..JobRegisterRequest::default()
    }
}

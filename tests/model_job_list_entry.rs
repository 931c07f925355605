//! `JobListEntry` (the job list row that shares the stored job and summary) writes the same
//! JSON as the `JobListStub` it stands for, with and without `Meta` and a summary, for the
//! seed's full job and for an empty one.

use std::path::PathBuf;
use std::sync::Arc;

use drover::model::{Job, JobListEntry, JobSummary};
use serde::de::DeserializeOwned;

fn encoded<T: DeserializeOwned>(name: &str) -> T {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/model/encoded")
        .join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).expect("decodes")
}

fn check(entry: JobListEntry) {
    let shared = serde_json::to_string(&entry).expect("entry serializes");
    let owned = serde_json::to_string(&entry.to_stub()).expect("stub serializes");
    assert_eq!(shared, owned);
}

#[test]
fn an_entry_writes_what_its_stub_writes() {
    let mut full: Job = encoded("read_job_response.json");
    full.meta.insert("team".to_string(), "web".to_string());
    full.status_description = "described".into();
    assert!(!full.datacenters.is_empty() && !full.task_groups.is_empty());
    let summary: JobSummary = encoded("summary_response.json");
    for job in [Arc::new(full), Arc::new(Job::default())] {
        for summary in [Some(Arc::new(summary.clone())), None] {
            for with_meta in [true, false] {
                check(JobListEntry {
                    job: job.clone(),
                    summary: summary.clone(),
                    with_meta,
                });
            }
        }
    }
}

//! `JobListChunks` (the `GET /v1/jobs` body written by hand, in pieces) writes exactly what
//! serde_json writes for the same rows: the seed's full job and an empty one, with and without
//! a summary and `Meta`, multiregion, periodic and parameterized jobs, any strings and numbers,
//! and a list long enough to come in several pieces.

use std::collections::BTreeMap;
use std::sync::Arc;

use drover_core::model::{
    Job, JobChildrenSummary, JobListEntry, JobSummary, Multiregion, TaskGroupSummary,
};
use drover_core::{CHUNK, JobListChunks};
use proptest::prelude::*;

/// The pieces, checked to be no larger than a piece and a row (each of these rows is under
/// 2 KB).
fn pieces(entries: &[JobListEntry]) -> Vec<Vec<u8>> {
    let pieces: Vec<Vec<u8>> = JobListChunks::new(entries.to_vec())
        .collect::<Result<_, _>>()
        .expect("encodes");
    assert!(pieces.iter().all(|p| p.len() < CHUNK + 2048));
    pieces
}

fn check(entries: &[JobListEntry]) {
    let by_hand = String::from_utf8(pieces(entries).concat()).expect("utf-8");
    let by_serde = serde_json::to_string(entries).expect("serializes");
    assert_eq!(by_hand, by_serde);
}

fn full_job() -> Job {
    let json = include_str!("../../../tests/golden/model/encoded/read_job_response.json");
    let mut job: Job = serde_json::from_str(json).expect("decodes");
    job.meta
        .insert("team".to_string(), "web \"ops\"\n".to_string());
    job.status_description = "described".into();
    job
}

fn summary(job: &Job) -> JobSummary {
    JobSummary {
        job_id: job.id.clone(),
        namespace: job.namespace.clone(),
        summary: BTreeMap::from([
            (
                "cache".into(),
                TaskGroupSummary {
                    queued: 1,
                    complete: -2,
                    failed: 3,
                    running: 4,
                    starting: 5,
                    lost: 6,
                    unknown: i64::MAX,
                },
            ),
            ("web".into(), TaskGroupSummary::default()),
        ]),
        children: Some(JobChildrenSummary {
            pending: 1,
            running: 2,
            dead: i64::MIN,
        }),
        create_index: 7,
        modify_index: u64::MAX,
    }
}

#[test]
fn rows_are_written_as_serde_writes_them() {
    let full = full_job();
    assert!(!full.datacenters.is_empty() && !full.task_groups.is_empty());
    let mut multiregion = full.clone();
    multiregion.multiregion = Some(Multiregion::default());
    let mut periodic = full.clone();
    periodic.periodic = Some(Default::default());
    periodic.parameterized_job = Some(Default::default());
    periodic.stop = true;
    let summaries = [
        Some(summary(&full)),
        Some(JobSummary::default()),
        Some(JobSummary {
            children: None,
            ..summary(&full)
        }),
        None,
    ];
    let mut entries = Vec::new();
    for job in [full, Job::default(), multiregion, periodic] {
        let job = Arc::new(job);
        for summary in &summaries {
            for with_meta in [true, false] {
                entries.push(JobListEntry {
                    job: job.clone(),
                    summary: summary.clone().map(Arc::new),
                    with_meta,
                });
            }
        }
    }
    check(&[]);
    check(&entries[..1]);
    check(&entries);
}

#[test]
fn a_long_list_comes_in_pieces_that_make_the_array() {
    let job = Arc::new(full_job());
    let entry = JobListEntry {
        summary: Some(Arc::new(summary(&job))),
        job,
        with_meta: true,
    };
    let entries = vec![entry; 1000];
    let pieces = pieces(&entries);
    assert!(pieces.len() > 3, "{} pieces", pieces.len());
    check(&entries);
}

proptest! {
    #[test]
    fn any_strings_and_numbers_are_written_as_serde_writes_them(
        texts in proptest::collection::vec(any::<String>(), 6),
        numbers in proptest::collection::vec(any::<i64>(), 3),
        with_meta in any::<bool>(),
    ) {
        let job = Job {
            id: texts[0].clone().into(),
            name: texts[1].clone().into(),
            status_description: texts[2].clone().into(),
            datacenters: vec![texts[3].clone().into(), texts[4].clone().into()],
            meta: BTreeMap::from([(texts[5].clone(), texts[0].clone())]),
            priority: numbers[0],
            submit_time: numbers[1],
            ..Job::default()
        };
        let summary = JobSummary {
            summary: BTreeMap::from([(texts[4].as_str().into(), TaskGroupSummary {
                queued: numbers[2],
                ..TaskGroupSummary::default()
            })]),
            ..JobSummary::default()
        };
        check(&[JobListEntry {
            job: Arc::new(job),
            summary: Some(Arc::new(summary)),
            with_meta,
        }]);
    }
}

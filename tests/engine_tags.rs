//! Version tags (`/v1/job/:id/versions/:name/tag`) through the engine: tagging a version or
//! the latest one, retagging, untagging, the store's rules and their texts, and what a tag
//! changes in the versions list, the current job, diffs and version retention.

mod engine_common;

use drover::core::api::JobVersionsOptions;
use drover::core::{JobTagRequest, JobTagResponse};
use drover::plan::diff::DiffType;
use engine_common::*;

/// Registers `my-job` with `meta.v` set to each of `values`: one new version each.
fn versions(f: &Fixture, values: std::ops::Range<u64>) {
    for v in values {
        let mut job = sample_job("my-job");
        job.meta.insert("v".to_string(), v.to_string());
        f.engine.register_job(&ctx(), register(job)).unwrap();
    }
}

fn version(version: u64, description: &str) -> JobTagRequest {
    JobTagRequest {
        version,
        description: description.to_string(),
        ..JobTagRequest::default()
    }
}

fn latest() -> JobTagRequest {
    JobTagRequest {
        latest: true,
        ..JobTagRequest::default()
    }
}

/// Each stored version of `my-job`, newest first, with its tag's name and description.
fn tags(f: &Fixture) -> Vec<(u64, Option<(String, String)>)> {
    let versions = f
        .engine
        .job_versions(&ctx(), "my-job", &JobVersionsOptions::default())
        .unwrap()
        .value
        .versions;
    versions
        .iter()
        .map(|v| {
            let tag = v
                .version_tag
                .as_ref()
                .map(|t| (t.name.clone(), t.description.clone()));
            (v.version, tag)
        })
        .collect()
}

fn tagged(name: &str, description: &str) -> Option<(String, String)> {
    Some((name.to_string(), description.to_string()))
}

#[test]
fn tagging_an_older_version_leaves_the_current_job_alone() {
    let f = fixture();
    versions(&f, 0..3);
    let before = f.engine.read_job(&ctx(), "my-job").unwrap().value;
    let response = f
        .engine
        .tag_job_version(&ctx(), "my-job", "golden", &version(0, "known good"))
        .unwrap();
    let index = f.engine.snapshot().latest_index();
    assert_eq!(
        response,
        JobTagResponse {
            name: "golden".to_string(),
            description: "known good".to_string(),
            tagged_time: START,
            index,
            ..JobTagResponse::default()
        }
    );
    assert_eq!(
        tags(&f),
        [(2, None), (1, None), (0, tagged("golden", "known good"))]
    );
    let tagged_version = f.engine.snapshot().job_version("default", "my-job", 0);
    assert_eq!(tagged_version.unwrap().modify_index, index);
    let after = f.engine.read_job(&ctx(), "my-job").unwrap().value;
    assert_eq!(after, before);
}

#[test]
fn tagging_latest_tags_the_current_job_too() {
    let f = fixture();
    versions(&f, 0..2);
    let response = f
        .engine
        .tag_job_version(&ctx(), "my-job", "release", &latest())
        .unwrap();
    assert_eq!(tags(&f), [(1, tagged("release", "")), (0, None)]);
    let job = f.engine.read_job(&ctx(), "my-job").unwrap();
    assert_eq!(job.value.version_tag.as_ref().unwrap().name, "release");
    assert_eq!(job.index, response.index);
}

#[test]
fn retagging_a_version_replaces_its_description() {
    let f = fixture();
    versions(&f, 0..2);
    let tag = |description| {
        f.engine
            .tag_job_version(&ctx(), "my-job", "v0", &version(0, description))
            .unwrap()
    };
    tag("first");
    f.clock.set(START + 1_000);
    let second = tag("second");
    assert_eq!(second.tagged_time, START + 1_000);
    assert_eq!(tags(&f), [(1, None), (0, tagged("v0", "second"))]);
}

#[test]
fn untagging_removes_the_tag_wherever_it_is() {
    let f = fixture();
    versions(&f, 0..2);
    f.engine
        .tag_job_version(&ctx(), "my-job", "v0", &version(0, "d"))
        .unwrap();
    let response = f.engine.untag_job_version(&ctx(), "my-job", "v0").unwrap();
    assert_eq!(
        response,
        JobTagResponse {
            index: f.engine.snapshot().latest_index(),
            ..JobTagResponse::default()
        }
    );
    assert_eq!(tags(&f), [(1, None), (0, None)]);
}

#[test]
fn tag_errors() {
    let f = fixture();
    versions(&f, 0..2);
    f.engine
        .tag_job_version(&ctx(), "my-job", "v0", &version(0, ""))
        .unwrap();
    let tag = |job: &str, name: &str, request: JobTagRequest| {
        f.engine.tag_job_version(&ctx(), job, name, &request)
    };
    let with_version = JobTagRequest {
        version: 1,
        ..latest()
    };
    check_error(
        tag("my-job", "x", with_version),
        500,
        "version must be zero when tagging latest, got: 1",
    );
    check_error(
        tag("my-job", "v0", version(1, "")),
        500,
        "tag \"v0\" already exists on a different version of job \"my-job\"",
    );
    check_error(
        tag("my-job", "x", version(9, "")),
        500,
        "job \"my-job\" version 9 not found",
    );
    check_error(
        tag("missing", "x", version(0, "")),
        500,
        "job \"missing\" version 0 not found",
    );
    check_error(
        tag("missing", "x", latest()),
        500,
        "job \"missing\" not found",
    );
    check_error(
        f.engine.untag_job_version(&ctx(), "my-job", "nope"),
        500,
        "tag \"nope\" not found on job \"my-job\"",
    );
    // Tags live per namespace: the same job ID elsewhere has none of these versions.
    check_error(
        f.engine
            .tag_job_version(&ctx_in("other"), "my-job", "x", &version(0, "")),
        500,
        "job \"my-job\" version 0 not found",
    );
    assert_eq!(tags(&f), [(1, None), (0, tagged("v0", ""))]);
}

#[test]
fn tagged_versions_outlive_retention_and_anchor_diffs() {
    let f = fixture();
    versions(&f, 0..1);
    f.engine
        .tag_job_version(&ctx(), "my-job", "first", &version(0, ""))
        .unwrap();
    versions(&f, 1..9);
    let kept: Vec<u64> = tags(&f).iter().map(|(v, _)| *v).collect();
    // Six untagged versions are tracked; the tagged version 0 stays besides them.
    assert_eq!(kept, [8, 7, 6, 5, 4, 3, 0]);

    let options = JobVersionsOptions {
        diffs: true,
        diff_tag: Some("first".to_string()),
        ..JobVersionsOptions::default()
    };
    let diffs = f
        .engine
        .job_versions(&ctx(), "my-job", &options)
        .unwrap()
        .value
        .diffs
        .unwrap();
    assert_eq!(diffs.len(), kept.len());
    // Version 0 diffed against itself.
    assert_eq!(diffs.last().unwrap().diff_type, DiffType::None);
}

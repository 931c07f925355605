//! The read endpoints through the engine: list jobs (prefix, namespaces, paging, filter, meta),
//! read, summary, versions with diffs, allocations, evaluations, deployments, and blocking
//! queries. Each answers with the index Nomad picks for it.

mod engine_common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use drover::core::api::{JobVersionsOptions, ListJobsOptions};
use drover::core::{Engine, EngineConfig, ManualClock, MemoryLog, tables};
use drover::model::{Job, Namespace, VersionTag};
use drover::state::{Command, JobVersionTagUpdate, Namespaces, StateStore, Table};
use engine_common::*;

fn ids(
    engine: &Engine,
    ctx: &drover::core::api::RequestContext,
    options: ListJobsOptions,
) -> (Vec<String>, String) {
    let page = engine.list_jobs(ctx, &options).unwrap();
    let ids = page
        .value
        .iter()
        .map(|s| format!("{}/{}", s.job.namespace, s.job.id))
        .collect();
    (ids, page.next_token)
}

/// An engine whose store already has the `web` namespace.
fn engine_with_namespaces() -> Arc<Engine> {
    let store = StateStore::new();
    let namespaces = Command::UpsertNamespaces(Namespaces {
        namespaces: vec![Namespace {
            name: "web".to_string(),
            ..Namespace::default()
        }],
    });
    store.apply(1, &namespaces).unwrap();
    let clock = Arc::new(ManualClock::new(START));
    let config = EngineConfig {
        seed: 7,
        ..EngineConfig::default()
    };
    Arc::new(Engine::restore(
        config,
        clock,
        Box::new(MemoryLog::new()),
        store,
    ))
}

#[test]
fn list_jobs_by_prefix_namespace_page_filter_and_meta() {
    let engine = engine_with_namespaces();
    for (namespace, id) in [
        ("default", "api"),
        ("default", "cache"),
        ("default", "cart"),
        ("web", "cache"),
        ("web", "front"),
    ] {
        let mut job = sample_job(id);
        job.meta
            .insert("team".to_string(), format!("{namespace}-team"));
        if id == "cart" {
            job.priority = 80;
        }
        engine
            .register_job(&ctx_in(namespace), register(job))
            .unwrap();
    }
    let all = ctx_in("*");
    let check = |namespace: &str, options: ListJobsOptions, expected: &[&str], next: &str| {
        let (got, token) = ids(&engine, &ctx_in(namespace), options);
        assert_eq!(
            (got, token.as_str()),
            (
                expected.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                next
            )
        );
    };
    check(
        "default",
        ListJobsOptions::default(),
        &["default/api", "default/cache", "default/cart"],
        "",
    );
    check(
        "web",
        ListJobsOptions::default(),
        &["web/cache", "web/front"],
        "",
    );
    let prefix = |p: &str| ListJobsOptions {
        prefix: p.to_string(),
        ..ListJobsOptions::default()
    };
    check(
        "default",
        prefix("ca"),
        &["default/cache", "default/cart"],
        "",
    );
    check(
        "*",
        prefix("ca"),
        &["default/cache", "default/cart", "web/cache"],
        "",
    );
    let page = |per_page, next_token: &str| ListJobsOptions {
        per_page,
        next_token: next_token.to_string(),
        ..ListJobsOptions::default()
    };
    check(
        "*",
        page(2, ""),
        &["default/api", "default/cache"],
        "default.cart",
    );
    check(
        "*",
        page(2, "default.cart"),
        &["default/cart", "web/cache"],
        "web.front",
    );
    check("*", page(2, "web.front"), &["web/front"], "");
    check("*", page(-1, ""), &[], "default.api");
    let reverse = ListJobsOptions {
        reverse: true,
        per_page: 2,
        ..ListJobsOptions::default()
    };
    check("*", reverse, &["web/front", "web/cache"], "default.cart");
    let filter = |f: &str| ListJobsOptions {
        filter: f.to_string(),
        ..ListJobsOptions::default()
    };
    check("*", filter("Priority == 99"), &[], "");
    check(
        "*",
        filter(r#"Priority == 80 or Meta.team == "web-team""#),
        &["default/cart", "web/cache", "web/front"],
        "",
    );
    check("nowhere", ListJobsOptions::default(), &[], "");

    check_error(
        engine.list_jobs(&all, &filter("Status = running")),
        400,
        "failed to create result paginator: failed to read filter expression: 1:8 (7): no match found, expected: \"!=\", \"==\", \"contains\", \"in\", \"is\", \"matches\", \"not\" or [ \\t\\r\\n]",
    );
    check_error(
        engine.list_jobs(&all, &filter("Missing == 1")),
        400,
        "failed to read result page: error finding value in datum: /Missing at part 0: couldn't find key: struct field with name \"Missing\"",
    );

    let listed = engine
        .list_jobs(&ctx(), &ListJobsOptions::default())
        .unwrap();
    assert!(listed.value.iter().all(|s| s.to_stub().meta.is_empty()));
    let snapshot = engine.snapshot();
    assert_eq!(
        listed.index,
        snapshot
            .table_index(Table::Jobs)
            .max(snapshot.table_index(Table::JobSummary))
    );
    let with_meta = ListJobsOptions {
        meta: true,
        prefix: "api".to_string(),
        ..ListJobsOptions::default()
    };
    golden(
        "list_jobs_meta",
        &engine.list_jobs(&ctx(), &with_meta).unwrap().value,
    );
}

#[test]
fn read_job_and_summary_answer_404_with_the_table_index() {
    let f = fixture();
    f.engine.register_job(&ctx(), sample_register()).unwrap();
    let summary = f.engine.job_summary(&ctx(), "cache").unwrap();
    assert_eq!(summary.index, summary.value.modify_index);
    golden("summary", &summary.value);

    let missing = f.engine.read_job(&ctx(), "nope").unwrap_err();
    assert_eq!(
        (missing.status, missing.message.as_str()),
        (404, "job not found")
    );
    assert_eq!(
        missing.index,
        Some(f.engine.snapshot().table_index(Table::Jobs))
    );
    check_error(f.engine.job_summary(&ctx(), "nope"), 404, "job not found");
    check_error(
        f.engine.read_job(&ctx_in("other"), "cache"),
        404,
        "job not found",
    );
}

#[test]
fn versions_list_newest_first_with_diffs_between_neighbours_or_against_one() {
    let f = fixture();
    f.engine.register_job(&ctx(), sample_register()).unwrap();
    let mut v1 = sample_job("cache");
    let group = Arc::make_mut(&mut v1.task_groups[0]);
    Arc::make_mut(&mut group.tasks[0])
        .env
        .insert("foo".to_string(), "bar".to_string());
    f.engine.register_job(&ctx(), register(v1.clone())).unwrap();
    let mut v2 = v1;
    Arc::make_mut(&mut v2.task_groups[0]).count = 3;
    f.engine.register_job(&ctx(), register(v2)).unwrap();

    let plain = f
        .engine
        .job_versions(&ctx(), "cache", &JobVersionsOptions::default())
        .unwrap();
    let numbers: Vec<u64> = plain.value.versions.iter().map(|v| v.version).collect();
    assert_eq!(numbers, [2, 1, 0]);
    assert_eq!(plain.value.diffs, None);
    assert_eq!(
        plain.index,
        plain
            .value
            .versions
            .iter()
            .map(|v| v.modify_index)
            .max()
            .unwrap()
    );

    let diffs = JobVersionsOptions {
        diffs: true,
        ..JobVersionsOptions::default()
    };
    let with_diffs = f.engine.job_versions(&ctx(), "cache", &diffs).unwrap();
    golden("versions_diffs", &with_diffs.value.diffs);

    let against_zero = JobVersionsOptions {
        diffs: true,
        diff_version: Some(0),
        ..JobVersionsOptions::default()
    };
    let against = f
        .engine
        .job_versions(&ctx(), "cache", &against_zero)
        .unwrap();
    let kinds: Vec<String> = against
        .value
        .diffs
        .unwrap()
        .iter()
        .map(|d| format!("{:?}", d.diff_type))
        .collect();
    assert_eq!(kinds, ["Edited", "Edited", "None"]);

    check_error(
        f.engine.job_versions(
            &ctx(),
            "cache",
            &JobVersionsOptions {
                diff_version: Some(9),
                ..diffs.clone()
            },
        ),
        500,
        "version 9 not found",
    );
    check_error(
        f.engine.job_versions(
            &ctx(),
            "cache",
            &JobVersionsOptions {
                diff_tag: Some("gold".to_string()),
                ..diffs.clone()
            },
        ),
        500,
        "tag \"gold\" not found",
    );
    check_error(
        f.engine.job_versions(&ctx(), "nope", &diffs),
        404,
        "job versions not found",
    );
}

#[test]
fn diff_tag_compares_with_the_tagged_version() {
    // Tagging has no engine endpoint yet: tag version 0 in a store and continue from it.
    let f = fixture();
    f.engine.register_job(&ctx(), sample_register()).unwrap();
    let mut v1 = sample_job("cache");
    v1.priority = 70;
    f.engine.register_job(&ctx(), register(v1)).unwrap();
    let store = StateStore::new();
    for (index, command) in f.log.entries() {
        store.apply(index, &command).unwrap();
    }
    let tag = Command::UpdateJobVersionTag(JobVersionTagUpdate {
        namespace: "default".to_string(),
        job_id: "cache".to_string(),
        version: 0,
        name: "gold".to_string(),
        tag: Some(VersionTag {
            name: "gold".to_string(),
            ..VersionTag::default()
        }),
    });
    store.apply(store.applied_index() + 1, &tag).unwrap();
    let engine = Engine::restore(
        EngineConfig::default(),
        f.clock.clone(),
        Box::new(MemoryLog::new()),
        store,
    );
    let options = JobVersionsOptions {
        diffs: true,
        diff_tag: Some("gold".to_string()),
        ..JobVersionsOptions::default()
    };
    let versions = engine
        .job_versions(&ctx(), "cache", &options)
        .unwrap()
        .value;
    let diffs = versions.diffs.unwrap();
    assert_eq!(diffs.len(), 2);
    assert_eq!(format!("{:?}", diffs[1].diff_type), "None");
    assert_eq!(
        diffs[0]
            .fields
            .iter()
            .find(|d| d.name == "Priority")
            .map(|d| (d.old.to_string(), d.new.to_string())),
        Some(("50".to_owned(), "70".to_owned()))
    );
}

#[test]
fn allocations_evaluations_and_deployments_of_a_job() {
    let f = fixture();
    let registered = f.engine.register_job(&ctx(), sample_register()).unwrap();
    let allocs = f.engine.job_allocations(&ctx(), "cache", false).unwrap();
    assert!(allocs.value.is_empty());
    assert_eq!(allocs.index, f.engine.snapshot().table_index(Table::Allocs));
    check_error(
        f.engine.job_allocations(&ctx(), "", true),
        500,
        "missing job ID",
    );

    let evals = f.engine.job_evaluations(&ctx(), "cache").unwrap();
    assert_eq!(evals.value.len(), 1);
    assert_eq!(evals.index, registered.eval_create_index);
    assert!(
        f.engine
            .job_evaluations(&ctx(), "nope")
            .unwrap()
            .value
            .is_empty()
    );

    let deployments = f.engine.job_deployments(&ctx(), "cache", true).unwrap();
    assert!(deployments.value.is_empty());
    let latest = f.engine.job_latest_deployment(&ctx(), "cache").unwrap();
    assert_eq!(serde_json::to_string(&latest.value).unwrap(), "null");
}

#[test]
fn blocking_queries_wait_for_a_newer_index_or_the_deadline() {
    let f = fixture();
    let first = f.engine.register_job(&ctx(), sample_register()).unwrap();
    let read = |e: &Engine| e.read_job(&ctx(), "cache");

    // Already newer than asked: answers at once.
    let now = f
        .engine
        .blocking_query(tables::JOB, first.index - 1, Instant::now(), || {
            read(&f.engine)
        })
        .unwrap();
    assert_eq!(now.index, first.index);

    // Nothing changes: the last answer comes back at the deadline.
    let deadline = Instant::now() + Duration::from_millis(20);
    let same = f
        .engine
        .blocking_query(tables::JOB, first.index, deadline, || read(&f.engine))
        .unwrap();
    assert_eq!(same.index, first.index);

    // Another thread changes the job: the query answers with the new version.
    let writer = f.engine.clone();
    let handle = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        let mut job: Job = sample_job("cache");
        job.priority = 75;
        writer.register_job(&ctx(), register(job)).unwrap()
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let changed = f
        .engine
        .blocking_query(tables::JOB, first.index, deadline, || read(&f.engine))
        .unwrap();
    let second = handle.join().unwrap();
    assert_eq!(
        (changed.index, changed.value.priority),
        (second.job_modify_index, 75)
    );

    // A job that appears later: the 404 waits too.
    let writer = f.engine.clone();
    let index = f.engine.snapshot().table_index(Table::Jobs);
    let handle = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        writer
            .register_job(&ctx(), register(sample_job("late")))
            .unwrap()
    });
    let late = f
        .engine
        .blocking_query(tables::JOB, index, deadline, || {
            f.engine.read_job(&ctx(), "late")
        })
        .unwrap();
    assert_eq!(late.index, handle.join().unwrap().job_modify_index);
}

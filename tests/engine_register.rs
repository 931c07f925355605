//! Register and update (`PUT/POST /v1/jobs`, `/v1/job/:id`) through the engine: the seed's
//! sample payload, the agent's 400s, the server's 500s (validation, check-and-set, update
//! rules), unchanged specs, submissions and their size limit, PreserveCounts and EvalPriority.

mod engine_common;

use std::sync::Arc;

use drover::core::api::{JobRegisterRequest, ListJobsOptions, RequestContext};
use drover::model::{JobSubmission, PeriodicConfig, ScalingPolicy};
use engine_common::*;

#[test]
fn the_sample_payload_registers_a_job_with_an_evaluation() {
    let f = fixture();
    let response = f.engine.register_job(&ctx(), sample_register()).unwrap();
    golden("register_response", &response);
    assert_eq!(response.job_modify_index, response.eval_create_index);

    let job = f.engine.read_job(&ctx(), "cache").unwrap();
    assert_eq!(job.index, job.value.modify_index);
    assert_eq!(job.value.submit_time, START);
    golden("register_read_job", &job.value);

    let evals = f.engine.job_evaluations(&ctx(), "cache").unwrap();
    golden("register_evaluations", &evals.value);
    assert_eq!(evals.index, response.eval_create_index);
}

#[test]
fn agent_checks_answer_400() {
    let f = fixture();
    let body_cases: &[(&[u8], &str)] = &[
        (b"", "Request body is empty"),
        (b"{}", "Job must be specified"),
        (br#"{"Job": null}"#, "Job must be specified"),
        (br#"{"Job": {"Name": "x"}}"#, "Job ID hasn't been provided"),
        (br#"{"Job": {"ID": null}}"#, "Job ID hasn't been provided"),
    ];
    for (body, message) in body_cases {
        check_error(JobRegisterRequest::from_json(body), 400, message);
    }
    check_error(
        JobRegisterRequest::from_json(br#"{"Job": {"ID": 5}}"#),
        400,
        "Job.ID: invalid type: integer `5`, expected a string",
    );

    check_error(
        f.engine.register_job(&ctx(), JobRegisterRequest::default()),
        400,
        "Job must be specified",
    );
    check_error(
        f.engine.update_job(&ctx(), "other", sample_register()),
        400,
        "Job ID does not match name",
    );
    let mut system = sample_job("sys");
    system.job_type = "system".into();
    Arc::make_mut(&mut system.task_groups[0]).scaling = Some(ScalingPolicy::default());
    check_error(
        f.engine.register_job(&ctx(), register(system)),
        400,
        "Task groups with job type system do not support scaling blocks",
    );
    for priority in [-1, 101] {
        let request = JobRegisterRequest {
            eval_priority: priority,
            ..sample_register()
        };
        check_error(
            f.engine.register_job(&ctx(), request),
            400,
            "Eval priority must be between 1 and 100 inclusively",
        );
    }
    // Nothing was written.
    assert!(f.log.entries().is_empty());
}

#[test]
fn invalid_jobs_answer_500_with_every_problem() {
    let f = fixture();
    let mut job = sample_job("");
    job.task_groups.clear();
    check_error(
        f.engine.register_job(&ctx(), register(job)),
        500,
        "3 errors occurred:\n\t* Missing job ID\n\t* Missing job name\n\t* Missing job task groups\n\n",
    );
    check_error(
        f.engine
            .register_job(&ctx_in("elsewhere"), sample_register()),
        500,
        "1 error occurred:\n\t* job \"cache\" is in nonexistent namespace \"elsewhere\"\n\n",
    );
    assert!(f.log.entries().is_empty());
}

#[test]
fn enforce_index_refuses_with_nomads_three_messages() {
    let f = fixture();
    let cas = |index| JobRegisterRequest {
        enforce_index: true,
        job_modify_index: index,
        ..sample_register()
    };
    check_error(
        f.engine.register_job(&ctx(), cas(7)),
        500,
        "Enforcing job modify index 7: job does not exist",
    );
    let created = f.engine.register_job(&ctx(), cas(0)).unwrap();
    check_error(
        f.engine.register_job(&ctx(), cas(0)),
        500,
        "Enforcing job modify index 0: job already exists",
    );
    check_error(
        f.engine
            .register_job(&ctx(), cas(created.job_modify_index + 5)),
        500,
        &format!(
            "Enforcing job modify index {}: job exists with conflicting job modify index: {}",
            created.job_modify_index + 5,
            created.job_modify_index
        ),
    );
    let mut changed = cas(created.job_modify_index);
    changed.job.as_mut().unwrap().priority = 70;
    let updated = f.engine.register_job(&ctx(), changed).unwrap();
    assert!(updated.job_modify_index > created.job_modify_index);
}

#[test]
fn update_rules_refuse_type_periodic_and_parameterized_changes() {
    let f = fixture();
    f.engine.register_job(&ctx(), sample_register()).unwrap();
    check_error(
        f.engine.register_job(&ctx(), register(batch_job("cache"))),
        500,
        "cannot update job from type \"service\" to \"batch\"",
    );

    f.engine
        .register_job(&ctx(), register(batch_job("batchy")))
        .unwrap();
    check_error(
        f.engine
            .register_job(&ctx(), register(periodic_job("batchy"))),
        500,
        "cannot update non-periodic job to being periodic",
    );
    check_error(
        f.engine
            .register_job(&ctx(), register(parameterized_job("batchy"))),
        500,
        "cannot update non-parameterized job to being parameterized",
    );

    let response = f
        .engine
        .register_job(&ctx(), register(periodic_job("nightly")))
        .unwrap();
    // Periodic and parameterized jobs get no evaluation.
    assert_eq!(
        (response.eval_id.as_str(), response.eval_create_index),
        ("", 0)
    );
    check_error(
        f.engine
            .register_job(&ctx(), register(batch_job("nightly"))),
        500,
        "cannot update periodic job to being non-periodic",
    );
    let response = f
        .engine
        .register_job(&ctx(), register(parameterized_job("dispatcher")))
        .unwrap();
    assert_eq!(response.eval_id, "");
    check_error(
        f.engine
            .register_job(&ctx(), register(batch_job("dispatcher"))),
        500,
        "cannot update parameterized job to being non-parameterized",
    );
}

fn batch_job(id: &str) -> drover::model::Job {
    let mut job = sample_job(id);
    job.job_type = "batch".into();
    job
}

fn periodic_job(id: &str) -> drover::model::Job {
    let mut job = batch_job(id);
    job.periodic = Some(PeriodicConfig {
        enabled: true,
        specs: vec!["*/5 * * * *".to_string()],
        ..PeriodicConfig::default()
    });
    job
}

fn parameterized_job(id: &str) -> drover::model::Job {
    let mut job = batch_job(id);
    job.parameterized_job = Some(Default::default());
    job
}

#[test]
fn an_unchanged_spec_makes_only_an_evaluation() {
    let f = fixture();
    let first = f.engine.register_job(&ctx(), sample_register()).unwrap();
    f.clock.advance(std::time::Duration::from_secs(5));
    let again = f.engine.register_job(&ctx(), sample_register()).unwrap();
    assert_eq!(again.job_modify_index, first.job_modify_index);
    assert!(again.eval_create_index > first.eval_create_index);
    assert_eq!(again.index, again.eval_create_index);
    assert_ne!(again.eval_id, first.eval_id);
    let versions = f
        .engine
        .job_versions(&ctx(), "cache", &Default::default())
        .unwrap();
    assert_eq!(versions.value.versions.len(), 1);
    let evals = f.engine.job_evaluations(&ctx(), "cache").unwrap().value;
    let second = evals.iter().find(|e| e.id == again.eval_id).unwrap();
    assert_eq!(second.job_modify_index, first.job_modify_index);
}

#[test]
fn a_changed_spec_makes_the_next_version_whatever_the_body_says() {
    let f = fixture();
    f.engine.register_job(&ctx(), sample_register()).unwrap();
    let mut job = sample_job("cache");
    job.version = 40;
    job.priority = 60;
    f.engine.register_job(&ctx(), register(job)).unwrap();
    let current = f.engine.read_job(&ctx(), "cache").unwrap().value;
    assert_eq!((current.version, current.priority), (1, 60));
}

#[test]
fn submissions_are_kept_per_version_up_to_the_size_limit() {
    let f = fixture();
    let source = "job \"cache\" {}".to_string();
    let with_source = |source: String| JobRegisterRequest {
        submission: Some(JobSubmission {
            source,
            format: "hcl2".to_string(),
            ..JobSubmission::default()
        }),
        ..sample_register()
    };
    let response = f.engine.register_job(&ctx(), with_source(source)).unwrap();
    let services = "group \"cache\" defines services, but neither the group nor any of its tasks have shutdown_delay set";
    assert_eq!(response.warnings, format!("1 warning:\n\n* {services}"));
    let submission = f.engine.job_submission(&ctx(), "cache", 0).unwrap();
    assert_eq!(submission.index, response.job_modify_index);
    golden("register_submission", &submission.value);
    check_error(
        f.engine.job_submission(&ctx(), "cache", 1),
        404,
        "job source not found",
    );

    // A changed spec whose source is too large: registered, the source dropped, a warning.
    let mut request = with_source("x".repeat(1_000_001));
    request.job.as_mut().unwrap().priority = 70;
    let response = f.engine.register_job(&ctx(), request).unwrap();
    assert_eq!(
        response.warnings,
        format!(
            "2 warnings:\n\n* {services}\n* job source size of 1.0 MB exceeds maximum of 1.0 MB and will be discarded"
        )
    );
    check_error(
        f.engine.job_submission(&ctx(), "cache", 1),
        404,
        "job source not found",
    );
}

#[test]
fn preserve_counts_keeps_the_running_counts() {
    let f = fixture();
    let mut job = sample_job("cache");
    Arc::make_mut(&mut job.task_groups[0]).count = 3;
    f.engine.register_job(&ctx(), register(job)).unwrap();
    let mut update = sample_job("cache");
    Arc::make_mut(&mut update.task_groups[0]).count = 9;
    update.meta.insert("release".to_string(), "2".to_string());
    let request = JobRegisterRequest {
        preserve_counts: true,
        ..register(update)
    };
    f.engine.register_job(&ctx(), request).unwrap();
    let current = f.engine.read_job(&ctx(), "cache").unwrap().value;
    assert_eq!((current.version, current.task_groups[0].count), (1, 3));
}

#[test]
fn eval_priority_overrides_the_job_priority() {
    let f = fixture();
    let request = JobRegisterRequest {
        eval_priority: 90,
        ..sample_register()
    };
    let response = f.engine.register_job(&ctx(), request).unwrap();
    let evals = f.engine.job_evaluations(&ctx(), "cache").unwrap().value;
    let eval = evals.iter().find(|e| e.id == response.eval_id).unwrap();
    assert_eq!(
        (eval.priority, eval.triggered_by.as_str()),
        (90, "job-register")
    );
}

#[test]
fn region_and_namespace_come_from_body_query_then_job() {
    let f = fixture();
    let ctx = RequestContext {
        region: Some("eu".to_string()),
        ..ctx()
    };
    let mut job = sample_job("placed");
    job.region = "us".into();
    f.engine.register_job(&ctx, register(job.clone())).unwrap();
    assert_eq!(
        f.engine.read_job(&ctx, "placed").unwrap().value.region,
        "eu"
    );
    let request = JobRegisterRequest {
        region: "ap".to_string(),
        ..register(job.clone())
    };
    f.engine.register_job(&ctx, request).unwrap();
    assert_eq!(
        f.engine.read_job(&ctx, "placed").unwrap().value.region,
        "ap"
    );
    job.region = "global".into();
    f.engine
        .register_job(&RequestContext::default(), register(job))
        .unwrap();
    assert_eq!(
        f.engine.read_job(&ctx, "placed").unwrap().value.region,
        "global"
    );
    let listed = f
        .engine
        .list_jobs(&ctx, &ListJobsOptions::default())
        .unwrap();
    assert_eq!(listed.value[0].job.namespace, "default");
}

//! Evaluate, stop, purge and validate through the engine, with every error the reference
//! lists for them.

mod engine_common;

use std::sync::Arc;

use drover::core::api::{
    EvalOptions, JobDeregisterOptions, JobEvaluateRequest, JobValidateRequest, JobVersionsOptions,
};
use drover::model::{EvalStatus, PeriodicConfig};
use engine_common::*;

fn evaluate_request(job_id: &str, force_reschedule: bool) -> JobEvaluateRequest {
    JobEvaluateRequest {
        job_id: job_id.to_string(),
        eval_options: EvalOptions { force_reschedule },
    }
}

#[test]
fn evaluate_creates_an_evaluation_even_when_nothing_changed() {
    let f = fixture();
    let registered = f.engine.register_job(&ctx(), sample_register()).unwrap();
    let payload: JobEvaluateRequest =
        serde_json::from_slice(&sample("evaluate_payload.json")).unwrap();
    check_error(
        f.engine
            .evaluate_job(&ctx(), "cache", Some(payload.clone())),
        400,
        "JobID not same as job name",
    );
    check_error(
        f.engine
            .evaluate_job(&ctx(), "cache", Some(evaluate_request("", false))),
        400,
        "Job ID must be specified",
    );
    check_error(
        f.engine.evaluate_job(&ctx(), "my-job", Some(payload)),
        500,
        "job not found",
    );

    let response = f
        .engine
        .evaluate_job(&ctx(), "cache", Some(evaluate_request("cache", true)))
        .unwrap();
    let job = f.engine.read_job(&ctx(), "cache").unwrap().value;
    assert_eq!(response.job_modify_index, job.modify_index);
    assert_eq!(response.index, response.eval_create_index);
    assert!(response.eval_create_index > registered.index);
    let empty_body = f.engine.evaluate_job(&ctx(), "cache", None).unwrap();
    let evals = f.engine.job_evaluations(&ctx(), "cache").unwrap().value;
    for id in [&response.eval_id, &empty_body.eval_id] {
        let eval = evals.iter().find(|e| e.id == id).unwrap();
        assert_eq!(
            (
                eval.triggered_by.as_str(),
                eval.job_modify_index,
                eval.status
            ),
            ("job-register", job.modify_index, EvalStatus::Pending)
        );
    }
}

#[test]
fn evaluate_refuses_periodic_and_parameterized_parents() {
    let f = fixture();
    let mut periodic = sample_job("nightly");
    periodic.job_type = "batch".into();
    periodic.periodic = Some(PeriodicConfig {
        enabled: true,
        specs: vec!["@daily".to_string()],
        ..PeriodicConfig::default()
    });
    f.engine.register_job(&ctx(), register(periodic)).unwrap();
    check_error(
        f.engine.evaluate_job(&ctx(), "nightly", None),
        500,
        "can't evaluate periodic job",
    );
    let mut parameterized = sample_job("dispatcher");
    parameterized.job_type = "batch".into();
    parameterized.parameterized_job = Some(Default::default());
    f.engine
        .register_job(&ctx(), register(parameterized))
        .unwrap();
    check_error(
        f.engine.evaluate_job(&ctx(), "dispatcher", None),
        500,
        "can't evaluate parameterized job",
    );
}

#[test]
fn stop_makes_a_new_version_and_a_service_evaluation() {
    let f = fixture();
    let mut job = sample_job("cache");
    job.job_type = "batch".into();
    job.priority = 40;
    let registered = f.engine.register_job(&ctx(), register(job)).unwrap();
    f.clock.advance(std::time::Duration::from_secs(60));
    check_error(
        f.engine.deregister_job(
            &ctx(),
            "cache",
            &JobDeregisterOptions {
                eval_priority: 101,
                ..JobDeregisterOptions::default()
            },
        ),
        400,
        "Eval priority must be between 1 and 100 inclusively",
    );
    let options = JobDeregisterOptions {
        eval_priority: 70,
        global: true,
        ..JobDeregisterOptions::default()
    };
    let stopped = f.engine.deregister_job(&ctx(), "cache", &options).unwrap();
    assert_eq!(
        (stopped.eval_create_index, stopped.job_modify_index),
        (stopped.index, stopped.index)
    );
    golden("stop_response", &stopped);

    let job = f.engine.read_job(&ctx(), "cache").unwrap().value;
    assert!(job.stop);
    assert_eq!((job.version, job.job_modify_index), (1, stopped.index));
    assert_eq!(job.submit_time, START + 60_000_000_000);
    assert!(job.create_index == registered.job_modify_index);
    let evals = f.engine.job_evaluations(&ctx(), "cache").unwrap().value;
    let eval = evals.iter().find(|e| e.id == stopped.eval_id).unwrap();
    assert_eq!(
        (
            eval.eval_type.as_str(),
            eval.priority,
            eval.triggered_by.as_str()
        ),
        ("service", 70, "job-deregister")
    );
    let versions = f
        .engine
        .job_versions(&ctx(), "cache", &JobVersionsOptions::default())
        .unwrap();
    assert_eq!(versions.value.versions.len(), 2);

    // Without eval_priority the job's priority is used.
    let again = f
        .engine
        .deregister_job(&ctx(), "cache", &JobDeregisterOptions::default())
        .unwrap();
    let evals = f.engine.job_evaluations(&ctx(), "cache").unwrap().value;
    let eval = evals.iter().find(|e| e.id == again.eval_id).unwrap();
    assert_eq!(eval.priority, 40);
}

#[test]
fn stopping_a_missing_job_answers_with_zeroes() {
    let f = fixture();
    let response = f
        .engine
        .deregister_job(&ctx(), "nope", &JobDeregisterOptions::default())
        .unwrap();
    golden("stop_missing_response", &response);
    assert!(f.log.entries().is_empty());
}

#[test]
fn purge_deletes_the_job_and_completes_its_pending_evaluations() {
    let f = fixture();
    let registered = f.engine.register_job(&ctx(), sample_register()).unwrap();
    let options = JobDeregisterOptions {
        purge: true,
        ..JobDeregisterOptions::default()
    };
    let purged = f.engine.deregister_job(&ctx(), "cache", &options).unwrap();
    assert_ne!(purged.eval_id, "");
    check_error(f.engine.read_job(&ctx(), "cache"), 404, "job not found");
    check_error(f.engine.job_summary(&ctx(), "cache"), 404, "job not found");
    check_error(
        f.engine
            .job_versions(&ctx(), "cache", &JobVersionsOptions::default()),
        404,
        "job versions not found",
    );
    let evals = f.engine.job_evaluations(&ctx(), "cache").unwrap().value;
    let register_eval = evals.iter().find(|e| e.id == registered.eval_id).unwrap();
    assert_eq!(
        (
            register_eval.status,
            register_eval.status_description.as_str()
        ),
        (EvalStatus::Complete, "job cache deleted")
    );
    let deregister_eval = evals.iter().find(|e| e.id == purged.eval_id).unwrap();
    assert_eq!(deregister_eval.status, EvalStatus::Pending);
}

#[test]
fn validate_reports_problems_in_the_answer() {
    let f = fixture();
    let valid = f
        .engine
        .validate_job(
            &ctx(),
            JobValidateRequest {
                job: sample_register().job,
            },
        )
        .unwrap();
    golden("validate_valid", &valid);

    let mut job = sample_job("bad");
    job.priority = 500;
    job.namespace = "elsewhere".into();
    let group = Arc::make_mut(&mut job.task_groups[0]);
    Arc::make_mut(&mut group.tasks[0]).driver = "".into();
    let invalid = f
        .engine
        .validate_job(&ctx(), JobValidateRequest { job: Some(job) })
        .unwrap();
    golden("validate_invalid", &invalid);
    assert_eq!(invalid.validation_errors.len(), 3);

    check_error(
        f.engine.validate_job(&ctx(), JobValidateRequest::default()),
        400,
        "Job must be specified",
    );
    assert!(f.log.entries().is_empty());
}

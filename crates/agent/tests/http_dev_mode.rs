//! Dev mode end to end: the workers schedule what a write made before it answers, the
//! simulated nodes run the allocations, and the plan endpoint dry-runs the scheduler.

mod common;

use common::{TestAgent, check_error, check_json, job_body, sample, start_with};
use serde_json::{Value, json};

fn agent() -> TestAgent {
    start_with(|config| {
        config.sim.batch_run_time = std::time::Duration::from_millis(100);
    })
}

/// A service job with an update block (so it gets a deployment) and a short min_healthy_time.
fn service_with_deployment(id: &str) -> String {
    let mut body: Value = serde_json::from_str(&job_body(id)).unwrap();
    body["Job"]["Update"] = json!({"MaxParallel": 1, "MinHealthyTime": 100_000_000});
    body.to_string()
}

/// Follows `path` with blocking queries until `done` holds for its body.
fn wait_until(agent: &TestAgent, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut index = 0;
    for _ in 0..100 {
        let separator = if path.contains('?') { '&' } else { '?' };
        let response = agent.get(&format!("{path}{separator}index={index}&wait=5s"));
        let body = check_json(&response);
        if done(&body) {
            return body;
        }
        index = response.index();
    }
    panic!("{path} never got there");
}

#[test]
fn a_register_answers_after_its_evaluation_is_scheduled() {
    let agent = agent();
    let body = check_json(&agent.post("/v1/jobs", &service_with_deployment("web")));
    let eval_id = body["EvalID"].as_str().unwrap();
    // No waiting: everything is there when the register answers.
    let eval = check_json(&agent.get(&format!("/v1/evaluation/{eval_id}")));
    assert_eq!(eval["Status"], "complete");
    let allocs = check_json(&agent.get("/v1/job/web/allocations"));
    assert_eq!(allocs.as_array().unwrap().len(), 1);
    assert_eq!(allocs[0]["EvalID"], eval_id);
    assert_eq!(allocs[0]["DesiredStatus"], "run");
    let deployment = check_json(&agent.get("/v1/job/web/deployment"));
    assert_eq!(deployment["JobID"], "web");
    let deployments = check_json(&agent.get("/v1/job/web/deployments"));
    assert_eq!(deployments[0]["ID"], deployment["ID"]);
    let alloc_id = allocs[0]["ID"].as_str().unwrap();
    let alloc = check_json(&agent.get(&format!("/v1/allocation/{alloc_id}")));
    assert_eq!(alloc["Job"]["ID"], "web");
    let listed = check_json(&agent.get(&format!("/v1/allocations?prefix={}", &alloc_id[..8])));
    assert_eq!(listed[0]["ID"], alloc_id);
    let by_deployment = check_json(&agent.get(&format!(
        "/v1/deployment/allocations/{}",
        deployment["ID"].as_str().unwrap()
    )));
    assert_eq!(by_deployment[0]["ID"], alloc_id);
}

#[test]
fn simulated_nodes_run_allocations_and_report_health() {
    let agent = agent();
    check_json(&agent.post("/v1/jobs", &service_with_deployment("web")));
    let allocs = wait_until(&agent, "/v1/job/web/allocations", |allocs| {
        allocs[0]["ClientStatus"] == "running" && allocs[0]["DeploymentStatus"]["Healthy"] == true
    });
    assert_eq!(allocs[0]["TaskStates"]["server"]["State"], "running");

    // A stop: the node kills the allocation.
    check_json(&agent.delete("/v1/job/web"));
    let allocs = wait_until(&agent, "/v1/job/web/allocations", |allocs| {
        allocs[0]["ClientStatus"] == "complete"
    });
    assert_eq!(allocs[0]["DesiredStatus"], "stop");
    assert_eq!(allocs[0]["TaskStates"]["server"]["State"], "dead");
}

#[test]
fn batch_allocations_complete() {
    let agent = agent();
    let mut body: Value = serde_json::from_str(&job_body("batch")).unwrap();
    body["Job"]["Type"] = json!("batch");
    check_json(&agent.post("/v1/jobs", &body.to_string()));
    wait_until(&agent, "/v1/job/batch/allocations", |allocs| {
        allocs[0]["ClientStatus"] == "complete"
    });
    let job = wait_until(&agent, "/v1/job/batch", |job| job["Status"] == "dead");
    assert_eq!(job["ID"], "batch");
}

#[test]
fn plan() {
    let agent = agent();
    check_json(&agent.post("/v1/jobs", &sample("create_job_payload.json")));
    let job = check_json(&agent.get("/v1/job/cache"));
    let mut body: Value = serde_json::from_str(&sample("create_job_payload.json")).unwrap();
    body["Job"]["TaskGroups"][0]["Count"] = json!(3);
    body["Diff"] = json!(true);
    let response = agent.post("/v1/job/cache/plan", &body.to_string());
    let plan = check_json(&response);
    assert_eq!(
        response.nomad_headers(),
        [format!("x-nomad-index={}", plan["Index"])]
    );
    assert_eq!(plan["JobModifyIndex"], job["JobModifyIndex"]);
    assert_eq!(plan["Diff"]["Type"], "Edited");
    assert_eq!(plan["Annotations"]["DesiredTGUpdates"]["cache"]["Place"], 2);
    // The dry run wrote nothing.
    let allocs = check_json(&agent.get("/v1/job/cache/allocations"));
    assert_eq!(allocs.as_array().unwrap().len(), 1);

    body["Diff"] = json!(false);
    let plan = check_json(&agent.put("/v1/job/cache/plan", &body.to_string()));
    assert_eq!(plan["Diff"], Value::Null);

    check_error(
        &agent.post("/v1/job/cache/plan", ""),
        400,
        "Request body is empty",
    );
    check_error(
        &agent.post("/v1/job/cache/plan", "{}"),
        400,
        "Job must be specified",
    );
    check_error(
        &agent.post("/v1/job/cache/plan", r#"{"Job": {}}"#),
        400,
        "Job must have a valid ID",
    );
    check_error(
        &agent.post("/v1/job/other/plan", &body.to_string()),
        400,
        "Job ID does not match",
    );
}

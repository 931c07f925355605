//! The Jobs API over HTTP: every `/v1/jobs` and `/v1/job/...` route, its status codes, its
//! error texts and its headers.

mod common;

use common::{TestAgent, check, check_error, check_json, job_body, sample, start};
use serde_json::json;

fn register(agent: &TestAgent, id: &str) -> u64 {
    let response = agent.post("/v1/jobs", &job_body(id));
    check_json(&response);
    response.index()
}

#[test]
fn register_with_post_and_put_then_read_and_list() {
    let agent = start();
    let response = agent.post("/v1/jobs", &sample("create_job_payload.json"));
    let body = check_json(&response);
    assert_eq!(
        response.nomad_headers(),
        [format!("x-nomad-index={}", body["Index"])]
    );
    assert!(
        body["EvalID"].as_str().is_some_and(|id| id.len() == 36),
        "{body}"
    );
    assert_eq!(body["EvalCreateIndex"], body["JobModifyIndex"]);

    let response = agent.put("/v1/jobs", &job_body("web"));
    check_json(&response);

    let response = agent.get("/v1/job/cache");
    let job = check_json(&response);
    assert_eq!(
        (job["ID"].as_str(), job["Type"].as_str()),
        (Some("cache"), Some("service"))
    );
    assert_eq!(response.index(), job["ModifyIndex"].as_u64().unwrap());
    assert_eq!(response.header("X-Nomad-KnownLeader"), Some("true"));
    assert_eq!(response.header("X-Nomad-LastContact"), Some("0"));

    let list = check_json(&agent.get("/v1/jobs"));
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["ID"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["cache", "web"]);
    let list = check_json(&agent.get("/v1/jobs?prefix=we"));
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["JobSummary"]["JobID"], "web");
}

#[test]
fn register_errors() {
    let agent = start();
    check_error(&agent.post("/v1/jobs", ""), 400, "Request body is empty");
    check_error(&agent.post("/v1/jobs", "{}"), 400, "Job must be specified");
    check_error(
        &agent.post("/v1/jobs", r#"{"Job": null}"#),
        400,
        "Job must be specified",
    );
    check_error(
        &agent.post("/v1/jobs", r#"{"Job": {"Name": "x"}}"#),
        400,
        "Job ID hasn't been provided",
    );
    check_error(
        &agent.post("/v1/jobs", r#"{"Job": {"ID": null}}"#),
        400,
        "Job ID hasn't been provided",
    );
    let response = agent.post("/v1/jobs", r#"{"Job": {"ID": "x", "Priority": "high"}}"#);
    assert_eq!(response.status, 400);
    assert!(
        response.text().contains("Job.Priority"),
        "{}",
        response.text()
    );
    check_error(
        &agent.post("/v1/job/other", &job_body("web")),
        400,
        "Job ID does not match name",
    );
    check_error(
        &agent.post(
            "/v1/jobs",
            &json!({"Job": {"ID": "web"}, "EvalPriority": 101}).to_string(),
        ),
        400,
        "Eval priority must be between 1 and 100 inclusively",
    );
    check_error(&agent.delete("/v1/jobs"), 405, "Invalid method");
    // Server-side validation is a 500 with Nomad's multi-error text.
    let response = agent.post("/v1/jobs", r#"{"Job": {"ID": "bad", "TaskGroups": []}}"#);
    assert_eq!(response.status, 500, "{}", response.text());
    assert!(
        response.text().contains("Missing job task groups"),
        "{}",
        response.text()
    );
}

#[test]
fn nulls_read_as_absent() {
    let agent = start();
    let body = json!({
        "Job": {
            "ID": "nulls", "Name": null, "Type": null, "Meta": null, "Datacenters": ["dc1"],
            "TaskGroups": [{"Name": "g", "Count": null, "Tasks": [{
                "Name": "t", "Driver": "docker", "Env": null, "Config": {"image": "x"}
            }]}]
        },
        "EnforceIndex": null, "Submission": null,
    });
    check_json(&agent.post("/v1/jobs", &body.to_string()));
    let job = check_json(&agent.get("/v1/job/nulls"));
    assert_eq!(
        (job["Name"].as_str(), job["Type"].as_str()),
        (Some("nulls"), Some("service"))
    );
    assert_eq!(job["TaskGroups"][0]["Count"], 1);
}

#[test]
fn job_ids_with_slashes_raw_or_escaped() {
    let agent = start();
    let index = register(&agent, "team/web");
    assert!(index > 0);
    for path in [
        "/v1/job/team/web",
        "/v1/job/team%2Fweb",
        "/v1/job/team%2fweb",
    ] {
        let job = check_json(&agent.get(path));
        assert_eq!(job["ID"], "team/web", "{path}");
    }
    for path in ["/v1/job/team/web/summary", "/v1/job/team%2Fweb/summary"] {
        let summary = check_json(&agent.get(path));
        assert_eq!(summary["JobID"], "team/web", "{path}");
    }
    let versions = check_json(&agent.get("/v1/job/team/web/versions"));
    assert_eq!(versions["Versions"][0]["ID"], "team/web");
    let response = agent.put("/v1/job/team/web", &job_body("team/web"));
    check_json(&response);
    check_error(&agent.get("/v1/job/team"), 404, "job not found");
}

#[test]
fn read_not_found_carries_the_query_meta() {
    let agent = start();
    let response = agent.get("/v1/job/missing");
    check_error(&response, 404, "job not found");
    assert_eq!(
        response.nomad_headers(),
        [
            "x-nomad-index=0",
            "x-nomad-knownleader=true",
            "x-nomad-lastcontact=0"
        ]
    );
    check_error(&agent.get("/v1/job/missing/summary"), 404, "job not found");
    check_error(
        &agent.get("/v1/job/missing/versions"),
        404,
        "job versions not found",
    );
    check_error(
        &agent.get("/v1/job/missing/submission?version=0"),
        404,
        "job source not found",
    );
}

#[test]
fn lists_of_a_job() {
    let agent = start();
    register(&agent, "web");
    let evals = check_json(&agent.get("/v1/job/web/evaluations"));
    assert_eq!(evals[0]["JobID"], "web");
    assert_eq!(evals[0]["TriggeredBy"], "job-register");
    let alloc_ids = |path: &str| -> Vec<String> {
        let allocs = check_json(&agent.get(path));
        let ids = allocs.as_array().unwrap().iter();
        ids.map(|a| a["ID"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(
        alloc_ids("/v1/job/web/allocations?all=True"),
        alloc_ids("/v1/job/web/allocations")
    );
    let response = agent.get("/v1/job/missing/allocations");
    check(&response, 200, "[]");
    assert_eq!(response.header("X-Nomad-KnownLeader"), Some("true"));
    check(&agent.get("/v1/job/missing/evaluations"), 200, "[]");
    check(&agent.get("/v1/job/missing/deployments"), 200, "[]");
    // No deployment: the JSON literal null, as Nomad's typed nil pointer.
    let response = agent.get("/v1/job/missing/deployment");
    check(&response, 200, "null");
    assert_eq!(response.header("content-type"), Some("application/json"));
    for suffix in ["allocations", "evaluations", "deployments", "deployment"] {
        check_error(
            &agent.post(&format!("/v1/job/web/{suffix}"), "{}"),
            405,
            "Invalid method",
        );
    }
}

#[test]
fn versions_and_submission() {
    let agent = start();
    let mut body: serde_json::Value = serde_json::from_str(&job_body("web")).unwrap();
    body["Submission"] = json!({"Source": "job \"web\" {}", "Format": "hcl2"});
    check_json(&agent.post("/v1/jobs", &body.to_string()));
    body["Job"]["TaskGroups"][0]["Count"] = json!(2);
    check_json(&agent.post("/v1/jobs", &body.to_string()));

    let versions = check_json(&agent.get("/v1/job/web/versions"));
    let numbers: Vec<u64> = versions["Versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["Version"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [1, 0]);
    assert_eq!(versions["Diffs"], serde_json::Value::Null);
    let versions = check_json(&agent.get("/v1/job/web/versions?diffs=true"));
    assert_eq!(versions["Diffs"][0]["Type"], "Edited");
    // Any method reads the versions, as in Nomad.
    check_json(&agent.post("/v1/job/web/versions", ""));
    check_error(
        &agent.get("/v1/job/web/versions?diffs=maybe"),
        500,
        "Failed to parse value of \"diffs\" (maybe) as a bool: strconv.ParseBool: parsing \"maybe\": invalid syntax",
    );
    check_error(
        &agent.get("/v1/job/web/versions?diffs=true&diff_version=x"),
        500,
        "Failed to parse value of \"diff_version\" (x) as a uint64: strconv.ParseUint: parsing \"x\": invalid syntax",
    );
    check_error(
        &agent.get("/v1/job/web/versions?diffs=true&diff_version=7"),
        500,
        "version 7 not found",
    );

    let response = agent.get("/v1/job/web/submission?version=1");
    let submission = check_json(&response);
    assert_eq!(submission["Format"], "hcl2");
    assert_eq!(
        response.index(),
        submission["JobModifyIndex"].as_u64().unwrap()
    );
    check_error(
        &agent.get("/v1/job/web/submission"),
        400,
        "Unable to parse job submission version parameter",
    );
    check_error(
        &agent.get("/v1/job/web/submission?version=-1"),
        400,
        "Unable to parse job submission version parameter",
    );
    check_error(
        &agent.post("/v1/job/web/submission?version=1", ""),
        405,
        "Invalid method",
    );
}

#[test]
fn evaluate() {
    let agent = start();
    register(&agent, "web");
    let job = check_json(&agent.get("/v1/job/web"));
    // python-nomad sends no body at all.
    let response = agent.post("/v1/job/web/evaluate", "");
    let body = check_json(&response);
    assert_eq!(
        response.nomad_headers(),
        [format!("x-nomad-index={}", body["Index"])]
    );
    // Nomad answers with the job's ModifyIndex here.
    assert_eq!(body["JobModifyIndex"], job["ModifyIndex"]);
    assert!(body["EvalCreateIndex"].as_u64() > job["ModifyIndex"].as_u64());
    let response = agent.put(
        "/v1/job/web/evaluate",
        &sample("evaluate_payload.json").replace("my-job", "web"),
    );
    check_json(&response);
    check_error(
        &agent.post("/v1/job/web/evaluate", r#"{"JobID": "other"}"#),
        400,
        "JobID not same as job name",
    );
    check_error(
        &agent.post("/v1/job/web/evaluate", r#"{"EvalOptions": {}}"#),
        400,
        "Job ID must be specified",
    );
    check_error(
        &agent.post("/v1/job/missing/evaluate", ""),
        500,
        "job not found",
    );
    check_error(&agent.get("/v1/job/web/evaluate"), 405, "Invalid method");
}

#[test]
fn stop_and_purge() {
    let agent = start();
    register(&agent, "web");
    let response = agent.delete("/v1/job/web");
    let body = check_json(&response);
    assert_eq!(
        response.nomad_headers(),
        [format!("x-nomad-index={}", body["Index"])]
    );
    assert_eq!(body["EvalCreateIndex"], body["Index"]);
    let job = check_json(&agent.get("/v1/job/web"));
    assert_eq!(
        (job["Stop"].as_bool(), job["Version"].as_u64()),
        (Some(true), Some(1))
    );

    let body = check_json(&agent.delete("/v1/job/web?purge=True&eval_priority=70&global=false"));
    assert!(body["EvalID"].as_str().is_some_and(|id| !id.is_empty()));
    check_error(&agent.get("/v1/job/web"), 404, "job not found");
    let evals = check_json(&agent.get("/v1/job/web/evaluations"));
    assert!(
        evals
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["Priority"] == 70),
        "{evals}"
    );

    // A job that does not exist: 200 with zeroes and no evaluation.
    let response = agent.delete("/v1/job/missing");
    let body = check_json(&response);
    assert_eq!(
        (body["EvalID"].as_str(), body["Index"].as_u64()),
        (Some(""), Some(0))
    );
    assert_eq!(response.nomad_headers(), ["x-nomad-index=0"]);

    check_error(
        &agent.delete("/v1/job/web?purge=yes"),
        500,
        "Failed to parse value of \"purge\" (yes) as a bool: strconv.ParseBool: parsing \"yes\": invalid syntax",
    );
    check_error(
        &agent.delete("/v1/job/web?eval_priority=high"),
        500,
        "Failed to parse value of \"eval_priority\" (high) as a int: strconv.Atoi: parsing \"high\": invalid syntax",
    );
    register(&agent, "web");
    check_error(
        &agent.delete("/v1/job/web?eval_priority=101"),
        400,
        "Eval priority must be between 1 and 100 inclusively",
    );
    check_error(
        &agent.send("PATCH", "/v1/job/web", &[], None),
        405,
        "Invalid method",
    );
}

#[test]
fn validate() {
    let agent = start();
    let response = agent.post("/v1/validate/job", &job_body("web"));
    let body = check_json(&response);
    assert_eq!(body["DriverConfigValidated"], true);
    assert_eq!(body["ValidationErrors"], serde_json::Value::Null);
    assert!(response.nomad_headers().is_empty());
    let body = check_json(&agent.put(
        "/v1/validate/job",
        r#"{"Job": {"ID": "bad", "TaskGroups": []}}"#,
    ));
    assert!(
        body["Error"]
            .as_str()
            .unwrap()
            .contains("Missing job task groups"),
        "{body}"
    );
    check_error(
        &agent.post("/v1/validate/job", "{}"),
        400,
        "Job must be specified",
    );
    check_error(
        &agent.post("/v1/validate/job", ""),
        400,
        "Request body is empty",
    );
    check_error(&agent.get("/v1/validate/job"), 405, "Invalid method");
}

#[test]
fn tag_paths_and_methods() {
    let agent = start();
    check_error(
        &agent.post("/v1/job/a/b/versions/v1/tag", "{}"),
        404,
        "invalid job tag endpoint",
    );
    check_error(
        &agent.get("/v1/job/web/versions/v1/tag"),
        405,
        "Invalid method",
    );
    check_error(&agent.get("/v1/job/web/plan"), 405, "Invalid method");
    check_error(&agent.get("/v1/job/web/dispatch"), 405, "Invalid method");
    check_error(&agent.get("/v1/job/web/revert"), 405, "Invalid method");
    check_error(&agent.get("/v1/job/web/stable"), 405, "Invalid method");
    check_error(
        &agent.get("/v1/job/web/periodic/force"),
        405,
        "Invalid method",
    );
    check_error(&agent.delete("/v1/job/web/scale"), 405, "Invalid method");
    check_error(
        &agent.post("/v1/job/web/services", "{}"),
        405,
        "Invalid method",
    );
    check_error(&agent.get("/v1/jobs/parse"), 405, "Invalid method");
}

#[test]
fn parse_jobspecs() {
    let agent = start();
    let hcl = "job \"example\" {\n type = \"service\"\n group \"cache\" {}\n}";
    let body = json!({"JobHCL": hcl, "Canonicalize": true});
    let job = check_json(&agent.post("/v1/jobs/parse", &body.to_string()));
    assert_eq!(job["ID"], "example");
    assert_eq!(job["Name"], "example");
    assert_eq!(job["Type"], "service");
    assert_eq!(job["Priority"], 50);
    assert_eq!(job["TaskGroups"][0]["Name"], "cache");
    assert_eq!(job["TaskGroups"][0]["Count"], 1);

    let raw = check_json(&agent.post("/v1/jobs/parse", &json!({"JobHCL": hcl}).to_string()));
    assert_eq!(raw["ID"], "example");

    check_error(
        &agent.post("/v1/jobs/parse", r#"{"JobHCL": ""}"#),
        400,
        "Job spec is empty",
    );
    let broken = agent.post("/v1/jobs/parse", r#"{"JobHCL": "job \"x\" {"}"#);
    assert_eq!(broken.status, 400);
    assert!(
        broken
            .text()
            .starts_with("Failed to parse job: input.hcl:1,"),
        "{}",
        broken.text()
    );
}

#[test]
fn revert_and_stable() {
    let agent = start();
    register(&agent, "web");
    let mut body: serde_json::Value = serde_json::from_str(&job_body("web")).unwrap();
    body["Job"]["TaskGroups"][0]["Count"] = json!(2);
    check_json(&agent.post("/v1/jobs", &body.to_string()));

    let revert = json!({"JobID": "web", "JobVersion": 0, "EnforcePriorVersion": 1});
    let response = agent.post("/v1/job/web/revert", &revert.to_string());
    let body = check_json(&response);
    // Nomad sends the query meta here, with the leader unknown.
    assert_eq!(
        response.nomad_headers(),
        [
            format!("x-nomad-index={}", body["Index"]),
            "x-nomad-knownleader=false".to_string(),
            "x-nomad-lastcontact=0".to_string(),
        ]
    );
    let job = check_json(&agent.get("/v1/job/web"));
    assert_eq!(
        (
            job["Version"].as_u64(),
            job["TaskGroups"][0]["Count"].as_u64()
        ),
        (Some(2), Some(1))
    );
    check_error(
        &agent.put("/v1/job/web/revert", r#"{"JobID": "web", "JobVersion": 2}"#),
        500,
        "can't revert to current version",
    );
    check_error(
        &agent.put(
            "/v1/job/web/revert",
            r#"{"JobID": "web", "JobVersion": 0, "EnforcePriorVersion": 5}"#,
        ),
        500,
        "Current job has version 2; enforcing version 5",
    );
    check_error(
        &agent.post("/v1/job/web/revert", r#"{"JobVersion": 0}"#),
        400,
        "JobID must be specified",
    );
    check_error(
        &agent.post("/v1/job/web/revert", r#"{"JobID": "x"}"#),
        400,
        "Job ID does not match",
    );
    check_error(
        &agent.post("/v1/job/web/revert", ""),
        400,
        "Request body is empty",
    );
    check_error(
        &agent.post("/v1/job/nope/revert", r#"{"JobID": "nope"}"#),
        500,
        "job \"nope\" not found",
    );

    let response = agent.post(
        "/v1/job/web/stable",
        r#"{"JobID": "web", "JobVersion": 0, "Stable": true}"#,
    );
    let body = check_json(&response);
    assert_eq!(
        response.nomad_headers(),
        [format!("x-nomad-index={}", body["Index"])]
    );
    let versions = check_json(&agent.get("/v1/job/web/versions"));
    let stable: Vec<(u64, bool)> = versions["Versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["Version"].as_u64().unwrap(),
                v["Stable"].as_bool().unwrap(),
            )
        })
        .collect();
    assert!(stable.contains(&(0, true)), "{stable:?}");
    check_error(
        &agent.post(
            "/v1/job/web/stable",
            r#"{"JobID": "web", "JobVersion": 9, "Stable": true}"#,
        ),
        500,
        "job \"web\" in namespace \"default\" at version 9 not found",
    );
    check_error(
        &agent.post("/v1/job/web/stable", r#"{"JobVersion": 0}"#),
        400,
        "JobID must be specified",
    );
}

#[test]
fn dispatch() {
    let agent = start();
    let mut body: serde_json::Value = serde_json::from_str(&job_body("params")).unwrap();
    body["Job"]["Type"] = json!("batch");
    body["Job"]["ParameterizedJob"] = json!({"Payload": "optional", "MetaRequired": ["time"]});
    let parent = check_json(&agent.post("/v1/jobs", &body.to_string()));
    assert_eq!(parent["EvalID"], "");

    // python-nomad's body: a null payload, and the token where Nomad does not read it.
    let request = json!({"Meta": {"time": "5"}, "Payload": null, "IdPrefixTemplate": "run1", "idempotency_token": null});
    let response = agent.post("/v1/job/params/dispatch", &request.to_string());
    let dispatched = check_json(&response);
    assert_eq!(
        response.nomad_headers(),
        [format!("x-nomad-index={}", dispatched["Index"])]
    );
    let child = dispatched["DispatchedJobID"].as_str().unwrap();
    assert!(child.starts_with("params/dispatch-run1-"), "{child}");
    assert!(!dispatched["EvalID"].as_str().unwrap().is_empty());
    let job = check_json(&agent.get(&format!("/v1/job/{child}")));
    assert_eq!(
        (job["ParentID"].as_str(), job["Meta"]["time"].as_str()),
        (Some("params"), Some("5"))
    );

    // The idempotency token is a query parameter: the second dispatch returns the first child.
    let path = "/v1/job/params/dispatch?idempotency_token=abc";
    let first = check_json(&agent.put(path, r#"{"Meta": {"time": "1"}}"#));
    let again = check_json(&agent.put(path, r#"{"Meta": {"time": "1"}}"#));
    assert_eq!(again["DispatchedJobID"], first["DispatchedJobID"]);
    assert_eq!(again["EvalID"], "");

    // /dispatch/payload sends the raw body as the payload.
    body["Job"]["ID"] = json!("raw");
    body["Job"]["ParameterizedJob"] = json!({"Payload": "required"});
    check_json(&agent.post("/v1/jobs", &body.to_string()));
    let response = agent.send("POST", "/v1/job/raw/dispatch/payload", &[], Some(b"hello"));
    let dispatched = check_json(&response);
    let child = dispatched["DispatchedJobID"].as_str().unwrap();
    let job = check_json(&agent.get(&format!("/v1/job/{}", child.replace('/', "%2F"))));
    assert_eq!(job["Payload"], "aGVsbG8=");

    check_error(
        &agent.post("/v1/job/params/dispatch", r#"{"Meta": {}}"#),
        500,
        "Dispatch did not provide required meta keys: [time]",
    );
    check_error(
        &agent.post("/v1/job/params/dispatch", r#"{"JobID": "other"}"#),
        400,
        "Job ID does not match",
    );
    check_error(
        &agent.post("/v1/job/params/dispatch", ""),
        400,
        "Request body is empty",
    );
    check_error(
        &agent.post("/v1/job/nope/dispatch", "{}"),
        500,
        "parameterized job not found",
    );
}

#[test]
fn periodic_force() {
    let agent = start();
    let mut body: serde_json::Value = serde_json::from_str(&job_body("nightly")).unwrap();
    body["Job"]["Type"] = json!("batch");
    body["Job"]["Periodic"] = json!({"Enabled": true, "SpecType": "cron", "Spec": "0 3 * * *"});
    let registered = check_json(&agent.post("/v1/jobs", &body.to_string()));
    assert_eq!(registered["EvalID"], "");

    let response = agent.post("/v1/job/nightly/periodic/force", "");
    let forced = check_json(&response);
    assert_eq!(
        response.nomad_headers(),
        [format!("x-nomad-index={}", forced["Index"])]
    );
    let eval_id = forced["EvalID"].as_str().unwrap();
    let eval = check_json(&agent.get(&format!("/v1/evaluation/{eval_id}")));
    assert!(
        eval["JobID"]
            .as_str()
            .unwrap()
            .starts_with("nightly/periodic-"),
        "{eval}"
    );
    let children = check_json(&agent.get("/v1/jobs?prefix=nightly/periodic-"));
    assert_eq!(children.as_array().unwrap().len(), 1);

    register(&agent, "web");
    check_error(
        &agent.put("/v1/job/web/periodic/force", ""),
        500,
        "can't force launch non-periodic job",
    );
    check_error(
        &agent.post("/v1/job/nope/periodic/force", ""),
        500,
        "job not found",
    );
}

#[test]
fn scale() {
    let agent = start();
    // A batch job: a service job would have an active deployment, which blocks scaling.
    let mut body: serde_json::Value = serde_json::from_str(&job_body("web")).unwrap();
    body["Job"]["Type"] = json!("batch");
    check_json(&agent.post("/v1/jobs", &body.to_string()));
    let response = agent.get("/v1/job/web/scale");
    let status = check_json(&response);
    assert_eq!(status["JobID"], "web");
    assert_eq!(status["TaskGroups"]["web"]["Desired"], 1);
    assert_eq!(response.header("X-Nomad-KnownLeader"), Some("true"));

    let request = json!({"Count": 2, "Target": {"Group": "web"}, "Message": "more", "Meta": null});
    let response = agent.post("/v1/job/web/scale", &request.to_string());
    let scaled = check_json(&response);
    assert_eq!(
        response.nomad_headers(),
        [format!("x-nomad-index={}", scaled["Index"])]
    );
    assert!(!scaled["EvalID"].as_str().unwrap().is_empty());
    let status = check_json(&agent.get("/v1/job/web/scale"));
    assert_eq!(status["TaskGroups"]["web"]["Desired"], 2);
    assert_eq!(status["TaskGroups"]["web"]["Events"][0]["Message"], "more");
    // An event without a count changes nothing but the events.
    let event = json!({"Target": {"Group": "web"}, "Message": "note", "Error": true});
    let noted = check_json(&agent.put("/v1/job/web/scale", &event.to_string()));
    assert_eq!(noted["EvalID"], "");

    check_error(&agent.get("/v1/job/nope/scale"), 404, "job not found");
    check_error(
        &agent.post("/v1/job/web/scale", r#"{"Count": 1, "Target": {}}"#),
        400,
        "missing task group name for scaling action",
    );
    check_error(
        &agent.post(
            "/v1/job/web/scale",
            r#"{"Count": 1, "Target": {"Group": "web", "Job": "x"}}"#,
        ),
        400,
        "job ID in payload did not match URL",
    );
    check_error(
        &agent.post(
            "/v1/job/nope/scale",
            r#"{"Count": 1, "Target": {"Group": "web"}}"#,
        ),
        404,
        "job \"nope\" not found",
    );
    check_error(
        &agent.post("/v1/job/web/scale", ""),
        400,
        "Request body is empty",
    );
    register(&agent, "svc");
    check_error(
        &agent.post(
            "/v1/job/svc/scale",
            r#"{"Count": 3, "Target": {"Group": "web"}}"#,
        ),
        400,
        "job scaling blocked due to active deployment",
    );
}

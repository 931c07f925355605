//! The routes that finished issue 13: version tags, allocation stop, `?filter=` on the
//! evaluation, allocation, deployment and node lists, task actions, job services, the
//! deployment writes and `/v1/agent/self`; each status code and text.

mod common;

use common::{TestAgent, check, check_error, check_json, job_body, start, start_with};
use serde_json::{Value, json};

/// A query value, percent-encoded.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `job_body(id)` with `edit` applied to its job.
fn job_with(id: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut body: Value = serde_json::from_str(&job_body(id)).unwrap();
    edit(&mut body["Job"]);
    body.to_string()
}

/// Registers `id` and returns the IDs of its allocations (placed before the register
/// answers, in dev mode).
fn placed(agent: &TestAgent, id: &str) -> Vec<String> {
    check_json(&agent.post("/v1/jobs", &job_body(id)));
    let allocs = check_json(&agent.get(&format!("/v1/job/{id}/allocations")));
    allocs
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["ID"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn version_tags() {
    let agent = start();
    check_json(&agent.post("/v1/jobs", &job_body("web")));
    let changed = job_with("web", |job| job["Meta"] = json!({"v": "1"}));
    check_json(&agent.post("/v1/jobs", &changed));

    let response = agent.put(
        "/v1/job/web/versions/first/tag",
        r#"{"Version": 0, "Description": "the first"}"#,
    );
    let body = check_json(&response);
    // Nomad's tag endpoints send no X-Nomad-* headers.
    assert!(
        response.nomad_headers().is_empty(),
        "{:?}",
        response.headers
    );
    assert!(body["TaggedTime"].as_i64().unwrap() > 0);
    assert!(body["Index"].as_u64().unwrap() > 0);
    assert_eq!(
        (&body["Name"], &body["Description"], &body["KnownLeader"]),
        (&json!("first"), &json!("the first"), &json!(false))
    );
    let latest = check_json(&agent.post("/v1/job/web/versions/latest/tag", r#"{"Latest": true}"#));
    assert_eq!(latest["Name"], "latest");

    let versions = check_json(&agent.get("/v1/job/web/versions"));
    let tags: Vec<(u64, Value)> = versions["Versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["Version"].as_u64().unwrap(),
                v["VersionTag"]["Name"].clone(),
            )
        })
        .collect();
    assert_eq!(tags, [(1, json!("latest")), (0, json!("first"))]);
    let job = check_json(&agent.get("/v1/job/web"));
    assert_eq!(job["VersionTag"]["Name"], "latest");
    let diffs = check_json(&agent.get("/v1/job/web/versions?diffs=true&diff_tag=first"));
    assert_eq!(diffs["Diffs"].as_array().unwrap().len(), 2);

    let cases = [
        (
            "PUT",
            "/v1/job/web/versions/x/tag",
            "",
            400,
            "Request body is empty",
        ),
        (
            "PUT",
            "/v1/job/web/versions/x/tag",
            r#"{"Latest": true, "Version": 1}"#,
            500,
            "version must be zero when tagging latest, got: 1",
        ),
        (
            "PUT",
            "/v1/job/web/versions/first/tag",
            r#"{"Version": 1}"#,
            500,
            "tag \"first\" already exists on a different version of job \"web\"",
        ),
        (
            "POST",
            "/v1/job/web/versions/x/tag",
            r#"{"Version": 7}"#,
            500,
            "job \"web\" version 7 not found",
        ),
        (
            "POST",
            "/v1/job/nope/versions/x/tag",
            r#"{"Latest": true}"#,
            500,
            "job \"nope\" not found",
        ),
        (
            "DELETE",
            "/v1/job/web/versions/nope/tag",
            "",
            500,
            "tag \"nope\" not found on job \"web\"",
        ),
        (
            "GET",
            "/v1/job/web/versions/first/tag",
            "",
            405,
            "Invalid method",
        ),
        (
            "PUT",
            "/v1/job/web/tag",
            "{}",
            404,
            "invalid job tag endpoint",
        ),
    ];
    for (method, path, body, status, text) in cases {
        let body = (!body.is_empty()).then_some(body.as_bytes());
        check_error(&agent.send(method, path, &[], body), status, text);
    }

    let untagged = agent.delete("/v1/job/web/versions/first/tag");
    let body = check_json(&untagged);
    assert!(untagged.nomad_headers().is_empty());
    assert_eq!(
        (&body["Name"], &body["TaggedTime"]),
        (&json!(""), &json!(0))
    );
    let versions = check_json(&agent.get("/v1/job/web/versions"));
    assert_eq!(versions["Versions"][1]["VersionTag"], Value::Null);
}

#[test]
fn allocation_stop() {
    let agent = start();
    let allocs = placed(&agent, "web");
    let alloc_id = &allocs[0];

    let response = agent.post(&format!("/v1/allocation/{alloc_id}/stop"), "");
    let body = check_json(&response);
    assert_eq!(response.index(), body["Index"].as_u64().unwrap());
    assert_eq!(
        response.nomad_headers(),
        [format!("x-nomad-index={}", response.index())]
    );
    let eval_id = body["EvalID"].as_str().unwrap();
    let eval = check_json(&agent.get(&format!("/v1/evaluation/{eval_id}")));
    assert_eq!(
        (&eval["TriggeredBy"], &eval["JobID"], &eval["Status"]),
        (&json!("alloc-stop"), &json!("web"), &json!("complete"))
    );
    let alloc = check_json(&agent.get(&format!("/v1/allocation/{alloc_id}")));
    assert_eq!(alloc["DesiredTransition"]["Migrate"], true);
    assert_eq!(alloc["DesiredStatus"], "stop");
    // The scheduler placed a replacement.
    let now = check_json(&agent.get("/v1/job/web/allocations"));
    let running = now
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["DesiredStatus"] == "run")
        .count();
    assert_eq!(running, 1);

    let put = agent.put(
        &format!("/v1/allocation/{alloc_id}/stop?no_shutdown_delay=true&reschedule=true"),
        "",
    );
    check_json(&put);
    let alloc = check_json(&agent.get(&format!("/v1/allocation/{alloc_id}")));
    assert_eq!(
        (
            &alloc["DesiredTransition"]["NoShutdownDelay"],
            &alloc["DesiredTransition"]["Reschedule"]
        ),
        (&json!(true), &json!(true))
    );

    check_error(
        &agent.post("/v1/allocation/missing/stop", ""),
        404,
        "allocation not found",
    );
    check_error(
        &agent.post("/v1/allocation//stop", ""),
        500,
        "Missing allocation ID",
    );
    check_error(
        &agent.post(
            &format!("/v1/allocation/{alloc_id}/stop?reschedule=maybe"),
            "",
        ),
        500,
        "Failed to parse value of \"reschedule\" (maybe) as a bool: strconv.ParseBool: parsing \"maybe\": invalid syntax",
    );
    check_error(
        &agent.get(&format!("/v1/allocation/{alloc_id}/stop")),
        405,
        "Invalid method",
    );
}

#[test]
fn list_filters() {
    let agent = start();
    placed(&agent, "web");
    placed(&agent, "api");
    let ids = |path: &str, field: &str| -> Vec<String> {
        let mut ids: Vec<String> = check_json(&agent.get(path))
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item[field].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    };
    let filtered = |list: &str, filter: &str| format!("{list}?filter={}", encode(filter));

    let web = filtered("/v1/evaluations", r#"JobID == "web""#);
    assert_eq!(ids(&web, "JobID"), ["web"]);
    assert_eq!(ids("/v1/evaluations?job=api", "JobID"), ["api"]);
    assert_eq!(
        ids("/v1/evaluations?status=pending", "ID"),
        Vec::<String>::new()
    );
    let complete = ids("/v1/evaluations?status=complete", "JobID");
    assert_eq!(complete, ["api", "web"]);
    let allocs = filtered(
        "/v1/allocations",
        r#"JobID == "api" and DesiredStatus == "run""#,
    );
    assert_eq!(ids(&allocs, "JobID"), ["api"]);
    // The filter sees the whole allocation, not only its stub.
    let by_job = filtered(
        "/v1/allocations",
        r#"Job.Meta is empty and Job.ID == "web""#,
    );
    assert_eq!(ids(&by_job, "JobID"), ["web"]);
    let nodes = filtered("/v1/nodes", r#"Datacenter == "dc1""#);
    assert_eq!(ids(&nodes, "Datacenter"), ["dc1"]);
    check(
        &agent.get(&filtered("/v1/nodes", r#"Datacenter == "dc9""#)),
        200,
        "[]",
    );
    let deployments = filtered("/v1/deployments", r#"JobID == "web""#);
    assert_eq!(ids(&deployments, "JobID"), ["web"]);

    for list in [
        "/v1/evaluations",
        "/v1/allocations",
        "/v1/deployments",
        "/v1/nodes",
    ] {
        check_error(
            &agent.get(&filtered(list, "JobID = web")),
            400,
            "failed to create result paginator: failed to read filter expression: 1:7 (6): no match found, expected: \"!=\", \"==\", \"contains\", \"in\", \"is\", \"matches\", \"not\" or [ \\t\\r\\n]",
        );
        check_error(
            &agent.get(&filtered(list, "Missing == 1")),
            400,
            "failed to read result page: error finding value in datum: /Missing at part 0: couldn't find key: struct field with name \"Missing\"",
        );
    }
    check_error(
        &agent.get(&format!("{web}&job=web")),
        400,
        "Filter expression cannot be used with other filter parameters",
    );
}

#[test]
fn task_actions() {
    let agent = start();
    let body = job_with("web", |job| {
        job["TaskGroups"][0]["Tasks"][0]["Actions"] = json!([
            {"Name": "hello", "Command": "echo", "Args": ["hi"]},
            {"Name": "date", "Command": "date"}
        ]);
    });
    check_json(&agent.post("/v1/jobs", &body));
    let response = agent.get("/v1/job/web/actions");
    let actions = check_json(&response);
    assert_eq!(
        actions,
        json!([
            {"Name": "hello", "Command": "echo", "Args": ["hi"], "TaskName": "server", "TaskGroupName": "web"},
            {"Name": "date", "Command": "date", "Args": null, "TaskName": "server", "TaskGroupName": "web"}
        ])
    );
    let job = check_json(&agent.get("/v1/job/web"));
    assert_eq!(response.index(), job["ModifyIndex"].as_u64().unwrap());
    check_error(
        &agent.get("/v1/job/nope/actions"),
        500,
        "Unknown job \"nope\"",
    );
    check_error(
        &agent.post("/v1/job/web/actions", ""),
        405,
        "Invalid method",
    );

    // Running one: no websocket, then a websocket that cannot reach a client node.
    let alloc = check_json(&agent.get("/v1/job/web/allocations"))[0]["ID"]
        .as_str()
        .unwrap()
        .to_string();
    check_error(
        &agent.get("/v1/job/web/action?action=hello&task=server"),
        500,
        "websocket connection not found in context",
    );
    check_error(
        &agent.post("/v1/job/web/action?tty=maybe", ""),
        500,
        "tty value is not a boolean: strconv.ParseBool: parsing \"maybe\": invalid syntax",
    );
    let upgrade = [("Connection", "Upgrade"), ("Upgrade", "websocket")];
    let ws = |query: &str| {
        agent.send(
            "GET",
            &format!("/v1/job/web/action?{query}"),
            &upgrade,
            None,
        )
    };
    check_error(&ws("action=hello"), 400, "missing AllocID");
    check_error(&ws("allocID=nope"), 404, "Unknown allocation \"nope\"");
    check_error(
        &agent.send(
            "GET",
            &format!("/v1/job/other/action?allocID={alloc}"),
            &upgrade,
            None,
        ),
        404,
        "job other not found in namespace default",
    );
    check_json(&agent.post("/v1/jobs", &job_body("api")));
    check_error(
        &agent.send(
            "GET",
            &format!("/v1/job/api/action?allocID={alloc}"),
            &upgrade,
            None,
        ),
        400,
        &format!("job api does not have allocation {alloc}"),
    );
    check_error(
        &ws(&format!("allocID={alloc}&task=server&action=hello")),
        500,
        "No path to node",
    );
}

#[test]
fn job_services() {
    let agent = start();
    check_error(&agent.get("/v1/job/web/services"), 404, "job not found");
    let body = job_with("web", |job| {
        job["TaskGroups"][0]["Services"] = json!([{"Name": "web", "Provider": "nomad"}]);
    });
    check_json(&agent.post("/v1/jobs", &body));
    let response = agent.get("/v1/job/web/services");
    let services = check_json(&response);
    assert!(response.index() >= 1);
    for service in services.as_array().unwrap() {
        assert_eq!(service["JobID"], "web");
    }
    check_error(
        &agent.post("/v1/job/web/services", "{}"),
        405,
        "Invalid method",
    );
}

#[test]
fn deployment_writes() {
    let agent = start();
    // A long min_healthy_time keeps the deployment running through the test.
    let body = job_with("web", |job| {
        job["Update"] = json!({
            "MaxParallel": 1, "MinHealthyTime": 3_000_000_000_000_i64,
            "HealthyDeadline": 3_600_000_000_000_i64, "ProgressDeadline": 7_200_000_000_000_i64
        });
    });
    check_json(&agent.post("/v1/jobs", &body));
    let deployment = check_json(&agent.get("/v1/job/web/deployment"));
    let id = deployment["ID"].as_str().unwrap().to_string();
    assert_eq!(deployment["Status"], "running");
    let path = |action: &str| format!("/v1/deployment/{action}/{id}");
    let with_id = |fields: Value| {
        let mut body = json!({"DeploymentID": id});
        body.as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        body.to_string()
    };

    // Unblocking is multiregion-only: an active deployment answers with an empty update.
    let response = agent.post(&path("unblock"), &with_id(json!({})));
    check(
        &response,
        200,
        r#"{"EvalID":"","EvalCreateIndex":0,"DeploymentModifyIndex":0,"RevertedJobVersion":null,"Index":0}"#,
    );
    assert_eq!(response.nomad_headers(), ["x-nomad-index=0"]);

    let response = agent.put(&path("pause"), &with_id(json!({"Pause": true})));
    let paused = check_json(&response);
    assert_eq!(paused["EvalID"], "");
    assert_eq!(response.index(), paused["Index"].as_u64().unwrap());
    let read = check_json(&agent.get(&format!("/v1/deployment/{id}")));
    assert_eq!(read["Status"], "paused");
    let resumed = check_json(&agent.post(&path("pause"), &with_id(json!({"Pause": false}))));
    assert_ne!(resumed["EvalID"], "");

    for action in ["promote", "pause", "allocation-health", "unblock"] {
        check_error(&agent.post(&path(action), ""), 400, "Request body is empty");
        check_error(
            &agent.post(&path(action), "{}"),
            400,
            "DeploymentID must be specified",
        );
        check_error(
            &agent.post(&path(action), r#"{"DeploymentID": "other"}"#),
            400,
            "Deployment ID does not match",
        );
    }
    check_error(
        &agent.post(&path("allocation-health"), &with_id(json!({}))),
        500,
        "must specify at least one healthy/unhealthy allocation ID",
    );
    check_error(
        &agent.post("/v1/deployment/fail/missing", ""),
        500,
        "deployment not found",
    );
    check_error(
        &agent.post(
            "/v1/deployment/unblock/missing",
            r#"{"DeploymentID": "missing"}"#,
        ),
        500,
        "deployment not found",
    );

    let failed = check_json(&agent.post(&path("fail"), ""));
    assert_ne!(failed["EvalID"], "");
    let read = check_json(&agent.get(&format!("/v1/deployment/{id}")));
    assert_eq!(read["Status"], "failed");
    let terminal = [
        ("fail", json!({}), "can't fail terminal deployment"),
        (
            "promote",
            json!({"All": true}),
            "can't promote terminal deployment",
        ),
        (
            "pause",
            json!({"Pause": true}),
            "can't pause terminal deployment",
        ),
        ("unblock", json!({}), "can't unblock terminal deployment"),
    ];
    for (action, fields, text) in terminal {
        check_error(&agent.post(&path(action), &with_id(fields)), 500, text);
    }
    // python-nomad spells the key `UnHealthyAllocationIDs`; Go's decoding takes it, so the
    // request gets as far as the deployment's status.
    let alloc = check_json(&agent.get("/v1/job/web/allocations"))[0]["ID"].clone();
    check_error(
        &agent.post(
            &path("allocation-health"),
            &with_id(json!({"UnHealthyAllocationIDs": [alloc]})),
        ),
        500,
        "can't set health of allocations for a terminal deployment",
    );
    check_error(&agent.get(&path("promote")), 405, "Invalid method");
}

#[test]
fn agent_self() {
    let agent = start();
    let me = check_json(&agent.get("/v1/agent/self"));
    assert_eq!(me["config"]["ACL"]["Enabled"], false);
    assert_eq!(me["config"]["Version"]["Version"], "1.9.5");
    assert_eq!(me["member"]["Name"], "sim-1.global");
    let node = &check_json(&agent.get("/v1/nodes"))[0];
    assert_eq!(me["stats"]["client"]["node_id"], node["ID"]);
    assert_eq!(me["stats"]["raft"]["num_peers"], "0");
    // The Go client reads stats as strings only.
    for (section, values) in me["stats"].as_object().unwrap() {
        for (key, value) in values.as_object().unwrap() {
            assert!(value.is_string(), "stats.{section}.{key} = {value}");
        }
    }
    check_error(&agent.post("/v1/agent/self", ""), 405, "Invalid method");

    // One server, no gossip pool: nothing to join, nothing to remove.
    let joined = check_json(&agent.put("/v1/agent/join?address=nope", ""));
    assert_eq!(joined["num_joined"], 0);
    assert_ne!(joined["error"], "");
    check_error(
        &agent.put("/v1/agent/join", ""),
        400,
        "missing address to join",
    );
    check(&agent.post("/v1/agent/force-leave?node=nope", ""), 200, "");
    check_error(
        &agent.post("/v1/agent/force-leave", ""),
        400,
        "missing node to force leave",
    );
    check_error(
        &agent.post("/v1/agent/force-leave?node=n&prune=maybe", ""),
        400,
        "invalid prune value",
    );
    check_error(&agent.get("/v1/agent/join"), 405, "Invalid method");
}

/// With ACLs on, a token that reads jobs in `default` only: the lists show `default`'s
/// records, reads elsewhere are refused as Nomad refuses them, and the writes need more.
#[test]
fn reads_and_writes_under_acls() {
    const SECRET: &str = "00000000-0000-4000-8000-0000000000aa";
    let agent = start_with(|config| config.acl_enabled = true);
    let send = |method: &str, path: &str, token: &str, body: Option<&str>| {
        let headers = [("X-Nomad-Token", token)];
        agent.send(method, path, &headers, body.map(str::as_bytes))
    };
    let bootstrap = json!({"BootstrapSecret": SECRET}).to_string();
    check_json(&agent.post("/v1/acl/bootstrap", &bootstrap));
    // Some of these writes answer with an empty body, as Nomad's do.
    let management = |method: &str, path: &str, body: &str| {
        let response = send(method, path, SECRET, Some(body));
        assert_eq!(response.status, 200, "{path}: {}", response.text());
        response
    };
    management("PUT", "/v1/namespace/team", r#"{"Name": "team"}"#);
    let policy = json!({"Name": "reader", "Rules": "namespace \"default\" { policy = \"read\" }"});
    management("PUT", "/v1/acl/policy/reader", &policy.to_string());
    let token = json!({"Name": "r", "Type": "client", "Policies": ["reader"]});
    let token = management("POST", "/v1/acl/token", &token.to_string()).json();
    let reader = token["SecretID"].as_str().unwrap().to_string();
    management("POST", "/v1/jobs", &job_body("web"));
    management("POST", "/v1/jobs?namespace=team", &job_body("api"));
    // What each job made, as the management token sees it.
    let first = |path: &str, field: &str| {
        let list = check_json(&send("GET", path, SECRET, None));
        list[0][field].as_str().unwrap().to_string()
    };
    let ids = |job: &str, ns: &str| {
        (
            first(&format!("/v1/job/{job}/evaluations?namespace={ns}"), "ID"),
            first(&format!("/v1/job/{job}/allocations?namespace={ns}"), "ID"),
            first(&format!("/v1/job/{job}/deployments?namespace={ns}"), "ID"),
        )
    };
    let (web_eval, web_alloc, web_deployment) = ids("web", "default");
    let (api_eval, api_alloc, api_deployment) = ids("api", "team");

    let jobs_in = |path: &str| -> Vec<String> {
        let list = check_json(&send("GET", path, &reader, None));
        let mut jobs: Vec<String> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["JobID"].as_str().unwrap().to_string())
            .collect();
        jobs.dedup();
        jobs
    };
    for list in ["/v1/evaluations", "/v1/allocations", "/v1/deployments"] {
        assert_eq!(jobs_in(list), ["web"], "{list}");
        assert_eq!(jobs_in(&format!("{list}?namespace=*")), ["web"], "{list}");
        let team = send("GET", &format!("{list}?namespace=team"), &reader, None);
        check_error(&team, 403, "Permission denied");
        let anonymous = agent.get(list);
        check_error(&anonymous, 403, "Permission denied");
    }

    let read = |path: String| send("GET", &path, &reader, None);
    check_json(&read(format!("/v1/evaluation/{web_eval}")));
    check_json(&read(format!("/v1/allocation/{web_alloc}")));
    check_json(&read(format!("/v1/deployment/{web_deployment}")));
    check_json(&read(format!("/v1/evaluation/{web_eval}/allocations")));
    let denied = [
        format!("/v1/evaluation/{api_eval}"),
        format!("/v1/evaluation/{api_eval}?namespace=team"),
        format!("/v1/evaluation/{api_eval}/allocations"),
        format!("/v1/deployment/{api_deployment}"),
        format!("/v1/deployment/allocations/{api_deployment}"),
    ];
    for path in denied {
        check_error(&read(path), 403, "Permission denied");
    }
    check_error(
        &read(format!("/v1/allocation/{api_alloc}")),
        500,
        &format!("Unknown allocation \"{api_alloc}\""),
    );

    // Writes: read is not enough.
    let stop = format!("/v1/allocation/{web_alloc}/stop");
    check_error(
        &send("POST", &stop, &reader, None),
        403,
        "Permission denied",
    );
    let tag = send(
        "PUT",
        "/v1/job/web/versions/v/tag",
        &reader,
        Some(r#"{"Latest": true}"#),
    );
    check_error(&tag, 403, "Permission denied");
    let unblock = format!("/v1/deployment/unblock/{web_deployment}");
    let body = json!({"DeploymentID": web_deployment}).to_string();
    check_error(
        &send("POST", &unblock, &reader, Some(&body)),
        403,
        "Permission denied",
    );
    let pause = format!("/v1/deployment/pause/{web_deployment}");
    let paused = json!({"DeploymentID": web_deployment, "Pause": true}).to_string();
    check_error(
        &send("POST", &pause, &reader, Some(&paused)),
        403,
        "Permission denied",
    );
    let fail = format!("/v1/deployment/fail/{web_deployment}");
    check_error(
        &send("POST", &fail, &reader, None),
        403,
        "Permission denied",
    );
    check_json(&send("POST", &unblock, SECRET, Some(&body)));
    check_json(&send("POST", &pause, SECRET, Some(&paused)));
    check_json(&send("POST", &stop, SECRET, None));

    let me = check_json(&send("GET", "/v1/agent/self", SECRET, None));
    assert_eq!(me["config"]["ACL"]["Enabled"], true);
}

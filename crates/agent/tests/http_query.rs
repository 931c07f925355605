//! What every read shares: blocking queries, paging headers, query-string errors, `?pretty`,
//! gzip, regions, namespaces and the request size limit.

mod common;

use std::thread;
use std::time::Duration;

use common::{TestAgent, check, check_error, check_json, job_body, start, start_with};
use serde_json::json;

/// An agent without nodes: nothing is placed, so a job changes only when it is written.
fn quiet_agent() -> TestAgent {
    start_with(|config| config.sim.nodes = 0)
}

#[test]
fn a_blocking_query_answers_when_the_job_changes() {
    let agent = quiet_agent();
    agent.post("/v1/jobs", &job_body("web"));
    let index = agent.get("/v1/job/web").index();
    thread::scope(|scope| {
        let waiting = scope.spawn(|| agent.get(&format!("/v1/job/web?index={index}&wait=20s")));
        // Give the query time to start waiting; if it starts late it answers at once, which
        // the assertions below accept as well.
        thread::sleep(Duration::from_millis(200));
        let mut body: serde_json::Value = serde_json::from_str(&job_body("web")).unwrap();
        body["Job"]["Meta"] = json!({"changed": "yes"});
        let update = agent.post("/v1/jobs", &body.to_string()).index();
        let response = waiting.join().unwrap();
        let job = check_json(&response);
        assert_eq!(job["Meta"]["changed"], "yes");
        assert!(response.index() >= update);
    });
}

#[test]
fn a_blocking_query_on_a_missing_job_answers_when_it_appears() {
    let agent = quiet_agent();
    agent.post("/v1/jobs", &job_body("web"));
    let index = agent.get("/v1/job/later").index();
    thread::scope(|scope| {
        let waiting = scope.spawn(|| agent.get(&format!("/v1/job/later?index={index}&wait=20s")));
        thread::sleep(Duration::from_millis(200));
        agent.post("/v1/jobs", &job_body("later"));
        let job = check_json(&waiting.join().unwrap());
        assert_eq!(job["ID"], "later");
    });
}

#[test]
fn a_blocking_query_times_out_with_the_last_answer() {
    let agent = quiet_agent();
    agent.post("/v1/jobs", &job_body("web"));
    let index = agent.get("/v1/job/web").index();
    let response = agent.get(&format!("/v1/job/web?index={index}&wait=50ms"));
    let job = check_json(&response);
    assert_eq!(job["ID"], "web");
    assert_eq!(response.index(), index);
    // Without an index the query runs once, whatever the wait.
    check_json(&agent.get("/v1/jobs?wait=10m"));
}

#[test]
fn query_string_errors() {
    let agent = start();
    check_error(&agent.get("/v1/jobs?wait=soon"), 400, "Invalid wait time");
    check_error(&agent.get("/v1/jobs?wait=5"), 400, "Invalid wait time");
    check_error(&agent.get("/v1/jobs?index=-1"), 400, "Invalid index");
    check_error(&agent.get("/v1/job/web?index=x"), 400, "Invalid index");
    check_error(
        &agent.get("/v1/jobs?stale=maybe"),
        400,
        "Expect `true` or `false` for `stale` query string parameter, got maybe",
    );
    check_json(&agent.get("/v1/jobs?stale"));
    check_json(&agent.get("/v1/jobs?stale=true"));
    check_error(
        &agent.get("/v1/jobs?per_page=many"),
        400,
        "Expect a number for `per_page` query string parameter",
    );
    check_error(
        &agent.get("/v1/jobs?meta=sure"),
        500,
        "Failed to parse value of \"meta\" (sure) as a bool: strconv.ParseBool: parsing \"sure\": invalid syntax",
    );
    let response = agent.get("/v1/jobs?filter=Status%20%3D%3D");
    assert_eq!(response.status, 400, "{}", response.text());
    assert!(
        response
            .text()
            .starts_with("failed to create result paginator: failed to read filter expression:"),
        "{}",
        response.text()
    );
}

#[test]
fn pages_and_next_tokens() {
    let agent = start();
    for id in ["a", "b", "c"] {
        agent.post("/v1/jobs", &job_body(id));
    }
    let ids = |response: &common::Response| -> Vec<String> {
        let list = check_json(response);
        list.as_array()
            .unwrap()
            .iter()
            .map(|j| j["ID"].as_str().unwrap().to_string())
            .collect()
    };
    let first = agent.get("/v1/jobs?per_page=2");
    assert_eq!(ids(&first), ["a", "b"]);
    assert_eq!(first.header("X-Nomad-NextToken"), Some("default.c"));
    let second = agent.get("/v1/jobs?per_page=2&next_token=default.c");
    assert_eq!(ids(&second), ["c"]);
    assert_eq!(second.header("X-Nomad-NextToken"), None);
    assert_eq!(ids(&agent.get("/v1/jobs?reverse=true")), ["c", "b", "a"]);
    assert_eq!(
        ids(&agent.get("/v1/jobs?filter=ID%20%3D%3D%20%22b%22")),
        ["b"]
    );
    assert_eq!(ids(&agent.get("/v1/jobs?namespace=*")), ["a", "b", "c"]);
    assert_eq!(
        ids(&agent.get("/v1/jobs?namespace=other")),
        Vec::<String>::new()
    );
}

#[test]
fn list_meta_on_request() {
    let agent = start();
    let mut body: serde_json::Value = serde_json::from_str(&job_body("web")).unwrap();
    body["Job"]["Meta"] = json!({"team": "x"});
    agent.post("/v1/jobs", &body.to_string());
    let list = check_json(&agent.get("/v1/jobs"));
    assert_eq!(list[0].get("Meta"), None);
    let list = check_json(&agent.get("/v1/jobs?meta=true"));
    assert_eq!(list[0]["Meta"]["team"], "x");
}

#[test]
fn pretty_printing() {
    let agent = start();
    let response = agent.get("/v1/regions?pretty");
    check(&response, 200, "[\n    \"global\"\n]\n");
    check(
        &agent.get("/v1/regions?pretty=1"),
        200,
        "[\n    \"global\"\n]\n",
    );
    check(&agent.get("/v1/regions?pretty=0"), 200, "[\"global\"]");
    check(&agent.get("/v1/regions"), 200, "[\"global\"]");
}

#[test]
fn gzip_on_request() {
    let agent = start();
    agent.post("/v1/jobs", &job_body("web"));
    let response = agent.send("GET", "/v1/jobs", &[("Accept-Encoding", "gzip")], None);
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-encoding"), Some("gzip"));
    assert_eq!(&response.body[..2], [0x1f, 0x8b]);
    assert_eq!(response.header("X-Nomad-KnownLeader"), Some("true"));
    let response = agent.get("/v1/jobs");
    assert_eq!(response.header("content-encoding"), None);
}

#[test]
fn regions() {
    let agent = start();
    check_json(&agent.get("/v1/jobs?region=global"));
    check_error(&agent.get("/v1/jobs?region=mars"), 500, "No path to region");
    check_error(
        &agent.post("/v1/jobs?region=mars", &job_body("web")),
        500,
        "No path to region",
    );
}

#[test]
fn tokens_are_accepted_in_either_header() {
    let agent = start();
    let response = agent.send("GET", "/v1/jobs", &[("X-Nomad-Token", "abc")], None);
    check_json(&response);
    let response = agent.send("GET", "/v1/jobs", &[("Authorization", "Bearer abc")], None);
    check_json(&response);
}

#[test]
fn request_bodies_are_bounded() {
    let agent = start_with(|config| config.max_body_bytes = 1024);
    let mut body: serde_json::Value = serde_json::from_str(&job_body("web")).unwrap();
    body["Job"]["Meta"] = json!({"big": "x".repeat(2000)});
    check_error(
        &agent.post("/v1/jobs", &body.to_string()),
        413,
        "Request body is too large (the limit is 1024 bytes)",
    );
    check_json(&agent.post("/v1/jobs", &job_body("web")));
}

#[test]
fn unknown_paths_are_404() {
    let agent = start();
    check(&agent.get("/v1/nothing"), 404, "");
    check(&agent.get("/v2/jobs"), 404, "");
}

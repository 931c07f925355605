//! `/v1/acl/*` and `/v1/namespace*` over HTTP, on an agent started with ACLs on: status codes,
//! Nomad's texts, the index header, and tokens from both headers.

mod common;

use common::{TestAgent, check, start_with};
use serde_json::{Value, json};

const SECRET: &str = "00000000-0000-4000-8000-0000000000aa";

fn with_token(
    agent: &TestAgent,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&str>,
) -> common::Response {
    agent.send(
        method,
        path,
        &[("X-Nomad-Token", token)],
        body.map(str::as_bytes),
    )
}

fn bootstrapped() -> TestAgent {
    let agent = start_with(|config| config.acl_enabled = true);
    let response = agent.post(
        "/v1/acl/bootstrap",
        &json!({"BootstrapSecret": SECRET}).to_string(),
    );
    assert_eq!(response.status, 200, "{}", response.text());
    agent
}

#[test]
fn bootstrap_answers_the_management_token_once() {
    let agent = start_with(|config| config.acl_enabled = true);
    let response = agent.send("PUT", "/v1/acl/bootstrap", &[], None);
    assert_eq!(response.status, 200, "{}", response.text());
    let token = response.json();
    assert_eq!(token["Type"], "management");
    assert_eq!(token["Name"], "Bootstrap Token");
    assert_eq!(token["CreateIndex"].as_u64(), Some(response.index()));
    let again = agent.post("/v1/acl/bootstrap", "");
    check(
        &again,
        400,
        &format!(
            "ACL bootstrap already done (reset index: {})",
            response.index()
        ),
    );
    check(&agent.get("/v1/acl/bootstrap"), 405, "Invalid method");
}

#[test]
fn acl_endpoints_refuse_while_acls_are_off() {
    let agent = common::start();
    check(
        &agent.post("/v1/acl/bootstrap", ""),
        400,
        "ACL support disabled",
    );
    check(&agent.get("/v1/acl/policies"), 400, "ACL support disabled");
    check(
        &agent.get("/v1/acl/token/self"),
        400,
        "ACL support disabled",
    );
}

#[test]
fn policies_and_tokens_round_trip() {
    let agent = bootstrapped();
    let policy = json!({
        "Name": "readonly",
        "Description": "read everything",
        "Rules": "namespace \"*\" { policy = \"read\" }",
    });
    let written = with_token(
        &agent,
        "PUT",
        "/v1/acl/policy/readonly",
        SECRET,
        Some(&policy.to_string()),
    );
    assert_eq!(written.status, 200, "{}", written.text());
    assert!(written.body.is_empty());
    let index = written.index();
    check(
        &with_token(
            &agent,
            "PUT",
            "/v1/acl/policy/other",
            SECRET,
            Some(&policy.to_string()),
        ),
        400,
        "ACL policy name does not match request path",
    );
    check(
        &agent.put("/v1/acl/policy/readonly", &policy.to_string()),
        403,
        "Permission denied",
    );

    let read = with_token(&agent, "GET", "/v1/acl/policy/readonly", SECRET, None);
    assert_eq!(read.status, 200);
    assert_eq!(read.json()["Rules"], policy["Rules"]);
    assert_eq!(read.index(), index);
    check(
        &with_token(&agent, "GET", "/v1/acl/policy/nope", SECRET, None),
        404,
        "ACL policy not found",
    );
    let list = with_token(&agent, "GET", "/v1/acl/policies", SECRET, None).json();
    assert_eq!(list[0]["Name"], "readonly");

    let create = json!({"Name": "reader", "Type": "client", "Policies": ["readonly"]});
    let created = with_token(
        &agent,
        "POST",
        "/v1/acl/token",
        SECRET,
        Some(&create.to_string()),
    );
    assert_eq!(created.status, 200, "{}", created.text());
    let token = created.json();
    let secret = token["SecretID"].as_str().unwrap().to_string();
    let accessor = token["AccessorID"].as_str().unwrap().to_string();

    // The token reads itself, through either header.
    let me = agent.send(
        "GET",
        "/v1/acl/token/self",
        &[("Authorization", &format!("Bearer {secret}"))],
        None,
    );
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json()["AccessorID"], accessor.as_str());
    check(
        &with_token(
            &agent,
            "GET",
            "/v1/acl/token/self",
            "00000000-0000-4000-8000-00000000dead",
            None,
        ),
        404,
        "ACL token not found",
    );
    let own = with_token(
        &agent,
        "GET",
        &format!("/v1/acl/token/{accessor}"),
        &secret,
        None,
    );
    assert_eq!(own.status, 200);
    check(
        &with_token(&agent, "GET", "/v1/acl/tokens", &secret, None),
        403,
        "Permission denied",
    );
    let tokens = with_token(&agent, "GET", "/v1/acl/tokens", SECRET, None).json();
    let names: Vec<&Value> = tokens
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["Name"])
        .collect();
    assert_eq!(names, [&json!("Bootstrap Token"), &json!("reader")]);
    assert!(tokens[1].get("SecretID").is_none());
    // Oldest first, one page at a time; the token is `<create index>.<accessor ID>`.
    let first = with_token(&agent, "GET", "/v1/acl/tokens?per_page=1", SECRET, None);
    assert_eq!(first.json()[0]["Name"], "Bootstrap Token");
    let next = format!(
        "{}.{}",
        tokens[1]["CreateIndex"],
        tokens[1]["AccessorID"].as_str().unwrap()
    );
    assert_eq!(first.header("X-Nomad-NextToken"), Some(next.as_str()));
    let path = format!("/v1/acl/tokens?per_page=1&next_token={next}");
    let second = with_token(&agent, "GET", &path, SECRET, None);
    assert_eq!(second.json()[0]["Name"], "reader");
    assert_eq!(second.header("X-Nomad-NextToken"), None);
    let reversed = with_token(&agent, "GET", "/v1/acl/tokens?reverse=true", SECRET, None);
    assert_eq!(reversed.json()[0]["Name"], "reader");

    // The reader may list jobs but not register one.
    assert_eq!(
        with_token(&agent, "GET", "/v1/jobs", &secret, None).status,
        200
    );
    check(&agent.get("/v1/jobs"), 403, "Permission denied");

    let deleted = with_token(
        &agent,
        "DELETE",
        &format!("/v1/acl/token/{accessor}"),
        SECRET,
        None,
    );
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    check(
        &with_token(
            &agent,
            "DELETE",
            &format!("/v1/acl/token/{accessor}"),
            SECRET,
            None,
        ),
        400,
        &format!("Cannot delete nonexistent tokens: {accessor}"),
    );
    check(
        &with_token(&agent, "GET", "/v1/jobs", &secret, None),
        403,
        "Permission denied",
    );
    let gone = with_token(&agent, "DELETE", "/v1/acl/policy/readonly", SECRET, None);
    assert_eq!(gone.status, 200);
}

#[test]
fn namespaces_are_written_read_and_deleted() {
    let agent = bootstrapped();
    let body = json!({"Name": "team", "Description": "a team"}).to_string();
    check(
        &agent.put("/v1/namespace/team", &body),
        403,
        "Permission denied",
    );
    let written = with_token(&agent, "PUT", "/v1/namespace/team", SECRET, Some(&body));
    assert_eq!(written.status, 200, "{}", written.text());
    let created = with_token(
        &agent,
        "POST",
        "/v1/namespace",
        SECRET,
        Some(&json!({"Name": "other"}).to_string()),
    );
    assert_eq!(created.status, 200, "{}", created.text());
    check(
        &with_token(&agent, "PUT", "/v1/namespace/else", SECRET, Some(&body)),
        400,
        "Namespace name does not match request path",
    );

    let read = with_token(&agent, "GET", "/v1/namespace/team", SECRET, None);
    assert_eq!(read.status, 200);
    assert_eq!(read.json()["Description"], "a team");
    let names: Vec<Value> = with_token(&agent, "GET", "/v1/namespaces", SECRET, None)
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["Name"].clone())
        .collect();
    assert_eq!(names, [json!("default"), json!("other"), json!("team")]);
    // Without a token (and no anonymous policy) nothing is visible.
    assert_eq!(agent.get("/v1/namespaces").json(), json!([]));
    check(&agent.get("/v1/namespace/team"), 403, "Permission denied");

    check(
        &with_token(&agent, "DELETE", "/v1/namespace/default", SECRET, None),
        500,
        "can not delete default namespace",
    );
    let deleted = with_token(&agent, "DELETE", "/v1/namespace/team", SECRET, None);
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    check(
        &with_token(&agent, "GET", "/v1/namespace/team", SECRET, None),
        404,
        "Namespace not found",
    );
}

#[test]
fn a_reset_file_in_the_data_dir_allows_one_more_bootstrap() {
    let dir = std::env::temp_dir().join(format!("drover-acl-reset-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let agent = start_with(|config| {
        config.acl_enabled = true;
        config.data_dir = Some(dir.clone());
    });
    let first = agent.post("/v1/acl/bootstrap", "");
    assert_eq!(first.status, 200, "{}", first.text());
    let index = first.index();
    let refused = format!("ACL bootstrap already done (reset index: {index})");
    check(&agent.post("/v1/acl/bootstrap", ""), 400, &refused);
    std::fs::write(dir.join("acl-bootstrap-reset"), format!("{index}\n")).expect("reset file");
    let second = agent.post("/v1/acl/bootstrap", "");
    assert_eq!(second.status, 200, "{}", second.text());
    assert_ne!(second.json()["SecretID"], first.json()["SecretID"]);
    drop(agent);
    std::fs::remove_dir_all(&dir).ok();
}

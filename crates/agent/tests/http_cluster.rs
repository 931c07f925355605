//! The routes around the Jobs API: status, agent, regions, evaluations, allocations,
//! deployments, nodes and namespaces.

mod common;

use common::{check, check_error, check_json, job_body, start, start_with};

#[test]
fn status_agent_and_regions() {
    let agent = start();
    let response = agent.get("/v1/status/leader");
    check(&response, 200, "\"127.0.0.1:4647\"");
    assert!(response.nomad_headers().is_empty());
    check(&agent.get("/v1/status/peers"), 200, "[\"127.0.0.1:4647\"]");
    check(&agent.get("/v1/agent/servers"), 200, "[\"127.0.0.1:4647\"]");
    check(&agent.get("/v1/regions"), 200, "[\"global\"]");
    check_error(&agent.post("/v1/status/leader", ""), 405, "Invalid method");

    let me = check_json(&agent.get("/v1/agent/self"));
    assert_eq!(me["config"]["Region"], "global");
    assert_eq!(me["config"]["Datacenter"], "dc1");
    assert_eq!(me["config"]["NodeName"], "sim-1");
    assert_eq!(me["member"]["Name"], "sim-1.global");
    assert_eq!(me["member"]["Tags"]["region"], "global");
    assert_eq!(me["stats"]["nomad"]["leader"], "true");
    let members = check_json(&agent.get("/v1/agent/members"));
    assert_eq!(members["Members"][0]["Status"], "alive");
}

#[test]
fn simulated_nodes() {
    let agent = start_with(|config| {
        config.sim.nodes = 3;
        config.sim.datacenters = vec!["dc1".to_string(), "dc2".to_string()];
        config.sim.node_classes = vec!["small".to_string()];
    });
    let response = agent.get("/v1/nodes");
    let nodes = check_json(&response);
    assert_eq!(response.header("X-Nomad-KnownLeader"), Some("true"));
    let mut rows: Vec<(String, String, String, String)> = nodes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let field = |k: &str| n[k].as_str().unwrap().to_string();
            (
                field("Name"),
                field("Datacenter"),
                field("NodeClass"),
                field("Status"),
            )
        })
        .collect();
    rows.sort();
    let expected = [("sim-1", "dc1"), ("sim-1-2", "dc2"), ("sim-1-3", "dc1")].map(|(n, d)| {
        (
            n.to_string(),
            d.to_string(),
            "small".to_string(),
            "ready".to_string(),
        )
    });
    assert_eq!(rows, expected);
    assert_eq!(nodes[0].get("NodeResources"), None);
    let with_resources = check_json(&agent.get("/v1/nodes?resources=true"));
    assert_eq!(with_resources[0]["NodeResources"]["Cpu"]["CpuShares"], 8000);

    let id = nodes[0]["ID"].as_str().unwrap();
    let response = agent.get(&format!("/v1/node/{id}"));
    let node = check_json(&response);
    assert_eq!(node["Attributes"]["driver.docker"], "1");
    assert_eq!(node["Attributes"]["kernel.name"], "linux");
    assert_eq!(node["NodeResources"]["Memory"]["MemoryMB"], 16_384);
    assert_eq!(response.index(), node["ModifyIndex"].as_u64().unwrap());
    check(&agent.get(&format!("/v1/node/{id}/allocations")), 200, "[]");
    check_error(&agent.get("/v1/node/missing"), 404, "node not found");
    let prefix = &id[..4];
    let listed = check_json(&agent.get(&format!("/v1/nodes?prefix={prefix}")));
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["ID"].as_str().unwrap().starts_with(prefix))
    );

    // Pages in ID order; the header names the next page's first node.
    let mut ids: Vec<&str> = nodes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["ID"].as_str().unwrap())
        .collect();
    ids.sort();
    let first = agent.get("/v1/nodes?per_page=2");
    let page_ids = |response: &common::Response| -> Vec<String> {
        let page = check_json(response);
        let page = page.as_array().unwrap().iter();
        page.map(|n| n["ID"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(page_ids(&first), ids[..2]);
    assert_eq!(first.header("X-Nomad-NextToken"), Some(ids[2]));
    let second = agent.get(&format!("/v1/nodes?per_page=2&next_token={}", ids[2]));
    assert_eq!(page_ids(&second), ids[2..]);
    assert_eq!(second.header("X-Nomad-NextToken"), None);
    let filter = "Datacenter%20%3D%3D%20%22dc1%22";
    let dc1 = agent.get(&format!("/v1/nodes?per_page=1&filter={filter}"));
    let names = check_json(&dc1);
    assert_eq!(names[0]["Datacenter"], "dc1");
    assert!(dc1.header("X-Nomad-NextToken").is_some());
}

#[test]
fn evaluations() {
    let agent = start();
    let body = check_json(&agent.post("/v1/jobs", &job_body("web")));
    let eval_id = body["EvalID"].as_str().unwrap();

    let response = agent.get(&format!("/v1/evaluation/{eval_id}"));
    let eval = check_json(&response);
    assert_eq!(
        (eval["ID"].as_str(), eval["JobID"].as_str()),
        (Some(eval_id), Some("web"))
    );
    assert_eq!(response.index(), eval["ModifyIndex"].as_u64().unwrap());
    check_json(&agent.get(&format!("/v1/evaluation/{eval_id}/allocations")));
    check_error(&agent.get("/v1/evaluation/missing"), 404, "eval not found");
    check_error(
        &agent.post(&format!("/v1/evaluation/{eval_id}"), ""),
        405,
        "Invalid method",
    );

    let listed = check_json(&agent.get(&format!("/v1/evaluations?prefix={}", &eval_id[..6])));
    assert_eq!(listed[0]["ID"], eval_id);
    let all = check_json(&agent.get("/v1/evaluations"));
    assert!(all.as_array().unwrap().iter().any(|e| e["ID"] == eval_id));
}

#[test]
fn allocations_and_deployments() {
    let agent = start();
    check(&agent.get("/v1/allocations"), 200, "[]");
    check_error(&agent.get("/v1/allocation/missing"), 404, "alloc not found");
    check_error(
        &agent.get("/v1/allocation/missing/stop"),
        405,
        "Invalid method",
    );
    check(&agent.get("/v1/allocation/a/b/c"), 404, "");
    check(&agent.get("/v1/deployments"), 200, "[]");
    check_error(
        &agent.get("/v1/deployment/missing"),
        404,
        "deployment not found",
    );
    check(&agent.get("/v1/deployment/allocations/missing"), 200, "[]");
    check_error(
        &agent.get("/v1/deployment/fail/missing"),
        405,
        "Invalid method",
    );
}

#[test]
fn namespaces() {
    let agent = start();
    let namespaces = check_json(&agent.get("/v1/namespaces"));
    assert_eq!(namespaces[0]["Name"], "default");
    let response = agent.get("/v1/namespace/default");
    let namespace = check_json(&response);
    assert_eq!(namespace["Name"], "default");
    check_error(
        &agent.get("/v1/namespace/missing"),
        404,
        "Namespace not found",
    );
    check(&agent.get("/v1/namespaces?prefix=x"), 200, "[]");
}

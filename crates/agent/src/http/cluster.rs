//! The routes around the Jobs API that real clients call: status, agent, regions, and reads of
//! evaluations, allocations, deployments, nodes and namespaces. The reads answer from one
//! snapshot with the index Nomad picks (the object's ModifyIndex, or its table's); writes that
//! need engine calls which do not exist yet answer 501.

use std::sync::Arc;

use axum::http::Method;
use axum::response::Response;
use drover_core::ApiError;
use drover_core::api::Read;
use drover_core::state::{Snapshot, Table};
use serde::Serialize;
use serde_json::json;

use super::call::{Call, Meta, error, invalid_method, no_route};
use super::options::QueryOptions;
use super::{App, not_implemented};
use crate::sim::NOMAD_VERSION;

/// `GET /v1/status/leader`: this server's RPC address.
pub async fn leader(app: App, call: Call) -> Response {
    if call.method != Method::GET {
        return invalid_method();
    }
    call.json(Meta::None, &app.info().rpc_addr())
}

/// `GET /v1/status/peers` and `/v1/agent/servers`: this server alone.
pub async fn peers(app: App, call: Call) -> Response {
    if call.method != Method::GET {
        return invalid_method();
    }
    call.json(Meta::None, &[app.info().rpc_addr()])
}

/// `GET /v1/regions`.
pub async fn regions(app: App, call: Call) -> Response {
    if call.method != Method::GET {
        return invalid_method();
    }
    call.json(Meta::None, &[&app.info().region])
}

/// The serf member this server would be.
fn member(app: &App) -> serde_json::Value {
    let info = app.info();
    json!({
        "Name": format!("{}.{}", info.node_name, info.region),
        "Addr": info.http_addr.ip().to_string(),
        "Port": 4648,
        "Status": "alive",
        "ProtocolMin": 1, "ProtocolMax": 5, "ProtocolCur": 2,
        "DelegateMin": 2, "DelegateMax": 5, "DelegateCur": 4,
        "Tags": {
            "role": "nomad", "region": info.region, "dc": info.datacenter,
            "build": NOMAD_VERSION, "vsn": "1", "mvn": "1", "bootstrap": "1",
            "port": "4647", "rpc_addr": info.rpc_addr().split(':').next().unwrap_or_default(),
        },
    })
}

/// `GET /v1/agent/self`: enough of Nomad's config, member and stats for clients that read the
/// region, datacenter or node name from it.
pub async fn agent_self(app: App, call: Call) -> Response {
    if call.method != Method::GET {
        return invalid_method();
    }
    let info = app.info();
    let body = json!({
        "config": {
            "Region": info.region,
            "Datacenter": info.datacenter,
            "NodeName": info.node_name,
            "BindAddr": info.http_addr.ip().to_string(),
            "DevMode": true,
            "Version": { "Version": NOMAD_VERSION, "VersionPrerelease": "", "VersionMetadata": "", "Revision": "" },
            "Ports": { "HTTP": info.http_addr.port(), "RPC": 4647, "Serf": 4648 },
            "ACL": { "Enabled": false },
            "Server": { "Enabled": true, "BootstrapExpect": 1, "NumSchedulers": null },
            "Client": { "Enabled": true },
        },
        "member": member(&app),
        "stats": {
            "nomad": {
                "server": "true", "leader": "true", "bootstrap": "true",
                "known_regions": "1", "leader_addr": info.rpc_addr(),
            },
            "runtime": {
                "arch": std::env::consts::ARCH, "version": "drover",
                "cpu_count": std::thread::available_parallelism().map_or(1, |n| n.get()).to_string(),
            },
        },
    });
    call.json(Meta::None, &body)
}

/// `GET /v1/agent/members`.
pub async fn members(app: App, call: Call) -> Response {
    if call.method != Method::GET {
        return invalid_method();
    }
    let info = app.info();
    let body = json!({
        "ServerName": info.node_name,
        "ServerRegion": info.region,
        "ServerDC": info.datacenter,
        "Members": [member(&app)],
    });
    call.json(Meta::None, &body)
}

/// A list read from one snapshot: the page, its index (the table's) and the next token.
async fn list<T: Serialize>(
    app: &App,
    call: &Call,
    table: Table,
    endpoint: &str,
    page: impl Fn(&Snapshot, &QueryOptions) -> (Vec<T>, String),
) -> Response {
    if call.method != Method::GET {
        return invalid_method();
    }
    let options = match QueryOptions::parse(call) {
        Ok(options) => options,
        Err(e) => return error(&e),
    };
    if !options.filter.is_empty() {
        return not_implemented(&format!("filter on {endpoint}"));
    }
    let result = app
        .query(&options, &[table], |engine| {
            let snapshot = engine.snapshot();
            let (value, next_token) = page(&snapshot, &options);
            Ok(Read {
                value,
                index: snapshot.table_index(table),
                next_token,
            })
        })
        .await;
    call.read(result)
}

/// A read of one object, answered at the index `index_of` picks (its ModifyIndex), or a 404
/// at the table's index.
async fn one<T: Serialize>(
    app: &App,
    call: &Call,
    table: Table,
    not_found: &str,
    find: impl Fn(&Snapshot) -> Option<T>,
    index_of: impl Fn(&T) -> u64,
) -> Response {
    let options = match QueryOptions::parse(call) {
        Ok(options) => options,
        Err(e) => return error(&e),
    };
    let result = app
        .query(&options, &[table], |engine| {
            let snapshot = engine.snapshot();
            match find(&snapshot) {
                Some(value) => Ok(Read {
                    index: index_of(&value),
                    value,
                    next_token: String::new(),
                }),
                None => Err(ApiError::not_found(not_found).at_index(snapshot.table_index(table))),
            }
        })
        .await;
    call.read(result)
}

/// The part of the path after `prefix`, split at `/`.
fn segments<'a>(call: &'a Call, prefix: &str) -> Vec<&'a str> {
    call.path
        .strip_prefix(prefix)
        .unwrap_or_default()
        .split('/')
        .collect()
}

/// `GET /v1/evaluations?prefix=`.
pub async fn evaluations(app: App, call: Call) -> Response {
    list(&app, &call, Table::Evals, "/v1/evaluations", |s, o| {
        let page = s.list_evals(&o.namespaces(), &o.page(), &|_| true);
        (page.items.into_iter().cloned().collect(), page.next_token)
    })
    .await
}

/// `GET /v1/evaluation/:id` and `/v1/evaluation/:id/allocations`.
pub async fn evaluation(app: App, call: Call) -> Response {
    if call.method != Method::GET {
        return invalid_method();
    }
    match segments(&call, "/v1/evaluation/")[..] {
        [id] => {
            one(
                &app,
                &call,
                Table::Evals,
                "eval not found",
                |s| s.eval(id),
                |o| o.modify_index,
            )
            .await
        }
        [id, "allocations"] => {
            list(
                &app,
                &call,
                Table::Allocs,
                "/v1/evaluation/:id/allocations",
                |s, _| {
                    let stubs = s.allocs_by_eval(id).iter().map(|a| a.stub(false)).collect();
                    (stubs, String::new())
                },
            )
            .await
        }
        _ => no_route(),
    }
}

/// `GET /v1/allocations?prefix=&resources=`.
pub async fn allocations(app: App, call: Call) -> Response {
    let resources = match call.query.bool("resources") {
        Ok(resources) => resources.unwrap_or(false),
        Err(e) => return error(&e),
    };
    list(&app, &call, Table::Allocs, "/v1/allocations", |s, o| {
        let page = s.list_allocs(&o.namespaces(), &o.page(), &|_| true);
        let stubs = page.items.iter().map(|a| a.stub(resources)).collect();
        (stubs, page.next_token)
    })
    .await
}

/// `GET /v1/allocation/:id` and `PUT/POST /v1/allocation/:id/stop`.
pub async fn allocation(app: App, call: Call) -> Response {
    match (&segments(&call, "/v1/allocation/")[..], &call.method) {
        ([id], &Method::GET) => {
            one(
                &app,
                &call,
                Table::Allocs,
                "alloc not found",
                |s| s.alloc(id),
                |o| o.modify_index,
            )
            .await
        }
        ([_, "stop"], _) if call.is_write() => not_implemented("allocation stop"),
        ([_], _) | ([_, "stop"], _) => invalid_method(),
        _ => no_route(),
    }
}

/// `GET /v1/deployments?prefix=`.
pub async fn deployments(app: App, call: Call) -> Response {
    list(&app, &call, Table::Deployment, "/v1/deployments", |s, o| {
        let page = s.list_deployments(&o.namespaces(), &o.page(), &|_| true);
        (page.items.into_iter().cloned().collect(), page.next_token)
    })
    .await
}

/// `GET /v1/deployment/:id`, `GET /v1/deployment/allocations/:id`, and the deployment writes
/// (`promote`, `fail`, `pause`, `allocation-health`, `unblock`).
pub async fn deployment(app: App, call: Call) -> Response {
    let get = call.method == Method::GET;
    match segments(&call, "/v1/deployment/")[..] {
        ["allocations", id] if get => {
            list(
                &app,
                &call,
                Table::Allocs,
                "/v1/deployment/allocations/:id",
                |s, _| {
                    let stubs = s
                        .allocs_by_deployment(id)
                        .iter()
                        .map(|a| a.stub(false))
                        .collect();
                    (stubs, String::new())
                },
            )
            .await
        }
        [
            action @ ("promote" | "fail" | "pause" | "allocation-health" | "unblock"),
            _,
        ] if call.is_write() => not_implemented(&format!("deployment {action}")),
        [
            "allocations" | "promote" | "fail" | "pause" | "allocation-health" | "unblock",
            _,
        ] => invalid_method(),
        [id] if get => {
            one(
                &app,
                &call,
                Table::Deployment,
                "deployment not found",
                |s| s.deployment(id),
                |d| d.modify_index,
            )
            .await
        }
        [_] => invalid_method(),
        _ => no_route(),
    }
}

/// `GET /v1/nodes?prefix=&resources=`.
pub async fn nodes(app: App, call: Call) -> Response {
    let resources = match call.query.bool("resources") {
        Ok(resources) => resources.unwrap_or(false),
        Err(e) => return error(&e),
    };
    list(&app, &call, Table::Nodes, "/v1/nodes", |s, o| {
        let stubs = s
            .nodes(&o.prefix)
            .map(|n| n.stub(false, resources))
            .collect();
        (stubs, String::new())
    })
    .await
}

/// `GET /v1/node/:id` and `GET /v1/node/:id/allocations`.
pub async fn node(app: App, call: Call) -> Response {
    if call.method != Method::GET {
        return invalid_method();
    }
    match segments(&call, "/v1/node/")[..] {
        [id] => {
            one(
                &app,
                &call,
                Table::Nodes,
                "node not found",
                |s| s.node(id),
                |o| o.modify_index,
            )
            .await
        }
        [id, "allocations"] => {
            list(
                &app,
                &call,
                Table::Allocs,
                "/v1/node/:id/allocations",
                |s, _| (s.allocs_by_node(id), String::new()),
            )
            .await
        }
        _ => no_route(),
    }
}

/// `GET /v1/namespaces?prefix=`.
pub async fn namespaces(app: App, call: Call) -> Response {
    list(&app, &call, Table::Namespaces, "/v1/namespaces", |s, o| {
        let namespaces: Vec<_> = s
            .namespaces()
            .filter(|n| n.name.starts_with(&o.prefix))
            .map(Arc::clone)
            .collect();
        (namespaces, String::new())
    })
    .await
}

/// `GET /v1/namespace/:name`; writes need the engine's namespace calls.
pub async fn namespace(app: App, call: Call) -> Response {
    match (&segments(&call, "/v1/namespace/")[..], &call.method) {
        ([name], &Method::GET) => {
            one(
                &app,
                &call,
                Table::Namespaces,
                "namespace not found",
                |s| s.namespace(name),
                |o| o.modify_index,
            )
            .await
        }
        ([_], &Method::DELETE) => not_implemented("namespace delete"),
        ([_], _) if call.is_write() => not_implemented("namespace upsert"),
        ([_], _) => invalid_method(),
        _ => no_route(),
    }
}

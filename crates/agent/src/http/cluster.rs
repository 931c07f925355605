//! The routes around the Jobs API that real clients call: status, agent, regions, reads of
//! evaluations, allocations, deployments and nodes, stopping an allocation and the deployment
//! writes. The reads answer from one snapshot with the index Nomad picks (the object's
//! ModifyIndex, or its table's).

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use drover_core::acl::Capability;
use drover_core::api::{Read, RequestContext};
use drover_core::model::gotext::quote;
use drover_core::model::{Allocation, Deployment, Evaluation};
use drover_core::state::{NamespaceSelector, Snapshot, Table};
use drover_core::{AllocStopOptions, ApiError, ApiResult, Engine, ListFilter};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::App;
use super::acl::read;
use super::call::{Call, Meta, error, invalid_method, no_route};
use super::options::QueryOptions;
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

/// `GET /v1/agent/self`: what clients read from Nomad's answer. The Go client takes the
/// region and datacenter from `config` and the node name from `member`; the CLI's
/// `agent-info` prints `stats` (every value a string), `agent check` reads
/// `stats.raft.num_peers`, and commands that need the local node read `stats.client.node_id`.
pub async fn agent_self(app: App, call: Call) -> Response {
    if call.method != Method::GET {
        return invalid_method();
    }
    let info = app.info();
    let snapshot = app.engine().snapshot();
    let local_node = snapshot.nodes("").find(|n| n.name == info.node_name);
    let node_id = local_node.map_or("", |n| n.id.as_str());
    let allocations =
        local_node.map_or(0, |n| snapshot.allocs_by_node_terminal(&n.id, false).len());
    let index = snapshot.latest_index().to_string();
    let body = json!({
        "config": {
            "Region": info.region,
            "Datacenter": info.datacenter,
            "NodeName": info.node_name,
            "BindAddr": info.http_addr.ip().to_string(),
            "DevMode": true,
            "Version": {
                "Version": NOMAD_VERSION, "VersionPrerelease": "", "VersionMetadata": "",
                "Revision": "", "BuildDate": "",
            },
            "Ports": { "HTTP": info.http_addr.port(), "RPC": 4647, "Serf": 4648 },
            "ACL": { "Enabled": app.engine().config().acl_enabled },
            "Server": { "Enabled": true, "BootstrapExpect": 1, "NumSchedulers": null },
            "Client": { "Enabled": true },
        },
        "member": member(&app),
        "stats": {
            "nomad": {
                "server": "true", "leader": "true", "bootstrap": "true",
                "known_regions": "1", "leader_addr": info.rpc_addr(),
            },
            "raft": {
                "state": "Leader", "num_peers": "0",
                "applied_index": index, "commit_index": index, "last_log_index": index,
            },
            "client": {
                "node_id": node_id, "known_servers": info.rpc_addr(),
                "num_allocations": allocations.to_string(),
            },
            "runtime": {
                "arch": std::env::consts::ARCH, "os": std::env::consts::OS, "version": "drover",
                "cpu_count": std::thread::available_parallelism().map_or(1, |n| n.get()).to_string(),
            },
        },
    });
    call.json(Meta::None, &body)
}

/// `PUT/POST /v1/agent/join?address=`: drover is one server without a gossip pool, so no
/// address can be joined; as Nomad does for a failed join, the answer is a 200 that says so.
pub async fn join(_app: App, call: Call) -> Response {
    if !call.is_write() {
        return invalid_method();
    }
    let addresses: Vec<&str> = call.query.values("address").collect();
    if addresses.is_empty() {
        return error(&ApiError::bad_request("missing address to join"));
    }
    let body = json!({
        "num_joined": 0,
        "error": format!(
            "drover runs a single server without a gossip pool; not joined: {}",
            addresses.join(", ")
        ),
        "warning": "",
    });
    call.json(Meta::None, &body)
}

/// `PUT/POST /v1/agent/force-leave?node=`: there is no gossip member to remove but this
/// server, so nothing changes; Nomad's answer is a 200 with an empty body.
pub async fn force_leave(_app: App, call: Call) -> Response {
    if !call.is_write() {
        return invalid_method();
    }
    if call.query.get("node").is_empty() {
        return error(&ApiError::bad_request("missing node to force leave"));
    }
    if call.query.bool("prune").is_err() {
        return error(&ApiError::bad_request("invalid prune value"));
    }
    StatusCode::OK.into_response()
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

/// Whose records a read may show, by Nomad's checks for the reads around the Jobs API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// No namespace check (nodes).
    Open,
    /// read-job in the request's namespace (403 without it); a list shows the namespaces of
    /// the request (`*`: all) whose jobs the token may read.
    ReadJob,
}

/// What a list's page is read from.
struct Listing<'a> {
    engine: &'a Engine,
    snapshot: Snapshot,
    options: &'a QueryOptions,
    /// The namespaces the list may show.
    namespaces: NamespaceSelector,
    filter: ListFilter,
}

/// A list read from one snapshot: the page, its index (the table's) and the next token.
/// `page` applies `?filter=` where Nomad's endpoint does (before paging); the others ignore
/// it, as Nomad does.
async fn list<T: Serialize>(
    app: &App,
    call: &Call,
    table: Table,
    access: Access,
    page: impl Fn(&Listing) -> ApiResult<(Vec<T>, String)>,
) -> Response {
    if call.method != Method::GET {
        return invalid_method();
    }
    let options = match QueryOptions::parse(call) {
        Ok(options) => options,
        Err(e) => return error(&e),
    };
    let result = app
        .query(&options, &[table], |engine| {
            let namespaces = match access {
                Access::Open => options.namespaces(),
                Access::ReadJob => engine.readable_namespaces(&options.context)?,
            };
            let listing = Listing {
                engine,
                snapshot: engine.snapshot(),
                options: &options,
                namespaces,
                filter: ListFilter::parse(&options.filter)?,
            };
            let (value, next_token) = page(&listing)?;
            let index = listing.snapshot.table_index(table);
            listing.filter.finish()?;
            Ok(Read {
                value,
                index,
                next_token,
            })
        })
        .await;
    call.read(result)
}

/// A read of one object, answered at the index `index_of` picks (its ModifyIndex), or a 404
/// at the table's index. `find` makes the checks on the object's own namespace.
async fn one<T: Serialize>(
    app: &App,
    call: &Call,
    table: Table,
    access: Access,
    not_found: &str,
    find: impl Fn(&Engine, &Snapshot) -> ApiResult<Option<T>>,
    index_of: impl Fn(&T) -> u64,
) -> Response {
    let options = match QueryOptions::parse(call) {
        Ok(options) => options,
        Err(e) => return error(&e),
    };
    let ctx = &options.context;
    let result = app
        .query(&options, &[table], |engine| {
            if access == Access::ReadJob {
                engine.authorize_namespace(ctx, ctx.namespace(), Capability::ReadJob)?;
            }
            let snapshot = engine.snapshot();
            match find(engine, &snapshot)? {
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

/// Nomad's second check on a read of a deployment or of an evaluation's or a deployment's
/// allocations: read-job in the namespace of what was found, when it is not the request's.
fn readable_in(engine: &Engine, ctx: &RequestContext, namespace: Option<&str>) -> ApiResult<()> {
    match namespace {
        Some(namespace) if namespace != ctx.namespace() => {
            engine.authorize_namespace(ctx, namespace, Capability::ReadJob)
        }
        _ => Ok(()),
    }
}

/// The part of the path after `prefix`, split at `/`.
fn segments<'a>(call: &'a Call, prefix: &str) -> Vec<&'a str> {
    call.path
        .strip_prefix(prefix)
        .unwrap_or_default()
        .split('/')
        .collect()
}

/// `GET /v1/evaluations?prefix=&filter=`, and the older `?job=` and `?status=` filters,
/// which cannot be combined with `filter`.
pub async fn evaluations(app: App, call: Call) -> Response {
    let job = call.query.get("job").to_string();
    let status = call.query.get("status").to_string();
    let legacy = !job.is_empty() || !status.is_empty();
    if legacy && !call.query.get("filter").is_empty() {
        return error(&ApiError::bad_request(
            "Filter expression cannot be used with other filter parameters",
        ));
    }
    list(&app, &call, Table::Evals, Access::ReadJob, |l| {
        let keep = |e: &Evaluation| {
            (job.is_empty() || e.job_id == job)
                && (status.is_empty() || e.status.as_str() == status)
                && l.filter.keep(e)
        };
        let page = l
            .snapshot
            .list_evals(&l.namespaces, &l.options.page(), &keep);
        Ok((page.items.into_iter().cloned().collect(), page.next_token))
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
            let related = match call.query.bool("related") {
                Ok(related) => related.unwrap_or(false),
                Err(e) => return error(&e),
            };
            let ctx = call.context();
            one(
                &app,
                &call,
                Table::Evals,
                Access::ReadJob,
                "eval not found",
                |e, s| {
                    let eval = s.eval(id);
                    // Nomad asks for read-job in the evaluation's namespace even when it is
                    // the request's.
                    let Some(eval) = eval else {
                        return Ok(None);
                    };
                    e.authorize_namespace(&ctx, &eval.namespace, Capability::ReadJob)?;
                    if !related {
                        return Ok(Some(eval));
                    }
                    Ok(Some(Arc::new(Evaluation {
                        related_evals: Some(s.evals_related_to(id)),
                        ..(*eval).clone()
                    })))
                },
                |o| o.modify_index,
            )
            .await
        }
        [id, "allocations"] => {
            list(&app, &call, Table::Allocs, Access::ReadJob, |l| {
                let allocs = l.snapshot.allocs_by_eval(id);
                let first = allocs.first().map(|a| a.namespace.as_str());
                readable_in(l.engine, &l.options.context, first)?;
                let stubs = allocs.iter().map(|a| a.stub(false)).collect();
                Ok((stubs, String::new()))
            })
            .await
        }
        _ => no_route(),
    }
}

/// `GET /v1/allocations?prefix=&filter=&resources=`; the filter sees whole allocations.
pub async fn allocations(app: App, call: Call) -> Response {
    let resources = match call.query.bool("resources") {
        Ok(resources) => resources.unwrap_or(false),
        Err(e) => return error(&e),
    };
    list(&app, &call, Table::Allocs, Access::ReadJob, |l| {
        let keep = |a: &Allocation| l.filter.keep(a);
        let page = l
            .snapshot
            .list_allocs(&l.namespaces, &l.options.page(), &keep);
        let stubs = page.items.iter().map(|a| a.stub(resources)).collect();
        Ok((stubs, page.next_token))
    })
    .await
}

/// `GET /v1/allocation/:id` and `PUT/POST /v1/allocation/:id/stop`.
pub async fn allocation(app: App, call: Call) -> Response {
    match (&segments(&call, "/v1/allocation/")[..], &call.method) {
        ([id], &Method::GET) => {
            let ctx = call.context();
            one(
                &app,
                &call,
                Table::Allocs,
                Access::Open,
                "alloc not found",
                |e, s| {
                    let alloc = s.alloc(id);
                    // Nomad hides an allocation the token may not read as an unknown one.
                    if let Some(alloc) = &alloc {
                        e.authorize_namespace(&ctx, &alloc.namespace, Capability::ReadJob)
                            .map_err(|_| {
                                ApiError::internal(format!("Unknown allocation {}", quote(id)))
                            })?;
                    }
                    Ok(alloc)
                },
                |o| o.modify_index,
            )
            .await
        }
        ([id, "stop"], _) if call.is_write() => stop_allocation(&app, &call, id).await,
        ([_], _) | ([_, "stop"], _) => invalid_method(),
        _ => no_route(),
    }
}

/// `?no_shutdown_delay=` and `?reschedule=`; an unparsable one is Nomad's 500.
fn stop_options(call: &Call) -> ApiResult<AllocStopOptions> {
    Ok(AllocStopOptions {
        no_shutdown_delay: call.query.bool("no_shutdown_delay")?.unwrap_or(false),
        reschedule: call.query.bool("reschedule")?.unwrap_or(false),
    })
}

async fn stop_allocation(app: &App, call: &Call, id: &str) -> Response {
    let result = match stop_options(call) {
        Ok(options) => {
            let ctx = call.context();
            let id = id.to_string();
            app.write(
                move |engine| engine.stop_allocation(&ctx, &id, options),
                |r| &r.eval_id,
            )
            .await
        }
        Err(e) => Err(e),
    };
    call.reply(result, |r| Meta::Index(r.index))
}

/// `GET /v1/deployments?prefix=&filter=`.
pub async fn deployments(app: App, call: Call) -> Response {
    list(&app, &call, Table::Deployment, Access::ReadJob, |l| {
        let keep = |d: &Deployment| l.filter.keep(d);
        let page = l
            .snapshot
            .list_deployments(&l.namespaces, &l.options.page(), &keep);
        Ok((page.items.into_iter().cloned().collect(), page.next_token))
    })
    .await
}

/// `GET /v1/deployment/:id`, `GET /v1/deployment/allocations/:id`, and the deployment writes
/// (`promote`, `fail`, `pause`, `allocation-health`, `unblock`).
pub async fn deployment(app: App, call: Call) -> Response {
    let get = call.method == Method::GET;
    match segments(&call, "/v1/deployment/")[..] {
        ["allocations", id] if get => {
            list(&app, &call, Table::Allocs, Access::ReadJob, |l| {
                let allocs = l.snapshot.allocs_by_deployment(id);
                let first = allocs.first().map(|a| a.namespace.as_str());
                readable_in(l.engine, &l.options.context, first)?;
                let stubs = allocs.iter().map(|a| a.stub(false)).collect();
                Ok((stubs, String::new()))
            })
            .await
        }
        [
            action @ ("promote" | "fail" | "pause" | "allocation-health" | "unblock"),
            id,
        ] if call.is_write() => deployment_write(&app, &call, action, id).await,
        [
            "allocations" | "promote" | "fail" | "pause" | "allocation-health" | "unblock",
            _,
        ] => invalid_method(),
        [id] if get => {
            let ctx = call.context();
            one(
                &app,
                &call,
                Table::Deployment,
                Access::ReadJob,
                "deployment not found",
                |e, s| {
                    let deployment = s.deployment(id);
                    readable_in(e, &ctx, deployment.as_ref().map(|d| d.namespace.as_str()))?;
                    Ok(deployment)
                },
                |d| d.modify_index,
            )
            .await
        }
        [_] => invalid_method(),
        _ => no_route(),
    }
}

/// The body of the deployment writes but `fail` (Nomad's `DeploymentPromoteRequest`,
/// `DeploymentPauseRequest`, `DeploymentAllocHealthRequest` and `DeploymentUnblockRequest`;
/// each reads its own fields).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct DeploymentWrite {
    #[serde(rename = "DeploymentID")]
    deployment_id: String,
    all: bool,
    groups: Vec<String>,
    pause: bool,
    #[serde(rename = "HealthyAllocationIDs")]
    healthy_allocation_ids: Vec<String>,
    /// python-nomad sends `UnHealthyAllocationIDs`, which Go's case-insensitive decoding
    /// takes.
    #[serde(rename = "UnhealthyAllocationIDs", alias = "UnHealthyAllocationIDs")]
    unhealthy_allocation_ids: Vec<String>,
}

/// `PUT/POST /v1/deployment/<action>/:id`. Every action but `fail` reads a body whose
/// `DeploymentID` must be the URL's.
async fn deployment_write(app: &App, call: &Call, action: &str, id: &str) -> Response {
    let request = if action == "fail" {
        DeploymentWrite::default()
    } else {
        let request = match call.decode::<DeploymentWrite>() {
            Ok(request) => request,
            Err(e) => return error(&e),
        };
        if request.deployment_id.is_empty() {
            return error(&ApiError::bad_request("DeploymentID must be specified"));
        }
        if request.deployment_id != id {
            return error(&ApiError::bad_request("Deployment ID does not match"));
        }
        request
    };
    let ctx = call.context();
    let id = id.to_string();
    let action = action.to_string();
    let result = app
        .write(
            move |engine| match action.as_str() {
                "promote" => engine.promote_deployment(&ctx, &id, request.all, request.groups),
                "fail" => engine.fail_deployment(&ctx, &id),
                "pause" => engine.pause_deployment(&ctx, &id, request.pause),
                "unblock" => engine.unblock_deployment(&ctx, &id),
                _ => engine.set_deployment_alloc_health(
                    &ctx,
                    &id,
                    request.healthy_allocation_ids,
                    request.unhealthy_allocation_ids,
                ),
            },
            |r| &r.eval_id,
        )
        .await;
    call.reply(result, |r| Meta::Index(r.index))
}

/// `GET /v1/nodes?prefix=&filter=&per_page=&next_token=&resources=&os=`; the filter sees whole
/// nodes.
pub async fn nodes(app: App, call: Call) -> Response {
    if call.method != Method::GET {
        return invalid_method();
    }
    let (resources, os) = match (call.query.bool("resources"), call.query.bool("os")) {
        (Ok(resources), Ok(os)) => (resources.unwrap_or(false), os.unwrap_or(false)),
        (Err(e), _) | (_, Err(e)) => return error(&e),
    };
    read(&app, &call, Table::Nodes, |engine, options| {
        let nodes = engine.list_nodes(&options.page(), &options.filter)?;
        Ok(Read {
            value: nodes
                .value
                .iter()
                .map(|n| n.stub(os, resources))
                .collect::<Vec<_>>(),
            index: nodes.index,
            next_token: nodes.next_token,
        })
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
                Access::Open,
                "node not found",
                |_, s| Ok(s.node(id)),
                |o| o.modify_index,
            )
            .await
        }
        [id, "allocations"] => {
            list(&app, &call, Table::Allocs, Access::Open, |l| {
                Ok((l.snapshot.allocs_by_node(id), String::new()))
            })
            .await
        }
        _ => no_route(),
    }
}

//! `/v1/namespaces`, `/v1/namespace` (create) and `/v1/namespace/:name` (Nomad's
//! `command/agent/namespace_endpoint.go` over the engine's namespace calls).

use axum::http::Method;
use axum::response::Response;
use drover_core::ApiError;
use drover_core::model::Namespace;
use drover_core::state::Table;

use super::App;
use super::acl::{read, written};
use super::call::{Call, error, invalid_method};

/// `GET /v1/namespaces?prefix=`.
pub async fn namespaces(app: App, call: Call) -> Response {
    if call.method != Method::GET {
        return invalid_method();
    }
    read(&app, &call, Table::Namespaces, |engine, options| {
        engine.list_namespaces(&options.context, &options.prefix)
    })
    .await
}

/// `PUT/POST /v1/namespace`: creates or updates the namespace the body names.
pub async fn create(app: App, call: Call) -> Response {
    if !call.is_write() {
        return invalid_method();
    }
    upsert(&app, &call, None).await
}

/// `GET`, `PUT/POST` and `DELETE /v1/namespace/:name`.
pub async fn namespace(app: App, call: Call) -> Response {
    let name = call
        .path
        .strip_prefix("/v1/namespace/")
        .unwrap_or_default()
        .to_string();
    if name.is_empty() {
        return error(&ApiError::bad_request("Missing Namespace Name"));
    }
    match call.method {
        Method::GET => {
            read(&app, &call, Table::Namespaces, |engine, options| {
                engine.read_namespace(&options.context, &name)
            })
            .await
        }
        Method::DELETE => {
            let ctx = call.context();
            written(
                app.write(move |e| e.delete_namespace(&ctx, &name), |_| "")
                    .await,
            )
        }
        _ if call.is_write() => upsert(&app, &call, Some(name)).await,
        _ => invalid_method(),
    }
}

async fn upsert(app: &App, call: &Call, name: Option<String>) -> Response {
    let namespace = match call.decode::<Namespace>() {
        Ok(namespace) => namespace,
        Err(e) => return error(&e),
    };
    let ctx = call.context();
    written(
        app.write(
            move |e| e.upsert_namespace(&ctx, name.as_deref(), namespace),
            |_| "",
        )
        .await,
    )
}

//! `/v1/acl/bootstrap`, `/v1/acl/policies`, `/v1/acl/policy/:name`, `/v1/acl/tokens`,
//! `/v1/acl/token`, `/v1/acl/token/self` and `/v1/acl/token/:accessor` (Nomad's
//! `command/agent/acl_endpoint.go` over the engine's ACL calls).

use std::sync::Arc;

use axum::http::Method;
use axum::response::{IntoResponse, Response};
use drover_core::api::{AclBootstrapRequest, AclTokenRequest, Read, RequestContext};
use drover_core::model::{AclPolicy, AclToken};
use drover_core::state::Table;
use drover_core::{ApiError, ApiResult, Engine};
use serde::Serialize;

use super::App;
use super::call::{Call, Meta, error, invalid_method};
use super::options::QueryOptions;

/// The file in the data directory whose number allows one more bootstrap (Nomad's).
const BOOTSTRAP_RESET_FILE: &str = "acl-bootstrap-reset";

/// `PUT/POST /v1/acl/bootstrap`, with an optional body `{"BootstrapSecret": "..."}`.
pub async fn bootstrap(app: App, call: Call) -> Response {
    if !call.is_write() {
        return invalid_method();
    }
    let request = if call.body.is_empty() {
        AclBootstrapRequest::default()
    } else {
        match call.decode::<AclBootstrapRequest>() {
            Ok(request) => request,
            Err(e) => {
                return error(&ApiError::bad_request(format!(
                    "failed to decode request body: {}",
                    e.message
                )));
            }
        }
    };
    let reset_index = bootstrap_reset_index(&app);
    let result = app
        .write(
            move |engine| engine.bootstrap_acl(&request, reset_index),
            |_| "",
        )
        .await;
    token_reply(&call, result)
}

/// The number in `<data-dir>/acl-bootstrap-reset`, 0 without one (Nomad logs and ignores a
/// file it cannot read).
fn bootstrap_reset_index(app: &App) -> u64 {
    let Some(dir) = &app.info().data_dir else {
        return 0;
    };
    std::fs::read_to_string(dir.join(BOOTSTRAP_RESET_FILE))
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(0)
}

/// `GET /v1/acl/policies?prefix=`.
pub async fn policies(app: App, call: Call) -> Response {
    if call.method != Method::GET {
        return invalid_method();
    }
    read(&app, &call, Table::AclPolicy, |engine, options| {
        engine.list_acl_policies(&options.context, &options.prefix)
    })
    .await
}

/// `GET`, `PUT/POST` and `DELETE /v1/acl/policy/:name`.
pub async fn policy(app: App, call: Call) -> Response {
    let name = call
        .path
        .strip_prefix("/v1/acl/policy/")
        .unwrap_or_default()
        .to_string();
    if name.is_empty() {
        return error(&ApiError::bad_request("Missing Policy Name"));
    }
    match call.method {
        Method::GET => {
            read(&app, &call, Table::AclPolicy, |engine, options| {
                engine.read_acl_policy(&options.context, &name)
            })
            .await
        }
        Method::DELETE => {
            let ctx = call.context();
            written(
                app.write(move |e| e.delete_acl_policy(&ctx, &name), |_| "")
                    .await,
            )
        }
        _ if call.is_write() => {
            let policy = match call.decode::<AclPolicy>() {
                Ok(policy) => policy,
                Err(e) => return error(&e),
            };
            let ctx = call.context();
            written(
                app.write(move |e| e.upsert_acl_policy(&ctx, &name, policy), |_| "")
                    .await,
            )
        }
        _ => invalid_method(),
    }
}

/// `GET /v1/acl/tokens?prefix=&filter=&per_page=&next_token=&reverse=`.
pub async fn tokens(app: App, call: Call) -> Response {
    if call.method != Method::GET {
        return invalid_method();
    }
    read(&app, &call, Table::AclToken, |engine, options| {
        engine.list_acl_tokens(&options.context, &options.page(), &options.filter)
    })
    .await
}

/// `PUT/POST /v1/acl/token`: creates a token.
pub async fn create_token(app: App, call: Call) -> Response {
    if !call.is_write() {
        return invalid_method();
    }
    upsert_token(&app, &call, None).await
}

/// `GET /v1/acl/token/self`, and `GET`, `PUT/POST` and `DELETE /v1/acl/token/:accessor`.
pub async fn token(app: App, call: Call) -> Response {
    let accessor = call
        .path
        .strip_prefix("/v1/acl/token/")
        .unwrap_or_default()
        .to_string();
    if accessor == "self" {
        if call.method != Method::GET {
            return invalid_method();
        }
        return read(&app, &call, Table::AclToken, |engine, options| {
            engine.acl_token_self(&options.context)
        })
        .await;
    }
    if accessor.is_empty() {
        return error(&ApiError::bad_request("Missing Token Accessor"));
    }
    match call.method {
        Method::GET => {
            read(&app, &call, Table::AclToken, |engine, options| {
                engine.read_acl_token(&options.context, &accessor)
            })
            .await
        }
        Method::DELETE => {
            let ctx = call.context();
            written(
                app.write(move |e| e.delete_acl_token(&ctx, &accessor), |_| "")
                    .await,
            )
        }
        _ if call.is_write() => upsert_token(&app, &call, Some(accessor)).await,
        _ => invalid_method(),
    }
}

async fn upsert_token(app: &App, call: &Call, accessor: Option<String>) -> Response {
    let request = match call.decode::<AclTokenRequest>() {
        Ok(request) => request,
        Err(e) => return error(&e),
    };
    let ctx: RequestContext = call.context();
    let result = app
        .write(
            move |e| e.upsert_acl_token(&ctx, accessor.as_deref(), request),
            |_| "",
        )
        .await;
    token_reply(call, result)
}

/// A written token with `X-Nomad-Index`.
fn token_reply(call: &Call, result: ApiResult<(Arc<AclToken>, u64)>) -> Response {
    match result {
        Ok((token, index)) => call.json(Meta::Index(index), &token),
        Err(e) => error(&e),
    }
}

/// A read served as a blocking query on `table`.
pub(super) async fn read<T: Serialize>(
    app: &App,
    call: &Call,
    table: Table,
    query: impl Fn(&Engine, &QueryOptions) -> ApiResult<Read<T>>,
) -> Response {
    let options = match QueryOptions::parse(call) {
        Ok(options) => options,
        Err(e) => return error(&e),
    };
    let result = app
        .query(&options, &[table], |engine| query(engine, &options))
        .await;
    call.read(result)
}

/// A write that answers nothing but its index: 200 with an empty body and `X-Nomad-Index`,
/// as Nomad's handlers that return no value do.
pub(super) fn written(result: ApiResult<u64>) -> Response {
    match result {
        Ok(index) => [("X-Nomad-Index", index.to_string())].into_response(),
        Err(e) => error(&e),
    }
}

//! `/v1/jobs`, `/v1/jobs/parse`, `/v1/job/<id...>[/<suffix>]` and `/v1/validate/job`.
//!
//! Like Nomad's `JobSpecificRequest`, a job path is routed by its suffix on the decoded path,
//! so a job ID may hold `/`, sent raw (python-nomad) or as `%2F` (the Go client): whatever
//! precedes a known suffix is the ID, and a path with no known suffix is the job itself.

use axum::http::Method;
use axum::response::Response;
use drover_core::api::{
    JobDeregisterOptions, JobDispatchRequest, JobEvaluateRequest, JobPlanRequest,
    JobRegisterRequest, JobRevertRequest, JobStabilityRequest, JobValidateRequest,
    JobVersionsOptions, JobsParseRequest, ListJobsOptions, Read, RequestContext, ScalingRequest,
};
use drover_core::state::Table;
use drover_core::{ApiError, ApiResult, Engine, JobTagRequest, tables};
use serde::Serialize;

use super::App;
use super::call::{Call, Meta, error, invalid_method, parse_go_bool};
use super::options::QueryOptions;

/// The tables `GET /v1/job/:id/scale` reads.
const SCALE_STATUS: &[Table] = &[Table::Jobs, Table::Allocs, Table::ScalingEvent];

/// What a `/v1/job/...` path asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobRoute {
    Job,
    Evaluate,
    Allocations,
    Evaluations,
    PeriodicForce,
    Plan,
    Summary,
    Dispatch,
    DispatchPayload,
    Versions,
    Revert,
    Deployments,
    Deployment,
    Stable,
    Scale,
    Services,
    Submission,
    Actions,
    Action,
    /// `<id>/<anything>/<name>/tag`; carries the tag name's position.
    Tag,
}

/// The suffixes in Nomad's matching order (the first that matches wins).
const SUFFIXES: [(&str, JobRoute); 19] = [
    ("/evaluate", JobRoute::Evaluate),
    ("/allocations", JobRoute::Allocations),
    ("/evaluations", JobRoute::Evaluations),
    ("/periodic/force", JobRoute::PeriodicForce),
    ("/plan", JobRoute::Plan),
    ("/summary", JobRoute::Summary),
    ("/dispatch", JobRoute::Dispatch),
    ("/dispatch/payload", JobRoute::DispatchPayload),
    ("/versions", JobRoute::Versions),
    ("/revert", JobRoute::Revert),
    ("/deployments", JobRoute::Deployments),
    ("/deployment", JobRoute::Deployment),
    ("/stable", JobRoute::Stable),
    ("/scale", JobRoute::Scale),
    ("/services", JobRoute::Services),
    ("/submission", JobRoute::Submission),
    ("/actions", JobRoute::Actions),
    ("/action", JobRoute::Action),
    ("/tag", JobRoute::Tag),
];

/// Routes the decoded path after `/v1/job/`: the route, the job ID and, for a tag, its name.
/// A tag path that is not `<id>/<anything>/<name>/tag` is Nomad's 404.
pub fn route_job_path(path: &str) -> ApiResult<(JobRoute, &str, &str)> {
    let Some((route, id)) = SUFFIXES
        .iter()
        .find_map(|(suffix, route)| path.strip_suffix(suffix).map(|id| (*route, id)))
    else {
        return Ok((JobRoute::Job, path, ""));
    };
    if route != JobRoute::Tag {
        return Ok((route, id, ""));
    }
    match path.split('/').collect::<Vec<_>>()[..] {
        [id, _, name, _] => Ok((JobRoute::Tag, id, name)),
        _ => Err(ApiError::not_found("invalid job tag endpoint")),
    }
}

/// `GET /v1/jobs` (list) and `PUT/POST /v1/jobs` (register).
pub async fn jobs(app: App, call: Call) -> Response {
    match call.method {
        Method::GET => list(&app, &call).await,
        _ if call.is_write() => {
            let result = match JobRegisterRequest::from_json(&call.body) {
                Ok(request) => {
                    let ctx = call.context();
                    app.write(
                        move |engine| engine.register_job(&ctx, request),
                        |r| &r.eval_id,
                    )
                    .await
                }
                Err(e) => Err(e),
            };
            call.reply(result, |r| Meta::Index(r.index))
        }
        _ => invalid_method(),
    }
}

async fn list(app: &App, call: &Call) -> Response {
    let options = match QueryOptions::parse(call) {
        Ok(options) => options,
        Err(e) => return error(&e),
    };
    let meta = match call.query.bool("meta") {
        Ok(meta) => meta.unwrap_or(false),
        Err(e) => return error(&e),
    };
    let list = ListJobsOptions {
        prefix: options.prefix.clone(),
        per_page: options.per_page,
        next_token: options.next_token.clone(),
        filter: options.filter.clone(),
        reverse: options.reverse,
        meta,
    };
    let result = app
        .query(&options, tables::JOB_LIST, |engine| {
            engine.list_jobs(&options.context, &list)
        })
        .await;
    call.read_job_list(result)
}

/// `PUT/POST /v1/jobs/parse`.
pub async fn parse(app: App, call: Call) -> Response {
    if !call.is_write() {
        return invalid_method();
    }
    let result = match call.decode::<JobsParseRequest>() {
        Ok(request) => app.engine().parse_job(&call.context(), request),
        Err(e) => Err(e),
    };
    call.reply(result, |_| Meta::None)
}

/// `PUT/POST /v1/validate/job`.
pub async fn validate(app: App, call: Call) -> Response {
    if !call.is_write() {
        return invalid_method();
    }
    let result = match call.decode::<JobValidateRequest>() {
        Ok(request) => app.engine().validate_job(&call.context(), request),
        Err(e) => Err(e),
    };
    call.reply(result, |_| Meta::None)
}

/// `/v1/job/<id...>[/<suffix>]`.
pub async fn job(app: App, call: Call) -> Response {
    let path = call
        .path
        .strip_prefix("/v1/job/")
        .unwrap_or_default()
        .to_string();
    let (route, id, tag) = match route_job_path(&path) {
        Ok(routed) => routed,
        Err(e) => return error(&e),
    };
    let id = id.to_string();
    let get = call.method == Method::GET;
    let write = call.is_write();
    match route {
        JobRoute::Job => match call.method {
            Method::GET => read(&app, &call, tables::JOB, |e, ctx| e.read_job(ctx, &id)).await,
            Method::DELETE => deregister(&app, &call, id).await,
            _ if write => {
                let result = match JobRegisterRequest::from_json(&call.body) {
                    Ok(request) => {
                        let ctx = call.context();
                        app.write(
                            move |engine| engine.update_job(&ctx, &id, request),
                            |r| &r.eval_id,
                        )
                        .await
                    }
                    Err(e) => Err(e),
                };
                call.reply(result, |r| Meta::Index(r.index))
            }
            _ => invalid_method(),
        },
        JobRoute::Submission => {
            let Ok(version) = call.query.get("version").parse::<u64>() else {
                return error(&ApiError::bad_request(
                    "Unable to parse job submission version parameter",
                ));
            };
            if !get {
                return invalid_method();
            }
            read(&app, &call, tables::JOB, |e, ctx| {
                e.job_submission(ctx, &id, version)
            })
            .await
        }
        // Nomad serves any method on these two as a read.
        JobRoute::Versions => versions(&app, &call, &id).await,
        JobRoute::Summary => {
            read(&app, &call, tables::JOB_SUMMARY, |e, ctx| {
                e.job_summary(ctx, &id)
            })
            .await
        }
        JobRoute::Allocations if get => {
            let all = parse_go_bool(call.query.get("all")).unwrap_or(false);
            read(&app, &call, tables::ALLOCS, |e, ctx| {
                e.job_allocations(ctx, &id, all)
            })
            .await
        }
        JobRoute::Evaluations if get => {
            read(&app, &call, tables::EVALS, |e, ctx| {
                e.job_evaluations(ctx, &id)
            })
            .await
        }
        JobRoute::Deployments if get => {
            let all = parse_go_bool(call.query.get("all")).unwrap_or(false);
            read(&app, &call, tables::DEPLOYMENTS, |e, ctx| {
                e.job_deployments(ctx, &id, all)
            })
            .await
        }
        JobRoute::Deployment if get => {
            read(&app, &call, tables::DEPLOYMENTS, |e, ctx| {
                e.job_latest_deployment(ctx, &id)
            })
            .await
        }
        JobRoute::Evaluate if write => {
            let request = if call.body.is_empty() {
                None
            } else {
                match call.decode::<JobEvaluateRequest>() {
                    Ok(request) => Some(request),
                    Err(e) => return error(&e),
                }
            };
            let ctx = call.context();
            let result = app
                .write(
                    move |engine| engine.evaluate_job(&ctx, &id, request),
                    |r| &r.eval_id,
                )
                .await;
            call.reply(result, |r| Meta::Index(r.index))
        }
        JobRoute::Plan if write => {
            let result = match JobPlanRequest::from_json(&call.body) {
                Ok(request) => {
                    let ctx = call.context();
                    app.write(move |engine| engine.plan_job(&ctx, &id, request), |_| "")
                        .await
                }
                Err(e) => Err(e),
            };
            call.reply(result, |r| Meta::Index(r.index))
        }
        JobRoute::PeriodicForce if write => {
            let ctx = call.context();
            let result = app
                .write(
                    move |engine| engine.force_periodic_launch(&ctx, &id),
                    |r| &r.eval_id,
                )
                .await;
            call.reply(result, |r| Meta::Index(r.index))
        }
        JobRoute::Dispatch | JobRoute::DispatchPayload if write => {
            let request = if route == JobRoute::DispatchPayload {
                Ok(JobDispatchRequest {
                    payload: call.body.to_vec(),
                    ..JobDispatchRequest::default()
                })
            } else {
                call.decode::<JobDispatchRequest>()
            };
            let result = match request {
                Ok(request) => {
                    let ctx = call.context();
                    let token = call.query.get("idempotency_token").to_string();
                    app.write(
                        move |engine| engine.dispatch_job(&ctx, &id, request, &token),
                        |r| &r.eval_id,
                    )
                    .await
                }
                Err(e) => Err(e),
            };
            call.reply(result, |r| Meta::Index(r.index))
        }
        JobRoute::Revert if write => {
            let result = match call.decode::<JobRevertRequest>() {
                Ok(request) => {
                    let ctx = call.context();
                    app.write(
                        move |engine| engine.revert_job(&ctx, &id, &request),
                        |r| &r.eval_id,
                    )
                    .await
                }
                Err(e) => Err(e),
            };
            // Nomad sets the query meta here, which the register path never fills in: the
            // leader is reported unknown.
            call.reply(result, |r| Meta::Query {
                index: r.index,
                known_leader: false,
                next_token: String::new(),
            })
        }
        JobRoute::Stable if write => {
            let result = match call.decode::<JobStabilityRequest>() {
                Ok(request) => {
                    let ctx = call.context();
                    app.write(
                        move |engine| engine.set_job_stability(&ctx, &id, &request),
                        |_| "",
                    )
                    .await
                }
                Err(e) => Err(e),
            };
            call.reply(result, |r| Meta::Index(r.index))
        }
        JobRoute::Scale if get => {
            read(&app, &call, SCALE_STATUS, |e, ctx| {
                e.job_scale_status(ctx, &id)
            })
            .await
        }
        JobRoute::Scale if write => {
            let result = match call.decode::<ScalingRequest>() {
                Ok(request) => {
                    let ctx = call.context();
                    app.write(
                        move |engine| engine.scale_job(&ctx, &id, request),
                        |r| &r.eval_id,
                    )
                    .await
                }
                Err(e) => Err(e),
            };
            call.reply(result, |r| Meta::Index(r.index))
        }
        JobRoute::Services if get => {
            read(&app, &call, tables::SERVICES, |e, ctx| {
                e.job_services(ctx, &id)
            })
            .await
        }
        JobRoute::Tag if write => {
            let result = match call.decode::<JobTagRequest>() {
                Ok(request) => {
                    let ctx = call.context();
                    let name = tag.to_string();
                    app.write(
                        move |engine| engine.tag_job_version(&ctx, &id, &name, &request),
                        |_| "",
                    )
                    .await
                }
                Err(e) => Err(e),
            };
            call.reply(result, |_| Meta::None)
        }
        JobRoute::Tag if call.method == Method::DELETE => {
            let ctx = call.context();
            let name = tag.to_string();
            let result = app
                .write(
                    move |engine| engine.untag_job_version(&ctx, &id, &name),
                    |_| "",
                )
                .await;
            call.reply(result, |_| Meta::None)
        }
        JobRoute::Actions if get => {
            read(&app, &call, tables::JOB, |e, ctx| e.job_actions(ctx, &id)).await
        }
        // Any method, as in Nomad.
        JobRoute::Action => run_action(&app, &call, &id),
        _ => invalid_method(),
    }
}

/// A read with the query options, as a blocking query.
async fn read<T: Serialize>(
    app: &App,
    call: &Call,
    tables: &[Table],
    query: impl Fn(&Engine, &RequestContext) -> ApiResult<Read<T>>,
) -> Response {
    let options = match QueryOptions::parse(call) {
        Ok(options) => options,
        Err(e) => return error(&e),
    };
    let result = app
        .query(&options, tables, |engine| query(engine, &options.context))
        .await;
    call.read(result)
}

async fn versions(app: &App, call: &Call, id: &str) -> Response {
    let diffs = match call.query.bool("diffs") {
        Ok(diffs) => diffs.unwrap_or(false),
        Err(e) => return error(&e),
    };
    let diff_version = match call.query.get("diff_version") {
        "" => None,
        text => match text.parse::<u64>() {
            Ok(version) => Some(version),
            Err(_) => {
                return error(&ApiError::internal(format!(
                    "Failed to parse value of \"diff_version\" ({text}) as a uint64: strconv.ParseUint: parsing {text:?}: invalid syntax"
                )));
            }
        },
    };
    let options = JobVersionsOptions {
        diffs,
        diff_version,
        diff_tag: Some(call.query.get("diff_tag").to_string()).filter(|t| !t.is_empty()),
    };
    read(app, call, tables::JOB_VERSIONS, |e, ctx| {
        e.job_versions(ctx, id, &options)
    })
    .await
}

/// `/v1/job/:id/action`: Nomad runs an action over a websocket, execing into the task on its
/// client. drover does not serve websockets, and its nodes are simulated: a plain request is
/// answered as Nomad answers one, and an upgrade request gets Nomad's checks of the
/// allocation, then the error of a node no server can reach (docs/compat.md).
fn run_action(app: &App, call: &Call, id: &str) -> Response {
    let tty = call.query.get("tty");
    if !tty.is_empty() && parse_go_bool(tty).is_none() {
        return error(&ApiError::internal(format!(
            "tty value is not a boolean: strconv.ParseBool: parsing {tty:?}: invalid syntax"
        )));
    }
    if !call.websocket {
        return error(&ApiError::internal(
            "websocket connection not found in context",
        ));
    }
    let result = app
        .engine()
        .run_job_action(&call.context(), id, call.query.get("allocID"));
    call.reply(result, |_| Meta::None)
}

/// `DELETE /v1/job/:id`: stop, or purge with `?purge=true`.
async fn deregister(app: &App, call: &Call, id: String) -> Response {
    let options = match deregister_options(call) {
        Ok(options) => options,
        Err(e) => return error(&e),
    };
    let ctx = call.context();
    let result = app
        .write(
            move |engine| engine.deregister_job(&ctx, &id, &options),
            |r| &r.eval_id,
        )
        .await;
    call.reply(result, |r| Meta::Index(r.index))
}

fn deregister_options(call: &Call) -> ApiResult<JobDeregisterOptions> {
    let query = &call.query;
    let eval_priority = match query.get("eval_priority") {
        "" => 0,
        text => text.parse::<i32>().map_err(|_| {
            ApiError::internal(format!(
                "Failed to parse value of \"eval_priority\" ({text}) as a int: strconv.Atoi: parsing {text:?}: invalid syntax"
            ))
        })?,
    };
    Ok(JobDeregisterOptions {
        purge: query.bool("purge")?.unwrap_or(false),
        global: query.bool("global")?.unwrap_or(false),
        eval_priority,
        no_shutdown_delay: query.bool("no_shutdown_delay")?.unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(path: &str, expected: Result<(JobRoute, &str, &str), (u16, &str)>) {
        let got = route_job_path(path).map_err(|e| (e.status, e.message));
        let got = got
            .as_ref()
            .map(|r| *r)
            .map_err(|(status, message)| (*status, message.as_str()));
        assert_eq!(got, expected, "{path}");
    }

    #[test]
    fn routing_by_suffix() {
        check("web", Ok((JobRoute::Job, "web", "")));
        check("web/summary", Ok((JobRoute::Summary, "web", "")));
        check(
            "batch/dispatch-1-abc",
            Ok((JobRoute::Job, "batch/dispatch-1-abc", "")),
        );
        check(
            "batch/dispatch-1-abc/allocations",
            Ok((JobRoute::Allocations, "batch/dispatch-1-abc", "")),
        );
        check("p/periodic/force", Ok((JobRoute::PeriodicForce, "p", "")));
        check(
            "d/dispatch/payload",
            Ok((JobRoute::DispatchPayload, "d", "")),
        );
        check("d/dispatch", Ok((JobRoute::Dispatch, "d", "")));
        check("web/deployment", Ok((JobRoute::Deployment, "web", "")));
        check("web/deployments", Ok((JobRoute::Deployments, "web", "")));
        check("myplan", Ok((JobRoute::Job, "myplan", "")));
        // A job whose ID ends in "/plan" cannot be reached as itself (as in Nomad).
        check("a/plan", Ok((JobRoute::Plan, "a", "")));
        check("web/versions/v1/tag", Ok((JobRoute::Tag, "web", "v1")));
        check("web/anything/v1/tag", Ok((JobRoute::Tag, "web", "v1")));
        check(
            "a/b/versions/v1/tag",
            Err((404, "invalid job tag endpoint")),
        );
        check("web/tag", Err((404, "invalid job tag endpoint")));
    }
}

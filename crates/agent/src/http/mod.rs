//! Nomad's HTTP API over the engine (nomad-core section 6): the routes, the query options every
//! read takes, blocking queries served from the engine's commit notifications, and writes run
//! off the async threads.

mod call;
mod cluster;
mod jobs;
mod options;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::{MethodRouter, any};
use drover_core::api::Read;
use drover_core::state::{Snapshot, Table};
use drover_core::{ApiError, ApiResult, Engine};
use tokio::sync::watch;
use tokio::time::Instant;
use tower_http::compression::CompressionLayer;

pub use call::{Call, Meta, Query, parse_go_bool, percent_decode};
pub use jobs::{JobRoute, route_job_path};
pub use options::QueryOptions;

use crate::clock::random_u64;

/// What the routes share.
#[derive(Debug, Clone)]
pub struct App {
    shared: Arc<Shared>,
}

struct Shared {
    engine: Arc<Engine>,
    info: AgentInfo,
    /// The index of the last commit, from the engine's commit hook.
    commits: watch::Receiver<u64>,
    /// Turns true when the agent shuts down: blocking queries answer at once then.
    shutdown: watch::Receiver<bool>,
    settle: Arc<dyn Fn(&Engine) + Send + Sync>,
    max_body_bytes: usize,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("info", &self.info)
            .field("commits", &*self.commits.borrow())
            .finish_non_exhaustive()
    }
}

/// What `/v1/agent/self` and `/v1/status/leader` tell about this agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentInfo {
    pub region: String,
    pub datacenter: String,
    pub node_name: String,
    /// Where the HTTP API listens.
    pub http_addr: SocketAddr,
}

impl AgentInfo {
    /// The server's RPC address, as Nomad names its leader and peers.
    pub fn rpc_addr(&self) -> String {
        let ip = match self.http_addr.ip() {
            ip if ip.is_unspecified() => "127.0.0.1".to_string(),
            ip => ip.to_string(),
        };
        format!("{ip}:4647")
    }
}

/// Blocking queries wait at most this long (Nomad's `MaxBlockingRPCQueryTime`), and this long
/// when `?wait` is absent or zero.
pub const MAX_QUERY_TIME: Duration = Duration::from_secs(300);

impl App {
    /// `settle` runs after every successful write, before it is answered (dev mode: until the
    /// evaluations the write created are scheduled).
    pub fn new(
        engine: Arc<Engine>,
        info: AgentInfo,
        shutdown: watch::Receiver<bool>,
        settle: Arc<dyn Fn(&Engine) + Send + Sync>,
        max_body_bytes: usize,
    ) -> Self {
        let (sender, commits) = watch::channel(engine.snapshot().latest_index());
        engine.on_commit(Box::new(move |index| {
            sender.send_replace(index);
        }));
        Self {
            shared: Arc::new(Shared {
                engine,
                info,
                commits,
                shutdown,
                settle,
                max_body_bytes,
            }),
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.shared.engine
    }

    pub fn info(&self) -> &AgentInfo {
        &self.shared.info
    }

    /// Runs a write on a blocking thread, then lets it settle.
    pub async fn write<T: Send + 'static>(
        &self,
        write: impl FnOnce(&Engine) -> ApiResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        let shared = self.shared.clone();
        tokio::task::spawn_blocking(move || {
            let result = write(&shared.engine);
            if result.is_ok() {
                (shared.settle)(&shared.engine);
            }
            result
        })
        .await
        .unwrap_or_else(|e| Err(ApiError::internal(e.to_string())))
    }

    /// Nomad's blocking query: runs `query` until its index exceeds `?index` or the wait (at
    /// most 5 minutes, plus up to 1/16 of jitter) runs out, then answers with the last result.
    /// A 404 that carries an index waits like an answer; other errors return at once. `tables`
    /// are those `query` reads: only their commits wake it.
    pub async fn query<T>(
        &self,
        options: &QueryOptions,
        tables: &[Table],
        mut query: impl FnMut(&Engine) -> ApiResult<Read<T>>,
    ) -> ApiResult<Read<T>> {
        let engine = self.engine();
        if options.min_index == 0 {
            return query(engine);
        }
        let deadline = Instant::now() + with_jitter(options.wait);
        let mut commits = self.shared.commits.clone();
        let mut shutdown = self.shared.shutdown.clone();
        loop {
            commits.borrow_and_update();
            // Read the tables' index before the query: a commit in between shows as a change.
            let seen = tables_index(&engine.snapshot(), tables).max(options.min_index);
            let answer = query(engine);
            let index = match &answer {
                Ok(read) => read.index,
                Err(error) => match error.index {
                    Some(index) => index,
                    None => return answer,
                },
            };
            if index > options.min_index {
                return answer;
            }
            loop {
                tokio::select! {
                    changed = tokio::time::timeout_at(deadline, commits.changed()) => {
                        if !matches!(changed, Ok(Ok(()))) {
                            return answer;
                        }
                    }
                    _ = shutdown.wait_for(|stopping| *stopping) => return answer,
                }
                if tables_index(&engine.snapshot(), tables) > seen {
                    break;
                }
            }
        }
    }
}

fn tables_index(snapshot: &Snapshot, tables: &[Table]) -> u64 {
    tables
        .iter()
        .map(|t| snapshot.table_index(*t))
        .max()
        .unwrap_or(0)
}

/// Nomad's `TimeToBlock` plus jitter: zero means the maximum, larger is capped, and a random
/// `[0, wait/16)` is added so that many waiting clients do not wake together.
fn with_jitter(wait: Duration) -> Duration {
    let wait = if wait.is_zero() || wait > MAX_QUERY_TIME {
        MAX_QUERY_TIME
    } else {
        wait
    };
    let range = (wait / 16).as_nanos() as u64;
    let jitter = if range == 0 { 0 } else { random_u64() % range };
    wait + Duration::from_nanos(jitter)
}

/// A route whose handler gets the whole call; `?region` other than ours is refused as Nomad
/// refuses a region it has no path to.
fn route<F, Fut>(handler: F) -> MethodRouter<App>
where
    F: Fn(App, Call) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    any(move |State(app): State<App>, request: Request| {
        let handler = handler.clone();
        async move {
            let call = match Call::from_request(request, app.shared.max_body_bytes).await {
                Ok(call) => call,
                Err(response) => return response,
            };
            let region = call.query.get("region");
            if !region.is_empty() && region != app.info().region {
                return call::error(&ApiError::internal("No path to region"));
            }
            handler(app, call).await
        }
    })
}

/// Every route of the API.
pub fn router(app: App) -> Router {
    Router::new()
        .route("/v1/jobs", route(jobs::jobs))
        .route("/v1/jobs/parse", route(jobs::parse))
        .route("/v1/job/{*rest}", route(jobs::job))
        .route("/v1/validate/job", route(jobs::validate))
        .route("/v1/status/leader", route(cluster::leader))
        .route("/v1/status/peers", route(cluster::peers))
        .route("/v1/agent/self", route(cluster::agent_self))
        .route("/v1/agent/members", route(cluster::members))
        .route("/v1/agent/servers", route(cluster::peers))
        .route("/v1/regions", route(cluster::regions))
        .route("/v1/evaluations", route(cluster::evaluations))
        .route("/v1/evaluation/{*rest}", route(cluster::evaluation))
        .route("/v1/allocations", route(cluster::allocations))
        .route("/v1/allocation/{*rest}", route(cluster::allocation))
        .route("/v1/deployments", route(cluster::deployments))
        .route("/v1/deployment/{*rest}", route(cluster::deployment))
        .route("/v1/nodes", route(cluster::nodes))
        .route("/v1/node/{*rest}", route(cluster::node))
        .route("/v1/namespaces", route(cluster::namespaces))
        .route("/v1/namespace/{*rest}", route(cluster::namespace))
        .fallback(|| async { call::no_route() })
        .layer(CompressionLayer::new())
        .with_state(app)
}

/// 501 for an endpoint whose engine call does not exist yet.
fn not_implemented(what: &str) -> Response {
    call::error(&ApiError::new(501, format!("not implemented yet: {what}")))
}

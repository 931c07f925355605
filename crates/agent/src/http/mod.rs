//! Nomad's HTTP API over the engine (nomad-core section 6): the routes, the query options every
//! read takes, blocking queries served from the engine's commit notifications, and writes run
//! off the async threads.

mod acl;
mod call;
mod cluster;
mod jobs;
mod namespaces;
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
use drover_core::model::EvalStatus;
use drover_core::state::{Snapshot, Table};
use drover_core::{ApiError, ApiResult, Engine};
use tokio::sync::watch;
use tokio::time::Instant;
use tower_http::compression::CompressionLayer;

use call::Call;
use options::QueryOptions;

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
    /// Dev mode: a write that made an evaluation is answered once it has been scheduled.
    settle_writes: bool,
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
    /// Durable mode's data directory (where an ACL bootstrap reset file is read).
    pub data_dir: Option<std::path::PathBuf>,
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

/// The longest a dev-mode write waits for its evaluation to be scheduled (python-nomad's
/// requests time out after 5 seconds).
pub const SETTLE_TIME: Duration = Duration::from_secs(3);

impl App {
    /// With `settle_writes`, writes that make an evaluation wait for it to be scheduled
    /// before they answer (see [`App::write`]).
    pub fn new(
        engine: Arc<Engine>,
        info: AgentInfo,
        shutdown: watch::Receiver<bool>,
        settle_writes: bool,
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
                settle_writes,
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

    /// Runs a write on a blocking thread. In dev mode, when it made an evaluation (`eval_id`
    /// of the answer), it answers once a worker has scheduled that evaluation, so that its
    /// allocations and deployment are there for clients that read right after a write
    /// (python-nomad does not poll). That wait is bounded by [`SETTLE_TIME`].
    pub async fn write<T: Send + 'static>(
        &self,
        write: impl FnOnce(&Engine) -> ApiResult<T> + Send + 'static,
        eval_id: impl Fn(&T) -> &str,
    ) -> ApiResult<T> {
        let engine = self.shared.engine.clone();
        let answer = tokio::task::spawn_blocking(move || write(&engine))
            .await
            .unwrap_or_else(|e| Err(ApiError::internal(e.to_string())))?;
        if self.shared.settle_writes && !eval_id(&answer).is_empty() {
            self.settle(eval_id(&answer)).await;
        }
        Ok(answer)
    }

    /// Waits until the evaluation is no longer pending, the deadline passes, or the agent stops.
    async fn settle(&self, eval_id: &str) {
        let deadline = Instant::now() + SETTLE_TIME;
        let mut commits = self.shared.commits.clone();
        loop {
            commits.borrow_and_update();
            let pending = self
                .engine()
                .snapshot()
                .eval(eval_id)
                .is_some_and(|eval| eval.status == EvalStatus::Pending);
            if !pending || !self.next_commit(&mut commits, deadline).await {
                return;
            }
        }
    }

    /// Waits for the next commit; false when the deadline passes or the agent stops first.
    async fn next_commit(&self, commits: &mut watch::Receiver<u64>, deadline: Instant) -> bool {
        let mut shutdown = self.shared.shutdown.clone();
        tokio::select! {
            changed = tokio::time::timeout_at(deadline, commits.changed()) => {
                matches!(changed, Ok(Ok(())))
            }
            _ = shutdown.wait_for(|stopping| *stopping) => false,
        }
    }

    /// Nomad's blocking query: runs `query` until its index exceeds `?index` or the wait (at
    /// most 5 minutes, plus up to 1/16 of jitter) runs out, then answers with the last result.
    /// A 404 that carries an index waits like an answer; other errors return at once. `tables`
    /// are those `query` reads: only commits to them run it again.
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
            // Commits to other tables wake this loop but do not rerun the query.
            loop {
                if !self.next_commit(&mut commits, deadline).await {
                    return answer;
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
        .route("/v1/agent/join", route(cluster::join))
        .route("/v1/agent/force-leave", route(cluster::force_leave))
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
        .route("/v1/namespaces", route(namespaces::namespaces))
        .route("/v1/namespace", route(namespaces::create))
        .route("/v1/namespace/{*rest}", route(namespaces::namespace))
        .route("/v1/acl/bootstrap", route(acl::bootstrap))
        .route("/v1/acl/policies", route(acl::policies))
        .route("/v1/acl/policy/{*rest}", route(acl::policy))
        .route("/v1/acl/tokens", route(acl::tokens))
        .route("/v1/acl/token", route(acl::create_token))
        .route("/v1/acl/token/{*rest}", route(acl::token))
        .fallback(|| async { call::no_route() })
        .layer(CompressionLayer::new())
        .with_state(app)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wait a blocking query gets for `?wait`, checked against its jitter range.
    fn check(wait: Duration, base: Duration) {
        for _ in 0..100 {
            let got = with_jitter(wait);
            assert!(
                got >= base && got < base + base / 16,
                "{wait:?} gave {got:?}"
            );
        }
    }

    #[test]
    fn waits_are_capped_and_jittered() {
        check(Duration::ZERO, MAX_QUERY_TIME);
        check(Duration::from_secs(3600), MAX_QUERY_TIME);
        check(Duration::from_secs(16), Duration::from_secs(16));
        assert_eq!(
            with_jitter(Duration::from_nanos(10)),
            Duration::from_nanos(10)
        );
    }
}

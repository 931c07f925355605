//! The running agent: the engine, the HTTP server, the scheduler workers, the ticker that moves
//! time for the broker and the simulated nodes, and a graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use drover_core::state::{Command, spawn_reclaimer};
use drover_core::{Clock, Engine, EngineConfig, Log, LogError};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::clock::{SystemClock, random_u64};
use crate::config::AgentConfig;
use crate::error::AgentError;
use crate::http::{AgentInfo, App, router};
use crate::sim::{HostResources, SimulatedNodes};
use crate::wal::{self, Storage};

/// A started agent. Stop it with [`Agent::shutdown`].
#[derive(Debug)]
pub struct Agent {
    engine: Arc<Engine>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    stop_workers: Arc<AtomicBool>,
    server: JoinHandle<std::io::Result<()>>,
    ticker: JoinHandle<()>,
    workers: Vec<std::thread::JoinHandle<()>>,
    /// Durable mode's data directory; `None` in memory.
    storage: Option<Storage>,
}

/// Dev mode's log: the store holds the state and nothing replays it, so entries are not kept
/// (a log in memory would grow without bound).
#[derive(Debug)]
struct DevLog;

impl Log for DevLog {
    fn append(&mut self, _index: u64, _command: &Command) -> Result<(), LogError> {
        Ok(())
    }
}

impl Agent {
    /// Starts an in-memory engine with simulated nodes and serves the HTTP API.
    pub async fn start(config: AgentConfig) -> Result<Agent, AgentError> {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let engine_config = EngineConfig {
            region: config.region.clone(),
            seed: random_u64(),
            acl_enabled: config.acl_enabled,
            ..EngineConfig::default()
        };
        let (engine, storage) = match &config.data_dir {
            Some(dir) => {
                let storage = wal::open(dir, engine_config, clock.clone(), config.wal)?;
                (storage.engine().clone(), Some(storage))
            }
            None => {
                let log = Box::new(DevLog);
                (
                    Arc::new(Engine::new(engine_config, clock.clone(), log)),
                    None,
                )
            }
        };
        engine.set_reclaimer(spawn_reclaimer().map_err(AgentError::Reclaimer)?);
        let sim = Arc::new(SimulatedNodes::new(
            &config.sim,
            HostResources::detect(),
            clock.now(),
        ));
        sim.register(&engine).map_err(AgentError::SimulatedNodes)?;

        let addr = SocketAddr::new(config.bind, config.http_port);
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| AgentError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| AgentError::Bind { addr, source })?;

        let (stop, stopping) = watch::channel(false);
        let info = AgentInfo {
            region: config.region.clone(),
            datacenter: config.sim.datacenters.first().cloned().unwrap_or_default(),
            node_name: config.sim.node_name.clone(),
            http_addr: addr,
            data_dir: config.data_dir.clone(),
        };
        let app = App::new(
            engine.clone(),
            info,
            stopping.clone(),
            config.settle_writes,
            config.max_body_bytes,
        );
        let mut server_stop = stopping.clone();
        let server = tokio::spawn(
            axum::serve(listener, router(app))
                .with_graceful_shutdown(async move {
                    server_stop.wait_for(|stop| *stop).await.ok();
                })
                .into_future(),
        );
        let ticker = tokio::spawn(tick(engine.clone(), sim, clock, config.tick, stopping));
        let stop_workers = Arc::new(AtomicBool::new(false));
        let workers = (0..config.num_schedulers)
            .map(|i| {
                let engine = engine.clone();
                let stop = stop_workers.clone();
                std::thread::Builder::new()
                    .name(format!("worker-{i}"))
                    .spawn(move || {
                        if let Err(e) = engine.run_worker(&stop) {
                            tracing::error!(error = %e, "scheduler worker stopped");
                        }
                    })
                    .map_err(AgentError::Serve)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Agent {
            engine,
            addr,
            stop,
            stop_workers,
            server,
            ticker,
            workers,
            storage,
        })
    }

    /// Where the HTTP API listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// Stops accepting requests, answers the waiting blocking queries, lets the requests in
    /// flight finish, then stops the ticker and the workers.
    pub async fn shutdown(self) -> Result<(), AgentError> {
        self.stop.send_replace(true);
        let served = self.server.await;
        self.ticker.await.ok();
        self.stop_workers.store(true, Ordering::SeqCst);
        let (workers, storage) = (self.workers, self.storage);
        tokio::task::spawn_blocking(move || {
            for worker in workers {
                worker.join().ok();
            }
            if let Some(storage) = storage {
                storage.close();
            }
        })
        .await
        .ok();
        match served {
            Ok(result) => result.map_err(AgentError::Serve),
            Err(e) => Err(AgentError::Serve(std::io::Error::other(e))),
        }
    }
}

/// Runs the agent until SIGINT or SIGTERM.
pub async fn run(config: AgentConfig) -> Result<(), AgentError> {
    let mode = match &config.data_dir {
        Some(dir) => format!("durable, data in {}", dir.display()),
        None => "dev mode, state in memory".to_string(),
    };
    let agent = Agent::start(config).await?;
    tracing::info!(addr = %agent.local_addr(), "drover agent started ({mode})");
    shutdown_signal().await;
    tracing::info!("shutting down");
    agent.shutdown().await
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                interrupt.await.ok();
            }
        }
    }
    #[cfg(not(unix))]
    interrupt.await.ok();
}

/// Moves time every `period`: the broker's timers and the simulated nodes.
async fn tick(
    engine: Arc<Engine>,
    sim: Arc<SimulatedNodes>,
    clock: Arc<dyn Clock>,
    period: Duration,
    mut stopping: watch::Receiver<bool>,
) {
    let mut interval = tokio::time::interval(period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stopping.wait_for(|stop| *stop) => return,
        }
        let (engine, sim, clock) = (engine.clone(), sim.clone(), clock.clone());
        let ticked = tokio::task::spawn_blocking(move || {
            let now = clock.now();
            engine.tick(now).map_err(|e| e.to_string())?;
            sim.tick(&engine, now).map_err(|e| e.message)
        })
        .await;
        match ticked {
            Ok(Ok(())) => {}
            Ok(Err(message)) => tracing::warn!(%message, "tick failed"),
            Err(e) => tracing::error!(error = %e, "tick panicked"),
        }
    }
}

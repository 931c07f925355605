//! `Engine`: the state store, the evaluation broker, the blocked evaluations and the log
//! behind one commit path, plus what a leader does after each commit.
//!
//! # The commit path
//!
//! Every change is a [`Command`] committed by [`Engine::commit`]: under the writer lock the
//! next index is the store's last applied index plus one; the command is applied to the store
//! in place and held uncommitted ([`StateStore::stage`]: a command the store refuses is
//! refused before anything is logged, and leaves the store as it was), then appended to the
//! [`Log`], then committed, then its leader-side effects run. A failed append rolls the staged
//! command back, so the log never holds an entry the store did not apply, nor the store one
//! the log did not take. Readers taking a snapshot wait while a command is staged.
//!
//! # Leader effects (Nomad's FSM hooks)
//!
//! After the apply, in index order: pending evaluations of the command go to the broker,
//! blocked ones to the blocked tracker, a complete evaluation without failed placements drops
//! its job's blocked evaluation, and capacity changes (a node becoming ready or eligible, an
//! allocation completing or failing) release blocked evaluations into the broker.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use drover_broker::{BlockedEvals, EvalBroker, FAILED_QUEUE, Released, SharedBroker, Time, Token};
use drover_model::allocation::ClientStatus;
use drover_model::node::{node_eligibility, node_status};
use drover_model::{EvalStatus, Evaluation, MINUTE};
use drover_plan::scheduler::failed_follow_up_eval;
use drover_state::{
    Command, CommitHook, NamespaceSelector, PageRequest, Reclaimer, Snapshot, StateStore, Table,
    UpsertEvals,
};
use parking_lot::Mutex;

use crate::api::Read;
use crate::clock::Clock;
use crate::config::EngineConfig;
use crate::deployments::DeploymentWatcher;
use crate::error::{ApiResult, EngineError};
use crate::ids::IdSource;
use crate::log::Log;
use crate::periodic::{Launch, PeriodicDispatcher};

/// How many cancelled evaluations one reaping commit writes (Nomad's batch size).
const CANCEL_BATCH: usize = 728;

/// See the module documentation. Share it between threads (`Arc<Engine>`): every method takes
/// `&self`.
pub struct Engine {
    pub(crate) config: EngineConfig,
    clock: Arc<dyn Clock>,
    store: StateStore,
    /// The writer lock: whoever holds it owns the next index.
    log: Mutex<Box<dyn Log>>,
    pub(crate) broker: SharedBroker,
    blocked: Mutex<BlockedEvals>,
    ids: Mutex<IdSource>,
    pub(crate) periodic: Mutex<PeriodicDispatcher>,
    /// Catch-up launches found on start-up, carried out by the first tick.
    pub(crate) missed_launches: Mutex<Vec<Launch>>,
    pub(crate) deployment_watcher: Mutex<DeploymentWatcher>,
    /// Held while the deployment watcher works (see [`Engine::watch_deployments`]).
    pub(crate) watching: Mutex<()>,
    pub(crate) acl: crate::acl::AclResolver,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.config)
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine over an empty store (with the `default` namespace).
    pub fn new(config: EngineConfig, clock: Arc<dyn Clock>, log: Box<dyn Log>) -> Self {
        Self::restore(config, clock, log, StateStore::new())
    }

    /// An engine over a store rebuilt by the embedder (a log replay or a snapshot restore);
    /// `log` continues after the store's last index. As a new leader does, it hands pending
    /// evaluations to the broker and blocked ones to the blocked tracker.
    pub fn restore(
        config: EngineConfig,
        clock: Arc<dyn Clock>,
        log: Box<dyn Log>,
        store: StateStore,
    ) -> Self {
        let mut broker = EvalBroker::new(config.broker.clone());
        broker.set_enabled(true);
        let mut blocked = BlockedEvals::new(config.blocked.clone());
        blocked.set_enabled(true);
        let engine = Engine {
            ids: Mutex::new(IdSource::new(config.seed)),
            acl: crate::acl::AclResolver::new(config.acl_enabled),
            config,
            clock,
            store,
            log: Mutex::new(log),
            broker: SharedBroker::new(broker),
            blocked: Mutex::new(blocked),
            periodic: Mutex::new(PeriodicDispatcher::new()),
            missed_launches: Mutex::new(Vec::new()),
            deployment_watcher: Mutex::new(DeploymentWatcher::default()),
            watching: Mutex::new(()),
        };
        let snapshot = engine.store.snapshot();
        let now = engine.now();
        let missed = engine.periodic.lock().restore(
            snapshot.jobs(&NamespaceSelector::All, "").map(|j| &**j),
            now,
            &snapshot,
        );
        *engine.missed_launches.lock() = missed;
        engine.mark_active_deployments(&snapshot);
        let evals = snapshot
            .list_evals(&NamespaceSelector::All, &PageRequest::default(), &|_| true)
            .items;
        let now = engine.time();
        let mut released = Vec::new();
        let mut blocked = engine.blocked.lock();
        for eval in &evals {
            if eval.status == EvalStatus::Blocked {
                released.extend(blocked.block(Arc::clone(eval), None));
            }
        }
        drop(blocked);
        engine.broker.with(|b| {
            for eval in evals.iter().filter(|e| e.status == EvalStatus::Pending) {
                b.enqueue(Arc::clone(eval), now);
            }
            b.enqueue_all(released, now);
        });
        engine
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The current state, in O(1).
    pub fn snapshot(&self) -> Snapshot {
        self.store.snapshot()
    }

    /// Calls `hook` after every commit with its index (for async frontends' notifications).
    pub fn on_commit(&self, hook: CommitHook) {
        self.store.on_commit(hook);
    }

    /// Hands what large commits replaced to `reclaimer` to free (see
    /// [`drover_state::reclaim`]); without one the committing thread frees it.
    pub fn set_reclaimer(&self, reclaimer: Reclaimer) {
        self.store.set_reclaimer(reclaimer);
    }

    /// Blocks until the index of one of `tables` exceeds `min_index` or `deadline` passes;
    /// returns the greatest index of those tables then.
    pub fn block_until(&self, tables: &[Table], min_index: u64, deadline: Instant) -> u64 {
        self.store.wait_for_index(tables, min_index, deadline)
    }

    /// A blocking query (Nomad's `blockingRPC`): runs `query` until its answer's index
    /// exceeds `min_index` or `deadline` passes, and then returns the last answer. `tables`
    /// are those the query reads (see [`crate::tables`]). A 404 that carries an index waits
    /// like an answer; any other error returns at once. With `min_index` 0 it runs once.
    pub fn blocking_query<T>(
        &self,
        tables: &[Table],
        min_index: u64,
        deadline: Instant,
        mut query: impl FnMut() -> ApiResult<Read<T>>,
    ) -> ApiResult<Read<T>> {
        loop {
            // Read the tables' index before the query, so a commit between the two shows as
            // a change and the query runs again.
            let seen = self.store.snapshot();
            let seen = tables.iter().map(|t| seen.table_index(*t)).max();
            let answer = query();
            let index = match &answer {
                Ok(read) => read.index,
                Err(error) => match error.index {
                    Some(index) => index,
                    None => return answer,
                },
            };
            if min_index == 0 || index > min_index {
                return answer;
            }
            let seen = seen.unwrap_or(0).max(min_index);
            if self.store.wait_for_index(tables, seen, deadline) <= seen {
                return answer;
            }
        }
    }

    /// The engine clock's reading, in unix nanoseconds.
    pub(crate) fn now(&self) -> i64 {
        self.clock.now()
    }

    fn time(&self) -> Time {
        Time::from_unix_nanos(self.now())
    }

    pub(crate) fn new_id(&self) -> String {
        self.ids.lock().next_id()
    }

    pub(crate) fn next_random(&self) -> u64 {
        self.ids.lock().next_u64()
    }

    /// Commits `command`; returns its index. See the module documentation.
    pub(crate) fn commit(&self, command: &Command) -> Result<u64, EngineError> {
        let index = {
            let mut log = self.log.lock();
            self.commit_locked(log.as_mut(), command, None)?
        };
        self.after_writes();
        Ok(index)
    }

    /// Runs `f` while holding the writer lock, so that what it reads from the snapshot it is
    /// given is still current when it commits through the `Committer`.
    pub(crate) fn with_writer<R>(&self, f: impl FnOnce(&mut Committer<'_>) -> R) -> R {
        let result = {
            let mut log = self.log.lock();
            let mut committer = Committer {
                engine: self,
                log: log.as_mut(),
            };
            f(&mut committer)
        };
        self.after_writes();
        result
    }

    /// Leader work that commits in turn, run once the writer lock is released: the
    /// deployment watcher. Its failure is not the caller's: the caller's commit stands, and
    /// the watcher tries again when the deployment changes next (Nomad logs such failures).
    fn after_writes(&self) {
        let _not_the_callers = self.watch_deployments(self.now());
    }

    /// The commit path, with the writer lock held. `reblock` is the delivery of a worker
    /// that re-blocks the evaluation it holds. Returns the index.
    fn commit_locked(
        &self,
        log: &mut dyn Log,
        command: &Command,
        reblock: Option<Token>,
    ) -> Result<u64, EngineError> {
        let mut ineligible = Vec::new();
        ineligible_nodes(&self.store.snapshot(), command, &mut ineligible);
        let index = self.store.applied_index() + 1;
        let staged = self.store.stage(index, command)?;
        // A failed append drops `staged`, which puts the store back as it was.
        log.append(index, command)?;
        staged.commit();
        self.leader_effects(&ineligible, &self.store.snapshot(), index, command, reblock);
        Ok(index)
    }

    fn leader_effects(
        &self,
        ineligible: &[String],
        after: &Snapshot,
        index: u64,
        command: &Command,
        reblock: Option<Token>,
    ) {
        self.track_periodic_jobs(after, command, self.now());
        self.mark_deployments(after, command);
        let now = self.time();
        let mut ready = Vec::new();
        let mut released: Vec<Released> = Vec::new();
        let mut blocked = self.blocked.lock();
        let mut eval_ids = Vec::new();
        collect_eval_ids(command, &mut eval_ids);
        for eval in eval_ids.iter().filter_map(|id| after.eval(id)) {
            match eval.status {
                EvalStatus::Pending => ready.push(eval),
                EvalStatus::Blocked => released.extend(blocked.block(eval, reblock)),
                EvalStatus::Complete
                    if eval.failed_tg_allocs.as_ref().is_none_or(|f| f.is_empty()) =>
                {
                    blocked.untrack(&eval.namespace, &eval.job_id)
                }
                _ => {}
            }
        }
        let mut nodes = Vec::new();
        capacity_changes(ineligible, after, command, &mut nodes);
        for node_id in nodes {
            if let Some(node) = after.node(&node_id) {
                released.extend(blocked.unblock(&node.computed_class, index, now));
                released.extend(blocked.unblock_node(&node.id));
            }
        }
        drop(blocked);
        if ready.is_empty() && released.is_empty() {
            return;
        }
        self.broker.with(|b| {
            for eval in ready {
                b.enqueue(eval, now);
            }
            b.enqueue_all(released, now);
        });
    }

    /// Moves time to `now` (unix nanoseconds): fires the broker's nack timeouts and delayed
    /// evaluations and the blocked tracker's periodic release, marks evaluations that reached
    /// the delivery limit failed (with a follow-up), cancels evaluations made redundant,
    /// launches periodic children, and checks deployments' progress deadlines.
    pub fn tick(&self, now: i64) -> Result<(), EngineError> {
        let time = Time::from_unix_nanos(now);
        self.broker.with(|b| b.tick(time));
        let released = self.blocked.lock().tick(time);
        if !released.is_empty() {
            self.broker.with(|b| b.enqueue_all(released, time));
        }
        self.fail_undeliverable(now)?;
        self.cancel_redundant(now)?;
        self.launch_due_children(now)?;
        self.watch_deployments(now)?;
        self.check_progress_deadlines(now)
    }

    /// Nomad's `reapFailedEvaluations`: an evaluation nacked `delivery_limit` times is
    /// marked failed, with a follow-up evaluation 1 to 6 minutes later unless its job is gone.
    fn fail_undeliverable(&self, now: i64) -> Result<(), EngineError> {
        let time = Time::from_unix_nanos(now);
        while let Some((eval, token)) = self.broker.with(|b| b.dequeue(&[FAILED_QUEUE], time))? {
            let mut failed = (*eval).clone();
            failed.status = EvalStatus::Failed;
            failed.status_description = format!(
                "evaluation reached delivery limit ({})",
                self.config.broker.delivery_limit
            );
            failed.modify_time = now;
            let mut evals = Vec::new();
            if self.snapshot().job(&eval.namespace, &eval.job_id).is_some() {
                let wait = MINUTE + (self.next_random() % (5 * MINUTE as u64)) as i64;
                let follow_up = failed_follow_up_eval(&eval, self.new_id(), wait, now);
                failed.next_eval = follow_up.id.to_string();
                evals.push(follow_up);
            }
            evals.insert(0, failed);
            self.commit(&Command::UpsertEvals(UpsertEvals { evals }))?;
            self.broker.with(|b| b.ack(&eval.id, token, time))?;
        }
        Ok(())
    }

    /// Cancels the evaluations the broker coalesced away and the blocked evaluations that
    /// lost to a newer one of their job.
    pub(crate) fn cancel_redundant(&self, now: i64) -> Result<(), EngineError> {
        loop {
            let coalesced = self.broker.with(|b| b.take_cancelable(CANCEL_BATCH));
            if coalesced.is_empty() {
                break;
            }
            self.cancel(
                coalesced,
                |_| "canceled after more recent eval was processed".to_string(),
                now,
            )?;
        }
        let duplicates = self.blocked.lock().take_duplicates();
        self.cancel(
            duplicates,
            |eval| {
                format!(
                    "existing blocked evaluation exists for job {}",
                    drover_model::gotext::quote(&eval.job_id)
                )
            },
            now,
        )
    }

    fn cancel(
        &self,
        evals: Vec<Arc<Evaluation>>,
        description: impl Fn(&Evaluation) -> String,
        now: i64,
    ) -> Result<(), EngineError> {
        // Taking a snapshot waits for another worker's commit in progress.
        if evals.is_empty() {
            return Ok(());
        }
        // The snapshot goes before the commit: the store writes in place only when no
        // snapshot shares its tables.
        let snapshot = self.snapshot();
        let evals: Vec<Evaluation> = evals
            .iter()
            .filter(|e| snapshot.eval(&e.id).is_some_and(|s| !s.is_terminal()))
            .map(|e| {
                let mut canceled = (**e).clone();
                canceled.status = EvalStatus::Canceled;
                canceled.status_description = description(e);
                canceled.modify_time = now;
                canceled
            })
            .collect();
        drop(snapshot);
        if !evals.is_empty() {
            self.commit(&Command::UpsertEvals(UpsertEvals { evals }))?;
        }
        Ok(())
    }
}

/// Commits while the writer lock is held (see [`Engine::with_writer`]).
pub(crate) struct Committer<'a> {
    engine: &'a Engine,
    log: &'a mut dyn Log,
}

impl Committer<'_> {
    /// The current state; it cannot change while the committer lives.
    pub fn snapshot(&self) -> Snapshot {
        self.engine.store.snapshot()
    }

    pub fn commit(
        &mut self,
        command: &Command,
        reblock: Option<Token>,
    ) -> Result<u64, EngineError> {
        self.engine.commit_locked(self.log, command, reblock)
    }
}

/// The evaluations a command writes.
fn collect_eval_ids(command: &Command, out: &mut Vec<String>) {
    let mut one = |eval: &Option<Evaluation>| out.extend(eval.iter().map(|e| e.id.to_string()));
    match command {
        Command::UpsertJob(c) => one(&c.eval),
        Command::DeregisterJob(c) => one(&c.eval),
        Command::UpdateDeploymentStatus(c) => one(&c.eval),
        Command::PromoteDeployment(c) => one(&c.eval),
        Command::UpdateDeploymentAllocHealth(c) => one(&c.eval),
        Command::UpsertEvals(c) => out.extend(c.evals.iter().map(|e| e.id.to_string())),
        Command::ApplyPlanResults(c) => out.extend(c.evals.iter().map(|e| e.id.to_string())),
        Command::UpdateAllocsFromClient(c) => out.extend(c.evals.iter().map(|e| e.id.to_string())),
        Command::UpdateAllocDesiredTransitions(c) => {
            out.extend(c.evals.iter().map(|e| e.id.to_string()))
        }
        Command::Batch(commands) => commands.iter().for_each(|c| collect_eval_ids(c, out)),
        _ => {}
    }
}

/// The nodes of the eligibility and drain changes in `command` that are ineligible in
/// `before`, the state the command applies to (for [`capacity_changes`]).
fn ineligible_nodes(before: &Snapshot, command: &Command, out: &mut Vec<String>) {
    let mut note = |id: &str| {
        let ineligible = before
            .node(id)
            .is_some_and(|n| n.scheduling_eligibility == node_eligibility::INELIGIBLE);
        if ineligible {
            out.push(id.to_string());
        }
    };
    match command {
        Command::UpdateNodeEligibility(c) => note(&c.node_id),
        Command::UpdateNodeDrain(c) => note(&c.node_id),
        Command::Batch(commands) => commands
            .iter()
            .for_each(|c| ineligible_nodes(before, c, out)),
        _ => {}
    }
}

/// The nodes whose capacity may have grown with this command: a node registered or updated
/// as ready, a node made eligible again (`ineligible` before the command), a node whose
/// allocation completed or failed.
fn capacity_changes(
    ineligible: &[String],
    after: &Snapshot,
    command: &Command,
    out: &mut Vec<String>,
) {
    let ready = |id: &str| {
        after
            .node(id)
            .is_some_and(|n| n.status == node_status::READY)
    };
    let made_eligible = |id: &str| {
        ineligible.iter().any(|n| n == id)
            && after
                .node(id)
                .is_some_and(|n| n.scheduling_eligibility == node_eligibility::ELIGIBLE)
    };
    match command {
        Command::UpsertNode(c) if ready(c.node.id.as_str()) => out.push(c.node.id.to_string()),
        Command::UpdateNodeStatus(c) if ready(&c.node_id) => out.push(c.node_id.clone()),
        Command::UpdateNodeEligibility(c) if made_eligible(&c.node_id) => {
            out.push(c.node_id.clone())
        }
        Command::UpdateNodeDrain(c) if made_eligible(&c.node_id) => out.push(c.node_id.clone()),
        Command::UpdateAllocsFromClient(c) => {
            for update in &c.allocs {
                let freed = matches!(
                    update.client_status,
                    ClientStatus::Complete | ClientStatus::Failed
                );
                if let Some(alloc) = after.alloc(&update.alloc_id).filter(|_| freed) {
                    out.push(alloc.node_id.to_string());
                }
            }
        }
        Command::Batch(commands) => commands
            .iter()
            .for_each(|c| capacity_changes(ineligible, after, c, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use drover_model::{Namespace, Node};
    use drover_state::{Namespaces, UpsertNode, snapshot_to_bytes};

    use super::*;
    use crate::clock::ManualClock;
    use crate::error::LogError;

    /// A log that refuses appends while `failing` is set, and counts those it took.
    #[derive(Clone, Default)]
    struct FlakyLog {
        failing: Arc<AtomicBool>,
        taken: Arc<Mutex<Vec<u64>>>,
    }

    impl Log for FlakyLog {
        fn append(&mut self, index: u64, _: &Command) -> Result<(), LogError> {
            if self.failing.load(Ordering::SeqCst) {
                return Err(LogError("disk full".to_string()));
            }
            self.taken.lock().push(index);
            Ok(())
        }
    }

    fn node(id: &str) -> Command {
        Command::UpsertNode(UpsertNode {
            node: Node {
                id: id.into(),
                status: node_status::READY.to_string(),
                ..Node::default()
            },
        })
    }

    fn namespace(name: &str) -> Command {
        Command::UpsertNamespaces(Namespaces {
            namespaces: vec![Namespace {
                name: name.to_string(),
                ..Namespace::default()
            }],
        })
    }

    /// The store's state as bytes, read with no snapshot left held (so the next commit
    /// writes in place).
    fn state(engine: &Engine) -> Vec<u8> {
        let snapshot = engine.snapshot();
        assert_eq!(snapshot.check_invariants(), Ok(()));
        snapshot_to_bytes(&snapshot).expect("encodes")
    }

    /// An engine over a `FlakyLog` with one node committed, and its state then.
    fn engine_with_node() -> (Engine, FlakyLog, Vec<u8>) {
        let log = FlakyLog::default();
        let engine = Engine::new(
            EngineConfig::default(),
            Arc::new(ManualClock::new(0)),
            Box::new(log.clone()),
        );
        engine.commit(&node("n1")).expect("commits");
        let before = state(&engine);
        (engine, log, before)
    }

    #[test]
    fn a_command_the_log_refuses_leaves_the_store_as_it_was() {
        let (engine, log, before) = engine_with_node();
        log.failing.store(true, Ordering::SeqCst);
        let batch = Command::Batch(vec![node("n1"), node("n2"), namespace("team")]);
        let refused = engine.commit(&batch);
        assert_eq!(
            refused.map_err(|e| e.to_string()),
            Err("log append failed: disk full".to_string())
        );
        assert_eq!(state(&engine), before);
        assert!(engine.snapshot().node("n2").is_none());
        // The refused index is taken by the next command the log accepts.
        log.failing.store(false, Ordering::SeqCst);
        assert_eq!(engine.commit(&batch).expect("commits"), 2);
        assert_eq!(*log.taken.lock(), [1, 2]);
        assert!(engine.snapshot().namespace("team").is_some());
    }

    #[test]
    fn a_command_the_store_refuses_is_not_logged() {
        let (engine, log, before) = engine_with_node();
        let delete_unknown = Command::DeleteNamespaces(drover_state::NamespaceDeletes {
            names: vec!["nope".to_string()],
        });
        let batch = Command::Batch(vec![node("n2"), namespace("team"), delete_unknown]);
        assert!(engine.commit(&batch).is_err());
        assert_eq!(state(&engine), before);
        assert_eq!(*log.taken.lock(), [1]);
    }
}

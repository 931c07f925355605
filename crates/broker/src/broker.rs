//! `EvalBroker`: evaluations wait here until a worker dequeues them, and stay tracked until the
//! worker acknowledges them. It gives at-least-once delivery: a delivery that is neither acked nor
//! nacked before its nack timer fires is nacked for the worker.
//!
//! Where an evaluation can be, once enqueued:
//! - waiting: on the deadline heap until its `Wait`, its `WaitUntil` or a nack delay has passed;
//! - pending: behind the one evaluation of its job that is ready or unacked;
//! - ready: in the priority queue of its scheduler type (or of [`FAILED_QUEUE`]);
//! - unacked: handed to a worker under a token, with a nack timer unless paused;
//! - cancelable: dropped in favour of a newer pending evaluation of its job, for the caller to cancel.
//!
//! Time only moves through the `now` arguments: timers fire in [`EvalBroker::tick`].

use std::borrow::Borrow;
use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BinaryHeap, HashMap, hash_map};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use drover_model::Evaluation;

use crate::{BrokerError, Time};

/// The queue of evaluations that reached the delivery limit; the leader marks them failed.
pub const FAILED_QUEUE: &str = "_failed";

/// The broker's timing and retry rules. `Default` is Nomad's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerConfig {
    /// How long a worker may hold a delivery without acking, nacking or resetting it.
    pub nack_timeout: Duration,
    /// The wait before an evaluation nacked once is ready again.
    pub initial_nack_delay: Duration,
    /// The wait after the n-th nack (n >= 2) is (n - 1) times this.
    pub subsequent_nack_delay: Duration,
    /// After this many deliveries a nacked evaluation goes to [`FAILED_QUEUE`].
    pub delivery_limit: u32,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        Self {
            nack_timeout: Duration::from_secs(60),
            initial_nack_delay: Duration::from_secs(1),
            subsequent_nack_delay: Duration::from_secs(20),
            delivery_limit: 3,
        }
    }
}

/// Proof that a worker holds one delivery of an evaluation. Tokens come from a counter that a
/// flush does not reset, so a token from before a flush never matches a later delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Token(u64);

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// Counts of the broker's evaluations, as Nomad's `BrokerStats`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BrokerStats {
    pub total_ready: usize,
    pub total_unacked: usize,
    /// Evaluations queued behind another evaluation of their job (Nomad's `TotalPending`,
    /// `TotalBlocked` before Nomad 1.4). Blocked evaluations proper live in `BlockedEvals`.
    pub total_pending: usize,
    /// Evaluations on the deadline heap: `Wait`, `WaitUntil` and nack delays.
    pub total_waiting: usize,
    pub total_cancelable: usize,
    /// Per scheduler queue (including [`FAILED_QUEUE`]) seen since the last flush.
    pub by_scheduler: BTreeMap<String, SchedulerStats>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SchedulerStats {
    pub ready: usize,
    pub unacked: usize,
}

/// The evaluation broker. Every method is synchronous and takes the time it needs as an argument;
/// [`crate::SharedBroker`] adds waiting for work across threads.
#[derive(Debug)]
pub struct EvalBroker {
    config: BrokerConfig,
    enabled: bool,
    /// Every evaluation the broker holds, ready, pending, waiting or unacked, by ID.
    evals: HashMap<ById, Tracked>,
    /// The evaluation that holds each job's one ready-or-unacked place, and those behind it.
    jobs: HashMap<ByJob, JobQueue>,
    /// Ready queues by scheduler type; few, so a short vector searched by name.
    queues: Vec<ReadyQueue>,
    waiting: BinaryHeap<Keyed<WaitingKey>>,
    nack_timers: BTreeMap<(Time, Token), Arc<Evaluation>>,
    /// Evaluations to enqueue once the delivery with this token is acked (dropped on a nack).
    requeue: HashMap<Token, Arc<Evaluation>>,
    cancelable: Vec<Arc<Evaluation>>,
    pending_len: usize,
    next_token: u64,
    /// Breaks ties in insertion order, so equal keys come out deterministically.
    next_seq: u64,
    /// Picks among scheduler queues whose heads tie on priority, round robin.
    rotation: usize,
}

#[derive(Debug)]
struct Tracked {
    eval: Arc<Evaluation>,
    dequeues: u32,
    delivery: Option<Delivery>,
    /// The token of the last delivery whose nack timer fired, to name that error precisely.
    timed_out: Option<Token>,
}

#[derive(Debug, Clone, Copy)]
struct Delivery {
    token: Token,
    queue: usize,
    /// `None` while the nack timer is paused.
    deadline: Option<Time>,
}

#[derive(Debug)]
struct JobQueue {
    holder: Arc<Evaluation>,
    pending: BinaryHeap<Keyed<PendingKey>>,
}

#[derive(Debug)]
struct ReadyQueue {
    name: String,
    heap: BinaryHeap<Keyed<ReadyKey>>,
    unacked: usize,
}

/// Highest priority first, then the oldest (lowest create index), then insertion order.
type ReadyKey = (i32, Reverse<u64>, Reverse<u64>);
/// Highest priority first, then the newest (highest modify index), then the latest inserted.
type PendingKey = (i32, u64, u64);
/// Earliest deadline first, then insertion order.
type WaitingKey = Reverse<(Time, u64)>;

impl EvalBroker {
    /// A broker that starts disabled, as on a server that is not yet the leader.
    pub fn new(config: BrokerConfig) -> Self {
        Self {
            config,
            enabled: false,
            evals: HashMap::new(),
            jobs: HashMap::new(),
            queues: Vec::new(),
            waiting: BinaryHeap::new(),
            nack_timers: BTreeMap::new(),
            requeue: HashMap::new(),
            cancelable: Vec::new(),
            pending_len: 0,
            next_token: 0,
            next_seq: 0,
            rotation: 0,
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Disabling drops everything the broker holds: the new leader restores from state.
    pub fn set_enabled(&mut self, enabled: bool) {
        self.enabled = enabled;
        if !enabled {
            self.flush();
        }
    }

    fn flush(&mut self) {
        self.evals.clear();
        self.jobs.clear();
        self.queues.clear();
        self.waiting.clear();
        self.nack_timers.clear();
        self.requeue.clear();
        self.cancelable.clear();
        self.pending_len = 0;
    }

    /// Tracks a new evaluation. An ID the broker already holds is ignored, and so is everything
    /// while disabled.
    pub fn enqueue(&mut self, eval: impl Into<Arc<Evaluation>>, now: Time) {
        let eval = eval.into();
        if !self.enabled {
            return;
        }
        match self.evals.entry(ById(Arc::clone(&eval))) {
            hash_map::Entry::Occupied(_) => return,
            hash_map::Entry::Vacant(slot) => {
                slot.insert(Tracked {
                    eval: Arc::clone(&eval),
                    dequeues: 0,
                    delivery: None,
                    timed_out: None,
                });
            }
        }
        let wait = u64::try_from(eval.wait).unwrap_or(0);
        let wait_until = Time::from_unix_nanos(eval.wait_until);
        if wait > 0 {
            self.push_waiting(eval, now + Duration::from_nanos(wait));
        } else if eval.wait_until != 0 && wait_until > now {
            self.push_waiting(eval, wait_until);
        } else {
            self.admit(eval);
        }
    }

    /// Enqueues an evaluation that a worker re-blocked while it still holds a delivery of it:
    /// while that delivery (this token) is outstanding, the evaluation is held back and enqueued
    /// only when the delivery is acked; a nack drops it. An untracked evaluation is enqueued now.
    pub fn requeue(&mut self, eval: Arc<Evaluation>, token: Token, now: Time) {
        match self.evals.get(eval.id.as_str()) {
            None => self.enqueue(eval, now),
            Some(tracked) => {
                if tracked.delivery.is_some_and(|d| d.token == token) {
                    self.requeue.insert(token, eval);
                }
            }
        }
    }

    /// Enqueues released blocked evaluations: those with a token through [`Self::requeue`].
    pub fn enqueue_all(
        &mut self,
        evals: impl IntoIterator<Item = (Arc<Evaluation>, Option<Token>)>,
        now: Time,
    ) {
        for (eval, token) in evals {
            match token {
                Some(token) => self.requeue(eval, token, now),
                None => self.enqueue(eval, now),
            }
        }
    }

    /// Hands out the best ready evaluation of the given scheduler types: the highest priority
    /// among the queues' heads, the oldest within a queue. When several queues' heads tie on
    /// priority, they take turns (round robin over the tied queues in the order given) where Nomad
    /// picks at random. The nack timer runs from `now`.
    pub fn dequeue(
        &mut self,
        types: &[&str],
        now: Time,
    ) -> Result<Option<(Arc<Evaluation>, Token)>, BrokerError> {
        if !self.enabled {
            return Err(BrokerError::Disabled);
        }
        let Some(queue) = self.pick_queue(types) else {
            return Ok(None);
        };
        let Some(Keyed { eval, .. }) = self.queues[queue].heap.pop() else {
            return Ok(None);
        };
        self.next_token += 1;
        let token = Token(self.next_token);
        let deadline = now + self.config.nack_timeout;
        self.nack_timers
            .insert((deadline, token), Arc::clone(&eval));
        self.queues[queue].unacked += 1;
        let tracked = self.tracked_mut(&eval.id);
        tracked.dequeues += 1;
        tracked.delivery = Some(Delivery {
            token,
            queue,
            deadline: Some(deadline),
        });
        Ok(Some((eval, token)))
    }

    fn pick_queue(&mut self, types: &[&str]) -> Option<usize> {
        let heads = types.iter().filter_map(|name| {
            let index = self.queues.iter().position(|q| q.name == *name)?;
            let head = self.queues[index].heap.peek()?;
            Some((index, head.key.0))
        });
        let mut best: Option<(i32, usize)> = None;
        for (_, priority) in heads.clone() {
            best = match best {
                Some((top, ties)) if priority == top => Some((top, ties + 1)),
                Some((top, _)) if priority < top => best,
                _ => Some((priority, 1)),
            };
        }
        let (top, ties) = best?;
        let turn = if ties > 1 {
            self.rotation = self.rotation.wrapping_add(1);
            self.rotation % ties
        } else {
            0
        };
        heads
            .filter(|(_, priority)| *priority == top)
            .nth(turn)
            .map(|(index, _)| index)
    }

    /// The worker finished the evaluation. The job's next pending evaluation (highest priority,
    /// then newest) becomes ready and the job's other pending ones become cancelable; an
    /// evaluation re-blocked under this token is enqueued now.
    pub fn ack(&mut self, id: &str, token: Token, now: Time) -> Result<(), BrokerError> {
        let delivery = self.delivery(id, token)?;
        let requeued = self.requeue.remove(&token);
        let Some(Tracked { eval, .. }) = self.evals.remove(id) else {
            return Err(BrokerError::NotOutstanding);
        };
        self.stop_nack_timer(delivery);
        self.queues[delivery.queue].unacked -= 1;
        if let Some(job) = self.jobs.remove(&ByJob(eval))
            && let Some(next) = self.promote_pending(job.pending)
        {
            self.admit(next);
        }
        if let Some(requeued) = requeued {
            self.enqueue(requeued, now);
        }
        Ok(())
    }

    /// Keeps the best pending evaluation and makes the rest cancelable: once an evaluation of the
    /// job has been processed, one newer evaluation captures every change they were created for.
    fn promote_pending(
        &mut self,
        mut pending: BinaryHeap<Keyed<PendingKey>>,
    ) -> Option<Arc<Evaluation>> {
        let next = pending.pop()?.eval;
        self.pending_len -= 1 + pending.len();
        for Keyed { eval, .. } in pending.into_sorted_vec().into_iter().rev() {
            self.evals.remove(eval.id.as_str());
            self.cancelable.push(eval);
        }
        Some(next)
    }

    /// The worker gave up on the evaluation: it is retried after a delay, or goes to
    /// [`FAILED_QUEUE`] once it was delivered `delivery_limit` times. The job keeps its place.
    pub fn nack(&mut self, id: &str, token: Token, now: Time) -> Result<(), BrokerError> {
        self.delivery(id, token)?;
        self.fail_delivery(id, now);
        Ok(())
    }

    fn fail_delivery(&mut self, id: &str, now: Time) {
        let tracked = self.tracked_mut(id);
        let (eval, dequeues) = (Arc::clone(&tracked.eval), tracked.dequeues);
        let Some(delivery) = tracked.delivery.take() else {
            return;
        };
        self.stop_nack_timer(delivery);
        self.requeue.remove(&delivery.token);
        self.queues[delivery.queue].unacked -= 1;
        if dequeues >= self.config.delivery_limit {
            let failed = self.queue_index(FAILED_QUEUE);
            self.push_ready(failed, eval);
            return;
        }
        let delay = match dequeues {
            0 => Duration::ZERO,
            1 => self.config.initial_nack_delay,
            n => self.config.subsequent_nack_delay * (n - 1),
        };
        if delay.is_zero() {
            self.admit(eval);
        } else {
            self.push_waiting(eval, now + delay);
        }
    }

    /// The token of the evaluation's outstanding delivery, if it is handed out.
    pub fn outstanding(&self, id: &str) -> Option<Token> {
        self.evals.get(id)?.delivery.map(|d| d.token)
    }

    /// Restarts the nack timer from `now`, for a worker that is still making progress. A paused
    /// timer stays paused.
    pub fn outstanding_reset(
        &mut self,
        id: &str,
        token: Token,
        now: Time,
    ) -> Result<(), BrokerError> {
        let delivery = self.delivery(id, token)?;
        if delivery.deadline.is_some() {
            self.restart_nack_timer(id, delivery, now);
        }
        Ok(())
    }

    /// Stops the nack timer while the worker waits on something unbounded (the plan queue).
    pub fn pause_nack_timeout(&mut self, id: &str, token: Token) -> Result<(), BrokerError> {
        let delivery = self.delivery(id, token)?;
        self.stop_nack_timer(delivery);
        if let Some(d) = self.tracked_mut(id).delivery.as_mut() {
            d.deadline = None;
        }
        Ok(())
    }

    /// Starts the nack timer again, a full timeout from `now`.
    pub fn resume_nack_timeout(
        &mut self,
        id: &str,
        token: Token,
        now: Time,
    ) -> Result<(), BrokerError> {
        let delivery = self.delivery(id, token)?;
        self.restart_nack_timer(id, delivery, now);
        Ok(())
    }

    fn restart_nack_timer(&mut self, id: &str, delivery: Delivery, now: Time) {
        self.stop_nack_timer(delivery);
        let deadline = now + self.config.nack_timeout;
        let tracked = self.tracked_mut(id);
        let eval = Arc::clone(&tracked.eval);
        if let Some(d) = tracked.delivery.as_mut() {
            d.deadline = Some(deadline);
        }
        self.nack_timers.insert((deadline, delivery.token), eval);
    }

    fn stop_nack_timer(&mut self, delivery: Delivery) {
        if let Some(deadline) = delivery.deadline {
            self.nack_timers.remove(&(deadline, delivery.token));
        }
    }

    /// Fires every timer due at `now`, in time order, each at its own deadline: nack timeouts
    /// (as nacks) and waits (as enqueues). A nack delay that ends by `now` fires in the same call.
    /// Returns how many timers fired.
    pub fn tick(&mut self, now: Time) -> usize {
        let mut fired = 0;
        loop {
            let nack_due = self.nack_timers.first_key_value().map(|(key, _)| key.0);
            let wait_due = self.waiting.peek().map(|w| w.key.0.0);
            match (nack_due, wait_due) {
                (Some(nack), _) if nack <= now && wait_due.is_none_or(|wait| nack <= wait) => {
                    let Some(((deadline, token), eval)) = self.nack_timers.pop_first() else {
                        break;
                    };
                    self.tracked_mut(&eval.id).timed_out = Some(token);
                    self.fail_delivery(&eval.id, deadline);
                }
                (_, Some(wait)) if wait <= now => {
                    let Some(Keyed { eval, .. }) = self.waiting.pop() else {
                        break;
                    };
                    self.admit(eval);
                }
                _ => break,
            }
            fired += 1;
        }
        fired
    }

    /// When [`Self::tick`] next has something to fire.
    pub fn next_deadline(&self) -> Option<Time> {
        let nack = self.nack_timers.first_key_value().map(|(key, _)| key.0);
        let wait = self.waiting.peek().map(|w| w.key.0.0);
        match (nack, wait) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Takes up to `limit` evaluations that a newer one of their job made redundant, oldest
    /// first; the caller marks them canceled.
    pub fn take_cancelable(&mut self, limit: usize) -> Vec<Arc<Evaluation>> {
        let n = limit.min(self.cancelable.len());
        self.cancelable.drain(..n).collect()
    }

    pub fn stats(&self) -> BrokerStats {
        let by_scheduler: BTreeMap<String, SchedulerStats> = self
            .queues
            .iter()
            .map(|q| {
                let stats = SchedulerStats {
                    ready: q.heap.len(),
                    unacked: q.unacked,
                };
                (q.name.clone(), stats)
            })
            .collect();
        BrokerStats {
            total_ready: by_scheduler.values().map(|s| s.ready).sum(),
            total_unacked: by_scheduler.values().map(|s| s.unacked).sum(),
            total_pending: self.pending_len,
            total_waiting: self.waiting.len(),
            total_cancelable: self.cancelable.len(),
            by_scheduler,
        }
    }

    /// The outstanding delivery `token` names, or why there is none.
    fn delivery(&self, id: &str, token: Token) -> Result<Delivery, BrokerError> {
        let tracked = self.evals.get(id).ok_or(BrokerError::NotOutstanding)?;
        match tracked.delivery {
            Some(d) if d.token == token => Ok(d),
            _ if tracked.timed_out == Some(token) => Err(BrokerError::NackTimeoutReached),
            Some(_) => Err(BrokerError::TokenMismatch),
            None => Err(BrokerError::NotOutstanding),
        }
    }

    fn tracked_mut(&mut self, id: &str) -> &mut Tracked {
        self.evals
            .get_mut(id)
            .expect("evaluations in the broker's queues are tracked")
    }

    /// Makes the evaluation ready unless another evaluation of its job is ready or unacked; then
    /// it waits behind that one.
    fn admit(&mut self, eval: Arc<Evaluation>) {
        match self.jobs.entry(ByJob(Arc::clone(&eval))) {
            hash_map::Entry::Occupied(mut job) if job.get().holder.id != eval.id => {
                self.next_seq += 1;
                let key = (eval.priority, eval.modify_index, self.next_seq);
                job.get_mut().pending.push(Keyed { key, eval });
                self.pending_len += 1;
                return;
            }
            hash_map::Entry::Occupied(_) => {}
            hash_map::Entry::Vacant(job) => {
                job.insert(JobQueue {
                    holder: Arc::clone(&eval),
                    pending: BinaryHeap::new(),
                });
            }
        }
        let queue = self.queue_index(&eval.eval_type);
        self.push_ready(queue, eval);
    }

    fn push_ready(&mut self, queue: usize, eval: Arc<Evaluation>) {
        self.next_seq += 1;
        let key = (
            eval.priority,
            Reverse(eval.create_index),
            Reverse(self.next_seq),
        );
        self.queues[queue].heap.push(Keyed { key, eval });
    }

    fn push_waiting(&mut self, eval: Arc<Evaluation>, due: Time) {
        self.next_seq += 1;
        let key = Reverse((due, self.next_seq));
        self.waiting.push(Keyed { key, eval });
    }

    fn queue_index(&mut self, name: &str) -> usize {
        if let Some(index) = self.queues.iter().position(|q| q.name == name) {
            return index;
        }
        self.queues.push(ReadyQueue {
            name: name.to_owned(),
            heap: BinaryHeap::new(),
            unacked: 0,
        });
        self.queues.len() - 1
    }
}

impl Default for EvalBroker {
    fn default() -> Self {
        Self::new(BrokerConfig::default())
    }
}

/// A queued evaluation ordered by its key alone.
#[derive(Debug)]
struct Keyed<K> {
    key: K,
    eval: Arc<Evaluation>,
}

impl<K: Ord> Ord for Keyed<K> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

impl<K: Ord> PartialOrd for Keyed<K> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<K: Ord> PartialEq for Keyed<K> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl<K: Ord> Eq for Keyed<K> {}

/// An evaluation as a map key by its ID, found with a `&str`; no ID is copied.
#[derive(Debug)]
struct ById(Arc<Evaluation>);

impl Hash for ById {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.id.as_str().hash(state);
    }
}

impl PartialEq for ById {
    fn eq(&self, other: &Self) -> bool {
        self.0.id == other.0.id
    }
}

impl Eq for ById {}

impl Borrow<str> for ById {
    fn borrow(&self) -> &str {
        &self.0.id
    }
}

/// An evaluation as a map key by its job, (namespace, job ID).
#[derive(Debug)]
struct ByJob(Arc<Evaluation>);

impl Hash for ByJob {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.namespace.hash(state);
        self.0.job_id.hash(state);
    }
}

impl PartialEq for ByJob {
    fn eq(&self, other: &Self) -> bool {
        self.0.namespace == other.0.namespace && self.0.job_id == other.0.job_id
    }
}

impl Eq for ByJob {}

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

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::ops::{Index, IndexMut};
use std::sync::Arc;
use std::time::Duration;

use drover_model::Evaluation;
use hashbrown::{HashTable, hash_table};

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

/// Proof that a worker holds one delivery of an evaluation. Serials come from a counter that a
/// flush does not reset, so a token from before a flush never matches a later delivery; the slot
/// lets the broker find the delivery without a lookup by ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Token {
    serial: u64,
    slot: u32,
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.serial)
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
    /// Every evaluation the broker holds, ready, pending, waiting or unacked. The queues, timers
    /// and tokens refer to evaluations by slot.
    slab: Slab,
    /// Slots by the hash of their evaluation's ID, kept beside the slot so that a probe compares
    /// the full hash before reading another evaluation's ID.
    by_id: HashTable<(u64, u32)>,
    /// The evaluation that holds each job's one ready-or-unacked place, and those behind it, by
    /// the hash of (namespace, job ID).
    jobs: HashTable<JobQueue>,
    /// Randomly keyed like every std `HashMap`, so that chosen job IDs cannot collide on purpose.
    /// It decides only where entries sit in the tables, never what the broker answers.
    hasher: RandomState,
    /// Ready queues by scheduler type; few, so a short vector searched by name.
    queues: Vec<ReadyQueue>,
    /// Earliest deadline first, then insertion order.
    waiting: BinaryHeap<Reverse<(Time, u64, u32)>>,
    nack_timers: BTreeMap<(Time, Token), u32>,
    /// Evaluations to enqueue once the delivery with this token is acked (dropped on a nack).
    requeue: HashMap<Token, Arc<Evaluation>>,
    cancelable: Vec<Arc<Evaluation>>,
    pending_len: usize,
    next_serial: u64,
    /// Breaks ties in insertion order, so equal keys come out deterministically.
    next_seq: u64,
    /// Picks among scheduler queues whose heads tie on priority, round robin.
    rotation: usize,
}

#[derive(Debug)]
struct Tracked {
    eval: Arc<Evaluation>,
    /// The hashes of the ID and of (namespace, job ID), computed once while the strings are in
    /// cache, so that the evaluation leaves the tables without its strings being read again.
    id_hash: u64,
    job_hash: u64,
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
    hash: u64,
    holder: u32,
    /// Highest priority first, then the newest (highest modify index), then the latest inserted.
    pending: BinaryHeap<(i32, u64, u64, u32)>,
}

#[derive(Debug)]
struct ReadyQueue {
    name: String,
    /// Highest priority first, then the oldest (lowest create index), then insertion order. New
    /// evaluations usually have the newest create index and go at the end of their priority, so
    /// a B-tree keeps both ends of the queue in cache where a binary heap would not.
    ready: BTreeMap<(Reverse<i32>, u64, u64), u32>,
    unacked: usize,
}

impl EvalBroker {
    /// A broker that starts disabled, as on a server that is not yet the leader.
    pub fn new(config: BrokerConfig) -> Self {
        Self {
            config,
            enabled: false,
            slab: Slab::default(),
            by_id: HashTable::new(),
            jobs: HashTable::new(),
            hasher: RandomState::new(),
            queues: Vec::new(),
            waiting: BinaryHeap::new(),
            nack_timers: BTreeMap::new(),
            requeue: HashMap::new(),
            cancelable: Vec::new(),
            pending_len: 0,
            next_serial: 0,
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
        self.slab = Slab::default();
        self.by_id.clear();
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
        let id_hash = self.hasher.hash_one(eval.id.as_str());
        if self.find(id_hash, &eval.id).is_some() {
            return;
        }
        let slot = self.slab.insert(Tracked {
            eval: Arc::clone(&eval),
            id_hash,
            job_hash: self.hasher.hash_one((&eval.namespace, &eval.job_id)),
            dequeues: 0,
            delivery: None,
            timed_out: None,
        });
        self.by_id
            .insert_unique(id_hash, (id_hash, slot), |&(hash, _)| hash);
        let wait = u64::try_from(eval.wait).unwrap_or(0);
        let wait_until = Time::from_unix_nanos(eval.wait_until);
        if wait > 0 {
            self.push_waiting(slot, now + Duration::from_nanos(wait));
        } else if eval.wait_until != 0 && wait_until > now {
            self.push_waiting(slot, wait_until);
        } else {
            self.admit(slot);
        }
    }

    /// Enqueues an evaluation that a worker re-blocked while it still holds a delivery of it:
    /// while that delivery (this token) is outstanding, the evaluation is held back and enqueued
    /// only when the delivery is acked; a nack drops it. An untracked evaluation is enqueued now.
    pub fn requeue(&mut self, eval: Arc<Evaluation>, token: Token, now: Time) {
        match self.slot_of(&eval.id) {
            None => self.enqueue(eval, now),
            Some(slot) => {
                if self.slab[slot].delivery.is_some_and(|d| d.token == token) {
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
        let evals = evals.into_iter();
        let (expected, _) = evals.size_hint();
        self.by_id.reserve(expected, |&(hash, _)| hash);
        self.jobs.reserve(expected, |job| job.hash);
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
        let Some((_, slot)) = self.queues[queue].ready.pop_first() else {
            return Ok(None);
        };
        self.next_serial += 1;
        let token = Token {
            serial: self.next_serial,
            slot,
        };
        let deadline = now + self.config.nack_timeout;
        self.nack_timers.insert((deadline, token), slot);
        self.queues[queue].unacked += 1;
        let tracked = &mut self.slab[slot];
        tracked.dequeues += 1;
        tracked.delivery = Some(Delivery {
            token,
            queue,
            deadline: Some(deadline),
        });
        Ok(Some((Arc::clone(&tracked.eval), token)))
    }

    fn pick_queue(&mut self, types: &[&str]) -> Option<usize> {
        let heads = types.iter().filter_map(|name| {
            let index = self.queues.iter().position(|q| q.name == *name)?;
            let (head, _) = self.queues[index].ready.first_key_value()?;
            Some((index, head.0.0))
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
        let (slot, delivery) = self.delivery(id, token)?;
        let requeued = self.take_requeue(token);
        self.stop_nack_timer(delivery);
        self.queues[delivery.queue].unacked -= 1;
        let job_hash = self.slab[slot].job_hash;
        self.forget(slot);
        let job = self.jobs.find_entry(job_hash, |job| job.holder == slot);
        if let Some(job) = job.ok().map(|job| job.remove().0)
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
    fn promote_pending(&mut self, mut pending: BinaryHeap<(i32, u64, u64, u32)>) -> Option<u32> {
        let (_, _, _, next) = pending.pop()?;
        self.pending_len -= 1 + pending.len();
        for (_, _, _, slot) in pending.into_sorted_vec().into_iter().rev() {
            let eval = self.forget(slot);
            self.cancelable.push(eval);
        }
        Some(next)
    }

    /// Stops tracking the evaluation in `slot`.
    fn forget(&mut self, slot: u32) -> Arc<Evaluation> {
        let tracked = self.slab.remove(slot);
        if let Ok(entry) = self.by_id.find_entry(tracked.id_hash, |&(_, s)| s == slot) {
            entry.remove();
        }
        tracked.eval
    }

    /// The slot of the evaluation with this ID.
    fn slot_of(&self, id: &str) -> Option<u32> {
        self.find(self.hasher.hash_one(id), id)
    }

    fn find(&self, id_hash: u64, id: &str) -> Option<u32> {
        let slab = &self.slab;
        self.by_id
            .find(id_hash, |&(hash, s)| {
                hash == id_hash && slab[s].eval.id == id
            })
            .map(|&(_, slot)| slot)
    }

    /// The worker gave up on the evaluation: it is retried after a delay, or goes to
    /// [`FAILED_QUEUE`] once it was delivered `delivery_limit` times. The job keeps its place.
    pub fn nack(&mut self, id: &str, token: Token, now: Time) -> Result<(), BrokerError> {
        let (slot, _) = self.delivery(id, token)?;
        self.fail_delivery(slot, now);
        Ok(())
    }

    fn fail_delivery(&mut self, slot: u32, now: Time) {
        let tracked = &mut self.slab[slot];
        let dequeues = tracked.dequeues;
        let Some(delivery) = tracked.delivery.take() else {
            return;
        };
        self.stop_nack_timer(delivery);
        self.take_requeue(delivery.token);
        self.queues[delivery.queue].unacked -= 1;
        if dequeues >= self.config.delivery_limit {
            let failed = self.queue_index(FAILED_QUEUE);
            self.push_ready(failed, slot);
            return;
        }
        let delay = match dequeues {
            0 => Duration::ZERO,
            1 => self.config.initial_nack_delay,
            n => self.config.subsequent_nack_delay.saturating_mul(n - 1),
        };
        if delay.is_zero() {
            self.admit(slot);
        } else {
            self.push_waiting(slot, now + delay);
        }
    }

    fn take_requeue(&mut self, token: Token) -> Option<Arc<Evaluation>> {
        // Skips hashing the token in the common case.
        if self.requeue.is_empty() {
            return None;
        }
        self.requeue.remove(&token)
    }

    /// The token of the evaluation's outstanding delivery, if it is handed out.
    pub fn outstanding(&self, id: &str) -> Option<Token> {
        let slot = self.slot_of(id)?;
        self.slab[slot].delivery.map(|d| d.token)
    }

    /// Restarts the nack timer from `now`, for a worker that is still making progress. A paused
    /// timer stays paused.
    pub fn outstanding_reset(
        &mut self,
        id: &str,
        token: Token,
        now: Time,
    ) -> Result<(), BrokerError> {
        let (slot, delivery) = self.delivery(id, token)?;
        if delivery.deadline.is_some() {
            self.set_nack_timer(slot, delivery, Some(now + self.config.nack_timeout));
        }
        Ok(())
    }

    /// Stops the nack timer while the worker waits on something unbounded (the plan queue).
    pub fn pause_nack_timeout(&mut self, id: &str, token: Token) -> Result<(), BrokerError> {
        let (slot, delivery) = self.delivery(id, token)?;
        self.set_nack_timer(slot, delivery, None);
        Ok(())
    }

    /// Starts the nack timer again, a full timeout from `now`.
    pub fn resume_nack_timeout(
        &mut self,
        id: &str,
        token: Token,
        now: Time,
    ) -> Result<(), BrokerError> {
        let (slot, delivery) = self.delivery(id, token)?;
        self.set_nack_timer(slot, delivery, Some(now + self.config.nack_timeout));
        Ok(())
    }

    /// Moves the delivery's nack timer to `deadline`; `None` pauses it.
    fn set_nack_timer(&mut self, slot: u32, delivery: Delivery, deadline: Option<Time>) {
        self.stop_nack_timer(delivery);
        if let Some(deadline) = deadline {
            self.nack_timers.insert((deadline, delivery.token), slot);
        }
        self.slab[slot].delivery = Some(Delivery {
            deadline,
            ..delivery
        });
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
            let wait_due = self.waiting.peek().map(|Reverse(w)| w.0);
            match (nack_due, wait_due) {
                (Some(nack), _) if nack <= now && wait_due.is_none_or(|wait| nack <= wait) => {
                    let Some(((deadline, token), slot)) = self.nack_timers.pop_first() else {
                        break;
                    };
                    self.slab[slot].timed_out = Some(token);
                    self.fail_delivery(slot, deadline);
                }
                (_, Some(wait)) if wait <= now => {
                    let Some(Reverse((_, _, slot))) = self.waiting.pop() else {
                        break;
                    };
                    self.admit(slot);
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
        let wait = self.waiting.peek().map(|Reverse(w)| w.0);
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
                    ready: q.ready.len(),
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

    /// The slot and outstanding delivery `token` names, or why there is none.
    fn delivery(&self, id: &str, token: Token) -> Result<(u32, Delivery), BrokerError> {
        // The token names its slot; the lookup by ID is only needed to explain a refusal. A
        // worker usually passes the handed-out evaluation's own ID, which compares without
        // reading its bytes.
        if let Some(tracked) = self.slab.get(token.slot)
            && let Some(d) = tracked.delivery
            && d.token == token
            && (std::ptr::eq(tracked.eval.id.as_str(), id) || tracked.eval.id == id)
        {
            return Ok((token.slot, d));
        }
        let slot = self.slot_of(id).ok_or(BrokerError::NotOutstanding)?;
        let tracked = &self.slab[slot];
        match tracked.delivery {
            _ if tracked.timed_out == Some(token) => Err(BrokerError::NackTimeoutReached),
            Some(_) => Err(BrokerError::TokenMismatch),
            None => Err(BrokerError::NotOutstanding),
        }
    }

    /// Makes the evaluation ready unless another evaluation of its job is ready or unacked; then
    /// it waits behind that one.
    fn admit(&mut self, slot: u32) {
        let slab = &self.slab;
        let eval = Arc::clone(&slab[slot].eval);
        let hash = slab[slot].job_hash;
        let same_job = |job: &JobQueue| {
            let holder = &slab[job.holder].eval;
            job.hash == hash && holder.namespace == eval.namespace && holder.job_id == eval.job_id
        };
        match self.jobs.entry(hash, same_job, |job| job.hash) {
            hash_table::Entry::Occupied(mut job) if job.get().holder != slot => {
                self.next_seq += 1;
                let key = (eval.priority, eval.modify_index, self.next_seq, slot);
                job.get_mut().pending.push(key);
                self.pending_len += 1;
                return;
            }
            hash_table::Entry::Occupied(_) => {}
            hash_table::Entry::Vacant(job) => {
                job.insert(JobQueue {
                    hash,
                    holder: slot,
                    pending: BinaryHeap::new(),
                });
            }
        }
        let queue = self.queue_index(&eval.eval_type);
        self.push_ready(queue, slot);
    }

    fn push_ready(&mut self, queue: usize, slot: u32) {
        self.next_seq += 1;
        let eval = &self.slab[slot].eval;
        let key = (Reverse(eval.priority), eval.create_index, self.next_seq);
        self.queues[queue].ready.insert(key, slot);
    }

    fn push_waiting(&mut self, slot: u32, due: Time) {
        self.next_seq += 1;
        self.waiting.push(Reverse((due, self.next_seq, slot)));
    }

    fn queue_index(&mut self, name: &str) -> usize {
        if let Some(index) = self.queues.iter().position(|q| q.name == name) {
            return index;
        }
        self.queues.push(ReadyQueue {
            name: name.to_owned(),
            ready: BTreeMap::new(),
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

/// The tracked evaluations in reusable slots, so that queues, timers and tokens can name them
/// with a number instead of a lookup by ID.
#[derive(Debug, Default)]
struct Slab {
    slots: Vec<Option<Tracked>>,
    free: Vec<u32>,
}

impl Slab {
    fn insert(&mut self, tracked: Tracked) -> u32 {
        match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(tracked);
                slot
            }
            None => {
                self.slots.push(Some(tracked));
                u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 evaluations")
            }
        }
    }

    fn remove(&mut self, slot: u32) -> Tracked {
        let tracked = self.slots[slot as usize].take();
        self.free.push(slot);
        tracked.expect("a freed slot is not referenced")
    }

    fn get(&self, slot: u32) -> Option<&Tracked> {
        self.slots.get(slot as usize)?.as_ref()
    }
}

impl Index<u32> for Slab {
    type Output = Tracked;

    fn index(&self, slot: u32) -> &Tracked {
        self.get(slot)
            .expect("a slot in a queue holds an evaluation")
    }
}

impl IndexMut<u32> for Slab {
    fn index_mut(&mut self, slot: u32) -> &mut Tracked {
        self.slots[slot as usize]
            .as_mut()
            .expect("a slot in a queue holds an evaluation")
    }
}

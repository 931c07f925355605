//! The broker against a plain reference model. Random sequences of operations at random times go
//! to both; every answer, the stats and the next deadline must agree after every step. The model
//! keeps each evaluation in a list with its place and finds everything by linear scans, so it is
//! easy to read against Nomad's rules. On top of agreement the harness checks the invariants: no
//! evaluation is lost, none is handed to two workers at once, one per job is ready or unacked,
//! priority order holds, and the delivery limit holds.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use drover_broker::{
    BrokerConfig, BrokerError, BrokerStats, EvalBroker, FAILED_QUEUE, SchedulerStats, Time, Token,
};
use drover_model::{Evaluation, SECOND};
use proptest::prelude::*;

const TYPES: [&str; 3] = ["service", "batch", FAILED_QUEUE];
const PRIORITIES: [i32; 3] = [20, 50, 70];

#[derive(Debug, Clone)]
enum Op {
    Enqueue {
        job: u8,
        namespace: u8,
        priority: usize,
        batch: bool,
        delay: Delay,
    },
    /// Enqueues again an evaluation created earlier: ignored while the broker holds it.
    Reenqueue(usize),
    /// A bit mask over `TYPES`.
    Dequeue(u8),
    /// These pick a delivery handed out earlier, which may be stale.
    Ack(usize),
    Nack(usize),
    Reset(usize),
    Pause(usize),
    Resume(usize),
    Requeue(usize),
    TakeCancelable(usize),
    Tick,
    SetEnabled(bool),
}

#[derive(Debug, Clone, Copy)]
enum Delay {
    None,
    Wait(i64),
    WaitUntil(i64),
}

fn op() -> impl Strategy<Value = Op> {
    let delay = prop_oneof![
        6 => Just(Delay::None),
        1 => (1..30i64).prop_map(Delay::Wait),
        1 => (0..30i64).prop_map(Delay::WaitUntil),
    ];
    let enqueue = (0..3u8, 0..2u8, 0..3usize, any::<bool>(), delay).prop_map(
        |(job, namespace, priority, batch, delay)| Op::Enqueue {
            job,
            namespace,
            priority,
            batch,
            delay,
        },
    );
    prop_oneof![
        8 => enqueue,
        1 => any::<usize>().prop_map(Op::Reenqueue),
        8 => (1..8u8).prop_map(Op::Dequeue),
        5 => any::<usize>().prop_map(Op::Ack),
        3 => any::<usize>().prop_map(Op::Nack),
        1 => any::<usize>().prop_map(Op::Reset),
        1 => any::<usize>().prop_map(Op::Pause),
        1 => any::<usize>().prop_map(Op::Resume),
        1 => any::<usize>().prop_map(Op::Requeue),
        1 => (0..4usize).prop_map(Op::TakeCancelable),
        3 => Just(Op::Tick),
        1 => (0..10u8).prop_map(|n| Op::SetEnabled(n != 0)),
    ]
}

/// How far time moves before a step, in milliseconds: often not at all, sometimes past a nack
/// delay or a nack timeout.
fn advance() -> impl Strategy<Value = i64> {
    prop_oneof![
        4 => Just(0),
        3 => Just(500),
        2 => Just(1_000),
        1 => Just(20_000),
        1 => Just(61_000),
    ]
}

#[derive(Debug)]
enum Place {
    Waiting {
        due: Time,
        seq: u64,
    },
    Pending {
        seq: u64,
    },
    Ready {
        queue: String,
        seq: u64,
    },
    Unacked {
        token: Token,
        queue: String,
        deadline: Option<Time>,
    },
}

#[derive(Debug)]
struct Entry {
    eval: Arc<Evaluation>,
    dequeues: u32,
    /// Holds its job's one ready-or-unacked place (also while waiting out a nack delay).
    holds_job: bool,
    timed_out: Option<Token>,
    place: Place,
}

/// The reference model of the broker.
#[derive(Debug, Default)]
struct Model {
    config: BrokerConfig,
    enabled: bool,
    evals: BTreeMap<String, Entry>,
    queues: BTreeSet<String>,
    requeue: Vec<(Token, Arc<Evaluation>)>,
    cancelable: Vec<Arc<Evaluation>>,
    seq: u64,
    rotation: usize,
    /// How often each evaluation was accepted, and how often it left (acked, cancelable, flushed).
    accepted: BTreeMap<String, u32>,
    left: BTreeMap<String, u32>,
}

fn same_job(a: &Evaluation, b: &Evaluation) -> bool {
    a.namespace == b.namespace && a.job_id == b.job_id
}

impl Model {
    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn leave(&mut self, id: &str) {
        *self.left.entry(id.to_owned()).or_default() += 1;
    }

    fn set_enabled(&mut self, enabled: bool) {
        self.enabled = enabled;
        if !enabled {
            let ids: Vec<String> = self.evals.keys().cloned().collect();
            ids.iter().for_each(|id| self.leave(id));
            self.evals.clear();
            self.queues.clear();
            self.requeue.clear();
            self.cancelable.clear();
        }
    }

    fn enqueue(&mut self, eval: Arc<Evaluation>, now: Time) {
        if !self.enabled || self.evals.contains_key(eval.id.as_str()) {
            return;
        }
        *self.accepted.entry(eval.id.to_string()).or_default() += 1;
        let id = eval.id.to_string();
        let due = if eval.wait > 0 {
            Some(Time::from_unix_nanos(now.unix_nanos() + eval.wait))
        } else if eval.wait_until != 0 && eval.wait_until > now.unix_nanos() {
            Some(Time::from_unix_nanos(eval.wait_until))
        } else {
            None
        };
        let seq = self.next_seq();
        let place = match due {
            Some(due) => Place::Waiting { due, seq },
            None => Place::Pending { seq },
        };
        let entry = Entry {
            eval,
            dequeues: 0,
            holds_job: false,
            timed_out: None,
            place,
        };
        self.evals.insert(id.clone(), entry);
        if due.is_none() {
            self.admit(&id);
        }
    }

    fn admit(&mut self, id: &str) {
        let eval = Arc::clone(&self.evals[id].eval);
        let taken = self
            .evals
            .values()
            .any(|e| e.holds_job && e.eval.id != id && same_job(&e.eval, &eval));
        let seq = self.next_seq();
        let entry = self.evals.get_mut(id).unwrap();
        if taken {
            entry.place = Place::Pending { seq };
        } else {
            entry.holds_job = true;
            entry.place = Place::Ready {
                queue: eval.eval_type.clone(),
                seq,
            };
            self.queues.insert(eval.eval_type.clone());
        }
    }

    /// The evaluation a dequeue over `types` hands out, and its queue.
    fn choose(&mut self, types: &[&str]) -> Result<Option<(String, String)>, BrokerError> {
        if !self.enabled {
            return Err(BrokerError::Disabled);
        }
        let heads: Vec<(String, i32, String)> = types
            .iter()
            .filter_map(|t| {
                let head = self
                    .evals
                    .values()
                    .filter_map(|e| match &e.place {
                        Place::Ready { queue, seq } if queue == t => Some((e, *seq)),
                        _ => None,
                    })
                    .max_by_key(|(e, seq)| {
                        (e.eval.priority, Reverse(e.eval.create_index), Reverse(*seq))
                    })?;
                Some((
                    t.to_string(),
                    head.0.eval.priority,
                    head.0.eval.id.to_string(),
                ))
            })
            .collect();
        let Some(top) = heads.iter().map(|h| h.1).max() else {
            return Ok(None);
        };
        let tied: Vec<&(String, i32, String)> = heads.iter().filter(|h| h.1 == top).collect();
        let turn = if tied.len() > 1 {
            self.rotation += 1;
            self.rotation % tied.len()
        } else {
            0
        };
        Ok(Some((tied[turn].2.clone(), tied[turn].0.clone())))
    }

    fn deliver(&mut self, id: &str, queue: String, token: Token, now: Time) {
        let deadline = Some(now + self.config.nack_timeout);
        let limit = self.config.delivery_limit;
        let entry = self.evals.get_mut(id).unwrap();
        entry.dequeues += 1;
        entry.place = Place::Unacked {
            token,
            queue,
            deadline,
        };
        assert!(
            entry.dequeues <= limit
                || matches!(&entry.place, Place::Unacked { queue, .. } if queue == FAILED_QUEUE),
            "{id} delivered from its own queue more than the delivery limit"
        );
    }

    fn check(&self, id: &str, token: Token) -> Result<(), BrokerError> {
        let entry = self.evals.get(id).ok_or(BrokerError::NotOutstanding)?;
        match &entry.place {
            Place::Unacked { token: t, .. } if *t == token => Ok(()),
            _ if entry.timed_out == Some(token) => Err(BrokerError::NackTimeoutReached),
            Place::Unacked { .. } => Err(BrokerError::TokenMismatch),
            _ => Err(BrokerError::NotOutstanding),
        }
    }

    fn ack(&mut self, id: &str, token: Token, now: Time) -> Result<(), BrokerError> {
        self.check(id, token)?;
        let requeued = self.take_requeue(token);
        let acked = self.evals.remove(id).unwrap().eval;
        self.leave(id);
        let mut pending: Vec<(i32, u64, u64, String)> = self
            .evals
            .values()
            .filter_map(|e| match e.place {
                Place::Pending { seq } if same_job(&e.eval, &acked) => Some((
                    e.eval.priority,
                    e.eval.modify_index,
                    seq,
                    e.eval.id.to_string(),
                )),
                _ => None,
            })
            .collect();
        pending.sort();
        if let Some((_, _, _, next)) = pending.pop() {
            for (_, _, _, id) in pending.iter().rev() {
                let entry = self.evals.remove(id).unwrap();
                self.leave(id);
                self.cancelable.push(entry.eval);
            }
            self.admit(&next);
        }
        if let Some(eval) = requeued {
            self.enqueue(eval, now);
        }
        Ok(())
    }

    fn take_requeue(&mut self, token: Token) -> Option<Arc<Evaluation>> {
        let at = self.requeue.iter().position(|(t, _)| *t == token)?;
        Some(self.requeue.remove(at).1)
    }

    fn nack(&mut self, id: &str, token: Token, now: Time) -> Result<(), BrokerError> {
        self.check(id, token)?;
        self.fail(id, now);
        Ok(())
    }

    fn fail(&mut self, id: &str, at: Time) {
        let Place::Unacked { token, .. } = self.evals[id].place else {
            panic!("{id} is not unacked");
        };
        self.take_requeue(token);
        let dequeues = self.evals[id].dequeues;
        let seq = self.next_seq();
        let place = if dequeues >= self.config.delivery_limit {
            self.queues.insert(FAILED_QUEUE.to_owned());
            Place::Ready {
                queue: FAILED_QUEUE.to_owned(),
                seq,
            }
        } else {
            let delay = if dequeues == 1 {
                self.config.initial_nack_delay
            } else {
                self.config.subsequent_nack_delay * (dequeues - 1)
            };
            Place::Waiting {
                due: at + delay,
                seq,
            }
        };
        self.evals.get_mut(id).unwrap().place = place;
    }

    fn requeue(&mut self, eval: Arc<Evaluation>, token: Token, now: Time) {
        match self.evals.get(eval.id.as_str()) {
            None => self.enqueue(eval, now),
            Some(entry) => {
                if matches!(entry.place, Place::Unacked { token: t, .. } if t == token) {
                    self.take_requeue(token);
                    self.requeue.push((token, eval));
                }
            }
        }
    }

    fn set_deadline(
        &mut self,
        id: &str,
        token: Token,
        deadline: Option<Time>,
        keep_paused: bool,
    ) -> Result<(), BrokerError> {
        self.check(id, token)?;
        if let Place::Unacked { deadline: d, .. } = &mut self.evals.get_mut(id).unwrap().place
            && !(keep_paused && d.is_none())
        {
            *d = deadline;
        }
        Ok(())
    }

    fn tick(&mut self, now: Time) -> usize {
        let mut fired = 0;
        loop {
            let nack = self
                .evals
                .values()
                .filter_map(|e| match e.place {
                    Place::Unacked {
                        token,
                        deadline: Some(d),
                        ..
                    } => Some((d, token, e.eval.id.to_string())),
                    _ => None,
                })
                .min();
            let wait = self
                .evals
                .values()
                .filter_map(|e| match e.place {
                    Place::Waiting { due, seq } => Some((due, seq, e.eval.id.to_string())),
                    _ => None,
                })
                .min();
            match (nack, wait) {
                (Some((d, token, id)), w) if d <= now && w.as_ref().is_none_or(|w| d <= w.0) => {
                    self.evals.get_mut(&id).unwrap().timed_out = Some(token);
                    self.fail(&id, d);
                }
                (_, Some((due, _, id))) if due <= now => self.admit(&id),
                _ => return fired,
            }
            fired += 1;
        }
    }

    fn next_deadline(&self) -> Option<Time> {
        self.evals
            .values()
            .filter_map(|e| match e.place {
                Place::Unacked { deadline, .. } => deadline,
                Place::Waiting { due, .. } => Some(due),
                _ => None,
            })
            .min()
    }

    fn stats(&self) -> BrokerStats {
        let mut stats = BrokerStats {
            total_cancelable: self.cancelable.len(),
            ..BrokerStats::default()
        };
        for q in &self.queues {
            stats
                .by_scheduler
                .insert(q.clone(), SchedulerStats::default());
        }
        for e in self.evals.values() {
            match &e.place {
                Place::Waiting { .. } => stats.total_waiting += 1,
                Place::Pending { .. } => stats.total_pending += 1,
                Place::Ready { queue, .. } => {
                    stats.total_ready += 1;
                    stats.by_scheduler.get_mut(queue).unwrap().ready += 1;
                }
                Place::Unacked { queue, .. } => {
                    stats.total_unacked += 1;
                    stats.by_scheduler.get_mut(queue).unwrap().unacked += 1;
                }
            }
        }
        stats
    }

    /// One ready-or-unacked evaluation per job, and only the job's holder is ready or unacked.
    fn check_invariants(&self) {
        let mut holders = BTreeSet::new();
        for e in self.evals.values() {
            if e.holds_job {
                let job = (e.eval.namespace.clone(), e.eval.job_id.clone());
                assert!(
                    holders.insert(job),
                    "two evaluations hold job {}",
                    e.eval.job_id
                );
            }
            if matches!(e.place, Place::Ready { .. } | Place::Unacked { .. }) {
                assert!(
                    e.holds_job,
                    "{} is ready or unacked without its job's place",
                    e.eval.id
                );
            }
        }
    }
}

/// Runs both, compares every answer and checks the invariants.
struct Harness {
    broker: EvalBroker,
    model: Model,
    now: Time,
    created: Vec<Arc<Evaluation>>,
    deliveries: Vec<(String, Token)>,
    /// Deliveries not yet answered, by evaluation ID, as seen from the outside.
    outstanding: BTreeMap<String, Token>,
}

impl Harness {
    fn new() -> Self {
        let mut broker = EvalBroker::default();
        broker.set_enabled(true);
        let mut model = Model::default();
        model.set_enabled(true);
        Self {
            broker,
            model,
            now: Time::default(),
            created: Vec::new(),
            deliveries: Vec::new(),
            outstanding: BTreeMap::new(),
        }
    }

    fn delivery(&self, pick: usize) -> Option<(String, Token)> {
        (!self.deliveries.is_empty()).then(|| self.deliveries[pick % self.deliveries.len()].clone())
    }

    fn step(&mut self, advance_ms: i64, op: Op) {
        self.now = Time::from_unix_nanos(self.now.unix_nanos() + advance_ms * 1_000_000);
        let now = self.now;
        match op {
            Op::Enqueue {
                job,
                namespace,
                priority,
                batch,
                delay,
            } => {
                let index = self.created.len() as u64 + 1;
                let mut eval = Evaluation {
                    id: format!("e{index}").into(),
                    namespace: format!("ns{namespace}"),
                    job_id: format!("job{job}"),
                    priority: PRIORITIES[priority],
                    eval_type: TYPES[usize::from(batch)].to_owned(),
                    create_index: index,
                    modify_index: index,
                    ..Evaluation::default()
                };
                match delay {
                    Delay::None => {}
                    Delay::Wait(secs) => eval.wait = secs * SECOND,
                    Delay::WaitUntil(secs) => eval.wait_until = now.unix_nanos() + secs * SECOND,
                }
                let eval = Arc::new(eval);
                self.created.push(Arc::clone(&eval));
                self.model.enqueue(Arc::clone(&eval), now);
                self.broker.enqueue(eval, now);
            }
            Op::Reenqueue(pick) => {
                if let Some(eval) = (!self.created.is_empty())
                    .then(|| Arc::clone(&self.created[pick % self.created.len()]))
                {
                    self.model.enqueue(Arc::clone(&eval), now);
                    self.broker.enqueue(eval, now);
                }
            }
            Op::Dequeue(mask) => {
                let types: Vec<&str> = (0..3)
                    .filter(|i| mask & (1 << i) != 0)
                    .map(|i| TYPES[i])
                    .collect();
                let expected = self.model.choose(&types);
                let actual = self.broker.dequeue(&types, now);
                match (expected, actual) {
                    (Ok(Some((id, queue))), Ok(Some((eval, token)))) => {
                        assert_eq!(eval.id, id, "dequeue {types:?}");
                        self.check_priority_order(&eval, &types);
                        assert!(
                            self.outstanding.insert(id.clone(), token).is_none(),
                            "{id} handed to two workers at once"
                        );
                        self.model.deliver(&id, queue, token, now);
                        self.deliveries.push((id, token));
                    }
                    (expected, actual) => {
                        let actual = actual.map(|d| d.map(|(eval, _)| eval.id.to_string()));
                        assert_eq!(
                            actual,
                            expected.map(|d| d.map(|(id, _)| id)),
                            "dequeue {types:?}"
                        );
                    }
                }
            }
            Op::Ack(pick) => {
                if let Some((id, token)) = self.delivery(pick) {
                    let expected = self.model.ack(&id, token, now);
                    assert_eq!(self.broker.ack(&id, token, now), expected, "ack {id}");
                }
            }
            Op::Nack(pick) => {
                if let Some((id, token)) = self.delivery(pick) {
                    let expected = self.model.nack(&id, token, now);
                    assert_eq!(self.broker.nack(&id, token, now), expected, "nack {id}");
                }
            }
            Op::Reset(pick) => {
                if let Some((id, token)) = self.delivery(pick) {
                    let deadline = Some(now + self.model.config.nack_timeout);
                    let expected = self.model.set_deadline(&id, token, deadline, true);
                    assert_eq!(self.broker.outstanding_reset(&id, token, now), expected);
                }
            }
            Op::Pause(pick) => {
                if let Some((id, token)) = self.delivery(pick) {
                    let expected = self.model.set_deadline(&id, token, None, false);
                    assert_eq!(self.broker.pause_nack_timeout(&id, token), expected);
                }
            }
            Op::Resume(pick) => {
                if let Some((id, token)) = self.delivery(pick) {
                    let deadline = Some(now + self.model.config.nack_timeout);
                    let expected = self.model.set_deadline(&id, token, deadline, false);
                    assert_eq!(self.broker.resume_nack_timeout(&id, token, now), expected);
                }
            }
            Op::Requeue(pick) => {
                if let Some((id, token)) = self.delivery(pick) {
                    let eval = self
                        .created
                        .iter()
                        .find(|e| e.id == id)
                        .map(Arc::clone)
                        .unwrap();
                    self.model.requeue(Arc::clone(&eval), token, now);
                    self.broker.requeue(eval, token, now);
                }
            }
            Op::TakeCancelable(limit) => {
                let n = limit.min(self.model.cancelable.len());
                let expected: Vec<String> = self
                    .model
                    .cancelable
                    .drain(..n)
                    .map(|e| e.id.to_string())
                    .collect();
                let actual: Vec<String> = self
                    .broker
                    .take_cancelable(limit)
                    .iter()
                    .map(|e| e.id.to_string())
                    .collect();
                assert_eq!(actual, expected, "take cancelable");
            }
            Op::Tick => {
                assert_eq!(self.broker.tick(now), self.model.tick(now), "tick");
            }
            Op::SetEnabled(enabled) => {
                self.model.set_enabled(enabled);
                self.broker.set_enabled(enabled);
            }
        }
        self.outstanding
            .retain(|id, token| self.broker.outstanding(id) == Some(*token));
        assert_eq!(
            self.broker.stats(),
            self.model.stats(),
            "stats after {op:?}"
        );
        assert_eq!(
            self.broker.next_deadline(),
            self.model.next_deadline(),
            "next deadline"
        );
        self.model.check_invariants();
    }

    /// No ready evaluation in the requested queues beats the one handed out.
    fn check_priority_order(&self, got: &Evaluation, types: &[&str]) {
        for e in self.model.evals.values() {
            if let Place::Ready { queue, .. } = &e.place
                && types.contains(&queue.as_str())
            {
                assert!(
                    e.eval.priority <= got.priority,
                    "{} handed out before {}",
                    got.id,
                    e.eval.id
                );
            }
        }
    }

    /// Drives every evaluation out of the broker (time runs on, workers ack everything, the
    /// cancelable ones are taken) and checks that each acceptance ended exactly once.
    fn drain(mut self) {
        self.broker.set_enabled(true);
        self.model.set_enabled(true);
        let unacked: Vec<(String, Token)> = self
            .model
            .evals
            .values()
            .filter_map(|e| match e.place {
                Place::Unacked { token, .. } => Some((e.eval.id.to_string(), token)),
                _ => None,
            })
            .collect();
        for (id, token) in unacked {
            assert_eq!(self.model.ack(&id, token, self.now), Ok(()));
            self.broker.ack(&id, token, self.now).unwrap();
        }
        for _ in 0..1_000 {
            let stats = self.broker.stats();
            if stats.total_ready + stats.total_unacked + stats.total_pending + stats.total_waiting
                == 0
            {
                break;
            }
            self.now = self.now + std::time::Duration::from_secs(61);
            assert_eq!(self.broker.tick(self.now), self.model.tick(self.now));
            while let Some((eval, token)) = self.broker.dequeue(&TYPES, self.now).unwrap() {
                let (id, queue) = self.model.choose(&TYPES).unwrap().unwrap();
                assert_eq!(eval.id, id);
                self.model.deliver(&id, queue, token, self.now);
                assert_eq!(self.model.ack(&id, token, self.now), Ok(()));
                self.broker.ack(&id, token, self.now).unwrap();
            }
        }
        let taken = self.broker.take_cancelable(usize::MAX).len();
        assert_eq!(taken, self.model.cancelable.len());
        let stats = self.broker.stats();
        let held = [
            stats.total_ready,
            stats.total_unacked,
            stats.total_pending,
            stats.total_waiting,
        ];
        assert_eq!(held, [0; 4], "the broker still holds evaluations");
        assert!(self.model.evals.is_empty());
        assert_eq!(
            self.model.accepted, self.model.left,
            "an evaluation was lost or left twice"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn broker_agrees_with_the_model(steps in prop::collection::vec((advance(), op()), 1..150)) {
        let mut harness = Harness::new();
        for (advance_ms, op) in steps {
            harness.step(advance_ms, op);
        }
        harness.drain();
    }
}

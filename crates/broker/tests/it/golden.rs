//! Golden broker scenarios with explicit times. Each scenario drives an `EvalBroker` and records
//! every call and answer as one line; the lines must equal `tests/golden/<name>.json`. Run with
//! `UPDATE_GOLDEN=1` to rewrite the files, then review the diff.

use std::path::PathBuf;
use std::sync::Arc;

use drover_broker::{BrokerConfig, BrokerError, EvalBroker, FAILED_QUEUE, Time, Token};
use drover_model::{Evaluation, SECOND};

use crate::{at, eval};

/// Drives a broker and keeps the trace.
struct Scenario {
    broker: EvalBroker,
    trace: Vec<String>,
}

impl Scenario {
    fn new() -> Self {
        let mut broker = EvalBroker::new(BrokerConfig::default());
        broker.set_enabled(true);
        Self {
            broker,
            trace: Vec::new(),
        }
    }

    fn log(&mut self, now: Time, line: String) {
        let secs = now.unix_nanos() as f64 / 1e9;
        self.trace.push(format!("t={secs:.3}s {line}"));
    }

    fn enqueue(&mut self, now: Time, eval: Evaluation) {
        self.log(now, format!("enqueue {}", describe(&eval)));
        self.broker.enqueue(eval, now);
    }

    fn dequeue(&mut self, now: Time, types: &[&str]) -> Option<Token> {
        let answer = self.broker.dequeue(types, now);
        let (line, token) = match answer {
            Ok(Some((eval, token))) => (format!("{} token {token}", eval.id), Some(token)),
            Ok(None) => ("nothing".to_owned(), None),
            Err(e) => (format!("error: {e}"), None),
        };
        self.log(now, format!("dequeue {types:?} -> {line}"));
        token
    }

    fn ack(&mut self, now: Time, id: &str, token: Token) {
        let answer = self.broker.ack(id, token, now);
        self.log(now, format!("ack {id} token {token} -> {}", result(answer)));
    }

    fn nack(&mut self, now: Time, id: &str, token: Token) {
        let answer = self.broker.nack(id, token, now);
        self.log(
            now,
            format!("nack {id} token {token} -> {}", result(answer)),
        );
    }

    fn tick(&mut self, now: Time) {
        let fired = self.broker.tick(now);
        self.log(now, format!("tick -> {fired} fired"));
    }

    fn next_deadline(&mut self, now: Time) {
        let line = match self.broker.next_deadline() {
            Some(t) => format!("{:.3}s", t.unix_nanos() as f64 / 1e9),
            None => "none".to_owned(),
        };
        self.log(now, format!("next deadline -> {line}"));
    }

    fn stats(&mut self, now: Time) {
        let s = self.broker.stats();
        let mut line = format!(
            "stats -> ready {} unacked {} pending {} waiting {} cancelable {}",
            s.total_ready, s.total_unacked, s.total_pending, s.total_waiting, s.total_cancelable
        );
        for (name, q) in &s.by_scheduler {
            line.push_str(&format!(
                " | {name}: ready {} unacked {}",
                q.ready, q.unacked
            ));
        }
        self.log(now, line);
    }

    fn cancelable(&mut self, now: Time) {
        let ids: Vec<String> = self
            .broker
            .take_cancelable(usize::MAX)
            .iter()
            .map(|e| e.id.to_string())
            .collect();
        self.log(now, format!("take cancelable -> {ids:?}"));
    }

    #[track_caller]
    fn check(self, name: &str) {
        check_golden(name, &self.trace);
    }
}

fn describe(eval: &Evaluation) -> String {
    let mut s = format!(
        "{} job {} {} priority {} index {}",
        eval.id, eval.job_id, eval.eval_type, eval.priority, eval.create_index
    );
    if eval.wait > 0 {
        s.push_str(&format!(" wait {}s", eval.wait / SECOND));
    }
    if eval.wait_until > 0 {
        s.push_str(&format!(" wait-until {}s", eval.wait_until / SECOND));
    }
    s
}

fn result(answer: Result<(), BrokerError>) -> String {
    match answer {
        Ok(()) => "ok".to_owned(),
        Err(e) => format!("error: {e}"),
    }
}

#[track_caller]
fn check_golden(name: &str, trace: &[String]) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.json"));
    let actual = serde_json::to_string_pretty(trace).expect("a trace serializes") + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &actual).expect("golden file is writable");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1)", path.display()));
    assert_eq!(expected, actual, "trace differs from {}", path.display());
}

const SERVICE: &str = "service";
const BATCH: &str = "batch";

/// Each nack waits longer (1 s, then 20 s); the third nack sends the evaluation to `_failed`,
/// from where the leader dequeues and acks it.
#[test]
fn nack_delays_then_failed_queue() {
    let mut s = Scenario::new();
    s.enqueue(at(0.0), eval("e1", "web", 50, SERVICE, 1));
    let t1 = s.dequeue(at(0.0), &[SERVICE]).unwrap();
    s.nack(at(1.0), "e1", t1);
    s.stats(at(1.0));
    s.next_deadline(at(1.0));
    s.dequeue(at(1.5), &[SERVICE]);
    s.tick(at(2.0));
    let t2 = s.dequeue(at(2.0), &[SERVICE]).unwrap();
    s.nack(at(3.0), "e1", t2);
    s.next_deadline(at(3.0));
    s.tick(at(22.999));
    s.tick(at(23.0));
    let t3 = s.dequeue(at(23.0), &[SERVICE]).unwrap();
    s.nack(at(24.0), "e1", t3);
    s.stats(at(24.0));
    s.dequeue(at(24.0), &[SERVICE]);
    let t4 = s.dequeue(at(24.0), &[FAILED_QUEUE]).unwrap();
    s.nack(at(25.0), "e1", t3);
    s.ack(at(25.0), "e1", t4);
    s.stats(at(25.0));
    s.check("nack_delays_then_failed_queue");
}

/// An unanswered delivery is nacked by its timer; resets push the timer back, a paused timer
/// never fires, and a late answer names the timeout.
#[test]
fn nack_timeout_reset_pause_resume() {
    let mut s = Scenario::new();
    s.enqueue(at(0.0), eval("e1", "web", 50, SERVICE, 1));
    let t1 = s.dequeue(at(0.0), &[SERVICE]).unwrap();
    s.next_deadline(at(0.0));
    let reset = s.broker.outstanding_reset("e1", t1, at(30.0));
    s.log(at(30.0), format!("outstanding reset -> {}", result(reset)));
    s.next_deadline(at(30.0));
    s.tick(at(60.0));
    s.tick(at(90.0));
    s.stats(at(90.0));
    s.ack(at(90.0), "e1", t1);
    s.next_deadline(at(90.0));
    s.tick(at(91.0));
    let t2 = s.dequeue(at(91.0), &[SERVICE]).unwrap();
    s.ack(at(91.0), "e1", t1);
    let paused = s.broker.pause_nack_timeout("e1", t2);
    s.log(at(92.0), format!("pause -> {}", result(paused)));
    s.next_deadline(at(92.0));
    s.tick(at(1000.0));
    let reset = s.broker.outstanding_reset("e1", t2, at(1000.0));
    s.log(
        at(1000.0),
        format!("outstanding reset while paused -> {}", result(reset)),
    );
    s.next_deadline(at(1000.0));
    let resumed = s.broker.resume_nack_timeout("e1", t2, at(1000.0));
    s.log(at(1000.0), format!("resume -> {}", result(resumed)));
    s.next_deadline(at(1000.0));
    s.ack(at(1001.0), "e1", t2);
    s.ack(at(1001.0), "e1", t2);
    s.stats(at(1001.0));
    s.check("nack_timeout_reset_pause_resume");
}

/// Timers that come due within one tick fire in time order, each at its own deadline: a
/// timed-out delivery's nack delay that also ends by `now` makes it ready in the same tick.
#[test]
fn one_tick_fires_a_chain_of_timers() {
    let mut s = Scenario::new();
    s.enqueue(at(0.0), eval("e1", "web", 50, SERVICE, 1));
    s.dequeue(at(0.0), &[SERVICE]).unwrap();
    s.tick(at(100.0));
    s.stats(at(100.0));
    s.dequeue(at(100.0), &[SERVICE]);
    s.check("one_tick_fires_a_chain_of_timers");
}

/// `Wait` counts from the enqueue, `WaitUntil` is absolute, and a `WaitUntil` already past is
/// ready at once.
#[test]
fn delayed_evaluations() {
    let mut s = Scenario::new();
    let mut until = eval("e1", "a", 50, SERVICE, 1);
    until.wait_until = 10 * SECOND;
    s.enqueue(at(0.0), until);
    let mut wait = eval("e2", "b", 70, SERVICE, 2);
    wait.wait = 5 * SECOND;
    s.enqueue(at(1.0), wait);
    let mut past = eval("e3", "c", 20, SERVICE, 3);
    past.wait_until = SECOND;
    s.enqueue(at(2.0), past);
    s.stats(at(2.0));
    s.next_deadline(at(2.0));
    s.tick(at(6.0));
    s.next_deadline(at(6.0));
    s.tick(at(10.0));
    s.dequeue(at(10.0), &[SERVICE]);
    s.dequeue(at(10.0), &[SERVICE]);
    s.dequeue(at(10.0), &[SERVICE]);
    s.check("delayed_evaluations");
}

/// One evaluation per job is ready or unacked; on ack the best pending one (highest priority,
/// then newest) goes on and the others become cancelable. A nack keeps the job's place.
#[test]
fn one_per_job_and_cancelable() {
    let mut s = Scenario::new();
    s.enqueue(at(0.0), eval("e1", "web", 50, SERVICE, 1));
    s.enqueue(at(0.0), eval("e2", "web", 50, SERVICE, 2));
    s.enqueue(at(0.0), eval("e3", "web", 70, SERVICE, 3));
    s.enqueue(at(0.0), eval("e4", "web", 50, SERVICE, 4));
    s.enqueue(at(0.0), eval("e5", "api", 50, SERVICE, 5));
    s.stats(at(0.0));
    let t1 = s.dequeue(at(0.0), &[SERVICE]).unwrap();
    let t5 = s.dequeue(at(0.0), &[SERVICE]).unwrap();
    s.dequeue(at(0.0), &[SERVICE]);
    s.nack(at(1.0), "e1", t1);
    s.tick(at(2.0));
    let t1 = s.dequeue(at(2.0), &[SERVICE]).unwrap();
    s.ack(at(3.0), "e1", t1);
    s.stats(at(3.0));
    s.cancelable(at(3.0));
    s.ack(at(3.0), "e5", t5);
    let t3 = s.dequeue(at(3.0), &[SERVICE]).unwrap();
    s.ack(at(4.0), "e3", t3);
    s.stats(at(4.0));
    s.check("one_per_job_and_cancelable");
}

/// Higher priority first across the requested types; queues whose heads tie take turns; within
/// a queue, the oldest first.
#[test]
fn priority_then_turns_between_types() {
    let mut s = Scenario::new();
    s.enqueue(at(0.0), eval("s1", "a", 50, SERVICE, 1));
    s.enqueue(at(0.0), eval("s2", "b", 50, SERVICE, 2));
    s.enqueue(at(0.0), eval("s3", "c", 80, SERVICE, 3));
    s.enqueue(at(0.0), eval("b1", "d", 50, BATCH, 4));
    s.enqueue(at(0.0), eval("b2", "e", 50, BATCH, 5));
    s.enqueue(at(0.0), eval("b3", "f", 20, BATCH, 6));
    for _ in 0..7 {
        s.dequeue(at(0.0), &[SERVICE, BATCH]);
    }
    s.stats(at(0.0));
    s.check("priority_then_turns_between_types");
}

/// Disabling flushes everything: old tokens are void, dequeue refuses while disabled, and
/// enqueues while disabled are dropped.
#[test]
fn disable_flushes() {
    let mut s = Scenario::new();
    s.enqueue(at(0.0), eval("e1", "a", 50, SERVICE, 1));
    s.enqueue(at(0.0), eval("e2", "b", 50, SERVICE, 2));
    let t1 = s.dequeue(at(0.0), &[SERVICE]).unwrap();
    s.broker.set_enabled(false);
    s.log(at(1.0), "disable".to_owned());
    s.dequeue(at(1.0), &[SERVICE]);
    s.enqueue(at(1.0), eval("e3", "c", 50, SERVICE, 3));
    s.broker.set_enabled(true);
    s.log(at(2.0), "enable".to_owned());
    s.ack(at(2.0), "e1", t1);
    s.stats(at(2.0));
    s.next_deadline(at(2.0));
    s.dequeue(at(2.0), &[SERVICE]);
    s.check("disable_flushes");
}

/// An evaluation re-blocked under the token of its outstanding delivery is held until that
/// delivery is acked (then enqueued afresh); a nack drops it.
#[test]
fn requeue_waits_for_the_ack() {
    let mut s = Scenario::new();
    s.enqueue(at(0.0), eval("e1", "a", 50, SERVICE, 1));
    s.enqueue(at(0.0), eval("e2", "b", 50, SERVICE, 2));
    let t1 = s.dequeue(at(0.0), &[SERVICE]).unwrap();
    let t2 = s.dequeue(at(0.0), &[SERVICE]).unwrap();
    let reblocked = Arc::new(eval("e1", "a", 50, SERVICE, 1));
    s.broker.requeue(Arc::clone(&reblocked), t1, at(1.0));
    s.log(at(1.0), "requeue e1 under its token".to_owned());
    s.broker
        .requeue(Arc::new(eval("e2", "b", 50, SERVICE, 2)), t2, at(1.0));
    s.log(at(1.0), "requeue e2 under its token".to_owned());
    s.stats(at(1.0));
    s.ack(at(2.0), "e1", t1);
    s.nack(at(2.0), "e2", t2);
    s.stats(at(2.0));
    s.dequeue(at(2.0), &[SERVICE]);
    s.check("requeue_waits_for_the_ack");
}

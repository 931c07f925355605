//! Workers (Nomad's `worker.go`): take an evaluation from the broker, schedule it on a
//! snapshot, and answer the broker. The scheduler acts only through the [`EnginePlanner`]:
//! plans go to the plan applier, evaluations through the commit path.
//!
//! The engine never spawns threads: [`Engine::worker_step`] does one evaluation without
//! waiting, [`Engine::run_worker`] loops on the caller's thread, and
//! [`Engine::process_until_idle`] runs steps until nothing is ready.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use drover_broker::{Time, Token};
use drover_model::Evaluation;
use drover_plan::scheduler::{
    Plan, PlanResult, Planner, PlannerError, SchedulerContext, process_eval,
};
use drover_state::{Command, Snapshot, UpsertEvals};

use crate::engine::Engine;
use crate::error::EngineError;

/// The schedulers workers serve (Nomad's `_core` jobs have no equivalent here).
const SCHEDULERS: [&str; 4] = ["service", "batch", "system", "sysbatch"];

/// How long a blocking worker waits for work before it looks at its stop flag again (Nomad's
/// dequeue timeout).
const DEQUEUE_TIMEOUT: Duration = Duration::from_millis(500);

/// The planner a worker hands the scheduler for one delivery of one evaluation.
pub(crate) struct EnginePlanner<'a> {
    engine: &'a Engine,
    eval_id: String,
    token: Token,
    /// The index of the state the scheduler works on, recorded in the evaluations it writes
    /// (blocked evaluations compare it with later unblocks).
    snapshot_index: u64,
}

impl<'a> EnginePlanner<'a> {
    pub(crate) fn new(
        engine: &'a Engine,
        eval_id: &str,
        token: Token,
        snapshot: &Snapshot,
    ) -> Self {
        Self {
            engine,
            eval_id: eval_id.to_string(),
            token,
            snapshot_index: snapshot.latest_index(),
        }
    }

    fn time(&self) -> Time {
        Time::from_unix_nanos(self.engine.now())
    }

    fn write(&self, eval: Evaluation, reblock: Option<Token>) -> Result<(), PlannerError> {
        let command = Command::UpsertEvals(UpsertEvals { evals: vec![eval] });
        self.engine
            .with_writer(|writer| writer.commit(&command, reblock))
            .map(|_| ())
            .map_err(planner_error)
    }
}

fn planner_error(error: impl std::fmt::Display) -> PlannerError {
    PlannerError(error.to_string())
}

impl Planner for EnginePlanner<'_> {
    fn submit_plan(
        &mut self,
        mut plan: Plan,
    ) -> Result<(PlanResult, Option<Snapshot>), PlannerError> {
        plan.eval_token = self.token.to_string();
        // Waiting on the applier is not the worker being slow.
        let (id, token) = (self.eval_id.as_str(), self.token);
        self.engine
            .broker
            .with(|b| b.pause_nack_timeout(id, token))
            .map_err(planner_error)?;
        let result = self.engine.apply_plan(plan);
        let now = self.time();
        self.engine
            .broker
            .with(|b| b.resume_nack_timeout(id, token, now))
            .map_err(planner_error)?;
        let result = result.map_err(planner_error)?;
        if result.refresh_index == 0 {
            return Ok((result, None));
        }
        // Commits are applied before they return, so the store is already that new.
        let snapshot = self.engine.snapshot();
        self.snapshot_index = snapshot.latest_index();
        Ok((result, Some(snapshot)))
    }

    fn update_eval(&mut self, mut eval: Evaluation) -> Result<(), PlannerError> {
        eval.snapshot_index = self.snapshot_index;
        eval.modify_time = self.engine.now();
        self.write(eval, None)
    }

    fn create_eval(&mut self, mut eval: Evaluation) -> Result<(), PlannerError> {
        eval.snapshot_index = self.snapshot_index;
        let now = self.engine.now();
        eval.create_time = now;
        eval.modify_time = now;
        self.write(eval, None)
    }

    fn reblock_eval(&mut self, mut eval: Evaluation) -> Result<(), PlannerError> {
        let stored = self.engine.snapshot().eval(&eval.id);
        let Some(stored) = stored else {
            return Err(PlannerError("evaluation does not exist".to_string()));
        };
        if stored.status != drover_model::EvalStatus::Blocked {
            return Err(PlannerError("evaluation not blocked".to_string()));
        }
        eval.snapshot_index = self.snapshot_index;
        eval.modify_time = self.engine.now();
        self.write(eval, Some(self.token))
    }
}

impl Engine {
    /// Schedules one ready evaluation, if there is one, without waiting; returns whether there
    /// was. Time-driven broker work due by the clock's now is done first. A scheduler failure
    /// nacks the evaluation (it comes back after the nack delay) and is returned.
    pub fn worker_step(&self) -> Result<bool, EngineError> {
        let now = Time::from_unix_nanos(self.now());
        let delivery = self.broker.with(|b| {
            b.tick(now);
            b.dequeue(&SCHEDULERS, now)
        })?;
        let Some((eval, token)) = delivery else {
            return Ok(false);
        };
        self.process(&eval, token)?;
        Ok(true)
    }

    /// Runs steps until no evaluation is ready; returns how many were processed. Tests,
    /// simulations and the agent's dev mode use it so that allocations exist right after a
    /// register. Stops at the first failure.
    pub fn process_until_idle(&self) -> Result<usize, EngineError> {
        let mut processed = 0;
        while self.worker_step()? {
            processed += 1;
        }
        Ok(processed)
    }

    /// A worker loop on the caller's thread: waits for evaluations (firing the broker's
    /// timers while it waits) and schedules them until `stop` is set. Scheduler failures are
    /// nacked and the loop goes on; a failure of the engine itself (the log) ends it.
    pub fn run_worker(&self, stop: &AtomicBool) -> Result<(), EngineError> {
        let clock = || Time::from_unix_nanos(self.now());
        while !stop.load(Ordering::SeqCst) {
            let delivery = self
                .broker
                .dequeue_blocking(&SCHEDULERS, DEQUEUE_TIMEOUT, &clock)?;
            let Some((eval, token)) = delivery else {
                continue;
            };
            match self.process(&eval, token) {
                Ok(()) | Err(EngineError::Scheduler { .. }) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(())
    }

    /// Schedules one delivery. Commits are applied before they return, so the current
    /// snapshot already holds every write the evaluation was made after (Nomad waits for the
    /// evaluation's index here).
    fn process(&self, eval: &Arc<Evaluation>, token: Token) -> Result<(), EngineError> {
        let snapshot = self.snapshot();
        // The store may have finished the evaluation since it was enqueued: a blocked
        // evaluation released by a capacity change is cancelled when a newer evaluation of its
        // job succeeds before a worker takes it. Nothing is left to schedule, and a reblock
        // would be refused ("evaluation not blocked"), so the delivery is only acknowledged.
        if snapshot
            .eval(&eval.id)
            .is_some_and(|stored| stored.is_terminal())
        {
            return self.finish_delivery(eval, token, Ok(()));
        }
        let mut planner = EnginePlanner::new(self, &eval.id, token, &snapshot);
        let mut new_id = || self.new_id();
        let mut scheduler = SchedulerContext {
            now: self.now(),
            seed: self.next_random(),
            new_id: &mut new_id,
            config: self.config.scheduler.clone(),
        };
        let outcome =
            process_eval(eval, snapshot, &mut planner, &mut scheduler).map_err(|e| e.to_string());
        self.finish_delivery(eval, token, outcome)
    }

    /// Answers the broker for a delivery: ack after success, nack after a failure.
    fn finish_delivery(
        &self,
        eval: &Evaluation,
        token: Token,
        outcome: Result<(), String>,
    ) -> Result<(), EngineError> {
        let now = Time::from_unix_nanos(self.now());
        match outcome {
            Ok(()) => {
                self.broker.with(|b| b.ack(&eval.id, token, now))?;
                self.cancel_redundant(self.now())
            }
            Err(message) => {
                self.broker.with(|b| b.nack(&eval.id, token, now))?;
                Err(EngineError::Scheduler {
                    eval_id: eval.id.to_string(),
                    message,
                })
            }
        }
    }
}

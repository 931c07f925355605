//! `SharedBroker`: the broker behind a mutex, for worker threads that wait for work. It spawns no
//! thread and reads no clock: the waiting worker fires the broker's timers itself, with the time
//! its clock gives.

use std::sync::Arc;
use std::time::Duration;

use drover_model::Evaluation;
use parking_lot::{Condvar, Mutex};

use crate::{BrokerError, EvalBroker, Time, Token};

/// Where a waiting worker reads the time; any `Fn() -> Time` is one.
pub trait Clock {
    fn now(&self) -> Time;
}

impl<F: Fn() -> Time> Clock for F {
    fn now(&self) -> Time {
        self()
    }
}

/// An [`EvalBroker`] shared between threads. Workers wait in [`Self::dequeue_blocking`]; every
/// change made through [`Self::with`] wakes them to look again.
#[derive(Debug, Default)]
pub struct SharedBroker {
    broker: Mutex<EvalBroker>,
    work: Condvar,
}

impl SharedBroker {
    pub fn new(broker: EvalBroker) -> Self {
        Self {
            broker: Mutex::new(broker),
            work: Condvar::new(),
        }
    }

    /// Runs `f` on the broker under the lock, then wakes the waiting workers.
    pub fn with<R>(&self, f: impl FnOnce(&mut EvalBroker) -> R) -> R {
        let result = f(&mut self.broker.lock());
        self.work.notify_all();
        result
    }

    /// Dequeues like [`EvalBroker::dequeue`], waiting up to `timeout` for work. While it waits it
    /// fires the broker's timers as they come due. A wait that times out counts as proof that its
    /// target time has passed even if `clock` lags behind, so a frozen test clock cannot make it
    /// wait forever.
    pub fn dequeue_blocking(
        &self,
        types: &[&str],
        timeout: Duration,
        clock: &impl Clock,
    ) -> Result<Option<(Arc<Evaluation>, Token)>, BrokerError> {
        let start = clock.now();
        let give_up = start + timeout;
        let mut reached = start;
        let mut broker = self.broker.lock();
        loop {
            let now = clock.now().max(reached);
            if broker.tick(now) > 0 {
                // Timers may have readied work for other workers' scheduler types.
                self.work.notify_all();
            }
            if let Some(delivery) = broker.dequeue(types, now)? {
                return Ok(Some(delivery));
            }
            if now >= give_up {
                return Ok(None);
            }
            let wake = broker.next_deadline().map_or(give_up, |d| d.min(give_up));
            if self
                .work
                .wait_for(&mut broker, wake.saturating_since(now))
                .timed_out()
            {
                reached = reached.max(wake);
            }
        }
    }
}

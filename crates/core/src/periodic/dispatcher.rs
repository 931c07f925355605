//! `PeriodicDispatcher`: the active periodic jobs and their next launches, driven by
//! `tick(now)`.

use std::collections::{BTreeMap, BTreeSet};

use drover_model::Job;
use drover_model::job::PERIODIC_LAUNCH_SUFFIX;
use drover_state::Snapshot;

use super::PeriodicError;
use super::schedule::Schedule;

/// The most due launches one [`PeriodicDispatcher::tick`] hands out (skipped ones count):
/// after a long pause a per-second spec would otherwise launch without bound. The rest stay
/// due for the next tick.
pub const MAX_LAUNCHES_PER_TICK: usize = 256;

/// A launch to carry out now: register [`super::derive_child`]`(&parent, launch_time)` with a
/// `periodic-job` evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    pub namespace: String,
    pub job_id: String,
    /// Unix nanoseconds: the scheduled time (the child's ID carries its seconds), or the time
    /// of a forced or catch-up launch.
    pub launch_time: i64,
}

/// What the dispatcher asks of the cluster's state.
pub trait PeriodicState {
    /// Whether a child of the job (`<job>/periodic-...` with that parent) has an evaluation
    /// or an allocation that is not terminal (Nomad's `RunningChildren`).
    fn has_running_children(&self, namespace: &str, job_id: &str) -> bool;

    /// The job's recorded last launch (its `periodic_launch` row), in unix nanoseconds.
    fn last_launch(&self, namespace: &str, job_id: &str) -> Option<i64>;
}

impl PeriodicState for Snapshot {
    fn has_running_children(&self, namespace: &str, job_id: &str) -> bool {
        let prefix = format!("{job_id}{PERIODIC_LAUNCH_SUFFIX}");
        self.job_children(namespace, job_id)
            .filter(|child| child.id.starts_with(&prefix))
            .any(|child| {
                self.evals_by_job(namespace, &child.id).iter().any(|eval| {
                    !eval.is_terminal()
                        || self.allocs_by_eval(&eval.id).iter().any(|a| !a.terminal())
                })
            })
    }

    fn last_launch(&self, namespace: &str, job_id: &str) -> Option<i64> {
        self.periodic_launch(namespace, job_id)
            .map(|row| row.launch)
    }
}

/// (namespace, job ID).
type JobKey = (String, String);

/// The tracked periodic jobs: enabled, not stopped, not parameterized (Nomad's
/// `IsPeriodicActive`), each with its next launch.
#[derive(Debug, Clone, Default)]
pub struct PeriodicDispatcher {
    tracked: BTreeMap<JobKey, Tracked>,
    /// (next launch, job) of every tracked job that launches again.
    queue: BTreeSet<(i64, JobKey)>,
}

#[derive(Debug, Clone)]
struct Tracked {
    schedule: Schedule,
    prohibit_overlap: bool,
    next: Option<i64>,
}

fn is_active(job: &Job) -> bool {
    job.periodic.as_ref().is_some_and(|p| p.enabled) && !job.stop && !job.is_parameterized()
}

fn key(namespace: &str, job_id: &str) -> JobKey {
    (namespace.to_string(), job_id.to_string())
}

impl PeriodicDispatcher {
    pub fn new() -> Self {
        Self::default()
    }

    /// Tracks `job` as written at `now`, its next launch counted from `now`; a job that is
    /// not active (not periodic, disabled, stopped, parameterized) is dropped instead. On
    /// error (a spec that does not parse) the job is left untracked.
    pub fn add(&mut self, job: &Job, now: i64) -> Result<(), PeriodicError> {
        self.remove(&job.namespace, &job.id);
        let Some(periodic) = job.periodic.as_ref().filter(|_| is_active(job)) else {
            return Ok(());
        };
        let schedule = Schedule::new(periodic)?;
        let job_key = key(&job.namespace, &job.id);
        let next = schedule.next_after(now);
        if let Some(next) = next {
            self.queue.insert((next, job_key.clone()));
        }
        let tracked = Tracked {
            schedule,
            prohibit_overlap: periodic.prohibit_overlap,
            next,
        };
        self.tracked.insert(job_key, tracked);
        Ok(())
    }

    /// Stops tracking a job; nothing happens if it was not tracked.
    pub fn remove(&mut self, namespace: &str, job_id: &str) {
        let job_key = key(namespace, job_id);
        if let Some(Tracked {
            next: Some(next), ..
        }) = self.tracked.remove(&job_key)
        {
            self.queue.remove(&(next, job_key));
        }
    }

    pub fn is_tracked(&self, namespace: &str, job_id: &str) -> bool {
        self.tracked.contains_key(&key(namespace, job_id))
    }

    /// When the next launch is due (unix nanoseconds), if any job launches again.
    pub fn next_deadline(&self) -> Option<i64> {
        self.queue.first().map(|(next, _)| *next)
    }

    /// The launches due at `now`, earliest first (ties in (namespace, ID) order): every
    /// scheduled time at or before `now`, each moving its job on to its next time, as
    /// Nomad's timer loop fires a late launch and then the ones it missed. A job with
    /// `ProhibitOverlap` skips a launch while a child runs, or once it launched in this tick.
    pub fn tick(&mut self, now: i64, state: &impl PeriodicState) -> Vec<Launch> {
        let mut launches = Vec::new();
        let mut launched = BTreeSet::new();
        for _ in 0..MAX_LAUNCHES_PER_TICK {
            let Some((launch_time, job_key)) = self.queue.pop_first() else {
                break;
            };
            if launch_time > now {
                self.queue.insert((launch_time, job_key));
                break;
            }
            let Some(tracked) = self.tracked.get_mut(&job_key) else {
                continue;
            };
            tracked.next = tracked.schedule.next_after(launch_time);
            if let Some(next) = tracked.next {
                self.queue.insert((next, job_key.clone()));
            }
            let (namespace, job_id) = &job_key;
            if tracked.prohibit_overlap
                && (launched.contains(&job_key) || state.has_running_children(namespace, job_id))
            {
                continue;
            }
            launches.push(Launch {
                namespace: namespace.clone(),
                job_id: job_id.clone(),
                launch_time,
            });
            launched.insert(job_key);
        }
        launches
    }

    /// A launch of `job` (the stored job) at `now`, whatever its schedule and even while a
    /// child runs (Nomad's force ignores `ProhibitOverlap`). The schedule does not move.
    pub fn force(&self, job: &Job, now: i64) -> Result<Launch, PeriodicError> {
        if job.periodic.is_none() {
            return Err(PeriodicError::NotPeriodic);
        }
        if !self.is_tracked(&job.namespace, &job.id) {
            return Err(PeriodicError::NotTracked {
                namespace: job.namespace.to_string(),
                job_id: job.id.to_string(),
            });
        }
        Ok(Launch {
            namespace: job.namespace.to_string(),
            job_id: job.id.to_string(),
            launch_time: now,
        })
    }

    /// Rebuilds the dispatcher from the stored jobs when a server starts leading (Nomad's
    /// `restorePeriodicDispatcher`), and returns the catch-up launches: one at `now` for each
    /// active job whose next launch after its recorded last launch has already passed, unless
    /// it prohibits overlap and a child still runs. However many launches were missed, one
    /// catches up. A job without a recorded launch, or whose spec no longer parses, gets
    /// none (the second also stays untracked).
    pub fn restore<'a>(
        &mut self,
        jobs: impl IntoIterator<Item = &'a Job>,
        now: i64,
        state: &impl PeriodicState,
    ) -> Vec<Launch> {
        *self = Self::default();
        let mut launches = Vec::new();
        for job in jobs {
            if self.add(job, now).is_err() {
                continue;
            }
            let Some(tracked) = self.tracked.get(&key(&job.namespace, &job.id)) else {
                continue;
            };
            let missed = state
                .last_launch(&job.namespace, &job.id)
                .and_then(|last| tracked.schedule.next_after(last))
                .is_some_and(|next| next < now);
            if !missed
                || (tracked.prohibit_overlap && state.has_running_children(&job.namespace, &job.id))
            {
                continue;
            }
            launches.push(Launch {
                namespace: job.namespace.to_string(),
                job_id: job.id.to_string(),
                launch_time: now,
            });
        }
        launches.sort_by(|a, b| (&a.namespace, &a.job_id).cmp(&(&b.namespace, &b.job_id)));
        launches
    }
}

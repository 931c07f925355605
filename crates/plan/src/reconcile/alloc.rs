//! What the reconciler reads off an allocation: its own job version, deployment health, desired
//! transitions, and the disconnect bookkeeping kept in `AllocStates`.

use drover_model::allocation::task_state;
use drover_model::allocation::{AllocState, ClientStatus, alloc_state_field};
use drover_model::{Allocation, Job, TaskGroup};

use drover_model::time::{format_rfc3339, parse_rfc3339};

/// Nomad's default kill timeout, the floor of the wait before a lost allocation is replaced.
const DEFAULT_KILL_TIMEOUT: i64 = 5 * drover_model::SECOND;

pub(crate) trait AllocExt {
    fn alloc(&self) -> &Allocation;

    fn own_job(&self) -> Option<&Job> {
        self.alloc().job.as_deref()
    }

    fn own_group(&self) -> Option<&TaskGroup> {
        let alloc = self.alloc();
        self.own_job()?.lookup_task_group(&alloc.task_group)
    }

    fn job_version(&self) -> u64 {
        self.own_job().map_or(0, |j| j.version)
    }

    fn job_create_index(&self) -> u64 {
        self.own_job().map_or(0, |j| j.create_index)
    }

    /// Whether the allocation runs an older version (or an older incarnation) of `job`.
    fn older_than(&self, job: &Job) -> bool {
        self.job_version() < job.version || self.job_create_index() < job.create_index
    }

    /// Whether the allocation runs exactly this version of `job`.
    fn runs_version_of(&self, job: &Job) -> bool {
        self.job_version() == job.version && self.job_create_index() == job.create_index
    }

    fn job_type_is(&self, job_type: &str) -> bool {
        self.own_job().is_some_and(|j| j.job_type == job_type)
    }

    fn is_canary(&self) -> bool {
        self.alloc()
            .details()
            .deployment_status
            .as_ref()
            .is_some_and(|d| d.canary)
    }

    fn is_healthy(&self) -> bool {
        let status = self.alloc().details().deployment_status.as_ref();
        status.is_some_and(|d| d.healthy == Some(true))
    }

    fn is_unhealthy(&self) -> bool {
        let status = self.alloc().details().deployment_status.as_ref();
        status.is_some_and(|d| d.healthy == Some(false))
    }

    fn should_migrate(&self) -> bool {
        self.alloc().details().desired_transition.migrate == Some(true)
    }

    fn should_reschedule(&self) -> bool {
        self.alloc().details().desired_transition.reschedule == Some(true)
    }

    fn should_force_reschedule(&self) -> bool {
        self.alloc().details().desired_transition.force_reschedule == Some(true)
    }

    /// Set by the drainer on batch allocations it stops without wanting a replacement.
    fn migrate_disables_placement(&self) -> bool {
        self.alloc()
            .details()
            .desired_transition
            .migrate_disable_placement
            == Some(true)
    }

    /// Every task ran to a successful end.
    fn ran_successfully(&self) -> bool {
        let states = &self.alloc().details().task_states;
        !states.is_empty()
            && states
                .values()
                .all(|s| s.state == task_state::DEAD && !s.failed)
    }

    /// The scheduler tried to reschedule it and found no place.
    fn last_reschedule_failed(&self) -> bool {
        self.alloc()
            .details()
            .reschedule_tracker
            .as_ref()
            .is_some_and(|t| !t.last_reschedule.is_empty() && t.last_reschedule != "ok")
    }

    /// `disconnect.replace`, true unless the group says otherwise.
    fn replace_on_disconnect(&self) -> bool {
        self.own_group()
            .and_then(|g| g.disconnect.as_ref())
            .and_then(|d| d.replace)
            .unwrap_or(true)
    }

    /// `disconnect.lost_after`; zero when unset.
    fn lost_after(&self) -> i64 {
        self.own_group()
            .and_then(|g| g.disconnect.as_ref())
            .map_or(0, |d| d.lost_after)
    }

    /// When an allocation disconnecting at `now` becomes lost.
    fn disconnect_timeout(&self, now: i64) -> i64 {
        now + self.lost_after()
    }

    /// The client statuses recorded in `AllocStates`, newest first, with their times.
    fn client_status_history(&self) -> impl Iterator<Item = (&str, Option<i64>)> {
        self.alloc()
            .details()
            .alloc_states
            .iter()
            .rev()
            .filter(|s| s.field == alloc_state_field::CLIENT_STATUS)
            .map(|s| (s.value.as_str(), parse_rfc3339(&s.time)))
    }

    /// The last recorded client status is `unknown`: it disconnected and has not reconnected.
    fn needs_to_reconnect(&self) -> bool {
        self.client_status_history()
            .find(|(value, _)| !value.is_empty())
            .is_some_and(|(value, _)| value == ClientStatus::Unknown.as_str())
    }

    /// When the current run of `unknown` client statuses began.
    fn last_unknown(&self) -> Option<i64> {
        let mut since = None;
        for (value, time) in self.client_status_history() {
            if value == ClientStatus::Unknown.as_str() {
                since = time;
            } else if since.is_some() {
                break;
            }
        }
        since
    }

    /// An `unknown` allocation whose `disconnect.lost_after` window has passed.
    fn expired(&self, now: i64) -> bool {
        if self.alloc().client_status != ClientStatus::Unknown || self.own_group().is_none() {
            return false;
        }
        self.last_unknown()
            .is_some_and(|since| since + self.lost_after() <= now)
    }

    /// `disconnect.stop_on_client_after`, when set and non-zero.
    fn stop_on_client_after(&self) -> Option<i64> {
        self.own_group()
            .and_then(|g| g.disconnect.as_ref())
            .and_then(|d| d.stop_on_client_after)
            .filter(|d| *d != 0)
    }

    /// When a lost allocation with `stop_on_client_after` may be replaced: the client stops it
    /// that long after losing contact, plus the longest kill timeout.
    fn wait_client_stop(&self, stop_after: i64, now: i64) -> i64 {
        let lost_since = self
            .client_status_history()
            .filter(|(value, _)| *value == ClientStatus::Lost.as_str())
            .last()
            .and_then(|(_, time)| time)
            .unwrap_or(now);
        let kill = self.own_group().map_or(DEFAULT_KILL_TIMEOUT, |g| {
            g.tasks
                .iter()
                .map(|t| t.kill_timeout)
                .fold(DEFAULT_KILL_TIMEOUT, i64::max)
        });
        lost_since + stop_after + kill
    }

    /// A copy recording a client status transition at `now`.
    fn with_client_state(&self, value: ClientStatus, now: i64) -> Allocation {
        let mut updated = self.alloc().clone();
        record_client_state(&mut updated, value, now);
        updated
    }
}

/// Records a client status transition at `now` in the allocation's states.
pub(crate) fn record_client_state(alloc: &mut Allocation, value: ClientStatus, now: i64) {
    alloc.details_mut().alloc_states.push(AllocState {
        field: alloc_state_field::CLIENT_STATUS,
        value: value.as_str().to_string(),
        time: format_rfc3339(now),
    });
}

impl AllocExt for Allocation {
    fn alloc(&self) -> &Allocation {
        self
    }
}

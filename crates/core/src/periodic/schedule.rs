//! When a periodic job launches next: its cron specs read in its time zone.

use drover_model::PeriodicConfig;
use drover_model::cron::{CronSpec, Tz, time_zone};
use drover_model::job::PERIODIC_SPEC_CRON;

use super::PeriodicError;

/// A periodic block's specs, parsed once, with its time zone.
#[derive(Debug, Clone)]
pub(super) struct Schedule {
    specs: Vec<CronSpec>,
    zone: Tz,
}

impl Schedule {
    pub(super) fn new(periodic: &PeriodicConfig) -> Result<Self, PeriodicError> {
        let zone = time_zone(&periodic.time_zone)
            .ok_or_else(|| PeriodicError::InvalidTimeZone(periodic.time_zone.clone()))?;
        // Nomad reads `Spec` when it is set and `Specs` otherwise; only cron specs launch.
        let texts: &[String] = if periodic.spec_type != PERIODIC_SPEC_CRON {
            &[]
        } else if periodic.spec.is_empty() {
            &periodic.specs
        } else {
            std::slice::from_ref(&periodic.spec)
        };
        let specs = texts
            .iter()
            .map(|spec| {
                CronSpec::parse(spec).map_err(|error| PeriodicError::InvalidSpec {
                    spec: spec.clone(),
                    error,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { specs, zone })
    }

    /// The earliest launch of any spec after `after`; both in unix nanoseconds.
    pub(super) fn next_after(&self, after: i64) -> Option<i64> {
        self.specs
            .iter()
            .filter_map(|spec| spec.next_after(&self.zone, after))
            .min()
    }
}

/// The first launch of `periodic` after `after` (unix nanoseconds): the earliest next time of
/// its specs, read as wall-clock time in its `TimeZone` (`""` is UTC). `None` when no spec
/// matches again (cron years end in 2099) or the spec type is not `cron`, where Nomad
/// answers Go's zero time. `Enabled` is not looked at: the caller decides whether a launch
/// will happen. An error is a spec or time zone that validation refuses.
pub fn next_launch(periodic: &PeriodicConfig, after: i64) -> Result<Option<i64>, PeriodicError> {
    Ok(Schedule::new(periodic)?.next_after(after))
}

//! `Time`: the instants the broker reasons about. The crate never reads a clock; every caller
//! passes the current time in, so tests and simulations control it completely.

use std::ops::Add;
use std::time::Duration;

/// A point in time as nanoseconds since the unix epoch, the unit of `Evaluation::wait_until`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(i64);

impl Time {
    pub const fn from_unix_nanos(nanos: i64) -> Self {
        Self(nanos)
    }

    pub const fn unix_nanos(self) -> i64 {
        self.0
    }

    /// How long after `earlier` this is; zero when it is not later.
    pub fn saturating_since(self, earlier: Time) -> Duration {
        Duration::from_nanos(u64::try_from(self.0.saturating_sub(earlier.0)).unwrap_or(0))
    }
}

impl Add<Duration> for Time {
    type Output = Time;

    /// Saturates at the end of representable time instead of wrapping.
    fn add(self, duration: Duration) -> Time {
        let nanos = i64::try_from(duration.as_nanos()).unwrap_or(i64::MAX);
        Time(self.0.saturating_add(nanos))
    }
}

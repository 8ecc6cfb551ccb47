//! The engine's one notion of time: wall-clock milliseconds since the Unix epoch.
//!
//! The flow core never reads a clock; callers pass a [`Millis`] into every
//! input. Wall-clock (not a monotonic `Instant`) because deadlines are written
//! to the journal and must still mean the same moment after a restart, so that
//! a debounce armed for 5 minutes resumes with its *remaining* time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// A point in time as epoch milliseconds.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Millis(pub u64);

impl Millis {
    /// The current wall-clock time. Only the edges (the daemon loop, the
    /// journal's `updated_at`) call this; the flow core takes time as input.
    pub fn now() -> Millis {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        Millis(u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
    }

    /// This moment plus `d`, saturating instead of overflowing on absurd
    /// durations from a rule file.
    pub fn after(self, d: Duration) -> Millis {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Millis(self.0.saturating_add(ms))
    }

    /// This moment minus `d`, saturating at the epoch.
    pub fn before(self, d: Duration) -> Millis {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Millis(self.0.saturating_sub(ms))
    }

    /// How long from `self` until `later`; zero when `later` is already past,
    /// so a caller can hand it straight to a sleep.
    pub fn until(self, later: Millis) -> Duration {
        Duration::from_millis(later.0.saturating_sub(self.0))
    }
}

impl std::fmt::Display for Millis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}ms", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_saturates_and_until_never_goes_negative() {
        assert_eq!(
            Millis(u64::MAX - 1).after(Duration::from_secs(5)),
            Millis(u64::MAX)
        );
        assert_eq!(Millis(10).until(Millis(4)), Duration::ZERO);
        assert_eq!(Millis(10).until(Millis(250)), Duration::from_millis(240));
    }
}

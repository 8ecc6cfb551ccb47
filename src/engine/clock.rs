//! Where the daemon's `now` comes from: wall-clock time anchored once and
//! advanced by tokio's clock.
//!
//! Anchoring to tokio's `Instant` (instead of reading `SystemTime` on every
//! call) gives two things: a system clock stepped by NTP cannot make a
//! deadline fire twice or jump backwards within a run, and tests with
//! `#[tokio::test(start_paused = true)]` drive the engine's time exactly.

use std::time::Duration;

use tokio::time::Instant;

use super::millis::Millis;

/// A wall-clock origin paired with the tokio instant it was taken at.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    wall: Millis,
    at: Instant,
}

/// How far ahead "never" is when a deadline does not fit an `Instant`.
const FAR_FUTURE: Duration = Duration::from_secs(365 * 24 * 3600);

impl Clock {
    /// Anchors at the current system time.
    pub fn system() -> Clock {
        Clock::starting_at(Millis::now())
    }

    /// Anchors at a chosen wall-clock time (tests, replays).
    pub fn starting_at(wall: Millis) -> Clock {
        Clock {
            wall,
            at: Instant::now(),
        }
    }

    /// The current time.
    pub fn now(&self) -> Millis {
        self.wall.after(self.at.elapsed())
    }

    /// The tokio instant at which `deadline` falls, for `sleep_until`; a past
    /// deadline maps to the anchor (already due).
    pub fn instant_of(&self, deadline: Millis) -> Instant {
        self.at
            .checked_add(self.wall.until(deadline))
            .unwrap_or_else(|| Instant::now() + FAR_FUTURE)
    }
}

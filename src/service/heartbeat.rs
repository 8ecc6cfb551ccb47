//! Liveness of the daemon's core loops, as the loops themselves report it.
//!
//! Each long-running loop (listener, engine, executor) registers once and gets
//! a [`Heartbeat`], which it beats every time round — including when it is
//! idle, by also waking on a tick of [`Heartbeat::period`]. The systemd
//! watchdog ([`crate::service::sd_notify::Supervisor`]) and `/healthz`
//! ([`crate::service::health`]) ask [`Heartbeats::check`] whether every loop has
//! beaten recently. A loop that hangs, deadlocks or dies stops beating, and
//! the daemon stops claiming to be alive: that is the whole point of a
//! watchdog, which an unconditional ping task would defeat.
//!
//! Plex being down is not a stall: the listener keeps beating while it backs
//! off.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// The registry of core loops. Cloning shares it.
#[derive(Clone, Debug)]
pub struct Heartbeats {
    /// Reference point for the beat timestamps, so a beat is one atomic store.
    epoch: Instant,
    /// Registered loops; the lock is held only to register or to copy.
    loops: Arc<Mutex<Vec<Arc<Slot>>>>,
}

#[derive(Debug)]
struct Slot {
    /// Name shown in logs, `/healthz` and the watchdog's complaint.
    name: String,
    /// Longest silence that still counts as alive.
    max_silence: Duration,
    /// Time of the last beat, in nanoseconds since [`Heartbeats::epoch`].
    last: AtomicU64,
}

/// The handle one loop beats with. Cloning shares it.
#[derive(Clone, Debug)]
pub struct Heartbeat {
    /// Same epoch as the registry.
    epoch: Instant,
    /// This loop's slot in the registry.
    slot: Arc<Slot>,
}

/// A loop that has not beaten within its allowed silence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stalled {
    /// The loop's registered name.
    pub name: String,
    /// How long it has been silent.
    pub silent_for: Duration,
}

impl std::fmt::Display for Stalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} silent for {} s",
            self.name,
            self.silent_for.as_secs()
        )
    }
}

impl Default for Heartbeats {
    fn default() -> Self {
        Heartbeats::new()
    }
}

impl Heartbeats {
    /// An empty registry. With no loops registered, everything is alive.
    pub fn new() -> Heartbeats {
        Heartbeats {
            epoch: Instant::now(),
            loops: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Registers a core loop that promises to beat at least every
    /// `max_silence`. It counts as having just beaten.
    pub fn register(&self, name: impl Into<String>, max_silence: Duration) -> Heartbeat {
        let slot = Arc::new(Slot {
            name: name.into(),
            max_silence,
            last: AtomicU64::new(nanos_since(self.epoch)),
        });
        // A poisoned lock still holds a valid list; a loop must never go
        // unwatched because of an unrelated panic.
        self.loops
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(slot.clone());
        Heartbeat {
            epoch: self.epoch,
            slot,
        }
    }

    /// The loops that are overdue, empty when all are alive.
    pub fn stalled(&self) -> Vec<Stalled> {
        let now = nanos_since(self.epoch);
        let loops: Vec<Arc<Slot>> = self
            .loops
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        loops
            .iter()
            .filter_map(|slot| {
                let silent_for =
                    Duration::from_nanos(now.saturating_sub(slot.last.load(Ordering::Relaxed)));
                (silent_for > slot.max_silence).then(|| Stalled {
                    name: slot.name.clone(),
                    silent_for,
                })
            })
            .collect()
    }

    /// Whether every registered loop has beaten within its allowed silence.
    pub fn all_alive(&self) -> bool {
        self.stalled().is_empty()
    }
}

impl Heartbeat {
    /// Says "this loop is still turning".
    pub fn beat(&self) {
        self.slot
            .last
            .store(nanos_since(self.epoch), Ordering::Relaxed);
    }

    /// How often an idle loop should wake up just to beat: a third of its
    /// allowed silence, so one late wake-up is not yet a stall.
    pub fn period(&self) -> Duration {
        self.slot.max_silence / 3
    }

    /// The name it was registered under.
    pub fn name(&self) -> &str {
        &self.slot.name
    }
}

fn nanos_since(epoch: Instant) -> u64 {
    u64::try_from(Instant::now().saturating_duration_since(epoch).as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_loop_that_stops_beating_is_reported_once_overdue() {
        let hb = Heartbeats::new();
        let engine = hb.register("engine", Duration::from_secs(3));
        let listener = hb.register("listener", Duration::from_secs(3));
        assert!(hb.all_alive());

        tokio::time::advance(Duration::from_secs(2)).await;
        engine.beat();
        tokio::time::advance(Duration::from_secs(2)).await;
        // listener: 4 s silent > 3 s; engine: 2 s.
        let stalled = hb.stalled();
        assert_eq!(stalled.len(), 1);
        assert_eq!(stalled[0].name, "listener");
        assert_eq!(stalled[0].to_string(), "listener silent for 4 s");

        listener.beat();
        assert!(hb.all_alive());
        assert_eq!(listener.period(), Duration::from_secs(1));
    }

    #[test]
    fn no_loops_means_alive() {
        assert!(Heartbeats::new().all_alive());
    }
}

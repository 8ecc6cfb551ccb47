//! The listener's side of the watchdog: beat the heartbeat while waiting
//! (connecting, backing off) and while reading, without a timer per frame.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::time::Instant;

use crate::service::heartbeat::Heartbeat;

/// An optional heartbeat and when it was last beaten.
pub(crate) struct Beat {
    heartbeat: Option<Heartbeat>,
    /// Reference point for `last`.
    base: Instant,
    /// Nanoseconds after `base` of the last beat (an atomic only so the
    /// listener's future stays `Send`; one task uses it).
    last: AtomicU64,
}

impl Beat {
    pub(crate) fn new(heartbeat: Option<Heartbeat>) -> Beat {
        if let Some(h) = &heartbeat {
            h.beat();
        }
        Beat {
            heartbeat,
            base: Instant::now(),
            last: AtomicU64::new(0),
        }
    }

    /// Beats if a period has passed since the last beat (cheap enough to
    /// call per frame: one comparison).
    pub(crate) fn maybe(&self, now: Instant) {
        let Some(h) = &self.heartbeat else { return };
        let at =
            u64::try_from(now.saturating_duration_since(self.base).as_nanos()).unwrap_or(u64::MAX);
        let since = at.saturating_sub(self.last.load(Ordering::Relaxed));
        if since >= u64::try_from(h.period().as_nanos()).unwrap_or(u64::MAX) {
            h.beat();
            self.last.store(at, Ordering::Relaxed);
        }
    }

    /// Resolves after one period and beats; pends forever without a heartbeat.
    /// For `select!` loops that otherwise wait on something slow.
    pub(crate) async fn wait(&self) {
        match &self.heartbeat {
            Some(h) => {
                tokio::time::sleep(h.period()).await;
                self.maybe(Instant::now());
            }
            None => std::future::pending().await,
        }
    }
}

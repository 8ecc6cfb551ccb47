//! Counters the listener keeps so that health checks, metrics and the
//! benchmark can see what happened to the stream without reading logs.

use std::sync::atomic::{AtomicU64, Ordering};

/// Live counters, shared between the listener task and whoever reports on it.
#[derive(Debug, Default)]
pub struct ListenerStats {
    /// Text frames read from the socket (including ones later dropped).
    frames: AtomicU64,
    /// Frames that did not parse as a notification and were skipped.
    malformed: AtomicU64,
    /// Frames or events thrown away because the consumer's queue was full.
    dropped: AtomicU64,
    /// Events handed to the consumer.
    delivered: AtomicU64,
    /// Successful WebSocket handshakes.
    connects: AtomicU64,
    /// Reconciliations completed (after a connect or an overflow).
    reconciles: AtomicU64,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Text frames read from the socket (including ones later dropped).
    pub frames: u64,
    /// Frames that did not parse as a notification and were skipped.
    pub malformed: u64,
    /// Frames or events thrown away because the consumer's queue was full;
    /// each overflow is repaired by a reconciliation.
    pub dropped: u64,
    /// Events handed to the consumer.
    pub delivered: u64,
    /// Successful WebSocket handshakes (1 + reconnects).
    pub connects: u64,
    /// Reconciliations completed (after a connect or an overflow).
    pub reconciles: u64,
}

impl ListenerStats {
    /// Reads every counter.
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            frames: self.frames.load(Ordering::Relaxed),
            malformed: self.malformed.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            delivered: self.delivered.load(Ordering::Relaxed),
            connects: self.connects.load(Ordering::Relaxed),
            reconciles: self.reconciles.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn frame(&self) {
        self.frames.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn malformed(&self) {
        self.malformed.fetch_add(1, Ordering::Relaxed);
    }

    /// Returns the new total, so the caller can log the first drop loudly.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub(crate) fn delivered(&self) {
        self.delivered.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn connected(&self) {
        self.connects.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn reconciled(&self) {
        self.reconciles.fetch_add(1, Ordering::Relaxed);
    }
}

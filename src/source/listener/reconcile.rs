//! Catching up after a gap: what the listener asks the REST API right after
//! every (re)connect, and the watermark that says which added items are new.
//!
//! Plex does not replay notifications. A session that stopped, a scan that
//! ended or an item that appeared while the socket was down is only visible by
//! polling, so each connect takes a [`Snapshot`] and hands it to the
//! normalizer, which emits synthetic events for the differences.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use futures::future::BoxFuture;

use crate::plex::model::{Activity, Item, Section, ServerIdentity, Session};

/// What the server looked like right after the socket opened.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// `/identity`: detects a replaced server (machine id) or an update.
    pub identity: Option<ServerIdentity>,
    /// The root's `updatedAt` (`GET /`), which moves when the server
    /// restarts: session keys restart from 1 and must not be matched with
    /// the sessions tracked before.
    pub started_at: Option<i64>,
    /// `/library/sections`: ids, titles and types events are labelled with.
    pub sections: Vec<Section>,
    /// `/status/sessions`: what is playing now.
    pub sessions: Vec<Session>,
    /// `/activities`: what is still running.
    pub activities: Vec<Activity>,
    /// Items added at or after the watermark, in any section (on first
    /// start: the newest page of each section, to set the watermark from).
    pub added: Vec<Item>,
    /// The watermark `added` was fetched from; `None` on first start. Set
    /// by the listener (views need not fill it in).
    pub added_since: Option<i64>,
}

/// Why a snapshot could not be taken; the listener logs it and retries later.
#[derive(Debug, thiserror::Error)]
#[error("cannot reconcile with the Plex server: {0}")]
pub struct ReconcileError(pub String);

/// The REST calls reconciliation needs, behind a trait so the listener can be
/// tested against fakes and the simulator alike.
pub trait ServerView: Send + Sync + 'static {
    /// Takes a snapshot; `added_since` is the watermark (epoch seconds), and
    /// `None` means "first start: record the newest item, report none".
    fn snapshot(
        self: Arc<Self>,
        added_since: Option<i64>,
    ) -> BoxFuture<'static, Result<Snapshot, ReconcileError>>;
}

/// Where the "newest item already seen" watermark lives between
/// reconnects. In memory here; the engine persists it in SQLite so that a
/// restart of the daemon also catches up.
pub trait WatermarkStore: Send + Sync + 'static {
    /// The stored watermark (epoch seconds of the newest `addedAt` seen).
    fn load(&self) -> Option<i64>;
    /// Records a newer watermark; older values are ignored.
    fn store(&self, added_at: i64);
}

/// A [`WatermarkStore`] that forgets on exit.
#[derive(Debug)]
pub struct MemoryWatermark(AtomicI64);

impl MemoryWatermark {
    /// Starts empty (first start).
    pub fn new() -> MemoryWatermark {
        MemoryWatermark(AtomicI64::new(i64::MIN))
    }
}

impl Default for MemoryWatermark {
    fn default() -> Self {
        MemoryWatermark::new()
    }
}

impl WatermarkStore for MemoryWatermark {
    fn load(&self) -> Option<i64> {
        Some(self.0.load(Ordering::Relaxed)).filter(|v| *v != i64::MIN)
    }

    fn store(&self, added_at: i64) {
        self.0.fetch_max(added_at, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_watermark_only_moves_forward() {
        let w = MemoryWatermark::new();
        assert_eq!(w.load(), None);
        w.store(100);
        w.store(50);
        assert_eq!(w.load(), Some(100));
        w.store(150);
        assert_eq!(w.load(), Some(150));
    }
}

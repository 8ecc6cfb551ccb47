//! Pacing toward Plex on the executor's side: a global limit on actions
//! running at once, one scan at a time per section, and identical in-flight
//! actions joined rather than repeated. (The request-rate token bucket lives
//! in the client, so it covers every request the daemon makes.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use futures::future::{BoxFuture, Shared};
use tokio::sync::{OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

use super::ActionOutcome;

/// A running action others may join.
pub(crate) type InFlight = Shared<BoxFuture<'static, ActionOutcome>>;

/// Shared by every clone of an executor.
pub(crate) struct Pacing {
    permits: Arc<Semaphore>,
    sections: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    in_flight: Mutex<HashMap<String, InFlight>>,
}

impl Pacing {
    /// At most `concurrency` actions at once (at least one).
    pub(crate) fn new(concurrency: usize) -> Pacing {
        Pacing {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            sections: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a free slot; the slot is held until the permit is dropped.
    pub(crate) async fn slot(&self) -> Option<OwnedSemaphorePermit> {
        self.permits.clone().acquire_owned().await.ok()
    }

    /// Waits until no other scan of section `id` runs; held until dropped.
    pub(crate) async fn section(&self, id: &str) -> OwnedMutexGuard<()> {
        self.exclusive(id).await
    }

    /// Waits until no other holder of `key` runs; held until dropped. Scans
    /// key by section id; other heavy jobs by `<kind>:<item>`, so two of the
    /// same kind never run on one item at once.
    pub(crate) async fn exclusive(&self, id: &str) -> OwnedMutexGuard<()> {
        let lock = {
            let mut map = lock(&self.sections);
            map.entry(id.to_owned()).or_default().clone()
        };
        lock.lock_owned().await
    }

    /// The running action with `key`, or `start()` registered under it.
    /// Returns the future and whether it was joined (already running).
    pub(crate) fn join_or_start(
        &self,
        key: &str,
        start: impl FnOnce() -> InFlight,
    ) -> (InFlight, bool) {
        let mut map = lock(&self.in_flight);
        if let Some(running) = map.get(key) {
            return (running.clone(), true);
        }
        let fut = start();
        map.insert(key.to_owned(), fut.clone());
        (fut, false)
    }

    /// Forgets the action with `key` (it ended, or its starter went away).
    pub(crate) fn finished(&self, key: &str) {
        lock(&self.in_flight).remove(key);
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The maps stay consistent even if a holder panicked.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes an in-flight entry when its starter is done or dropped, so a
/// cancelled action cannot leave a stale entry behind.
pub(crate) struct InFlightGuard<'a> {
    pub(crate) pacing: &'a Pacing,
    pub(crate) key: String,
}

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        self.pacing.finished(&self.key);
    }
}

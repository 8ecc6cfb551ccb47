//! The state every part of a running simulator shares: the library, the
//! request log, the fault queue, the token, and the notification hub.
//!
//! All locks are `std::sync::Mutex` held for short, synchronous sections and
//! never across an `.await`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::fault::FaultQueue;
use super::library::{Library, now_epoch};
use super::listener::ListenerControl;
use super::notify::{Hub, Notification};
use super::recording::RequestLog;

pub(crate) struct Shared {
    /// The simulated server state.
    pub(crate) library: Mutex<Library>,
    /// Every request received, in arrival order.
    pub(crate) requests: Mutex<RequestLog>,
    /// REST faults waiting for a matching request.
    pub(crate) faults: Mutex<FaultQueue>,
    /// The token the server accepts now.
    pub(crate) token: Mutex<String>,
    /// Fans notifications out to sockets.
    pub(crate) hub: Hub,
    /// `/identity` `machineIdentifier`; stable across simulated restarts, like Plex's.
    pub(crate) machine_id: String,
    /// Epoch seconds of the (simulated) start, the root's `updatedAt`; a
    /// simulated restart changes it.
    pub(crate) started_at: AtomicI64,
    /// How long an activity (scan, refresh) runs before it ends.
    pub(crate) activity_duration: Duration,
    /// Send ids in notifications as numbers, as pre-2020 servers did.
    #[allow(dead_code)] // The WebSocket side (next) reads it.
    pub(crate) numeric_ids: AtomicBool,
    /// Cancels a running activity by uuid.
    pub(crate) activity_cancels: Mutex<HashMap<String, CancellationToken>>,
    /// Closes and reopens the listening socket, closes connections.
    pub(crate) listener: Arc<ListenerControl>,
    /// Stops the server and every task it spawned.
    pub(crate) shutdown: CancellationToken,
    /// Background tasks (activities), awaited at shutdown.
    pub(crate) tasks: TaskTracker,
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it: the
/// simulator's state stays usable for the rest of a test.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub(crate) fn new(
        library: Library,
        token: String,
        activity_duration: Duration,
        numeric_ids: bool,
        listener: Arc<ListenerControl>,
    ) -> Shared {
        Shared {
            library: Mutex::new(library),
            requests: Mutex::new(RequestLog::default()),
            faults: Mutex::new(FaultQueue::default()),
            token: Mutex::new(token),
            hub: Hub::new(),
            machine_id: uuid::Uuid::new_v4().simple().to_string(),
            started_at: AtomicI64::new(now_epoch()),
            activity_duration,
            numeric_ids: AtomicBool::new(numeric_ids),
            activity_cancels: Mutex::new(HashMap::new()),
            listener,
            shutdown: CancellationToken::new(),
            tasks: TaskTracker::new(),
        }
    }

    pub(crate) fn notify(&self, n: Notification) {
        self.hub.send(n);
    }

    pub(crate) fn token_matches(&self, candidate: &str) -> bool {
        *lock(&self.token) == candidate
    }

    pub(crate) fn started_at(&self) -> i64 {
        self.started_at.load(Ordering::Relaxed)
    }
}

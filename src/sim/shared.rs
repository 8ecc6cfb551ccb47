//! The state every part of a running simulator shares: the library, the
//! request log, the fault queue, the token, and the notification hub.
//!
//! All locks are `std::sync::Mutex` held for short, synchronous sections and
//! never across an `.await`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::fault::FaultQueue;
use super::library::{Library, now_epoch};
use super::listener::ListenerControl;
use super::notify::{Hub, Notification};
use super::recording::RequestLog;
use super::ws_fault::SocketCommand;

/// Depth of the per-socket command queue (raw frames, faults).
pub(crate) const SOCKET_QUEUE: usize = 1024;

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
    pub(crate) numeric_ids: AtomicBool,
    /// Play a server older than the detection endpoints (see `SimOptions`).
    pub(crate) old_server: AtomicBool,
    /// Cancels a running activity by uuid.
    pub(crate) activity_cancels: Mutex<HashMap<String, CancellationToken>>,
    /// Closes and reopens the listening socket, closes connections.
    pub(crate) listener: Arc<ListenerControl>,
    /// Commands (faults, raw frames) to every open notification socket.
    pub(crate) socket_commands: broadcast::Sender<SocketCommand>,
    /// Notification sockets open now.
    pub(crate) open_sockets: AtomicUsize,
    /// Socket commands injected while no socket was open, for the next one.
    /// Also the lock that orders socket set-up against injection.
    pub(crate) pending_socket_commands: Mutex<Vec<SocketCommand>>,
    /// Cancelled (and replaced) to close every notification socket.
    pub(crate) close_sockets: Mutex<CancellationToken>,
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
            old_server: AtomicBool::new(false),
            activity_cancels: Mutex::new(HashMap::new()),
            listener,
            socket_commands: broadcast::channel(SOCKET_QUEUE).0,
            open_sockets: AtomicUsize::new(0),
            pending_socket_commands: Mutex::new(Vec::new()),
            close_sockets: Mutex::new(CancellationToken::new()),
            shutdown: CancellationToken::new(),
            tasks: TaskTracker::new(),
        }
    }

    pub(crate) fn notify(&self, n: Notification) {
        self.hub.send(n);
    }

    /// Whether the simulator plays an old server.
    pub(crate) fn is_old(&self) -> bool {
        self.old_server.load(Ordering::Relaxed)
    }

    pub(crate) fn token_matches(&self, candidate: &str) -> bool {
        *lock(&self.token) == candidate
    }

    pub(crate) fn started_at(&self) -> i64 {
        self.started_at.load(Ordering::Relaxed)
    }

    /// Sends a command to every open socket, or keeps it for the next one.
    pub(crate) fn command_sockets(&self, cmd: SocketCommand) {
        let mut pending = lock(&self.pending_socket_commands);
        if self.open_sockets.load(Ordering::SeqCst) == 0
            || self.socket_commands.send(cmd.clone()).is_err()
        {
            pending.push(cmd);
        }
    }

    /// Closes every notification socket (the TCP connection, no close frame).
    pub(crate) fn close_sockets(&self) {
        let mut token = lock(&self.close_sockets);
        token.cancel();
        *token = CancellationToken::new();
    }
}

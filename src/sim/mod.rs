//! A Plex Media Server simulator on loopback, for tests and `metarr-plex sim`.
//!
//! It serves the REST endpoints metarr-plex uses (PROTOCOL.md §4) over an
//! in-memory [`Library`] that changes state as Plex does, records every
//! request for tests to assert on, enforces the token, and injects faults.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use metarr_plex::sim::{SimOptions, Simulator};
//! let sim = Simulator::start(SimOptions::default()).await?;
//! let url = sim.url(); // http://127.0.0.1:PORT/
//! # let _ = url;
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

mod activity;
mod artwork;
mod catalogue;
mod collection;
mod detection;
mod edit;
mod fault;
mod gate;
mod item;
mod library;
mod listener;
mod matching;
mod naming;
mod notify;
mod params;
mod playback;
mod reaction;
mod recording;
mod rejection;
mod render;
mod routes;
mod scan;
mod seed;
mod shared;
mod websocket;
mod ws_fault;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

pub use activity::Activity;
pub use artwork::{ImageSlot, upload_key};
pub use catalogue::{Catalogue, CatalogueEntry, CatalogueHit};
pub use fault::RestFault;
pub use item::{CollectionInfo, Image, ItemKind, SimChapter, SimItem, SimMarker};
pub use library::{Library, Section};
pub use notify::Notification;
pub use playback::{PlayState, Session};
pub use recording::RecordedRequest;
pub use rejection::Rejection;
pub use scan::ScanOutcome;
pub use ws_fault::WsFault;

use listener::{ListenerControl, SimListener};
use shared::{Shared, lock};
use ws_fault::SocketCommand;

/// How to start a simulator.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// The token requests must carry.
    pub token: String,
    /// Where to listen; loopback only. Port 0 picks a free port.
    pub addr: SocketAddr,
    /// The initial state.
    pub library: Library,
    /// How long a scan or refresh activity runs (started → ended).
    pub activity_duration: Duration,
    /// Send ids in notifications as numbers, as pre-2020 servers did.
    pub numeric_ids: bool,
    /// Play an old server: an older version in `/identity`, and 404 for the
    /// whole path of the endpoints it predates (detection jobs, section
    /// analysis).
    pub old_server: bool,
}

impl Default for SimOptions {
    fn default() -> SimOptions {
        SimOptions {
            token: "sim-token".into(),
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            library: Library::seeded(),
            activity_duration: Duration::from_millis(200),
            numeric_ids: false,
            old_server: false,
        }
    }
}

/// A running simulator. Cheap to clone; all clones drive the same server.
#[derive(Clone)]
pub struct Simulator {
    shared: Arc<Shared>,
}

impl Simulator {
    /// Binds `opts.addr` (refusing non-loopback addresses) and serves.
    pub async fn start(opts: SimOptions) -> std::io::Result<Simulator> {
        let control = ListenerControl::bind(opts.addr)?;
        let shared = Arc::new(Shared::new(
            opts.library,
            opts.token,
            opts.activity_duration,
            opts.numeric_ids,
            Arc::clone(&control),
        ));
        shared
            .old_server
            .store(opts.old_server, std::sync::atomic::Ordering::Relaxed);
        let app = routes::router(Arc::clone(&shared));
        let stop = shared.shutdown.clone();
        shared.tasks.spawn(async move {
            let server = axum::serve(SimListener(control), app)
                .with_graceful_shutdown(stop.cancelled_owned());
            if let Err(e) = server.await {
                tracing::error!(error = %e, "Simulator server stopped.");
            }
        });
        Ok(Simulator { shared })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.shared.listener.addr()
    }

    /// `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> url::Url {
        let mut u =
            url::Url::parse("http://127.0.0.1/").unwrap_or_else(|_| unreachable!("constant URL"));
        let _ = u.set_ip_host(self.addr().ip());
        let _ = u.set_port(Some(self.addr().port()));
        u
    }

    /// The token currently accepted.
    pub fn token(&self) -> String {
        lock(&self.shared.token).clone()
    }

    /// The `machineIdentifier` `/identity` reports.
    pub fn machine_identifier(&self) -> &str {
        &self.shared.machine_id
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).all()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        lock(&self.shared.requests).clear();
    }

    /// Reads the state.
    pub fn with_library<R>(&self, f: impl FnOnce(&Library) -> R) -> R {
        f(&lock(&self.shared.library))
    }

    /// Changes the state (test set-up).
    pub fn with_library_mut<R>(&self, f: impl FnOnce(&mut Library) -> R) -> R {
        f(&mut lock(&self.shared.library))
    }

    /// Injects a REST fault. `Refuse` acts at once: the port is closed (and
    /// open connections with it) before this returns.
    pub fn inject(&self, fault: RestFault) {
        tracing::info!(fault = ?fault, "Simulator fault injected.");
        match fault {
            RestFault::Refuse { duration } => self
                .shared
                .listener
                .refuse(duration, self.shared.shutdown.clone()),
            other => lock(&self.shared.faults).push(other),
        }
    }

    /// Every notification the server emits from now on, whether or not a
    /// WebSocket is open (tests assert on sequences with it).
    pub fn notifications(&self) -> tokio::sync::broadcast::Receiver<Notification> {
        self.shared.hub.subscribe()
    }

    /// Rotates the token: requests with the old one get 401 from now on.
    pub fn set_token(&self, token: &str) {
        *lock(&self.shared.token) = token.to_owned();
    }

    /// Injects a WebSocket fault (see [`WsFault`] for when each applies).
    pub fn inject_ws(&self, fault: WsFault) {
        tracing::info!(fault = ?fault, "Simulator WebSocket fault injected.");
        match fault {
            WsFault::Restart { down_for } => self.restart(down_for),
            WsFault::RevokeToken => {
                self.set_token(&uuid::Uuid::new_v4().simple().to_string());
                self.shared.close_sockets();
            }
            other => {
                if let Some(cmd) = SocketCommand::from_fault(&other) {
                    self.shared.command_sockets(cmd);
                }
            }
        }
    }

    /// Sends an arbitrary text frame on every open socket (or the next one),
    /// whatever the socket's filters.
    pub fn emit_raw(&self, json: &str) {
        self.shared
            .command_sockets(SocketCommand::Raw(json.to_owned()));
    }

    /// Sends many raw frames, waiting whenever the sockets fall more than
    /// half a queue behind, so none is dropped (for load tests).
    pub async fn emit_raw_many(&self, frames: impl IntoIterator<Item = String>) {
        for frame in frames {
            while self.shared.socket_commands.len() >= shared::SOCKET_QUEUE / 2 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            self.shared.command_sockets(SocketCommand::Raw(frame));
        }
    }

    /// Deletes an item (and what is below it) the way Plex does when its
    /// files are gone: timeline state 9 / `deleted` for each. False if unknown.
    pub fn delete_item(&self, id: &str) -> bool {
        let removed = lock(&self.shared.library).remove_item(id);
        for item in &removed {
            self.shared.notify(notify::timeline(
                item,
                item.grandparent.as_deref(),
                notify::DELETED,
            ));
        }
        !removed.is_empty()
    }

    /// Sends a notification to every socket whose filters allow its type.
    pub fn emit(&self, notification: Notification) {
        self.shared.notify(notification);
    }

    /// Switches notification ids between strings (modern PMS) and numbers (old PMS).
    pub fn set_numeric_ids(&self, numeric: bool) {
        self.shared
            .numeric_ids
            .store(numeric, std::sync::atomic::Ordering::Relaxed);
    }

    /// How many notification sockets are open now.
    pub fn open_sockets(&self) -> usize {
        self.shared
            .open_sockets
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Simulates a server restart; see [`WsFault::Restart`].
    fn restart(&self, down_for: Duration) {
        self.shared.close_sockets();
        self.shared
            .listener
            .refuse(down_for, self.shared.shutdown.clone());
        activity::abort_all(&self.shared);
        {
            let mut lib = lock(&self.shared.library);
            lib.sessions.clear();
            lib.next_session = 1;
        }
        let now = library::now_epoch();
        let old = self.shared.started_at();
        self.shared
            .started_at
            .store(now.max(old + 1), std::sync::atomic::Ordering::Relaxed);
    }

    /// Stops serving, ends activities, closes connections.
    pub async fn shutdown(self) {
        self.shared.shutdown.cancel();
        self.shared.listener.close_connections();
        self.shared.tasks.close();
        self.shared.tasks.wait().await;
    }
}

/// Runs a simulator until `shutdown` completes, for `metarr-plex sim`. Logs
/// the URL and where the token comes from (never the token itself).
pub async fn run_standalone(
    opts: SimOptions,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let default_token = opts.token == SimOptions::default().token;
    let sim = Simulator::start(opts).await?;
    tracing::info!(
        url = %sim.url(),
        token = if default_token { "the default, `sim-token`" } else { "the one given with --token" },
        "Simulator listening."
    );
    shutdown.await;
    tracing::info!("Simulator stopping.");
    sim.shutdown().await;
    Ok(())
}

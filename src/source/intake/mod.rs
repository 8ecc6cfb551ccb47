//! The HTTP intake: a second source of work next to the notification stream.
//!
//! Metarr (`POST /api/v1/sync`), Sonarr/Radarr/Lidarr/Readarr
//! (`/api/v1/hooks/{kind}`), Plex webhooks (`/api/v1/hooks/plex`) and
//! autoscan-style triggers (`/triggers/manual`) hand work to the daemon;
//! `GET /api/v1/requests[/{id}]` and `metarr-plex requests` say how it went.
//! Requests are journaled before they are answered; the worker takes them
//! through the shared action executor (scans, match, edit, artwork) and
//! tells the rules (`intake.*`, `webhook.*` events).
//!
//! - `settings`: `[intake]` and the key.
//! - `auth`: the key in its three places; queries fit for logs.
//! - `server`: the routes.
//! - `sync`: Metarr's sync body, checked with field paths.
//! - `arr`: lenient *arr webhook bodies → paths.
//! - `plex_hook`: Plex webhooks → `webhook.<event>` events.
//! - `spec`: what one item asks for, as journaled.
//! - `worker`: settle, scan, confirm, apply, report.
//! - `sighting`: what the stream (and Plex's `library.new` webhook) says
//!   about the items a scan produced.
//! - `apply`: a sync item's work as typed actions.

mod apply;
mod arr;
mod auth;
mod plex_hook;
mod server;
mod settings;
mod sighting;
mod spec;
mod sync;
mod worker;

pub use server::BODY_LIMIT;
pub use settings::{CREDENTIAL_NAME, IntakeKey, IntakeSettings, IntakeStartError, load_key};
pub use sighting::StreamTap;

use std::net::SocketAddr;
use std::path::PathBuf;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::action::{Executor, RetryPolicy, Sequencer};
use crate::event::Event;
use crate::journal::Journal;
use crate::plex::PlexClient;
use crate::plex::pathmap::PathMap;

/// The intake, bound and keyed but not yet serving: binding comes first so
/// a taken port or a missing key stops the start before anything runs.
pub struct BoundIntake {
    server: server::IntakeServer,
    settings: IntakeSettings,
    wake_tx: mpsc::UnboundedSender<String>,
    wake_rx: mpsc::UnboundedReceiver<String>,
    key: Option<IntakeKey>,
    tap: StreamTap,
}

/// What the running intake shares with the daemon.
pub struct IntakeDeps {
    /// Requests and item states.
    pub journal: Journal,
    /// The daemon's action executor: same limits, locks and loop guard.
    pub executor: Executor,
    /// For lookups by path.
    pub client: PlexClient,
    /// `[[path_map]]`.
    pub map: PathMap,
    /// Where `webhook.*` and `intake.*` events go (the rules).
    pub events: mpsc::Sender<Event>,
}

/// The running intake.
pub struct Intake {
    addr: Option<SocketAddr>,
    stop: CancellationToken,
    server: JoinHandle<()>,
    worker: JoinHandle<()>,
    tap: StreamTap,
}

impl BoundIntake {
    /// Loads the key and binds `[intake] listen`; `Ok(None)` when the intake
    /// is off. `journal` is what accepted requests are written to.
    pub async fn bind(
        settings: &IntakeSettings,
        journal: Journal,
        events: mpsc::Sender<Event>,
    ) -> Result<Option<BoundIntake>, IntakeStartError> {
        let Some(addr) = settings.listen else {
            return Ok(None);
        };
        let credentials = std::env::var_os("CREDENTIALS_DIRECTORY").map(PathBuf::from);
        let key = load_key(settings, credentials.as_deref())?;
        let (wake_tx, wake_rx) = mpsc::unbounded_channel();
        let tap = StreamTap::default();
        let shared = server::Shared {
            key: key.clone(),
            journal,
            wake: wake_tx.clone(),
            events,
            tap: tap.clone(),
        };
        let server = server::IntakeServer::bind(addr, shared).await?;
        Ok(Some(BoundIntake {
            server,
            settings: settings.clone(),
            wake_tx,
            wake_rx,
            key,
            tap,
        }))
    }

    /// Starts serving and working.
    pub fn run(self, deps: IntakeDeps) -> Intake {
        let addr = self.server.local_addr();
        if self.key.is_none() {
            tracing::warn!(addr = ?addr, "The intake takes requests without a key (loopback only); set [intake] key_file.");
        }
        let stop = CancellationToken::new();
        // The daemon's policy for rule runs; a sequencer of its own, since
        // its progress is kept by run number and these are numbered here.
        let policy = RetryPolicy::default();
        let worker = worker::Worker {
            journal: deps.journal,
            sequencer: Sequencer::new(deps.executor, policy),
            policy,
            runs: Default::default(),
            tap: self.tap.clone(),
            client: deps.client,
            map: deps.map,
            min_age: self.settings.min_age,
            stable_for: self.settings.stable_for,
            events: deps.events,
        };
        // The server keeps a sender; this one is only for the worker's channel.
        drop(self.wake_tx);
        let worker = tokio::spawn(worker.run(self.wake_rx, stop.clone()));
        let server = tokio::spawn(self.server.serve(stop.clone()));
        tracing::info!(addr = ?addr, "Intake listening.");
        Intake {
            addr,
            stop,
            server,
            worker,
            tap: self.tap,
        }
    }
}

impl Intake {
    /// Where it listens.
    pub fn addr(&self) -> Option<SocketAddr> {
        self.addr
    }

    /// Where the daemon offers the notification stream's events, so the
    /// worker hears what its scans produced.
    pub fn tap(&self) -> StreamTap {
        self.tap.clone()
    }

    /// Stops taking requests and stops the worker; unfinished items stay in
    /// the journal and resume at the next start.
    pub async fn stop(self) {
        self.stop.cancel();
        let _ = self.server.await;
        let _ = self.worker.await;
    }
}

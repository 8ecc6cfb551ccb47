//! The notification listener: a WebSocket to Plex that never gives up and
//! never hangs, feeding normalized events to a bounded queue.
//!
//! - [`connect`]: URL, headers (the token only in a header), limits, timeout.
//! - [`session`]: one connection — read, ping, idle deadline, reconcile first.
//! - [`outlet`]: the non-blocking hand-over to the consumer (drop + resync).
//! - [`state`]: the published [`ConnectionState`] and once-per-transition logs.
//! - [`reconcile`]: the REST snapshot taken after every connect, the watermark.
//! - [`pipeline`]: frame → events; [`normalized`] is parser + normalizer,
//!   [`RawPipeline`] passes entries through for `events --raw`.
//! - [`client_view`]: the snapshot through the real REST client.
//!
//! Reconnects use full-jitter backoff (≈1 s → 30 s, reset after a stable
//! minute); a rejected token gets its own slow retry (≈1 → 5 min) and re-reads
//! the token source each time.

mod beat;
mod client_view;
mod connect;
mod normalized;
mod outlet;
mod pipeline;
mod reconcile;
mod session;
mod state;
mod stats;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::tungstenite::http::{HeaderMap, HeaderName, HeaderValue};
use tokio_util::sync::CancellationToken;
use url::Url;

pub use connect::{ConnectError, MAX_MESSAGE_BYTES, notification_url};
pub use normalized::NormalizedPipeline;
pub use pipeline::{Malformed, Pipeline, RawPipeline};
pub use reconcile::{MemoryWatermark, ReconcileError, ServerView, Snapshot, WatermarkStore};
pub use state::ConnectionState;
pub use stats::{ListenerStats, StatsSnapshot};

use crate::config::Config;
use crate::event::Event;
use crate::plex::PlexClient;
use crate::plex::backoff::Backoff;
use crate::plex::conn::token::TokenSource;
use crate::service::heartbeat::Heartbeat;
use beat::Beat;
use connect::Dialer;
use outlet::Outlet;
use session::{Context, SessionEnd, Timing};
use state::Health;

/// The path every working client uses; Plex's docs (singular `websocket`)
/// and the seed document (`/:/websockets/listen`) name paths that do not work.
pub const DEFAULT_PATH: &str = "/:/websockets/notifications";

/// How the listener connects and how patient it is.
#[derive(Clone)]
pub struct ListenerConfig {
    /// The server's `http(s)://host:port`; `https` turns into `wss`.
    pub server_url: Url,
    /// The notification path, [`DEFAULT_PATH`] unless a proxy says otherwise.
    pub path: String,
    /// Plex's `filters` parameter (`playing,timeline,activity`), to cut
    /// traffic at the source; `None` lets Plex send everything but logs.
    pub filters: Option<String>,
    /// The X-Plex-* identity headers (the token is added per attempt).
    pub headers: HeaderMap,
    /// Read before every attempt, so a rotated token needs no restart.
    pub token: TokenSource,
    /// Shared rustls config for `wss`, the same the REST client trusts.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// Deadline over TCP connect, TLS and the HTTP upgrade together.
    pub connect_timeout: Duration,
    /// A WebSocket ping this often keeps NATs open and draws a pong.
    pub ping_every: Duration,
    /// No inbound frame at all for this long means the connection is dead.
    pub idle_timeout: Duration,
    /// First reconnect delay ceiling.
    pub backoff_base: Duration,
    /// Longest reconnect delay.
    pub backoff_cap: Duration,
    /// A connection must last this long before the backoff starts over, so a
    /// server that accepts and drops at once cannot cause a tight loop.
    pub stable_after: Duration,
    /// First retry delay after Plex rejected the token.
    pub auth_retry_base: Duration,
    /// Longest retry delay after Plex rejected the token.
    pub auth_retry_cap: Duration,
    /// An outage is announced (`server.disconnected`, one ERROR line) only
    /// once it has lasted this long: restarts and blips stay quiet.
    pub down_grace: Duration,
    /// Wait before retrying a catch-up that failed.
    pub reconcile_retry: Duration,
}

impl ListenerConfig {
    /// The settings for the server `client` talks to: same URL, same
    /// identity headers, same TLS trust; `token` should be the source the
    /// client was built with, so both follow a rotated token.
    pub fn for_client(client: &PlexClient, token: TokenSource) -> ListenerConfig {
        let mut config = ListenerConfig::new(client.base_url().clone(), token);
        let id = client.identity_headers();
        let pairs = [
            ("x-plex-client-identifier", &id.client_id),
            ("x-plex-product", &id.product),
            ("x-plex-version", &id.version),
            ("x-plex-device", &id.device),
            ("x-plex-device-name", &id.device),
            ("x-plex-platform", &id.platform),
        ];
        for (name, value) in pairs {
            if let Ok(value) = HeaderValue::from_str(value) {
                config.headers.insert(HeaderName::from_static(name), value);
            }
        }
        // The same trust as the REST client, but the upgrade is HTTP/1.1:
        // an `h2` ALPN offer would make a WebSocket handshake impossible.
        let mut tls = client.tls_config().as_ref().clone();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        config.tls = Some(Arc::new(tls));
        config
    }

    /// The settings the config file asks for (`[server] notifications_path`,
    /// `filters`), for the server `client` talks to.
    pub fn from_config(config: &Config, client: &PlexClient) -> ListenerConfig {
        let mut listener = ListenerConfig::for_client(client, config.token_source());
        listener.path = config.server.notifications_path.clone();
        listener.filters = config.server.filters.clone();
        listener
    }

    /// The defaults from the spec for a server and a token source.
    pub fn new(server_url: Url, token: TokenSource) -> ListenerConfig {
        ListenerConfig {
            server_url,
            path: DEFAULT_PATH.to_owned(),
            filters: None,
            headers: HeaderMap::new(),
            token,
            tls: None,
            connect_timeout: Duration::from_secs(10),
            ping_every: Duration::from_secs(15),
            idle_timeout: Duration::from_secs(30),
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(30),
            stable_after: Duration::from_secs(60),
            auth_retry_base: Duration::from_secs(60),
            auth_retry_cap: Duration::from_secs(300),
            down_grace: Duration::from_secs(60),
            reconcile_retry: Duration::from_secs(30),
        }
    }
}

/// A configured listener, ready to [`run`](Listener::run).
pub struct Listener {
    config: ListenerConfig,
    dialer: Dialer,
    pipeline: Box<dyn Pipeline>,
    server: Arc<dyn ServerView>,
    watermark: Arc<dyn WatermarkStore>,
    health: Health,
    stats: Arc<ListenerStats>,
    /// Beaten while the loop turns (also while Plex is down), so the systemd
    /// watchdog can tell a hung listener from an unreachable server.
    heartbeat: Option<Heartbeat>,
}

impl Listener {
    /// Builds a listener; fails only when the server URL cannot become a
    /// WebSocket URL.
    pub fn new(
        config: ListenerConfig,
        pipeline: Box<dyn Pipeline>,
        server: Arc<dyn ServerView>,
        watermark: Arc<dyn WatermarkStore>,
    ) -> Result<Listener, ConnectError> {
        let url = notification_url(&config.server_url, &config.path, config.filters.as_deref())?;
        let dialer = Dialer {
            url,
            headers: config.headers.clone(),
            token: config.token.clone(),
            tls: config.tls.clone(),
            timeout: config.connect_timeout,
        };
        let (health, _) = Health::new(config.down_grace);
        Ok(Listener {
            config,
            dialer,
            pipeline,
            server,
            watermark,
            health,
            stats: Arc::new(ListenerStats::default()),
            heartbeat: None,
        })
    }

    /// Reports liveness through `heartbeat`: at least every
    /// [`Heartbeat::period`], whether connected, connecting or backing off.
    pub fn with_heartbeat(mut self, heartbeat: Heartbeat) -> Listener {
        self.heartbeat = Some(heartbeat);
        self
    }

    /// The connection state, updated on every transition.
    pub fn state(&self) -> watch::Receiver<ConnectionState> {
        self.health.subscribe()
    }

    /// Frame, malformed, dropped and delivery counters.
    pub fn stats(&self) -> Arc<ListenerStats> {
        Arc::clone(&self.stats)
    }

    /// The WebSocket URL it connects to (never carries the token).
    pub fn url(&self) -> &Url {
        &self.dialer.url
    }

    /// Connects, reconnects and delivers events until `shutdown` is
    /// cancelled or the receiver is dropped. Returns promptly on shutdown,
    /// also in the middle of a backoff or a connect attempt.
    pub async fn run(self, events: mpsc::Sender<Event>, shutdown: CancellationToken) {
        let Listener {
            config,
            dialer,
            pipeline,
            server,
            watermark,
            mut health,
            stats,
            heartbeat,
        } = self;
        let beat = Beat::new(heartbeat);
        let url = dialer.url.to_string();
        let mut outlet = Outlet::new(pipeline, events, Arc::clone(&stats));
        let mut backoff = Backoff::new(config.backoff_base, config.backoff_cap);
        let mut auth_backoff = Backoff::new(config.auth_retry_base, config.auth_retry_cap);
        let timing = Timing {
            ping_every: config.ping_every,
            idle_timeout: config.idle_timeout,
            reconcile_retry: config.reconcile_retry,
            reconcile_timeout: config.connect_timeout.max(Duration::from_secs(30)) * 2,
        };

        'outer: loop {
            let connect = dialer.connect();
            tokio::pin!(connect);
            let attempt = loop {
                tokio::select! {
                    biased;
                    () = shutdown.cancelled() => break 'outer,
                    attempt = &mut connect => break attempt,
                    () = beat.wait() => {}
                }
            };
            let delay = match attempt {
                Ok(socket) => {
                    stats.connected();
                    auth_backoff.reset();
                    outlet.lifecycle(health.connected(&url));
                    let started = Instant::now();
                    let end = session::run(
                        socket,
                        Context {
                            outlet: &mut outlet,
                            health: &health,
                            server: &server,
                            watermark: &watermark,
                            timing,
                            shutdown: &shutdown,
                            beat: &beat,
                        },
                    )
                    .await;
                    match end {
                        SessionEnd::Shutdown => break 'outer,
                        SessionEnd::ConsumerGone => {
                            tracing::info!(
                                "The event consumer stopped; closing the notification stream."
                            );
                            break 'outer;
                        }
                        _ => {}
                    }
                    if started.elapsed() >= config.stable_after {
                        backoff.reset();
                    }
                    health.lost(&end.reason());
                    let delay = backoff.next_delay();
                    health.retrying(backoff.attempt(), delay);
                    delay
                }
                Err(e) if e.is_auth() => {
                    let delay = auth_backoff.next_slow_delay();
                    let rejected = matches!(e, ConnectError::Unauthorized(_));
                    if let Some(event) = health.auth_failed(&e.to_string(), rejected, delay) {
                        outlet.lifecycle(event);
                    }
                    delay
                }
                Err(e) => {
                    let delay = backoff.next_delay();
                    health.failed(&e.to_string(), backoff.attempt(), delay);
                    delay
                }
            };
            if outlet.consumer_gone {
                break 'outer;
            }

            // Wait, but wake for shutdown and for the "server down" announcement.
            let wake = Instant::now() + delay;
            loop {
                if let Some(event) = health.check_down(Instant::now()) {
                    outlet.lifecycle(event);
                }
                let down_at = health.down_deadline().filter(|at| *at < wake);
                tokio::select! {
                    biased;
                    () = shutdown.cancelled() => break 'outer,
                    () = sleep_until(wake) => break,
                    () = sleep_until(down_at.unwrap_or(wake)), if down_at.is_some() => {}
                    () = beat.wait() => {}
                }
            }
        }
        health.stopped();
        tracing::info!(
            frames = stats.snapshot().frames,
            "Stopped listening to Plex notifications."
        );
    }
}

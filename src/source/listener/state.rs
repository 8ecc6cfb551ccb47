//! The connection state the listener exposes, and the bookkeeping that turns
//! state changes into exactly one log line and at most one event each.
//!
//! People tail these logs: a flapping server must not print a line per retry,
//! and "server down" is only worth announcing once it has lasted a while.

use std::fmt;
use std::time::{Duration, SystemTime};

use tokio::sync::watch;
use tokio::time::Instant;

use crate::event::{Event, EventName};
use crate::service::status::ServiceStatus;

/// Where the notification stream stands, published through a
/// `tokio::sync::watch` for systemd `STATUS=`, health checks and metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionState {
    /// The first connection attempt is under way.
    Connecting,
    /// The stream is up.
    Connected {
        /// When this connection was established.
        since: SystemTime,
        /// The server's version from `/identity`, once reconciliation fetched it.
        server_version: Option<String>,
    },
    /// The stream is down and the listener is waiting to try again.
    Reconnecting {
        /// Failed attempts since the last stable connection.
        attempt: u32,
        /// How long until the next attempt.
        next_in: Duration,
    },
    /// Plex refused the token (HTTP 401/403 on the upgrade, or no token could
    /// be read); retried slowly, re-reading the token source each time.
    AuthFailed {
        /// How long until the next attempt.
        next_in: Duration,
    },
    /// The listener returned after a shutdown request.
    Stopped,
}

impl ConnectionState {
    /// A short machine-friendly label (`connected`, `auth_failed`, …).
    pub fn label(&self) -> &'static str {
        match self {
            ConnectionState::Connecting => "connecting",
            ConnectionState::Connected { .. } => "connected",
            ConnectionState::Reconnecting { .. } => "reconnecting",
            ConnectionState::AuthFailed { .. } => "auth_failed",
            ConnectionState::Stopped => "stopped",
        }
    }
}

impl ConnectionState {
    /// The daemon status (systemd `STATUS=`, `/healthz`, the state metric)
    /// for this state; `server_url` is the server's base URL.
    pub fn service_status(&self, server_url: &url::Url) -> ServiceStatus {
        match self {
            ConnectionState::Connecting => ServiceStatus::connecting(server_url),
            ConnectionState::Connected { server_version, .. } => ServiceStatus::connected(
                server_version
                    .as_deref()
                    .unwrap_or("(version not yet known)"),
                server_url,
            ),
            ConnectionState::Reconnecting { attempt, next_in } => {
                ServiceStatus::reconnecting(*attempt, *next_in)
            }
            ConnectionState::AuthFailed { .. } => ServiceStatus::auth_failed(),
            ConnectionState::Stopped => ServiceStatus::stopping(),
        }
    }
}

impl fmt::Display for ConnectionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectionState::Connecting => f.write_str("connecting to Plex"),
            ConnectionState::Connected {
                server_version: Some(v),
                ..
            } => write!(f, "connected to Plex {v}"),
            ConnectionState::Connected { .. } => f.write_str("connected to Plex"),
            ConnectionState::Reconnecting { attempt, next_in } => write!(
                f,
                "Plex unreachable, retry {attempt} in {}",
                humantime::format_duration(round_secs(*next_in))
            ),
            ConnectionState::AuthFailed { next_in } => write!(
                f,
                "Plex rejected the token, retry in {}",
                humantime::format_duration(round_secs(*next_in))
            ),
            ConnectionState::Stopped => f.write_str("stopped"),
        }
    }
}

fn round_secs(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs())
}

/// Tracks transitions, logs each once, and produces the `server.*` events.
pub(crate) struct Health {
    tx: watch::Sender<ConnectionState>,
    /// How long an outage lasts before `server.disconnected` is announced.
    grace: Duration,
    /// Start of the current outage (or of the first attempt); `None` while connected.
    down_since: Option<Instant>,
    /// `server.disconnected` was announced for the current outage.
    announced_down: bool,
    /// The current outage already logged its first failure.
    logged_failure: bool,
    /// We are in the auth-failed state (logged and announced once).
    auth_failed: bool,
}

impl Health {
    pub(crate) fn new(grace: Duration) -> (Health, watch::Receiver<ConnectionState>) {
        let (tx, rx) = watch::channel(ConnectionState::Connecting);
        let health = Health {
            tx,
            grace,
            down_since: Some(Instant::now()),
            announced_down: false,
            logged_failure: false,
            auth_failed: false,
        };
        (health, rx)
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<ConnectionState> {
        self.tx.subscribe()
    }

    /// A handshake succeeded: one INFO line and a `server.connected` event.
    pub(crate) fn connected(&mut self, url: &str) -> Event {
        match self.down_since.take() {
            Some(since) if self.logged_failure || self.auth_failed => tracing::info!(
                url,
                outage = %humantime::format_duration(round_secs(since.elapsed())),
                "Reconnected to the Plex notification stream."
            ),
            _ => tracing::info!(url, "Connected to the Plex notification stream."),
        }
        self.announced_down = false;
        self.logged_failure = false;
        self.auth_failed = false;
        self.tx.send_replace(ConnectionState::Connected {
            since: SystemTime::now(),
            server_version: None,
        });
        Event::new(EventName::ServerConnected)
    }

    /// Reconciliation learned the server version.
    pub(crate) fn server_version(&self, version: Option<String>) {
        self.tx.send_modify(|state| {
            if let ConnectionState::Connected { server_version, .. } = state {
                *server_version = version;
            }
        });
    }

    /// A connected stream ended; the outage clock starts now.
    pub(crate) fn lost(&mut self, reason: &str) {
        if self.down_since.is_none() {
            self.down_since = Some(Instant::now());
            self.logged_failure = true;
            tracing::warn!(reason, "Lost the Plex notification stream; reconnecting.");
        }
    }

    /// Waiting to reconnect after a lost connection (already logged by `lost`).
    pub(crate) fn retrying(&self, attempt: u32, next_in: Duration) {
        self.tx
            .send_replace(ConnectionState::Reconnecting { attempt, next_in });
    }

    /// An attempt failed for a reason other than the token.
    pub(crate) fn failed(&mut self, reason: &str, attempt: u32, next_in: Duration) {
        if self.auth_failed {
            self.auth_failed = false;
            tracing::warn!(
                reason,
                "Plex no longer rejects the token but cannot be reached; retrying."
            );
        } else if !self.logged_failure {
            self.logged_failure = true;
            tracing::warn!(
                reason,
                "Cannot reach the Plex notification stream; retrying."
            );
        } else {
            tracing::debug!(reason, attempt, next_in = ?next_in, "Reconnect attempt failed.");
        }
        self.down_since.get_or_insert_with(Instant::now);
        self.tx
            .send_replace(ConnectionState::Reconnecting { attempt, next_in });
    }

    /// Plex refused the token (or none could be read): the first time, one
    /// ERROR line and a `server.auth_failed` event; afterwards quiet.
    pub(crate) fn auth_failed(
        &mut self,
        reason: &str,
        rejected: bool,
        next_in: Duration,
    ) -> Option<Event> {
        self.down_since.get_or_insert_with(Instant::now);
        self.tx
            .send_replace(ConnectionState::AuthFailed { next_in });
        if self.auth_failed {
            tracing::debug!(reason, next_in = ?next_in, "Plex still rejects the token.");
            return None;
        }
        self.auth_failed = true;
        self.logged_failure = true;
        let retry_in = humantime::format_duration(round_secs(next_in));
        if rejected {
            tracing::error!(
                reason,
                retry_in = %retry_in,
                "Plex rejected the token; fix it with `metarr-plex login` or replace the token file, it is re-read before every retry."
            );
        } else {
            tracing::error!(
                reason,
                retry_in = %retry_in,
                "No usable Plex token; run `metarr-plex login` or fix the token source, it is re-read before every retry."
            );
        }
        Some(Event::new(EventName::ServerAuthFailed))
    }

    /// When `server.disconnected` is due, if it is still to be announced.
    pub(crate) fn down_deadline(&self) -> Option<Instant> {
        match self.down_since {
            Some(since) if !self.announced_down && !self.auth_failed => Some(since + self.grace),
            _ => None,
        }
    }

    /// Announces the outage once it has outlasted the grace period.
    pub(crate) fn check_down(&mut self, now: Instant) -> Option<Event> {
        let deadline = self.down_deadline()?;
        if now < deadline {
            return None;
        }
        self.announced_down = true;
        tracing::error!(
            grace = %humantime::format_duration(self.grace),
            "The Plex server has been unreachable for longer than the grace period; still retrying."
        );
        Some(Event::new(EventName::ServerDisconnected))
    }

    pub(crate) fn stopped(&self) {
        self.tx.send_replace(ConnectionState::Stopped);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::status::Phase;

    #[test]
    fn every_state_maps_to_the_matching_service_phase() {
        let url = url::Url::parse("http://127.0.0.1:32400").unwrap();
        let cases = [
            (ConnectionState::Connecting, Phase::Connecting),
            (
                ConnectionState::Connected {
                    since: SystemTime::now(),
                    server_version: Some("1.41.3".into()),
                },
                Phase::Connected,
            ),
            (
                ConnectionState::Reconnecting {
                    attempt: 3,
                    next_in: Duration::from_secs(4),
                },
                Phase::Reconnecting,
            ),
            (
                ConnectionState::AuthFailed {
                    next_in: Duration::from_secs(60),
                },
                Phase::AuthFailed,
            ),
            (ConnectionState::Stopped, Phase::Stopping),
        ];
        for (state, phase) in cases {
            assert_eq!(state.service_status(&url).phase, phase, "{state:?}");
        }
        let connected = ConnectionState::Connected {
            since: SystemTime::now(),
            server_version: Some("1.41.3".into()),
        };
        assert!(connected.service_status(&url).text.contains("1.41.3"));
    }
}

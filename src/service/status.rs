//! What the daemon says about itself to the outside: its connection state in
//! one short sentence.
//!
//! The listener's state is turned into a [`ServiceStatus`] in one place and
//! published on a [`StatusBoard`]. Three readers share that single truth:
//! systemd's `STATUS=` line ([`crate::service::sd_notify::Supervisor`]), the `/healthz`
//! body and the `connection_state` metric ([`crate::service::health`]).

use std::fmt;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The connection phase, as a metric label and for callers that branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Config loaded, no connection attempted yet.
    Starting,
    /// The first attempt is under way.
    Connecting,
    /// The notification stream is open.
    Connected,
    /// The stream dropped or Plex is unreachable; retrying with backoff.
    Reconnecting,
    /// Plex answered 401: the token is wrong or revoked. Retrying slowly.
    AuthFailed,
    /// SIGTERM received; draining.
    Stopping,
}

impl Phase {
    /// Every phase, in a stable order (the metric exports one series each).
    pub const ALL: [Phase; 6] = [
        Phase::Starting,
        Phase::Connecting,
        Phase::Connected,
        Phase::Reconnecting,
        Phase::AuthFailed,
        Phase::Stopping,
    ];

    /// The snake_case name used as a metric label and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Starting => "starting",
            Phase::Connecting => "connecting",
            Phase::Connected => "connected",
            Phase::Reconnecting => "reconnecting",
            Phase::AuthFailed => "auth_failed",
            Phase::Stopping => "stopping",
        }
    }
}

/// The phase plus the words a person reads in `systemctl status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceStatus {
    /// For metrics and branching.
    pub phase: Phase,
    /// For people: `connected to Plex 1.41.3 at http://127.0.0.1:32400`.
    pub text: String,
}

impl ServiceStatus {
    /// Before the listener has started.
    pub fn starting() -> ServiceStatus {
        ServiceStatus {
            phase: Phase::Starting,
            text: "starting".to_owned(),
        }
    }

    /// First connection attempt to `url` (the server's base URL, which never
    /// carries the token).
    pub fn connecting(url: &url::Url) -> ServiceStatus {
        ServiceStatus {
            phase: Phase::Connecting,
            text: format!("connecting to Plex at {}", base(url)),
        }
    }

    /// Connected to a server that reported `version`.
    pub fn connected(version: &str, url: &url::Url) -> ServiceStatus {
        ServiceStatus {
            phase: Phase::Connected,
            text: format!("connected to Plex {version} at {}", base(url)),
        }
    }

    /// Waiting `next_in` before attempt number `attempt`.
    pub fn reconnecting(attempt: u32, next_in: Duration) -> ServiceStatus {
        // Round up: "next in 0 s" reads as a tight loop.
        let secs = next_in.as_millis().div_ceil(1000);
        ServiceStatus {
            phase: Phase::Reconnecting,
            text: format!("reconnecting (attempt {attempt}, next in {secs} s)"),
        }
    }

    /// Plex refused the token.
    pub fn auth_failed() -> ServiceStatus {
        ServiceStatus {
            phase: Phase::AuthFailed,
            text: "token rejected: run `metarr-plex login` or fix the token file".to_owned(),
        }
    }

    /// Shutting down.
    pub fn stopping() -> ServiceStatus {
        ServiceStatus {
            phase: Phase::Stopping,
            text: "stopping".to_owned(),
        }
    }
}

impl fmt::Display for ServiceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The URL without user info, query or fragment: whatever a config holds, a
/// status line never shows a secret.
fn base(url: &url::Url) -> String {
    let mut clean = url.clone();
    let _ = clean.set_username("");
    let _ = clean.set_password(None);
    clean.set_query(None);
    clean.set_fragment(None);
    clean.as_str().trim_end_matches('/').to_owned()
}

/// Where the current [`ServiceStatus`] is published. Cloning shares it.
#[derive(Debug, Clone)]
pub struct StatusBoard {
    /// The single current value; readers subscribe to changes.
    tx: watch::Sender<ServiceStatus>,
}

impl Default for StatusBoard {
    fn default() -> Self {
        StatusBoard::new()
    }
}

impl StatusBoard {
    /// A board that says "starting".
    pub fn new() -> StatusBoard {
        StatusBoard {
            tx: watch::Sender::new(ServiceStatus::starting()),
        }
    }

    /// Publishes a new status; readers are woken only if it changed.
    pub fn set(&self, status: ServiceStatus) {
        self.tx.send_if_modified(|current| {
            if *current == status {
                false
            } else {
                *current = status;
                true
            }
        });
    }

    /// The status now.
    pub fn current(&self) -> ServiceStatus {
        self.tx.borrow().clone()
    }

    /// A receiver that wakes on each change.
    pub fn subscribe(&self) -> watch::Receiver<ServiceStatus> {
        self.tx.subscribe()
    }

    /// Keeps the board in step with another published state (the listener's
    /// `watch` of its connection state), translated by `describe`. The task
    /// ends when that state's sender is dropped.
    pub fn follow<T, F>(&self, mut source: watch::Receiver<T>, describe: F) -> JoinHandle<()>
    where
        T: Send + Sync + 'static,
        F: Fn(&T) -> ServiceStatus + Send + 'static,
    {
        let board = self.clone();
        tokio::spawn(async move {
            loop {
                let status = describe(&source.borrow_and_update());
                board.set(status);
                if source.changed().await.is_err() {
                    break;
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_read_as_the_brief_says() {
        let url = url::Url::parse("http://user:pw@127.0.0.1:32400/?X-Plex-Token=abc").unwrap();
        assert_eq!(
            ServiceStatus::connected("1.41.3", &url).text,
            "connected to Plex 1.41.3 at http://127.0.0.1:32400"
        );
        assert_eq!(
            ServiceStatus::reconnecting(7, Duration::from_millis(11_200)).text,
            "reconnecting (attempt 7, next in 12 s)"
        );
        assert!(
            ServiceStatus::auth_failed()
                .text
                .starts_with("token rejected")
        );
    }

    #[test]
    fn board_wakes_readers_only_on_change() {
        let board = StatusBoard::new();
        let mut rx = board.subscribe();
        board.set(ServiceStatus::starting());
        assert!(!rx.has_changed().unwrap());
        board.set(ServiceStatus::auth_failed());
        assert!(rx.has_changed().unwrap());
        assert_eq!(rx.borrow_and_update().phase, Phase::AuthFailed);
    }

    #[tokio::test]
    async fn follow_translates_every_change_of_the_source() {
        let board = StatusBoard::new();
        let (tx, rx) = watch::channel(0u32);
        let task = board.follow(rx, |n| {
            ServiceStatus::reconnecting(*n, Duration::from_secs(1))
        });
        let mut seen = board.subscribe();
        seen.changed().await.unwrap();
        assert_eq!(
            seen.borrow_and_update().text,
            "reconnecting (attempt 0, next in 1 s)"
        );
        tx.send(7).unwrap();
        seen.changed().await.unwrap();
        assert_eq!(
            seen.borrow_and_update().text,
            "reconnecting (attempt 7, next in 1 s)"
        );
        drop(tx);
        task.await.unwrap();
    }
}

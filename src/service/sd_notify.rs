//! Talking to systemd: `READY=1`, `STATUS=…`, `RELOADING=1`, `STOPPING=1` and
//! a watchdog that pings only while the daemon really works.
//!
//! [`Notifier`] sends the datagrams (the message texts come from the
//! `sd-notify` crate; the socket address is captured once, so tests can aim
//! it at a socket of their own without touching the process environment).
//! Without `$NOTIFY_SOCKET` every call is a no-op.
//!
//! [`Supervisor`] is the one task that speaks for the daemon's health: it
//! forwards each [`StatusBoard`] change as `STATUS=` and sends `WATCHDOG=1`
//! every half watchdog period, but only while every loop registered in
//! [`Heartbeats`] has beaten recently. A hung engine therefore gets the
//! service restarted by systemd, while Plex being down does not.

use std::io;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::time::Duration;

use sd_notify::NotifyState;
use tokio_util::sync::CancellationToken;

use crate::service::heartbeat::Heartbeats;
use crate::service::status::{ServiceStatus, StatusBoard};

/// Sends sd_notify messages to the service manager, if there is one.
#[derive(Debug, Clone, Default)]
pub struct Notifier {
    /// `$NOTIFY_SOCKET` (a path, or `@name` for an abstract socket); `None`
    /// when not started by systemd with `Type=notify`.
    socket: Option<PathBuf>,
    /// `$WATCHDOG_USEC` when it is meant for this process.
    watchdog: Option<Duration>,
}

impl Notifier {
    /// Reads `$NOTIFY_SOCKET`, `$WATCHDOG_USEC` and `$WATCHDOG_PID`.
    pub fn from_env() -> Notifier {
        Notifier {
            socket: std::env::var_os("NOTIFY_SOCKET")
                .filter(|s| !s.is_empty())
                .map(PathBuf::from),
            watchdog: sd_notify::watchdog_enabled(),
        }
    }

    /// Aims at an explicit socket with an explicit watchdog period (tests, and
    /// callers that read the environment themselves).
    pub fn new(socket: Option<PathBuf>, watchdog: Option<Duration>) -> Notifier {
        Notifier { socket, watchdog }
    }

    /// Whether a service manager is listening.
    pub fn is_enabled(&self) -> bool {
        self.socket.is_some()
    }

    /// The watchdog timeout systemd enforces, if any.
    pub fn watchdog(&self) -> Option<Duration> {
        self.watchdog
    }

    /// Config and rules are loaded and the engine runs (also while Plex is
    /// down: the daemon is doing its job, which includes waiting for Plex).
    pub fn ready(&self, status: &ServiceStatus) {
        self.send(&[NotifyState::Ready, NotifyState::Status(&status.text)]);
    }

    /// Updates the status line shown by `systemctl status`.
    pub fn status(&self, status: &ServiceStatus) {
        self.send(&[NotifyState::Status(&status.text)]);
    }

    /// A reload (SIGHUP) has started. Follow with [`Notifier::ready`] when the
    /// new rules are in place (or the old ones were kept); this is what
    /// `Type=notify-reload` expects.
    pub fn reloading(&self) {
        match NotifyState::monotonic_usec_now() {
            Ok(now) => self.send(&[NotifyState::Reloading, now]),
            Err(error) => {
                tracing::debug!(%error, "Cannot read the monotonic clock; sending RELOADING=1 alone.");
                self.send(&[NotifyState::Reloading]);
            }
        }
    }

    /// Shutdown has begun.
    pub fn stopping(&self) {
        self.send(&[
            NotifyState::Stopping,
            NotifyState::Status(&ServiceStatus::stopping().text),
        ]);
    }

    /// One watchdog ping. Only [`Supervisor`] should call this.
    fn watchdog_ping(&self) {
        self.send(&[NotifyState::Watchdog]);
    }

    fn send(&self, states: &[NotifyState<'_>]) {
        let Some(socket) = &self.socket else {
            return;
        };
        if let Err(error) = send_datagram(socket, states) {
            // Not fatal: the daemon still works; systemd will complain itself.
            tracing::warn!(%error, socket = %socket.display(), "Cannot send a notification to systemd.");
        }
    }
}

fn send_datagram(socket: &std::path::Path, states: &[NotifyState<'_>]) -> io::Result<()> {
    let mut message = String::new();
    for state in states {
        // A newline inside STATUS would start a new assignment.
        let line = state.to_string().replace('\n', " ");
        message.push_str(&line);
        message.push('\n');
    }
    let sock = UnixDatagram::unbound()?;
    let text = socket.as_os_str().as_encoded_bytes();
    let sent = if let Some(name) = text.strip_prefix(b"@") {
        use std::os::linux::net::SocketAddrExt;
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
        sock.send_to_addr(message.as_bytes(), &addr)?
    } else {
        sock.send_to(message.as_bytes(), socket)?
    };
    if sent == message.len() {
        Ok(())
    } else {
        Err(io::Error::new(io::ErrorKind::WriteZero, "short datagram"))
    }
}

/// The task that forwards status changes and feeds the watchdog.
#[derive(Debug)]
pub struct Supervisor {
    /// Where the messages go.
    notifier: Notifier,
    /// Who must be alive for a watchdog ping.
    heartbeats: Heartbeats,
    /// What to put in `STATUS=`.
    status: StatusBoard,
}

impl Supervisor {
    /// A supervisor for these loops and this status.
    pub fn new(notifier: Notifier, heartbeats: Heartbeats, status: StatusBoard) -> Supervisor {
        Supervisor {
            notifier,
            heartbeats,
            status,
        }
    }

    /// Runs until `shutdown`, then sends `STOPPING=1`.
    ///
    /// `READY=1` is not sent here: the caller knows when config and rules are
    /// loaded and calls [`Notifier::ready`].
    pub async fn run(self, shutdown: CancellationToken) {
        let mut changes = self.status.subscribe();
        // With no watchdog configured the tick still runs, slowly, so the loop
        // has one shape; it just never pings.
        let period = self
            .notifier
            .watchdog()
            .map(|w| (w / 2).max(Duration::from_millis(10)))
            .unwrap_or(Duration::from_secs(3600));
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut was_stalled = false;

        loop {
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                changed = changes.changed() => {
                    if changed.is_err() {
                        // Every board is gone; keep feeding the watchdog.
                        changes = self.status.subscribe();
                        continue;
                    }
                    let status = changes.borrow_and_update().clone();
                    self.notifier.status(&status);
                }
                _ = tick.tick() => {
                    if self.notifier.watchdog().is_none() {
                        continue;
                    }
                    let stalled = self.heartbeats.stalled();
                    if stalled.is_empty() {
                        if was_stalled {
                            tracing::info!("Every core loop is running again; watchdog pings resumed.");
                            was_stalled = false;
                        }
                        self.notifier.watchdog_ping();
                    } else if !was_stalled {
                        let loops = stalled.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
                        tracing::error!(loops = %loops, "A core loop has stalled; withholding the watchdog ping so systemd restarts the service.");
                        was_stalled = true;
                    }
                }
            }
        }
        self.notifier.stopping();
    }
}

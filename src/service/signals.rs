//! The signals a service manager sends, as two plain requests: reload
//! (SIGHUP, from `systemctl reload`) and stop (SIGTERM from `systemctl stop`,
//! SIGINT from Ctrl-C).
//!
//! Handlers are installed once, up front, so a signal that arrives while the
//! daemon is busy is queued rather than killing it.

use tokio::signal::unix::{Signal, SignalKind, signal};

/// What the operator asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// Re-read config and rules (validate, then swap).
    Reload,
    /// Drain and exit.
    Stop,
}

/// Installed handlers for SIGHUP, SIGTERM and SIGINT.
#[derive(Debug)]
pub struct Signals {
    /// SIGHUP.
    hup: Signal,
    /// SIGTERM.
    term: Signal,
    /// SIGINT.
    int: Signal,
}

impl Signals {
    /// Installs the handlers; needs a tokio runtime.
    pub fn install() -> std::io::Result<Signals> {
        Ok(Signals {
            hup: signal(SignalKind::hangup())?,
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    /// The next request. Pending forever if every stream closed (which tokio
    /// does not do while the runtime lives).
    pub async fn next(&mut self) -> Request {
        tokio::select! {
            Some(()) = self.hup.recv() => Request::Reload,
            Some(()) = self.term.recv() => Request::Stop,
            Some(()) = self.int.recv() => Request::Stop,
            else => std::future::pending().await,
        }
    }
}

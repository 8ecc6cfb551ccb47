//! WebSocket faults: what a listener must survive (PROTOCOL.md §1.6–1.7,
//! peers.md §3): drops, stalls, garbage, oversized frames, restarts and a
//! revoked token.

use std::time::Duration;

/// A fault on the notification socket. Faults that act on a socket apply to
/// every socket open when injected; with none open, to the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsFault {
    /// Close the TCP connection (no close frame) after `n` more messages.
    DropAfter(usize),
    /// Keep the connection open but send nothing and stop reading, so the
    /// client's pings go unanswered.
    Stall,
    /// Send a text frame that is not JSON, then a binary frame of invalid
    /// bytes, then carry on.
    Garbage,
    /// Send one 2 MiB text frame, then carry on.
    Oversized,
    /// Simulate a server restart: close every connection, refuse new ones
    /// for `down_for`, then come back with a new start time (`updatedAt` of
    /// `/`), no sessions, session keys counting from 1 again, no activities.
    Restart { down_for: Duration },
    /// A restart the REST API does not reveal: like [`WsFault::Restart`]
    /// but the root's `updatedAt` stays (that it is the start time is
    /// unverified), so only the reused session keys tell.
    QuietRestart { down_for: Duration },
    /// Revoke the token: close every socket; reconnects get 401 until
    /// [`crate::sim::Simulator::set_token`] installs a token again.
    RevokeToken,
}

/// What one socket is told to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SocketCommand {
    DropAfter(usize),
    Stall,
    Garbage,
    Oversized,
    Raw(String),
}

impl SocketCommand {
    /// The socket-level command for a fault, if it is one.
    pub(crate) fn from_fault(f: &WsFault) -> Option<SocketCommand> {
        match f {
            WsFault::DropAfter(n) => Some(SocketCommand::DropAfter(*n)),
            WsFault::Stall => Some(SocketCommand::Stall),
            WsFault::Garbage => Some(SocketCommand::Garbage),
            WsFault::Oversized => Some(SocketCommand::Oversized),
            WsFault::Restart { .. } | WsFault::QuietRestart { .. } | WsFault::RevokeToken => None,
        }
    }
}

/// Size of the [`WsFault::Oversized`] frame.
pub(crate) const OVERSIZED_BYTES: usize = 2 * 1024 * 1024;

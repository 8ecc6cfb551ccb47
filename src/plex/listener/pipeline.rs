//! What the listener does with a text frame: parse and normalize it into
//! events. Behind a trait so `events --raw`, tests and the benchmark can
//! swap in other stages while the socket handling stays the same.

use tokio::time::Instant;

use super::reconcile::Snapshot;
use crate::event::Event;

/// A frame that could not be understood; skipped, counted, and logged once
/// per `kind` so a server that sends the same junk forever does not flood
/// the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// A stable short name for the problem (`not_json`, `no_container`, …).
    pub kind: &'static str,
    /// Human detail for the first log line of this kind (never the whole frame).
    pub detail: String,
}

/// Turns frames into events. Synchronous and cheap: it runs on the reader
/// task, which must keep polling the socket.
pub trait Pipeline: Send + 'static {
    /// One text frame; events are appended to `out`, in order.
    fn frame(&mut self, text: &str, now: Instant, out: &mut Vec<Event>) -> Result<(), Malformed>;

    /// Called about once a second: time-based events (a playback session
    /// silent for five minutes is stopped).
    fn tick(&mut self, now: Instant, out: &mut Vec<Event>);

    /// A fresh snapshot after a (re)connect or an overflow: synthetic events
    /// for what changed while we were not listening.
    fn reconcile(&mut self, snapshot: &Snapshot, now: Instant, out: &mut Vec<Event>);
}

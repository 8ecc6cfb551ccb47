//! What the listener does with a text frame: parse and normalize it into
//! events. Behind a trait so `events --raw`, tests and the benchmark can
//! swap in other stages while the socket handling stays the same.

use tokio::time::Instant;

use super::reconcile::Snapshot;
use crate::event::{Event, EventName};
use crate::plex::notification::{FrameError, Notification, parse_frame_entries};

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
    /// for what changed while we were not listening. Returns the new
    /// added-items watermark to store, if it moved.
    fn reconcile(&mut self, snapshot: &Snapshot, now: Instant, out: &mut Vec<Event>)
    -> Option<i64>;
}

/// Parses a frame and hands every readable entry to `each`, in order. A
/// frame with some bad entries still yields the good ones; the first
/// problem is reported.
pub(crate) fn read_frame(text: &str, mut each: impl FnMut(Notification)) -> Result<(), Malformed> {
    let entries = parse_frame_entries(text).map_err(malformed)?;
    let mut first_error = None;
    for entry in entries {
        match entry {
            Ok(notification) => each(notification),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        None => Ok(()),
        Some(e) => Err(malformed(e)),
    }
}

fn malformed(e: FrameError) -> Malformed {
    let mut detail = e.to_string();
    if detail.len() > 300 {
        let cut = (0..=300)
            .rev()
            .find(|i| detail.is_char_boundary(*i))
            .unwrap_or(0);
        detail.truncate(cut);
        detail.push('…');
    }
    Malformed {
        kind: e.kind(),
        detail,
    }
}

/// The `events --raw` pipeline: one `notification` event per entry, carrying
/// the entry's JSON untouched, with no normalizing and no catch-up events.
#[derive(Debug, Default)]
pub struct RawPipeline;

impl Pipeline for RawPipeline {
    fn frame(&mut self, text: &str, _now: Instant, out: &mut Vec<Event>) -> Result<(), Malformed> {
        read_frame(text, |notification| {
            let mut event = Event::new(EventName::Notification);
            event.notification_type = Some(notification.notification_type().to_owned());
            // The entry's text as received, printed without a parse.
            event.raw = notification.into_raw();
            out.push(event);
        })
    }

    fn tick(&mut self, _now: Instant, _out: &mut Vec<Event>) {}

    fn reconcile(
        &mut self,
        _snapshot: &Snapshot,
        _now: Instant,
        _out: &mut Vec<Event>,
    ) -> Option<i64> {
        None
    }
}

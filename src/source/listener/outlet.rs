//! The hand-over from the reader to the consumer: the pipeline's events go
//! into the coalescing [`backlog`](super::backlog), which never blocks, so a
//! slow consumer never stalls the socket. Past the backlog's soft bound
//! frames are no longer parsed; once the consumer has caught up a
//! reconciliation announces what they would have: sessions and activities
//! from the normalizer's lagging view, new items from the added watermark,
//! and every item changed since the first drop as `item.ready`.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

use super::backlog::{Pushed, Sender};
use super::pipeline::Pipeline;
use super::stats::ListenerStats;
use crate::event::{Event, ServerRef};

/// How far before a gap's start the catch-up looks for changed items: Plex's
/// clock may run behind ours, and an item's last change may predate the
/// frame announcing it being ready. Re-announcements are filtered by the
/// normalizer (one `item.ready` per item version).
const TOUCHED_SLACK: Duration = Duration::from_secs(120);

/// Owns the pipeline and the sending half of the consumer's backlog.
pub(crate) struct Outlet {
    pub(crate) pipeline: Box<dyn Pipeline>,
    events: Sender,
    pub(crate) stats: Arc<ListenerStats>,
    /// Something was dropped: reconcile as soon as the consumer has drained.
    resync: bool,
    /// Epoch seconds from which changed items must be re-checked by the next
    /// reconciliation (a gap in the stream or a drop); `None` when nothing
    /// was missed.
    touched_since: Option<i64>,
    /// The current overflow episode was already logged.
    overflow_logged: bool,
    /// The consumer hung up; the listener has no reason to run.
    pub(crate) consumer_gone: bool,
    /// Malformed-frame kinds already logged (each is logged once).
    malformed_logged: HashSet<&'static str>,
    /// The server as last seen by reconciliation, stamped on `server.*` events.
    pub(crate) server: Option<ServerRef>,
    /// Reused buffer for the pipeline's output.
    scratch: Vec<Event>,
}

impl Outlet {
    pub(crate) fn new(
        pipeline: Box<dyn Pipeline>,
        events: Sender,
        stats: Arc<ListenerStats>,
    ) -> Outlet {
        Outlet {
            pipeline,
            events,
            stats,
            resync: false,
            touched_since: None,
            overflow_logged: false,
            consumer_gone: false,
            malformed_logged: HashSet::new(),
            server: None,
            scratch: Vec::new(),
        }
    }

    /// One live text frame. When the backlog is at its bound the frame is not
    /// even parsed: the normalizer's view then lags reality, which is exactly
    /// what the reconciliation that follows repairs.
    pub(crate) fn frame(&mut self, text: &str, now: Instant) {
        if self.events.is_full() {
            self.overflow();
            return;
        }
        let mut out = std::mem::take(&mut self.scratch);
        match self.pipeline.frame(text, now, &mut out) {
            Ok(()) => {}
            Err(bad) => {
                self.stats.malformed();
                if self.malformed_logged.insert(bad.kind) {
                    tracing::warn!(
                        kind = bad.kind,
                        detail = %bad.detail,
                        "Skipped a malformed notification; further ones of this kind are only counted."
                    );
                } else {
                    tracing::debug!(kind = bad.kind, "Skipped a malformed notification.");
                }
            }
        }
        self.deliver_all(&mut out);
        self.scratch = out;
    }

    /// Time-based events from the pipeline.
    pub(crate) fn tick(&mut self, now: Instant) {
        let mut out = std::mem::take(&mut self.scratch);
        self.pipeline.tick(now, &mut out);
        self.deliver_all(&mut out);
        self.scratch = out;
    }

    /// Synthetic events from a snapshot; returns the watermark to store.
    pub(crate) fn reconcile(&mut self, snapshot: &super::Snapshot, now: Instant) -> Option<i64> {
        if let Some(identity) = &snapshot.identity {
            self.server = Some(ServerRef {
                machine_identifier: identity.machine_identifier.clone(),
                version: identity.version.clone(),
            });
        }
        let mut out = std::mem::take(&mut self.scratch);
        let watermark = self.pipeline.reconcile(snapshot, now, &mut out);
        self.deliver_all(&mut out);
        self.scratch = out;
        self.stats.reconciled();
        watermark
    }

    /// A listener lifecycle event (`server.*`), stamped with the server.
    pub(crate) fn lifecycle(&mut self, mut event: Event) {
        if event.server.is_none() {
            event.server = self.server.clone();
        }
        self.deliver(event);
    }

    /// True when the backlog is at its bound.
    pub(crate) fn is_full(&self) -> bool {
        self.events.is_full()
    }

    /// True once something was dropped and the consumer has caught up
    /// (three quarters of the bound free: room for what the catch-up finds).
    pub(crate) fn resync_due(&self) -> bool {
        self.resync && self.events.len() <= self.events.limit() / 4
    }

    /// Marks the pending resync as started; returns since when changed
    /// items must be re-checked.
    pub(crate) fn resync_started(&mut self) -> Option<i64> {
        self.resync = false;
        self.overflow_logged = false;
        self.touched_since
    }

    /// A reconciliation that re-checked items changed since `since`
    /// succeeded: unless something was dropped meanwhile, nothing is owed.
    pub(crate) fn resync_done(&mut self, since: Option<i64>) {
        if !self.resync && self.touched_since == since {
            self.touched_since = None;
        }
    }

    /// The stream is down: what changes until the next catch-up was missed.
    pub(crate) fn gap(&mut self) {
        self.missed_from_now();
    }

    fn missed_from_now(&mut self) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .saturating_sub(TOUCHED_SLACK)
            .as_secs() as i64;
        self.touched_since = Some(self.touched_since.map_or(now, |t| t.min(now)));
    }

    /// Counts a frame that was not parsed, for the backlog was full.
    pub(crate) fn overflow(&mut self) {
        let total = self.stats.dropped();
        self.resync = true;
        if self.touched_since.is_none() {
            self.missed_from_now();
        }
        if !self.overflow_logged {
            self.overflow_logged = true;
            tracing::warn!(
                dropped_total = total,
                "The event consumer is falling behind; dropping notifications until it catches up, then reconciling with Plex."
            );
        }
    }

    fn deliver_all(&mut self, out: &mut Vec<Event>) {
        for event in out.drain(..) {
            self.deliver(event);
        }
    }

    fn deliver(&mut self, event: Event) {
        match self.events.push(event) {
            Pushed::Queued => self.stats.delivered(),
            Pushed::Coalesced => self.stats.coalesced(),
            Pushed::Gone => self.consumer_gone = true,
        }
    }
}

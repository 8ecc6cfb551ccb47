//! The hand-over from the reader to the consumer: a bounded queue filled with
//! `try_send` only, so a slow consumer costs dropped events (counted, then
//! repaired by a reconciliation) and never a stalled socket.

use std::collections::HashSet;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio::time::Instant;

use super::pipeline::Pipeline;
use super::stats::ListenerStats;
use crate::event::{Event, ServerRef};

/// Owns the pipeline and the sending half of the consumer's queue.
pub(crate) struct Outlet {
    pub(crate) pipeline: Box<dyn Pipeline>,
    events: mpsc::Sender<Event>,
    pub(crate) stats: Arc<ListenerStats>,
    /// Something was dropped: reconcile as soon as the consumer has drained.
    resync: bool,
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
        events: mpsc::Sender<Event>,
        stats: Arc<ListenerStats>,
    ) -> Outlet {
        Outlet {
            pipeline,
            events,
            stats,
            resync: false,
            overflow_logged: false,
            consumer_gone: false,
            malformed_logged: HashSet::new(),
            server: None,
            scratch: Vec::new(),
        }
    }

    /// One live text frame. When the queue is already full the frame is not
    /// even parsed: the normalizer's view then lags reality, which is exactly
    /// what the reconciliation that follows repairs.
    pub(crate) fn frame(&mut self, text: &str, now: Instant) {
        if self.events.capacity() == 0 {
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

    /// True when the consumer's queue has no room left.
    pub(crate) fn is_full(&self) -> bool {
        self.events.capacity() == 0
    }

    /// True once something was dropped and the consumer has caught up.
    pub(crate) fn resync_due(&self) -> bool {
        self.resync && self.events.capacity() == self.events.max_capacity()
    }

    /// Marks the pending resync as started.
    pub(crate) fn resync_started(&mut self) {
        self.resync = false;
        self.overflow_logged = false;
    }

    /// Counts a frame or event that could not be queued.
    pub(crate) fn overflow(&mut self) {
        let total = self.stats.dropped();
        self.resync = true;
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
        match self.events.try_send(event) {
            Ok(()) => self.stats.delivered(),
            Err(TrySendError::Full(_)) => self.overflow(),
            Err(TrySendError::Closed(_)) => self.consumer_gone = true,
        }
    }
}

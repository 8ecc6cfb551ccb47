//! Events → engine inputs: the playback busy flag, and the rules. An event
//! some candidate rule needs its item's metadata for is journaled and
//! handed to the facts worker ([`super::pending`]), which reads it in
//! batches and interprets it; every other event is interpreted here at
//! once. The dispatcher itself never waits on Plex.

use std::collections::HashSet;

use super::facts::CachedFacts;
use super::interpret::Interpreter;
use super::pending::{Pending, PendingSender};
use crate::engine::{EngineError, EngineHandle, Input};
use crate::event::{Event, EventName};
use crate::journal::Journal;
use crate::service::metrics::Metrics;

use super::work::Work;

/// The per-event step of the daemon.
pub(crate) struct Dispatcher {
    /// Rules → engine inputs.
    pub interpreter: Interpreter,
    /// Where the busy flag goes.
    pub engine: EngineHandle<Work>,
    /// The facts cache shared with the worker, to forget what we changed.
    pub facts: CachedFacts,
    /// Where events that need item facts are kept until interpreted.
    pub journal: Journal,
    /// The facts worker.
    pub pending: PendingSender,
    /// Counters for `/metrics`.
    pub metrics: Metrics,
    /// Playback sessions seen active; `when_idle` waits for this to empty.
    pub sessions: HashSet<String>,
}

impl Dispatcher {
    /// Handles one event. Only an engine that stopped is an error.
    pub(crate) async fn handle(&mut self, event: Event) -> Result<(), EngineError> {
        self.metrics.event_seen(event.name.as_str());
        self.track_playback(&event).await?;
        if (event.caused_by_self || event.name == EventName::LibraryRefreshEnded)
            && let Some(item) = &event.item
        {
            self.facts.forget(&item.id);
        }
        let rules = self.interpreter.rules.load_full();
        let held = event
            .item
            .as_ref()
            .is_some_and(|i| self.pending.holds(&i.id));
        if !held
            && rules.candidates(&event).next().is_none()
            && rules.cancelled_by(&event).next().is_none()
        {
            tracing::debug!(event = %event.id, name = %event.name, "Event matches no rule.");
            return Ok(());
        }
        tracing::info!(event = %event.id, name = %event.name, item = %item_of(&event), self_caused = event.caused_by_self, synthetic = event.synthetic, "Event received.");
        if held || rules.needs_metadata(&event) {
            self.keep(event).await;
            return Ok(());
        }
        self.interpreter.interpret(&event, None).await
    }

    /// Journals the event, then hands it to the facts worker. A journal
    /// that cannot write does not lose the event now, only its replay.
    async fn keep(&self, event: Event) {
        let row = match self.journal.pending_add(vec![event.clone()]).await {
            Ok(rows) => rows.first().copied(),
            Err(e) => {
                tracing::error!(event = %event.id, error = %e, "Cannot keep the event in the journal; it is interpreted, but would be lost if the daemon stopped first.");
                None
            }
        };
        self.pending.send(Pending { row, event });
    }

    /// Keeps the set of active sessions and tells the engine when it
    /// changes between empty and not.
    async fn track_playback(&mut self, event: &Event) -> Result<(), EngineError> {
        let Some(session) = &event.session else {
            return Ok(());
        };
        let was_busy = !self.sessions.is_empty();
        match event.name {
            EventName::PlaybackStopped => {
                self.sessions.remove(&session.key);
            }
            EventName::PlaybackStarted
            | EventName::PlaybackPaused
            | EventName::PlaybackResumed
            | EventName::PlaybackBuffering => {
                self.sessions.insert(session.key.clone());
            }
            _ => return Ok(()),
        }
        let busy = !self.sessions.is_empty();
        if busy != was_busy {
            tracing::debug!(
                busy,
                sessions = self.sessions.len(),
                "Playback activity changed."
            );
            self.engine.send(Input::Busy(busy)).await?;
        }
        Ok(())
    }
}

fn item_of(event: &Event) -> String {
    match &event.item {
        Some(i) => match &i.title {
            Some(t) => format!("{} ({t})", i.id),
            None => i.id.clone(),
        },
        None => "-".to_owned(),
    }
}

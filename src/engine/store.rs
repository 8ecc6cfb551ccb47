//! Where the engine loop keeps what it decides: a small trait, so the engine
//! names what it needs from durable storage and the journal (a layer above)
//! implements it. The engine never imports the journal.

use futures::future::BoxFuture;

use super::command::Command;
use super::entry::{Entry, RunId};
use super::millis::Millis;

/// What a store hands back at start to rebuild the flow.
#[derive(Debug)]
pub struct Restored<P> {
    /// Unfinished runs with their stages and absolute deadlines.
    pub entries: Vec<Entry<P>>,
    /// The first run id never used, so ids stay unique across restarts.
    pub next_id: RunId,
    /// Active cooldowns: `(rule, key, until)`.
    pub cooldowns: Vec<(String, String, Millis)>,
}

/// A store's failure. The engine only reports it (a failed write leaves the
/// decision in memory; a failed restore stops the start), so it stays opaque.
#[derive(Debug)]
pub struct StoreError(Box<dyn std::error::Error + Send + Sync>);

impl StoreError {
    /// Wraps the store's own error.
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> StoreError {
        StoreError(Box::new(error))
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// Durable storage for the engine's runs (the journal implements it).
pub trait RunStore<P>: Send + Sync {
    /// Everything unfinished as of `now`, after deleting finished runs last
    /// touched before `prune_before`.
    fn restore(
        &self,
        now: Millis,
        prune_before: Millis,
    ) -> BoxFuture<'_, Result<Restored<P>, StoreError>>;

    /// Persists one input's commands atomically, before anyone acts on them.
    fn apply(
        &self,
        commands: Vec<Command<P>>,
        now: Millis,
    ) -> BoxFuture<'_, Result<(), StoreError>>;

    /// Keeps the error text of a failed or retried run (the dead-letter list
    /// shows it).
    fn note_error(
        &self,
        run: RunId,
        error: String,
        now: Millis,
    ) -> BoxFuture<'_, Result<(), StoreError>>;
}

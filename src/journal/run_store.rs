//! The journal as the engine's [`RunStore`]: the engine says what it needs
//! persisted; this is the only place that knows it lands in SQLite.

use futures::FutureExt;
use futures::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::handle::Journal;
use crate::engine::{Command, Millis, Restored, RunId, RunStore, StoreError};

impl<P> RunStore<P> for Journal
where
    P: Serialize + DeserializeOwned + Send + 'static,
{
    fn restore(
        &self,
        now: Millis,
        prune_before: Millis,
    ) -> BoxFuture<'_, Result<Restored<P>, StoreError>> {
        async move {
            let (entries, next_id) = self.load_pending::<P>(now).await?;
            let cooldowns = self.cooldowns_active(now).await?;
            self.call(move |s| s.prune_done(prune_before)).await?;
            Ok::<_, super::JournalError>(Restored {
                entries,
                next_id,
                cooldowns,
            })
        }
        .map(|r| r.map_err(StoreError::new))
        .boxed()
    }

    fn apply(
        &self,
        commands: Vec<Command<P>>,
        now: Millis,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        Journal::apply(self, commands, now)
            .map(|r| r.map_err(StoreError::new))
            .boxed()
    }

    fn note_error(
        &self,
        run: RunId,
        error: String,
        now: Millis,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        Journal::note_error(self, run, error, now)
            .map(|r| r.map_err(StoreError::new))
            .boxed()
    }
}

//! The async side of the journal: a cloneable handle to one thread that owns
//! the connection.
//!
//! Why a dedicated thread and not `spawn_blocking` around a
//! `Mutex<Connection>`: SQLite takes one writer at a time anyway, so one
//! owner serializes writes without a lock and without a pool-thread hop per
//! call; writes land in the order they were sent (accept before start, as
//! the engine issued them); the prepared-statement cache stays warm on the
//! one connection; and an `.await` can never happen while the connection is
//! borrowed. A call is a closure sent over an unbounded channel (sending
//! never blocks the runtime) and answered on a oneshot.

use std::path::Path;
use std::sync::mpsc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::oneshot;

use super::error::JournalError;
use super::intake::{ItemUpdate, NewRequest, RequestRecord, RequestState};
use super::pending::PendingId;
use super::record::RunRecord;
use super::runs::{Finish, QueueDepth};
use super::store::Store;
use super::upload::UploadKind;
use crate::engine::{Command, Entry, Millis, RunId};
use crate::event::Event;

type Job = Box<dyn FnOnce(&mut Store) + Send>;

/// A handle to the journal thread. Clones share the thread; it closes the
/// database cleanly once the last handle is dropped.
#[derive(Debug, Clone)]
pub struct Journal {
    jobs: mpsc::Sender<Job>,
}

impl Journal {
    /// Opens the journal in `state_dir` on its own thread.
    pub async fn open(state_dir: &Path) -> Result<Journal, JournalError> {
        let dir = state_dir.to_owned();
        let (jobs, rx) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = oneshot::channel();
        std::thread::Builder::new()
            .name("journal".into())
            .spawn(move || {
                let mut store = match Store::open(&dir) {
                    Ok(store) => {
                        let _ = ready_tx.send(Ok(()));
                        store
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                while let Ok(job) = rx.recv() {
                    job(&mut store);
                }
            })
            .map_err(|source| JournalError::StateDir {
                path: state_dir.to_owned(),
                source,
            })?;
        ready_rx.await.map_err(|_| JournalError::Closed)??;
        Ok(Journal { jobs })
    }

    /// Runs `f` on the journal thread and returns its result.
    pub async fn call<R, F>(&self, f: F) -> Result<R, JournalError>
    where
        F: FnOnce(&mut Store) -> Result<R, JournalError> + Send + 'static,
        R: Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |store| {
            let _ = tx.send(f(store));
        });
        self.jobs.send(job).map_err(|_| JournalError::Closed)?;
        rx.await.map_err(|_| JournalError::Closed)?
    }

    /// [`Store::apply`]: persist one batch of flow commands atomically.
    pub async fn apply<P>(&self, commands: Vec<Command<P>>, now: Millis) -> Result<(), JournalError>
    where
        P: Serialize + Send + 'static,
    {
        self.call(move |s| s.apply(&commands, now)).await
    }

    /// [`Store::finish`].
    pub async fn finish(&self, id: RunId, how: Finish, now: Millis) -> Result<bool, JournalError> {
        self.call(move |s| s.finish(id, &how, now)).await
    }

    /// [`Store::note_error`].
    pub async fn note_error(
        &self,
        id: RunId,
        error: String,
        now: Millis,
    ) -> Result<(), JournalError> {
        self.call(move |s| s.note_error(id, &error, now)).await
    }

    /// [`Store::load_pending`] plus [`Store::next_run_id`], for rebuilding the flow core.
    pub async fn load_pending<P>(&self, now: Millis) -> Result<(Vec<Entry<P>>, RunId), JournalError>
    where
        P: DeserializeOwned + Send + 'static,
    {
        self.call(move |s| Ok((s.load_pending(now)?, s.next_run_id()?)))
            .await
    }

    /// [`Store::cooldowns_active`].
    pub async fn cooldowns_active(
        &self,
        now: Millis,
    ) -> Result<Vec<(String, String, Millis)>, JournalError> {
        self.call(move |s| s.cooldowns_active(now)).await
    }

    /// [`Store::list`].
    pub async fn list(&self) -> Result<Vec<RunRecord>, JournalError> {
        self.call(|s| s.list()).await
    }

    /// [`Store::depth`].
    pub async fn depth(&self) -> Result<QueueDepth, JournalError> {
        self.call(|s| s.depth()).await
    }

    /// [`Store::upload_seen`].
    pub async fn upload_seen(
        &self,
        item: String,
        kind: UploadKind,
        sha1: String,
    ) -> Result<bool, JournalError> {
        self.call(move |s| s.upload_seen(&item, kind, &sha1)).await
    }

    /// [`Store::upload_record`].
    pub async fn upload_record(
        &self,
        item: String,
        kind: UploadKind,
        sha1: String,
        now: Millis,
    ) -> Result<(), JournalError> {
        self.call(move |s| s.upload_record(&item, kind, &sha1, now))
            .await
    }

    /// [`Store::watermark_get`].
    pub async fn watermark_get(&self, name: String) -> Result<Option<String>, JournalError> {
        self.call(move |s| s.watermark_get(&name)).await
    }

    /// [`Store::watermark_set`].
    pub async fn watermark_set(&self, name: String, value: String) -> Result<(), JournalError> {
        self.call(move |s| s.watermark_set(&name, &value)).await
    }

    /// [`Store::pending_add`].
    pub async fn pending_add(&self, events: Vec<Event>) -> Result<Vec<PendingId>, JournalError> {
        self.call(move |s| s.pending_add(&events, Millis::now()))
            .await
    }

    /// [`Store::pending_remove`].
    pub async fn pending_remove(&self, ids: Vec<PendingId>) -> Result<(), JournalError> {
        self.call(move |s| s.pending_remove(&ids)).await
    }

    /// [`Store::pending_all`].
    pub async fn pending_all(&self) -> Result<Vec<(PendingId, Event)>, JournalError> {
        self.call(|s| s.pending_all()).await
    }

    /// [`Store::pending_count`].
    pub async fn pending_count(&self) -> Result<u64, JournalError> {
        self.call(|s| s.pending_count()).await
    }

    /// [`Store::intake_insert`].
    pub async fn intake_insert(&self, req: NewRequest, now: u64) -> Result<(), JournalError> {
        self.call(move |s| s.intake_insert(&req, now)).await
    }

    /// [`Store::intake_update`].
    pub async fn intake_update(
        &self,
        update: ItemUpdate,
        now: u64,
    ) -> Result<RequestState, JournalError> {
        self.call(move |s| s.intake_update(&update, now)).await
    }

    /// [`Store::intake_get`].
    pub async fn intake_get(&self, id: String) -> Result<Option<RequestRecord>, JournalError> {
        self.call(move |s| s.intake_get(&id)).await
    }

    /// [`Store::intake_list`].
    pub async fn intake_list(
        &self,
        state: Option<RequestState>,
        limit: usize,
    ) -> Result<Vec<RequestRecord>, JournalError> {
        self.call(move |s| s.intake_list(state, limit)).await
    }

    /// [`Store::intake_unfinished`].
    pub async fn intake_unfinished(&self) -> Result<Vec<RequestRecord>, JournalError> {
        self.call(|s| s.intake_unfinished()).await
    }
}

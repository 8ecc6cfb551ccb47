//! Journal first, then interpret: events whose rules need item facts.
//!
//! The dispatcher never reads from Plex. An event a candidate rule needs the
//! item's metadata for is written to the journal's `pending_events` and
//! handed to the facts worker here, which
//!
//! - gathers pending events for a moment and reads the facts of up to
//!   [`BATCH`] distinct items in one `GET /library/metadata/1,2,3,…`
//!   (through the client's read budget, apart from the writes');
//! - treats a failed read as retryable work: a 5xx, a 429 (its
//!   `Retry-After` honoured), a timeout or Plex being down delays it, with
//!   a backoff growing toward minutes and, while the notification stream
//!   says Plex is unreachable, a wait for it to come back: never a drop.
//!   An item Plex does not have is "no facts" (rules that read them are
//!   skipped, logged), as is an answer refused for good;
//! - interprets each event in arrival order with its item's facts, and
//!   deletes its row once the engine acknowledged (journaled) the triggers.
//!
//! Per item, order holds: an event for an item never overtakes an earlier
//! one still pending for it (the dispatcher routes every event for an item
//! with pending work through here, see [`PendingSender::holds`]). Rows left
//! at a stop, clean or not, are replayed at the next start.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;

use super::facts::{BATCH, CachedFacts, Read};
use super::interpret::Interpreter;
use crate::engine::EngineError;
use crate::event::{Event, EventName};
use crate::journal::{Journal, PendingId};
use crate::plex::PlexError;
use crate::plex::backoff::Backoff;
use crate::plex::reachability::Reachability;
use crate::rules::ItemFacts;

/// How long the worker waits for more events once one arrived, unless a
/// full batch is there sooner: a scan's items arrive over seconds, and
/// reading each the moment it comes would cost a request per item.
const GATHER: Duration = Duration::from_millis(100);

/// The first backoff ceiling after a failed read.
const RETRY_BASE: Duration = Duration::from_secs(1);

/// No wait between reads is longer than this.
const RETRY_CAP: Duration = Duration::from_secs(5 * 60);

/// An item whose answer keeps failing to parse on its own is given up
/// (no facts) after this many tries, so one odd item cannot hold up all.
const BAD_ANSWERS: u32 = 3;

/// One event in the worker's queue.
#[derive(Debug)]
pub(crate) struct Pending {
    /// Its `pending_events` row; `None` when the journal could not keep it
    /// (it is still interpreted, only not replayed after a crash).
    pub row: Option<PendingId>,
    /// The event.
    pub event: Event,
}

impl Pending {
    fn item(&self) -> &str {
        self.event.item.as_ref().map_or("", |i| i.id.as_str())
    }
}

/// Items with events in the worker, and how many each.
type Held = Arc<Mutex<HashMap<String, usize>>>;

/// The dispatcher's side.
#[derive(Clone)]
pub(crate) struct PendingSender {
    tx: mpsc::UnboundedSender<Pending>,
    held: Held,
}

impl PendingSender {
    /// Hands an event (already journaled as `row`) to the worker.
    pub(crate) fn send(&self, pending: Pending) {
        if let Ok(mut held) = self.held.lock() {
            *held.entry(pending.item().to_owned()).or_default() += 1;
        }
        if self.tx.send(pending).is_err() {
            tracing::warn!(
                "The facts worker has stopped; the event stays in the journal for the next start."
            );
        }
    }

    /// True while the worker has an event for `item`: a later event for it
    /// must go the same way, or it would overtake.
    pub(crate) fn holds(&self, item: &str) -> bool {
        self.held
            .lock()
            .is_ok_and(|h| h.get(item).is_some_and(|n| *n > 0))
    }
}

/// The worker's side.
pub(crate) struct FactsWorker {
    pub interpreter: Interpreter,
    pub facts: CachedFacts,
    pub journal: Journal,
    pub reachability: Reachability,
    rx: mpsc::UnboundedReceiver<Pending>,
    held: Held,
}

/// A worker and the sender that feeds it.
pub(crate) fn channel(
    interpreter: Interpreter,
    facts: CachedFacts,
    journal: Journal,
    reachability: Reachability,
) -> (PendingSender, FactsWorker) {
    let (tx, rx) = mpsc::unbounded_channel();
    let held = Held::default();
    (
        PendingSender {
            tx,
            held: held.clone(),
        },
        FactsWorker {
            interpreter,
            facts,
            journal,
            reachability,
            rx,
            held,
        },
    )
}

impl FactsWorker {
    /// Runs until the dispatcher is gone and the queue is empty (or a read
    /// fails after that: the rest waits in the journal). Only an engine
    /// that stopped ends it early.
    pub(crate) async fn run(mut self) -> Result<(), EngineError> {
        let mut queue: VecDeque<Pending> = VecDeque::new();
        let mut backoff = Backoff::new(RETRY_BASE, RETRY_CAP);
        let mut limit = BATCH;
        let mut bad_answers = 0u32;
        let mut open = true;
        loop {
            if queue.is_empty() {
                if !open {
                    return Ok(());
                }
                match self.rx.recv().await {
                    Some(p) => self.take(&mut queue, p),
                    None => return Ok(()),
                }
                open = self.gather(&mut queue).await;
            } else {
                open &= self.drain(&mut queue);
            }
            let wanted = self.to_read(&queue, limit);
            let mut read = Read::new();
            if !wanted.is_empty() {
                match self.read(&wanted, &mut backoff).await {
                    Ok(r) => {
                        read = r;
                        limit = BATCH;
                        bad_answers = 0;
                    }
                    Err(ReadError::Gone(why)) => {
                        tracing::warn!(items = wanted.len(), error = %why, "Plex refused the items' metadata; rules that read it are skipped for their events.");
                        read = wanted.iter().map(|id| (id.clone(), None)).collect();
                    }
                    Err(ReadError::BadAnswer(why)) if wanted.len() == 1 => {
                        bad_answers += 1;
                        if bad_answers >= BAD_ANSWERS {
                            tracing::warn!(item = %wanted[0], error = %why, "Plex keeps sending an unreadable answer for the item; rules that read its metadata are skipped for its events.");
                            read = wanted.iter().map(|id| (id.clone(), None)).collect();
                            bad_answers = 0;
                        } else {
                            open = self.pause(&mut queue, backoff.next_delay()).await;
                            continue;
                        }
                    }
                    Err(ReadError::BadAnswer(why)) => {
                        // Find the item whose answer breaks the batch.
                        limit = (wanted.len() / 2).max(1);
                        tracing::warn!(items = wanted.len(), error = %why, "Plex sent an unreadable answer for a batch of items; reading them in smaller batches.");
                        continue;
                    }
                    Err(ReadError::Later(wait)) => {
                        // A stopping daemon does not wait out a backoff:
                        // the rows are in the journal for the next start.
                        if !open || !self.pause(&mut queue, wait).await {
                            tracing::info!(
                                pending = queue.len(),
                                "Stopping with events waiting for their item's metadata; they are replayed at the next start."
                            );
                            return Ok(());
                        }
                        continue;
                    }
                }
            }
            self.interpret_ready(&mut queue, &read).await?;
        }
    }

    /// Replays the journal's pending rows (a previous run's), oldest first,
    /// ahead of anything new.
    pub(crate) async fn replay(sender: &PendingSender, journal: &Journal) {
        match journal.pending_all().await {
            Ok(rows) => {
                if !rows.is_empty() {
                    tracing::info!(
                        events = rows.len(),
                        "Replaying events kept in the journal until their item's metadata is read."
                    );
                }
                for (row, event) in rows {
                    sender.send(Pending {
                        row: Some(row),
                        event,
                    });
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "Cannot read the pending events from the journal; they stay there for the next start.")
            }
        }
    }

    /// Queues one event; an event our own action or a refresh caused makes
    /// the item's cached facts stale. Forgotten here, between reads, so a
    /// read in flight cannot put the old facts back.
    fn take(&self, queue: &mut VecDeque<Pending>, p: Pending) {
        if p.event.caused_by_self || p.event.name == EventName::LibraryRefreshEnded {
            self.facts.forget(p.item());
        }
        queue.push_back(p);
    }

    /// Takes what the channel holds now; false once the sender is gone.
    fn drain(&mut self, queue: &mut VecDeque<Pending>) -> bool {
        loop {
            match self.rx.try_recv() {
                Ok(p) => self.take(queue, p),
                Err(mpsc::error::TryRecvError::Empty) => return true,
                Err(mpsc::error::TryRecvError::Disconnected) => return false,
            }
        }
    }

    /// Waits up to [`GATHER`] for more events, or until a full batch of
    /// items is there; false once the sender is gone.
    async fn gather(&mut self, queue: &mut VecDeque<Pending>) -> bool {
        let until = tokio::time::Instant::now() + GATHER;
        loop {
            if !self.drain(queue) {
                return false;
            }
            if self.to_read(queue, BATCH).len() >= BATCH {
                return true;
            }
            tokio::select! {
                p = self.rx.recv() => match p {
                    Some(p) => self.take(queue, p),
                    None => return false,
                },
                () = tokio::time::sleep_until(until) => return true,
            }
        }
    }

    /// The first `limit` distinct items, in queue order, whose events need
    /// facts that are not cached.
    fn to_read(&self, queue: &VecDeque<Pending>, limit: usize) -> Vec<String> {
        let rules = self.interpreter.rules.load();
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for p in queue {
            let item = p.item();
            if out.len() >= limit {
                break;
            }
            if seen.contains(item) || !rules.needs_metadata(&p.event) {
                continue;
            }
            seen.insert(item);
            if self.facts.fresh(item).is_none() {
                out.push(item.to_owned());
            }
        }
        out
    }

    /// One read, waiting first while Plex is known to be down.
    async fn read(&self, ids: &[String], backoff: &mut Backoff) -> Result<Read, ReadError> {
        if let Some(down) = self.reachability.down() {
            tracing::info!(
                items = ids.len(),
                plex = down.label(),
                "Plex cannot be asked; the items' metadata is read when it is back."
            );
        }
        self.reachability.wait_up().await;
        let asked: Vec<&str> = ids.iter().map(String::as_str).collect();
        match self.facts.read(&asked).await {
            Ok(read) => {
                backoff.reset();
                Ok(read)
            }
            Err(e) if is_transient(&e) => {
                let wait = e.retry_after().unwrap_or_else(|| backoff.next_delay());
                tracing::warn!(items = ids.len(), error = %e, retry_in_ms = wait.as_millis() as u64, "Could not read the items' metadata; their events wait and are tried again.");
                Err(ReadError::Later(wait))
            }
            Err(e @ PlexError::BadJson { .. }) => Err(ReadError::BadAnswer(e)),
            Err(e) => Err(ReadError::Gone(e)),
        }
    }

    /// Waits `wait` before the next read, queueing new events meanwhile;
    /// false (at once) when the sender is gone: the daemon is stopping and
    /// the rows wait in the journal.
    async fn pause(&mut self, queue: &mut VecDeque<Pending>, wait: Duration) -> bool {
        let until = tokio::time::Instant::now() + wait;
        loop {
            tokio::select! {
                p = self.rx.recv() => match p {
                    Some(p) => self.take(queue, p),
                    None => return false,
                },
                () = tokio::time::sleep_until(until) => return true,
            }
        }
    }

    /// Interprets, in queue order, every event whose item has no earlier
    /// event still waiting and whose facts are known (read now, cached, or
    /// not needed); acknowledged rows leave the journal in one write.
    async fn interpret_ready(
        &mut self,
        queue: &mut VecDeque<Pending>,
        read: &Read,
    ) -> Result<(), EngineError> {
        let rules = self.interpreter.rules.load_full();
        let mut blocked: HashSet<String> = HashSet::new();
        let mut waiting = VecDeque::with_capacity(queue.len());
        let mut done = Vec::new();
        let mut released = Vec::new();
        while let Some(p) = queue.pop_front() {
            let item = p.item().to_owned();
            let facts: Option<Option<ItemFacts>> = if blocked.contains(&item) {
                None
            } else if !rules.needs_metadata(&p.event) {
                Some(None)
            } else {
                read.get(&item).cloned().or_else(|| self.facts.fresh(&item))
            };
            let Some(facts) = facts else {
                blocked.insert(item);
                waiting.push_back(p);
                continue;
            };
            if facts.is_none() && rules.needs_metadata(&p.event) {
                tracing::info!(event = %p.event.id, item = %item, "Plex does not have the item; rules that read its metadata are skipped for this event.");
            }
            self.interpreter.interpret(&p.event, facts.as_ref()).await?;
            done.extend(p.row);
            released.push(item);
        }
        *queue = waiting;
        if let Ok(mut held) = self.held.lock() {
            for item in released {
                if let Some(n) = held.get_mut(&item) {
                    *n -= 1;
                    if *n == 0 {
                        held.remove(&item);
                    }
                }
            }
        }
        if !done.is_empty()
            && let Err(e) = self.journal.pending_remove(done).await
        {
            // The triggers are journaled; a replay would trigger again,
            // which debounce and cooldowns absorb. Say so.
            tracing::error!(error = %e, "Cannot clear interpreted events from the journal; they may be interpreted again after a restart.");
        }
        Ok(())
    }
}

/// How a read failed.
enum ReadError {
    /// Plex refused for good (a 4xx other than 404/429, no token): no facts.
    Gone(PlexError),
    /// The answer could not be read; smaller batches may tell which item.
    BadAnswer(PlexError),
    /// Retryable: after this long.
    Later(Duration),
}

/// Failures that pass on their own: 429, 5xx, unreachable, timeouts, and a
/// rejected token (the stream says so, and the read waits for it).
fn is_transient(e: &PlexError) -> bool {
    e.is_retryable() || matches!(e, PlexError::InvalidToken)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use arc_swap::ArcSwap;
    use reqwest::StatusCode;
    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::daemon::dispatch::Dispatcher;
    use crate::engine::{Clock, Command, Driver, Flow};
    use crate::event::ItemRef;
    use crate::plex::conn::identity::ClientIdentity;
    use crate::plex::conn::tls::TlsSettings;
    use crate::plex::conn::token::{Token, TokenSource};
    use crate::plex::{ClientSettings, PlexClient, PlexRequest, RawResponse};
    use crate::service::metrics::Metrics;

    /// Plex answers the first read with a 500, then with the item.
    struct FailsFirst(AtomicUsize);

    impl crate::plex::client::Responder for FailsFirst {
        fn respond(&self, req: &PlexRequest) -> Option<Result<RawResponse, PlexError>> {
            assert_eq!(req.path, ["library", "metadata", "7"]);
            if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
                return Some(Err(PlexError::Retryable {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    retry_after: Some(Duration::from_millis(200)),
                    excerpt: String::new(),
                }));
            }
            let body = r#"{"MediaContainer":{"size":1,"Metadata":[{"ratingKey":"7","type":"movie","title":"Seven","guid":"local://7"}]}}"#;
            Some(Ok(RawResponse {
                status: StatusCode::OK,
                headers: Default::default(),
                body: body.into(),
            }))
        }
    }

    const READS: &str = r#"description = "reads the item"
conditions = ['item.guid.startsWith("local://")']
[[triggers]]
event = "item.added"
[[actions]]
action = "log"
message = "added"
"#;

    const PLAIN: &str = r#"description = "reads nothing"
[[triggers]]
event = "item.ready"
[[actions]]
action = "log"
message = "ready"
"#;

    fn event(name: EventName) -> Event {
        let mut e = Event::new(name);
        e.item = Some(ItemRef {
            id: "7".into(),
            kind: Some("movie".into()),
            title: None,
            parent_id: None,
            grandparent_id: None,
        });
        e
    }

    #[tokio::test]
    async fn a_later_event_for_an_item_never_overtakes_one_waiting_for_its_facts() {
        let loaded = crate::rules::load_sources(vec![
            (PathBuf::from("reads.toml"), READS.into()),
            (PathBuf::from("plain.toml"), PLAIN.into()),
        ]);
        assert!(!loaded.has_errors());
        let rules = Arc::new(ArcSwap::from_pointee(loaded.rules));
        let (tx, mut commands) = mpsc::channel(64);
        let (driver, engine) = Driver::new(Flow::new(), None::<Journal>, Clock::system(), tx);
        tokio::spawn(driver.run(CancellationToken::new()));
        let client = PlexClient::new(ClientSettings {
            base_url: url::Url::parse("http://127.0.0.1:9/").unwrap(),
            tokens: TokenSource::fixed(Token::new("t").unwrap()),
            identity: ClientIdentity::new("order-test"),
            timeout: Duration::from_secs(1),
            tls: TlsSettings::default(),
        })
        .unwrap()
        .with_responder(Arc::new(FailsFirst(AtomicUsize::new(0))));
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path()).await.unwrap();
        let metrics = Metrics::default();
        let interpreter = Interpreter {
            rules,
            engine: engine.clone(),
            chains: Default::default(),
            metrics: metrics.clone(),
        };
        let facts = CachedFacts::new(client);
        let (pending, worker) = channel(
            interpreter.clone(),
            facts.clone(),
            journal.clone(),
            Reachability::assumed(),
        );
        let worker = tokio::spawn(worker.run());
        let mut dispatcher = Dispatcher {
            interpreter,
            engine,
            facts,
            journal: journal.clone(),
            pending,
            metrics,
            sessions: HashSet::new(),
        };
        // Added needs the item's facts (whose first read fails); ready needs
        // none, and would be decided at once were the item not held.
        dispatcher
            .handle(event(EventName::ItemAdded))
            .await
            .unwrap();
        dispatcher
            .handle(event(EventName::ItemReady))
            .await
            .unwrap();
        let mut started = Vec::new();
        while started.len() < 2 {
            match tokio::time::timeout(Duration::from_secs(5), commands.recv()).await {
                Ok(Some(Command::Start(run))) => started.push(run.rule),
                Ok(Some(_)) => {}
                other => panic!("no start: {other:?}"),
            }
        }
        assert_eq!(started, ["reads", "plain"]);
        drop(dispatcher);
        worker.await.unwrap().unwrap();
        assert_eq!(journal.pending_count().await.unwrap(), 0, "rows cleared");
    }
}

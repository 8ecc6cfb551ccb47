//! The intake worker: takes journaled requests to the end.
//!
//! Items wait until their file has settled (`min_age` since the newest
//! request for the same folder, size unchanged for `stable_for`), then every
//! settled item goes into one batch: paths that map to no section end
//! `absent` at once (with why), the rest become ONE `scan` action through
//! the shared action executor, which coalesces files to folders, runs one
//! scan per section at a time under the global limit and follows each scan
//! to its end.
//!
//! Confirmation comes from the notification stream ([`super::sighting`]):
//! while the scan runs, the worker hears the section scan start, the items
//! it created or finished (and Plex's `library.new` webhook), and the items
//! it deleted; each reported item is fetched once and matched to the
//! requested files by its parts. A file heard of → `in_plex`
//! (`intake.confirmed`), then the sync's match/edit/tags/artwork → `done`;
//! a removed file whose item Plex deleted → `done`. Only a file not heard
//! of by the end of the scan is looked up by path (the stream may be down);
//! not found → one more scan, then `absent` with the reason.
//!
//! Plex work (the scan, the sync's actions, the callback) runs through an
//! [`action::Sequencer`](crate::action::Sequencer) and its
//! [`RetryPolicy::decide`], as a rule run's actions do; reads (sections,
//! items) are retried with the same policy.
//!
//! Every state change is journaled before the next step, so a restart
//! resumes each item where it was: `scanning` items are looked up before any
//! new scan, `applying` items re-run actions that skip what is done.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::apply;
use super::sighting::{Heard, StreamTap, Watch};
use super::spec::{Change, ItemSpec};
use crate::action::{ActionContext, RetryPolicy, RunEnd, Sequencer};
use crate::engine::RunId;
use crate::event::{Event, EventName, ItemRef, SectionRef};
use crate::journal::{ItemState, ItemUpdate, Journal, RequestRecord, RequestState};
use crate::plex::PlexClient;
use crate::plex::model::Item;
use crate::plex::pathmap::PathMap;
use crate::plex::scan::{LocalFs, plan_with_client};
use crate::rules::{ResolvedAction, ScanTarget};

/// Scans per item before it is declared absent: the first, and one retry.
const MAX_SCANS: u32 = 2;

/// After its scan ended, how long a batch keeps listening for the stream's
/// last reports while the stream said the scan is still running (the scan
/// action learns of the end by polling, which can beat the stream's frame).
const STREAM_LAG: Duration = Duration::from_secs(2);

/// How often waiting items are looked at.
const TICK: Duration = Duration::from_millis(100);

/// What the worker needs from the daemon.
pub(crate) struct Worker {
    pub journal: Journal,
    /// Plex work, attempt by attempt, as for rule runs (its own progress
    /// map: intake runs are numbered here, not by the engine).
    pub sequencer: Sequencer,
    /// The retry policy the sequencer decides with, also for reads.
    pub policy: RetryPolicy,
    /// Numbers this worker's runs for the sequencer.
    pub runs: AtomicU64,
    /// The stream's item and scan events, and Plex's `library.new` webhooks.
    pub tap: StreamTap,
    pub client: PlexClient,
    pub map: PathMap,
    pub min_age: Duration,
    pub stable_for: Duration,
    /// `intake.*` events go to the rules here.
    pub events: mpsc::Sender<Event>,
}

/// One item on its way.
#[derive(Debug, Clone)]
struct Pending {
    request: String,
    index: u32,
    path: String,
    spec: ItemSpec,
    state: ItemState,
    scans: u32,
    rating_key: Option<String>,
}

impl Pending {
    fn key(&self) -> (String, u32) {
        (self.request.clone(), self.index)
    }

    /// What the scan covers: the path, or for a removed folder its parent.
    fn scan_path(&self) -> String {
        self.spec
            .scan_path
            .clone()
            .unwrap_or_else(|| self.path.clone())
    }

    fn folder(&self) -> PathBuf {
        let p = PathBuf::from(self.scan_path());
        if p.is_dir() || p.extension().is_none() {
            p
        } else {
            p.parent().map_or(p.clone(), Path::to_path_buf)
        }
    }
}

/// When a waiting item's file was last seen to change.
struct Settle {
    since: Instant,
    size: Option<u64>,
}

impl Worker {
    /// Runs until `stop`: resumes what the journal holds, then takes woken
    /// request ids.
    pub(crate) async fn run(
        self,
        mut wake: mpsc::UnboundedReceiver<String>,
        stop: CancellationToken,
    ) {
        let this = Arc::new(self);
        let mut waiting: HashMap<(String, u32), (Pending, Settle)> = HashMap::new();
        let mut folder_seen: HashMap<PathBuf, Instant> = HashMap::new();
        let mut busy: HashSet<(String, u32)> = HashSet::new();
        let mut tasks: JoinSet<Vec<(String, u32)>> = JoinSet::new();
        match this.journal.intake_unfinished().await {
            Ok(list) => {
                if !list.is_empty() {
                    tracing::info!(
                        requests = list.len(),
                        "Resuming intake requests from the journal."
                    );
                }
                for r in list {
                    this.admit(r, &mut waiting, &mut folder_seen, &mut tasks, &mut busy);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "Could not read unfinished intake requests; they resume at the next start.")
            }
        }
        let mut tick = tokio::time::interval(TICK);
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                id = wake.recv() => {
                    let Some(id) = id else { break };
                    match this.journal.intake_get(id.clone()).await {
                        Ok(Some(r)) => this.admit(r, &mut waiting, &mut folder_seen, &mut tasks, &mut busy),
                        Ok(None) => tracing::warn!(request = %id, "An intake request vanished from the journal."),
                        Err(e) => tracing::error!(request = %id, error = %e, "Could not read an intake request; it resumes at the next start."),
                    }
                }
                Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                    if let Ok(keys) = done {
                        for k in keys {
                            busy.remove(&k);
                        }
                    }
                }
                _ = tick.tick(), if !waiting.is_empty() => {
                    let batch = this.settled(&mut waiting, &folder_seen, &busy);
                    if !batch.is_empty() {
                        for p in &batch {
                            busy.insert(p.key());
                        }
                        let this = Arc::clone(&this);
                        tasks.spawn(async move {
                            let keys = batch.iter().map(Pending::key).collect();
                            this.batch(batch).await;
                            keys
                        });
                    }
                }
            }
        }
        tasks.abort_all();
    }

    /// Takes a request's unfinished items: new and `scanning` ones wait to
    /// settle (a `scanning` one is looked up first); `in_plex`/`applying`
    /// ones go straight on.
    fn admit(
        self: &Arc<Self>,
        r: RequestRecord,
        waiting: &mut HashMap<(String, u32), (Pending, Settle)>,
        folders: &mut HashMap<PathBuf, Instant>,
        tasks: &mut JoinSet<Vec<(String, u32)>>,
        busy: &mut HashSet<(String, u32)>,
    ) {
        let now = Instant::now();
        for item in r.items.into_iter().filter(|i| !i.state.is_final()) {
            let spec: ItemSpec = match serde_json::from_str(&item.spec) {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(request = %r.id, index = item.index, error = %e, "An intake item's stored spec is unreadable; it is ignored.");
                    continue;
                }
            };
            let p = Pending {
                request: r.id.clone(),
                index: item.index,
                path: item.path,
                spec,
                state: item.state,
                scans: item.scans,
                rating_key: item.rating_key,
            };
            if busy.contains(&p.key()) {
                continue;
            }
            match p.state {
                ItemState::InPlex | ItemState::Applying => {
                    busy.insert(p.key());
                    let this = Arc::clone(self);
                    tasks.spawn(async move {
                        let key = p.key();
                        this.finish_in_plex(p).await;
                        vec![key]
                    });
                }
                _ => {
                    folders.insert(p.folder(), now);
                    waiting.insert(
                        p.key(),
                        (
                            p,
                            Settle {
                                since: now,
                                size: None,
                            },
                        ),
                    );
                }
            }
        }
    }

    /// Removes and returns the items whose folder has been quiet for
    /// `min_age` and whose file size held for `stable_for`.
    fn settled(
        &self,
        waiting: &mut HashMap<(String, u32), (Pending, Settle)>,
        folders: &HashMap<PathBuf, Instant>,
        busy: &HashSet<(String, u32)>,
    ) -> Vec<Pending> {
        let now = Instant::now();
        let mut ready = Vec::new();
        for (key, (p, settle)) in waiting.iter_mut() {
            if busy.contains(key) {
                continue;
            }
            let last = folders.get(&p.folder()).copied().unwrap_or(settle.since);
            if now.duration_since(last) < self.min_age {
                continue;
            }
            let size = std::fs::metadata(&p.path)
                .ok()
                .filter(|m| m.is_file())
                .map(|m| m.len());
            if size != settle.size {
                settle.size = size;
                settle.since = now;
            }
            if size.is_some() && now.duration_since(settle.since) < self.stable_for {
                continue;
            }
            ready.push(key.clone());
        }
        ready
            .into_iter()
            .filter_map(|k| waiting.remove(&k).map(|(p, _)| p))
            .collect()
    }

    /// One batch: resumed `scanning` items are looked up first; the rest
    /// (and those not found) are scanned while the stream is heard, those
    /// not heard of are looked up, and those not found are scanned once more.
    async fn batch(&self, batch: Vec<Pending>) {
        let (mut scan_now, resumed): (Vec<Pending>, Vec<Pending>) =
            batch.into_iter().partition(|p| p.scans == 0);
        scan_now.extend(self.look_up_all(resumed, false).await);
        while !scan_now.is_empty() {
            let unheard = self.scan_and_hear(scan_now).await;
            scan_now = self.look_up_all(unheard, true).await;
        }
    }

    /// Scans the items' folders as one `scan` action while hearing what
    /// Plex reports; confirms the items it reported and returns the rest of
    /// those the scan covered (the others ended `absent` or `failed` here).
    async fn scan_and_hear(&self, items: Vec<Pending>) -> Vec<Pending> {
        // Listening starts before the scan is asked for.
        let mut watch = self.tap.watch();
        let Some((mut covered, sections)) = self.plan(items).await else {
            return Vec::new();
        };
        if covered.is_empty() {
            return covered;
        }
        // A removed file's deletion names only the item: learn which item
        // holds the file before the scan removes it.
        for p in covered
            .iter_mut()
            .filter(|p| p.spec.change == Change::Removed)
        {
            p.rating_key = self.holder(p).await;
        }
        for p in &mut covered {
            p.scans += 1;
            p.state = ItemState::Scanning;
            self.update(p, ItemState::Scanning, None, None, true).await;
        }
        let mut unique: Vec<String> = covered.iter().map(Pending::scan_path).collect();
        unique.sort();
        unique.dedup();
        let action = ResolvedAction::Scan {
            target: ScanTarget::Paths(unique),
        };
        let mut hearing = Hearing::new(&covered, &self.map);
        let ctx = context(&covered[0].request, None);
        let scan = self.run_actions(std::slice::from_ref(&action), ctx);
        tokio::pin!(scan);
        // Hearing runs next to the scan, not in turns with it: reading a
        // reported item must not hold up the section's next scan.
        let scanned = {
            let listen = async {
                while let Some(h) = watch.next().await {
                    self.hear(h, &mut hearing).await;
                }
            };
            tokio::pin!(listen);
            tokio::select! {
                end = &mut scan => end,
                () = &mut listen => scan.await,
            }
        };
        if scanned.is_ok() {
            self.hear_the_end(&mut watch, &sections, &mut hearing).await;
        }
        let mut unheard = Vec::new();
        for (n, p) in covered.into_iter().enumerate() {
            // What Plex reported stands even if a later scan failed.
            match (hearing.found.remove(&n), &scanned) {
                (Some(Found::Item(item)), _) => self.confirmed(p, Some(*item)).await,
                (Some(Found::Gone(detail)), _) => {
                    self.end(&p, ItemState::Done, None, detail).await;
                }
                (None, Ok(())) => unheard.push(p),
                (None, Err(error)) => {
                    let detail = format!("the scan failed: {error}");
                    self.end(&p, ItemState::Failed, None, detail).await;
                }
            }
        }
        unheard
    }

    /// After the scan action ended: what is already heard, and while the
    /// stream says the scan still runs, what comes within [`STREAM_LAG`].
    async fn hear_the_end(
        &self,
        watch: &mut Watch,
        sections: &HashSet<String>,
        hearing: &mut Hearing,
    ) {
        let lag = tokio::time::sleep(STREAM_LAG);
        tokio::pin!(lag);
        while hearing.waiting() && watch.scanning(sections) {
            tokio::select! {
                heard = watch.next() => match heard {
                    Some(h) => self.hear(h, hearing).await,
                    None => break,
                },
                () = &mut lag => break,
            }
        }
        while hearing.waiting()
            && let Some(h) = watch.try_next()
        {
            self.hear(h, hearing).await;
        }
    }

    /// Takes one report: an item is fetched (once) and its parts matched
    /// to the wanted files; a deletion is matched to the removed files'
    /// items. What cannot be fetched is left to the lookup by path.
    async fn hear(&self, heard: Heard, hearing: &mut Hearing) {
        match heard {
            Heard::Item { id } => {
                // A ready item whose parts were read when it was new is
                // not read again.
                if !hearing.waiting() || hearing.read.contains(&id) {
                    return;
                }
                let item = match self.with_retries(|| self.client.item(&id)).await {
                    Ok(Some(item)) => item,
                    Ok(None) => return,
                    Err(e) => {
                        tracing::debug!(item = %id, error = %e, "Could not read an item Plex reported; its file is looked up by path after the scan.");
                        return;
                    }
                };
                hearing.item(&id, item);
            }
            Heard::Deleted { id } => hearing.deleted(&id),
            Heard::Missed => {
                tracing::debug!(
                    "The intake fell behind the notification stream; files it missed are looked up by path."
                )
            }
            Heard::Other => {}
        }
    }

    /// The scan plan: items under no section end `absent` (with why);
    /// returns the rest and the sections they are in (`None`: all ended).
    async fn plan(&self, items: Vec<Pending>) -> Option<(Vec<Pending>, HashSet<String>)> {
        let paths: Vec<PathBuf> = items.iter().map(|p| PathBuf::from(p.scan_path())).collect();
        let plan = match self
            .with_retries(|| plan_with_client(&self.client, &paths, &self.map, &LocalFs))
            .await
        {
            Ok(plan) => plan,
            Err(e) => {
                for p in items {
                    self.end(
                        &p,
                        ItemState::Failed,
                        None,
                        format!("cannot read Plex's sections: {e}"),
                    )
                    .await;
                }
                return None;
            }
        };
        let mut covered = Vec::new();
        for p in items {
            let problem = plan
                .problems
                .iter()
                .find(|(path, _)| path == Path::new(&p.scan_path()));
            match problem {
                Some((_, why)) => {
                    let detail = format!(
                        "not scanned: {why} (check [[path_map]] and the sections' folders; `metarr-plex map-path` explains)"
                    );
                    self.end(&p, ItemState::Absent, None, detail).await;
                }
                None => covered.push(p),
            }
        }
        let sections = plan.sections.into_iter().map(|s| s.section_id).collect();
        Some((covered, sections))
    }

    /// The item holding a file that is to be removed, if Plex lists one.
    async fn holder(&self, p: &Pending) -> Option<String> {
        if !is_file(&p.path) {
            return None;
        }
        let plex = self.map.to_plex(Path::new(&p.path)).ok()?;
        match self.with_retries(|| self.client.items_by_file(&plex)).await {
            Ok(found) => found.into_iter().next().map(|i| i.rating_key),
            Err(e) => {
                tracing::debug!(path = %p.path, error = %e, "Could not learn which item holds a removed file; it is looked up after the scan.");
                None
            }
        }
    }

    /// Looks each item up by path after its scan; returns those to scan
    /// again. With `may_end`, an item out of scans ends `absent`.
    async fn look_up_all(&self, items: Vec<Pending>, may_end: bool) -> Vec<Pending> {
        let mut again = Vec::new();
        for p in items {
            match self.confirm(&p).await {
                Ok(Some(item)) => {
                    self.confirmed(p, item).await;
                }
                Ok(None) if !may_end || p.scans < MAX_SCANS => again.push(p),
                Ok(None) => {
                    let detail = self.absent_reason(&p);
                    self.end(&p, ItemState::Absent, None, detail).await;
                }
                Err(e) => {
                    self.end(
                        &p,
                        ItemState::Failed,
                        None,
                        format!("cannot look the file up in Plex: {e}"),
                    )
                    .await;
                }
            }
        }
        again
    }

    /// `Some` when the item is where the request wants it: for an added file
    /// the Plex item holding it; for a removal, the confirmation that no
    /// item holds it (a `None` item). Folders are confirmed by their scan.
    async fn confirm(&self, p: &Pending) -> Result<Option<Option<Item>>, crate::plex::PlexError> {
        if !is_file(&p.path) {
            return Ok(Some(None));
        }
        let local = Path::new(&p.path);
        let Ok(plex) = self.map.to_plex(local) else {
            return Ok(None);
        };
        let found = self
            .with_retries(|| self.client.items_by_file(&plex))
            .await?;
        Ok(match (p.spec.change, found.into_iter().next()) {
            (Change::Added, Some(item)) => Some(Some(item)),
            (Change::Added, None) => None,
            (Change::Removed, None) => Some(None),
            (Change::Removed, Some(_)) => None,
        })
    }

    /// In Plex: say so (`intake.confirmed`), then apply the sync's work.
    async fn confirmed(&self, mut p: Pending, item: Option<Item>) {
        let Some(item) = item else {
            let detail = match (p.spec.change, is_file(&p.path)) {
                (Change::Removed, true) => "Plex no longer lists it",
                (Change::Removed, false) => {
                    "its parent folder was scanned (Plex drops the items it no longer finds)"
                }
                (Change::Added, _) => "the folder was scanned",
            };
            self.end(&p, ItemState::Done, None, detail.to_owned()).await;
            return;
        };
        p.rating_key = Some(item.rating_key.clone());
        p.state = ItemState::InPlex;
        self.update(
            &p,
            ItemState::InPlex,
            p.rating_key.clone(),
            Some(format!("in Plex as {} ({})", item.rating_key, item.title)),
            false,
        )
        .await;
        let mut event = self.event(EventName::IntakeConfirmed, &p, None);
        event.item = Some(ItemRef {
            id: item.rating_key.clone(),
            kind: Some(item.kind.clone()),
            title: Some(item.title.clone()).filter(|t| !t.is_empty()),
            parent_id: item.parent_rating_key.clone(),
            grandparent_id: item.grandparent_rating_key.clone(),
        });
        event.section = item.library_section_id.clone().map(|id| SectionRef {
            id,
            title: item.library_section_title.clone(),
            kind: None,
        });
        self.emit(event).await;
        self.finish_in_plex(p).await;
    }

    /// `in_plex`/`applying` → the sync's actions → `done` (or `failed`).
    async fn finish_in_plex(&self, mut p: Pending) {
        let Some(id) = p.rating_key.clone() else {
            self.end(
                &p,
                ItemState::Failed,
                None,
                "in Plex, but its item id was lost".to_owned(),
            )
            .await;
            return;
        };
        let actions = apply::actions(&id, &p.spec);
        if actions.is_empty() {
            self.end(&p, ItemState::Done, None, format!("in Plex as {id}"))
                .await;
            return;
        }
        if p.state != ItemState::Applying {
            p.state = ItemState::Applying;
            self.update(&p, ItemState::Applying, None, None, false)
                .await;
        }
        let ctx = context(&p.request, Some(id.clone()));
        match self.run_actions(&actions, ctx).await {
            Ok(()) => {
                let names: Vec<&str> = actions.iter().map(ResolvedAction::name).collect();
                let detail = format!("in Plex as {id}; applied {}", names.join(", "));
                self.end(&p, ItemState::Done, None, detail).await;
            }
            Err(error) => self.end(&p, ItemState::Failed, None, error).await,
        }
    }

    /// Runs `actions` to their end as a rule run's are: each attempt through
    /// the sequencer resumes at the action that failed, and the policy's
    /// verdict says what follows. The wait before the next attempt is slept
    /// here rather than journaled as the engine does for rule runs: the
    /// item's own state is journaled, and after a restart it resumes from
    /// that state with actions that skip what is done.
    async fn run_actions(
        &self,
        actions: &[ResolvedAction],
        mut ctx: ActionContext,
    ) -> Result<(), String> {
        ctx.run_id = RunId(self.runs.fetch_add(1, Ordering::Relaxed) + 1);
        let mut attempt = 1;
        loop {
            match self.sequencer.attempt(attempt, actions, &ctx).await {
                RunEnd::Finished(_) => return Ok(()),
                RunEnd::Retry { after, error } => {
                    tracing::warn!(request = %ctx.event_id, error = %error, attempt, retry_in_ms = after.as_millis() as u64, "Intake work failed; trying again.");
                    tokio::time::sleep(after).await;
                    attempt += 1;
                }
                RunEnd::Failed { error } | RunEnd::Dead { error } => {
                    self.sequencer.forget(ctx.run_id);
                    return Err(error);
                }
            }
        }
    }

    /// Why a file that was scanned is still not in Plex, as far as we can tell.
    fn absent_reason(&self, p: &Pending) -> String {
        let local = Path::new(&p.path);
        let plex = self
            .map
            .to_plex(local)
            .map_or_else(|_| p.path.clone(), |x| x.display().to_string());
        if p.spec.change == Change::Removed {
            return format!(
                "Plex still lists {plex} after {} scans (is the file still on disk, or is trash kept?)",
                p.scans
            );
        }
        if local.exists() {
            return format!(
                "Plex scanned its folder {} times and has no item with {plex}: it may have ignored the file name, or the file is not a media type the section takes",
                p.scans
            );
        }
        format!(
            "Plex has no item with {plex} after {} scans, and the file does not exist here ({}): check that [[path_map]] maps this machine's path to Plex's",
            p.scans, p.path
        )
    }

    /// A final state; emits `intake.absent`/`intake.failed` and, when the
    /// request ends, its callback.
    async fn end(&self, p: &Pending, state: ItemState, rating_key: Option<String>, detail: String) {
        match state {
            ItemState::Absent => {
                tracing::warn!(request = %p.request, path = %p.path, reason = %detail, "Intake item absent from Plex.")
            }
            ItemState::Failed => {
                tracing::error!(request = %p.request, path = %p.path, error = %detail, "Intake item failed.")
            }
            _ => {
                tracing::info!(request = %p.request, path = %p.path, detail = %detail, "Intake item done.")
            }
        }
        let name = match state {
            ItemState::Absent => Some(EventName::IntakeAbsent),
            ItemState::Failed => Some(EventName::IntakeFailed),
            _ => None,
        };
        let request_state = self
            .update(p, state, rating_key, Some(detail.clone()), false)
            .await;
        if let Some(name) = name {
            self.emit(self.event(name, p, Some(&detail))).await;
        }
        if let Some(s) = request_state
            && s.is_final()
        {
            self.request_ended(&p.request, s).await;
        }
    }

    /// Journals a move; the request's state after it (`None`: not journaled).
    async fn update(
        &self,
        p: &Pending,
        state: ItemState,
        rating_key: Option<String>,
        detail: Option<String>,
        scanned: bool,
    ) -> Option<RequestState> {
        let u = ItemUpdate {
            request_id: p.request.clone(),
            index: p.index,
            state,
            rating_key,
            detail,
            scanned,
        };
        match self.journal.intake_update(u, now_ms()).await {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::error!(request = %p.request, path = %p.path, error = %e, "Could not journal an intake item's state; after a restart it resumes from its last journaled state.");
                None
            }
        }
    }

    /// The request is final: log it and POST its status to the callback.
    async fn request_ended(&self, id: &str, state: RequestState) {
        let record = match self.journal.intake_get(id.to_owned()).await {
            Ok(Some(r)) => r,
            Ok(None) => return,
            Err(e) => {
                tracing::error!(request = %id, error = %e, "Could not read a finished intake request.");
                return;
            }
        };
        tracing::info!(request = %id, source = %record.source, state = state.as_str(), items = record.items.len(), "Intake request finished.");
        let Some(url) = record.callback.clone() else {
            return;
        };
        let body = serde_json::to_value(&record).unwrap_or_default();
        let action = ResolvedAction::Webhook {
            url,
            body,
            headers: Default::default(),
            timeout: None,
        };
        if let Err(error) = self.run_actions(&[action], context(id, None)).await {
            tracing::warn!(request = %id, error = %error, "The intake request's callback failed.");
        }
    }

    fn event(&self, name: EventName, p: &Pending, detail: Option<&str>) -> Event {
        let mut e = Event::new(name);
        e.raw = serde_json::json!({
            "request_id": p.request,
            "path": p.path,
            "detail": detail,
        })
        .into();
        e
    }

    async fn emit(&self, event: Event) {
        if self.events.send(event).await.is_err() {
            tracing::debug!("The daemon is stopping; an intake event was not handed to the rules.");
        }
    }

    /// Reads that fail transiently (Plex restarting) are tried again, timed
    /// by the same policy as the actions. Reads are not actions (they
    /// change nothing and their result is needed here), so they do not go
    /// through the sequencer.
    async fn with_retries<T, F, Fut>(&self, mut f: F) -> Result<T, crate::plex::PlexError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, crate::plex::PlexError>>,
    {
        let mut attempt = 1;
        loop {
            match f().await {
                Err(e) if e.is_retryable() && attempt < self.policy.max_attempts => {
                    tokio::time::sleep(self.policy.delay(attempt, None)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

/// What the stream reported for one scanned batch, by the batch's index.
struct Hearing {
    /// Plex path of each added file → its index.
    wanted: HashMap<String, usize>,
    /// The item holding each removed file before the scan → its index,
    /// with the file's Plex path.
    holders: HashMap<String, (usize, String)>,
    /// Heard of: what became of each.
    found: HashMap<usize, Found>,
    /// Items fetched with their parts.
    read: HashSet<String>,
}

/// What became of a file the stream reported on.
enum Found {
    /// An added file is in this item.
    Item(Box<Item>),
    /// A removed file is gone from Plex: how we know.
    Gone(String),
}

impl Hearing {
    fn new(items: &[Pending], map: &PathMap) -> Hearing {
        let mut wanted = HashMap::new();
        let mut holders = HashMap::new();
        for (n, p) in items.iter().enumerate() {
            if !is_file(&p.path) {
                continue;
            }
            let local = Path::new(&p.path);
            let Ok(plex) = map.to_plex(local) else {
                continue;
            };
            let plex = plex.to_string_lossy().into_owned();
            match (p.spec.change, &p.rating_key) {
                (Change::Added, _) => {
                    wanted.insert(plex, n);
                }
                (Change::Removed, Some(id)) => {
                    holders.insert(id.clone(), (n, plex));
                }
                (Change::Removed, None) => {}
            }
        }
        Hearing {
            wanted,
            holders,
            found: HashMap::new(),
            read: HashSet::new(),
        }
    }

    /// True while a file that could be heard of was not.
    fn waiting(&self) -> bool {
        self.wanted.values().any(|n| !self.found.contains_key(n))
            || self
                .holders
                .values()
                .any(|(n, _)| !self.found.contains_key(n))
    }

    /// Item `id` as fetched: it holds wanted files, or no longer holds a
    /// removed one (Plex kept the item and dropped the part).
    fn item(&mut self, id: &str, item: Item) {
        if item.files().next().is_some() {
            self.read.insert(id.to_owned());
        }
        for file in item.files() {
            if let Some(&n) = self.wanted.get(file) {
                self.found
                    .entry(n)
                    .or_insert_with(|| Found::Item(Box::new(item.clone())));
            }
        }
        if let Some((n, file)) = self.holders.get(id)
            && !item.files().any(|f| f == file)
        {
            self.found
                .entry(*n)
                .or_insert_with(|| Found::Gone(format!("Plex's item {id} no longer holds it")));
        }
    }

    /// Item `id` was deleted.
    fn deleted(&mut self, id: &str) {
        if let Some((n, _)) = self.holders.get(id) {
            self.found
                .entry(*n)
                .or_insert_with(|| Found::Gone(format!("Plex deleted its item {id}")));
        }
    }
}

/// The action context intake work runs under: rule `intake`, the request
/// id where a rule run would put its event id.
fn context(request: &str, item: Option<String>) -> ActionContext {
    ActionContext {
        rule: "intake".to_owned(),
        run_id: RunId(0),
        event_id: request.to_owned(),
        item,
        event: serde_json::json!({ "request_id": request }),
        dry_run: false,
    }
}

/// True when `path` names a file (it has an extension and is not a
/// folder here): files are matched to items, folders only scanned.
fn is_file(path: &str) -> bool {
    let local = Path::new(path);
    local.extension().is_some() && !local.is_dir()
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

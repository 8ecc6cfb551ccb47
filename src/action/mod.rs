//! Executors: turn a [`ResolvedAction`] into the right Plex calls (or a
//! webhook, a program, a log line), one file per action kind; and the one
//! place that sequences a rule's actions and decides on retries.
//!
//! - [`Executor::execute`] runs one attempt of one action and reports an
//!   [`ActionOutcome`]; it never retries by itself.
//! - Run sequencing (`sequence.rs`): a rule's actions in order, stopping at
//!   the first failure. The daemon's [`Sequencer`] resumes a retried run at
//!   the action that failed; `explain` and `test` plan the same sequence
//!   ([`Executor::plan_run`]).
//! - Retries (`retry.rs`): [`RetryPolicy`] (8 attempts over at least
//!   5 minutes; a backoff from 5 s doubling to a 10 min cap, slower after a
//!   429) turns an attempt into a [`RunEnd`]. The daemon hands it to the
//!   engine (`Input::Retry` / `Input::Finished`), so a waiting retry is
//!   durable work in the journal.
//! - Pacing (`pacing.rs`): the one concurrency limit (`[scan] parallel`
//!   actions at once), one scan per section at a time, identical in-flight
//!   actions *joined* (the second caller waits for the first and gets its
//!   outcome). The request-rate bucket sits in the client and covers every
//!   request.
//! - Loop guard: before touching an item or section the executor registers it
//!   with [`SelfCauses`], and every `X-Plex-Activity` uuid Plex answers with.
//! - Dry run and plans ([`Executor::plan`], [`Recorder`], [`Canned`],
//!   [`FakeFiles`]): the same code with writes recorded, not sent.
//!
//! Executors, one file each: `scan.rs` (scan, refresh_section), `item.rs`
//! (refresh, analyze, unmatch), `matching.rs`, `edit.rs`, `tags.rs`,
//! `artwork.rs` (with `files.rs`), `activity.rs`, `webhook.rs`, `exec.rs`,
//! `log.rs`, `raw.rs`; `current.rs` reads the item they are about to change.

mod activity;
mod artwork;
mod collection;
mod current;
mod detect;
mod edit;
mod exec;
mod files;
mod item;
mod log;
mod matching;
mod outcome;
mod pacing;
mod plan;
mod raw;
mod retry;
mod scan;
mod sequence;
mod tags;
mod webhook;

pub use artwork::check_image_url;
pub use files::{ArtworkFiles, DiskFiles, FakeFiles, FileRefusal};
pub use outcome::ActionOutcome;
pub use plan::{Canned, Recorder};
pub use retry::{RetryPolicy, RunEnd};
pub use sequence::{ActionStep, Attempt, Sequencer};

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures::FutureExt;
use tokio::time::Instant;

use crate::config::Config;
use crate::engine::RunId;
use crate::event::SelfCauses;
use crate::journal::Journal;
use crate::plex::client::{RawResponse, Responder};
use crate::plex::pathmap::PathMap;
use crate::plex::scan::ScanOptions;
use crate::plex::{PlexClient, PlexError, PlexRequest};
use crate::rules::ResolvedAction;
use crate::service::metrics::Metrics;
use outcome::{Step, Stop};
use pacing::{InFlightGuard, Pacing};

/// Knobs of the executor, mostly from the config file.
#[derive(Debug, Clone)]
pub struct ExecutorSettings {
    /// Local ↔ Plex paths: scans map local paths to Plex; uploads map the
    /// item's Plex folder back to a local one.
    pub path_map: PathMap,
    /// The only folders uploads may read from (canonicalized before use).
    pub artwork_roots: Vec<PathBuf>,
    /// Actions running at once across all rules: `[scan] parallel` (the
    /// seed's `parallelScans`), the daemon's only concurrency limit.
    pub concurrency: usize,
    /// How scans are followed (polling, wait timeout). `wait` is normally
    /// true: a scan holds its section's lock until its activity ends.
    /// `full` is ignored (the action decides), and so is `parallel`: each
    /// section is scanned under its own lock, one scan at a time, and the
    /// action as a whole holds one of the `concurrency` slots.
    pub scan: ScanOptions,
    /// How long after touching an item or section its notifications count
    /// as our own (the loop guard's window).
    pub self_window: Duration,
    /// Webhook timeout when the rule sets none.
    pub webhook_timeout: Duration,
    /// `exec` timeout when the rule sets none; the program is killed then.
    pub exec_timeout: Duration,
    /// How many bytes of a program's stdout and stderr reach the log.
    pub exec_output_limit: usize,
}

impl Default for ExecutorSettings {
    fn default() -> ExecutorSettings {
        ExecutorSettings {
            path_map: PathMap::default(),
            artwork_roots: Vec::new(),
            concurrency: 3,
            scan: following_scans(),
            self_window: Duration::from_secs(120),
            webhook_timeout: Duration::from_secs(10),
            exec_timeout: Duration::from_secs(60),
            exec_output_limit: 4096,
        }
    }
}

impl ExecutorSettings {
    /// The settings a config file asks for.
    pub fn from_config(config: &Config) -> ExecutorSettings {
        ExecutorSettings {
            path_map: config.path_map.clone(),
            artwork_roots: config.artwork_roots.clone(),
            concurrency: config.scan.parallel,
            ..ExecutorSettings::default()
        }
    }
}

/// Scans are followed to their end (by the activity they started) while
/// the section's lock is held: that is what makes "never two scans at once
/// in one section" true across rules, not just "never two requests".
fn following_scans() -> ScanOptions {
    ScanOptions {
        // Each `run_scans` call here covers one section, so this number
        // never limits anything; the executor's slots do.
        parallel: 1,
        wait: true,
        poll_every: Duration::from_secs(1),
        unseen_grace: Duration::from_secs(10),
        wait_timeout: Some(Duration::from_secs(60 * 60)),
        ..ScanOptions::default()
    }
}

/// Who asked for an action: named in every log line about it, and the event
/// itself for `exec` (stdin) and `webhook`.
#[derive(Debug, Clone)]
pub struct ActionContext {
    /// The rule id.
    pub rule: String,
    /// The engine's run id (0 outside the engine: `explain`, tests).
    pub run_id: RunId,
    /// The event that fired the rule.
    pub event_id: String,
    /// The event's item, when it has one.
    pub item: Option<String>,
    /// The event as JSON (`exec` stdin).
    pub event: serde_json::Value,
    /// Log the requests instead of sending writes; run no program, post no
    /// webhook.
    pub dry_run: bool,
}

impl Default for ActionContext {
    fn default() -> ActionContext {
        ActionContext {
            rule: String::new(),
            run_id: RunId(0),
            event_id: String::new(),
            item: None,
            event: serde_json::Value::Null,
            dry_run: false,
        }
    }
}

/// Runs actions. Cheap to clone; clones share limits and in-flight state.
#[derive(Clone)]
pub struct Executor {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    client: PlexClient,
    settings: ExecutorSettings,
    self_causes: SelfCauses,
    journal: Option<Journal>,
    pacing: Pacing,
    /// For webhooks: not the Plex client, which carries the token. `None`
    /// when it could not be built (webhooks then fail, nothing panics).
    http: Option<reqwest::Client>,
    /// Upload hashes when there is no journal (tests, `explain`).
    uploads: Mutex<HashSet<(String, &'static str, String)>>,
    /// Where action outcomes are counted, once the daemon sets it.
    metrics: OnceLock<Metrics>,
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("client", &self.inner.client)
            .finish_non_exhaustive()
    }
}

impl Executor {
    /// An executor sending through `client`, registering its writes with
    /// `self_causes`, keeping upload hashes in `journal` (in memory when `None`).
    pub fn new(
        client: PlexClient,
        settings: ExecutorSettings,
        self_causes: SelfCauses,
        journal: Option<Journal>,
    ) -> Executor {
        let http = match reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
        {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::error!(error = %e.without_url(), "No HTTP client for webhooks; webhook actions will fail.");
                None
            }
        };
        Executor {
            inner: Arc::new(Inner {
                pacing: Pacing::new(settings.concurrency),
                client,
                settings,
                self_causes,
                journal,
                http,
                uploads: Mutex::new(HashSet::new()),
                metrics: OnceLock::new(),
            }),
        }
    }

    /// Counts every outcome (dry runs excepted) in `metrics` from now on;
    /// only the first call has an effect.
    pub fn count_in(&self, metrics: Metrics) {
        let _ = self.inner.metrics.set(metrics);
    }

    /// The settings in use.
    pub fn settings(&self) -> &ExecutorSettings {
        &self.inner.settings
    }

    /// One attempt at `action`. With `ctx.dry_run`, writes are logged (as
    /// `PlexRequest` Display) instead of sent; reads still go to Plex.
    /// Logs one line with the rule, run, event, item, outcome and duration.
    pub async fn execute(&self, action: &ResolvedAction, ctx: &ActionContext) -> ActionOutcome {
        let started = Instant::now();
        let (outcome, joined) = if ctx.dry_run {
            let recorder = Recorder::new(None).logging(ctx);
            (self.record(action, ctx, recorder, None).await.0, false)
        } else {
            self.execute_joined(action, ctx).await
        };
        log_outcome(action, ctx, &outcome, started.elapsed(), joined);
        if let Some(m) = self.inner.metrics.get()
            && !ctx.dry_run
        {
            m.action_outcome(action.name(), outcome.label());
        }
        outcome
    }

    /// Runs `action` with every request recorded and no write sent; reads
    /// are answered by `env.reads` (e.g. [`Canned`]) or, without, by the
    /// live server; artwork comes from `env.files` (e.g. [`FakeFiles`]) or
    /// the disk. Returns the outcome and the requests in order. Programs
    /// and webhooks are not run. For `explain` and `metarr-plex test`.
    pub async fn plan(
        &self,
        action: &ResolvedAction,
        ctx: &ActionContext,
        env: &PlanEnv,
    ) -> (ActionOutcome, Vec<PlexRequest>) {
        self.record(
            action,
            ctx,
            Recorder::new(env.reads.clone()),
            env.files.clone(),
        )
        .await
    }

    async fn record(
        &self,
        action: &ResolvedAction,
        ctx: &ActionContext,
        recorder: Recorder,
        files: Option<Arc<dyn ArtworkFiles>>,
    ) -> (ActionOutcome, Vec<PlexRequest>) {
        let recorder = Arc::new(recorder);
        let client = self.inner.client.with_responder(recorder.clone());
        let mut call = Call::new(&self.inner, client, ctx, true);
        if let Some(files) = files {
            call.files = files;
        }
        let outcome = call.finish(action, dispatch(&call, action).await);
        (outcome, recorder.requests())
    }

    async fn execute_joined(
        &self,
        action: &ResolvedAction,
        ctx: &ActionContext,
    ) -> (ActionOutcome, bool) {
        let key = dedup_key(action, ctx);
        let (fut, joined) = self.inner.pacing.join_or_start(&key, || {
            let this = self.clone();
            let action = action.clone();
            let ctx = ctx.clone();
            async move { this.run_live(&action, &ctx).await }
                .boxed()
                .shared()
        });
        if joined {
            return (fut.await, true);
        }
        let _guard = InFlightGuard {
            pacing: &self.inner.pacing,
            key,
        };
        (fut.await, false)
    }

    async fn run_live(&self, action: &ResolvedAction, ctx: &ActionContext) -> ActionOutcome {
        let Some(_slot) = self.inner.pacing.slot().await else {
            return ActionOutcome::transient("the executor is shutting down");
        };
        let call = Call::new(&self.inner, self.inner.client.clone(), ctx, false);
        call.finish(action, dispatch(&call, action).await)
    }
}

/// What a plan reads instead of the live server and the disk.
#[derive(Clone, Default)]
pub struct PlanEnv {
    /// Answers reads (`GET /library/metadata/42` → JSON); `None`: the server.
    pub reads: Option<Arc<dyn Responder>>,
    /// Local artwork; `None`: the disk, fenced by `artwork_roots`.
    pub files: Option<Arc<dyn ArtworkFiles>>,
}

/// Same action, same parameters (and for programs and webhooks, the same
/// event): the same work.
fn dedup_key(action: &ResolvedAction, ctx: &ActionContext) -> String {
    let params = serde_json::to_string(action).unwrap_or_else(|_| format!("{action:?}"));
    match action {
        ResolvedAction::Exec { .. } | ResolvedAction::Webhook { .. } => {
            format!("{params}\u{0}{}", ctx.event)
        }
        _ => params,
    }
}

async fn dispatch(call: &Call<'_>, action: &ResolvedAction) -> Step {
    match action {
        ResolvedAction::Scan { target } => scan::scan(call, target).await,
        ResolvedAction::RefreshSection { section, wait } => {
            scan::refresh_section(call, section, *wait).await
        }
        ResolvedAction::Refresh { item } => item::refresh(call, item).await,
        ResolvedAction::Analyze { item } => item::analyze(call, item).await,
        ResolvedAction::Unmatch { item } => item::unmatch(call, item).await,
        ResolvedAction::Match {
            item,
            target,
            agent,
        } => matching::apply(call, item, target, agent.as_deref()).await,
        ResolvedAction::Edit { item, fields, lock } => edit::edit(call, item, fields, *lock).await,
        ResolvedAction::Tags { item, change, tags } => tags::tags(call, item, *change, tags).await,
        ResolvedAction::Upload {
            item,
            image,
            source,
            if_missing,
        } => artwork::upload(call, item, *image, source, *if_missing).await,
        ResolvedAction::Detect {
            item,
            kind,
            force,
            wait,
        } => detect::detect(call, item, *kind, *force, *wait).await,
        ResolvedAction::Collection {
            item,
            section,
            title,
            change,
        } => collection::collection(call, item.as_deref(), section.as_deref(), title, change).await,
        ResolvedAction::CancelActivity { uuid } => activity::cancel(call, uuid).await,
        ResolvedAction::Webhook {
            url,
            body,
            headers,
            timeout,
        } => webhook::post(call, url, body, headers, *timeout).await,
        ResolvedAction::Exec { argv, timeout } => exec::run(call, argv, *timeout).await,
        ResolvedAction::Log { message, level } => log::write(call, message, level),
        ResolvedAction::Plex {
            method,
            path,
            query,
        } => raw::send(call, method, path, query).await,
    }
}

/// What an action is about, for "… is gone" and log lines.
fn target_of(action: &ResolvedAction) -> String {
    match action {
        ResolvedAction::Refresh { item }
        | ResolvedAction::Analyze { item }
        | ResolvedAction::Unmatch { item }
        | ResolvedAction::Match { item, .. }
        | ResolvedAction::Edit { item, .. }
        | ResolvedAction::Tags { item, .. }
        | ResolvedAction::Upload { item, .. }
        | ResolvedAction::Detect { item, .. } => format!("item {item}"),
        ResolvedAction::Collection { title, .. } => format!("collection \"{title}\""),
        ResolvedAction::RefreshSection { section, .. } => format!("section {section}"),
        ResolvedAction::Scan { .. } => "the scanned folder".to_owned(),
        ResolvedAction::CancelActivity { uuid } => format!("activity {uuid}"),
        ResolvedAction::Plex { path, .. } => format!("`{path}`"),
        ResolvedAction::Webhook { .. }
        | ResolvedAction::Exec { .. }
        | ResolvedAction::Log { .. } => "the target".to_owned(),
    }
}

fn log_outcome(
    action: &ResolvedAction,
    ctx: &ActionContext,
    outcome: &ActionOutcome,
    elapsed: Duration,
    joined: bool,
) {
    let item = ctx.item.as_deref().unwrap_or("-");
    let duration_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
    let (rule, run_id, event_id, name) = (&ctx.rule, ctx.run_id, &ctx.event_id, action.name());
    match outcome {
        ActionOutcome::Done { requests, detail } => tracing::info!(
            rule = %rule, run_id = %run_id, event_id = %event_id, item = %item, action = name,
            outcome = "done", duration_ms, requests, joined, dry_run = ctx.dry_run, detail = %detail,
            "Action done."
        ),
        ActionOutcome::Skipped { reason } => tracing::info!(
            rule = %rule, run_id = %run_id, event_id = %event_id, item = %item, action = name,
            outcome = "skipped", duration_ms, joined, dry_run = ctx.dry_run, reason = %reason,
            "Action skipped."
        ),
        ActionOutcome::Failed {
            error,
            retryable,
            retry_after,
        } => tracing::warn!(
            rule = %rule, run_id = %run_id, event_id = %event_id, item = %item, action = name,
            outcome = "failed", duration_ms, joined, dry_run = ctx.dry_run, retryable = *retryable,
            retry_after_s = retry_after.map(|d| d.as_secs()), error = %error,
            "Action failed."
        ),
    }
}

/// One attempt in progress: the client to use (live, or recording in a dry
/// run), the request count, and the loop-guard registrations.
pub(crate) struct Call<'a> {
    exec: &'a Inner,
    client: PlexClient,
    ctx: &'a ActionContext,
    dry_run: bool,
    sent: AtomicUsize,
    files: Arc<dyn ArtworkFiles>,
}

impl<'a> Call<'a> {
    fn new(exec: &'a Inner, client: PlexClient, ctx: &'a ActionContext, dry_run: bool) -> Call<'a> {
        Call {
            exec,
            client,
            ctx,
            dry_run,
            sent: AtomicUsize::new(0),
            files: Arc::new(DiskFiles),
        }
    }

    /// Sends one request, counting it (in a dry run the recorder answers
    /// writes and logs them). An `X-Plex-Activity` uuid in the
    /// answer is registered as ours.
    pub(crate) async fn send(&self, req: &PlexRequest) -> Result<RawResponse, PlexError> {
        self.sent.fetch_add(1, Ordering::Relaxed);
        let resp = self.client.send_raw(req).await?;
        if !self.dry_run
            && let Some(uuid) = resp.activity_uuid()
        {
            self.exec.self_causes.activity(&uuid);
        }
        Ok(resp)
    }

    /// Counts requests made through the client's typed helpers.
    pub(crate) fn count(&self, n: usize) {
        self.sent.fetch_add(n, Ordering::Relaxed);
    }

    /// The client (recording in a dry run).
    pub(crate) fn client(&self) -> &PlexClient {
        &self.client
    }

    /// The executor's settings.
    pub(crate) fn settings(&self) -> &ExecutorSettings {
        &self.exec.settings
    }

    /// Where artwork is read from.
    pub(crate) fn files(&self) -> Arc<dyn ArtworkFiles> {
        self.files.clone()
    }

    /// The caller.
    pub(crate) fn ctx(&self) -> &ActionContext {
        self.ctx
    }

    /// True when nothing may be changed.
    pub(crate) fn dry_run(&self) -> bool {
        self.dry_run
    }

    /// The executor's shared state.
    pub(crate) fn exec(&self) -> &Inner {
        self.exec
    }

    /// About to change item `id`: the loop guard marks its events as ours.
    pub(crate) fn touch_item(&self, id: &str) {
        if !self.dry_run {
            self.exec
                .self_causes
                .touching_item(id, self.exec.settings.self_window);
        }
    }

    /// About to scan section `id`.
    pub(crate) fn touch_section(&self, id: &str) {
        if !self.dry_run {
            self.exec
                .self_causes
                .touching_section(id, self.exec.settings.self_window);
        }
    }

    fn finish(&self, action: &ResolvedAction, step: Step) -> ActionOutcome {
        match step {
            Ok(detail) => ActionOutcome::Done {
                requests: self.sent.load(Ordering::Relaxed),
                detail,
            },
            Err(Stop::Outcome(o)) => o,
            Err(Stop::Plex(e)) => ActionOutcome::from_plex(&e, &target_of(action)),
        }
    }
}

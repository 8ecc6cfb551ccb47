//! `metarr-plex run`: the daemon, wired end to end.
//!
//! listener → [`dispatch`] (events → rules → engine inputs) → engine
//! [`Driver`](crate::engine::Driver) (flow control, journal) → [`run_loop`]
//! (one attempt per started run through [`crate::action::Sequencer`]:
//! actions in order, retries, dead letters) → Plex.
//!
//! - [`pending`]: journal first, then interpret — events whose rules need
//!   item facts wait in the journal for the facts worker's batched reads
//!   ([`facts`]); [`interpret`] turns an event and its facts into triggers.
//! - [`work`]: the payload each run carries through the journal.
//! - [`chain`]: chain depth, the loop guard's last line.
//! - [`lock`]: one daemon per state dir.
//! - [`start`](StartError): why a start failed, by kind (the CLI maps it
//!   to an exit code).
//!
//! [`Daemon::start`] returns once config, rules and the engine are up (also
//! while Plex is down) and READY was sent; [`Daemon::reload`] swaps rules
//! validate-then-swap; [`Daemon::stop`] drains.

mod chain;
mod dispatch;
mod facts;
mod interpret;
pub mod lock;
mod pending;
mod run_loop;
mod start;
mod watermark;
pub mod work;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use lock::{LockError, StateLock};
pub use start::StartError;
pub use work::Work;

use crate::action::{Executor, ExecutorSettings, RetryPolicy, Sequencer};
use crate::config::Config;
use crate::engine::{Clock, Command, Driver, EngineHandle, Flow};
use crate::event::{Normalizer, NormalizerConfig, SelfCauses};
use crate::journal::Journal;
use crate::plex::PlexClient;
use crate::plex::reachability::{Down, Reachability, ReachabilitySender};
use crate::plex::snapshot::ItemSnapshots;
use crate::rules::{RuleSet, RuleStore, RuleWatch, load_dir, load_sources};
use crate::service::Service;
use crate::service::health::HealthSettings;
use crate::service::metrics::Metrics;
use crate::service::sd_notify::Notifier;
use crate::source::intake::{BoundIntake, Intake, IntakeDeps, StreamTap};
use crate::source::listener::{
    ConnectionState, Listener, ListenerConfig, NormalizedPipeline, backlog,
};

/// How long [`Daemon::stop`] lets in-flight runs finish before it persists
/// them as they are (they run again after the restart).
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the start waits for Plex to say who is playing.
const SESSIONS_AT_START: Duration = Duration::from_secs(5);

/// How often the dispatcher beats and refreshes the queue gauges.
const DISPATCH_BEAT: Duration = Duration::from_secs(30);

/// Events from the intake waiting for the dispatcher; the intake answers
/// its callers only after the journal write, so waiting here loses nothing.
const INTAKE_EVENTS: usize = 256;

/// Where the rules come from.
#[derive(Debug, Clone)]
pub enum RulesSource {
    /// A rules directory, re-read on reload.
    Dir(PathBuf),
    /// Rule files given as (name, text): the demo's embedded rules.
    Embedded(Vec<(PathBuf, String)>),
}

/// Everything `run` needs, resolved by the CLI.
pub struct Options {
    /// The validated config.
    pub config: Config,
    /// The REST client (identity, token, TLS).
    pub client: PlexClient,
    /// The journal and the lock live here.
    pub state_dir: PathBuf,
    /// The rules.
    pub rules: RulesSource,
    /// Log the requests instead of sending them.
    pub dry_run: bool,
    /// sd_notify (a no-op outside systemd).
    pub notifier: Notifier,
    /// Listener timings (tests shorten them).
    pub listener: Option<ListenerConfig>,
}

/// A running daemon.
pub struct Daemon {
    rules: Arc<ArcSwap<RuleSet>>,
    source: RulesSource,
    /// For a rules directory: validate-then-swap reloads (SIGHUP and file
    /// changes share it, so a broken edit is reported once, not per trigger).
    store: Option<Arc<RuleStore>>,
    /// Watches the rules directory while the daemon runs (dropped on stop).
    _watch: Option<RuleWatch>,
    service: Service,
    /// For STOPPING=1 (the service sends READY and STATUS).
    notifier: Notifier,
    /// Stops the listener (first step of a drain).
    stop_listener: CancellationToken,
    /// Stops the engine loop (after the run loop drained).
    stop_engine: CancellationToken,
    /// Cuts the drain short.
    drain: CancellationToken,
    /// Everything else that listens for the end (service, status).
    shutdown: CancellationToken,
    listener: JoinHandle<()>,
    dispatcher: JoinHandle<()>,
    run_loop: JoinHandle<()>,
    engine: JoinHandle<()>,
    /// The HTTP intake, when `[intake] listen` is set.
    intake: Option<Intake>,
    journal: Journal,
    _lock: StateLock,
}

/// The rules in force and, for a directory, the store that reloads them.
struct Rules {
    current: Arc<ArcSwap<RuleSet>>,
    store: Option<Arc<RuleStore>>,
}

/// The engine loop, started.
struct Engine {
    handle: EngineHandle<Work>,
    commands: mpsc::Receiver<Command<Work>>,
    task: JoinHandle<()>,
    stop: CancellationToken,
}

impl Daemon {
    /// Takes the state dir, loads the rules, restores the engine from the
    /// journal, and starts the run loop, the listener and the dispatcher.
    pub async fn start(opts: Options) -> Result<Daemon, StartError> {
        let lock = StateLock::acquire(&opts.state_dir)?;
        let journal = Journal::open(&opts.state_dir).await?;
        let rules = open_rules(&opts.rules)?;
        tracing::info!(
            rules = rules.current.load().rules().len(),
            dry_run = opts.dry_run,
            "Starting the daemon."
        );
        let watch = rules.store.as_ref().and_then(watch_rules);
        let shutdown = CancellationToken::new();
        let health = HealthSettings {
            listen: opts.config.health.listen,
        };
        let service = Service::start(opts.notifier.clone(), &health, &shutdown)
            .await
            .map_err(StartError::Health)?;
        let metrics = service.metrics.clone();
        opts.client.count_in(Arc::new(metrics.clone()));
        let playing = sessions_at_start(&opts.client).await;
        let engine = start_engine(&journal, !playing.is_empty()).await?;
        let self_causes = SelfCauses::new();
        let chains = chain::Chains::default();
        let drain = CancellationToken::new();
        let (reachable, reachability) = Reachability::channel();
        let snapshots = ItemSnapshots::new();
        let executor = executor(&opts, &journal, &self_causes, &metrics);
        executor.share_snapshots(snapshots.clone());
        let run_loop = run_loop::RunLoop {
            sequencer: Arc::new(Sequencer::new(executor.clone(), RetryPolicy::default())),
            engine: engine.handle.clone(),
            metrics: metrics.clone(),
            dry_run: opts.dry_run,
            chains: chains.clone(),
            reachability: reachability.clone(),
        };
        let run_loop = tokio::spawn(run_loop.run(engine.commands, drain.clone()));
        let (intake_events, other_events) = mpsc::channel(INTAKE_EVENTS);
        let intake = start_intake(&opts, &journal, executor, intake_events).await?;
        let listener = build_listener(
            &opts,
            &journal,
            self_causes,
            &service,
            reachable,
            snapshots.clone(),
        )
        .await?;
        let (events_tx, events_rx) = backlog::channel(backlog::DEFAULT_LIMIT);
        let stop_listener = CancellationToken::new();
        tracing::info!(url = %listener.url(), "Listening to Plex notifications.");
        let listener = tokio::spawn(listener.run(events_tx, stop_listener.clone()));
        let interpreter = interpret::Interpreter {
            rules: Arc::clone(&rules.current),
            engine: engine.handle.clone(),
            chains,
            metrics: metrics.clone(),
        };
        let facts = facts::CachedFacts::new(opts.client.clone(), snapshots);
        let (pending, worker) = pending::channel(
            interpreter.clone(),
            facts.clone(),
            journal.clone(),
            reachability,
        );
        let dispatcher = dispatch::Dispatcher {
            interpreter,
            engine: engine.handle,
            facts,
            journal: journal.clone(),
            pending,
            metrics: metrics.clone(),
            sessions: playing,
        };
        let dispatcher = tokio::spawn(dispatch_events(
            dispatcher,
            worker,
            events_rx,
            other_events,
            intake.as_ref().map(Intake::tap),
            journal.clone(),
            service.heartbeats.register("dispatch", DISPATCH_BEAT),
        ));
        service.ready();
        tracing::info!("Daemon ready.");
        Ok(Daemon {
            rules: rules.current,
            source: opts.rules,
            store: rules.store,
            _watch: watch,
            service,
            notifier: opts.notifier,
            stop_listener,
            stop_engine: engine.stop,
            drain,
            shutdown,
            listener,
            dispatcher,
            run_loop,
            engine: engine.task,
            intake,
            journal,
            _lock: lock,
        })
    }

    /// The daemon's metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.service.metrics
    }

    /// The journal (tests and the demo read it).
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Where the intake listens, when enabled.
    pub fn intake_addr(&self) -> Option<std::net::SocketAddr> {
        self.intake.as_ref().and_then(Intake::addr)
    }

    /// Where the health endpoint listens, when enabled.
    pub fn health_addr(&self) -> Option<std::net::SocketAddr> {
        self.service.health_addr()
    }

    /// Re-reads the rules; swaps them in only if they load without errors,
    /// else keeps the old ones and logs why (once per reload).
    pub fn reload(&self) -> bool {
        self.service.reloading();
        if let Some(store) = &self.store {
            // The store logs a swap and the diagnostics of a broken edit
            // (once); an explicit reload of unchanged files is said here.
            let ok = match store.reload() {
                Ok(crate::rules::Reloaded::Unchanged) => {
                    let rules = self.rules.load().rules().len();
                    tracing::info!(rules, changed = false, "Rules reloaded.");
                    true
                }
                Ok(crate::rules::Reloaded::Swapped { .. }) => true,
                Err(_) => false,
            };
            self.service.ready();
            return ok;
        }
        let ok = match load_rules(&self.source) {
            Ok(rules) => {
                tracing::info!(rules = rules.rules().len(), "Rules reloaded.");
                self.rules.store(Arc::new(rules));
                true
            }
            Err(why) => {
                tracing::error!(error = %why, "The edited rules have errors; the previous rules stay in force.");
                false
            }
        };
        self.service.ready();
        ok
    }

    /// Drains: stops taking events, lets in-flight runs finish within
    /// `bound` (what is cut short stays in the journal), closes the socket.
    pub async fn stop(mut self, bound: Duration) {
        self.notifier.stopping();
        tracing::info!("Stopping: no more events are taken.");
        if let Some(intake) = self.intake.take() {
            intake.stop().await;
        }
        self.stop_listener.cancel();
        let _ = self.listener.await;
        let _ = self.dispatcher.await;
        // The engine stops first so no new run starts; the run loop then
        // waits for the runs it has.
        self.stop_engine.cancel();
        let _ = self.engine.await;
        let drain = self.drain.clone();
        let timer = tokio::spawn(async move {
            tokio::time::sleep(bound).await;
            drain.cancel();
        });
        let _ = self.run_loop.await;
        timer.abort();
        self.shutdown.cancel();
        self.service.stopped().await;
        tracing::info!("Stopped.");
    }
}

/// The rules, from a directory (through a [`RuleStore`], which reloads)
/// or embedded (the demo).
fn open_rules(source: &RulesSource) -> Result<Rules, StartError> {
    match source {
        RulesSource::Dir(dir) => {
            let store = Arc::new(RuleStore::open(dir)?);
            Ok(Rules {
                current: store.shared(),
                store: Some(store),
            })
        }
        RulesSource::Embedded(_) => Ok(Rules {
            current: Arc::new(ArcSwap::from_pointee(
                load_rules(source).map_err(StartError::EmbeddedRules)?,
            )),
            store: None,
        }),
    }
}

/// An edit in the rules directory reloads like SIGHUP does. Without a watch
/// (inotify limits), SIGHUP still works: say so, carry on.
fn watch_rules(store: &Arc<RuleStore>) -> Option<RuleWatch> {
    match store.watch() {
        Ok(w) => Some(w),
        Err(e) => {
            tracing::warn!(error = %e, "Cannot watch the rules directory; reload with SIGHUP (systemctl reload).");
            None
        }
    }
}

/// Who is watching now: restored `when_idle` runs stay held, and the
/// dispatcher knows these sessions when their stop arrives. Plex being down
/// is no reason not to start; nobody is assumed to be watching then.
async fn sessions_at_start(client: &PlexClient) -> HashSet<String> {
    match tokio::time::timeout(SESSIONS_AT_START, client.sessions()).await {
        Ok(Ok(sessions)) => sessions.into_iter().filter_map(|s| s.session_key).collect(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "Cannot read the playback sessions at start; assuming nobody is watching.");
            HashSet::new()
        }
        Err(_) => {
            tracing::warn!(
                timeout_s = SESSIONS_AT_START.as_secs(),
                "Plex did not list the playback sessions in time at start; assuming nobody is watching."
            );
            HashSet::new()
        }
    }
}

/// The engine, restored from the journal and running.
async fn start_engine(journal: &Journal, busy: bool) -> Result<Engine, StartError> {
    let (commands_tx, commands) = mpsc::channel(1024);
    let (mut driver, handle) = Driver::new(
        Flow::new(),
        Some(journal.clone()),
        Clock::system(),
        commands_tx,
    );
    driver.restore().await.map_err(StartError::Restore)?;
    driver.assume_busy(busy);
    let stop = CancellationToken::new();
    let task = tokio::spawn(driver.run(stop.clone()));
    Ok(Engine {
        handle,
        commands,
        task,
        stop,
    })
}

/// The action executors behind the one retry policy, counting into `metrics`.
fn executor(
    opts: &Options,
    journal: &Journal,
    self_causes: &SelfCauses,
    metrics: &Metrics,
) -> Executor {
    let executor = Executor::new(
        opts.client.clone(),
        ExecutorSettings::from_config(&opts.config),
        self_causes.clone(),
        Some(journal.clone()),
    );
    executor.count_in(metrics.clone());
    executor
}

/// The HTTP intake, when `[intake] listen` is set: bound before READY (a
/// taken port or a missing key stops the start), its work going through the
/// daemon's executor (same limits, locks and loop guard), its events
/// joining the notification stream's on their way to the rules.
async fn start_intake(
    opts: &Options,
    journal: &Journal,
    executor: Executor,
    events: mpsc::Sender<crate::event::Event>,
) -> Result<Option<Intake>, StartError> {
    let bound = BoundIntake::bind(&opts.config.intake, journal.clone(), events.clone()).await?;
    Ok(bound.map(|bound| {
        bound.run(IntakeDeps {
            journal: journal.clone(),
            executor,
            client: opts.client.clone(),
            map: opts.config.path_map.clone(),
            events,
        })
    }))
}

/// The notification listener, normalizing into events (with our own
/// actions' marks from `self_causes`), its state followed by systemd's
/// STATUS and the connection gauge.
async fn build_listener(
    opts: &Options,
    journal: &Journal,
    self_causes: SelfCauses,
    service: &Service,
    reachable: ReachabilitySender,
    snapshots: ItemSnapshots,
) -> Result<Listener, StartError> {
    let mut config = match &opts.listener {
        Some(c) => c.clone(),
        None => ListenerConfig::from_config(&opts.config, &opts.client),
    };
    config.path = opts.config.server.notifications_path.clone();
    config.filters = opts.config.server.filters.clone();
    let normalizer = Normalizer::new(NormalizerConfig::default()).with_self_causes(self_causes);
    let watermark = watermark::JournalWatermark::load(journal.clone()).await;
    let listener = Listener::new(
        config,
        Box::new(NormalizedPipeline::new(normalizer)),
        Arc::new(opts.client.clone()),
        Arc::new(watermark),
    )
    .map_err(StartError::Listener)?
    .with_heartbeat(service.heartbeats.register("listener", DISPATCH_BEAT));
    let server_url = opts.client.base_url().clone();
    service.status.follow(listener.state(), move |state| {
        state.service_status(&server_url)
    });
    follow_connection_gauge(&listener, opts.client.base_url().clone(), &service.metrics);
    follow_reachability(&listener, reachable, snapshots);
    Ok(listener)
}

/// Tells the work that sends requests whether Plex can be asked, from the
/// listener's state: a failed connection or a refused token holds it; the
/// first attempt and a stopped listener do not (nothing says Plex is down).
/// Every change of state also drops the item snapshots: while the stream
/// was not up, changes may have gone unannounced.
fn follow_reachability(
    listener: &Listener,
    reachable: ReachabilitySender,
    snapshots: ItemSnapshots,
) {
    let mut states = listener.state();
    tokio::spawn(async move {
        loop {
            snapshots.clear();
            match &*states.borrow_and_update() {
                ConnectionState::Reconnecting { .. } => reachable.down(Down::Unreachable),
                ConnectionState::AuthFailed { .. } => reachable.down(Down::TokenRejected),
                ConnectionState::Connecting
                | ConnectionState::Connected { .. }
                | ConnectionState::Stopped => reachable.up(),
            }
            if states.changed().await.is_err() {
                reachable.up();
                break;
            }
        }
    });
}

/// Keeps the connection-state gauge on the listener's state.
fn follow_connection_gauge(listener: &Listener, server: url::Url, metrics: &Metrics) {
    let metrics = metrics.clone();
    let mut states = listener.state();
    tokio::spawn(async move {
        loop {
            let phase = states.borrow_and_update().service_status(&server).phase;
            metrics.set_connection_state(phase);
            if states.changed().await.is_err() {
                break;
            }
        }
    });
}

/// The dispatcher's task: each event through the rules into the engine
/// (those that need item facts through the facts worker, which runs beside
/// it, after the journal's pending events it replays first); between
/// events, a heartbeat and the queue gauges (counted by the journal, not
/// loaded row by row). The stream's events are also offered to the intake
/// (`tap`), which confirms its scans by them. Ends once the worker has done
/// what it can.
async fn dispatch_events(
    mut dispatcher: dispatch::Dispatcher,
    worker: pending::FactsWorker,
    mut events: backlog::Receiver,
    mut others: mpsc::Receiver<crate::event::Event>,
    tap: Option<StreamTap>,
    journal: Journal,
    heartbeat: crate::service::heartbeat::Heartbeat,
) {
    pending::FactsWorker::replay(&dispatcher.pending, &journal).await;
    let worker = tokio::spawn(worker.run());
    let mut tick = tokio::time::interval(heartbeat.period());
    loop {
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else { break };
                heartbeat.beat();
                if let Some(tap) = &tap {
                    tap.offer(&event);
                }
                if let Err(e) = dispatcher.handle(event).await {
                    tracing::error!(error = %e, "The engine stopped; no more events are taken.");
                    break;
                }
            }
            // Other sources (the intake); the stream's end ends the loop.
            Some(event) = others.recv() => {
                heartbeat.beat();
                if let Err(e) = dispatcher.handle(event).await {
                    tracing::error!(error = %e, "The engine stopped; no more events are taken.");
                    break;
                }
            }
            _ = tick.tick() => {
                heartbeat.beat();
                match journal.depth().await {
                    Ok(depth) => {
                        dispatcher.metrics.set_queue_depth(depth.waiting);
                        dispatcher.metrics.set_dead_letters(depth.dead);
                    }
                    Err(e) => tracing::warn!(error = %e, "Cannot count the queued runs for the metrics."),
                }
                match journal.pending_count().await {
                    Ok(n) => dispatcher.metrics.set_pending_events(n),
                    Err(e) => tracing::warn!(error = %e, "Cannot count the pending events for the metrics."),
                }
            }
        }
    }
    // The worker ends when its queue is empty, or at its next failed read.
    drop(dispatcher);
    match worker.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            tracing::error!(error = %e, "The engine stopped while events waited for their item's metadata; they are replayed at the next start.")
        }
        Err(e) => tracing::error!(error = %e, "The facts worker failed."),
    }
}

fn load_rules(source: &RulesSource) -> Result<RuleSet, String> {
    let loaded = match source {
        RulesSource::Dir(dir) => load_dir(dir).map_err(|e| e.to_string())?,
        RulesSource::Embedded(files) => load_sources(files.clone()),
    };
    if loaded.has_errors() {
        let text = crate::rules::render_human(&loaded, false);
        return Err(format!("the rules have errors:\n{text}"));
    }
    Ok(loaded.rules)
}

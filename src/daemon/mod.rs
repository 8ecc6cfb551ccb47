//! `metarr-plex run`: the daemon, wired end to end.
//!
//! listener → [`dispatch`] (events → rules → engine inputs) → engine
//! [`Driver`](crate::engine::Driver) (flow control, journal) → [`executor`]
//! (actions under the global limit, retries, dead letters) → Plex.
//!
//! - [`work`]: the payload each run carries through the journal.
//! - [`runner`]: the [`ActionRunner`] seam the action executors plug into.
//! - [`chain`]: chain depth, the loop guard's last line.
//! - [`lock`]: one daemon per state dir.
//!
//! [`Daemon::start`] returns once config, rules and the engine are up (also
//! while Plex is down) and READY was sent; [`Daemon::reload`] swaps rules
//! validate-then-swap; [`Daemon::stop`] drains.

mod chain;
mod dispatch;
mod executor;
mod facts;
pub mod lock;
pub mod runner;
mod watermark;
pub mod work;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;

use crate::rules::{RuleStore, RuleWatch};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use lock::{LockError, StateLock};
pub use runner::{ActionContext, ActionOutcome, ActionRunner};
pub use work::Work;

use crate::action::{Executor, ExecutorSettings};
use crate::config::Config;
use crate::engine::{Clock, Driver, Flow};
use crate::event::{Normalizer, NormalizerConfig, SelfCauses};
use crate::journal::{Journal, JournalError, RunState};
use crate::plex::PlexClient;
use crate::rules::{RuleSet, load_dir, load_sources};
use crate::service::Service;
use crate::service::health::HealthSettings;
use crate::service::metrics::Metrics;
use crate::service::sd_notify::Notifier;
use crate::source::intake::{BoundIntake, Intake, IntakeDeps};
use crate::source::listener::{Listener, ListenerConfig, NormalizedPipeline};

/// How long [`Daemon::stop`] lets in-flight runs finish before it persists
/// them as they are (they run again after the restart).
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

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

/// Why the daemon could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The state dir is another daemon's.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The journal could not be opened.
    #[error("cannot open the journal: {0}")]
    Journal(#[from] JournalError),
    /// The rules could not be loaded or have errors.
    #[error("{0}")]
    Rules(String),
    /// The listener could not be set up.
    #[error("cannot listen to Plex: {0}")]
    Listener(String),
    /// The health endpoint could not bind.
    #[error("cannot start the health endpoint: {0}")]
    Health(String),
    /// The intake could not bind or has no key where it needs one.
    #[error(transparent)]
    Intake(#[from] crate::source::intake::IntakeStartError),
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
    /// Stops the engine loop (after the executor drained).
    stop_engine: CancellationToken,
    /// Cuts the drain short.
    drain: CancellationToken,
    /// Everything else that listens for the end (service, status).
    shutdown: CancellationToken,
    listener: JoinHandle<()>,
    dispatcher: JoinHandle<()>,
    executor: JoinHandle<()>,
    engine: JoinHandle<()>,
    journal: Journal,
    /// Where events from other sources (the intake) join the stream's.
    events: mpsc::Sender<crate::event::Event>,
    /// The HTTP intake, when `[intake] listen` is set.
    intake: Option<Intake>,
    _lock: StateLock,
}

impl Daemon {
    /// Starts with the action executors ([`crate::action::Executor`]).
    pub async fn start(opts: Options) -> Result<Daemon, StartError> {
        let journal = Journal::open(&opts.state_dir).await?;
        let self_causes = SelfCauses::new();
        let mut settings = ExecutorSettings::from_config(&opts.config);
        settings.artwork_roots = artwork_roots(&opts.config);
        let runner = Executor::new(
            opts.client.clone(),
            settings,
            self_causes.clone(),
            Some(journal.clone()),
        );
        let (config, client) = (opts.config.clone(), opts.client.clone());
        let (intake_events, intake_rx) = mpsc::channel(256);
        let intake = BoundIntake::bind(&config.intake, journal.clone(), intake_events).await?;
        let mut daemon =
            Daemon::start_with(opts, journal.clone(), self_causes, runner.clone()).await?;
        daemon.start_intake(intake, intake_rx, config, client, runner);
        Ok(daemon)
    }

    /// Starts the HTTP intake (bound before the rest started), its work
    /// going through the daemon's executor and its events to the rules.
    fn start_intake(
        &mut self,
        bound: Option<BoundIntake>,
        mut events: mpsc::Receiver<crate::event::Event>,
        config: Config,
        client: PlexClient,
        executor: Executor,
    ) {
        let Some(bound) = bound else { return };
        let to_rules = self.events.clone();
        tokio::spawn(async move {
            while let Some(e) = events.recv().await {
                if to_rules.send(e).await.is_err() {
                    break;
                }
            }
        });
        self.intake = Some(bound.run(IntakeDeps {
            journal: self.journal.clone(),
            executor,
            client,
            map: config.path_map.clone(),
            events: self.events.clone(),
        }));
    }

    /// Starts with any action runner (tests use fakes). `self_causes` must
    /// be the registry the runner writes what it touches to.
    pub async fn start_with<R: ActionRunner>(
        opts: Options,
        journal: Journal,
        self_causes: SelfCauses,
        runner: R,
    ) -> Result<Daemon, StartError> {
        let lock = StateLock::acquire(&opts.state_dir)?;
        let (rules, store) = match &opts.rules {
            RulesSource::Dir(dir) => {
                let store =
                    Arc::new(RuleStore::open(dir).map_err(|e| StartError::Rules(e.to_string()))?);
                (store.shared(), Some(store))
            }
            RulesSource::Embedded(_) => {
                let rules = load_rules(&opts.rules).map_err(StartError::Rules)?;
                (Arc::new(ArcSwap::from_pointee(rules)), None)
            }
        };
        tracing::info!(
            rules = rules.load().rules().len(),
            dry_run = opts.dry_run,
            "Starting the daemon."
        );
        // An edit in the rules directory reloads like SIGHUP does. Without
        // a watch (inotify limits), SIGHUP still works: say so, carry on.
        let watch = match &store {
            Some(store) => match store.watch() {
                Ok(w) => Some(w),
                Err(e) => {
                    tracing::warn!(error = %e, "Cannot watch the rules directory; reload with SIGHUP (systemctl reload).");
                    None
                }
            },
            None => None,
        };

        let shutdown = CancellationToken::new();
        let health = HealthSettings {
            listen: opts.config.health.listen,
        };
        let service = Service::start(opts.notifier.clone(), &health, &shutdown)
            .await
            .map_err(|e| StartError::Health(e.to_string()))?;
        let metrics = service.metrics.clone();
        opts.client.count_in(std::sync::Arc::new(metrics.clone()));

        // The engine, restored from the journal.
        let (commands_tx, commands_rx) = mpsc::channel(1024);
        let (mut driver, engine) = Driver::new(
            Flow::new(),
            Some(journal.clone()),
            Clock::system(),
            commands_tx,
        );
        driver.restore().await?;
        // Who is watching now: restored `when_idle` runs stay held, and the
        // dispatcher knows these sessions when their stop arrives.
        let playing: HashSet<String> =
            match tokio::time::timeout(Duration::from_secs(5), opts.client.sessions()).await {
                Ok(Ok(sessions)) => sessions.into_iter().filter_map(|s| s.session_key).collect(),
                _ => HashSet::new(),
            };
        driver.assume_busy(!playing.is_empty());
        let stop_engine = CancellationToken::new();
        let engine_task = tokio::spawn(driver.run(stop_engine.clone()));

        // The executor.
        let chains = chain::Chains::default();
        let drain = CancellationToken::new();
        runner.count_in(metrics.clone());
        let executor = executor::Executor {
            runner: Arc::new(runner),
            engine: engine.clone(),
            limit: Arc::new(Semaphore::new(opts.config.scan.parallel.max(1))),
            metrics: metrics.clone(),
            self_causes: self_causes.clone(),
            dry_run: opts.dry_run,
            progress: Arc::new(Mutex::new(HashMap::new())),
            chains: chains.clone(),
        };
        let executor_task = tokio::spawn(executor.run(commands_rx, drain.clone()));

        // The listener.
        let mut listener_config = match opts.listener {
            Some(c) => c,
            None => ListenerConfig::from_config(&opts.config, &opts.client),
        };
        listener_config.path = opts.config.server.notifications_path.clone();
        listener_config.filters = opts.config.server.filters.clone();
        let normalizer = Normalizer::new(NormalizerConfig::default()).with_self_causes(self_causes);
        let watermark = watermark::JournalWatermark::load(journal.clone()).await;
        let listener = Listener::new(
            listener_config,
            Box::new(NormalizedPipeline::new(normalizer)),
            Arc::new(opts.client.clone()),
            Arc::new(watermark),
        )
        .map_err(|e| StartError::Listener(e.to_string()))?
        .with_heartbeat(
            service
                .heartbeats
                .register("listener", Duration::from_secs(30)),
        );
        let url = listener.url().clone();
        let server_url = opts.client.base_url().clone();
        service.status.follow(listener.state(), move |state| {
            state.service_status(&server_url)
        });
        let metrics_state = metrics.clone();
        let mut states = listener.state();
        let metrics_url = opts.client.base_url().clone();
        tokio::spawn(async move {
            loop {
                let phase = states
                    .borrow_and_update()
                    .service_status(&metrics_url)
                    .phase;
                metrics_state.set_connection_state(phase);
                if states.changed().await.is_err() {
                    break;
                }
            }
        });
        let (events_tx, mut events_rx) = mpsc::channel(1024);
        let events = events_tx.clone();
        let stop_listener = CancellationToken::new();
        let listener_task = tokio::spawn(listener.run(events_tx, stop_listener.clone()));
        tracing::info!(url = %url, "Listening to Plex notifications.");

        // The dispatcher.
        let mut dispatcher = dispatch::Dispatcher {
            rules: Arc::clone(&rules),
            engine,
            facts: facts::CachedFacts::new(opts.client.clone()),
            chains,
            metrics: metrics.clone(),
            sessions: playing,
        };
        let heartbeat = service
            .heartbeats
            .register("dispatch", Duration::from_secs(30));
        let queue_journal = journal.clone();
        let dispatcher_task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(heartbeat.period());
            loop {
                tokio::select! {
                    event = events_rx.recv() => {
                        let Some(event) = event else { break };
                        heartbeat.beat();
                        if let Err(e) = dispatcher.handle(event).await {
                            tracing::error!(error = %e, "The engine stopped; no more events are taken.");
                            break;
                        }
                    }
                    _ = tick.tick() => {
                        heartbeat.beat();
                        if let Ok(records) = queue_journal.list().await {
                            let dead = records.iter().filter(|r| r.state == RunState::Dead).count();
                            let done = records.iter().filter(|r| r.state == RunState::Done).count();
                            dispatcher.metrics.set_queue_depth(records.len() - dead - done);
                            dispatcher.metrics.set_dead_letters(dead);
                        }
                    }
                }
            }
        });

        service.ready();
        tracing::info!("Daemon ready.");
        Ok(Daemon {
            rules,
            source: opts.rules,
            store,
            _watch: watch,
            service,
            notifier: opts.notifier,
            stop_listener,
            stop_engine,
            drain,
            shutdown,
            listener: listener_task,
            dispatcher: dispatcher_task,
            executor: executor_task,
            engine: engine_task,
            journal,
            events,
            intake: None,
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
        // The dispatcher ends once every sender of events is gone.
        drop(self.events);
        self.stop_listener.cancel();
        let _ = self.listener.await;
        let _ = self.dispatcher.await;
        // The engine stops first so no new run starts; the executor then
        // waits for the runs it has.
        self.stop_engine.cancel();
        let _ = self.engine.await;
        let drain = self.drain.clone();
        let timer = tokio::spawn(async move {
            tokio::time::sleep(bound).await;
            drain.cancel();
        });
        let _ = self.executor.await;
        timer.abort();
        self.shutdown.cancel();
        self.service.stopped().await;
        tracing::info!("Stopped.");
    }
}

/// The artwork roots: the configured ones, else the local side of every path mapping.
fn artwork_roots(config: &Config) -> Vec<PathBuf> {
    if !config.artwork_roots.is_empty() {
        return config.artwork_roots.clone();
    }
    config
        .path_map
        .rules()
        .iter()
        .map(|r| r.from.clone())
        .collect()
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

//! The run loop: takes the engine's `Start`/`Cancel`/`Dropped` commands,
//! gives each started run one attempt through the action module's
//! [`Sequencer`] (which owns sequencing, retries and the concurrency
//! limit), and reports the run's end back to the engine.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::chain::Chains;
use super::work::Work;
use crate::action::{ActionContext, RunEnd, Sequencer};
use crate::engine::{Command, EngineHandle, Run, RunId};
use crate::plex::reachability::Reachability;
use crate::service::metrics::Metrics;

/// What the loop needs besides the commands.
pub(crate) struct RunLoop {
    /// Runs each attempt (and decides on retries).
    pub sequencer: Arc<Sequencer>,
    /// Where ends are reported.
    pub engine: EngineHandle<Work>,
    /// Counters for `/metrics`.
    pub metrics: Metrics,
    /// Log requests instead of sending them.
    pub dry_run: bool,
    /// The chain depth of the last run per item and section, so an event
    /// our action caused knows how deep the chain is.
    pub chains: Chains,
    /// Whether Plex can be asked: an attempt waits while it cannot.
    pub reachability: Reachability,
}

impl RunLoop {
    /// Runs until the command channel closes, then waits for in-flight runs
    /// until `drain` fires (runs cut short stay `running` in the journal and
    /// run again after a restart).
    pub async fn run(self, mut commands: mpsc::Receiver<Command<Work>>, drain: CancellationToken) {
        let mut tasks = JoinSet::new();
        let mut cancels: HashMap<RunId, CancellationToken> = HashMap::new();
        let this = Arc::new(self);
        loop {
            tokio::select! {
                command = commands.recv() => {
                    let Some(command) = command else { break };
                    match command {
                        Command::Start(run) => {
                            let token = CancellationToken::new();
                            cancels.insert(run.run_id, token.clone());
                            let this = Arc::clone(&this);
                            tasks.spawn(async move { this.start(run, token).await });
                        }
                        Command::Cancel(id) => {
                            if let Some(token) = cancels.remove(&id) {
                                token.cancel();
                            }
                        }
                        Command::Dropped { rule, key, reason, .. } => {
                            tracing::info!(rule = %rule, key = %key, reason = reason.as_str(), "Run dropped.");
                            this.metrics.rule_run(&rule, reason.as_str());
                        }
                        Command::Persist(_) | Command::Cooldown { .. } | Command::Finished { .. } => {}
                    }
                }
                Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                    if let Ok(id) = done {
                        cancels.remove(&id);
                    }
                }
            }
        }
        tokio::select! {
            () = async { while tasks.join_next().await.is_some() {} } => {}
            () = drain.cancelled() => {
                if !tasks.is_empty() {
                    tracing::warn!(runs = tasks.len(), "Stopping with runs in flight; they run again after the restart.");
                }
                tasks.abort_all();
            }
        }
    }

    /// One attempt at `run`, then its end reported to the engine.
    async fn start(&self, run: Run<Work>, cancel: CancellationToken) -> RunId {
        let id = run.run_id;
        let work = &run.payload;
        self.chains.note(work);
        let ctx = ActionContext {
            rule: run.rule.clone(),
            run_id: id,
            event_id: work.event_id.clone(),
            item: work.item.clone(),
            event: work.event.clone(),
            dry_run: self.dry_run,
        };
        let started = Instant::now();
        let end = tokio::select! {
            end = self.attempt_while_reachable(&run, &ctx) => end,
            () = cancel.cancelled() => {
                self.sequencer.forget(id);
                tracing::info!(rule = %run.rule, run = %id, "Run cancelled (mode = restart).");
                return id;
            }
        };
        self.log_end(&run, &end, started.elapsed());
        if let Err(e) = self.engine.send(end.into_input(id)).await {
            tracing::warn!(run = %id, error = %e, "Could not report a run's end to the engine.");
        }
        id
    }

    /// One attempt, made only while Plex can be asked. An attempt that
    /// failed because Plex went away (the stream says it is down by the time
    /// the failure is in) did not test the run, so it is not spent: the run
    /// waits for Plex and tries again from the action that failed.
    async fn attempt_while_reachable(&self, run: &Run<Work>, ctx: &ActionContext) -> RunEnd {
        loop {
            if let Some(why) = self.reachability.down() {
                tracing::info!(rule = %run.rule, run = %run.run_id, plex = why.label(), "Plex cannot be asked; the run waits for it.");
                self.reachability.wait_up().await;
            }
            let end = self
                .sequencer
                .attempt(run.attempt, &run.payload.actions, ctx)
                .await;
            let transient = matches!(end, RunEnd::Retry { .. } | RunEnd::Dead { .. });
            match self.reachability.down() {
                Some(why) if transient => {
                    tracing::info!(rule = %run.rule, run = %run.run_id, plex = why.label(), "The attempt failed while Plex was down; it is not counted.");
                }
                _ => return end,
            }
        }
    }

    /// One line per attempt (each action has its own, from the executor),
    /// and the rule's run counter unless the run goes on.
    fn log_end(&self, run: &Run<Work>, end: &RunEnd, took: Duration) {
        let (rule, id, work) = (&run.rule, run.run_id, &run.payload);
        let (event, item, outcome) = (&work.event_id, work.item_label(), end.label());
        let duration_ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX);
        if !matches!(end, RunEnd::Retry { .. }) {
            self.metrics.rule_run(rule, outcome);
        }
        match end {
            RunEnd::Finished(_) => {
                tracing::info!(rule = %rule, run = %id, event = %event, item = %item, outcome, duration_ms, "Run finished.");
            }
            RunEnd::Failed { error } => {
                tracing::error!(rule = %rule, run = %id, event = %event, item = %item, outcome, duration_ms, error = %error, "Run failed.");
            }
            RunEnd::Retry { after, error } => {
                let retry_in_ms = u64::try_from(after.as_millis()).unwrap_or(u64::MAX);
                tracing::warn!(rule = %rule, run = %id, event = %event, item = %item, outcome, attempt = run.attempt, retry_in_ms, error = %error, "Run will be retried.");
            }
            RunEnd::Dead { error } => {
                tracing::error!(rule = %rule, run = %id, event = %event, item = %item, outcome, attempts = run.attempt, error = %error, "Run failed after its last attempt; it is in the dead-letter list (metarr-plex queue dead).");
            }
        }
    }
}

//! The executor loop: takes the engine's `Start`/`Cancel`/`Dropped`
//! commands, runs each started run's actions in order under the global
//! concurrency limit, and reports the end back to the engine (`Finished`, or
//! `Retry` with the action module's jittered backoff, or a dead letter after
//! the last attempt).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::runner::{ActionContext, ActionOutcome, ActionRunner};
use super::work::Work;
use crate::engine::{Command, EngineHandle, Input, Outcome, Run, RunId};
use crate::event::SelfCauses;
use crate::service::metrics::Metrics;

/// Attempts before a run becomes a dead letter.
pub const MAX_ATTEMPTS: u32 = 5;

/// What the loop needs besides the commands.
pub(crate) struct Executor<R> {
    /// Carries out single actions.
    pub runner: Arc<R>,
    /// Where ends are reported.
    pub engine: EngineHandle<Work>,
    /// At most this many runs at once (the seed's `parallelScans`).
    pub limit: Arc<Semaphore>,
    /// Counters for `/metrics`.
    pub metrics: Metrics,
    /// The loop guard registry actions write to.
    pub self_causes: SelfCauses,
    /// Log requests instead of sending them.
    pub dry_run: bool,
    /// Per run, how many of its actions are done: a retried run resumes
    /// after them, so an action that worked is not sent again.
    pub progress: Arc<Mutex<HashMap<RunId, usize>>>,
    /// The chain depth of the last run per item and section, so an event
    /// our action caused knows how deep the chain is.
    pub chains: super::chain::Chains,
}

impl<R: ActionRunner> Executor<R> {
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

    async fn start(&self, run: Run<Work>, cancel: CancellationToken) -> RunId {
        let id = run.run_id;
        let Ok(_permit) = self.limit.acquire().await else {
            return id;
        };
        let started = Instant::now();
        let end = tokio::select! {
            end = self.actions(&run) => end,
            () = cancel.cancelled() => {
                tracing::info!(rule = %run.rule, run = %id, "Run cancelled (mode = restart).");
                return id;
            }
        };
        let elapsed = started.elapsed();
        let input = match end {
            RunEnd::Done(outcome) => {
                self.forget(id);
                let label = match outcome {
                    Outcome::Ok => "ok",
                    Outcome::Skipped => "skipped",
                    Outcome::Failed => "failed",
                };
                self.metrics.rule_run(&run.rule, label);
                tracing::info!(rule = %run.rule, run = %id, event = %run.payload.event_id, item = %run.payload.item_label(), outcome = label, duration_ms = millis(elapsed), "Run finished.");
                Input::Finished {
                    run_id: id,
                    outcome,
                    error: None,
                }
            }
            RunEnd::Failed(error) => {
                self.forget(id);
                self.metrics.rule_run(&run.rule, "failed");
                tracing::error!(rule = %run.rule, run = %id, event = %run.payload.event_id, item = %run.payload.item_label(), outcome = "failed", duration_ms = millis(elapsed), error = %error, "Run failed.");
                Input::Finished {
                    run_id: id,
                    outcome: Outcome::Failed,
                    error: Some(error),
                }
            }
            RunEnd::Retry { error, after } if run.attempt >= MAX_ATTEMPTS => {
                self.forget(id);
                self.metrics.rule_run(&run.rule, "dead");
                tracing::error!(rule = %run.rule, run = %id, event = %run.payload.event_id, item = %run.payload.item_label(), outcome = "dead", attempts = run.attempt, error = %error, after = ?after, "Run failed after its last attempt; it is in the dead-letter list (metarr-plex queue dead).");
                Input::Finished {
                    run_id: id,
                    outcome: Outcome::Failed,
                    error: Some(error),
                }
            }
            RunEnd::Retry { error, after } => {
                let after = after.unwrap_or_else(|| crate::action::backoff(run.attempt));
                tracing::warn!(rule = %run.rule, run = %id, event = %run.payload.event_id, item = %run.payload.item_label(), outcome = "retry", attempt = run.attempt, retry_in_ms = millis(after), error = %error, "Run will be retried.");
                Input::Retry {
                    run_id: id,
                    after,
                    error: Some(error),
                }
            }
        };
        if let Err(e) = self.engine.send(input).await {
            tracing::warn!(run = %id, error = %e, "Could not report a run's end to the engine.");
        }
        id
    }

    /// The run's actions in order, from where a previous attempt stopped.
    async fn actions(&self, run: &Run<Work>) -> RunEnd {
        let work = &run.payload;
        let first = self
            .progress
            .lock()
            .map(|p| p.get(&run.run_id).copied().unwrap_or(0))
            .unwrap_or(0);
        self.chains.note(work);
        let ctx = ActionContext {
            rule: run.rule.clone(),
            run_id: run.run_id.0,
            event_id: work.event_id.clone(),
            item: work.item.clone(),
            event: work.event.clone(),
            section: work.section.clone(),
            dry_run: self.dry_run,
            self_causes: self.self_causes.clone(),
        };
        let mut any_done = false;
        // Actions the runner logs and counts itself are not logged twice.
        let quiet = self.runner.logs_actions();
        for (i, action) in work.actions.iter().enumerate().skip(first) {
            let started = Instant::now();
            let outcome = self.runner.execute(action, &ctx).await;
            let took = millis(started.elapsed());
            let name = action.name();
            match &outcome {
                ActionOutcome::Done => {
                    any_done = true;
                    if !quiet {
                        self.metrics.action_outcome(name, "ok");
                        tracing::info!(rule = %run.rule, run = %run.run_id, event = %work.event_id, item = %work.item_label(), action = name, outcome = "ok", duration_ms = took, "Action done.");
                    }
                }
                ActionOutcome::Skipped(why) => {
                    if !quiet {
                        self.metrics.action_outcome(name, "skipped");
                        tracing::info!(rule = %run.rule, run = %run.run_id, event = %work.event_id, item = %work.item_label(), action = name, outcome = "skipped", duration_ms = took, reason = %why, "Action skipped.");
                    }
                }
                ActionOutcome::Retry { error, after } => {
                    if !quiet {
                        self.metrics.action_outcome(name, "retry");
                    }
                    tracing::warn!(rule = %run.rule, run = %run.run_id, event = %work.event_id, item = %work.item_label(), action = name, outcome = "retry", duration_ms = took, error = %error, "Action failed; the run will be retried.");
                    return RunEnd::Retry {
                        error: error.clone(),
                        after: *after,
                    };
                }
                ActionOutcome::Failed(error) => {
                    if !quiet {
                        self.metrics.action_outcome(name, "failed");
                    }
                    tracing::error!(rule = %run.rule, run = %run.run_id, event = %work.event_id, item = %work.item_label(), action = name, outcome = "failed", duration_ms = took, error = %error, "Action failed.");
                    return RunEnd::Failed(format!("{name}: {error}"));
                }
            }
            if let Ok(mut p) = self.progress.lock() {
                p.insert(run.run_id, i + 1);
            }
        }
        RunEnd::Done(if any_done || work.actions.is_empty() {
            Outcome::Ok
        } else {
            Outcome::Skipped
        })
    }

    fn forget(&self, id: RunId) {
        if let Ok(mut p) = self.progress.lock() {
            p.remove(&id);
        }
    }
}

enum RunEnd {
    Done(Outcome),
    Failed(String),
    Retry {
        error: String,
        after: Option<Duration>,
    },
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

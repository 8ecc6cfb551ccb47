//! The engine loop: owns the [`Flow`], persists what it decides, sleeps
//! exactly until its next deadline, and hands starts to the executor.
//!
//! One task, one sleep: the flow's single timer set says when to wake next;
//! there is no task per key and no polling while nothing is due (runs held
//! by `when_idle` wait for a busy change, not for a timer).
//!
//! Every input's commands are written to the journal in one transaction
//! *before* its sender is acknowledged and before the executor sees them, so
//! an acknowledged trigger survives `kill -9`.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::clock::Clock;
use super::command::{Command, DropReason, Outcome};
use super::entry::RunId;
use super::flow::Flow;
use super::millis::Millis;
use super::spec::FlowSpec;
use super::store::{RunStore, StoreError};

/// An input to the engine loop.
#[derive(Debug)]
pub enum Input<P> {
    /// A rule matched an event ([`Flow::trigger`]).
    Trigger {
        /// The rule id.
        rule: String,
        /// The rendered key.
        key: String,
        /// The rule's flow control.
        spec: FlowSpec,
        /// The executor's payload.
        payload: P,
    },
    /// A `[cancel]` event for `(rule, key)` ([`Flow::cancel`]).
    Cancel {
        /// The rule id.
        rule: String,
        /// The rendered key.
        key: String,
    },
    /// A started run ended ([`Flow::run_finished`]).
    Finished {
        /// The run.
        run_id: RunId,
        /// How it ended.
        outcome: Outcome,
        /// What went wrong, kept in the journal (the dead-letter list shows it).
        error: Option<String>,
    },
    /// A started run failed and is to be tried again after `after` ([`Flow::retry_at`]).
    Retry {
        /// The run.
        run_id: RunId,
        /// The backoff chosen by the executor.
        after: Duration,
        /// What went wrong this time.
        error: Option<String>,
    },
    /// Whether a playback session is active ([`Flow::set_busy`]).
    Busy(bool),
}

/// Why an input was not acknowledged.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The engine loop has stopped (shutdown).
    #[error("The engine has stopped.")]
    Stopped,
    /// The decision was made but could not be persisted; it lives in memory
    /// only, so the sender should not treat the event as safely accepted.
    #[error("The engine could not persist the run: {0}")]
    Store(#[from] StoreError),
}

type Ack = oneshot::Sender<Result<(), EngineError>>;

/// The cheap, cloneable way in: listener, executor and signal handlers each hold one.
#[derive(Debug)]
pub struct EngineHandle<P> {
    inputs: mpsc::Sender<(Input<P>, Ack)>,
}

impl<P> Clone for EngineHandle<P> {
    fn clone(&self) -> Self {
        EngineHandle {
            inputs: self.inputs.clone(),
        }
    }
}

impl<P> EngineHandle<P> {
    /// Submits an input and waits until the engine has decided and persisted it.
    pub async fn send(&self, input: Input<P>) -> Result<(), EngineError> {
        let (ack, done) = oneshot::channel();
        self.inputs
            .send((input, ack))
            .await
            .map_err(|_| EngineError::Stopped)?;
        done.await.map_err(|_| EngineError::Stopped)?
    }
}

impl<P> std::fmt::Debug for Driver<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("durable", &self.store.is_some())
            .finish_non_exhaustive()
    }
}

/// The engine loop. Build with [`Driver::new`], optionally [`Driver::restore`]
/// from the journal, then [`Driver::run`].
pub struct Driver<P> {
    flow: Flow<P>,
    /// `None` runs the engine without durability (`explain`, tests).
    store: Option<Arc<dyn RunStore<P>>>,
    clock: Clock,
    inputs: mpsc::Receiver<(Input<P>, Ack)>,
    /// Start, Cancel and Dropped go to the executor (which logs drops and
    /// counts them); Persist, Cooldown and Finished stop at the journal.
    commands: mpsc::Sender<Command<P>>,
}

/// How long finished runs stay in the journal (for `queue list --all` and
/// debugging) before the start-up prune removes them. Dead letters stay
/// until retried or dropped.
const KEEP_DONE: Duration = Duration::from_secs(7 * 24 * 3600);

/// How many inputs may wait for the loop before senders wait in turn.
const INPUT_QUEUE: usize = 1024;

impl<P> Driver<P>
where
    P: Clone + Serialize + DeserializeOwned + Send + 'static,
{
    /// A new loop around `flow`, persisting to `store` (the journal); returns
    /// it with the handle that feeds it.
    pub fn new<S: RunStore<P> + 'static>(
        flow: Flow<P>,
        store: Option<S>,
        clock: Clock,
        commands: mpsc::Sender<Command<P>>,
    ) -> (Driver<P>, EngineHandle<P>) {
        let (tx, inputs) = mpsc::channel(INPUT_QUEUE);
        (
            Driver {
                flow,
                store: store.map(|s| Arc::new(s) as Arc<dyn RunStore<P>>),
                clock,
                inputs,
                commands,
            },
            EngineHandle { inputs: tx },
        )
    }

    /// Rebuilds the flow from the store: unfinished runs with their
    /// deadlines, active cooldowns, and the next free run id. Returns how
    /// many runs were restored.
    pub async fn restore(&mut self) -> Result<usize, StoreError> {
        let Some(store) = &self.store else {
            return Ok(0);
        };
        let now = self.clock.now();
        let restored = store.restore(now, now.before(KEEP_DONE)).await?;
        let count = restored.entries.len();
        self.flow.reserve_ids_below(restored.next_id);
        self.flow.restore(restored.entries, now);
        for (rule, key, until) in restored.cooldowns {
            self.flow.restore_cooldown(&rule, &key, until);
        }
        if count > 0 {
            tracing::info!(runs = count, "Restored accepted runs from the journal.");
        }
        Ok(count)
    }

    /// The playback state at start (from `/status/sessions`), to set before
    /// [`Driver::run`]: restored `when_idle` runs stay held while it is true
    /// instead of starting in the first instant.
    pub fn assume_busy(&mut self, busy: bool) {
        let released = self.flow.set_busy(busy, self.clock.now());
        // Nothing is held before the loop runs (restored runs wait in the
        // timer set), so there is nothing to release or persist here.
        debug_assert!(released.is_empty());
    }

    /// Runs until `shutdown` fires or every handle is dropped. Nothing needs
    /// flushing on the way out: every decision was persisted as it was made.
    pub async fn run(mut self, shutdown: CancellationToken) {
        loop {
            let wake = self.flow.next_deadline().map(|d| self.clock.instant_of(d));
            let sleep = async {
                match wake {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                // Deadlines before new input, so a steady stream of events
                // cannot starve the timers.
                () = sleep => {
                    let now = self.clock.now();
                    let commands = self.flow.poll(now);
                    // Nobody waits on a timer's ack; `emit` logs a failed write.
                    let _ = self.emit(commands, now).await;
                }
                input = self.inputs.recv() => {
                    let Some((input, ack)) = input else { break };
                    let now = self.clock.now();
                    self.note_error(&input, now).await;
                    let commands = self.apply(input, now);
                    let persisted = self.emit(commands, now).await;
                    let _ = ack.send(persisted);
                }
            }
        }
        tracing::debug!(
            waiting = self.flow.waiting_len(),
            running = self.flow.running_len(),
            "Engine loop stopped."
        );
    }

    /// Keeps the executor's error text of a failed or retried run: the
    /// dead-letter list shows it.
    async fn note_error(&self, input: &Input<P>, now: Millis) {
        let (Input::Finished {
            run_id,
            error: Some(error),
            ..
        }
        | Input::Retry {
            run_id,
            error: Some(error),
            ..
        }) = input
        else {
            return;
        };
        let Some(store) = &self.store else {
            return;
        };
        if let Err(e) = store.note_error(*run_id, error.clone(), now).await {
            tracing::error!(run = %run_id, error = %e, "Could not record a run's error in the journal.");
        }
    }

    fn apply(&mut self, input: Input<P>, now: Millis) -> Vec<Command<P>> {
        match input {
            Input::Trigger {
                rule,
                key,
                spec,
                payload,
            } => self.flow.trigger(&rule, &key, &spec, payload, now),
            Input::Cancel { rule, key } => self.flow.cancel(&rule, &key, now),
            Input::Finished {
                run_id, outcome, ..
            } => self.flow.run_finished(run_id, outcome, now),
            Input::Retry { run_id, after, .. } => self.flow.retry_at(run_id, now.after(after), now),
            Input::Busy(busy) => self.flow.set_busy(busy, now),
        }
    }

    /// Journal first, then the executor.
    async fn emit(&mut self, commands: Vec<Command<P>>, now: Millis) -> Result<(), EngineError> {
        if commands.is_empty() {
            return Ok(());
        }
        let persisted = match &self.store {
            Some(store) => store
                .apply(commands.clone(), now)
                .await
                .map_err(EngineError::from),
            None => Ok(()),
        };
        if let Err(e) = &persisted {
            tracing::error!(error = %e, "Journal write failed; these runs live in memory only until the next successful write.");
        }
        for command in commands {
            match &command {
                Command::Persist(_) | Command::Cooldown { .. } | Command::Finished { .. } => {
                    continue;
                }
                Command::Dropped {
                    rule,
                    key,
                    reason: DropReason::Overflow,
                    ..
                } => {
                    tracing::warn!(rule = %rule, key = %key, "Too many runs waiting; dropped the oldest.");
                }
                Command::Start(_) | Command::Cancel(_) | Command::Dropped { .. } => {}
            }
            if self.commands.send(command).await.is_err() {
                tracing::debug!("The executor is gone; commands are no longer delivered.");
                break;
            }
        }
        persisted
    }
}

//! What the flow core asks its caller to do.
//!
//! The core decides; the caller acts: it persists, starts and cancels runs
//! and logs drops. Every state change the journal must know about is a
//! command, so applying the commands of one input in one transaction keeps
//! the journal an exact image of the core.

use serde::{Deserialize, Serialize};

use super::entry::{Entry, Run, RunId};
use super::millis::Millis;

/// One instruction from the flow core.
#[derive(Debug, Clone, PartialEq)]
pub enum Command<P> {
    /// An accepted run that has not started was created or changed (payload,
    /// deadline or stage): upsert it in the journal *before* acknowledging
    /// the event that caused it.
    Persist(Entry<P>),
    /// Start this run now; report its end with `Flow::run_finished`.
    Start(Run<P>),
    /// Stop this running run (`mode = "restart"` superseded it). Its later
    /// `run_finished` is ignored.
    Cancel(RunId),
    /// A started run ended: the journal marks it `done` (`Ok`, `Skipped`) or
    /// `dead` (`Failed`: retries, if any, are exhausted).
    Finished {
        /// The run.
        run_id: RunId,
        /// How it ended.
        outcome: Outcome,
    },
    /// A trigger or an accepted run was dropped. `run_id` is `None` when the
    /// trigger never became a run (absorbed by a delay, or in cooldown).
    Dropped {
        /// The run dropped, if one had been accepted (remove it from the journal).
        run_id: Option<RunId>,
        /// The rule id.
        rule: String,
        /// The rendered key.
        key: String,
        /// Why, for the log line and the metrics label.
        reason: DropReason,
    },
    /// A cooldown started: persist it so a restart keeps honouring it.
    Cooldown {
        /// The rule id.
        rule: String,
        /// The rendered key.
        key: String,
        /// Triggers are dropped until this moment.
        until: Millis,
    },
}

/// Why work was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// `single`: a run for the key is already running.
    AlreadyRunning,
    /// The key is in cooldown after a successful run.
    Cooldown,
    /// `queued`: `max` runs already wait for the key.
    QueueFull,
    /// `parallel`: `max` runs for the key are already running.
    MaxParallel,
    /// A `[cancel]` event for the key arrived before the run started.
    Cancelled,
    /// `delay`: a run for the key is already scheduled; this trigger adds nothing.
    Absorbed,
    /// `when_idle`: a held run for the key already exists and took this one's payload.
    Coalesced,
    /// The cap on waiting runs was reached; the oldest one made room.
    Overflow,
}

impl DropReason {
    /// A stable snake_case name for logs and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::AlreadyRunning => "already_running",
            DropReason::Cooldown => "cooldown",
            DropReason::QueueFull => "queue_full",
            DropReason::MaxParallel => "max_parallel",
            DropReason::Cancelled => "cancelled",
            DropReason::Absorbed => "absorbed",
            DropReason::Coalesced => "coalesced",
            DropReason::Overflow => "overflow",
        }
    }
}

/// How a started run ended, as reported by the executor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Done; starts the key's cooldown.
    Ok,
    /// Gave up (retries, if any, are exhausted); no cooldown.
    Failed,
    /// Nothing to do (e.g. the item is gone); no cooldown.
    Skipped,
}

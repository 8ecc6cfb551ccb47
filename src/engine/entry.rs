//! Accepted work: a run id, what it is for, and where it stands.
//!
//! An [`Entry`] is everything the journal needs to rebuild the flow core
//! after a restart: the payload, the spec it was accepted under, its stage and
//! its absolute deadline.

use serde::{Deserialize, Serialize};

use super::millis::Millis;
use super::spec::FlowSpec;

/// Identifies one run from acceptance to its end; also the journal's row id
/// and the `ID` of `metarr-plex queue retry|drop ID`, hence small integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RunId(pub u64);

impl std::fmt::Display for RunId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Where an accepted run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Waiting for quiet; each trigger for the key moves `due_at`.
    Debounced,
    /// Waiting for a fixed delay from the first trigger.
    Delayed,
    /// Failed and waiting to be tried again at `due_at`.
    Retrying,
    /// Due, but held until no playback session is active (`when_idle`).
    Deferred,
    /// Due, waiting behind a running run of its key (`mode = "queued"`).
    Queued,
    /// Handed to the executor and not yet reported finished.
    Running,
}

/// One accepted run that has not finished.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry<P> {
    /// Stable id from acceptance on.
    pub run_id: RunId,
    /// The rule id (its file stem).
    pub rule: String,
    /// The rendered key: the scope of mode, debounce, delay and cooldown.
    pub key: String,
    /// What the executor needs to do the work (for debounce: the latest).
    pub payload: P,
    /// The flow control it was accepted under.
    pub spec: FlowSpec,
    /// Where it stands.
    pub stage: Stage,
    /// When it fires, for the timed stages; `None` while deferred, queued or running.
    pub due_at: Option<Millis>,
    /// 1 for the first try; retries count up.
    pub attempt: u32,
    /// When the first trigger was accepted; the journal's `created_at`.
    pub created_at: Millis,
}

impl<P> Entry<P> {
    /// The view handed to the executor when the run starts.
    pub fn to_run(&self) -> Run<P>
    where
        P: Clone,
    {
        Run {
            run_id: self.run_id,
            rule: self.rule.clone(),
            key: self.key.clone(),
            payload: self.payload.clone(),
            attempt: self.attempt,
            spec: self.spec.clone(),
            created_at: self.created_at,
        }
    }
}

/// A run the executor must start now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run<P> {
    /// Report it back through `Flow::run_finished` with this id.
    pub run_id: RunId,
    /// The rule id.
    pub rule: String,
    /// The rendered key.
    pub key: String,
    /// The work.
    pub payload: P,
    /// 1 for the first try.
    pub attempt: u32,
    /// Carried so the journal can record the run without asking the rules.
    pub spec: FlowSpec,
    /// When the run was first accepted.
    pub created_at: Millis,
}

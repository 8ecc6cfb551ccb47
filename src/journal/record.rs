//! A run as the journal stores it, and its states.

use serde::{Deserialize, Serialize};

use crate::engine::{Entry, FlowSpec, Millis, RunId, Stage};

/// The `state` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    /// Due and waiting for a slot (`queued` mode).
    Pending,
    /// Waiting for a fixed delay.
    Delayed,
    /// Waiting for quiet.
    Debounced,
    /// Failed, waiting to be tried again.
    Retrying,
    /// Held by `when_idle` until playback stops.
    Deferred,
    /// Started; at restart it is run again (at-least-once).
    Running,
    /// Finished (ok, skipped or failed without retries left is `dead`).
    Done,
    /// Gave up after the last attempt: the dead-letter list.
    Dead,
}

impl RunState {
    /// The column value.
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Pending => "pending",
            RunState::Delayed => "delayed",
            RunState::Debounced => "debounced",
            RunState::Retrying => "retrying",
            RunState::Deferred => "deferred",
            RunState::Running => "running",
            RunState::Done => "done",
            RunState::Dead => "dead",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<RunState> {
        Some(match s {
            "pending" => RunState::Pending,
            "delayed" => RunState::Delayed,
            "debounced" => RunState::Debounced,
            "retrying" => RunState::Retrying,
            "deferred" => RunState::Deferred,
            "running" => RunState::Running,
            "done" => RunState::Done,
            "dead" => RunState::Dead,
            _ => return None,
        })
    }

    /// The flow stage a stored run resumes in; `None` for finished runs.
    pub fn stage(self) -> Option<Stage> {
        Some(match self {
            RunState::Pending => Stage::Queued,
            RunState::Delayed => Stage::Delayed,
            RunState::Debounced => Stage::Debounced,
            RunState::Retrying => Stage::Retrying,
            RunState::Deferred => Stage::Deferred,
            RunState::Running => Stage::Running,
            RunState::Done | RunState::Dead => return None,
        })
    }
}

impl From<Stage> for RunState {
    fn from(stage: Stage) -> RunState {
        match stage {
            Stage::Debounced => RunState::Debounced,
            Stage::Delayed => RunState::Delayed,
            Stage::Retrying => RunState::Retrying,
            Stage::Deferred => RunState::Deferred,
            Stage::Queued => RunState::Pending,
            Stage::Running => RunState::Running,
        }
    }
}

/// One row of `runs`, payload and spec still as JSON (what `queue list` shows).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRecord {
    /// The run id.
    pub id: RunId,
    /// The rule id.
    pub rule: String,
    /// The rendered key.
    pub key: String,
    /// The executor's payload.
    pub payload: serde_json::Value,
    /// The flow spec it was accepted under.
    pub spec: serde_json::Value,
    /// Where it stands.
    pub state: RunState,
    /// Absolute deadline (epoch ms) for the timed states.
    pub due_at: Option<Millis>,
    /// The attempt number (1 for the first try).
    pub attempts: u32,
    /// The last failure, for retried and dead runs.
    pub last_error: Option<String>,
    /// When the run was accepted.
    pub created_at: Millis,
    /// When the row last changed.
    pub updated_at: Millis,
}

impl RunRecord {
    /// Decodes the row into a flow entry; `Ok(None)` for finished runs.
    pub fn to_entry<P: serde::de::DeserializeOwned>(
        &self,
    ) -> Result<Option<Entry<P>>, serde_json::Error> {
        let Some(stage) = self.state.stage() else {
            return Ok(None);
        };
        Ok(Some(Entry {
            run_id: self.id,
            rule: self.rule.clone(),
            key: self.key.clone(),
            payload: serde_json::from_value(self.payload.clone())?,
            spec: serde_json::from_value::<FlowSpec>(self.spec.clone())?,
            stage,
            due_at: self.due_at,
            attempt: self.attempts,
            created_at: self.created_at,
        }))
    }
}

//! What the engine carries for one run: the rule's actions, rendered when
//! the event arrived, plus enough about the event to name it in every log
//! line. Serialized into the journal, so a restored run does exactly what
//! was decided before the restart, whatever the rule files say now.

use serde::{Deserialize, Serialize};

use crate::engine::{FlowSpec, Mode};
use crate::event::Event;
use crate::rules::{self, ResolvedAction};

/// The engine payload of one accepted run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Work {
    /// The event that caused the run (for debounced runs: the last one).
    pub event_id: String,
    /// Its name, for the log lines.
    pub event_name: String,
    /// The item the event was about, if any (id and title for humans).
    #[serde(default)]
    pub item: Option<String>,
    /// The item's title, when the event or its metadata said.
    #[serde(default)]
    pub item_title: Option<String>,
    /// The section the event was about, so scans and refreshes it causes
    /// count as ours.
    #[serde(default)]
    pub section: Option<String>,
    /// How many of our own actions led here: 0 for an event Plex caused by
    /// itself. Bounded by the chain-depth limit.
    #[serde(default)]
    pub depth: u32,
    /// The actions, rendered, in order.
    pub actions: Vec<ResolvedAction>,
    /// The event as JSON, for `exec` (stdin) and `webhook` bodies.
    #[serde(default)]
    pub event: serde_json::Value,
}

impl Work {
    /// The payload for `actions` fired by `event`.
    pub fn new(
        event: &Event,
        actions: Vec<ResolvedAction>,
        depth: u32,
        title: Option<String>,
    ) -> Work {
        Work {
            event_id: event.id.clone(),
            event_name: event.name.to_string(),
            item: event.item.as_ref().map(|i| i.id.clone()),
            item_title: title.or_else(|| event.item.as_ref().and_then(|i| i.title.clone())),
            section: event.section.as_ref().map(|s| s.id.clone()),
            depth,
            actions,
            event: serde_json::to_value(event).unwrap_or_default(),
        }
    }

    /// `id (title)` or `-`, for log fields.
    pub fn item_label(&self) -> String {
        match (&self.item, &self.item_title) {
            (Some(id), Some(title)) => format!("{id} ({title})"),
            (Some(id), None) => id.clone(),
            _ => "-".to_owned(),
        }
    }
}

/// The engine's view of a rule's flow control.
pub fn flow_spec(flow: &rules::Flow) -> FlowSpec {
    let defaults = FlowSpec::default();
    FlowSpec {
        mode: match flow.mode {
            rules::Mode::Single => Mode::Single,
            rules::Mode::Restart => Mode::Restart,
            rules::Mode::Queued => Mode::Queued,
            rules::Mode::Parallel => Mode::Parallel,
        },
        max: flow.max.unwrap_or(defaults.max),
        debounce: flow.debounce,
        delay: flow.delay,
        cooldown: flow.cooldown,
        when_idle: flow.when_idle,
    }
}

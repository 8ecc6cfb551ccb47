//! A compiled rule: everything in one rule file, validated, ready to match.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use super::action::CompiledAction;
use super::capture::Capture;
use super::condition::Condition;
use super::template::Template;
use super::test_case::RuleTest;
use super::trigger::Trigger;
use crate::event::EventName;

/// How runs of one rule for the same key relate (Home Assistant's modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// A new trigger while a run is active is dropped (the default).
    Single,
    /// A new trigger cancels the active run and starts again.
    Restart,
    /// Runs wait their turn, up to `max`.
    Queued,
    /// Runs overlap, up to `max`.
    Parallel,
}

impl Mode {
    pub(crate) fn parse(s: &str) -> Option<Mode> {
        Some(match s {
            "single" => Mode::Single,
            "restart" => Mode::Restart,
            "queued" => Mode::Queued,
            "parallel" => Mode::Parallel,
            _ => return None,
        })
    }
}

/// Flow control, parsed and checked here, executed by the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    /// What a new trigger does while a run for the key is active.
    pub mode: Mode,
    /// Queued/parallel runs per key (engine default when `None`).
    pub max: Option<u32>,
    /// Trailing debounce: run once the key has been quiet this long.
    pub debounce: Option<Duration>,
    /// Fixed delay from the first trigger.
    pub delay: Option<Duration>,
    /// After a successful run, triggers for the key are dropped this long.
    pub cooldown: Option<Duration>,
    /// Hold the run until no playback session is active.
    pub when_idle: bool,
    /// Events that drop a pending (delayed or debounced) run for the same key.
    pub cancel: Vec<EventName>,
}

/// One rule file, compiled.
#[derive(Debug)]
pub struct CompiledRule {
    /// The file stem.
    pub id: String,
    /// The file it came from.
    pub file: PathBuf,
    /// What the rule does, for people and logs.
    pub description: Option<String>,
    /// A disabled rule is loaded and checked but never matched.
    pub enabled: bool,
    /// Debounce, delay, cooldown, mode: executed by the engine.
    pub flow: Flow,
    /// Opt in to events our own actions caused (off: the loop guard).
    pub include_self: bool,
    /// Any of these.
    pub triggers: Vec<Trigger>,
    /// Captures run before conditions, so conditions can use their groups.
    pub captures: Vec<Capture>,
    /// All of these.
    pub conditions: Vec<Condition>,
    /// The mode/debounce/cooldown scope; `None` means the event's item, else its section.
    pub key: Option<Template>,
    /// In order; the engine stops at the first failure.
    pub actions: Vec<CompiledAction>,
    /// Embedded tests, run by `metarr-plex test`.
    pub tests: Vec<RuleTest>,
    /// Some condition, capture or template reads `item.*`.
    pub(crate) uses_item: bool,
}

impl CompiledRule {
    /// Every event name any trigger listens to.
    pub fn events(&self) -> impl Iterator<Item = EventName> + '_ {
        self.triggers.iter().flat_map(|t| t.events.iter().copied())
    }

    /// True when matching this rule needs the item's metadata.
    pub fn uses_item(&self) -> bool {
        self.uses_item
    }
}

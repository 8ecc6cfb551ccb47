//! `explain`: why each rule did or did not fire on one event, with every
//! value it looked at.
//!
//! This is the pure part: triggers (which filter refused the event and what
//! it saw), captures, conditions with the values they read, the key, the
//! flow settings that would apply, and the rendered actions. The requests
//! those actions would send are added by [`super::runner`], which runs the
//! executors in recording mode.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::facts::ItemFacts;
use super::resolved::ResolvedAction;
use super::rule::{CompiledRule, Flow, Mode};
use super::set::{ConditionResult, RuleSet, Skip};
use super::trigger::{Fit, Miss};
use crate::event::Event;

/// One event, explained against every rule.
#[derive(Debug, Clone, Serialize)]
pub struct EventExplanation {
    /// The event id.
    pub event: String,
    /// The event name.
    pub name: String,
    /// The event's item id, when it has one.
    pub item: Option<String>,
    /// What was known about the item (fetched only when some rule needs it).
    pub metadata: Metadata,
    /// Every rule, in id order.
    pub rules: Vec<RuleExplanation>,
}

/// The item's metadata as `explain` got it.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", content = "facts", rename_all = "snake_case")]
pub enum Metadata {
    /// No rule that triggers on this event reads `item.*`: nothing fetched.
    NotNeeded,
    /// Fetched (or given).
    Fetched(Box<ItemFacts>),
    /// The server has no such item.
    Gone,
    /// The fetch failed; rules that need it report an error.
    Failed(String),
}

impl Metadata {
    /// The facts, when there are some.
    pub fn facts(&self) -> Option<&ItemFacts> {
        match self {
            Metadata::Fetched(f) => Some(f),
            _ => None,
        }
    }
}

/// What one rule made of the event.
#[derive(Debug, Clone, Serialize)]
pub struct RuleExplanation {
    /// The rule id.
    pub rule: String,
    /// The one-word verdict.
    pub outcome: Outcome,
    /// Each trigger, in order, with the filter that refused the event.
    pub triggers: Vec<TriggerResult>,
    /// Why it did not fire (when skipped).
    pub skipped: Option<Skip>,
    /// The runtime error that made the rule skip this event.
    pub error: Option<String>,
    /// Capture groups, by name.
    pub captures: BTreeMap<String, String>,
    /// Conditions in order, up to the first false one, with the values read.
    pub conditions: Vec<ConditionResult>,
    /// The key the run would have (mode, debounce, cooldown scope).
    pub key: Option<String>,
    /// The flow control that would apply to the run.
    pub flow: FlowView,
    /// The actions, rendered, with the requests they would send.
    pub actions: Vec<ActionPlan>,
}

/// The verdict for one rule and one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every filter, capture and condition passed: the actions would run
    /// (after the flow control).
    Fires,
    /// Some filter, capture or condition said no.
    Skipped,
    /// Evaluating it failed; the daemon would log, count and skip.
    Error,
    /// The rule has `enabled = false`.
    Disabled,
}

/// One trigger's answer.
#[derive(Debug, Clone, Serialize)]
pub struct TriggerResult {
    /// Accepted the event.
    pub matched: bool,
    /// The filter that refused it, with what it wanted and saw.
    pub miss: Option<Miss>,
}

/// [`Flow`] in words (durations as `10s`, `1h`).
#[derive(Debug, Clone, Serialize)]
pub struct FlowView {
    /// What a new trigger does while a run is active.
    pub mode: Mode,
    /// Queued/parallel runs per key.
    pub max: Option<u32>,
    /// Trailing settle window.
    pub debounce: Option<String>,
    /// Fixed delay from the first trigger.
    pub delay: Option<String>,
    /// Quiet time after a successful run.
    pub cooldown: Option<String>,
    /// Held until no playback session is active.
    pub when_idle: bool,
    /// Events that drop a pending run.
    pub cancel: Vec<String>,
    /// Also runs on events our own actions caused.
    pub include_self: bool,
}

impl FlowView {
    fn new(flow: &Flow, include_self: bool) -> FlowView {
        let words = |d: Option<Duration>| d.map(|d| humantime::format_duration(d).to_string());
        FlowView {
            mode: flow.mode,
            max: flow.max,
            debounce: words(flow.debounce),
            delay: words(flow.delay),
            cooldown: words(flow.cooldown),
            when_idle: flow.when_idle,
            cancel: flow.cancel.iter().map(|e| e.as_str().to_owned()).collect(),
            include_self,
        }
    }
}

/// One action of a firing rule, and what it would send.
#[derive(Debug, Clone, Serialize)]
pub struct ActionPlan {
    /// The action with its parameters rendered.
    pub action: ResolvedAction,
    /// The Plex requests, in order: reads as sent, writes as they would be
    /// sent (and never are).
    pub requests: Vec<PlannedRequest>,
    /// What the executor reported (`done`, `skipped: …`, `failed: …`).
    pub outcome: String,
}

/// One request of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedRequest {
    /// `PUT /library/metadata/42/analyze`, encoded as on the wire.
    pub request: String,
    /// It changes something on the server (every method but `GET`, plus
    /// scans, which are `GET …/refresh`): recorded, never sent.
    pub write: bool,
}

/// Explains `event` against every rule of `rules`, given the item's
/// metadata. Action requests are left empty (see [`super::runner`]).
pub fn explain_event(rules: &RuleSet, event: &Event, metadata: Metadata) -> EventExplanation {
    let item_gone = matches!(metadata, Metadata::Gone);
    let facts = metadata.facts();
    let prepared = rules.prepare(event, facts);
    let explained = rules
        .rules()
        .iter()
        .map(|rule| {
            let mut x = RuleExplanation {
                rule: rule.id.clone(),
                outcome: Outcome::Skipped,
                triggers: triggers(rule, event, facts),
                skipped: None,
                error: None,
                captures: BTreeMap::new(),
                conditions: Vec::new(),
                key: None,
                flow: FlowView::new(&rule.flow, rule.include_self),
                actions: Vec::new(),
            };
            if !rule.enabled {
                x.outcome = Outcome::Disabled;
                return x;
            }
            match rules.evaluate_prepared(rule, &prepared) {
                Ok(d) => {
                    x.outcome = if d.fired {
                        Outcome::Fires
                    } else {
                        Outcome::Skipped
                    };
                    x.skipped = d.skipped;
                    x.captures = d.captures;
                    x.conditions = d.conditions;
                    x.key = d.fired.then_some(d.key);
                    x.actions = d
                        .actions
                        .into_iter()
                        .map(|action| ActionPlan {
                            action,
                            requests: Vec::new(),
                            outcome: String::new(),
                        })
                        .collect();
                }
                // No trigger accepted the event by itself: only the item's
                // type could have, and there is none to read. An item the
                // server does not have is refused by the trigger, not a
                // metadata error; a failed fetch says what it blocked.
                Err(_) if x.triggers.iter().all(|t| !t.matched) && item_gone => {
                    x.outcome = Outcome::Skipped;
                    x.skipped = Some(Skip::NoTrigger);
                }
                Err(_) if x.triggers.iter().all(|t| !t.matched) => {
                    x.outcome = Outcome::Error;
                    x.error = Some(
                        "the event does not say the item's type, which the triggers need, and its metadata could not be fetched"
                            .to_owned(),
                    );
                }
                Err(e) => {
                    x.outcome = Outcome::Error;
                    x.error = Some(e.to_string());
                }
            }
            x
        })
        .collect();
    EventExplanation {
        event: event.id.clone(),
        name: event.name.as_str().to_owned(),
        item: event.item.as_ref().map(|i| i.id.clone()),
        metadata,
        rules: explained,
    }
}

/// Each trigger's answer; an item type the event did not carry is answered
/// from the metadata.
fn triggers(rule: &CompiledRule, event: &Event, facts: Option<&ItemFacts>) -> Vec<TriggerResult> {
    rule.triggers
        .iter()
        .map(|t| match t.check(event) {
            Ok(Fit::Yes) => TriggerResult {
                matched: true,
                miss: None,
            },
            Ok(Fit::IfItemType) | Ok(Fit::No) => {
                let kind = facts.map(|f| f.kind.as_str());
                let matched = kind.is_some_and(|k| t.item_type_fits(k));
                TriggerResult {
                    matched,
                    miss: (!matched).then(|| Miss {
                        filter: "item_type",
                        wanted: t.item_types.clone(),
                        saw: kind.map(|k| format!("{k} (from metadata)")),
                    }),
                }
            }
            Err(miss) => TriggerResult {
                matched: false,
                miss: Some(miss),
            },
        })
        .collect()
}

//! A loaded set of rules and the matching path: index by event name, trigger
//! filters, captures, then conditions, then rendering the actions.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Serialize;

use super::facts::ItemFacts;
use super::resolved::ResolvedAction;
use super::rule::CompiledRule;
use super::template::{Template, TemplateEnv};
use super::trigger::{Fit, Trigger};
use super::vars::Vars;
use crate::event::{Event, EventName};

/// Compiled rules plus the index that keeps a firehose cheap: an event only
/// ever meets the rules that trigger on its name.
pub struct RuleSet {
    rules: Vec<CompiledRule>,
    by_event: HashMap<EventName, Vec<usize>>,
    /// Event name → rules that list it in `[cancel]`.
    cancel_index: HashMap<EventName, Vec<usize>>,
    templates: TemplateEnv,
    /// One CEL environment (the standard library) shared by every evaluation.
    cel: Arc<cel::Env>,
}

impl std::fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleSet")
            .field(
                "rules",
                &self.rules.iter().map(|r| &r.id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Why a rule could not be evaluated for an event. The caller logs it (rule,
/// event id, this message), counts it, and skips the rule for that event: an
/// error is never taken as "the condition is false".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// A condition failed at runtime (e.g. a key missing from the payload).
    #[error("condition `{expression}` failed: {message}")]
    Condition { expression: String, message: String },
    /// A template failed to render (e.g. a value missing at runtime).
    #[error("template `{template}` failed: {message}")]
    Template { template: String, message: String },
    /// An id-like parameter rendered empty.
    #[error("`{action}` parameter `{param}` rendered empty")]
    EmptyValue { action: &'static str, param: String },
    /// A parameter rendered to something the action refuses.
    #[error("`{action}` parameter `{param}` {why}")]
    BadValue {
        action: &'static str,
        param: String,
        why: String,
    },
    /// The rule reads `item.*` but no metadata was passed (the fetch failed
    /// or the item is gone).
    #[error("the rule reads item metadata, and none could be fetched")]
    NeedsMetadata,
}

/// Why a rule did not fire for an event (not an error).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Skip {
    /// No trigger accepts the event (name, section, type or activity filter).
    NoTrigger,
    /// The item's type, known from metadata, is not one the triggers want.
    ItemType { kind: String },
    /// A capture's regex did not match its value.
    Capture { from: String },
    /// A condition was false.
    Condition { expression: String },
    /// The event was caused by our own action and the rule does not opt in.
    CausedBySelf,
}

/// One condition's outcome with the values it read, for `explain`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConditionResult {
    /// The expression as written.
    pub expression: String,
    /// What it evaluated to.
    pub result: bool,
    /// Dotted path → value, for every path the expression reads that exists.
    pub values: BTreeMap<String, serde_json::Value>,
}

/// What a rule made of one event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// The rule id.
    pub rule: String,
    /// All filters, captures and conditions passed: the actions should run.
    pub fired: bool,
    /// Why it did not fire.
    pub skipped: Option<Skip>,
    /// Conditions in order, up to the first false one.
    pub conditions: Vec<ConditionResult>,
    /// Capture group values, by name.
    pub captures: BTreeMap<String, String>,
    /// The rendered key (mode, debounce and cooldown scope); empty unless fired.
    pub key: String,
    /// The actions to run, in order; empty unless fired.
    pub actions: Vec<ResolvedAction>,
}

impl RuleSet {
    pub(crate) fn new(rules: Vec<CompiledRule>, templates: TemplateEnv) -> RuleSet {
        let mut by_event: HashMap<EventName, Vec<usize>> = HashMap::new();
        for (i, rule) in rules.iter().enumerate() {
            let mut names: Vec<EventName> = rule.events().collect();
            names.sort();
            names.dedup();
            for n in names {
                by_event.entry(n).or_default().push(i);
            }
        }
        let mut cancel_index: HashMap<EventName, Vec<usize>> = HashMap::new();
        for (i, rule) in rules.iter().enumerate() {
            for n in &rule.flow.cancel {
                let list = cancel_index.entry(*n).or_default();
                if !list.contains(&i) {
                    list.push(i);
                }
            }
        }
        RuleSet {
            rules,
            by_event,
            cancel_index,
            templates,
            cel: Arc::new(cel::Env::stdlib()),
        }
    }

    /// Every loaded rule (enabled or not), in id order.
    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&CompiledRule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// Enabled rules with a trigger for this event whose filters the event
    /// passes (or may pass once the item type is known), minus rules that
    /// do not opt in to events our own actions caused.
    pub fn candidates<'a>(
        &'a self,
        event: &'a Event,
    ) -> impl Iterator<Item = &'a CompiledRule> + 'a {
        self.by_event
            .get(&event.name)
            .into_iter()
            .flatten()
            .map(|i| &self.rules[*i])
            .filter(move |r| r.enabled && (r.include_self || !event.caused_by_self))
            .filter(move |r| r.triggers.iter().any(|t| t.fit(event) != Fit::No))
    }

    /// True when some candidate reads `item.*`, or can only decide its item
    /// type filter from metadata: the caller then reads the item once and
    /// passes the same facts to every [`RuleSet::prepare`] /
    /// [`RuleSet::evaluate`] for the event.
    pub fn needs_metadata(&self, event: &Event) -> bool {
        event.item.is_some()
            && self
                .candidates(event)
                .any(|r| r.uses_item() || !r.triggers.iter().any(|t| t.fit(event) == Fit::Yes))
    }

    /// Runs one rule against one event: triggers, captures, conditions,
    /// then (if all pass) the key and the actions, rendered. For many rules
    /// and one event, [`RuleSet::prepare`] once and use
    /// [`RuleSet::evaluate_prepared`].
    pub fn evaluate(
        &self,
        rule: &CompiledRule,
        event: &Event,
        item: Option<&ItemFacts>,
    ) -> Result<Decision, RuleError> {
        self.evaluate_prepared(rule, &self.prepare(event, item))
    }

    /// Enabled rules that list this event in `[cancel]`: the engine drops
    /// their pending run for [`RuleSet::key_for`] this event.
    pub fn cancelled_by<'a>(
        &'a self,
        event: &'a Event,
    ) -> impl Iterator<Item = &'a CompiledRule> + 'a {
        self.cancel_index
            .get(&event.name)
            .into_iter()
            .flatten()
            .map(|i| &self.rules[*i])
            .filter(|r| r.enabled)
    }

    /// The key `rule` gives `event` (what [`Decision::key`] would be), to
    /// find the pending run a cancel event drops.
    pub fn key_for(
        &self,
        rule: &CompiledRule,
        event: &Event,
        item: Option<&ItemFacts>,
    ) -> Result<String, RuleError> {
        let vars = Vars::new(event, item);
        let renderer = Renderer {
            templates: &self.templates,
            vars: &vars,
            jinja: vars.jinja(),
            event,
        };
        key_of(rule, &renderer)
    }

    /// Converts an event (and its item's metadata, when fetched) into the
    /// variables rules read, once for every rule evaluated for it.
    pub fn prepare<'a>(&self, event: &'a Event, item: Option<&'a ItemFacts>) -> PreparedEvent<'a> {
        PreparedEvent {
            event,
            item,
            vars: Vars::new(event, item),
        }
    }

    /// [`RuleSet::evaluate`] with the event's variables already built.
    pub fn evaluate_prepared(
        &self,
        rule: &CompiledRule,
        prepared: &PreparedEvent<'_>,
    ) -> Result<Decision, RuleError> {
        let (event, item) = (prepared.event, prepared.item);
        let mut decision = Decision {
            rule: rule.id.clone(),
            fired: false,
            skipped: None,
            conditions: Vec::new(),
            captures: BTreeMap::new(),
            key: String::new(),
            actions: Vec::new(),
        };
        if event.caused_by_self && !rule.include_self {
            decision.skipped = Some(Skip::CausedBySelf);
            return Ok(decision);
        }
        let fits: Vec<(Fit, &Trigger)> = rule.triggers.iter().map(|t| (t.fit(event), t)).collect();
        if !fits.iter().any(|(f, _)| *f == Fit::Yes) {
            let pending: Vec<_> = fits.iter().filter(|(f, _)| *f == Fit::IfItemType).collect();
            if pending.is_empty() {
                decision.skipped = Some(Skip::NoTrigger);
                return Ok(decision);
            }
            let facts = item.ok_or(RuleError::NeedsMetadata)?;
            if !pending.iter().any(|(_, t)| t.item_type_fits(&facts.kind)) {
                decision.skipped = Some(Skip::ItemType {
                    kind: facts.kind.clone(),
                });
                return Ok(decision);
            }
        }
        if rule.uses_item() && item.is_none() {
            return Err(RuleError::NeedsMetadata);
        }
        let mut vars = prepared.vars.clone();
        for capture in &rule.captures {
            let Some(groups) = capture.apply(&vars) else {
                decision.skipped = Some(Skip::Capture {
                    from: capture.from.clone(),
                });
                return Ok(decision);
            };
            for (name, value) in groups {
                vars.set(&name, value.clone());
                decision.captures.insert(name, value);
            }
        }
        if !rule.conditions.is_empty() {
            let ctx = vars.cel_context(&self.cel);
            for c in &rule.conditions {
                let result = c.evaluate(&ctx).map_err(|message| RuleError::Condition {
                    expression: c.source.clone(),
                    message,
                })?;
                decision.conditions.push(ConditionResult {
                    expression: c.source.clone(),
                    result,
                    values: c.seen(&vars),
                });
                if !result {
                    decision.skipped = Some(Skip::Condition {
                        expression: c.source.clone(),
                    });
                    return Ok(decision);
                }
            }
        }
        let renderer = Renderer {
            templates: &self.templates,
            vars: &vars,
            jinja: vars.jinja(),
            event,
        };
        decision.key = key_of(rule, &renderer)?;
        decision.actions = rule
            .actions
            .iter()
            .map(|a| a.resolve(&renderer))
            .collect::<Result<_, _>>()?;
        decision.fired = true;
        Ok(decision)
    }
}

/// The rule's key for one evaluation: its template, else the event's item
/// id, else its section id.
fn key_of(rule: &CompiledRule, renderer: &Renderer<'_>) -> Result<String, RuleError> {
    match &rule.key {
        Some(k) => renderer.render(k, "key"),
        None => Ok(renderer
            .event_item()
            .or(renderer.event_section())
            .unwrap_or_default()
            .to_owned()),
    }
}

/// One event with its variables built, shared by every rule evaluated for it.
#[derive(Debug)]
pub struct PreparedEvent<'a> {
    event: &'a Event,
    item: Option<&'a ItemFacts>,
    vars: Vars,
}

/// Renders templates for one evaluation; actions ask it for defaults too.
pub(crate) struct Renderer<'a> {
    templates: &'a TemplateEnv,
    vars: &'a Vars,
    jinja: minijinja::Value,
    event: &'a Event,
}

impl Renderer<'_> {
    /// Renders `t`, the value of parameter `param` (named in errors).
    pub(crate) fn render(&self, t: &Template, param: &str) -> Result<String, RuleError> {
        self.templates
            .render(t, &self.jinja)
            .map_err(|e| RuleError::Template {
                template: t.source.clone(),
                message: match e.detail() {
                    Some(d) => format!("`{param}`: {}: {d}", e.kind()),
                    None => format!("`{param}`: {}", e.kind()),
                },
            })
    }

    /// The event's item id (the default `item` of item actions).
    pub(crate) fn event_item(&self) -> Option<&str> {
        self.event.item.as_ref().map(|i| i.id.as_str())
    }

    /// The event's section id (the default `section`).
    pub(crate) fn event_section(&self) -> Option<&str> {
        self.event.section.as_ref().map(|s| s.id.as_str())
    }

    /// The event as rules see it (the default webhook body).
    pub(crate) fn event_json(&self) -> serde_json::Value {
        self.vars.event_json()
    }
}

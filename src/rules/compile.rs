//! One rule file's text → a [`CompiledRule`], with every problem found.
//!
//! Order matters only for scope: triggers first (which events, so which
//! variables exist), then captures (which names they add), then everything
//! that reads variables. Nothing stops at the first error.

use std::path::Path;
use std::time::Duration;

use toml::Spanned;
use toml::de::DeTable;

use super::action::CompiledAction;
use super::capture::Capture;
use super::condition::Condition;
use super::reader::{Annotate, Sink, TableReader, suggest};
use super::rule::{CompiledRule, Flow, Mode};
use super::scope::Scope;
use super::template::{Template, TemplateEnv};
use super::test_case::RuleTest;
use super::trigger::Trigger;
use super::vocab::MODES;
use crate::diag::Diagnostic;
use crate::event::EventName;

/// Top-level keys of a rule file.
pub(crate) const KEYS: &[&str] = &[
    "description",
    "enabled",
    "mode",
    "max",
    "key",
    "debounce",
    "delay",
    "cooldown",
    "when_idle",
    "include_self",
    "conditions",
    "triggers",
    "captures",
    "cancel",
    "actions",
    "tests",
];

/// Keys of `[cancel]`.
const CANCEL_KEYS: &[&str] = &["events"];

/// What compiling one file needs at hand.
pub(crate) struct Cx<'a> {
    /// The whole file text, to place errors inside strings.
    pub(crate) source: &'a str,
    /// The rule file's folder (test fixtures are relative to it).
    pub(crate) base_dir: &'a Path,
    pub(crate) scope: Scope,
    pub(crate) templates: &'a mut TemplateEnv,
    pub(crate) sink: &'a mut Sink,
}

impl Cx<'_> {
    /// Compiles and scope-checks a template string.
    pub(crate) fn template(&mut self, s: &Spanned<String>) -> Option<Template> {
        self.templates
            .compile(s, self.source, &self.scope, self.sink)
    }

    /// Parses a humantime duration, reporting humantime's own message.
    pub(crate) fn duration(&mut self, s: &Spanned<String>, key: &str) -> Option<Duration> {
        let text = s.get_ref().trim();
        if let Some(positive) = text.strip_prefix('-') {
            self.sink
                .error(
                    s.span(),
                    format!("`{key}` must be a positive duration, found `{text}`"),
                )
                .help(format!("write {key} = \"{}\"", positive.trim()));
            return None;
        }
        match humantime::parse_duration(text) {
            Ok(d) if !d.is_zero() => Some(d),
            Ok(_) => {
                self.sink
                    .error(s.span(), format!("`{key}` must be longer than zero"))
                    .help("leave it out instead");
                None
            }
            Err(e) => {
                self.sink
                    .error(
                        s.span(),
                        format!("`{key}` is not a duration: `{text}` ({e})"),
                    )
                    .help("write a number and a unit: \"30s\", \"5m\", \"2h\", \"1day\"");
                None
            }
        }
    }
}

/// Compiles one rule file. Returns the rule only when the file has no errors.
pub(crate) fn compile_rule(
    id: &str,
    file: &Path,
    source: &str,
    templates: &mut TemplateEnv,
) -> (Option<CompiledRule>, Vec<Diagnostic>) {
    let mut sink = Sink::new(file);
    if source.trim().is_empty() {
        sink.error(0..0, "the file is empty").help(
            "a rule needs a trigger and an action, e.g.\n[[triggers]]\nevent = \"item.added\"\n\n[[actions]]\naction = \"refresh\"",
        );
        return (None, sink.diags);
    }
    let (doc, errors) = DeTable::parse_recoverable(source);
    if !errors.is_empty() {
        super::toml_error::report(source, errors, &mut sink);
        return (None, sink.diags);
    }
    let base_dir = file.parent().unwrap_or(Path::new("."));
    let mut cx = Cx {
        source,
        base_dir,
        scope: Scope {
            events: Vec::new(),
            captures: Vec::new(),
        },
        templates,
        sink: &mut sink,
    };
    let rule = compile_table(id, file, doc.get_ref(), &mut cx);
    let rule = if sink.has_errors() { None } else { rule };
    (rule, sink.diags)
}

fn compile_table(
    id: &str,
    file: &Path,
    doc: &DeTable<'_>,
    cx: &mut Cx<'_>,
) -> Option<CompiledRule> {
    let mut r = TableReader::new(doc, "rule");

    let trigger_tables = r.tables("triggers", cx.sink);
    if trigger_tables.is_empty() && r.key_span("triggers").is_none() {
        cx.sink
            .error(
                first_content_line(cx.source),
                "this rule has no `[[triggers]]`",
            )
            .help("add one:\n[[triggers]]\nevent = \"item.added\"");
    }
    let triggers: Vec<Trigger> = trigger_tables
        .into_iter()
        .filter_map(|(t, span)| Trigger::compile(t, span, cx))
        .collect();
    let mut events: Vec<EventName> = triggers
        .iter()
        .flat_map(|t| t.events.iter().copied())
        .collect();
    events.sort();
    events.dedup();
    cx.scope.events = events;

    let captures: Vec<(Capture, Spanned<String>)> = r
        .tables("captures", cx.sink)
        .into_iter()
        .filter_map(|(t, span)| Capture::compile(t, span, cx))
        .collect();
    let mut uses_item = false;
    // `from` is read before any capture runs, so it sees only earlier captures' names.
    for (c, from) in &captures {
        if c.from.contains("{{") || c.from.contains("{%") {
            let field: String = c
                .from
                .replace(['{', '}', '%'], "")
                .split('|')
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned();
            cx.sink
                .error(from.span(), "`from` takes a field name, not a template")
                .help(format!("write from = \"{field}\""));
            cx.scope.captures.extend(c.names.iter().cloned());
            continue;
        }
        let segs: Vec<&str> = c.from.split('.').collect();
        match cx.scope.check(&segs, false) {
            Ok(item) => uses_item |= item,
            Err(problem) => {
                let (message, help) = problem.describe(false);
                cx.sink.error(from.span(), message).help(help);
            }
        }
        cx.scope.captures.extend(c.names.iter().cloned());
    }
    let captures: Vec<Capture> = captures.into_iter().map(|(c, _)| c).collect();

    let description = r.string("description", cx.sink).map(|s| s.into_inner());
    let enabled = r.bool("enabled", cx.sink).is_none_or(|b| *b.get_ref());
    let include_self = r
        .bool("include_self", cx.sink)
        .is_some_and(|b| *b.get_ref());
    let when_idle = r.bool("when_idle", cx.sink).is_some_and(|b| *b.get_ref());

    let mode_value = r.string("mode", cx.sink);
    let mode = match &mode_value {
        None => Mode::Single,
        Some(m) => Mode::parse(m.get_ref()).unwrap_or_else(|| {
            cx.sink
                .error(m.span(), format!("unknown mode `{}`", m.get_ref()))
                .help(suggest(m.get_ref(), MODES));
            Mode::Single
        }),
    };
    let max = r.count("max", cx.sink);
    if let Some(max) = &max
        && !matches!(mode, Mode::Queued | Mode::Parallel)
    {
        cx.sink
            .error(
                max.span(),
                "`max` only applies to `mode = \"queued\"` or `\"parallel\"`",
            )
            .help("set the mode, or remove `max`");
    }
    let mut durations = [None, None, None];
    for (slot, key) in durations.iter_mut().zip(["debounce", "delay", "cooldown"]) {
        if let Some(s) = r.string(key, cx.sink) {
            *slot = cx.duration(&s, key);
        }
    }
    let [debounce, delay, cooldown] = durations;
    if let (Some(_), Some(_)) = (r.key_span("debounce"), r.key_span("delay")) {
        let at = r.key_span("delay").unwrap_or(0..0);
        cx.sink
            .error(at, "`delay` and `debounce` cannot both be set")
            .help("`debounce` waits for quiet after the last trigger; `delay` counts from the first: pick one");
    }
    let mut cancel = Vec::new();
    if let Some((t, span)) = r.table("cancel", cx.sink) {
        let mut cr = TableReader::new(t, "[cancel]");
        let all: Vec<&str> = EventName::ALL.iter().map(|e| e.as_str()).collect();
        for name in cr.strings("events", cx.sink).unwrap_or_default() {
            match name.get_ref().parse::<EventName>() {
                Ok(e) => cancel.push(e),
                Err(_) => {
                    cx.sink
                        .error(name.span(), format!("unknown event `{}`", name.get_ref()))
                        .help(suggest(name.get_ref(), &all));
                }
            }
        }
        cr.finish(CANCEL_KEYS, cx.sink);
        if r.key_span("delay").is_none() && r.key_span("debounce").is_none() {
            let at = r.key_span("cancel").unwrap_or(span);
            cx.sink
                .error(at, "`[cancel]` needs `delay` or `debounce`")
                .label("nothing is pending to cancel")
                .help("a cancel drops a run that is still waiting; add e.g. delay = \"10s\"");
        }
    }

    let conditions: Vec<Condition> = r
        .strings("conditions", cx.sink)
        .unwrap_or_default()
        .iter()
        .filter_map(|c| Condition::compile(c, cx.source, &cx.scope, cx.sink))
        .collect();
    let key = r.string("key", cx.sink).and_then(|k| cx.template(&k));
    // A cancel event finds the pending run by the key rendered for *it*, so
    // the key may only read what the cancel events carry.
    if let Some(k) = &key
        && !cancel.is_empty()
    {
        let scope = Scope {
            events: cancel.clone(),
            captures: Vec::new(),
        };
        let _ = k.check(
            &scope,
            cx.source,
            cx.sink,
            "in `key`, rendered for a cancel event",
        );
    }

    let action_tables = r.tables("actions", cx.sink);
    if action_tables.is_empty() && r.key_span("actions").is_none() {
        cx.sink
            .error(
                first_content_line(cx.source),
                "this rule has no `[[actions]]`",
            )
            .help("add one:\n[[actions]]\naction = \"log\"\nmessage = \"{{ event.name }}\"");
    }
    let actions: Vec<CompiledAction> = action_tables
        .into_iter()
        .filter_map(|(t, span)| CompiledAction::compile(t, span, cx))
        .collect();
    let tests: Vec<RuleTest> = r
        .tables("tests", cx.sink)
        .into_iter()
        .enumerate()
        .filter_map(|(i, (t, span))| RuleTest::compile(t, span, i, cx))
        .collect();
    r.finish(KEYS, cx.sink);

    uses_item |= conditions.iter().any(|c| c.uses_item)
        || key.as_ref().is_some_and(|k| k.uses_item)
        || actions.iter().any(|a| a.uses_item);
    Some(CompiledRule {
        id: id.to_owned(),
        file: file.to_path_buf(),
        description,
        enabled,
        flow: Flow {
            mode,
            max: max.map(|m| *m.get_ref()),
            debounce,
            delay,
            cooldown,
            when_idle,
            cancel,
        },
        include_self,
        triggers,
        captures,
        conditions,
        key,
        actions,
        tests,
        uses_item,
    })
}

/// The first line that is not blank or a comment (a `#:schema` line is
/// not where a missing table belongs), for whole-rule findings.
fn first_content_line(source: &str) -> std::ops::Range<usize> {
    let mut start = 0;
    for line in source.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let trimmed = body.trim_start();
        if !trimmed.is_empty() && !trimmed.starts_with('#') {
            let indent = body.len() - trimmed.len();
            return start + indent..start + body.len();
        }
        start += line.len();
    }
    0..0
}

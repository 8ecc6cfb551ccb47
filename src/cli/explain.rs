//! `explain EVENTS.jsonl [--rules DIR] [--sim]`: a dry run of recorded
//! events through the rules. For each event and rule: the triggers (which
//! filter refused it, and what it saw), captures, conditions with the values
//! they read, the key, the flow control, and the exact requests the actions
//! would send. Reads go to the live server (or an in-process simulator with
//! `--sim`); writes are never sent.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::Args;

use super::output::{outln, write_out};
use super::{CliError, Context};
use crate::action::{Executor, ExecutorSettings};
use crate::event::{Event, SelfCauses};
use crate::plex::PlexClient;
use crate::rules::{self, EventExplanation, Metadata, Outcome, RuleExplanation, RuleSet};
use crate::tools::runner;

/// Arguments of `explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Events as JSON lines, as `metarr-plex events` prints them (`-` for stdin).
    #[arg(value_name = "EVENTS.jsonl")]
    pub events: PathBuf,
    /// The rules directory (default: $CONFIGURATION_DIRECTORY/rules, else
    /// /etc/metarr-plex/rules).
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// Resolve against a built-in simulator instead of the configured server.
    #[arg(long)]
    pub sim: bool,
}

/// Where reads are answered.
enum Server {
    /// The configured server (read-only).
    Live(PlexClient, ExecutorSettings),
    /// An in-process simulator, kept alive for the run.
    Sim(PlexClient, crate::sim::Simulator),
}

/// `explain --sim`: needs no config.
pub(crate) async fn run_sim(args: &ExplainArgs, json: bool) -> Result<(), CliError> {
    let (events, loaded) = inputs(args)?;
    let sim = crate::sim::Simulator::start(crate::sim::SimOptions::default())
        .await
        .map_err(|e| CliError::Action(format!("cannot start the simulator: {e}")))?;
    let client = sim_client(&sim)?;
    let server = Server::Sim(client, sim);
    let outcome = explain_all(&events, &loaded, &server, json).await;
    if let Server::Sim(_, sim) = server {
        sim.shutdown().await;
    }
    outcome
}

/// `explain` against the configured server, read-only.
pub(crate) async fn run_live(ctx: &Context, args: &ExplainArgs) -> Result<(), CliError> {
    let (events, loaded) = inputs(args)?;
    let server = Server::Live(ctx.client()?, ExecutorSettings::from_config(&ctx.config));
    explain_all(&events, &loaded, &server, ctx.json).await
}

fn sim_client(sim: &crate::sim::Simulator) -> Result<PlexClient, CliError> {
    let token = crate::plex::conn::token::Token::new(sim.token())
        .map_err(|e| CliError::Action(format!("simulator token: {e}")))?;
    PlexClient::new(crate::plex::client::ClientSettings {
        base_url: sim.url(),
        tokens: crate::plex::conn::token::TokenSource::fixed(token),
        identity: crate::plex::conn::identity::ClientIdentity::new("metarr-plex-explain"),
        timeout: std::time::Duration::from_secs(10),
        tls: crate::plex::conn::tls::TlsSettings::default(),
    })
    .map_err(CliError::from)
}

/// Reads the events and the rules; rule errors are printed and the rules
/// that compiled are used.
fn inputs(args: &ExplainArgs) -> Result<(Vec<Event>, rules::Loaded), CliError> {
    let events = read_events(&args.events)?;
    let dir = super::rules_dir::rules_dir(
        args.rules.clone(),
        "metarr-plex explain --rules DIR EVENTS.jsonl",
    )?;
    let loaded = rules::load_dir(&dir).map_err(|e| CliError::Usage(e.to_string()))?;
    if !loaded.diagnostics.is_empty() {
        eprint!(
            "{}",
            rules::render_human(&loaded, std::io::stderr().is_terminal())
        );
    }
    Ok((events, loaded))
}

/// Parses JSON lines; blank lines and `#` comments are skipped. A bad line
/// is a usage error naming its line.
pub(crate) fn read_events(path: &Path) -> Result<Vec<Event>, CliError> {
    let text = if path == Path::new("-") {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(path)
    }
    .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
    let events = parse_events(&text).map_err(|(line, e)| {
        CliError::Usage(format!("{}:{line}: not an event: {e}", path.display()))
    })?;
    if events.is_empty() {
        return Err(CliError::Usage(format!(
            "{} holds no events; record some with `metarr-plex events > FILE` (one JSON object per line)",
            path.display()
        )));
    }
    Ok(events)
}

/// JSON lines → events, or the first bad line and why.
pub fn parse_events(text: &str) -> Result<Vec<Event>, (usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let json: serde_json::Value =
            serde_json::from_str(line).map_err(|e| (i + 1, e.to_string()))?;
        let event = rules::event_from_json(json, &format!("line-{}", i + 1))
            .map_err(|e| (i + 1, e.to_string()))?;
        out.push(event);
    }
    Ok(out)
}

async fn explain_all(
    events: &[Event],
    loaded: &rules::Loaded,
    server: &Server,
    json: bool,
) -> Result<(), CliError> {
    let (client, settings) = match server {
        Server::Live(c, s) => (c.clone(), s.clone()),
        Server::Sim(c, _) => (c.clone(), ExecutorSettings::default()),
    };
    let executor = Executor::new(client.clone(), settings, SelfCauses::new(), None);
    let mut all = Vec::new();
    for event in events {
        let mut x = runner::explain_on_server(&loaded.rules, event, &client, &executor).await;
        mark_unsent(&mut x);
        if json {
            let line = serde_json::to_string(&x)
                .map_err(|e| CliError::Action(format!("cannot print JSON: {e}")))?;
            outln!("{line}");
        } else {
            all.push(x);
        }
    }
    if !json {
        for x in &all {
            write_out(format_args!("{}", render_explanation(x, &loaded.rules)));
        }
    }
    if loaded.has_errors() {
        return Err(CliError::Partial(
            "some rule files have errors (listed above) and were left out".into(),
        ));
    }
    Ok(())
}

/// `explain` never writes: an action the executor planned as `done` was
/// not done, and must not read as if it were.
fn mark_unsent(x: &mut EventExplanation) {
    for action in x.rules.iter_mut().flat_map(|r| r.actions.iter_mut()) {
        if let Some(rest) = action.outcome.strip_prefix("done") {
            action.outcome = format!("would be done{rest}; not sent (explain only reads)");
        }
    }
}

/// The human report for one event.
pub fn render_explanation(x: &EventExplanation, rules: &RuleSet) -> String {
    let mut out = String::new();
    let _ = write!(out, "event {} {}", x.name, x.event);
    if let Some(item) = &x.item {
        let _ = write!(out, " (item {item})");
    }
    out.push('\n');
    match &x.metadata {
        Metadata::NotNeeded => {}
        Metadata::Fetched(f) => {
            let _ = writeln!(
                out,
                "  item metadata: {} \"{}\" guid {} folder {}",
                f.kind,
                f.title,
                f.guid,
                f.folder.as_deref().unwrap_or("-")
            );
        }
        Metadata::Gone => out.push_str("  item metadata: the server has no such item\n"),
        Metadata::Failed(e) => {
            let _ = writeln!(out, "  item metadata: fetch failed: {e}");
        }
    }
    let mut silent = Vec::new();
    for r in &x.rules {
        let listens = rules
            .get(&r.rule)
            .is_some_and(|rule| rule.events().any(|e| e.as_str() == x.name));
        if !listens {
            silent.push(r.rule.as_str());
            continue;
        }
        render_rule(&mut out, r);
    }
    if !silent.is_empty() {
        let _ = writeln!(out, "  not triggered by {}: {}", x.name, silent.join(", "));
    }
    out.push('\n');
    out
}

fn render_rule(out: &mut String, r: &RuleExplanation) {
    let verdict = match (&r.outcome, &r.skipped, &r.error) {
        (Outcome::Fires, _, _) => "FIRES".to_owned(),
        (Outcome::Disabled, _, _) => "disabled".to_owned(),
        (Outcome::Error, _, Some(e)) => format!("ERROR: {e}"),
        (_, Some(skip), _) => format!("skipped: {}", runner::describe_skip(skip)),
        _ => "skipped".to_owned(),
    };
    let _ = writeln!(out, "  {}: {verdict}", r.rule);
    for (i, t) in r.triggers.iter().enumerate() {
        match &t.miss {
            None => {
                let _ = writeln!(out, "    trigger {}: matches", i + 1);
            }
            Some(m) => {
                let saw = m.saw.as_deref().unwrap_or("nothing");
                let _ = writeln!(
                    out,
                    "    trigger {}: `{}` wants {}, the event has {saw}",
                    i + 1,
                    m.filter,
                    m.wanted.join(" | "),
                );
            }
        }
    }
    for (name, value) in &r.captures {
        let _ = writeln!(out, "    capture {name} = {value:?}");
    }
    for c in &r.conditions {
        let seen: Vec<String> = c.values.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        let _ = writeln!(
            out,
            "    condition `{}` is {}{}",
            c.expression,
            c.result,
            if seen.is_empty() {
                String::new()
            } else {
                format!(" ({})", seen.join(", "))
            }
        );
    }
    if r.outcome != Outcome::Fires {
        return;
    }
    if let Some(key) = &r.key {
        let _ = writeln!(out, "    key {key:?}");
    }
    let _ = writeln!(out, "    flow: {}", flow_words(&r.flow));
    for (i, a) in r.actions.iter().enumerate() {
        let _ = writeln!(
            out,
            "    action {} {}: {}",
            i + 1,
            a.action.name(),
            a.outcome
        );
        for req in &a.requests {
            let how = if req.write { "would send" } else { "read" };
            let _ = writeln!(out, "      {how:>10}: {}", req.request);
        }
    }
}

fn flow_words(f: &rules::FlowView) -> String {
    let mut parts = vec![format!("mode {}", mode_word(f.mode))];
    if let Some(m) = f.max {
        parts.push(format!("max {m}"));
    }
    for (word, v) in [
        ("debounce", &f.debounce),
        ("delay", &f.delay),
        ("cooldown", &f.cooldown),
    ] {
        if let Some(v) = v {
            parts.push(format!("{word} {v}"));
        }
    }
    if f.when_idle {
        parts.push("when idle".into());
    }
    if !f.cancel.is_empty() {
        parts.push(format!("cancelled by {}", f.cancel.join(", ")));
    }
    if f.include_self {
        parts.push("includes our own events".into());
    }
    parts.join(", ")
}

fn mode_word(m: rules::Mode) -> &'static str {
    match m {
        rules::Mode::Single => "single",
        rules::Mode::Restart => "restart",
        rules::Mode::Queued => "queued",
        rules::Mode::Parallel => "parallel",
    }
}

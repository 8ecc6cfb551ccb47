//! The command line: global options, one subcommand per file, exit codes.
//!
//! `main.rs` calls [`main`] and nothing else. Each one-shot command lives in
//! its own file and gets a [`Context`] (config, lazily built client, output
//! mode). Exit codes: 0 ok, 1 Plex or action error, 2 usage or config error.

mod activities;
mod artwork;
mod check;
mod collection;
mod context;
mod demo;
mod detect;
mod edit;
mod error;
mod events;
mod explain;
mod ids;
mod item;
mod item_actions;
mod job;
mod listing;
mod login;
mod map_path;
mod matching;
mod output;
mod progress;
mod queue;
mod requests;
mod rules_dir;
mod run;
mod scan;
mod schema;
mod sections;
mod sim;
mod tags;
mod test;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::rules;

pub use check::{CheckArgs, OutputFormat};
pub use context::Context;
pub use error::CliError;
pub use explain::{parse_events, render_explanation};
pub use test::test_command;

/// The help heading of the options every command takes, listed apart so a
/// subcommand's `--help` shows its own options first.
const GLOBAL: &str = "Global options";

/// metarr-plex: react to what happens on a Plex Media Server.
#[derive(Debug, Parser)]
#[command(name = "metarr-plex", version, about, long_about = None)]
pub struct Cli {
    /// Config file (default: $CONFIGURATION_DIRECTORY/config.toml, else
    /// /etc/metarr-plex/config.toml).
    #[arg(long, global = true, value_name = "FILE", help_heading = GLOBAL)]
    pub config: Option<PathBuf>,
    /// State directory (default: $STATE_DIRECTORY, else /var/lib/metarr-plex).
    #[arg(long, global = true, value_name = "DIR", help_heading = GLOBAL)]
    pub state_dir: Option<PathBuf>,
    /// Plex server URL, overriding `url` under `[server]` in the config.
    #[arg(long, global = true, value_name = "URL", help_heading = GLOBAL)]
    pub server: Option<String>,
    /// Print JSON for scripts instead of tables.
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub json: bool,
    /// Log format on stderr (default: journald under systemd, text on a
    /// terminal, JSON otherwise). Levels come from RUST_LOG.
    #[arg(long, global = true, value_name = "FORMAT", help_heading = GLOBAL)]
    pub log_format: Option<crate::service::logging::LogFormat>,
    /// The subcommand to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands. Other parts of the daemon add theirs here, one variant
/// and one file each.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List library sections and their folders.
    Sections,
    /// Show one item: ids, files, tags, locked fields.
    Item(item::ItemArgs),
    /// Partial-scan the folders holding these local paths.
    Scan(scan::ScanArgs),
    /// Match an item to a guid or an external id.
    Match(matching::MatchArgs),
    /// Undo an item's match.
    Unmatch(item_actions::IdArgs),
    /// Refresh an item's metadata.
    Refresh(item_actions::RefreshArgs),
    /// Analyze an item's media, or a whole section's (`--section`).
    Analyze(item_actions::AnalyzeArgs),
    /// Detect intros, credits, voice or ads, or make chapter thumbnails, on an item.
    Detect(detect::DetectArgs),
    /// List, create, fill, edit and delete collections (smart ones from a filter).
    Collection(collection::CollectionArgs),
    /// Set fields of an item, optionally locking them.
    Edit(edit::EditArgs),
    /// Add, remove or set tags (genre, director, writer, collection, label).
    Tags(tags::TagsArgs),
    /// Upload a poster from a file or URL, select and lock it.
    Poster(artwork::ArtworkArgs),
    /// Upload a background from a file or URL, select and lock it.
    Art(artwork::ArtworkArgs),
    /// List running activities, or cancel one.
    Activities(activities::ActivitiesArgs),
    /// List playback sessions.
    Sessions,
    /// List metadata agents.
    Agents,
    /// Show how a local path maps to Plex (and its section).
    MapPath(map_path::MapPathArgs),
    /// Run the built-in Plex simulator on loopback.
    Sim(sim::SimArgs),
    /// Print the notification stream as JSON lines (normalized events, or `--raw`).
    Events(events::EventsArgs),
    /// Check rule files: every error in every file, with its line (exit 0 ok, 1 errors, 2 IO).
    Check(check::CheckArgs),
    /// Print the JSON Schema of rule files, for editor completion.
    Schema,
    /// Run every rule's embedded [[tests]] with canned answers, no network (exit 0 pass, 1 fail, 2 IO).
    Test(test::TestArgs),
    /// Dry-run recorded events (JSON lines) through the rules: why each rule fires or not,
    /// and the exact requests it would send (reads only; writes are never sent).
    Explain(explain::ExplainArgs),
    /// Get a Plex token from plex.tv (browser PIN, or --password) and store it.
    Login(login::LoginArgs),
    /// Run the daemon: listen to Plex, run the rules, carry out their actions.
    Run(run::RunArgs),
    /// Show and manage the journal's accepted work (list, dead, retry, drop).
    Queue(queue::QueueArgs),
    /// Show what the HTTP intake accepted and where each path is (list, show ID).
    Requests(requests::RequestsArgs),
    /// Watch the whole thing work: a simulated Plex, the daemon and the
    /// shipped rules, playing a short story. Needs no config.
    Demo(demo::DemoArgs),
}

/// Parses the command line, runs the command, and turns the outcome into
/// an exit code. Errors are printed as one line (`error: …`), or as
/// positioned diagnostics for a bad config file.
pub fn main() -> ExitCode {
    // `--json` is global: known before parsing succeeds, so even a parse
    // error can be reported as JSON.
    let json = std::env::args_os()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "--json");
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return error::parse_error(&e, json),
    };
    // The daemon and the demo report their work at INFO; one-shot commands
    // print results, so their logs stay quiet unless RUST_LOG asks.
    let level = match cli.command {
        Command::Run(_) | Command::Demo(_) => "info",
        _ => "warn",
    };
    // The demo is for a person watching: short lines between its narration,
    // unless a format was asked for.
    match (&cli.command, cli.log_format) {
        (Command::Demo(_), None) => {
            if let Err(e) = crate::service::logging::init_compact(level) {
                eprintln!("error: {e}");
            }
        }
        (_, format) => init_logging(format, level),
    }
    // Checking rules and printing their schema need no config, no runtime and no Plex.
    match &cli.command {
        Command::Check(args) => {
            return ExitCode::from(check::run(args, cli.config.as_deref(), cli.json));
        }
        Command::Test(args) => return ExitCode::from(test::run(args, cli.json)),
        Command::Schema => {
            return match schema::run() {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    err.report(cli.json);
                    ExitCode::from(err.exit_code())
                }
            };
        }
        _ => {}
    }
    // `events` is one connection and one printer: on one thread they take
    // turns (the backlog stays a few dozen events long) and no second
    // worker, wake-ups across threads or extra malloc arena cost memory and
    // CPU; everything else may use both cores.
    let mut builder = match cli.command {
        Command::Events(_) => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let json = cli.json;
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            err.report(json);
            ExitCode::from(err.exit_code())
        }
    }
}

/// Runs one parsed command.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    match &cli.command {
        Command::Check(args) => {
            return match check::run(args, cli.config.as_deref(), cli.json) {
                0 => Ok(()),
                rules::EXIT_IO => Err(CliError::Usage("cannot read the rules directory".into())),
                _ => Err(CliError::Partial("rule files have errors".into())),
            };
        }
        Command::Schema => return schema::run(),
        Command::Test(args) => {
            return match test::run(args, cli.json) {
                0 => Ok(()),
                rules::EXIT_IO => Err(CliError::Usage("cannot read the rules directory".into())),
                _ => Err(CliError::Partial("rule tests failed".into())),
            };
        }
        _ => {}
    }
    // The simulator needs no config: a broken config must not stop it.
    if let Command::Sim(args) = cli.command {
        return sim::run(args).await;
    }
    if let Command::Demo(args) = cli.command {
        return demo::run(args).await;
    }
    // `explain --sim` brings its own server and needs no config.
    if let Command::Explain(args) = &cli.command
        && args.sim
    {
        return explain::run_sim(args, cli.json).await;
    }
    let ctx = Context::new(&cli)?;
    match cli.command {
        Command::Sections => sections::run(&ctx).await,
        Command::Item(a) => item::run(&ctx, a).await,
        Command::Scan(a) => scan::run(&ctx, a).await,
        Command::Match(a) => matching::run(&ctx, a).await,
        Command::Unmatch(a) => item_actions::unmatch(&ctx, a).await,
        Command::Refresh(a) => item_actions::refresh(&ctx, a).await,
        Command::Analyze(a) => item_actions::analyze(&ctx, a).await,
        Command::Detect(a) => detect::run(&ctx, a).await,
        Command::Collection(a) => collection::run(&ctx, a).await,
        Command::Edit(a) => edit::run(&ctx, a).await,
        Command::Tags(a) => tags::run(&ctx, a).await,
        Command::Poster(a) => artwork::run(&ctx, a, crate::plex::request::ImageKind::Poster).await,
        Command::Art(a) => artwork::run(&ctx, a, crate::plex::request::ImageKind::Art).await,
        Command::Activities(a) => activities::run(&ctx, a).await,
        Command::Sessions => listing::sessions(&ctx).await,
        Command::Agents => listing::agents(&ctx).await,
        Command::MapPath(a) => map_path::run(&ctx, a).await,
        Command::Explain(a) => explain::run_live(&ctx, &a).await,
        // Handled before the config is loaded.
        Command::Sim(_)
        | Command::Demo(_)
        | Command::Check(_)
        | Command::Schema
        | Command::Test(_) => Ok(()),
        Command::Login(a) => login::run(&ctx, a).await,
        Command::Events(a) => events::run(&ctx, a).await,
        Command::Run(a) => run::run(&ctx, a).await,
        Command::Queue(a) => queue::run(&ctx, a),
        Command::Requests(a) => requests::run(&ctx, a),
    }
}

/// Logs to stderr in the chosen or detected format; `RUST_LOG` picks levels,
/// warnings by default so config warnings (inline token, TLS checks off)
/// show on every run.
fn init_logging(format: Option<crate::service::logging::LogFormat>, level: &str) {
    if let Err(e) = crate::service::logging::init(format, level) {
        eprintln!("error: {e}");
    }
}

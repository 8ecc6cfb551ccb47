//! `requests [list | show ID]`: what the HTTP intake accepted and where each
//! path is, read from the journal (also while the daemon runs).

use serde::Serialize;

use super::output::{Table, clean, or_dash, print_json};
use super::{CliError, Context};
use crate::journal::{RequestRecord, RequestState, Store};

/// `requests` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum RequestsCommand {
    /// Requests, newest first (the default).
    List {
        /// Only requests in this state: queued, working, done, partial, failed.
        #[arg(long)]
        state: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// One request with each of its paths.
    Show {
        /// The request id (as the intake answered it, first column of `requests list`).
        id: String,
    },
}

/// Options of `requests`.
#[derive(Debug, clap::Args)]
pub struct RequestsArgs {
    /// What to show; `list` when omitted.
    #[command(subcommand)]
    pub command: Option<RequestsCommand>,
}

/// One request as `list --json` prints it: the items counted, not listed.
#[derive(Debug, Serialize)]
struct Summary<'a> {
    id: &'a str,
    source: &'a str,
    state: RequestState,
    created_at: u64,
    items: usize,
    done: usize,
}

/// Runs a `requests` subcommand.
pub(crate) fn run(ctx: &Context, args: RequestsArgs) -> Result<(), CliError> {
    let dir = ctx.state_dir()?;
    let store =
        Store::open(&dir).map_err(|e| CliError::Usage(format!("cannot open the journal: {e}")))?;
    let journal_err = |e: crate::journal::JournalError| CliError::Action(format!("journal: {e}"));
    let command = args.command.unwrap_or(RequestsCommand::List {
        state: None,
        limit: 50,
    });
    match command {
        RequestsCommand::List { state, limit } => {
            let state = match state.as_deref() {
                None => None,
                Some(s) => Some(RequestState::parse(s).ok_or_else(|| {
                    CliError::Usage(format!(
                        "unknown state `{s}`; use queued, working, done, partial or failed"
                    ))
                })?),
            };
            let list = store.intake_list(state, limit).map_err(journal_err)?;
            list_out(ctx, &list)
        }
        RequestsCommand::Show { id } => match store.intake_get(&id).map_err(journal_err)? {
            Some(r) => show_out(ctx, &r),
            None => Err(CliError::Usage(format!(
                "no request {id} (see `metarr-plex requests list`)"
            ))),
        },
    }
}

fn list_out(ctx: &Context, list: &[RequestRecord]) -> Result<(), CliError> {
    let done = |r: &RequestRecord| {
        r.items
            .iter()
            .filter(|i| i.state == crate::journal::ItemState::Done)
            .count()
    };
    if ctx.json {
        let rows: Vec<Summary<'_>> = list
            .iter()
            .map(|r| Summary {
                id: &r.id,
                source: &r.source,
                state: r.state,
                created_at: r.created_at,
                items: r.items.len(),
                done: done(r),
            })
            .collect();
        return print_json(&rows);
    }
    let mut table = Table::new(&["ID", "SOURCE", "STATE", "ITEMS", "DONE", "AGE"]);
    for r in list {
        table.row(vec![
            r.id.clone(),
            clean(&r.source),
            r.state.as_str().to_owned(),
            r.items.len().to_string(),
            done(r).to_string(),
            age(r.created_at),
        ]);
    }
    table.print_or("The intake has no requests.");
    Ok(())
}

fn show_out(ctx: &Context, r: &RequestRecord) -> Result<(), CliError> {
    if ctx.json {
        return print_json(r);
    }
    println!(
        "Request {} from {}: {} ({})",
        r.id,
        clean(&r.source),
        r.state.as_str(),
        age(r.created_at)
    );
    let mut table = Table::new(&["#", "STATE", "ITEM", "PATH", "DETAIL"]);
    for i in &r.items {
        table.row(vec![
            i.index.to_string(),
            i.state.as_str().to_owned(),
            or_dash(i.rating_key.as_deref()),
            clean(&i.path),
            i.detail.as_deref().map_or_else(|| "-".to_owned(), clean),
        ]);
    }
    table.print_or("(no paths: a webhook event handed to the rules)");
    Ok(())
}

/// `12s ago`.
fn age(at_ms: u64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let secs = now.saturating_sub(at_ms) / 1000;
    format!(
        "{} ago",
        humantime::format_duration(std::time::Duration::from_secs(secs))
    )
}

//! `queue list | dead | retry ID | drop ID`: the journal's accepted work,
//! read and managed offline.
//!
//! Reading is always allowed. Editing (`retry`, `drop`) is refused while a
//! daemon holds the state dir's lock: the running engine keeps its runs in
//! memory and would neither see the edit nor keep it (its next write for the
//! run undoes it). Stop the daemon, edit, start it again; `retry` takes
//! effect at that start.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::output::{Table, clean, print_json};
use super::{CliError, Context};
use crate::daemon::StateLock;
use crate::engine::{Millis, RunId};
use crate::journal::{RunRecord, Store};

/// `queue` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum QueueCommand {
    /// Accepted runs that have not finished (pending, delayed, debounced,
    /// deferred, retrying, running).
    List,
    /// The dead-letter list: runs that failed after their last attempt.
    Dead,
    /// Give a dead run a fresh set of attempts, or make a waiting run due
    /// now (takes effect when the daemon starts; refused while it runs).
    Retry {
        /// The run id (first column of `queue list`).
        id: u64,
    },
    /// Forget a run that is not running (refused while the daemon runs).
    Drop {
        /// The run id.
        id: u64,
    },
}

/// Options of `queue`.
#[derive(Debug, clap::Args)]
pub struct QueueArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: QueueCommand,
}

/// One run as `--json` prints it.
#[derive(Debug, Serialize)]
struct Row<'a> {
    #[serde(flatten)]
    record: &'a RunRecord,
    /// The event and item from the payload, for people.
    event: Option<String>,
    item: Option<String>,
}

/// Runs a `queue` subcommand.
pub(crate) fn run(ctx: &Context, args: QueueArgs) -> Result<(), CliError> {
    let dir = ctx.state_dir()?;
    let mut store =
        Store::open(&dir).map_err(|e| CliError::Usage(format!("cannot open the journal: {e}")))?;
    let journal_err = |e: crate::journal::JournalError| CliError::Action(format!("journal: {e}"));
    match args.command {
        QueueCommand::List => show(
            ctx,
            &store.list().map_err(journal_err)?,
            "No accepted work is waiting.",
        ),
        QueueCommand::Dead => show(
            ctx,
            &store.dead().map_err(journal_err)?,
            "The dead-letter list is empty.",
        ),
        QueueCommand::Retry { id } | QueueCommand::Drop { id } if StateLock::is_held(&dir) => {
            let _ = id;
            Err(CliError::Usage(format!(
                "a metarr-plex daemon is running on {}; stop it (systemctl stop metarr-plex) before editing its queue",
                dir.display()
            )))
        }
        QueueCommand::Retry { id } => {
            if store.retry(RunId(id), Millis::now()).map_err(journal_err)? {
                super::output::outln!("Run {id} will run when the daemon starts.");
                Ok(())
            } else {
                Err(CliError::Usage(format!(
                    "run {id} is not dead or waiting (see `queue list` and `queue dead`)"
                )))
            }
        }
        QueueCommand::Drop { id } => {
            if store.drop_run(RunId(id)).map_err(journal_err)? {
                super::output::outln!("Run {id} dropped.");
                Ok(())
            } else {
                Err(CliError::Usage(format!(
                    "no run {id} to drop (running runs cannot be dropped)"
                )))
            }
        }
    }
}

fn show(ctx: &Context, records: &[RunRecord], empty: &str) -> Result<(), CliError> {
    if ctx.json {
        let rows: Vec<Row<'_>> = records
            .iter()
            .map(|r| Row {
                record: r,
                event: payload_str(r, "event_name"),
                item: payload_str(r, "item"),
            })
            .collect();
        return print_json(&rows);
    }
    let mut table = Table::new(&[
        "ID", "RULE", "KEY", "STATE", "DUE", "ATTEMPTS", "EVENT", "ERROR",
    ]);
    for r in records {
        table.row(vec![
            r.id.to_string(),
            clean(&r.rule),
            clean(&r.key),
            r.state.as_str().to_owned(),
            r.due_at.map_or_else(|| "-".to_owned(), due),
            r.attempts.to_string(),
            payload_str(r, "event_name").unwrap_or_else(|| "-".into()),
            r.last_error
                .as_deref()
                .map_or_else(|| "-".to_owned(), clean),
        ]);
    }
    table.print_or(empty);
    Ok(())
}

fn payload_str(r: &RunRecord, field: &str) -> Option<String> {
    r.payload
        .get(field)
        .and_then(|v| v.as_str())
        .map(str::to_owned)
}

/// `in 42s` / `12s ago`, relative to now.
fn due(at: Millis) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    if at.0 >= now {
        format!(
            "in {}",
            humantime::format_duration(Duration::from_secs((at.0 - now) / 1000))
        )
    } else {
        format!(
            "{} ago",
            humantime::format_duration(Duration::from_secs((now - at.0) / 1000))
        )
    }
}

//! `events [--raw]`: connect to the notification stream and print what
//! arrives as JSON lines — normalized events (what rules see), or with
//! `--raw` the notification entries as Plex sent them. The quickest way to
//! learn what to write in a rule.

use std::io::{BufWriter, Write};
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::{CliError, Context};
use crate::event::{Event, EventName, Normalizer, NormalizerConfig, RawEntry};
use crate::source::listener::{
    Listener, ListenerConfig, MemoryWatermark, NormalizedPipeline, Pipeline, RawPipeline, backlog,
};

/// Options of `events`.
#[derive(Debug, clap::Args)]
pub struct EventsArgs {
    /// Print the raw notification entries instead of normalized events.
    #[arg(long)]
    pub raw: bool,
    /// Only these notification types (Plex's `filters`, e.g.
    /// `playing,timeline,activity`); overrides the config.
    #[arg(long, value_name = "TYPES")]
    pub filters: Option<String>,
    /// Exit after printing this many lines (1 or more; 0 is refused rather
    /// than read as "no limit" or "print one").
    #[arg(long, value_name = "N", value_parser = count_at_least_one)]
    pub count: Option<usize>,
}

fn count_at_least_one(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) => Err(
            "0 would print nothing; give 1 or more, or leave --count out to run until Ctrl-C"
                .into(),
        ),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{text}` is not a number of lines")),
    }
}

/// Runs until interrupted (or `--count` lines were printed).
pub(crate) async fn run(ctx: &Context, args: EventsArgs) -> Result<(), CliError> {
    let client = ctx.client()?;
    let mut config = ListenerConfig::from_config(&ctx.config, &client);
    if args.filters.is_some() {
        config.filters = args.filters;
    }
    let pipeline: Box<dyn Pipeline> = if args.raw {
        Box::new(RawPipeline)
    } else {
        Box::new(NormalizedPipeline::new(Normalizer::new(
            NormalizerConfig::default(),
        )))
    };
    let listener = Listener::new(
        config,
        pipeline,
        Arc::new(client),
        Arc::new(MemoryWatermark::new()),
    )
    .map_err(|e| CliError::Usage(e.to_string()))?;
    eprintln!("Listening to {} (Ctrl-C to stop).", listener.url());

    let (tx, mut rx) = backlog::channel(backlog::DEFAULT_LIMIT);
    let stop = CancellationToken::new();
    let task = tokio::spawn(listener.run(tx, stop.clone()));
    let outcome = print(&mut rx, args.raw, args.count).await;
    stop.cancel();
    let _ = task.await;
    outcome
}

/// Prints events until the stream ends, Ctrl-C, `count` lines or a closed
/// pipe. Lines go through one buffer, drained in batches and flushed once
/// the backlog stays empty for a turn of the reader: cheap under a burst,
/// prompt when idle.
async fn print(
    rx: &mut backlog::Receiver,
    raw: bool,
    count: Option<usize>,
) -> Result<(), CliError> {
    let mut out = BufWriter::with_capacity(64 << 10, std::io::stdout());
    let mut batch = Vec::with_capacity(BATCH);
    let mut printed = 0usize;
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    loop {
        if rx.drain_into(&mut batch, BATCH) == 0 && !out.buffer().is_empty() {
            // The reader shares this thread: an empty backlog may only mean
            // it has not had its turn. Give it one before calling the
            // stream quiet, so a burst goes out in full buffers rather than
            // in one write per turn.
            tokio::task::yield_now().await;
            // A closed pipe (`| head`) ends the command quietly.
            if rx.drain_into(&mut batch, BATCH) == 0 && out.flush().is_err() {
                return Ok(());
            }
        }
        if batch.is_empty() {
            tokio::select! {
                event = rx.recv() => match event {
                    Some(event) => batch.push(event),
                    None => return Ok(()),
                },
                _ = &mut interrupted => return Ok(()),
            }
        }
        for event in batch.drain(..) {
            match write_line(&mut out, &event, raw) {
                Ok(true) => printed += 1,
                Ok(false) => {}
                Err(_) => return Ok(()),
            }
            if count.is_some_and(|n| printed >= n) {
                let _ = out.flush();
                return Ok(());
            }
        }
    }
}

/// Events taken from the backlog per lock.
const BATCH: usize = 256;

/// What `--raw` prints for one notification entry.
#[derive(serde::Serialize)]
struct RawLine<'a> {
    #[serde(rename = "type")]
    kind: &'a Option<String>,
    received: &'a str,
    entry: &'a RawEntry,
}

/// Writes one JSON line to `out`; returns false when the event is not a
/// line (connection changes in `--raw` mode go to stderr instead).
fn write_line(out: &mut impl Write, event: &Event, raw: bool) -> std::io::Result<bool> {
    if raw {
        if event.name != EventName::Notification {
            eprintln!("# {}", event.name);
            return Ok(false);
        }
        let line = RawLine {
            kind: &event.notification_type,
            received: &event.timestamp,
            entry: &event.raw,
        };
        serde_json::to_writer(&mut *out, &line)?;
    } else {
        serde_json::to_writer(&mut *out, event)?;
    }
    out.write_all(b"\n")?;
    Ok(true)
}

//! `events [--raw]`: connect to the notification stream and print what
//! arrives as JSON lines — normalized events (what rules see), or with
//! `--raw` the notification entries as Plex sent them. The quickest way to
//! learn what to write in a rule.

use std::io::Write;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{CliError, Context};
use crate::event::{Event, EventName, Normalizer, NormalizerConfig};
use crate::source::listener::{
    Listener, ListenerConfig, MemoryWatermark, NormalizedPipeline, Pipeline, RawPipeline,
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

    let (tx, mut rx) = mpsc::channel(1024);
    let stop = CancellationToken::new();
    let task = tokio::spawn(listener.run(tx, stop.clone()));
    let mut printed = 0usize;
    let outcome = loop {
        let event = tokio::select! {
            event = rx.recv() => event,
            _ = tokio::signal::ctrl_c() => break Ok(()),
        };
        let Some(event) = event else { break Ok(()) };
        match line(&event, args.raw) {
            Line::Out(text) => {
                let mut out = std::io::stdout().lock();
                // A closed pipe (`| head`) ends the command quietly.
                if writeln!(out, "{text}").and_then(|()| out.flush()).is_err() {
                    break Ok(());
                }
                printed += 1;
            }
            Line::Status(text) => eprintln!("{text}"),
        }
        if args.count.is_some_and(|n| printed >= n) {
            break Ok(());
        }
    };
    stop.cancel();
    let _ = task.await;
    outcome
}

enum Line {
    /// A JSON line for stdout.
    Out(String),
    /// A human line for stderr (connection changes in `--raw` mode).
    Status(String),
}

fn line(event: &Event, raw: bool) -> Line {
    if !raw {
        return Line::Out(serde_json::to_string(event).unwrap_or_default());
    }
    if event.name != EventName::Notification {
        return Line::Status(format!("# {}", event.name));
    }
    let value = serde_json::json!({
        "type": event.notification_type,
        "received": event.timestamp,
        "entry": event.raw,
    });
    Line::Out(value.to_string())
}

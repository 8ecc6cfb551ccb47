//! `detect ID --kind intro|credits|chapters|voice|ads [--force] [--wait]`.

use clap::Args;
use serde_json::json;

use super::job::Job;
use super::output::{outln, print_json};
use super::{CliError, Context};
use crate::plex::follow::About;
use crate::plex::model::Item;
use crate::plex::request::DetectKind;

/// Arguments of `detect`.
#[derive(Debug, Args)]
pub struct DetectArgs {
    /// The item id (ratingKey).
    pub id: String,
    /// What to detect: intro, credits, chapters (thumbnails), voice, ads.
    #[arg(long, value_name = "KIND")]
    pub kind: DetectKind,
    /// Run again even where Plex already did it.
    #[arg(long)]
    pub force: bool,
    /// Follow the activity to its end, with progress on stderr, and show
    /// what was found.
    #[arg(long)]
    pub wait: bool,
}

/// Starts the detection, optionally follows it, and reports.
pub(crate) async fn run(ctx: &Context, args: DetectArgs) -> Result<(), CliError> {
    let client = ctx.client()?;
    let kind = args.kind;
    let job = Job {
        label: format!("{} of item {}", kind.feature(), args.id),
        kind: kind.activity_type(),
        about: About::Item(args.id.clone()),
    };
    let outcome = job
        .run(
            ctx,
            &client,
            args.wait,
            client.detect(&args.id, kind, args.force),
        )
        .await?;
    let found = if args.wait {
        client
            .item_with_markers(&args.id)
            .await
            .map_err(CliError::for_item(&args.id))?
            .map(|item| findings(&item, kind))
    } else {
        None
    };
    if ctx.json {
        return print_json(&json!({
            "id": args.id,
            "kind": kind,
            "force": args.force,
            "activity": outcome.activity,
            "result": outcome.result,
            "found": found,
        }));
    }
    let activity = outcome
        .activity
        .map(|a| format!(" (activity {a})"))
        .unwrap_or_default();
    outln!(
        "{} of item {}: {}{activity}.",
        capitalized(kind.feature()),
        args.id,
        outcome.result
    );
    if let Some(found) = found {
        outln!("Found: {}.", found.join(", "));
    }
    Ok(())
}

/// What the item carries now for `kind`: markers as `intro 0:30–1:20`,
/// chapters as `3 chapters, 3 with thumbnails`.
fn findings(item: &Item, kind: DetectKind) -> Vec<String> {
    let marker = match kind {
        DetectKind::Intro => "intro",
        DetectKind::Credits => "credits",
        DetectKind::Ads => "commercial",
        DetectKind::Chapters => {
            let thumbs = item.chapters.iter().filter(|c| c.thumb.is_some()).count();
            return vec![format!(
                "{} chapters, {thumbs} with thumbnails",
                item.chapters.len()
            )];
        }
        DetectKind::Voice => return vec!["voice activity is kept with the media".to_owned()],
    };
    let spans: Vec<String> = item
        .markers
        .iter()
        .filter(|m| m.kind == marker)
        .map(|m| {
            format!(
                "{marker} {}–{}",
                clock(m.start_time_offset),
                clock(m.end_time_offset)
            )
        })
        .collect();
    if spans.is_empty() {
        vec![format!("no {marker} marker")]
    } else {
        spans
    }
}

/// Milliseconds as `m:ss` (or `h:mm:ss`).
fn clock(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_reads_like_a_player() {
        assert_eq!(clock(90_500), "1:30");
        assert_eq!(clock(8_249_805), "2:17:29");
    }
}

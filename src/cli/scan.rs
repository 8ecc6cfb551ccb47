//! `scan PATH… [--full] [--wait] [--parallel N]`.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use super::output::{Table, or_dash, print_json};
use super::progress::{Progress, Style};
use super::{CliError, Context};
use crate::plex::scan::{LocalFs, ScanEnd, ScanOptions, ScanProgress, plan_with_client, run_scans};

/// Arguments of `scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Local files or folders (as this machine sees them).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Refresh each touched section whole instead of its folders.
    #[arg(long)]
    pub full: bool,
    /// Follow each scan to its end, with progress on stderr.
    #[arg(long)]
    pub wait: bool,
    /// Scans at once (default: [scan] parallel, 3).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=16))]
    pub parallel: Option<u16>,
}

/// Plans and runs the scans.
pub(crate) async fn run(ctx: &Context, args: ScanArgs) -> Result<(), CliError> {
    let mut paths = Vec::with_capacity(args.paths.len());
    for p in &args.paths {
        let abs = std::path::absolute(p)
            .map_err(|e| CliError::Usage(format!("cannot resolve {}: {e}", p.display())))?;
        paths.push(abs);
    }
    let client = ctx.client()?;
    let plan = plan_with_client(&client, &paths, &ctx.config.path_map, &LocalFs).await?;
    let opts = ScanOptions {
        parallel: args.parallel.map_or(ctx.config.scan.parallel, usize::from),
        full: args.full,
        wait: args.wait,
        ..ScanOptions::default()
    };
    let display = Progress::new(Style::detect(args.wait && !ctx.json));
    let progress = |p: &ScanProgress| show_progress(&display, p);
    let outcomes = run_scans(&client, &plan, &opts, &progress).await;
    let failed = outcomes.iter().filter(|o| o.result.is_err()).count();
    if ctx.json {
        let scans: Vec<_> = outcomes
            .iter()
            .map(|o| {
                json!({
                    "section_id": o.section_id,
                    "section_title": o.section_title,
                    "folder": o.folder,
                    "activity": o.activity,
                    "result": o.result.as_ref().ok(),
                    "error": o.result.as_ref().err().map(ToString::to_string),
                })
            })
            .collect();
        let problems: Vec<_> = plan
            .problems
            .iter()
            .map(|(p, e)| json!({ "path": p, "error": e.to_string() }))
            .collect();
        print_json(&json!({ "scans": scans, "problems": problems }))?;
    } else {
        for (_, e) in &plan.problems {
            eprintln!("error: {e}");
        }
        let mut t = Table::new(&["SECTION", "FOLDER", "ACTIVITY", "RESULT"]);
        for o in &outcomes {
            t.row(vec![
                o.section_title.clone(),
                o.folder.clone().unwrap_or_else(|| "(whole section)".into()),
                or_dash(o.activity.as_ref()),
                match &o.result {
                    Ok(end) => end_text(end).into(),
                    Err(e) => format!("failed: {e}"),
                },
            ]);
        }
        if !outcomes.is_empty() {
            t.print();
        }
    }
    let bad = plan.problems.len() + failed;
    // A path no [[path_map]] covers is the caller's mistake (exit 2).
    if let Some((_, e)) = plan
        .problems
        .iter()
        .find(|(_, e)| matches!(e, crate::plex::scan::ScanPathError::Unmapped(_)))
    {
        return Err(CliError::Usage(format!(
            "{e} ({bad} of {} scans could not be done)",
            plan.problems.len() + outcomes.len()
        )));
    }
    if bad > 0 {
        return Err(CliError::Partial(format!(
            "{bad} of {} scans could not be done",
            plan.problems.len() + outcomes.len()
        )));
    }
    Ok(())
}

fn end_text(end: &ScanEnd) -> &'static str {
    match end {
        ScanEnd::Started => "started",
        ScanEnd::Finished => "finished",
        ScanEnd::FinishedUnseen => "finished (too quick to follow)",
        ScanEnd::TimedOut => "still running (gave up waiting)",
    }
}

/// Each step of a scan on the progress display, labelled `[Section] folder`.
fn show_progress(display: &Progress, p: &ScanProgress) {
    let label = |title: &str, folder: &Option<String>| {
        format!(
            "[{title}] {}",
            folder.as_deref().unwrap_or("(whole section)")
        )
    };
    match p {
        ScanProgress::Started {
            section_title,
            folder,
            activity,
        } => display.started(&label(section_title, folder), activity.as_deref()),
        ScanProgress::Running {
            section_title,
            folder,
            percent,
            subtitle,
        } => display.running(&label(section_title, folder), *percent, subtitle.as_deref()),
        ScanProgress::Ended {
            section_title,
            folder,
            end,
        } => display.ended(&label(section_title, folder), end_text(end)),
    }
}

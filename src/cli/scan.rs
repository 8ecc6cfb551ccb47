//! `scan PATH… [--full] [--wait] [--parallel N]`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use clap::Args;
use serde_json::json;

use super::output::{Table, or_dash, print_json};
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
    let last: Mutex<HashMap<(String, Option<String>), String>> = Mutex::new(HashMap::new());
    let show_progress = args.wait && !ctx.json;
    let progress = |p: &ScanProgress| {
        if show_progress {
            print_progress(p, &last);
        }
    };
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

/// One line per change on stderr: started, each new percent or subtitle,
/// ended.
fn print_progress(p: &ScanProgress, last: &Mutex<HashMap<(String, Option<String>), String>>) {
    let (title, folder, text) = match p {
        ScanProgress::Started {
            section_title,
            folder,
            activity,
        } => (
            section_title,
            folder,
            match activity {
                Some(a) => format!("started (activity {a})"),
                None => "started".to_owned(),
            },
        ),
        ScanProgress::Running {
            section_title,
            folder,
            percent,
            subtitle,
        } => {
            let pct = match percent {
                Some(p) if *p >= 0.0 => format!("{p:.0}%"),
                _ => "…".to_owned(),
            };
            let sub = subtitle
                .as_deref()
                .map(super::output::clean)
                .unwrap_or_default();
            (
                section_title,
                folder,
                format!("{pct} {sub}").trim_end().to_owned(),
            )
        }
        ScanProgress::Ended {
            section_title,
            folder,
            end,
        } => (section_title, folder, end_text(end).to_owned()),
    };
    let key = (title.clone(), folder.clone());
    if let Ok(mut seen) = last.lock() {
        if seen.get(&key) == Some(&text) {
            return;
        }
        seen.insert(key, text.clone());
    }
    let target = folder.as_deref().unwrap_or("(whole section)");
    eprintln!("[{}] {target}: {text}", super::output::clean(title));
}

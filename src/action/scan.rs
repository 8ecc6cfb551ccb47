//! `scan` and `refresh_section`, through the same planning and running as
//! the `scan` command ([`crate::plex::scan`]), under the executor's
//! per-section lock so that no two scans of one section ever overlap, even
//! across rules: with the default settings each scan is followed to its end
//! (correlated by its `X-Plex-Activity` uuid) before the lock is released.

use std::path::{Path, PathBuf};

use super::outcome::{Step, Stop};
use super::{ActionOutcome, Call};
use crate::plex::model::MediaType;
use crate::plex::scan::{
    LocalFs, ScanEnd, ScanOptions, ScanOutcome, ScanPlan, SectionScan, plan_with_client, run_scans,
};
use crate::rules::ScanTarget;

/// Partial scans of the folders holding `target`.
pub(crate) async fn scan(call: &Call<'_>, target: &ScanTarget) -> Step {
    let paths: Vec<PathBuf> = match target {
        ScanTarget::Paths(paths) => paths.iter().map(PathBuf::from).collect(),
        ScanTarget::Missing { section, under } => {
            let missing = missing_folders(call, section, under).await?;
            if missing.is_empty() {
                return Err(ActionOutcome::skipped(format!(
                    "no folder on disk is missing from section {section}"
                ))
                .into());
            }
            missing
        }
    };
    let map = call.settings().path_map.clone();
    let plan = plan_with_client(call.client(), &paths, &map, &LocalFs).await?;
    call.count(1);
    for (path, problem) in &plan.problems {
        tracing::warn!(
            rule = %call.ctx().rule, run_id = %call.ctx().run_id,
            event_id = %call.ctx().event_id, path = %path.display(),
            problem = %problem, "Path not scanned."
        );
    }
    if plan.sections.is_empty() {
        let why: Vec<String> = plan.problems.iter().map(|(_, e)| e.to_string()).collect();
        return Err(ActionOutcome::refused(format!("nothing to scan: {}", why.join("; "))).into());
    }
    let opts = ScanOptions {
        full: false,
        wait: call.settings().scan.wait && !call.dry_run(),
        ..call.settings().scan.clone()
    };
    let outcomes = run_locked(call, &plan, &opts).await;
    summarize(&outcomes)
}

/// A full scan of `section`; with `wait`, followed to its end by the
/// activity it started.
pub(crate) async fn refresh_section(call: &Call<'_>, section: &str, wait: bool) -> Step {
    let Some(found) = call.client().section(section).await? else {
        return Err(ActionOutcome::skipped(format!("section {section} is gone")).into());
    };
    call.count(1);
    let plan = ScanPlan {
        sections: vec![SectionScan {
            section_id: found.id.clone(),
            section_title: found.title.clone(),
            folders: Vec::new(),
        }],
        problems: Vec::new(),
    };
    // Followed to its end when the rule asks, and always when scans are
    // followed (the section lock is held until the scan ends). A dry run
    // starts nothing, so there is nothing to follow.
    let opts = ScanOptions {
        full: true,
        wait: (wait || call.settings().scan.wait) && !call.dry_run(),
        ..call.settings().scan.clone()
    };
    let outcomes = run_locked(call, &plan, &opts).await;
    summarize(&outcomes)
}

/// Runs each section's scans under that section's lock, sections in
/// parallel (bounded by `opts.parallel` inside [`run_scans`]).
async fn run_locked(call: &Call<'_>, plan: &ScanPlan, opts: &ScanOptions) -> Vec<ScanOutcome> {
    let per_section = plan.sections.iter().map(|s| async move {
        let _lock = call.exec().pacing.section(&s.section_id).await;
        call.touch_section(&s.section_id);
        let one = ScanPlan {
            sections: vec![s.clone()],
            problems: Vec::new(),
        };
        let outcomes = run_scans(call.client(), &one, opts, &|_| {}).await;
        for o in &outcomes {
            call.count(1);
            if let Some(uuid) = &o.activity
                && !call.dry_run()
            {
                call.exec().self_causes.activity(uuid);
            }
        }
        outcomes
    });
    futures::future::join_all(per_section)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// Done when every scan started; the first failure otherwise (a retry
/// repeats the whole action: asking Plex to scan a folder twice is harmless).
fn summarize(outcomes: &[ScanOutcome]) -> Step {
    let mut lines = Vec::new();
    for o in outcomes {
        let end = match &o.result {
            Ok(end) => end,
            Err(e) => return Err(Stop::Plex(clone_error(e))),
        };
        let what = o.folder.as_deref().unwrap_or("whole section");
        let how = match end {
            ScanEnd::Started => "started",
            ScanEnd::Finished | ScanEnd::FinishedUnseen => "finished",
            ScanEnd::TimedOut => "still running at the wait timeout",
        };
        lines.push(format!("{} {what}: {how}", o.section_title));
    }
    Ok(format!("{} scan(s): {}", outcomes.len(), lines.join("; ")))
}

/// [`crate::plex::PlexError`] is not `Clone`; rebuild what the outcome needs.
fn clone_error(e: &crate::plex::PlexError) -> crate::plex::PlexError {
    use crate::plex::PlexError;
    match e {
        PlexError::NotFound { what } => PlexError::NotFound { what: what.clone() },
        PlexError::Retryable {
            status,
            retry_after,
            excerpt,
        } => PlexError::Retryable {
            status: *status,
            retry_after: *retry_after,
            excerpt: excerpt.clone(),
        },
        PlexError::Unavailable { url, reason } => PlexError::Unavailable {
            url: url.clone(),
            reason: reason.clone(),
        },
        other => PlexError::Rejected {
            status: reqwest::StatusCode::BAD_REQUEST,
            excerpt: other.to_string(),
        },
    }
}

/// Folders on disk directly under `under` (default: the section's
/// locations, mapped to local paths) that hold no file of any item of the
/// section: what Plex still lacks.
async fn missing_folders(
    call: &Call<'_>,
    section_id: &str,
    under: &[String],
) -> Result<Vec<PathBuf>, Stop> {
    let Some(section) = call.client().section(section_id).await? else {
        return Err(ActionOutcome::skipped(format!("section {section_id} is gone")).into());
    };
    let map = &call.settings().path_map;
    let to_local = |p: &Path| map.to_local(p).unwrap_or_else(|_| p.to_owned());
    let roots: Vec<PathBuf> = if under.is_empty() {
        section
            .locations
            .iter()
            .map(|l| to_local(Path::new(&l.path)))
            .collect()
    } else {
        under.iter().map(PathBuf::from).collect()
    };
    let kind = section.media_type().map(MediaType::leaf);
    let items = call.client().all_section_items(section_id, kind).await?;
    call.count(2);
    let known: Vec<PathBuf> = items
        .iter()
        .flat_map(|i| i.files())
        .map(|f| to_local(Path::new(f)))
        .collect();
    let listed = tokio::task::spawn_blocking(move || subfolders(&roots))
        .await
        .map_err(|e| ActionOutcome::transient(format!("listing folders failed: {e}")))?;
    Ok(listed
        .into_iter()
        .filter(|dir| !known.iter().any(|f| f.starts_with(dir)))
        .collect())
}

/// The directories directly under each root, sorted; unreadable roots are
/// skipped with a warning.
fn subfolders(roots: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for root in roots {
        let entries = match std::fs::read_dir(root) {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(root = %root.display(), error = %e, "Cannot list folder.");
                continue;
            }
        };
        let mut dirs: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .collect();
        dirs.sort();
        out.extend(dirs);
    }
    out
}

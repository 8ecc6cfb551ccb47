//! Running a scan plan: bounded parallelism, one scan per section at a
//! time, and optional waiting correlated to the activity each scan started.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use super::plan::{PathProbe, ScanPlan, plan_scan};
use crate::plex::client::PlexClient;
use crate::plex::error::PlexError;
use crate::plex::follow::{About, FollowEnd, FollowOptions, Watch, follow};
use crate::plex::model::Activity;
use crate::plex::pathmap::PathMap;

/// The activity type of a section scan, partial or full.
const SECTION_SCAN_ACTIVITY: &str = "library.update.section";

/// How to run a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanOptions {
    /// Scans at once, across sections.
    pub parallel: usize,
    /// Refresh each touched section whole instead of its folders.
    pub full: bool,
    /// Follow each scan to its end.
    pub wait: bool,
    /// Time between `/activities` polls while waiting.
    pub poll_every: Duration,
    /// When Plex named no activity: how long to look for a new section scan
    /// before assuming it ran and ended between two polls.
    pub unseen_grace: Duration,
    /// Give up waiting on one scan after this long.
    pub wait_timeout: Option<Duration>,
}

impl Default for ScanOptions {
    fn default() -> ScanOptions {
        ScanOptions {
            parallel: 3,
            full: false,
            wait: false,
            poll_every: Duration::from_secs(1),
            unseen_grace: Duration::from_secs(10),
            wait_timeout: None,
        }
    }
}

/// How one scan ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanEnd {
    /// Requested; not waited for.
    Started,
    /// Its activity ran and is gone.
    Finished,
    /// No activity was ever seen; it most likely ran between two polls.
    FinishedUnseen,
    /// Still running when `wait_timeout` passed.
    TimedOut,
}

/// The result of one scan request.
#[derive(Debug)]
pub struct ScanOutcome {
    /// The section scanned.
    pub section_id: String,
    /// Its name.
    pub section_title: String,
    /// The folder; `None` for a full section refresh.
    pub folder: Option<String>,
    /// The `X-Plex-Activity` uuid, or the activity found while waiting.
    pub activity: Option<String>,
    /// How it ended, or why it could not start.
    pub result: Result<ScanEnd, PlexError>,
}

/// A step of a running scan, for progress lines.
#[derive(Debug, Clone, PartialEq)]
pub enum ScanProgress {
    Started {
        section_title: String,
        folder: Option<String>,
        activity: Option<String>,
    },
    Running {
        section_title: String,
        folder: Option<String>,
        /// Percent, when Plex knows (-1 means it does not).
        percent: Option<f64>,
        /// What Plex is looking at now.
        subtitle: Option<String>,
    },
    Ended {
        section_title: String,
        folder: Option<String>,
        end: ScanEnd,
    },
}

/// Plans `paths` with the client's sections; a path under no known section
/// refreshes the section list once and plans again.
pub async fn plan_with_client(
    client: &PlexClient,
    paths: &[PathBuf],
    map: &PathMap,
    probe: &(dyn PathProbe + Sync),
) -> Result<ScanPlan, PlexError> {
    let sections = client.sections().await?;
    let plan = plan_scan(paths, map, &sections, probe);
    let missed = plan
        .problems
        .iter()
        .any(|(_, e)| matches!(e, super::ScanPathError::NotInAnySection(_)));
    if !missed {
        return Ok(plan);
    }
    let fresh = client.refresh_sections().await?;
    Ok(plan_scan(paths, map, &fresh, probe))
}

/// Runs every scan of `plan`; returns one outcome per scan, sections in plan
/// order and folders in order within a section.
pub async fn run_scans(
    client: &PlexClient,
    plan: &ScanPlan,
    opts: &ScanOptions,
    progress: &(dyn Fn(&ScanProgress) + Sync),
) -> Vec<ScanOutcome> {
    let permits = Arc::new(Semaphore::new(opts.parallel.max(1)));
    let per_section = plan.sections.iter().map(|s| {
        let permits = permits.clone();
        async move {
            let targets: Vec<Option<String>> = if opts.full {
                vec![None]
            } else {
                s.folders.iter().cloned().map(Some).collect()
            };
            let mut outcomes = Vec::new();
            // One scan at a time per section: the next waits for this one.
            for folder in targets {
                let Ok(_permit) = permits.acquire().await else {
                    break;
                };
                outcomes.push(
                    one_scan(
                        client,
                        &s.section_id,
                        &s.section_title,
                        folder,
                        opts,
                        progress,
                    )
                    .await,
                );
            }
            outcomes
        }
    });
    futures::future::join_all(per_section)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// One scan request: which section, which folder (`None` = whole section).
struct Target<'a> {
    section_id: &'a str,
    section_title: &'a str,
    folder: Option<String>,
}

impl Target<'_> {
    fn started(&self, activity: Option<String>) -> ScanProgress {
        ScanProgress::Started {
            section_title: self.section_title.to_owned(),
            folder: self.folder.clone(),
            activity,
        }
    }

    fn running(&self, a: &Activity) -> ScanProgress {
        ScanProgress::Running {
            section_title: self.section_title.to_owned(),
            folder: self.folder.clone(),
            percent: a.progress,
            subtitle: a.subtitle.clone(),
        }
    }

    fn ended(&self, end: ScanEnd) -> ScanProgress {
        ScanProgress::Ended {
            section_title: self.section_title.to_owned(),
            folder: self.folder.clone(),
            end,
        }
    }
}

async fn one_scan(
    client: &PlexClient,
    section_id: &str,
    section_title: &str,
    folder: Option<String>,
    opts: &ScanOptions,
    progress: &(dyn Fn(&ScanProgress) + Sync),
) -> ScanOutcome {
    let target = Target {
        section_id,
        section_title,
        folder,
    };
    let mut outcome = ScanOutcome {
        section_id: section_id.to_owned(),
        section_title: section_title.to_owned(),
        folder: target.folder.clone(),
        activity: None,
        result: Ok(ScanEnd::Started),
    };
    // Without an X-Plex-Activity header, "ours" is a section scan that was
    // not running before we asked: remember what was.
    let before: HashSet<String> = if opts.wait {
        match client.activities().await {
            Ok(list) => list.into_iter().map(|a| a.uuid).collect(),
            Err(e) => {
                outcome.result = Err(e);
                return outcome;
            }
        }
    } else {
        HashSet::new()
    };
    let started = match &target.folder {
        Some(f) => client.scan_path(section_id, f).await,
        None => client.refresh_section(section_id, false).await,
    };
    match started {
        Ok(uuid) => outcome.activity = uuid,
        Err(e) => {
            outcome.result = Err(e);
            return outcome;
        }
    }
    tracing::info!(
        section = %section_id,
        folder = target.folder.as_deref().unwrap_or("(whole section)"),
        activity = outcome.activity.as_deref().unwrap_or("-"),
        "Scan started."
    );
    progress(&target.started(outcome.activity.clone()));
    if !opts.wait {
        return outcome;
    }
    outcome.result = wait_for(
        client,
        &target,
        &mut outcome.activity,
        &before,
        opts,
        progress,
    )
    .await;
    if let Ok(end) = &outcome.result {
        progress(&target.ended(end.clone()));
    }
    outcome
}

/// Follows the scan's activity (by uuid, or as the new section scan of our
/// section) until it is gone.
async fn wait_for(
    client: &PlexClient,
    target: &Target<'_>,
    activity: &mut Option<String>,
    before: &HashSet<String>,
    opts: &ScanOptions,
    progress: &(dyn Fn(&ScanProgress) + Sync),
) -> Result<ScanEnd, PlexError> {
    let mut watch = Watch {
        uuid: activity.clone(),
        kind: SECTION_SCAN_ACTIVITY,
        about: About::Section(target.section_id.to_owned()),
        before: before.clone(),
    };
    let follow_opts = FollowOptions {
        poll_every: opts.poll_every,
        unseen_grace: opts.unseen_grace,
        timeout: opts.wait_timeout,
    };
    let end = follow(client, &mut watch, &follow_opts, &|a: &Activity| {
        progress(&target.running(a))
    })
    .await;
    *activity = watch.uuid;
    Ok(match end? {
        FollowEnd::Finished => ScanEnd::Finished,
        FollowEnd::FinishedUnseen => ScanEnd::FinishedUnseen,
        FollowEnd::TimedOut => ScanEnd::TimedOut,
    })
}

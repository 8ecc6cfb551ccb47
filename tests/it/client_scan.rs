//! Scan planning and execution against the simulator: grouping, waiting by
//! activity, at most one scan per section, the global limit, full refreshes.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use metarr_plex::plex::pathmap::PathMap;
use metarr_plex::plex::scan::{
    LocalFs, ScanEnd, ScanOptions, ScanProgress, plan_with_client, run_scans,
};
use metarr_plex::sim::{Notification, SimOptions, Simulator};
use tokio::sync::broadcast::Receiver;

use super::client_harness::*;

const INCEPTION: &str = "/data/media/movies/Inception (2010) {tmdb-27205}/Inception (2010).mkv";
const S02E03: &str = "/data/media/tv/Severance {tvdb-371980}/Season 02/Severance - S02E03.mkv";

/// The seeded library seen from a machine that mounts it under `/mnt/plex`.
fn mapped() -> PathMap {
    PathMap::new([(PathBuf::from("/mnt/plex"), PathBuf::from("/data/media"))])
}

fn local(plex: &str) -> PathBuf {
    PathBuf::from(plex.replacen("/data/media", "/mnt/plex", 1))
}

fn opts(parallel: usize) -> ScanOptions {
    ScanOptions {
        parallel,
        wait: true,
        poll_every: Duration::from_millis(40),
        ..ScanOptions::default()
    }
}

/// `(event, uuid, section)` of every section-scan activity notification so far.
fn scan_events(rx: &mut Receiver<Notification>) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    while let Ok(n) = rx.try_recv() {
        if n.kind != "activity" {
            continue;
        }
        for e in n.frame["NotificationContainer"]["ActivityNotification"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if e["Activity"]["type"] == "library.update.section" {
                out.push((
                    e["event"].as_str().unwrap_or("").to_owned(),
                    e["uuid"].as_str().unwrap_or("").to_owned(),
                    e["Activity"]["Context"]["librarySectionID"]
                        .as_str()
                        .unwrap_or("")
                        .to_owned(),
                ));
            }
        }
    }
    out
}

/// True when, for the given section filter, no scan starts before the
/// previous one ended.
fn never_overlapping(events: &[(String, String, String)], section: Option<&str>) -> bool {
    let mut running = 0;
    for (event, _, s) in events {
        if section.is_some_and(|want| want != s) {
            continue;
        }
        match event.as_str() {
            "started" => {
                running += 1;
                if running > 1 {
                    return false;
                }
            }
            "ended" => running -= 1,
            _ => {}
        }
    }
    true
}

async fn sim_with_slow_scans() -> (Simulator, metarr_plex::plex::PlexClient) {
    setup_with(
        SimOptions {
            activity_duration: Duration::from_millis(300),
            ..SimOptions::default()
        },
        Duration::from_secs(5),
    )
    .await
}

#[tokio::test]
async fn scans_wait_for_their_own_activity_one_at_a_time_per_section() {
    let (sim, client) = sim_with_slow_scans().await;
    let mut rx = sim.notifications();
    let paths = [
        local(INCEPTION),
        local(ARRIVAL),
        local(S02E03),
        local("/data/media/movies/Inception (2010) {tmdb-27205}/Inception (2010).en.srt"),
    ];
    let plan = plan_with_client(&client, &paths, &mapped(), &LocalFs)
        .await
        .unwrap();
    assert!(plan.problems.is_empty(), "{:?}", plan.problems);
    assert_eq!(
        plan.folder_count(),
        3,
        "two files of one folder are one scan"
    );
    let seen = Mutex::new(Vec::new());
    let outcomes = run_scans(&client, &plan, &opts(3), &|p: &ScanProgress| {
        seen.lock().unwrap().push(p.clone());
    })
    .await;
    assert_eq!(outcomes.len(), 3);
    for o in &outcomes {
        assert_eq!(o.result.as_ref().ok(), Some(&ScanEnd::Finished), "{o:?}");
    }
    // The folders Plex was asked to scan, in its namespace.
    let scanned: Vec<String> = sim
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/refresh"))
        .map(|r| format!("{} {}", r.path, r.query_value("path").unwrap_or("")))
        .collect();
    assert_eq!(scanned.len(), 3);
    assert!(scanned.contains(
        &"/library/sections/1/refresh /data/media/movies/Inception (2010) {tmdb-27205}".to_owned()
    ));
    assert!(scanned.contains(
        &"/library/sections/2/refresh /data/media/tv/Severance {tvdb-371980}/Season 02".to_owned()
    ));
    // Each outcome names the activity its own request started, and that
    // activity had ended when we reported it finished.
    let events = scan_events(&mut rx);
    for o in &outcomes {
        let uuid = o.activity.as_deref().unwrap();
        assert!(
            events.iter().any(|(e, u, _)| e == "ended" && u == uuid),
            "{uuid} ended"
        );
    }
    assert!(never_overlapping(&events, Some("1")), "{events:?}");
    assert!(
        !never_overlapping(&events, None),
        "sections ran in parallel: {events:?}"
    );
    // And the scans did their work.
    sim.with_library(|l| {
        assert!(l.find_by_file(INCEPTION).is_some());
        assert!(l.find_by_file(S02E03).is_some());
    });
    let seen = seen.lock().unwrap();
    let ended = seen
        .iter()
        .filter(|p| matches!(p, ScanProgress::Ended { .. }))
        .count();
    assert_eq!(ended, 3);
}

#[tokio::test]
async fn parallel_one_runs_every_scan_alone() {
    let (sim, client) = sim_with_slow_scans().await;
    let mut rx = sim.notifications();
    let paths = [
        local(ARRIVAL),
        local(S02E03),
        local("/data/media/music/Daft Punk"),
    ];
    let plan = plan_with_client(&client, &paths, &mapped(), &LocalFs)
        .await
        .unwrap();
    assert_eq!(plan.sections.len(), 3);
    let outcomes = run_scans(&client, &plan, &opts(1), &|_: &ScanProgress| {}).await;
    assert!(outcomes.iter().all(|o| o.result.is_ok()));
    let events = scan_events(&mut rx);
    assert_eq!(events.iter().filter(|(e, _, _)| e == "started").count(), 3);
    assert!(never_overlapping(&events, None), "{events:?}");
}

#[tokio::test]
async fn full_refreshes_each_touched_section_once() {
    let (sim, client) = setup().await;
    let paths = [local(ARRIVAL), local(MATRIX), local(S02E03)];
    let plan = plan_with_client(&client, &paths, &mapped(), &LocalFs)
        .await
        .unwrap();
    let full = ScanOptions {
        full: true,
        ..ScanOptions::default()
    };
    let outcomes = run_scans(&client, &plan, &full, &|_: &ScanProgress| {}).await;
    assert_eq!(outcomes.len(), 2);
    assert!(
        outcomes
            .iter()
            .all(|o| o.folder.is_none() && o.result.as_ref().ok() == Some(&ScanEnd::Started))
    );
    let refreshes: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/refresh"))
        .collect();
    let mut paths: Vec<&str> = refreshes.iter().map(|r| r.path.as_str()).collect();
    paths.sort();
    assert_eq!(
        paths,
        ["/library/sections/1/refresh", "/library/sections/2/refresh"]
    );
    assert!(refreshes.iter().all(|r| r.query.is_empty()));
}

#[tokio::test]
async fn unplaceable_paths_are_reported_and_the_rest_still_scans() {
    let (sim, client) = setup().await;
    let paths = [
        local(ARRIVAL),
        PathBuf::from("/srv/other/x.mkv"),
        local("/data/media/photos/p.jpg"),
    ];
    let plan = plan_with_client(&client, &paths, &mapped(), &LocalFs)
        .await
        .unwrap();
    assert_eq!(plan.problems.len(), 2);
    assert!(
        plan.problems[0]
            .1
            .to_string()
            .contains("known roots: /mnt/plex")
    );
    assert!(
        plan.problems[1]
            .1
            .to_string()
            .contains("/data/media/movies (Movies)")
    );
    assert_eq!(metarr_plex::plex::scan::ScanPlan::folder_count(&plan), 1);
    let before = requests_to(&sim, "GET", "/library/sections").len();
    assert_eq!(
        before, 2,
        "a path under no section refreshed the section list once"
    );
    let outcomes = run_scans(
        &client,
        &plan,
        &ScanOptions::default(),
        &|_: &ScanProgress| {},
    )
    .await;
    assert_eq!(outcomes.len(), 1);
}

#[tokio::test]
async fn a_failing_scan_is_reported_without_stopping_the_others() {
    let (sim, client) = setup().await;
    sim.inject(metarr_plex::sim::RestFault::Status {
        code: 500,
        times: 1,
        path_prefix: Some("/library/sections/2/refresh".into()),
    });
    let plan = plan_with_client(
        &client,
        &[local(ARRIVAL), local(S02E03)],
        &mapped(),
        &LocalFs,
    )
    .await
    .unwrap();
    let outcomes = run_scans(
        &client,
        &plan,
        &ScanOptions::default(),
        &|_: &ScanProgress| {},
    )
    .await;
    let failed: Vec<_> = outcomes.iter().filter(|o| o.result.is_err()).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].section_id, "2");
    assert!(failed[0].result.as_ref().unwrap_err().is_retryable());
}

//! `scan` and `refresh_section` through the executor: the same coalescing
//! as the `scan` command, never two scans at once in a section (even from
//! two actions), followed to their end by their own activity.

use std::time::Duration;

use metarr_plex::action::ActionOutcome;
use metarr_plex::rules::{ResolvedAction, ScanTarget};
use metarr_plex::sim::{Notification, SimOptions};
use tokio::sync::broadcast::Receiver;

use super::action_support::*;

const INCEPTION: &str = "/data/media/movies/Inception (2010) {tmdb-27205}/Inception (2010).mkv";
const S02E03: &str = "/data/media/tv/Severance {tvdb-371980}/Season 02/Severance - S02E03.mkv";

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

/// The most scans of `section` running at once.
fn max_overlap(events: &[(String, String, String)], section: &str) -> usize {
    let (mut running, mut max) = (0usize, 0usize);
    for (event, _, s) in events {
        if s != section {
            continue;
        }
        match event.as_str() {
            "started" => {
                running += 1;
                max = max.max(running);
            }
            "ended" => running = running.saturating_sub(1),
            _ => {}
        }
    }
    max
}

fn slow_scans() -> SimOptions {
    SimOptions {
        activity_duration: Duration::from_millis(250),
        ..SimOptions::default()
    }
}

fn scan(paths: &[std::path::PathBuf]) -> ResolvedAction {
    ResolvedAction::Scan {
        target: ScanTarget::Paths(
            paths
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect(),
        ),
    }
}

#[tokio::test]
async fn scan_actions_coalesce_and_never_overlap_in_a_section() {
    let r = rig_with(slow_scans(), |_| {}).await;
    let mut rx = r.sim.notifications();
    let srt = "/data/media/movies/Inception (2010) {tmdb-27205}/Inception (2010).en.srt";
    let one = scan(&[r.local(INCEPTION), r.local(srt), r.local(S02E03)]);
    let two = scan(&[r.local(ARRIVAL)]);
    let ctx = r.ctx("-");
    let (a, b) = tokio::join!(r.exec.execute(&one, &ctx), r.exec.execute(&two, &ctx));
    assert!(matches!(a, ActionOutcome::Done { .. }), "{a:?}");
    assert!(matches!(b, ActionOutcome::Done { .. }), "{b:?}");
    let mut scanned: Vec<String> = writes(&r.sim)
        .iter()
        .map(|q| format!("{} {}", q.path, q.query_value("path").unwrap_or("")))
        .collect();
    scanned.sort();
    assert_eq!(
        scanned,
        [
            "/library/sections/1/refresh /data/media/movies/Arrival (2016) {tmdb-329865}",
            "/library/sections/1/refresh /data/media/movies/Inception (2010) {tmdb-27205}",
            "/library/sections/2/refresh /data/media/tv/Severance {tvdb-371980}/Season 02",
        ]
    );
    let events = scan_events(&mut rx);
    assert_eq!(
        events.iter().filter(|(e, _, _)| e == "ended").count(),
        3,
        "{events:?}"
    );
    assert_eq!(max_overlap(&events, "1"), 1, "{events:?}");
    r.sim.with_library(|l| {
        assert!(l.find_by_file(INCEPTION).is_some());
        assert!(l.find_by_file(S02E03).is_some());
    });
}

#[tokio::test]
async fn refresh_section_with_wait_follows_its_own_scan_to_the_end() {
    let r = rig_with(slow_scans(), |_| {}).await;
    let mut rx = r.sim.notifications();
    let action = ResolvedAction::RefreshSection {
        section: "1".into(),
        wait: true,
    };
    let out = r.exec.execute(&action, &r.ctx("-")).await;
    assert!(
        matches!(&out, ActionOutcome::Done { detail, .. } if detail.contains("finished")),
        "{out:?}"
    );
    let w = writes(&r.sim);
    assert_eq!(w.len(), 1, "{w:#?}");
    assert_eq!(w[0].path, "/library/sections/1/refresh");
    assert!(w[0].query.is_empty());
    // Its activity had ended when the action reported done.
    let events = scan_events(&mut rx);
    let started: Vec<_> = events.iter().filter(|(e, _, _)| e == "started").collect();
    assert_eq!(started.len(), 1);
    assert!(
        events
            .iter()
            .any(|(e, u, _)| e == "ended" && *u == started[0].1)
    );
    // An unknown section is skipped.
    let gone = ResolvedAction::RefreshSection {
        section: "99".into(),
        wait: false,
    };
    let out = r.exec.execute(&gone, &r.ctx("-")).await;
    assert!(matches!(out, ActionOutcome::Skipped { .. }), "{out:?}");
}

#[tokio::test]
async fn scan_missing_rescans_only_folders_plex_lacks() {
    let r = rig().await;
    let movies = r.local("/data/media/movies");
    for folder in [
        "Inception (2010) {tmdb-27205}",
        "The Matrix (1999)",
        "Heat (1995) {imdb-tt0113277}",
    ] {
        std::fs::create_dir_all(movies.join(folder)).unwrap();
    }
    let action = ResolvedAction::Scan {
        target: ScanTarget::Missing {
            section: "1".into(),
            under: Vec::new(),
        },
    };
    let out = r.exec.execute(&action, &r.ctx("-")).await;
    assert!(matches!(out, ActionOutcome::Done { .. }), "{out:?}");
    let w = writes(&r.sim);
    assert_eq!(w.len(), 1, "{w:#?}");
    assert_eq!(
        w[0].query_value("path"),
        Some("/data/media/movies/Inception (2010) {tmdb-27205}")
    );
    // Nothing is missing any more.
    r.sim.clear_requests();
    let again = r.exec.execute(&action, &r.ctx("-")).await;
    assert!(matches!(again, ActionOutcome::Skipped { .. }), "{again:?}");
    assert!(writes(&r.sim).is_empty());
}

#[tokio::test]
async fn notifications_a_scan_action_causes_are_marked_as_ours() {
    use metarr_plex::plex::notification::parse_frame;

    let r = rig_with(slow_scans(), |_| {}).await;
    let mut rx = r.sim.notifications();
    let action = ResolvedAction::RefreshSection {
        section: "1".into(),
        wait: true,
    };
    let out = r.exec.execute(&action, &r.ctx("-")).await;
    assert!(matches!(out, ActionOutcome::Done { .. }), "{out:?}");
    // A scan of section 2 nobody registered (straight through the client).
    let other = client_of(&r);
    other.refresh_section("2", false).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let mut feed = super::event_feed::Feed::with_causes(r.causes.clone());
    feed.now = tokio::time::Instant::now().into_std();
    let mut events = Vec::new();
    while let Ok(n) = rx.try_recv() {
        events.extend(feed.push(parse_frame(&n.frame.to_string()).unwrap()));
    }
    let scans: Vec<_> = events
        .iter()
        .filter(|e| e.name.as_str().starts_with("library.scan"))
        .collect();
    let ours: Vec<_> = scans
        .iter()
        .filter(|e| e.section.as_ref().is_some_and(|s| s.id == "1"))
        .collect();
    let theirs: Vec<_> = scans
        .iter()
        .filter(|e| e.section.as_ref().is_some_and(|s| s.id == "2"))
        .collect();
    assert!(!ours.is_empty() && !theirs.is_empty(), "{scans:#?}");
    assert!(ours.iter().all(|e| e.caused_by_self), "{ours:#?}");
    assert!(theirs.iter().all(|e| !e.caused_by_self), "{theirs:#?}");
}

fn client_of(r: &Rig) -> metarr_plex::plex::PlexClient {
    use metarr_plex::plex::conn::token::{Token, TokenSource};
    super::client_harness::client_for(
        &r.sim,
        TokenSource::fixed(Token::new(r.sim.token()).unwrap()),
        Duration::from_secs(5),
    )
}

#[tokio::test]
async fn a_thousand_files_in_a_hundred_folders_are_a_hundred_partial_scans() {
    let r = rig_with(
        SimOptions {
            activity_duration: Duration::from_millis(5),
            ..SimOptions::default()
        },
        |s| s.scan.poll_every = Duration::from_millis(5),
    )
    .await;
    let mut rx = r.sim.notifications();
    let mut paths = Vec::new();
    for folder in 0..100 {
        let root = if folder % 2 == 0 {
            format!("/data/media/movies/Film {folder} (2020)")
        } else {
            format!("/data/media/tv/Show {folder}/Season 01")
        };
        for file in 0..10 {
            paths.push(r.local(&format!("{root}/part {file}.mkv")));
        }
    }
    let started = std::time::Instant::now();
    let out = r.exec.execute(&scan(&paths), &r.ctx("-")).await;
    let took = started.elapsed();
    assert!(matches!(out, ActionOutcome::Done { .. }), "{out:?}");
    let w = writes(&r.sim);
    assert_eq!(w.len(), 100, "one partial scan per folder");
    assert!(
        w.iter().all(|q| q.query_value("path").is_some()),
        "never a full refresh"
    );
    let events = scan_events(&mut rx);
    let started_scans = events.iter().filter(|(e, _, _)| e == "started").count();
    assert_eq!(started_scans, 100, "every scan seen");
    assert_eq!(max_overlap(&events, "1"), 1);
    assert_eq!(max_overlap(&events, "2"), 1);
    println!(
        "1000 files / 100 folders / 2 sections: {} scans in {took:?}",
        w.len()
    );
}

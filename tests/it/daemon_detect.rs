//! The shipped `detect-on-arrival` rule in a running daemon: a new episode
//! gets its intro detected only after playback stops, and only once.

use std::time::Duration;

use metarr_plex::journal::RunState;

use crate::daemon_harness::{Rig, shipped_rules, wait_for};

const SEASON_2: &str = "/data/media/tv/Severance {tvdb-371980}/Season 02";
const RULE: &str = "detect-on-arrival";

/// A rules directory holding only the shipped rule, unchanged.
fn only_the_shipped_rule() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let name = format!("{RULE}.toml");
    std::fs::copy(shipped_rules().join(&name), dir.path().join(&name)).unwrap();
    dir
}

/// Waits until the journal holds a run of the rule in `state`.
async fn run_in_state(rig: &Rig, state: RunState) {
    let journal = rig.daemon.as_ref().unwrap().journal().clone();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let runs = journal.list().await.unwrap();
        if runs.iter().any(|r| r.rule == RULE && r.state == state) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no {state:?} run: {runs:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the daemon has counted a run of the rule with `outcome`.
async fn counted(rig: &Rig, outcome: &str) {
    let prefix = format!("metarr_plex_rule_runs_total{{rule=\"{RULE}\",outcome=\"{outcome}\"}}");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let text = rig.daemon.as_ref().unwrap().metrics().render();
        if text.lines().any(|l| l.starts_with(&prefix)) {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "no {prefix}:\n{text}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_episode_gets_its_intro_detected_after_playback_stops_and_once() {
    let rules = only_the_shipped_rule();
    let mut rig = Rig::new(rules.path()).await;
    rig.start().await;
    let watching = rig.item_id("The Matrix (1999).mkv").unwrap();
    let session = rig.sim.start_playback(&watching).unwrap();

    // A new episode arrives while someone watches.
    let file = format!("{SEASON_2}/Severance - S02E03.mkv");
    rig.sim.with_library_mut(|l| l.add_file_on_disk(&file));
    rig.client.scan_path("2", SEASON_2).await.unwrap();
    wait_for(Duration::from_secs(10), || rig.item_id("S02E03").is_some()).await;
    let ep = rig.item_id("S02E03").unwrap();
    let intro = format!("/library/metadata/{ep}/intro");

    // The run was accepted and is held by `when_idle`: nothing sent yet.
    run_in_state(&rig, RunState::Deferred).await;
    assert!(rig.sent("PUT", &intro).is_empty(), "held while playing");

    rig.sim.stop_playback(&session).unwrap();
    let credits = format!("/library/metadata/{ep}/credits");
    let chapters = format!("/library/metadata/{ep}/chapterThumbs");
    wait_for(Duration::from_secs(20), || {
        !rig.sent("PUT", &chapters).is_empty()
    })
    .await;
    counted(&rig, "ok").await;
    assert_eq!(rig.sent("PUT", &intro).len(), 1);
    assert_eq!(rig.sent("PUT", &credits).len(), 1);
    let found = rig.sim.with_library(|l| {
        let item = l.item(&ep).unwrap();
        let kinds: Vec<String> = item.markers.iter().map(|m| m.kind.clone()).collect();
        (kinds, item.chapters.iter().all(|c| c.has_thumb))
    });
    assert_eq!(
        found,
        (vec!["intro".to_owned(), "credits".to_owned()], true)
    );
    // Every job was followed to its end before the next began.
    let puts: Vec<String> = rig
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT" && r.path.starts_with(&format!("/library/metadata/{ep}/")))
        .map(|r| r.path)
        .collect();
    assert_eq!(puts, [intro.clone(), credits, chapters]);

    // Once: after a restart (a fresh loop guard), Plex announcing the item
    // again is dropped by the rule's cooldown, and nothing more is sent.
    rig.stop().await;
    rig.start().await;
    rig.sim.emit_raw(&format!(
        r#"{{"NotificationContainer":{{"type":"timeline","size":1,"TimelineEntry":[{{"identifier":"com.plexapp.plugins.library","sectionID":"2","itemID":"{ep}","type":4,"title":"Episode 3","state":0,"metadataState":"created","updatedAt":1700000000}}]}}}}"#
    ));
    counted(&rig, "cooldown").await;
    assert_eq!(rig.sent("PUT", &intro).len(), 1);
    rig.stop().await;
}

//! The shipped rules' stories, end to end: the simulator plays Plex, the
//! daemon runs as `run` runs it, and the tests assert on what reached Plex.

use std::time::Duration;

use crate::daemon_harness::{Rig, fast_rules, sent, shipped_rules, wait_for};

/// A scan finds `Inception (2010) {tmdb-27205}`, unmatched: the shipped
/// rules re-match it from the folder tag and upload its local poster — each
/// exactly once — with the shipped timings (15 s debounce) unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_finds_unmatched_tagged_movie_rematched_and_poster_uploaded() {
    let mut rig = Rig::new(&shipped_rules()).await;
    rig.start().await;
    rig.scan_movies().await;
    wait_for(Duration::from_secs(5), || {
        rig.item_id("Inception").is_some()
    })
    .await;
    let id = rig.item_id("Inception").unwrap();

    wait_for(Duration::from_secs(40), || {
        !rig.sent("POST", &format!("/library/metadata/{id}/posters"))
            .is_empty()
    })
    .await;
    // Both runs ended (the daemon's count): anything that would come twice
    // has had its chance.
    rig.wait_runs("rematch-from-folder-tag", "ok", 1.0).await;
    rig.wait_runs("upload-local-artwork", "ok", 1.0).await;

    let searches = rig.sent("GET", &format!("/library/metadata/{id}/matches"));
    assert_eq!(searches.len(), 1, "one search: {searches:?}");
    assert!(
        searches[0]
            .query
            .contains(&("title".to_owned(), "tmdb-27205".to_owned()))
    );
    assert_eq!(
        rig.sent("PUT", &format!("/library/metadata/{id}/match"))
            .len(),
        1
    );
    assert_eq!(
        rig.sent("POST", &format!("/library/metadata/{id}/posters"))
            .len(),
        1
    );
    let (guid, posters) = rig.sim.with_library(|l| {
        let item = l.item(&id).unwrap();
        (item.guid.clone(), item.posters.len())
    });
    assert!(guid.starts_with("plex://movie/"), "matched: {guid}");
    assert!(posters >= 1);
    // Never a full section refresh from the daemon (the test's own scan is the only one).
    assert_eq!(
        sent(&rig.sim, "GET", "/library/sections/1/refresh").len()
            + sent(&rig.sim, "PUT", "/library/sections/1/refresh").len(),
        1
    );
    rig.stop().await;
}

/// Someone watches an episode and stops: analyzed once, after the stop,
/// and not while another session still plays (`when_idle`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn playback_stop_analyzes_once_nobody_watches() {
    let rules = fast_rules();
    let mut rig = Rig::new(rules.path()).await;
    rig.start().await;
    let episode = rig
        .sim
        .with_library(|l| {
            l.items()
                .find(|i| i.kind.as_str() == "episode")
                .map(|i| i.rating_key.clone())
        })
        .unwrap();
    let movie = rig
        .item_id("The Matrix")
        .unwrap_or_else(|| rig.item_id("Matrix").unwrap());
    let a = rig.sim.start_playback(&episode).unwrap();
    let b = rig.sim.start_playback(&movie).unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    rig.sim.stop_playback(&a).unwrap();
    // The episode's analyze is accepted and held (`deferred` in the
    // journal) while the movie still plays.
    let start = std::time::Instant::now();
    while !rig
        .pending("analyze-after-playback")
        .await
        .contains(&metarr_plex::journal::RunState::Deferred)
    {
        assert!(start.elapsed() < Duration::from_secs(10), "nothing held");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        rig.sent("PUT", &format!("/library/metadata/{episode}/analyze"))
            .is_empty()
    );

    rig.sim.stop_playback(&b).unwrap();
    wait_for(Duration::from_secs(10), || {
        !rig.sent("PUT", &format!("/library/metadata/{episode}/analyze"))
            .is_empty()
            && !rig
                .sent("PUT", &format!("/library/metadata/{movie}/analyze"))
                .is_empty()
    })
    .await;
    rig.wait_runs("analyze-after-playback", "ok", 2.0).await;
    assert_eq!(
        rig.sent("PUT", &format!("/library/metadata/{episode}/analyze"))
            .len(),
        1
    );
    assert_eq!(
        rig.sent("PUT", &format!("/library/metadata/{movie}/analyze"))
            .len(),
        1
    );
    rig.stop().await;
}

//! The daemon under faults and loops: retries with every action done
//! exactly once, the loop guard, identical uploads, reload, drain, and the
//! token never appearing in what the daemon writes.

use std::time::Duration;

use metarr_plex::sim::RestFault;

use crate::daemon_harness::{Rig, fast_rules, rules_copy, wait_for};

async fn play_and_stop(rig: &Rig, id: &str) {
    let session = rig.sim.start_playback(id).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    rig.sim.stop_playback(&session).unwrap();
}

fn matrix(rig: &Rig) -> String {
    rig.item_id("The Matrix (1999).mkv").unwrap()
}

/// 429 (honouring Retry-After), then 500: the run is retried and the
/// analyze reaches Plex successfully exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_after_429_and_500_do_the_action_exactly_once() {
    let rules = fast_rules();
    let mut rig = Rig::new(rules.path()).await;
    rig.start().await;
    let id = matrix(&rig);
    let path = format!("/library/metadata/{id}/analyze");
    rig.sim.inject(RestFault::TooManyRequests {
        retry_after_secs: 1,
        times: 1,
        path_prefix: Some(path.clone()),
    });
    rig.sim.inject(RestFault::Status {
        code: 500,
        times: 1,
        path_prefix: Some(path.clone()),
    });
    play_and_stop(&rig, &id).await;
    wait_for(Duration::from_secs(15), || {
        rig.sent("PUT", &path).iter().any(|r| r.status == 200)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let statuses: Vec<u16> = rig.sent("PUT", &path).iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![429, 500, 200]);
    rig.stop().await;
}

/// Plex refuses connections for a moment: the run waits and retries, the
/// listener reconnects, and the analyze is done once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connection_is_retried_and_done_once() {
    let rules = fast_rules();
    let mut rig = Rig::new(rules.path()).await;
    rig.start().await;
    let id = matrix(&rig);
    let path = format!("/library/metadata/{id}/analyze");
    // Slow the analyze so the refusal lands while it is in flight.
    rig.sim.inject(RestFault::Slow {
        delay: Duration::from_millis(400),
        times: 1,
        path_prefix: Some(path.clone()),
    });
    play_and_stop(&rig, &id).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    rig.sim.inject(RestFault::Refuse {
        duration: Duration::from_millis(1500),
    });
    wait_for(Duration::from_secs(20), || {
        rig.sent("PUT", &path).iter().any(|r| r.status == 200)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let ok = rig
        .sent("PUT", &path)
        .iter()
        .filter(|r| r.status == 200)
        .count();
    assert!(ok <= 2, "at most the interrupted one and its retry: {ok}");
    assert!(ok >= 1);
    rig.stop().await;
}

/// A rule on `library.refresh.ended` that refreshes the item (opting in to
/// its own events) does not loop: the chain-depth limit stops it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_on_refresh_ended_does_not_loop() {
    let rules = rules_copy(|_, _| String::new());
    for f in std::fs::read_dir(rules.path()).unwrap() {
        let p = f.unwrap().path();
        if p.is_file() {
            std::fs::remove_file(p).unwrap();
        }
    }
    std::fs::write(
        rules.path().join("refresh-again.toml"),
        r#"description = "Refresh an item whenever a refresh of it ends (a loop, but for the guard)"
mode = "queued"
include_self = true

[[triggers]]
event = "library.refresh.ended"

[[actions]]
action = "refresh"
"#,
    )
    .unwrap();
    let mut rig = Rig::new(rules.path()).await;
    rig.start().await;
    let id = matrix(&rig);
    // One refresh from outside the daemon starts it.
    rig.client.refresh_item(&id, false).await.unwrap();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let refreshes = rig
        .sent("PUT", &format!("/library/metadata/{id}/refresh"))
        .len();
    // Ours plus at most MAX_DEPTH + 1 from the daemon, then nothing more.
    assert!(refreshes >= 2, "the rule ran at least once: {refreshes}");
    assert!(refreshes <= 5, "the chain stopped: {refreshes}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        rig.sent("PUT", &format!("/library/metadata/{id}/refresh"))
            .len(),
        refreshes,
        "no more refreshes after the chain limit"
    );
    rig.stop().await;
}

/// The poster uploaded once is not sent again when the item comes up a
/// second time with the same bytes (hash kept in the journal); the refresh
/// our own match caused does not re-run the shipped rules (loop guard).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_identical_uploads_send_one_request() {
    let rules = fast_rules();
    let mut rig = Rig::new(rules.path()).await;
    rig.start().await;
    rig.scan_movies().await;
    wait_for(Duration::from_secs(5), || {
        rig.item_id("Inception").is_some()
    })
    .await;
    let id = rig.item_id("Inception").unwrap();
    let posters = format!("/library/metadata/{id}/posters");
    wait_for(Duration::from_secs(10), || {
        !rig.sent("POST", &posters).is_empty()
    })
    .await;
    // The same item ready again (a later refresh by someone else): same bytes.
    rig.client.refresh_item(&id, false).await.unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(rig.sent("POST", &posters).len(), 1);
    assert_eq!(
        rig.sent("PUT", &format!("/library/metadata/{id}/match"))
            .len(),
        1
    );
    rig.stop().await;
}

/// A broken edit keeps the old rules; a good one is swapped in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_keeps_old_rules_on_error_and_swaps_good_ones() {
    let rules = fast_rules();
    let mut rig = Rig::new(rules.path()).await;
    rig.start().await;
    let file = rules.path().join("analyze-after-playback.toml");
    let good = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        good.replace("action = \"analyze\"", "action = \"analyse\""),
    )
    .unwrap();
    assert!(!rig.daemon.as_ref().unwrap().reload());
    let id = matrix(&rig);
    play_and_stop(&rig, &id).await;
    let path = format!("/library/metadata/{id}/analyze");
    wait_for(Duration::from_secs(5), || {
        !rig.sent("PUT", &path).is_empty()
    })
    .await;

    std::fs::remove_file(&file).unwrap();
    assert!(rig.daemon.as_ref().unwrap().reload());
    let other = rig.item_id("Heat").unwrap();
    play_and_stop(&rig, &other).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        rig.sent("PUT", &format!("/library/metadata/{other}/analyze"))
            .is_empty()
    );
    rig.stop().await;
}

/// An edit in the rules directory is picked up without SIGHUP: here the
/// analyze rule is deleted, and a later stop is no longer analyzed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_file_change_reloads_without_a_signal() {
    let rules = fast_rules();
    let mut rig = Rig::new(rules.path()).await;
    rig.start().await;
    std::fs::remove_file(rules.path().join("analyze-after-playback.toml")).unwrap();
    // The watch settles for half a second, then reloads.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let id = matrix(&rig);
    play_and_stop(&rig, &id).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        rig.sent("PUT", &format!("/library/metadata/{id}/analyze"))
            .is_empty(),
        "the deleted rule still ran"
    );
    rig.stop().await;
}

/// Work accepted but not yet due survives a clean stop and runs after the restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debounced_work_survives_a_clean_restart() {
    let rules = rules_copy(|name, text| {
        if name == "rematch-from-folder-tag.toml" {
            text.replace("debounce = \"10s\"", "debounce = \"3s\"")
        } else {
            text.to_owned()
        }
    });
    let mut rig = Rig::new(rules.path()).await;
    rig.start().await;
    rig.scan_movies().await;
    wait_for(Duration::from_secs(5), || {
        rig.item_id("Inception").is_some()
    })
    .await;
    let id = rig.item_id("Inception").unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    rig.stop().await;
    let listed = metarr_plex::journal::Store::open(rig.state.path())
        .unwrap()
        .list()
        .unwrap();
    assert!(
        listed.iter().any(|r| r.rule == "rematch-from-folder-tag"),
        "{listed:?}"
    );
    rig.start().await;
    let matched = format!("/library/metadata/{id}/match");
    wait_for(Duration::from_secs(10), || {
        !rig.sent("PUT", &matched).is_empty()
    })
    .await;
    assert_eq!(rig.sent("PUT", &matched).len(), 1);
    rig.stop().await;
}

/// A `scan` action scans the folder of the given local path once (mapped to
/// Plex's path, partial, never a full refresh), and Plex finds the movie.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_action_sends_one_partial_scan_of_the_mapped_folder() {
    let rules = tempfile::tempdir().unwrap();
    let mut rig = Rig::new(rules.path()).await;
    let local = rig
        .media
        .path()
        .join("Inception (2010) {tmdb-27205}")
        .join("Inception (2010).mkv");
    std::fs::write(&local, b"x").unwrap();
    std::fs::write(
        rules.path().join("scan-on-stop.toml"),
        format!(
            "description = \"Scan a folder when playback stops\"\n\n[[triggers]]\nevent = \"playback.stopped\"\n\n[[actions]]\naction = \"scan\"\npaths = [\"{}\"]\n",
            local.display()
        ),
    )
    .unwrap();
    rig.start().await;
    let id = matrix(&rig);
    play_and_stop(&rig, &id).await;
    wait_for(Duration::from_secs(10), || {
        rig.item_id("Inception").is_some()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let scans: Vec<_> = rig
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.path == "/library/sections/1/refresh")
        .collect();
    assert_eq!(scans.len(), 1, "{scans:?}");
    assert_eq!(
        scans[0].query_value("path"),
        Some("/data/media/movies/Inception (2010) {tmdb-27205}")
    );
    rig.stop().await;
}

/// The metrics are fed by the running daemon: events by name, rule runs,
/// action outcomes, Plex request latency, queue depth and dead letters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_events_runs_actions_and_plex_latency() {
    let rules = fast_rules();
    let mut rig = Rig::new(rules.path()).await;
    rig.start().await;
    let id = matrix(&rig);
    play_and_stop(&rig, &id).await;
    let path = format!("/library/metadata/{id}/analyze");
    wait_for(Duration::from_secs(10), || {
        !rig.sent("PUT", &path).is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let text = rig.daemon.as_ref().unwrap().metrics().render();
    let value = |prefix: &str| -> f64 {
        text.lines()
            .filter(|l| l.starts_with(prefix))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    assert!(
        value("metarr_plex_events_total{name=\"playback.stopped\"}") >= 1.0,
        "{text}"
    );
    assert!(
        value("metarr_plex_events_total{name=\"playback.started\"}") >= 1.0,
        "{text}"
    );
    assert_eq!(
        value("metarr_plex_rule_runs_total{rule=\"analyze-after-playback\",outcome=\"ok\"}"),
        1.0,
        "{text}"
    );
    assert_eq!(
        value("metarr_plex_action_outcomes_total{action=\"analyze\",outcome=\"done\"}"),
        1.0,
        "{text}"
    );
    assert!(
        value("metarr_plex_plex_request_duration_seconds_count") >= 1.0,
        "{text}"
    );
    assert!(
        text.contains("metarr_plex_connection_state{state=\"connected\"} 1"),
        "{text}"
    );
    rig.stop().await;
}

/// `--dry-run`: the rule fires and the run finishes, but no write reaches Plex.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_sends_no_writes() {
    let rules = fast_rules();
    let mut rig = Rig::new(rules.path()).await;
    rig.start_with(metarr_plex::service::sd_notify::Notifier::default(), true)
        .await;
    let id = matrix(&rig);
    play_and_stop(&rig, &id).await;
    let ran = || {
        rig.daemon
            .as_ref()
            .unwrap()
            .metrics()
            .render()
            .lines()
            .any(|l| {
                l.starts_with("metarr_plex_rule_runs_total{rule=\"analyze-after-playback\"")
                    && !l.ends_with(" 0")
            })
    };
    wait_for(Duration::from_secs(10), ran).await;
    let writes: Vec<_> = rig
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    rig.stop().await;
}

/// A session already playing when the daemon starts holds `when_idle` work,
/// and its stop (the first the daemon hears of it) releases it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_playing_at_start_holds_then_releases_when_idle_work() {
    let rules = fast_rules();
    let mut rig = Rig::new(rules.path()).await;
    let id = matrix(&rig);
    let early = rig.sim.start_playback(&id).unwrap();
    rig.start().await;
    let other = rig.item_id("Heat").unwrap();
    play_and_stop(&rig, &other).await;
    let held = format!("/library/metadata/{other}/analyze");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        rig.sent("PUT", &held).is_empty(),
        "held while the first session plays"
    );
    rig.sim.stop_playback(&early).unwrap();
    wait_for(Duration::from_secs(10), || {
        !rig.sent("PUT", &held).is_empty()
    })
    .await;
    rig.stop().await;
}

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

/// 429 (pushback: at least Retry-After), then 500: the run is retried and the
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
    // The run ended (by the daemon's count): nothing more will be sent. A
    // 429 is pushback: the retry waits at least 15 s, not the 1 s asked.
    rig.wait_runs_within("analyze-after-playback", "ok", 1.0, Duration::from_secs(60))
        .await;
    let statuses: Vec<u16> = rig.sent("PUT", &path).iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![429, 500, 200]);
    rig.stop().await;
}

/// Plex refuses connections (and drops open ones) just as a run is about
/// to act: the stream notices, the run waits for Plex instead of spending
/// its attempts on a closed port, and the analyze is done exactly once, on
/// the first counted attempt, once the listener is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connection_waits_for_plex_and_is_done_once() {
    // The analysis waits 1 s after the stop instead of for idle playback, so
    // the refusal can start between the event and the action.
    let rules = rules_copy(|name, text| {
        if name == "analyze-after-playback.toml" {
            text.replace("when_idle = true", "delay = \"1s\"")
        } else {
            text.to_owned()
        }
    });
    let mut rig = Rig::new(rules.path()).await;
    rig.start().await;
    let id = matrix(&rig);
    let path = format!("/library/metadata/{id}/analyze");
    play_and_stop(&rig, &id).await;
    // Accepted and waiting for its delay: now Plex goes away.
    let journal = rig.daemon.as_ref().unwrap().journal().clone();
    let start = std::time::Instant::now();
    let run = loop {
        let runs = journal.list().await.unwrap();
        if let Some(r) = runs.iter().find(|r| r.rule == "analyze-after-playback") {
            break r.id;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "no run accepted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    rig.sim.inject(RestFault::Refuse {
        duration: Duration::from_millis(2500),
    });
    rig.wait_runs("analyze-after-playback", "ok", 1.0).await;
    let statuses: Vec<u16> = rig.sent("PUT", &path).iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200], "sent once, after the refusal");
    let record = journal.call(move |s| s.get(run)).await.unwrap().unwrap();
    assert_eq!(
        record.attempts, 1,
        "the outage spent no attempt: {record:?}"
    );
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
    // The guard's positive signal: an event our own refresh caused was
    // refused for its depth. Every run before it has ended.
    rig.wait_runs("refresh-again", "chain_limit", 1.0).await;
    let runs = rig.runs("refresh-again", "ok");
    let refreshes = rig
        .sent("PUT", &format!("/library/metadata/{id}/refresh"))
        .len();
    assert!(runs >= 1.0, "the rule ran at least once");
    assert!(runs <= 4.0, "the chain stopped at its depth limit: {runs}");
    assert_eq!(refreshes as f64, 1.0 + runs, "ours, then one per run");
    rig.stop().await;
}

/// The poster uploaded once is not sent again when the item comes up a
/// second time with the same bytes: the hash is kept in the journal, so
/// this holds across a restart (which also forgets the loop guard's marks,
/// so the second refresh really reaches the rule).
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
    rig.wait_runs("upload-local-artwork", "ok", 1.0).await;
    rig.stop().await;
    rig.start().await;
    // The same item ready again (a later refresh by someone else): same
    // bytes, so the rule's second run skips every upload.
    rig.client.refresh_item(&id, false).await.unwrap();
    rig.wait_runs("upload-local-artwork", "skipped", 1.0).await;
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
    rig.wait_runs("scan-on-stop", "ok", 1.0).await;
    assert!(rig.item_id("Inception").is_some(), "Plex found the movie");
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
    rig.wait_runs("analyze-after-playback", "ok", 1.0).await;
    assert_eq!(rig.sent("PUT", &path).len(), 1);
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
    // Accepted and held (the journal says `deferred`), not lost.
    let start = std::time::Instant::now();
    while !rig
        .pending("analyze-after-playback")
        .await
        .contains(&metarr_plex::journal::RunState::Deferred)
    {
        assert!(start.elapsed() < Duration::from_secs(10), "no run held");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
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

/// Plex failing the sessions read at start does not stop the start, and is
/// not swallowed: a warning says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_sessions_read_at_start_is_a_warning_with_its_cause() {
    let rules = fast_rules();
    let mut rig = Rig::new(rules.path()).await;
    rig.sim.inject(RestFault::Status {
        code: 500,
        times: 1,
        path_prefix: Some("/status/sessions".into()),
    });
    rig.start().await;
    assert_eq!(rig.sent("GET", "/status/sessions")[0].status, 500);
    assert!(crate::log_capture::logged_line_with(&[
        "\"WARN\"",
        "Cannot read the playback sessions at start; assuming nobody is watching.",
        "500",
    ]));
    rig.stop().await;
}

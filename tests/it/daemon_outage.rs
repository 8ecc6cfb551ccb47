//! Plex unreachable for a minute with work waiting: the runs wait for the
//! stream to come back instead of spending their attempts on a closed port,
//! and every one is done, once, after Plex returns. Nothing is dead-lettered.

use std::collections::HashSet;
use std::time::Duration;

use metarr_plex::sim::RestFault;

use crate::daemon_harness::Rig;

/// Movie files put on disk; the scan also finds the seeded waiting one.
const NEW_MOVIES: usize = 10;

/// Refresh every new movie a second after Plex announces it.
const RULE: &str = r#"
description = "Refresh new movies"
mode = "parallel"
delay = "1s"

[[triggers]]
event = "item.added"
item_type = ["movie"]

[[actions]]
action = "refresh"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_minute_unreachable_with_runs_waiting_ends_with_all_done_and_no_dead_letter() {
    let rules = tempfile::tempdir().unwrap();
    std::fs::write(rules.path().join("refresh-new.toml"), RULE).unwrap();
    let mut rig = Rig::new(rules.path()).await;
    rig.start().await;
    let before: HashSet<String> = rig
        .sim
        .with_library(|l| l.items().map(|i| i.rating_key.clone()).collect());
    rig.sim.with_library_mut(|l| {
        for n in 0..NEW_MOVIES {
            l.add_file_on_disk(&format!(
                "/data/media/movies/Outage {n:02} (2020)/Outage {n:02} (2020).mkv"
            ));
        }
    });
    rig.scan_movies().await;
    // Every new movie's run accepted and waiting for its delay (the scan
    // also finds the seeded library's waiting movie): now Plex goes away.
    let journal = rig.daemon.as_ref().unwrap().journal().clone();
    let start = std::time::Instant::now();
    let (movies, runs) = loop {
        let movies: HashSet<String> = rig.sim.with_library(|l| {
            l.items()
                .filter(|i| i.kind.as_str() == "movie" && !before.contains(&i.rating_key))
                .map(|i| i.rating_key.clone())
                .collect()
        });
        let runs: Vec<_> = journal
            .list()
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        if movies.len() >= NEW_MOVIES && runs.len() == movies.len() {
            break (movies, runs);
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{} runs accepted for {} new movies",
            runs.len(),
            movies.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    rig.sim.inject(RestFault::Refuse {
        duration: Duration::from_secs(60),
    });
    rig.wait_runs_within(
        "refresh-new",
        "ok",
        movies.len() as f64,
        Duration::from_secs(120),
    )
    .await;

    let refreshes: Vec<_> = rig
        .sim
        .requests()
        .into_iter()
        .filter(|r| {
            r.method == "PUT"
                && r.path.ends_with("/refresh")
                && r.path.starts_with("/library/metadata/")
        })
        .collect();
    assert_eq!(
        refreshes.len(),
        movies.len(),
        "each movie refreshed once: {refreshes:#?}"
    );
    assert!(refreshes.iter().all(|r| r.status == 200));
    let refreshed: HashSet<String> = refreshes
        .iter()
        .filter_map(|r| r.path.split('/').nth(3).map(str::to_owned))
        .collect();
    assert_eq!(refreshed, movies);
    assert_eq!(rig.runs("refresh-new", "dead"), 0.0);
    for id in runs {
        let record = journal.call(move |s| s.get(id)).await.unwrap().unwrap();
        assert_eq!(
            record.attempts, 1,
            "the outage spent no attempt: {record:?}"
        );
    }
    rig.stop().await;
}

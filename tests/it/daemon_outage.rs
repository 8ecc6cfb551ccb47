//! Plex unreachable for a minute with work waiting: the runs wait for the
//! stream to come back instead of spending their attempts on a closed port,
//! and every one is done, once, after Plex returns. Nothing is dead-lettered.

use std::time::Duration;

use metarr_plex::sim::RestFault;

use crate::daemon_harness::Rig;

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
    rig.sim.with_library_mut(|l| {
        for n in 0..NEW_MOVIES {
            l.add_file_on_disk(&format!(
                "/data/media/movies/Outage {n:02} (2020)/Outage {n:02} (2020).mkv"
            ));
        }
    });
    rig.scan_movies().await;
    // Every run accepted and waiting for its delay: now Plex goes away.
    let journal = rig.daemon.as_ref().unwrap().journal().clone();
    let start = std::time::Instant::now();
    let runs = loop {
        let runs: Vec<_> = journal
            .list()
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        if runs.len() == NEW_MOVIES {
            break runs;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{} runs accepted",
            runs.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    rig.sim.inject(RestFault::Refuse {
        duration: Duration::from_secs(60),
    });
    rig.wait_runs_within(
        "refresh-new",
        "ok",
        NEW_MOVIES as f64,
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
        NEW_MOVIES,
        "each movie refreshed once: {refreshes:#?}"
    );
    assert!(refreshes.iter().all(|r| r.status == 200));
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

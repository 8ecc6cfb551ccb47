//! `metarr-plex queue` over a journal a real daemon wrote: a run that
//! failed for good shows in `dead`, `retry` is refused while the daemon
//! holds the state dir and works once it stopped, and the retried run
//! completes at the next start.

use std::process::{Command, Output};
use std::time::Duration;

use metarr_plex::sim::RestFault;

use crate::daemon_harness::{Rig, fast_rules, wait_for};

fn queue(rig: &Rig, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_metarr-plex"))
        .arg("--config")
        .arg(rig.state.path().join("config.toml"))
        .arg("--state-dir")
        .arg(rig.state.path())
        .arg("queue")
        .args(args)
        .env_remove("PLEX_TOKEN")
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_run_is_listed_retry_refused_while_running_then_completes() {
    let rules = fast_rules();
    let mut rig = Rig::new(rules.path()).await;
    std::fs::write(
        rig.state.path().join("config.toml"),
        format!("[server]\nurl = \"{}\"\n", rig.sim.url()),
    )
    .unwrap();
    rig.start().await;
    let id = rig.item_id("The Matrix (1999).mkv").unwrap();
    let path = format!("/library/metadata/{id}/analyze");
    // A 400 is not retried: the run goes straight to the dead letters.
    rig.sim.inject(RestFault::Status {
        code: 400,
        times: 1,
        path_prefix: Some(path.clone()),
    });
    let session = rig.sim.start_playback(&id).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    rig.sim.stop_playback(&session).unwrap();
    wait_for(Duration::from_secs(10), || {
        !rig.sent("PUT", &path).is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let dead = queue(&rig, &["dead", "--json"]);
    assert!(dead.status.success(), "{dead:?}");
    let rows: serde_json::Value = serde_json::from_slice(&dead.stdout).unwrap();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "analyze-after-playback")
        .expect("the failed run is a dead letter")
        .clone();
    assert_eq!(row["state"], "dead");
    assert!(
        row["last_error"].as_str().unwrap().contains("analyze"),
        "{row}"
    );
    let run_id = row["id"].to_string();

    let refused = queue(&rig, &["retry", &run_id]);
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("daemon is running"));

    rig.stop().await;
    let retried = queue(&rig, &["retry", &run_id]);
    assert!(retried.status.success(), "{retried:?}");
    let human = queue(&rig, &["list"]);
    assert!(String::from_utf8_lossy(&human.stdout).contains("analyze-after-playback"));

    rig.start().await;
    wait_for(Duration::from_secs(10), || {
        rig.sent("PUT", &path).iter().any(|r| r.status == 200)
    })
    .await;
    rig.stop().await;
    let after = queue(&rig, &["dead", "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&after.stdout).unwrap();
    assert!(rows.as_array().unwrap().is_empty(), "{rows}");
}

//! A burst through the whole daemon: one scan brings 2,000 new movies to a
//! simulator, and one rule reads every new movie's metadata (a condition on
//! its guid) and logs. Measured: the requests the daemon sent to Plex, by
//! kind, and the time from the scan to the last run finished with no event
//! still waiting for its facts.
//!
//! Run: `cargo bench --bench burst` (optionally `-- --count N`; prints the
//! figures, fails when an item did not reach the rule exactly once).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use metarr_plex::config::Config;
use metarr_plex::daemon::{Daemon, Options, RulesSource};
use metarr_plex::plex::conn::identity::ClientIdentity;
use metarr_plex::service::sd_notify::Notifier;
use metarr_plex::sim::{SimOptions, Simulator};
use metarr_plex::source::listener::ListenerConfig;

mod support;

const DEFAULT_COUNT: usize = 2_000;

const PROBE: &str = r#"description = "Probe: every new movie, by its metadata"
mode = "queued"
conditions = ['item.guid != ""']

[[triggers]]
event = "item.added"
item_type = ["movie"]

[[actions]]
action = "log"
level = "debug"
message = "new movie {{ item.title }}"
"#;

fn main() {
    support::block_on(bench(support::count_arg(DEFAULT_COUNT)));
}

async fn bench(count: usize) {
    let sim = Simulator::start(SimOptions {
        activity_duration: Duration::from_secs(2),
        ..SimOptions::default()
    })
    .await
    .expect("simulator");
    let dir = tempfile::tempdir().expect("temp dir");
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).expect("rules dir");
    std::fs::write(rules.join("probe.toml"), PROBE).expect("rule");
    let state = dir.path().join("state");
    std::fs::create_dir_all(&state).expect("state dir");
    let text = format!(
        "[server]\nurl = \"{}\"\ntoken = \"{}\"\n",
        sim.url(),
        sim.token()
    );
    let config = Config::from_str_at(&dir.path().join("config.toml"), &text).expect("config");
    let client = config.client(ClientIdentity::new("bench")).expect("client");
    let before = sim.with_library(|l| l.items().count());
    sim.with_library_mut(|l| {
        for n in 0..count {
            l.add_file_on_disk(&format!(
                "/data/media/movies/Burst Movie {n} (2001)/Burst Movie {n} (2001).mkv"
            ));
        }
    });
    let daemon = Daemon::start(Options {
        config: config.clone(),
        client: client.clone(),
        state_dir: state,
        rules: RulesSource::Dir(rules),
        dry_run: false,
        notifier: Notifier::default(),
        listener: Some(ListenerConfig::for_client(&client, config.token_source())),
    })
    .await
    .expect("daemon");
    while sim.open_sockets() == 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    sim.clear_requests();

    let start = Instant::now();
    client.refresh_section("1", false).await.expect("scan");
    let expected = sim.with_library(|l| l.items().count()) - before;
    let runs = |d: &Daemon| -> f64 {
        d.metrics()
            .render()
            .lines()
            .filter(|l| l.starts_with("metarr_plex_rule_runs_total{rule=\"probe\",outcome=\"ok\"}"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    loop {
        let done = runs(&daemon) >= expected as f64
            && daemon.journal().pending_count().await.expect("journal") == 0
            && daemon.journal().depth().await.expect("journal").waiting == 0;
        if done {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(600),
            "not drained in 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let drained = start.elapsed();
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for r in sim.requests() {
        *kinds.entry(kind_of(&r.method, &r.path)).or_default() += 1;
    }
    // Anything more would be a duplicate; it would have run by now.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let ran = runs(&daemon);
    daemon.stop(Duration::from_secs(5)).await;
    sim.shutdown().await;

    println!("burst: {expected} new movies, one metadata-reading rule");
    println!(
        "  drained in {:.2} s (scan activity {} s)",
        drained.as_secs_f64(),
        2
    );
    println!("  rule runs: {ran}");
    let total: usize = kinds.values().sum();
    println!(
        "  requests to Plex: {total} ({:.3} per item)",
        total as f64 / expected as f64
    );
    for (kind, n) in &kinds {
        println!("    {n:6}  {kind}");
    }
    assert_eq!(ran, expected as f64, "every item reaches the rule once");
}

/// `GET /library/metadata/{ids}` and the like: the path with ids folded.
fn kind_of(method: &str, path: &str) -> String {
    let folded: Vec<&str> = path
        .split('/')
        .map(|s| {
            if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == ',') {
                "{id}"
            } else {
                s
            }
        })
        .collect();
    format!("{method} {}", folded.join("/"))
}

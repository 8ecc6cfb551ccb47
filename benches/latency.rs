//! Event → first Plex request latency through the whole daemon: the
//! simulator sends a `playing` (stopped) notification over the WebSocket;
//! the listener normalizes it, the rules fire, the engine journals the run
//! in SQLite and starts it, the executor sends `PUT …/analyze`. Measured on
//! the simulator's clock: from just before it emits the notification to
//! when it receives the request. No configured delay.
//!
//! Run: `cargo bench --bench latency` (prints p50, p99, max; fails if p99 > 5 ms).

use std::time::Duration;

use metarr_plex::config::Config;
use metarr_plex::daemon::{Daemon, Options, RulesSource};
use metarr_plex::plex::conn::identity::ClientIdentity;
use metarr_plex::service::sd_notify::Notifier;
use metarr_plex::sim::{SimOptions, Simulator};

mod support;

const RULE: &str = r#"description = "Analyze on stop, at once (latency benchmark)"
mode = "parallel"
max = 100

[[triggers]]
event = "playback.stopped"

[[actions]]
action = "analyze"
"#;

const ROUNDS: usize = 300;
const WARMUP: usize = 20;
const TARGET_P99: Duration = Duration::from_millis(5);

fn main() {
    support::block_on(bench());
}

async fn bench() {
    let sim = Simulator::start(SimOptions::default())
        .await
        .expect("simulator");
    let state = tempfile::tempdir().expect("temp dir");
    let rules = tempfile::tempdir().expect("temp dir");
    std::fs::write(rules.path().join("analyze-now.toml"), RULE).expect("rule");
    let text = format!(
        "[server]\nurl = \"{}\"\ntoken = \"{}\"\n",
        sim.url(),
        sim.token()
    );
    let config = Config::from_str_at(&state.path().join("config.toml"), &text).expect("config");
    let client = config.client(ClientIdentity::new("bench")).expect("client");
    let daemon = Daemon::start(Options {
        config,
        client,
        state_dir: state.path().to_path_buf(),
        rules: RulesSource::Dir(rules.path().to_path_buf()),
        dry_run: false,
        notifier: Notifier::default(),
        listener: None,
    })
    .await
    .expect("daemon");
    while sim.open_sockets() == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let movie = sim
        .with_library(|l| {
            l.items()
                .find(|i| i.kind.as_str() == "movie")
                .map(|i| i.rating_key.clone())
        })
        .expect("a movie");
    let path = format!("/library/metadata/{movie}/analyze");
    let mut analyzed = 0usize;

    let mut samples = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS + WARMUP {
        let session = sim.start_playback(&movie).expect("playback");
        tokio::time::sleep(Duration::from_millis(5)).await;
        sim.clear_requests();
        let sent_at = std::time::Instant::now();
        sim.stop_playback(&session).expect("stop");
        let received = loop {
            // The first request the event caused, whatever it is (the
            // executor may read the item before it writes).
            if let Some(r) = sim.requests().into_iter().next() {
                break r.received_at;
            }
            assert!(
                sent_at.elapsed() < Duration::from_secs(5),
                "no request within 5 s"
            );
            tokio::time::sleep(Duration::from_micros(200)).await;
        };
        if round >= WARMUP {
            samples.push(received.duration_since(sent_at));
        }
        // And the action itself got there.
        while !sim.requests().iter().any(|r| r.path == path) {
            assert!(
                sent_at.elapsed() < Duration::from_secs(5),
                "no analyze within 5 s"
            );
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
        analyzed += 1;
        // Rounds stay under the default request budget toward Plex (10/s):
        // this measures the pipeline, not the token bucket, which by design
        // spaces out bursts.
        tokio::time::sleep(Duration::from_millis(110)).await;
    }
    daemon.stop(Duration::from_secs(5)).await;

    samples.sort();
    let pct = |p: f64| samples[((samples.len() as f64 * p).ceil() as usize).saturating_sub(1)];
    let (p50, p99, max) = (pct(0.50), pct(0.99), samples[samples.len() - 1]);
    println!(
        "event -> first Plex request, {} rounds: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (target p99 <= {} ms)",
        samples.len(),
        p50.as_secs_f64() * 1000.0,
        p99.as_secs_f64() * 1000.0,
        max.as_secs_f64() * 1000.0,
        TARGET_P99.as_millis()
    );
    assert_eq!(analyzed, ROUNDS + WARMUP, "every event led to its analyze");
    assert!(p99 <= TARGET_P99, "p99 {p99:?} is over the target");
}

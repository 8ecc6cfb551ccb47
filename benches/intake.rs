//! The intake under load, through the real daemon and HTTP:
//! - every webhook is answered after its request is in the journal: the
//!   round trip (HTTP + journal commit) must stay at p99 ≤ 5 ms;
//! - 1,000 files in 100 folders (50 movie folders via Radarr, 50 season
//!   folders via Sonarr), one webhook per file, end as exactly 100 partial
//!   scans, every request `done` (and how many item reads and lookups by
//!   path confirming them took).
//!
//! Run: `cargo bench --bench intake` (prints the figures; fails on a miss).

use std::path::Path;
use std::time::{Duration, Instant};

use metarr_plex::config::Config;
use metarr_plex::daemon::{Daemon, Options, RulesSource};
use metarr_plex::plex::conn::identity::ClientIdentity;
use metarr_plex::service::sd_notify::Notifier;
use metarr_plex::sim::{SimOptions, Simulator};
use serde_json::{Value, json};

mod support;

const FOLDERS_PER_SECTION: usize = 50;
const FILES_PER_FOLDER: usize = 10;
const KEY: &str = "bench-intake-key";

fn main() {
    support::block_on(bench());
}

/// (local path, Plex path) of every file, and the webhook body for it.
fn files(local: &Path) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for f in 0..FOLDERS_PER_SECTION {
        let folder = format!("Feature {f:02} (2024)");
        for n in 0..FILES_PER_FOLDER {
            let name = format!("Feature {f:02} Part {n} (2024).mkv");
            let path = local.join("movies").join(&folder).join(&name);
            let body = json!({
                "eventType": "Download",
                "movie": {"folderPath": local.join("movies").join(&folder)},
                "movieFile": {"relativePath": name, "path": path},
            });
            out.push((
                path.display().to_string(),
                format!("/data/media/movies/{folder}/{name}"),
                body,
            ));
        }
    }
    for f in 0..FOLDERS_PER_SECTION {
        let show = format!("Series {f:02}");
        for n in 1..=FILES_PER_FOLDER {
            let rel = format!("Season 01/Series {f:02} - S01E{n:02}.mkv");
            let path = local.join("tv").join(&show).join(&rel);
            let body = json!({
                "eventType": "Download",
                "series": {"path": local.join("tv").join(&show)},
                "episodeFile": {"relativePath": rel},
            });
            out.push((
                path.display().to_string(),
                format!("/data/media/tv/{show}/{rel}"),
                body,
            ));
        }
    }
    out
}

async fn bench() {
    let sim = Simulator::start(SimOptions {
        activity_duration: Duration::from_millis(20),
        ..SimOptions::default()
    })
    .await
    .expect("simulator");
    let local = tempfile::tempdir().expect("temp dir");
    let state = tempfile::tempdir().expect("state dir");
    let rules = tempfile::tempdir().expect("rules dir");
    let all = files(local.path());
    for (path, plex, _) in &all {
        std::fs::create_dir_all(Path::new(path).parent().expect("parent")).expect("folder");
        std::fs::write(path, b"x").expect("file");
        sim.with_library_mut(|l| l.add_file_on_disk(plex));
    }
    std::fs::write(state.path().join("key"), KEY).expect("key");
    let mut text = format!(
        "[server]\nurl = \"{}\"\ntoken = \"{}\"\n\n[intake]\nlisten = \"127.0.0.1:0\"\nkey_file = \"{}\"\nmin_age = \"1s\"\nstable_for = \"0s\"\n",
        sim.url(),
        sim.token(),
        state.path().join("key").display()
    );
    for (dir, plex) in [("movies", "/data/media/movies"), ("tv", "/data/media/tv")] {
        text.push_str(&format!(
            "\n[[path_map]]\nfrom = \"{}\"\nto = \"{plex}\"\n",
            local.path().join(dir).display()
        ));
    }
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
    let base = format!("http://{}", daemon.intake_addr().expect("intake on"));
    let http = reqwest::Client::new();

    // One webhook per file, as the *arrs send them: one at a time.
    let mut took = Vec::new();
    let mut ids = Vec::new();
    let started = Instant::now();
    for (i, (_, _, body)) in all.iter().enumerate() {
        let hook = if i < FOLDERS_PER_SECTION * FILES_PER_FOLDER {
            "radarr"
        } else {
            "sonarr"
        };
        let t = Instant::now();
        let resp = http
            .post(format!("{base}/api/v1/hooks/{hook}"))
            .basic_auth(hook, Some(KEY))
            .json(body)
            .send()
            .await
            .expect("webhook");
        let answer: Value = resp.json().await.expect("json");
        took.push(t.elapsed());
        ids.push(answer["id"].as_str().expect("queued").to_owned());
    }
    let sent_in = started.elapsed();
    took.sort();
    let pct = |p: f64| took[((took.len() as f64 * p).ceil() as usize).saturating_sub(1)];
    let (p50, p99, max) = (pct(0.50), pct(0.99), took[took.len() - 1]);

    // Every request to its end.
    let mut pending = ids.clone();
    let deadline = Instant::now() + Duration::from_secs(600);
    while !pending.is_empty() {
        assert!(
            Instant::now() < deadline,
            "{} requests not finished",
            pending.len()
        );
        let mut still = Vec::new();
        for id in pending {
            let r: Value = http
                .get(format!("{base}/api/v1/requests/{id}"))
                .header("X-Api-Key", KEY)
                .send()
                .await
                .expect("status")
                .json()
                .await
                .expect("json");
            match r["state"].as_str() {
                Some("done") => {}
                Some("partial" | "failed") => panic!("request {id} ended {r}"),
                _ => still.push(id),
            }
        }
        pending = still;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let total = started.elapsed();
    let scans: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/library/sections/") && r.path.ends_with("/refresh"))
        .collect();
    let partial = scans
        .iter()
        .filter(|r| r.query_value("path").is_some())
        .count();
    // How files were confirmed: items the stream reported are read once by
    // id; only files it did not report are looked up by path.
    let requests = sim.requests();
    let lookups = requests
        .iter()
        .filter(|r| r.path.ends_with("/all") && r.query_value("file").is_some())
        .count();
    let reads = requests
        .iter()
        .filter(|r| {
            r.method == "GET"
                && r.path
                    .strip_prefix("/library/metadata/")
                    .is_some_and(|id| !id.contains('/'))
        })
        .count();
    daemon.stop(Duration::from_secs(5)).await;

    println!(
        "intake: {} webhooks in {:.2} s; answered after the journal write in p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        all.len(),
        sent_in.as_secs_f64(),
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3
    );
    println!(
        "intake: {} files in {} folders -> {partial} partial scans, {} full refreshes; all {} requests done in {:.1} s",
        all.len(),
        2 * FOLDERS_PER_SECTION,
        scans.len() - partial,
        ids.len(),
        total.as_secs_f64()
    );
    println!("intake: confirmed with {reads} item reads and {lookups} lookups by path");
    assert_eq!(
        partial,
        2 * FOLDERS_PER_SECTION,
        "one partial scan per folder"
    );
    assert_eq!(scans.len(), partial, "never a full refresh");
    assert!(p99 <= Duration::from_millis(5), "p99 {p99:?} > 5 ms");
}

//! `metarr-plex events`, run as the real binary against an in-process
//! notification endpoint: normalized JSON lines by default, raw entries with
//! `--raw`, the token in no output.

use std::path::PathBuf;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio_tungstenite::tungstenite::Message;

use crate::listener_harness::{MockPlex, TOKEN};

fn frames() -> Vec<Message> {
    [
        json!({"NotificationContainer": {"type": "playing", "size": 1,
            "PlaySessionStateNotification": [{"sessionKey": "7", "ratingKey": "2174",
                "key": "/library/metadata/2174", "guid": "", "url": "",
                "viewOffset": 1000, "state": "playing"}]}}),
        json!({"NotificationContainer": {"type": "timeline", "size": 1,
            "TimelineEntry": [{"identifier": "com.plexapp.plugins.library", "sectionID": "1",
                "itemID": "500", "type": 1, "title": "", "state": 0,
                "metadataState": "created", "updatedAt": 1500}]}}),
    ]
    .iter()
    .map(|f| Message::Text(f.to_string().into()))
    .collect()
}

async fn plex() -> MockPlex {
    MockPlex::start(None, |_, mut ws| async move {
        for f in frames() {
            ws.send(f).await.unwrap();
        }
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await
}

/// Runs `events ARGS` against `plex`; returns stdout lines as JSON and stderr.
async fn events(plex: &MockPlex, args: &[&str]) -> (Vec<Value>, String) {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("plex-token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    let config: PathBuf = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nurl = \"http://{}\"\ntoken_file = \"{}\"\ntimeout = \"2s\"\n",
            plex.addr,
            token_file.display()
        ),
    )
    .unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_metarr-plex"))
        .arg("--config")
        .arg(&config)
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .arg("events")
        .args(args)
        .env_remove("PLEX_TOKEN")
        .env_remove("CREDENTIALS_DIRECTORY")
        .env("RUST_LOG", "trace")
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("events exits after --count lines")
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    assert!(
        !stdout.contains(TOKEN) && !stderr.contains(TOKEN),
        "the token leaked"
    );
    let lines = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (lines, stderr)
}

#[tokio::test]
async fn events_prints_normalized_events_as_json_lines() {
    let plex = plex().await;
    let (lines, stderr) = events(&plex, &["--count", "3"]).await;
    let names: Vec<&str> = lines.iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["server.connected", "playback.started", "item.added"],
        "{stderr}"
    );
    assert_eq!(lines[1]["session"]["key"], "7");
    assert_eq!(lines[1]["item"]["id"], "2174");
    assert_eq!(
        lines[1]["raw"]["sessionKey"], "7",
        "events keep the raw entry"
    );
    assert_eq!(lines[2]["raw"]["metadataState"], "created");
    assert_eq!(lines[2]["item"]["id"], "500");
    assert_eq!(lines[2]["section"]["id"], "1");
    assert!(stderr.contains("Listening to ws://"), "{stderr}");
}

#[tokio::test]
async fn events_raw_prints_each_notification_entry() {
    let plex = plex().await;
    let (lines, stderr) = events(&plex, &["--raw", "--count", "2"]).await;
    let types: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["playing", "timeline"], "{stderr}");
    assert_eq!(lines[0]["entry"]["sessionKey"], "7");
    assert_eq!(lines[1]["entry"]["metadataState"], "created");
    assert!(stderr.contains("# server.connected"), "{stderr}");
}

/// The "done when": `events` against the simulator shows a scripted
/// scan and a playback session as clean events.
#[tokio::test]
async fn events_against_the_simulator_shows_a_scan_and_a_playback_session() {
    use metarr_plex::sim::{SimOptions, Simulator};

    let sim = Simulator::start(SimOptions::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("plex-token");
    std::fs::write(&token_file, format!("{}\n", sim.token())).unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nurl = \"{}\"\ntoken_file = \"{}\"\n",
            sim.url(),
            token_file.display()
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_metarr-plex"))
        .arg("--config")
        .arg(&config)
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .arg("events")
        .env_remove("PLEX_TOKEN")
        .env_remove("CREDENTIALS_DIRECTORY")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut out = EventLines {
        lines: BufReader::new(child.stdout.take().unwrap()).lines(),
        names: Vec::new(),
    };
    out.until("server.connected").await;
    // Let the catch-up finish before the story starts.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let client = reqwest::Client::new();
    let scan = sim
        .url()
        .join("/library/sections/1/refresh?path=%2Fdata%2Fmedia%2Fmovies%2FInception%20(2010)%20%7Btmdb-27205%7D")
        .unwrap();
    let r = client
        .get(scan)
        .header("X-Plex-Token", sim.token())
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let added = out.until("item.added").await;
    out.until("library.scan.ended").await;
    let item = added["item"]["id"].as_str().unwrap().to_owned();
    let key = sim.start_playback(&item).unwrap();
    out.until("playback.started").await;
    sim.pause_playback(&key).unwrap();
    out.until("playback.paused").await;
    sim.stop_playback(&key).unwrap();
    let stopped = out.until("playback.stopped").await;
    assert_eq!(stopped["item"]["id"], item.as_str());
    assert_eq!(stopped["section"]["title"], "Movies");

    let story: Vec<&str> = out
        .names
        .iter()
        .map(String::as_str)
        .filter(|n| {
            n.starts_with("library.scan") || n.starts_with("item.") || n.starts_with("playback.")
        })
        .collect();
    assert_eq!(
        story,
        [
            "library.scan.started",
            "item.added",
            "item.ready",
            "library.scan.ended",
            "playback.started",
            "playback.paused",
            "playback.stopped"
        ],
        "{:?}",
        out.names
    );
    child.kill().await.unwrap();
}

/// The JSON lines `events` prints, read one at a time.
struct EventLines {
    lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    /// Every event name read so far.
    names: Vec<String>,
}

impl EventLines {
    /// Reads lines until an event named `name`, and returns it.
    async fn until(&mut self, name: &str) -> Value {
        loop {
            let line = tokio::time::timeout(Duration::from_secs(20), self.lines.next_line())
                .await
                .unwrap_or_else(|_| panic!("no {name} in time; saw {:?}", self.names))
                .unwrap()
                .expect("events keeps running");
            let event: Value = serde_json::from_str(&line).unwrap();
            let n = event["name"].as_str().unwrap().to_owned();
            self.names.push(n.clone());
            if n == name {
                return event;
            }
        }
    }
}

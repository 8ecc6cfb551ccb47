//! The real binary with the intake on: `kill -9` in the middle of a 20-item
//! Metarr sync, a restart, and the request finishes with nothing sent to
//! Plex twice (counted on the simulator's recorded requests); then
//! `metarr-plex requests` reads the outcome from the journal.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use metarr_plex::sim::{CatalogueEntry, ItemKind, SimOptions, Simulator};
use serde_json::{Value, json};

use crate::daemon_harness::{PLEX_MOVIES, POSTER, sent, wait_for};

const TOKEN: &str = "tok-intake-R3start-9d";
const KEY: &str = "intake-R3start-K3Y-41";

fn spawn(dir: &Path, log: &str) -> Child {
    let out = std::fs::File::create(dir.join(format!("{log}.out"))).unwrap();
    let err = std::fs::File::create(dir.join(format!("{log}.err"))).unwrap();
    Command::new(env!("CARGO_BIN_EXE_metarr-plex"))
        .arg("--config")
        .arg(dir.join("config.toml"))
        .arg("--state-dir")
        .arg(dir.join("state"))
        .arg("run")
        .arg("--rules")
        .arg(dir.join("rules"))
        .env("RUST_LOG", "debug")
        .env_remove("NOTIFY_SOCKET")
        .env_remove("PLEX_TOKEN")
        .env_remove("CREDENTIALS_DIRECTORY")
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .spawn()
        .unwrap()
}

fn output(dir: &Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "out" || e == "err") {
            text.push_str(&std::fs::read_to_string(&p).unwrap_or_default());
        }
    }
    text
}

fn cli(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_metarr-plex"))
        .arg("--config")
        .arg(dir.join("config.toml"))
        .arg("--state-dir")
        .arg(dir.join("state"))
        .args(args)
        .env_remove("PLEX_TOKEN")
        .output()
        .unwrap()
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn get(http: &reqwest::Client, url: &str) -> Option<Value> {
    let resp = http.get(url).header("X-Api-Key", KEY).send().await.ok()?;
    resp.json().await.ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_sync_resumes_and_nothing_is_sent_twice() {
    let sim = Simulator::start(SimOptions {
        token: TOKEN.into(),
        ..SimOptions::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let media = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("rules")).unwrap();
    std::fs::write(dir.path().join("intake-key"), KEY).unwrap();
    let port = free_port();
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            "[server]\nurl = \"{}\"\ntoken = \"{TOKEN}\"\n\n[[path_map]]\nfrom = \"{}\"\nto = \"{PLEX_MOVIES}\"\n\n[intake]\nlisten = \"127.0.0.1:{port}\"\nkey_file = \"{}\"\nmin_age = \"0s\"\nstable_for = \"0s\"\n",
            sim.url(),
            media.path().display(),
            dir.path().join("intake-key").display()
        ),
    )
    .unwrap();
    let mut items = Vec::new();
    for n in 0..20 {
        let folder = media.path().join(format!("Reel {n} (19{n:02})"));
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join(format!("Reel.{n}.mkv")), b"x").unwrap();
        std::fs::write(folder.join("poster.jpg"), POSTER).unwrap();
        let plex = format!("{PLEX_MOVIES}/Reel {n} (19{n:02})/Reel.{n}.mkv");
        sim.with_library_mut(|l| {
            l.add_file_on_disk(&plex);
            l.catalogue_mut().add(CatalogueEntry {
                guid: format!("plex://movie/6e88{n:020}"),
                kind: ItemKind::Movie,
                title: format!("Reel {n}"),
                year: Some(1900 + n),
                external: vec![format!("tmdb://{}", 70_000 + n)],
            })
        });
        items.push(json!({
            "path": folder.join(format!("Reel.{n}.mkv")).display().to_string(),
            "ids": {"tmdb": (70_000 + n).to_string()},
            "metadata": {"title": format!("Reel {n} (Director's Cut)"), "tagline": "Again."},
            "poster": folder.join("poster.jpg").display().to_string(),
        }));
    }
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut first = spawn(dir.path(), "first");
    let start = Instant::now();
    while get(&http, &format!("{base}/api/v1/requests"))
        .await
        .is_none()
    {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{}",
            output(dir.path())
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let resp = http
        .post(format!("{base}/api/v1/sync"))
        .header("X-Api-Key", KEY)
        .json(&json!({ "items": items }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 202);
    let id = resp.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Killed in the middle: some items matched, others not yet.
    wait_for(Duration::from_secs(90), || {
        sent(&sim, "PUT", "/match").len() >= 5
    })
    .await;
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    let before = sent(&sim, "PUT", "/match").len();
    assert!(
        before < 20,
        "the kill came too late to prove anything ({before} matches)"
    );

    let mut second = spawn(dir.path(), "second");
    let start = Instant::now();
    let record = loop {
        if let Some(r) = get(&http, &format!("{base}/api/v1/requests/{id}")).await
            && r["state"] == "done"
        {
            break r;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "{}",
            output(dir.path())
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    second.kill().unwrap();
    second.wait().unwrap();

    let scans = sent(&sim, "GET", "/library/sections/1/refresh");
    for n in 0..20 {
        let file = format!("Reel.{n}.mkv");
        let rk = sim
            .with_library(|l| {
                l.items()
                    .find(|i| i.files.iter().any(|f| f.ends_with(&file)))
                    .map(|i| i.rating_key.clone())
            })
            .expect("in Plex");
        assert_eq!(record["items"][n]["rating_key"], rk.as_str());
        let folder = format!("{PLEX_MOVIES}/Reel {n} (19{n:02})");
        let scanned = scans
            .iter()
            .filter(|s| s.query_value("path") == Some(folder.as_str()))
            .count();
        assert_eq!(scanned, 1, "{folder} scanned {scanned} times");
        assert_eq!(
            sent(&sim, "PUT", &format!("/library/metadata/{rk}/match")).len(),
            1,
            "match of {rk}"
        );
        assert_eq!(
            sent(&sim, "POST", &format!("/library/metadata/{rk}/posters")).len(),
            1,
            "poster of {rk}"
        );
        let edits: Vec<_> = sent(&sim, "PUT", "/library/sections/1/all")
            .into_iter()
            .filter(|r| r.query_value("id") == Some(rk.as_str()))
            .filter(|r| r.query_value("title.value").is_some())
            .collect();
        assert_eq!(
            edits.len(),
            1,
            "field edits of {rk}: {:?}",
            edits.iter().map(|e| &e.query).collect::<Vec<_>>()
        );
        let item = sim.with_library(|l| l.item(&rk).cloned().unwrap());
        assert_eq!(item.title, format!("Reel {n} (Director's Cut)"));
        assert!(item.locked_fields.contains("title"));
    }
    let out = output(dir.path());
    assert!(
        out.contains("Resuming intake requests from the journal."),
        "{out}"
    );
    assert!(
        !out.contains(TOKEN) && !out.contains(KEY),
        "a secret reached the output"
    );

    // The CLI reads the same journal.
    let shown = cli(dir.path(), &["--json", "requests", "show", &id]);
    assert!(shown.status.success(), "{shown:?}");
    let v: Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(v["state"], "done");
    assert_eq!(v["items"].as_array().unwrap().len(), 20);
    let listed = cli(dir.path(), &["requests"]);
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(text.contains(&id) && text.contains("done"), "{text}");
    let missing = cli(dir.path(), &["requests", "show", "nope"]);
    assert_eq!(missing.status.code(), Some(2));
}

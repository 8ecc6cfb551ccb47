//! Every one-shot command, run as the real binary against the simulator with
//! a distinctive token: exit codes, tables, `--json`, the state changes that
//! matter, and the token appearing nowhere in any output (debug logs on).

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use metarr_plex::sim::{SimOptions, Simulator};
use serde_json::Value;
use tokio::process::Command;

const TOKEN: &str = "tOk-9f8e7d6c5b4a-SECRET";
const ARRIVAL: &str = "/data/media/movies/Arrival (2016) {tmdb-329865}/Arrival (2016).mkv";
const HEAT: &str = "/data/media/movies/Heat (1995) {imdb-tt0113277}/Heat.1995.mkv";
const MATRIX: &str = "/data/media/movies/The Matrix (1999)/The Matrix (1999).mkv";
const INCEPTION: &str = "/data/media/movies/Inception (2010) {tmdb-27205}/Inception (2010).mkv";

struct Env {
    sim: Simulator,
    dir: tempfile::TempDir,
    config: PathBuf,
    /// Every output seen, for the final token check.
    outputs: Vec<(String, String, String)>,
}

impl Env {
    async fn new() -> Env {
        let sim = Simulator::start(SimOptions {
            token: TOKEN.into(),
            // Long enough that `activities --cancel` finds the scan it started.
            activity_duration: Duration::from_millis(1500),
            ..SimOptions::default()
        })
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let token_file = dir.path().join("plex-token");
        std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
        let config = dir.path().join("config.toml");
        std::fs::write(
            &config,
            format!(
                "[server]\nurl = \"{}\"\ntoken_file = \"{}\"\ntimeout = \"5s\"\n\n[[path_map]]\nfrom = \"/mnt/plex\"\nto = \"/data/media\"\n",
                sim.url(),
                token_file.display()
            ),
        )
        .unwrap();
        Env {
            sim,
            dir,
            config,
            outputs: Vec::new(),
        }
    }

    fn id_of(&self, file: &str) -> String {
        self.sim
            .with_library(|l| l.find_by_file(file).unwrap().rating_key.clone())
    }

    async fn run_with(&mut self, config: &Path, args: &[&str]) -> Output {
        let out = Command::new(env!("CARGO_BIN_EXE_metarr-plex"))
            .arg("--config")
            .arg(config)
            .arg("--state-dir")
            .arg(self.dir.path().join("state"))
            .args(args)
            .env_remove("PLEX_TOKEN")
            .env_remove("CREDENTIALS_DIRECTORY")
            .env("RUST_LOG", "trace")
            .output()
            .await
            .unwrap();
        self.outputs.push((
            args.join(" "),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ));
        out
    }

    /// Runs and expects `code`; returns stdout.
    async fn expect(&mut self, code: i32, args: &[&str]) -> String {
        let config = self.config.clone();
        let out = self.run_with(&config, args).await;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}\nstdout: {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }

    /// Runs with `--json`, expects success, returns the parsed output.
    async fn json(&mut self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.expect(0, &all).await;
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}\n{out}"))
    }

    fn assert_token_never_printed(&self) {
        assert!(
            self.outputs.len() > 40,
            "ran {} commands",
            self.outputs.len()
        );
        for (args, out, err) in &self.outputs {
            assert!(
                !out.contains(TOKEN) && !err.contains(TOKEN),
                "token leaked by `{args}`"
            );
            assert!(
                !out.contains("SECRET") && !err.contains("SECRET"),
                "token leaked by `{args}`"
            );
        }
    }
}

fn local(plex: &str) -> String {
    plex.replacen("/data/media", "/mnt/plex", 1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_works_against_the_simulator_and_never_prints_the_token() {
    let mut env = Env::new().await;
    let arrival = env.id_of(ARRIVAL);
    let heat = env.id_of(HEAT);
    let matrix = env.id_of(MATRIX);

    // sections
    let table = env.expect(0, &["sections"]).await;
    assert!(table.starts_with("ID  TITLE"), "{table}");
    assert!(
        table.contains("/data/media/kids, /data/media/movies-kids"),
        "{table}"
    );
    assert_eq!(env.json(&["sections"]).await.as_array().unwrap().len(), 4);

    // item
    let table = env.expect(0, &["item", &matrix]).await;
    assert!(table.contains("tmdb://603"), "{table}");
    assert_eq!(env.json(&["item", &matrix]).await["title"], "The Matrix");
    env.expect(1, &["item", "424242"]).await;
    env.expect(1, &["--json", "item", "424242"]).await;

    // scan: a local path mapped to Plex's, waited for; then the new item exists
    let out = env.expect(0, &["scan", &local(INCEPTION), "--wait"]).await;
    assert!(out.contains("finished"), "{out}");
    assert!(
        env.sim
            .with_library(|l| l.find_by_file(INCEPTION).is_some())
    );
    let j = env
        .json(&["scan", &local(MATRIX), &local(ARRIVAL), "--parallel", "2"])
        .await;
    assert_eq!(j["scans"].as_array().unwrap().len(), 2);
    let j = env
        .json(&["scan", &local(MATRIX), "--full", "--wait"])
        .await;
    assert_eq!(j["scans"][0]["folder"], Value::Null);
    assert_eq!(j["scans"][0]["result"], "finished");
    env.expect(2, &["scan", "/srv/elsewhere/x.mkv"]).await;
    env.expect(1, &["--json", "scan", "/mnt/plex/photos/x.jpg"])
        .await;
    env.expect(2, &["scan", "x", "--parallel", "0"]).await;

    // match by external ids and by guid
    let out = env
        .expect(0, &["match", &arrival, "--tmdb", "329865"])
        .await;
    assert!(
        out.starts_with(&format!("Matched item {arrival} to Arrival (2016)")),
        "{out}"
    );
    assert!(
        env.sim
            .with_library(|l| l.item(&arrival).unwrap().guid.starts_with("plex://movie/"))
    );
    let j = env.json(&["match", &heat, "--imdb", "tt0113277"]).await;
    assert_eq!(j["name"], "Heat");
    let guid = j["guid"].as_str().unwrap().to_owned();
    env.json(&[
        "match", &heat, "--guid", &guid, "--name", "Heat", "--year", "1995",
    ])
    .await;
    let show = env.sim.with_library(|l| {
        l.items()
            .find(|i| i.kind == metarr_plex::sim::ItemKind::Show)
            .unwrap()
            .rating_key
            .clone()
    });
    env.expect(0, &["match", &show, "--tvdb", "371980"]).await;
    env.expect(1, &["match", &matrix, "--tmdb", "999999999"])
        .await;
    env.expect(2, &["match", &matrix, "--imdb", "0133093"])
        .await;
    env.expect(2, &["match", &matrix]).await;

    // unmatch, refresh, analyze
    env.expect(0, &["unmatch", &matrix]).await;
    assert!(
        env.sim
            .with_library(|l| l.item(&matrix).unwrap().is_unmatched())
    );
    env.json(&["refresh", &matrix, "--force"]).await;
    env.json(&["analyze", &matrix]).await;
    env.expect(0, &["refresh", &matrix]).await;
    env.expect(0, &["analyze", &matrix]).await;
    assert_eq!(
        env.sim
            .with_library(|l| l.item(&matrix).unwrap().analyze_count),
        2
    );
    env.expect(1, &["unmatch", "424242"]).await;
    let last = &env.outputs.last().unwrap().2;
    assert!(
        last.contains("error: item 424242 not found on the Plex server"),
        "{last}"
    );

    // edit --lock
    env.expect(
        0,
        &[
            "edit",
            &heat,
            "title=Heat & Dust #1 100%?",
            "summary=a=b",
            "--lock",
        ],
    )
    .await;
    env.sim.with_library(|l| {
        let it = l.item(&heat).unwrap();
        assert_eq!(it.title, "Heat & Dust #1 100%?");
        assert!(it.is_locked("title") && it.is_locked("summary"));
    });
    env.json(&["edit", &heat, "studio=Warner"]).await;
    env.expect(2, &["edit", &heat, "notanassignment"]).await;
    env.expect(1, &["edit", "424242", "title=x"]).await;

    // tags
    env.expect(
        0,
        &["tags", &heat, "--add", "genre=Crime|Thriller", "label=Fav"],
    )
    .await;
    env.json(&["tags", &heat, "--remove", "genre=Crime"]).await;
    env.expect(0, &["tags", &heat, "--set", "collection=Mann"])
        .await;
    env.sim.with_library(|l| {
        let it = l.item(&heat).unwrap();
        assert_eq!(it.tags("genre"), ["Thriller"]);
        assert_eq!(it.tags("label"), ["Fav"]);
        assert_eq!(it.tags("collection"), ["Mann"]);
    });
    env.expect(2, &["tags", &heat, "--add", "mood=Dark"]).await;
    env.expect(2, &["tags", &heat, "genre=X"]).await;

    // poster and art: file, URL, and refusals
    let png = env.dir.path().join("poster.png");
    let bytes = b"\x89PNG\r\n\x1a\n cli poster".to_vec();
    std::fs::write(&png, &bytes).unwrap();
    let out = env
        .expect(0, &["poster", &arrival, png.to_str().unwrap()])
        .await;
    let key = metarr_plex::sim::upload_key(metarr_plex::sim::ImageSlot::Poster, &bytes);
    assert!(out.contains(&key), "{out}");
    env.sim.with_library(|l| {
        let it = l.item(&arrival).unwrap();
        assert_eq!(it.selected_poster().unwrap().rating_key, key);
        assert!(it.is_locked("thumb"));
    });
    env.json(&["art", &arrival, png.to_str().unwrap(), "--no-lock"])
        .await;
    let images = crate::support::image_host::start().await;
    env.expect(
        0,
        &["poster", &arrival, &format!("{images}/p 1.jpg?a=1&b=2")],
    )
    .await;
    // A URL that answers 404: an error, and nothing reaches Plex (no
    // upload, no lock).
    let writes_before = env.sim.requests().len();
    let config = env.config.clone();
    let out = env
        .run_with(
            &config,
            &["poster", &arrival, &format!("{images}/missing.jpg")],
        )
        .await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("answered 404 Not Found; nothing was uploaded or locked"),
        "{err}"
    );
    assert!(
        env.sim.requests()[writes_before..]
            .iter()
            .all(|r| r.method == "GET"),
        "a write reached Plex for a 404 URL"
    );
    let text = env.dir.path().join("not-an-image.jpg");
    std::fs::write(&text, "hello").unwrap();
    // A local file that is missing, empty-named or not an image is the
    // caller's mistake (exit 2), found before any request.
    env.expect(2, &["poster", &arrival, text.to_str().unwrap()])
        .await;
    env.expect(2, &["art", &arrival, "/does/not/exist.jpg"])
        .await;
    env.expect(2, &["poster", &arrival, ""]).await;

    // activities, list and cancel
    env.expect(0, &["scan", &local(MATRIX), "--full"]).await;
    let list = env.json(&["activities"]).await;
    let uuid = list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["cancellable"] == true)
        .map(|a| a["uuid"].as_str().unwrap().to_owned())
        .expect("the full scan is still running");
    assert!(env.expect(0, &["activities"]).await.contains(&uuid));
    env.expect(0, &["activities", "--cancel", &uuid]).await;
    assert!(
        env.sim
            .with_library(|l| l.activities().iter().all(|a| a.uuid != uuid))
    );
    env.expect(1, &["activities", "--cancel", "no-such-activity"])
        .await;

    // sessions, agents
    env.expect(0, &["sessions"]).await;
    env.json(&["sessions"]).await;
    assert!(
        env.expect(0, &["agents"])
            .await
            .contains("tv.plex.agents.movie")
    );
    env.json(&["agents"]).await;

    // map-path
    assert_eq!(
        env.expect(0, &["map-path", "/mnt/plex/movies/A & B #1/é.mkv"])
            .await,
        "/data/media/movies/A & B #1/é.mkv\n"
    );
    let j = env.json(&["map-path", "--section", &local(ARRIVAL)]).await;
    assert_eq!(j["section"]["id"], "1");
    assert_eq!(
        env.expect(0, &["map-path", "--to-local", "/data/media/tv/x"])
            .await,
        "/mnt/plex/tv/x\n"
    );
    env.expect(2, &["map-path", "/srv/unmapped"]).await;
    env.expect(1, &["map-path", "--section", "/mnt/plex/photos/x"])
        .await;

    // A wrong token and an unreachable server: one clear line, exit 1.
    let bad = env.dir.path().join("bad.toml");
    let wrong_token = env.dir.path().join("wrong-token");
    std::fs::write(&wrong_token, "wrong-token-value").unwrap();
    std::fs::write(
        &bad,
        format!(
            "[server]\nurl = \"{}\"\ntoken_file = \"{}\"\n",
            env.sim.url(),
            wrong_token.display()
        ),
    )
    .unwrap();
    let out = env.run_with(&bad, &["sections"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error: Invalid Plex token"));
    let out = env.run_with(&bad, &["--json", "item", "1"]).await;
    assert_eq!(out.status.code(), Some(1));
    let config = env.config.clone();
    let out = env
        .run_with(&config, &["--server", "http://127.0.0.1:9", "sections"])
        .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("error: Plex server unavailable at http://127.0.0.1:9"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    env.assert_token_never_printed();
    // The debug logs did run (they show requests), so the check above saw them.
    assert!(
        env.outputs
            .iter()
            .any(|(_, _, err)| err.contains("Plex answered."))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_command_serves_and_never_echoes_its_token() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_metarr-plex"))
        .args(["sim", "--port", "0", "--token", TOKEN])
        .env("RUST_LOG", "debug")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let url = first.rsplit(' ').next().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{first}");
    let rest = [
        lines.next_line().await.unwrap().unwrap(),
        lines.next_line().await.unwrap().unwrap(),
    ];
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_metarr-plex"))
        .args(["--server", &url, "--state-dir"])
        .arg(dir.path())
        .args(["--json", "sections"])
        .env("PLEX_TOKEN", TOKEN)
        .output()
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    child.kill().await.unwrap();
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        use tokio::io::AsyncReadExt;
        let _ = e.read_to_string(&mut err).await;
    }
    for text in [
        first.as_str(),
        rest[0].as_str(),
        rest[1].as_str(),
        err.as_str(),
    ] {
        assert!(!text.contains(TOKEN), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_id_falls_back_to_the_user_state_dir_and_stays_the_same() {
    let sim = Simulator::start(SimOptions::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "x").unwrap();
    let xdg = dir.path().join("xdg");
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_metarr-plex"))
            .args(["--server", sim.url().as_str(), "--json", "agents"])
            .env("PLEX_TOKEN", "sim-token")
            .env("STATE_DIRECTORY", blocker.join("state"))
            .env("XDG_STATE_HOME", &xdg)
            .env_remove("CONFIGURATION_DIRECTORY")
            .output()
    };
    let first = run().await.unwrap();
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    run().await.unwrap();
    let id = std::fs::read_to_string(xdg.join("metarr-plex/client-id")).unwrap();
    let sent: Vec<String> = sim
        .requests()
        .iter()
        .filter_map(|r| r.header("x-plex-client-identifier").map(str::to_owned))
        .collect();
    assert_eq!(sent, [id.trim(), id.trim()], "one id, kept across runs");
}

/// `metarr-plex --json sections | head -1`: the reader goes away early. Like
/// other Unix tools the command stops quietly with success — no panic, no
/// backtrace, no error line.
#[tokio::test]
async fn closed_stdout_ends_the_command_quietly() {
    use std::process::Stdio;

    let env = Env::new().await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_metarr-plex"))
        .arg("--config")
        .arg(&env.config)
        .arg("--state-dir")
        .arg(env.dir.path().join("state"))
        .args(["--json", "sections"])
        .env_remove("PLEX_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the read end before the command has asked Plex anything, so its
    // first write meets a broken pipe.
    drop(child.stdout.take());
    let out = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "exit {:?}, stderr: {stderr}",
        out.status
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

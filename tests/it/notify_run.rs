//! The real binary: sd_notify datagrams (READY, STATUS, WATCHDOG, STOPPING
//! after SIGTERM), `kill -9` with work queued then a restart that completes
//! it, and no trace of the token in anything it wrote.

use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use metarr_plex::sim::{SimOptions, Simulator};

use crate::daemon_harness::{PLEX_MOVIES, POSTER, rules_copy, sent, wait_for};

const TOKEN: &str = "tok-Zq8v3XrK9-secret";

fn options() -> SimOptions {
    SimOptions {
        token: TOKEN.to_owned(),
        ..SimOptions::default()
    }
}

/// Writes the config and returns its path.
fn config(dir: &Path, sim: &Simulator, media: &Path) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!(
            "[server]\nurl = \"{}\"\ntoken = \"{TOKEN}\"\n\n[[path_map]]\nfrom = \"{}\"\nto = \"{PLEX_MOVIES}\"\n",
            sim.url(),
            media.display()
        ),
    )
    .unwrap();
    path
}

fn spawn(dir: &Path, rules: &Path, log: &str, envs: &[(&str, String)]) -> Child {
    let out = std::fs::File::create(dir.join(format!("{log}.out"))).unwrap();
    let err = std::fs::File::create(dir.join(format!("{log}.err"))).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_metarr-plex"));
    cmd.arg("--config")
        .arg(dir.join("config.toml"))
        .arg("--state-dir")
        .arg(dir.join("state"))
        .arg("run")
        .arg("--rules")
        .arg(rules)
        .env("RUST_LOG", "trace")
        .env_remove("NOTIFY_SOCKET")
        .env_remove("PLEX_TOKEN")
        .env_remove("CREDENTIALS_DIRECTORY")
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err));
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(ok.success());
}

fn wait_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            start.elapsed() < limit,
            "the daemon did not exit within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Everything the binary wrote in `dir` (stdout and stderr of every run).
fn all_output(dir: &Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "out" || e == "err") {
            text.push_str(&std::fs::read_to_string(&p).unwrap_or_default());
        }
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sd_notify_ready_status_watchdog_then_stopping_after_sigterm() {
    let sim = Simulator::start(options()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let media = tempfile::tempdir().unwrap();
    config(dir.path(), &sim, media.path());
    let rules = rules_copy(|_, t| t.to_owned());
    let sock_path = dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut child = spawn(
        dir.path(),
        rules.path(),
        "notify",
        &[
            ("NOTIFY_SOCKET", sock_path.display().to_string()),
            ("WATCHDOG_USEC", "1000000".to_owned()),
        ],
    );
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let start = Instant::now();
    let has = |seen: &[String], what: &str| seen.iter().any(|m| m.contains(what));
    while start.elapsed() < Duration::from_secs(15)
        && !(has(&seen, "READY=1") && has(&seen, "WATCHDOG=1") && has(&seen, "STATUS=connected"))
    {
        if let Ok(n) = sock.recv(&mut buf) {
            seen.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
    }
    assert!(has(&seen, "READY=1"), "{seen:?}");
    assert!(has(&seen, "WATCHDOG=1"), "{seen:?}");
    assert!(has(&seen, "STATUS=connected to Plex"), "{seen:?}");

    // SIGHUP: RELOADING=1, then READY=1 again once the rules are re-read.
    seen.clear();
    signal(&child, "HUP");
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10)
        && !(has(&seen, "RELOADING=1") && has(&seen, "READY=1"))
    {
        if let Ok(n) = sock.recv(&mut buf) {
            seen.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
    }
    assert!(has(&seen, "RELOADING=1"), "{seen:?}");
    assert!(has(&seen, "READY=1"), "{seen:?}");

    signal(&child, "TERM");
    let status = wait_exit(&mut child, Duration::from_secs(15));
    while let Ok(n) = sock.recv(&mut buf) {
        seen.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    assert!(has(&seen, "STOPPING=1"), "{seen:?}");
    assert!(status.success(), "clean exit after SIGTERM: {status:?}");
    let output = all_output(dir.path());
    assert!(output.contains("Daemon ready."), "{output}");
    assert!(output.contains("Rules reloaded."), "{output}");
    assert!(!output.contains(TOKEN), "the token leaked into the output");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_with_work_queued_then_restart_completes_it() {
    let sim = Simulator::start(options()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let media = tempfile::tempdir().unwrap();
    let folder = media.path().join("Inception (2010) {tmdb-27205}");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("poster.jpg"), POSTER).unwrap();
    config(dir.path(), &sim, media.path());
    let rules = rules_copy(|name, text| match name {
        "rematch-from-folder-tag.toml" => text.replace("debounce = \"10s\"", "debounce = \"4s\""),
        "upload-local-artwork.toml" => text.replace("debounce = \"15s\"", "debounce = \"4s\""),
        _ => text.to_owned(),
    });
    let mut first = spawn(dir.path(), rules.path(), "first", &[]);
    wait_for(Duration::from_secs(15), || sim.open_sockets() > 0).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let token = TOKEN.to_owned();
    let client = reqwest::Client::new();
    let mut url = sim.url().join("/library/sections/1/refresh").unwrap();
    url.set_query(None);
    let status = client
        .get(url)
        .header("X-Plex-Token", &token)
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success());
    // Accepted into the journal (debounced), not yet run.
    let journal = dir.path().join("state");
    wait_for(Duration::from_secs(10), || {
        metarr_plex::journal::Store::open(&journal)
            .and_then(|s| s.list())
            .is_ok_and(|l| l.iter().any(|r| r.rule == "rematch-from-folder-tag"))
    })
    .await;
    signal(&first, "KILL");
    wait_exit(&mut first, Duration::from_secs(5));
    assert!(
        sent(&sim, "PUT", "/match").is_empty(),
        "nothing ran before the kill"
    );

    let mut second = spawn(dir.path(), rules.path(), "second", &[]);
    wait_for(Duration::from_secs(20), || {
        !sent(&sim, "PUT", "/match").is_empty() && !sent(&sim, "POST", "/posters").is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sent(&sim, "PUT", "/match").len(), 1);
    assert_eq!(sent(&sim, "POST", "/posters").len(), 1);
    signal(&second, "TERM");
    wait_exit(&mut second, Duration::from_secs(15));
    let output = all_output(dir.path());
    assert!(
        output.contains("Restored accepted runs from the journal."),
        "{output}"
    );
    assert!(!output.contains(TOKEN), "the token leaked into the output");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reports_a_broken_config_and_keeps_running_on_the_old_one() {
    let sim = Simulator::start(options()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let media = tempfile::tempdir().unwrap();
    let config_path = config(dir.path(), &sim, media.path());
    let rules = rules_copy(|_, t| t.to_owned());
    let mut child = spawn(dir.path(), rules.path(), "hup", &[]);
    let err_log = dir.path().join("hup.err");
    let log_has = |what: &str| std::fs::read_to_string(&err_log).is_ok_and(|t| t.contains(what));
    wait_for(Duration::from_secs(15), || log_has("Daemon ready.")).await;
    // Break the config, then ask for a reload.
    let good = std::fs::read_to_string(&config_path).unwrap();
    std::fs::write(
        &config_path,
        good.replace("[server]", "[server]\ntimout = \"1s\""),
    )
    .unwrap();
    signal(&child, "HUP");
    wait_for(Duration::from_secs(10), || log_has("Config not reloaded")).await;
    let log = std::fs::read_to_string(&err_log).unwrap();
    assert!(log.contains("the running config stays"), "{log}");
    assert!(log.contains("timout"), "the finding is named: {log}");
    assert!(child.try_wait().unwrap().is_none(), "the daemon stopped");
    signal(&child, "TERM");
    let status = wait_exit(&mut child, Duration::from_secs(15));
    assert!(status.success(), "{status:?}");
    assert!(!all_output(dir.path()).contains(TOKEN), "the token leaked");
}

//! The rule tools and the daemon as a new user meets them, through the real
//! binary: `check` validates the config too, a missing rules directory says
//! how to pass one, broken rules at start do not talk of "running rules",
//! `explain` reports what it cannot do plainly and survives `| head`,
//! `events --count 0` is refused, and `--help` keeps a command's own options
//! apart from the global ones.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

fn metarr(args: &[&str], conf_dir: &Path) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_metarr-plex"))
        .args(args)
        .env("CONFIGURATION_DIRECTORY", conf_dir)
        .env("STATE_DIRECTORY", conf_dir.join("state"))
        .env_remove("PLEX_TOKEN")
        .env_remove("CREDENTIALS_DIRECTORY")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_validates_the_config_it_would_run_with() {
    let conf = tempfile::tempdir().unwrap();
    // The default config file ($CONFIGURATION_DIRECTORY/config.toml), broken.
    std::fs::write(
        conf.path().join("config.toml"),
        "[server]\nurl = \"http://127.0.0.1:32400\"\ntimout = \"30s\"\n",
    )
    .unwrap();
    let (code, out, err) = metarr(&["check", "rules"], conf.path());
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(
        err.contains("config.toml:3:1") && err.contains("did you mean `timeout`?"),
        "{err}"
    );
    // The rules were still checked and reported.
    assert!(out.contains("6 rule files, 0 errors"), "{out}");
    // --config is honoured too; a good config passes.
    let good = conf.path().join("good.toml");
    std::fs::write(&good, "[server]\nurl = \"http://127.0.0.1:32400\"\n").unwrap();
    let (code, out, err) = metarr(
        &["--config", good.to_str().unwrap(), "check", "rules"],
        conf.path(),
    );
    assert_eq!(code, Some(0), "{out}{err}");
    let (code, _, err) = metarr(
        &[
            "--json",
            "--config",
            "/nonexistent/config.toml",
            "check",
            "rules",
        ],
        conf.path(),
    );
    assert_eq!(code, Some(2));
    assert!(
        err.contains("{\"error\"") && err.contains("does not exist"),
        "{err}"
    );
}

#[test]
fn every_command_that_reads_rules_says_how_to_pass_a_directory() {
    let conf = tempfile::tempdir().unwrap();
    let events = conf.path().join("events.jsonl");
    std::fs::write(
        &events,
        "{\"name\":\"item.ready\",\"item\":{\"id\":\"1\"}}\n",
    )
    .unwrap();
    let ev = events.to_str().unwrap();
    for (args, how) in [
        (&["check"][..], "metarr-plex check DIR"),
        (&["test"], "metarr-plex test DIR"),
        (&["explain", "--sim", ev], "metarr-plex explain --rules DIR"),
        (&["run"], "metarr-plex run --rules DIR"),
        (&["check", "/nowhere/rules"], "metarr-plex check DIR"),
    ] {
        let (code, out, err) = metarr(args, conf.path());
        assert_eq!(code, Some(2), "{args:?}: {out}{err}");
        assert!(
            err.contains("does not exist") && err.contains(how),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn run_with_broken_rules_at_start_says_nothing_was_started() {
    let conf = tempfile::tempdir().unwrap();
    let rules = conf.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(
        rules.join("broken.toml"),
        "[[triggers]]\nevent = \"item.nope\"\n",
    )
    .unwrap();
    std::fs::write(
        conf.path().join("config.toml"),
        "[server]\ntoken = \"abcdefgh12345678\"\n",
    )
    .unwrap();
    let (code, out, err) = metarr(&["run"], conf.path());
    assert_ne!(code, Some(0), "{out}{err}");
    assert!(!err.contains("running rules stay"), "{err}");
    assert!(err.contains("nothing was started"), "{err}");
}

#[test]
fn explain_reports_an_empty_file_and_never_calls_a_write_done() {
    let conf = tempfile::tempdir().unwrap();
    let events = conf.path().join("events.jsonl");
    std::fs::write(&events, "\n# nothing recorded yet\n").unwrap();
    let ev = events.to_str().unwrap();
    let (code, out, err) = metarr(&["explain", "--sim", "--rules", "rules", ev], conf.path());
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(err.contains("holds no events"), "{err}");

    // A stopped movie: the analyze action is planned, never sent.
    std::fs::write(
        &events,
        "{\"name\":\"playback.stopped\",\"item\":{\"id\":\"1\",\"type\":\"movie\"}}\n",
    )
    .unwrap();
    let (code, out, err) = metarr(&["explain", "--sim", "--rules", "rules", ev], conf.path());
    assert_eq!(code, Some(0), "{err}");
    let line = out
        .lines()
        .find(|l| l.contains("action 1 analyze"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        !line.contains(": done") && line.contains("not sent"),
        "{line}"
    );

    // An item the server does not have, with no type in the event: the
    // item_type trigger refuses it; that is a skip, not a metadata error.
    std::fs::write(
        &events,
        "{\"name\":\"item.ready\",\"item\":{\"id\":\"424242\"}}\n",
    )
    .unwrap();
    let (_, out, err) = metarr(&["explain", "--sim", "--rules", "rules", ev], conf.path());
    for refusing in [
        "collection-by-path",
        "rematch-from-folder-tag",
        "upload-local-artwork",
    ] {
        assert!(
            out.contains(&format!(
                "{refusing}: skipped: no trigger accepts the event"
            )),
            "{out}{err}"
        );
    }
}

#[test]
fn explain_stops_quietly_when_its_reader_goes_away() {
    let conf = tempfile::tempdir().unwrap();
    let events = conf.path().join("events.jsonl");
    let line = "{\"name\":\"playback.stopped\",\"item\":{\"id\":\"1\",\"type\":\"movie\"}}\n";
    std::fs::write(&events, line.repeat(400)).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_metarr-plex"))
        .args(["explain", "--sim", "--rules", "rules"])
        .arg(&events)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one chunk, then close the pipe (like `| head -1`).
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    let n = stdout.read(&mut first).unwrap();
    assert!(n > 0);
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.success(), "{:?} {err}", out.status);
}

#[test]
fn events_count_0_is_refused() {
    let conf = tempfile::tempdir().unwrap();
    let (code, out, err) = metarr(&["events", "--count", "0"], conf.path());
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("--count"), "{err}");
}

#[test]
fn subcommand_help_lists_its_own_options_before_the_global_ones() {
    let conf = tempfile::tempdir().unwrap();
    let (code, out, _) = metarr(&["refresh", "--help"], conf.path());
    assert_eq!(code, Some(0));
    let own = out.find("Options:").expect("own options");
    let global = out.find("Global options:").expect("global options heading");
    let force = out.find("--force").unwrap();
    let config = out.find("--config").unwrap();
    assert!(own < force && force < global && global < config, "{out}");
}

//! `metarr-plex run` exit codes through the real binary, as the README
//! promises them: 2 only for what the operator wrote wrong (a rule with
//! errors), 1 for what went wrong around it (another daemon holds the state
//! dir, the journal is not a database).

use std::path::Path;
use std::process::{Command, Output};

use metarr_plex::daemon::StateLock;

const TOKEN: &str = "exit-T0KEN-9c1f";

/// Runs `run` with a config pointing at a closed port (none of these cases
/// gets as far as Plex) and `rules` as the rules directory.
fn run(dir: &Path, rules: &Path) -> Output {
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!("[server]\nurl = \"http://127.0.0.1:9\"\ntoken = \"{TOKEN}\"\n"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_metarr-plex"))
        .arg("--config")
        .arg(&config)
        .arg("--state-dir")
        .arg(dir.join("state"))
        .arg("--log-format")
        .arg("text")
        .arg("run")
        .arg("--rules")
        .arg(rules)
        .env_remove("NOTIFY_SOCKET")
        .env_remove("PLEX_TOKEN")
        .env_remove("CREDENTIALS_DIRECTORY")
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains(TOKEN), "the token was printed: {all}");
    out
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A rules directory with one good rule.
fn good_rules() -> tempfile::TempDir {
    let rules = tempfile::tempdir().unwrap();
    std::fs::write(
        rules.path().join("log.toml"),
        "description = \"Log stops\"\n\n[[triggers]]\nevent = \"playback.stopped\"\n\n[[actions]]\naction = \"log\"\nmessage = \"stopped\"\n",
    )
    .unwrap();
    rules
}

#[test]
fn a_rule_with_errors_is_a_usage_error_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let rules = tempfile::tempdir().unwrap();
    std::fs::write(
        rules.path().join("broken.toml"),
        "description = \"Broken\"\n\n[[triggers]]\nevent = \"no.such.event\"\n",
    )
    .unwrap();
    let out = run(dir.path(), rules.path());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("error: the rules cannot be loaded"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_state_dir_held_by_another_daemon_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let _held = StateLock::acquire(&state).unwrap();
    let rules = good_rules();
    let out = run(dir.path(), rules.path());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("another metarr-plex daemon uses the state dir"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_journal_that_is_not_a_database_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::write(
        state.join(metarr_plex::journal::FILE_NAME),
        "this is not an SQLite file, and it is long enough to have a header",
    )
    .unwrap();
    let rules = good_rules();
    let out = run(dir.path(), rules.path());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("error: cannot open the journal"),
        "{}",
        stderr(&out)
    );
}

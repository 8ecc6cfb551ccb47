//! `metarr-plex demo` from the real binary, with no config: it tells the
//! story and ends by itself with a summary saying every step happened.

use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn demo_plays_the_story_and_ends_with_its_summary() {
    let empty = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_metarr-plex"))
        .arg("demo")
        .current_dir(empty.path())
        .env_remove("RUST_LOG")
        .env_remove("PLEX_TOKEN")
        .env("CONFIGURATION_DIRECTORY", empty.path())
        .output()
        .unwrap();
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(took < Duration::from_secs(45), "took {took:?}");
    for line in [
        "movie re-matched: yes",
        "poster uploaded:  yes",
        "credits detected: yes",
        "episode analyzed: yes",
    ] {
        assert!(stdout.contains(line), "missing `{line}` in:\n{stdout}");
    }
    let count = |label: &str| -> u64 {
        stdout
            .lines()
            .find_map(|l| l.trim().strip_prefix(label))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    assert!(count("events seen:") >= 5, "{stdout}");
    assert!(count("rules fired:") >= 3, "{stdout}");
    assert!(
        count("actions done:") >= 4,
        "match, poster, two analyses: {stdout}"
    );
    assert!(count("requests to Plex:") >= 4, "{stdout}");
    // Each event, decision and action was shown as it happened.
    for needle in [
        "Event received.",
        "Rule fired.",
        "Action done.",
        "rematch-from-folder-tag",
        "analyze-after-playback",
        "detect-on-arrival",
    ] {
        assert!(
            stderr.contains(needle),
            "missing `{needle}` in the log:\n{stderr}"
        );
    }
    // The log stays readable between the narration: no module paths, no
    // dates, no event ids, lines that fit a terminal.
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        !stderr.contains("metarr_plex::") && !stderr.contains("event_id="),
        "{stderr}"
    );
    assert!(!stderr.contains("Z  INFO"), "dated lines: {stderr}");
    let width = |l: &&&str| l.chars().count();
    let long = lines.iter().filter(|l| width(l) > 160).count();
    assert!(
        long * 4 <= lines.len() && lines.iter().all(|l| width(&l) <= 220),
        "{long} of {} log lines are over 160 characters:\n{stderr}",
        lines.len()
    );
}

//! `metarr-plex test`: every rule's embedded `[[tests]]`, run through the
//! real executors with canned answers and no network.

use std::path::Path;
use std::process::Command;

use metarr_plex::rules;
use metarr_plex::tools::runner::{self, TestOutcome};

const ANALYZE: &str = r#"
[[triggers]]
event = "playback.stopped"
item_type = ["movie", "episode"]

[[actions]]
action = "analyze"
"#;

async fn run_dir(dir: &Path) -> Vec<TestOutcome> {
    let loaded = rules::load_dir(dir).unwrap();
    assert!(
        !loaded.has_errors(),
        "{}",
        rules::render_human(&loaded, false)
    );
    runner::run_tests(&loaded).await
}

fn rule_file(dir: &Path, name: &str, tests: &str) {
    std::fs::write(dir.join(name), format!("{ANALYZE}\n{tests}")).unwrap();
}

#[tokio::test]
async fn the_shipped_rules_pass_their_own_tests() {
    let outcomes = run_dir(Path::new("rules")).await;
    for o in &outcomes {
        assert!(o.passed, "{o:#?}");
    }
    assert!(outcomes.len() >= 12, "{}", outcomes.len());
    // Every shipped rule carries tests, and at least one that fires.
    for rule in [
        "analyze-after-playback",
        "collection-by-label",
        "collection-by-path",
        "rematch-from-folder-tag",
        "rescan-missing-folders",
        "upload-local-artwork",
    ] {
        assert!(
            outcomes
                .iter()
                .any(|o| o.rule == rule && !o.actual.is_empty()),
            "{rule} has no test that sends something"
        );
    }
}

#[tokio::test]
async fn a_wrong_expectation_fails_with_what_was_sent() {
    let dir = tempfile::tempdir().unwrap();
    rule_file(
        dir.path(),
        "analyze.toml",
        r#"
[[tests]]
name = "expects a refresh"
event = { name = "playback.stopped", item = { id = "108", type = "movie" } }
expect = ["PUT /library/metadata/108/refresh"]

[[tests]]
name = "expects nothing, but it fires"
event = { name = "playback.stopped", item = { id = "109", type = "episode" } }
expect = []
"#,
    );
    let outcomes = run_dir(dir.path()).await;
    assert_eq!(outcomes.len(), 2);
    assert!(!outcomes[0].passed);
    assert_eq!(outcomes[0].expected, ["PUT /library/metadata/108/refresh"]);
    assert_eq!(outcomes[0].actual, ["PUT /library/metadata/108/analyze"]);
    assert_eq!(outcomes[0].line, 10);
    assert!(!outcomes[1].passed);
    assert_eq!(outcomes[1].actual, ["PUT /library/metadata/109/analyze"]);
}

#[tokio::test]
async fn encoded_and_plain_queries_are_the_same_request() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tag.toml"),
        r#"
[[triggers]]
event = "item.ready"

[[actions]]
action = "tags"
add = { genre = ["Science Fiction"] }

[[tests]]
event = { name = "item.ready", section = { id = "1" }, item = { id = "42", type = "movie" } }
item = { id = "42", type = "movie" }
expect = ["PUT /library/sections/1/all?type=1&id=42&genre[0].tag.tag=Science Fiction&genre.locked=1"]
"#,
    )
    .unwrap();
    let outcomes = run_dir(dir.path()).await;
    assert!(outcomes[0].passed, "{:#?}", outcomes[0]);
    assert_eq!(
        outcomes[0].actual,
        [
            "PUT /library/sections/1/all?type=1&id=42&genre%5B0%5D.tag.tag=Science+Fiction&genre.locked=1"
        ]
    );
}

#[tokio::test]
async fn a_read_without_a_canned_answer_is_a_404_not_a_network_call() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rematch.toml"),
        r#"
[[triggers]]
event = "item.ready"

[[actions]]
action = "match"
tmdb = "603"

[[tests]]
event = { name = "item.ready", section = { id = "1" }, item = { id = "7", type = "movie" } }
expect = ["PUT /library/metadata/7/match?guid=plex%3A%2F%2Fmovie%2Fx&name=The+Matrix"]
"#,
    )
    .unwrap();
    let started = std::time::Instant::now();
    let outcomes = run_dir(dir.path()).await;
    assert!(!outcomes[0].passed);
    assert!(outcomes[0].actual.is_empty());
    // The executor reads the item first; nothing canned it, so Plex "has no such item".
    assert_eq!(
        outcomes[0].reads,
        ["GET /library/metadata/7?includeGuids=1"]
    );
    assert!(
        outcomes[0].notes == ["match: skipped: item 7 is gone"],
        "{:#?}",
        outcomes[0].notes
    );
    // No DNS lookup, no connect timeout: nothing left the process.
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
}

#[tokio::test]
async fn test_files_stay_inside_the_test_world() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("poster.toml"),
        r#"
[[triggers]]
event = "item.ready"

[[actions]]
action = "upload_poster"
file = "{{ item.folder }}/poster.jpg"

[[tests]]
event = { name = "item.ready", section = { id = "1" }, item = { id = "7", type = "movie" } }
item = { id = "7", type = "movie", folder = "/m/A" }
files = ["/m/A/../../../etc/poster.jpg"]
expect = []
"#,
    )
    .unwrap();
    let outcomes = run_dir(dir.path()).await;
    assert!(!outcomes[0].passed);
    assert!(
        outcomes[0].notes[0].contains("without `..`"),
        "{:?}",
        outcomes[0].notes
    );
}

fn metarr(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_metarr-plex"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_command_exits_0_on_pass_1_on_failure_2_on_io() {
    let (code, out, _) = metarr(&["test", "rules"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("PASS analyze-after-playback: a stopped movie is analyzed"),
        "{out}"
    );
    assert!(out.trim_end().ends_with("passed, 0 failed"), "{out}");

    let dir = tempfile::tempdir().unwrap();
    rule_file(
        dir.path(),
        "analyze.toml",
        r#"
[[tests]]
name = "expects a refresh"
event = { name = "playback.stopped", item = { id = "108", type = "movie" } }
expect = ["PUT /library/metadata/108/refresh"]
"#,
    );
    let path = dir.path().to_str().unwrap();
    let (code, out, _) = metarr(&["test", path]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("FAIL analyze: expects a refresh"), "{out}");
    assert!(out.contains("- PUT /library/metadata/108/refresh"), "{out}");
    assert!(out.contains("+ PUT /library/metadata/108/analyze"), "{out}");

    let (code, json, _) = metarr(&["test", "--json", path]);
    assert_eq!(code, Some(1));
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["failed"], 1);
    assert_eq!(
        report["tests"][0]["actual"][0],
        "PUT /library/metadata/108/analyze"
    );

    // A broken rule file is a failure too, with its diagnostics on stderr.
    std::fs::write(
        dir.path().join("broken.toml"),
        "[[triggers]]\nevent = \"item.readdy\"\n",
    )
    .unwrap();
    let (code, _, err) = metarr(&["test", path]);
    assert_eq!(code, Some(1));
    assert!(err.contains("unknown event `item.readdy`"), "{err}");

    let (code, _, err) = metarr(&["test", "/nonexistent/rules"]);
    assert_eq!(code, Some(2), "{err}");
}

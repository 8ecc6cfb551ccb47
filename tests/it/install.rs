//! Installing as the README says: the shipped rules are complete without
//! anything but their `*.toml` files, a rule whose test data is missing still
//! passes `check` (what systemd runs before starting the daemon), and the
//! README's install block itself runs in a fake root (`ci/check-install.sh`).

use std::path::Path;
use std::process::Command;

fn metarr(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_metarr-plex"))
        .args(args)
        .env_remove("CONFIGURATION_DIRECTORY")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `rules/*.toml`, and nothing else, copied into a fresh directory.
fn copy_shipped_rules(to: &Path) {
    for entry in std::fs::read_dir("rules").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
}

#[test]
fn the_shipped_rule_files_alone_pass_check_and_test() {
    let dir = tempfile::tempdir().unwrap();
    copy_shipped_rules(dir.path());
    let d = dir.path().to_str().unwrap();
    let (code, out, err) = metarr(&["check", d]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("0 errors, 0 warnings"), "{out}{err}");
    let (code, out, err) = metarr(&["test", d]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("0 failed"), "{out}");
}

#[test]
fn a_missing_response_file_is_a_warning_for_check_and_a_failure_for_test() {
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
name = "needs its canned search"
event = { name = "item.ready", item = { id = "7", type = "movie" } }
responses = { "GET /library/metadata/7/matches" = "fixtures/matches.json" }
expect = ["PUT /library/metadata/7/match?guid=plex%3A%2F%2Fmovie%2Fx&name=The+Matrix&year=1999"]
"#,
    )
    .unwrap();
    let d = dir.path().to_str().unwrap();
    let (code, out, err) = metarr(&["check", d]);
    assert_eq!(code, Some(0), "check must pass: {out}{err}");
    assert!(
        out.contains("response file `fixtures/matches.json` does not exist")
            && out.contains("1 warning"),
        "{out}{err}"
    );
    let (code, out, err) = metarr(&["test", d]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        out.contains("FAIL")
            && out.contains("cannot read response file")
            && out.contains("matches.json"),
        "{out}{err}"
    );
}

#[test]
fn an_inline_response_answers_the_read() {
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
event = { name = "item.ready", item = { id = "7", type = "movie" } }
item = { id = "7", type = "movie", title = "The Matrix", guid = "local://7" }
expect = ["PUT /library/metadata/7/match?guid=plex%3A%2F%2Fmovie%2F5d776825880197001ec967c6&name=The+Matrix&year=1999"]

[tests.responses."GET /library/metadata/7/matches".MediaContainer]
size = 1
SearchResult = [{ guid = "plex://movie/5d776825880197001ec967c6", name = "The Matrix", year = 1999, score = 100 }]
"#,
    )
    .unwrap();
    let (code, out, err) = metarr(&["test", dir.path().to_str().unwrap()]);
    assert_eq!(code, Some(0), "{out}{err}");
}

/// The README's install block, run as written in a fake root, then the
/// installed unit's `ExecStartPre=`/`ExecReload=` on what it installed.
#[test]
fn the_readme_install_block_gives_a_service_that_starts() {
    let out = Command::new("bash")
        .arg("ci/check-install.sh")
        .arg(env!("CARGO_BIN_EXE_metarr-plex"))
        .env_remove("CONFIGURATION_DIRECTORY")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("ExecStartPre=/usr/bin/metarr-plex check"),
        "{text}"
    );
    assert!(text.contains("OK: the README's install block"), "{text}");
}

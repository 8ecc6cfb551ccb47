//! The binary's handling of config files: positions, hints, exit codes.

use std::process::Command;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_metarr-plex"));
    c.env_remove("PLEX_TOKEN")
        .env_remove("CREDENTIALS_DIRECTORY")
        .env_remove("CONFIGURATION_DIRECTORY")
        .env_remove("STATE_DIRECTORY")
        .env("RUST_LOG", "warn");
    c
}

#[test]
fn bad_config_exits_2_with_file_line_col_and_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        "[server]\nurl = \"http://127.0.0.1:32400\"\ntimout = \"30s\"\n",
    )
    .unwrap();
    let out = bin()
        .arg("--config")
        .arg(&path)
        .arg("sections")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("config.toml:3:1"), "{err}");
    assert!(err.contains("timout = \"30s\""), "{err}");
    assert!(err.contains("did you mean `timeout`?"), "{err}");
}

#[test]
fn missing_explicit_config_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .arg("--config")
        .arg(dir.path().join("absent.toml"))
        .arg("sections")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: config file"), "{err}");
    assert!(err.contains("absent.toml"), "{err}");
}

#[test]
fn several_semantic_errors_are_reported_together() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(
        &path,
        "[server]\nurl = \"https://plex.example.com\"\ninsecure_skip_verify = true\ntimeout = \"soon\"\n[[path_map]]\nfrom = \"relative\"\nto = \"/m\"\n",
    )
    .unwrap();
    let out = bin()
        .arg("--config")
        .arg(&path)
        .arg("sections")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("c.toml:3:24"), "{err}");
    assert!(err.contains("c.toml:4:11"), "{err}");
    assert!(err.contains("c.toml:6:8"), "{err}");
}

#[test]
fn inline_token_is_warned_about_without_printing_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(
        &path,
        "[server]\ntoken = \"inline-SECRET-42\"\n[[path_map]]\nfrom = \"/data\"\nto = \"/plex\"\n",
    )
    .unwrap();
    let out = bin()
        .arg("--config")
        .arg(&path)
        .args(["map-path", "/data/x y/é.mkv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "/plex/x y/é.mkv\n");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("token is written in the config"), "{err}");
    assert!(!err.contains("inline-SECRET-42"), "{err}");
}

#[test]
fn bad_server_flag_is_a_usage_error() {
    let out = bin()
        .args(["--server", "ftp://x", "sections"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = bin().args(["match", "1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "clap usage errors exit 2");
}

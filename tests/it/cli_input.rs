//! What a new user types wrong, through the real binary against the
//! simulator: bad ids, fields, tags, URLs, tokens and files are refused with
//! one clear line (or one JSON object with `--json`), exit 2, and nothing is
//! written to Plex; the token and URL credentials never show.

use std::path::{Path, PathBuf};
use std::process::Output;

use metarr_plex::sim::{SimOptions, Simulator};
use serde_json::Value;
use tokio::process::Command;

const TOKEN: &str = "tOk-NEWUSER-77c1d2e3";
const MATRIX: &str = "/data/media/movies/The Matrix (1999)/The Matrix (1999).mkv";

struct Env {
    sim: Simulator,
    dir: tempfile::TempDir,
    config: PathBuf,
}

impl Env {
    async fn new() -> Env {
        let sim = Simulator::start(SimOptions {
            token: TOKEN.into(),
            ..SimOptions::default()
        })
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let token_file = dir.path().join("plex-token");
        std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
        let config = write_config(
            dir.path(),
            "config.toml",
            &format!("token_file = \"{}\"\n", token_file.display()),
            &sim,
        );
        Env { sim, dir, config }
    }

    fn id_of(&self, file: &str) -> String {
        self.sim
            .with_library(|l| l.find_by_file(file).unwrap().rating_key.clone())
    }

    fn writes(&self) -> Vec<String> {
        self.sim
            .requests()
            .into_iter()
            .filter(|r| r.method != "GET" || r.path.ends_with("/refresh"))
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }

    async fn run(&self, config: &Path, args: &[&str]) -> (Option<i32>, String, String) {
        let out: Output = Command::new(env!("CARGO_BIN_EXE_metarr-plex"))
            .arg("--config")
            .arg(config)
            .arg("--state-dir")
            .arg(self.dir.path().join("state"))
            .args(args)
            .env_remove("PLEX_TOKEN")
            .env_remove("CREDENTIALS_DIRECTORY")
            .env_remove("CONFIGURATION_DIRECTORY")
            .env("RUST_LOG", "trace")
            .output()
            .await
            .unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        assert!(
            !stdout.contains(TOKEN) && !stderr.contains(TOKEN),
            "the token leaked: {args:?}"
        );
        (out.status.code(), stdout, stderr)
    }

    /// Runs with the default config; expects exit 2 and no write sent.
    /// Returns stderr's lines that are not log lines.
    async fn refused(&self, args: &[&str]) -> String {
        let before = self.writes();
        let (code, out, err) = self.run(&self.config, args).await;
        assert_eq!(code, Some(2), "{args:?}\n{out}\n{err}");
        assert_eq!(self.writes(), before, "{args:?} wrote to Plex");
        errors(&err)
    }
}

/// The `error: …` lines (and JSON error objects) of stderr, without the
/// trace log lines.
fn errors(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|l| l.starts_with("error") || l.starts_with("{\"error\""))
        .collect::<Vec<_>>()
        .join("\n")
}

fn write_config(dir: &Path, name: &str, server_extra: &str, sim: &Simulator) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "[server]\nurl = \"{}\"\ntimeout = \"5s\"\n{server_extra}\n[[path_map]]\nfrom = \"/mnt/plex\"\nto = \"/data/media\"\n",
            sim.url()
        ),
    )
    .unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_ids_are_usage_errors_before_any_request() {
    let env = Env::new().await;
    let requests = env.sim.requests().len();
    for args in [
        &["refresh", ""][..],
        &["item", "abc"],
        &["analyze", "99999999999999999999"],
        &["unmatch", "0"],
        &["edit", " ", "title=x"],
        &["match", "4 2", "--tmdb", "603"],
        &["tags", "1e3", "--add", "genre=A"],
        &["poster", "", "/tmp/x.jpg"],
    ] {
        let err = env.refused(args).await;
        assert!(err.contains("<ID>"), "{args:?}: {err}");
    }
    assert_eq!(env.sim.requests().len(), requests, "a request reached Plex");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_takes_only_the_fields_of_the_items_type_with_values_plex_accepts() {
    let env = Env::new().await;
    let matrix = env.id_of(MATRIX);
    let err = env.refused(&["edit", &matrix, "ratingKey=5"]).await;
    assert!(
        err.contains("`ratingKey` is not an editable field of a movie")
            && err.contains("nothing was changed")
            && err.contains("titleSort"),
        "{err}"
    );
    let err = env.refused(&["edit", &matrix, "titel=x"]).await;
    assert!(err.contains("did you mean `title`?"), "{err}");
    let err = env
        .refused(&["edit", &matrix, "year=soon", "summary=fine"])
        .await;
    assert!(err.contains("year must be four digits"), "{err}");
    let err = env
        .refused(&["edit", &matrix, "originallyAvailableAt=31/03/1999"])
        .await;
    assert!(err.contains("YYYY-MM-DD"), "{err}");
    // An episode has no tagline.
    let episode = env.sim.with_library(|l| {
        l.items()
            .find(|i| format!("{:?}", i.kind).to_lowercase() == "episode")
            .unwrap()
            .rating_key
            .clone()
    });
    let err = env.refused(&["edit", &episode, "tagline=x"]).await;
    assert!(
        err.contains("not an editable field of a episode")
            || err.contains("not an editable field of an episode"),
        "{err}"
    );
    // A good edit still goes through.
    let (code, out, err) = env
        .run(
            &env.config,
            &["edit", &matrix, "year=1999", "tagline=Free your mind"],
        )
        .await;
    assert_eq!(code, Some(0), "{out}{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_refuse_adding_nothing_and_say_when_a_removed_tag_was_absent() {
    let env = Env::new().await;
    let matrix = env.id_of(MATRIX);
    let err = env.refused(&["tags", &matrix, "--add", "genre="]).await;
    assert!(err.contains("`genre=` names no tags to add"), "{err}");
    env.refused(&["tags", &matrix, "--remove", "label="]).await;

    let before = env.writes();
    let (code, out, err) = env
        .run(&env.config, &["tags", &matrix, "--remove", "genre=Western"])
        .await;
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("has no genre [Western]: nothing to remove"),
        "{out}"
    );
    assert!(!out.contains("Removed"), "{out}");
    assert_eq!(env.writes(), before, "a removal of an absent tag was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_url_with_credentials_is_refused_without_showing_them() {
    let env = Env::new().await;
    let secret = "zz-URL-SECRET-1234";
    let base = env.sim.url();
    let port = base.port().unwrap();
    for server in [
        format!("http://127.0.0.1:{port}/?X-Plex-Token={secret}"),
        format!("http://admin:{secret}@127.0.0.1:{port}"),
    ] {
        // On the command line…
        let (code, out, err) = env
            .run(&env.config, &["--server", &server, "sections"])
            .await;
        assert_eq!(code, Some(2), "{out}{err}");
        assert!(errors(&err).contains("--server"), "{err}");
        assert!(!out.contains(secret) && !err.contains(secret), "{err}");
        // …and in the config file.
        let config = write_config(env.dir.path(), "secret.toml", "", &env.sim);
        let text = std::fs::read_to_string(&config)
            .unwrap()
            .replace(&format!("url = \"{base}\""), &format!("url = \"{server}\""));
        std::fs::write(&config, text).unwrap();
        let (code, out, err) = env.run(&config, &["sections"]).await;
        assert_eq!(code, Some(2), "{out}{err}");
        assert!(
            err.contains("line 2") && err.contains("secret.toml"),
            "{err}"
        );
        assert!(!out.contains(secret) && !err.contains(secret), "{err}");
    }
    assert!(env.sim.requests().is_empty(), "a request was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_and_file_problems_exit_2_naming_their_source() {
    let env = Env::new().await;
    let dir = env.dir.path();
    let empty = dir.join("empty-token");
    std::fs::write(&empty, "\n").unwrap();
    let spaced = dir.join("spaced-token");
    std::fs::write(&spaced, "abc def ghi\n").unwrap();
    let cases = [
        (
            format!("token_file = \"{}\"\n", dir.join("absent").display()),
            "absent",
        ),
        (
            format!("token_file = \"{}\"\n", empty.display()),
            "empty-token",
        ),
        (
            format!("token_file = \"{}\"\n", spaced.display()),
            "spaced-token",
        ),
        (String::new(), "no Plex token found"),
        (
            format!(
                "token_file = \"{}\"\nca_file = \"{}\"\n",
                dir.join("plex-token").display(),
                dir.join("no-ca.pem").display()
            ),
            "no-ca.pem",
        ),
    ];
    for (extra, names) in cases {
        let config = write_config(dir, "t.toml", &extra, &env.sim);
        let (code, out, err) = env.run(&config, &["sections"]).await;
        assert_eq!(code, Some(2), "{extra}\n{out}{err}");
        assert!(errors(&err).contains(names), "{extra}: {err}");
    }
    // A token that is empty or spaced says where it came from.
    let config = write_config(
        dir,
        "t.toml",
        &format!("token_file = \"{}\"\n", spaced.display()),
        &env.sim,
    );
    let (_, _, err) = env.run(&config, &["sections"]).await;
    assert!(
        errors(&err).contains("the token came from token file"),
        "{err}"
    );
    // An unmapped path and an empty poster path are input errors too.
    env.refused(&["map-path", "/srv/unmapped/x.mkv"]).await;
    env.refused(&["scan", "/srv/unmapped/x.mkv"]).await;
    let matrix = env.id_of(MATRIX);
    let err = env.refused(&["poster", &matrix, ""]).await;
    assert!(err.contains("source is empty"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_json_errors_are_json_and_every_key_is_snake_case() {
    let env = Env::new().await;
    for args in [
        &["--json", "item", "abc"][..],
        &["--json", "item", "4242424"],
    ] {
        let (code, _, err) = env.run(&env.config, args).await;
        let line = err
            .lines()
            .find(|l| l.starts_with("{\"error\""))
            .unwrap_or_else(|| panic!("{args:?}: no JSON error in {err}"));
        let v: Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["error"]["exit_code"].as_i64(), code.map(i64::from), "{v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{v}"
        );
    }
    let bad = env.dir.path().join("bad.toml");
    std::fs::write(&bad, "[server]\ntimout = \"1s\"\n").unwrap();
    let (code, _, err) = env.run(&bad, &["--json", "sections"]).await;
    assert_eq!(code, Some(2));
    let v: Value =
        serde_json::from_str(err.lines().find(|l| l.starts_with("{\"error\"")).unwrap()).unwrap();
    assert_eq!(v["error"]["kind"], "config", "{v}");
    assert_eq!(v["error"]["diagnostics"][0]["line"], 2, "{v}");

    let matrix = env.id_of(MATRIX);
    let (_, scan, _) = env
        .run(
            &env.config,
            &[
                "--json",
                "scan",
                "/mnt/plex/movies/The Matrix (1999)",
                "--full",
            ],
        )
        .await;
    assert!(!scan.is_empty());
    for args in [
        &["--json", "sections"][..],
        &["--json", "item", &matrix],
        &["--json", "activities"],
        &["--json", "sessions"],
        &["--json", "agents"],
    ] {
        let (code, out, err) = env.run(&env.config, args).await;
        assert_eq!(code, Some(0), "{args:?}{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        let mut bad = Vec::new();
        camel_keys(&v, &mut bad);
        assert!(bad.is_empty(), "{args:?}: keys not in snake_case: {bad:?}");
    }
}

fn camel_keys(v: &Value, bad: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                if k.chars().any(|c| c.is_uppercase()) {
                    bad.push(k.clone());
                }
                camel_keys(child, bad);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| camel_keys(i, bad)),
        _ => {}
    }
}

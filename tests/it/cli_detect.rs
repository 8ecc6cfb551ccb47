//! `detect`, `analyze --section` and `collection`, run as the real binary
//! against the simulator: the requests the official spec describes, each
//! activity followed to its end with progress on (piped) stderr, smart
//! collections listing what their filter selects, and the token nowhere.

use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use metarr_plex::sim::{RecordedRequest, SimOptions, Simulator};
use serde_json::Value;
use tokio::process::Command;

const TOKEN: &str = "dEt-41c0ffee77-SECRET";
const HEAT: &str = "/data/media/movies/Heat (1995) {imdb-tt0113277}/Heat.1995.mkv";
const MATRIX: &str = "/data/media/movies/The Matrix (1999)/The Matrix (1999).mkv";
const EPISODE: &str = "/data/media/tv/Severance {tvdb-371980}/Season 01/Severance - S01E01.mkv";

struct Env {
    sim: Simulator,
    dir: tempfile::TempDir,
    config: PathBuf,
}

impl Env {
    async fn new(old_server: bool) -> Env {
        let sim = Simulator::start(SimOptions {
            token: TOKEN.into(),
            activity_duration: Duration::from_millis(1200),
            old_server,
            ..SimOptions::default()
        })
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let token_file = dir.path().join("plex-token");
        std::fs::write(&token_file, TOKEN).unwrap();
        let config = dir.path().join("config.toml");
        std::fs::write(
            &config,
            format!(
                "[server]\nurl = \"{}\"\ntoken_file = \"{}\"\n",
                sim.url(),
                token_file.display()
            ),
        )
        .unwrap();
        Env { sim, dir, config }
    }

    fn id_of(&self, file: &str) -> String {
        self.sim
            .with_library(|l| l.find_by_file(file).unwrap().rating_key.clone())
    }

    async fn run(&self, args: &[&str]) -> Output {
        let out = Command::new(env!("CARGO_BIN_EXE_metarr-plex"))
            .arg("--config")
            .arg(&self.config)
            .arg("--state-dir")
            .arg(self.dir.path().join("state"))
            .args(args)
            .env_remove("PLEX_TOKEN")
            .env_remove("CREDENTIALS_DIRECTORY")
            .env("RUST_LOG", "debug")
            .output()
            .await
            .unwrap();
        let (o, e) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert!(
            !o.contains("SECRET") && !e.contains("SECRET"),
            "token leaked by {args:?}"
        );
        out
    }

    /// Runs with `--json`, expects exit 0; returns the document and stderr.
    async fn json(&self, args: &[&str]) -> (Value, String) {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.run(&all).await;
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        assert_eq!(out.status.code(), Some(0), "{args:?}\n{stdout}\n{stderr}");
        let doc =
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?}: {e}\n{stdout}"));
        (doc, stderr)
    }

    /// The requests sent since the last call, without the polling and
    /// identity reads.
    fn take(&self) -> Vec<RecordedRequest> {
        let all = self.sim.requests();
        self.sim.clear_requests();
        all
    }
}

fn line(r: &RecordedRequest) -> String {
    let q: Vec<String> = r.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if q.is_empty() {
        format!("{} {}", r.method, r.path)
    } else {
        format!("{} {}?{}", r.method, r.path, q.join("&"))
    }
}

fn writes(reqs: &[RecordedRequest]) -> Vec<String> {
    reqs.iter()
        .filter(|r| r.method != "GET")
        .map(line)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detect_and_section_analysis_send_the_spec_requests_and_follow_to_the_end() {
    let env = Env::new(false).await;
    let ep = env.id_of(EPISODE);
    for (kind, segment) in [
        ("intro", "intro"),
        ("credits", "credits"),
        ("chapters", "chapterThumbs"),
        ("voice", "voiceActivity"),
        ("ads", "addetect"),
    ] {
        let (doc, stderr) = env.json(&["detect", &ep, "--kind", kind, "--wait"]).await;
        let reqs = env.take();
        assert_eq!(
            writes(&reqs),
            [format!("PUT /library/metadata/{ep}/{segment}")]
        );
        assert_eq!(doc["result"], "finished", "{kind}: {doc}");
        // The activity Plex named is the one followed: /activities was
        // polled after the PUT, and it ran long enough to be seen.
        let uuid = doc["activity"].as_str().unwrap();
        assert!(!uuid.is_empty());
        let put = reqs.iter().position(|r| r.method == "PUT").unwrap();
        assert!(reqs[put..].iter().any(|r| r.path == "/activities"));
        // --json keeps stderr free of progress.
        assert!(!stderr.contains("started (activity"), "{stderr}");
    }
    let (doc, _) = env
        .json(&["detect", &ep, "--kind", "intro", "--wait"])
        .await;
    assert_eq!(doc["found"][0], "intro 0:30–1:30", "{doc}");
    let (doc, _) = env
        .json(&["detect", &ep, "--kind", "chapters", "--wait"])
        .await;
    assert_eq!(doc["found"][0], "4 chapters, 4 with thumbnails", "{doc}");

    // --force is sent where the spec takes it; without --wait nothing is polled.
    env.take();
    let (doc, _) = env
        .json(&["detect", &ep, "--kind", "credits", "--force"])
        .await;
    assert_eq!(doc["result"], "started");
    let reqs = env.take();
    assert_eq!(
        writes(&reqs),
        [format!("PUT /library/metadata/{ep}/credits?force=1")]
    );
    assert!(!reqs.iter().any(|r| r.path == "/activities"));

    // Piped, progress is plain lines: started with the uuid, then finished.
    let heat = env.id_of(HEAT);
    let out = env
        .run(&["detect", &heat, "--kind", "credits", "--wait"])
        .await;
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let label = format!("credits detection of item {heat}");
    let progress: Vec<&str> = stderr.lines().filter(|l| l.starts_with(&label)).collect();
    assert!(
        progress.first().unwrap().contains(": started (activity "),
        "{stderr}"
    );
    assert!(progress.iter().any(|l| l.contains('%')), "{stderr}");
    assert!(progress.last().unwrap().ends_with(": finished"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Credits detection of item"), "{stdout}");
    assert!(
        stdout.contains("Found: credits 1:50:00–1:55:00."),
        "{stdout}"
    );

    env.take();
    let (doc, _) = env.json(&["analyze", "--section", "1", "--wait"]).await;
    assert_eq!(doc["result"], "finished", "{doc}");
    assert_eq!(writes(&env.take()), ["PUT /library/sections/1/analyze"]);
    let analyzed = env
        .sim
        .with_library(|l| l.item(&heat).unwrap().analyze_count);
    assert_eq!(analyzed, 1, "the analysis ran to its end");

    // Unknown item: a clear error, exit 1.
    let out = env.run(&["detect", "424242", "--kind", "credits"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("item 424242 not found"));
    // A kind that does not exist is a usage error naming the choices.
    let out = env.run(&["detect", &ep, "--kind", "chapterThumbs"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("intro, credits, chapters, voice, ads"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_full_wait_shows_progress_lines_when_piped() {
    let env = Env::new(false).await;
    let out = env
        .run(&["scan", "--full", "--wait", "/data/media/movies"])
        .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("[Movies] (whole section): "))
        .collect();
    assert!(
        lines.first().unwrap().contains("started (activity "),
        "{stderr}"
    );
    assert!(lines.last().unwrap().ends_with(": finished"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_server_gets_one_clear_error_naming_the_feature_and_version() {
    let env = Env::new(true).await;
    let ep = env.id_of(EPISODE);
    let out = env.run(&["detect", &ep, "--kind", "intro", "--wait"]).await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(
        errors,
        [
            "error: intro detection is not supported by this Plex server (version 1.19.5.3112-b23ab3896); upgrade Plex Media Server to use it"
        ],
        "{stderr}"
    );
    let out = env.run(&["analyze", "--section", "1"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("section analysis is not supported"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_smart_collection_created_from_a_filter_lists_the_items_it_selects() {
    let env = Env::new(false).await;
    let (heat, matrix) = (env.id_of(HEAT), env.id_of(MATRIX));
    env.sim.with_library_mut(|l| {
        l.item_mut(&heat)
            .unwrap()
            .tags
            .insert("genre".into(), vec!["Crime".into(), "Drama".into()]);
    });
    let (doc, _) = env
        .json(&[
            "collection",
            "create",
            "--section",
            "1",
            "--title",
            "Crime since 1990",
            "--filter",
            "genre=Crime&year>>=1990",
        ])
        .await;
    assert_eq!(doc["smart"], true);
    let cid = doc["id"].as_str().unwrap().to_owned();
    let created = env.take().into_iter().find(|r| r.method == "POST").unwrap();
    let q = |k: &str| {
        created
            .query
            .iter()
            .find(|(x, _)| x == k)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(created.path, "/library/collections");
    assert_eq!(q("smart").as_deref(), Some("1"));
    assert_eq!(q("sectionId").as_deref(), Some("1"));
    assert_eq!(q("type").as_deref(), Some("1"));
    assert_eq!(
        q("uri").unwrap(),
        format!(
            "server://{}/com.plexapp.plugins.library/library/sections/1/all?type=1&genre=Crime&year>>=1990",
            env.sim.machine_identifier()
        )
    );
    let (items, _) = env.json(&["collection", "list", &cid]).await;
    let ids: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["ratingKey"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [heat.as_str()]);
    // The selection follows the library: tag another item and it is in.
    env.sim.with_library_mut(|l| {
        l.item_mut(&matrix)
            .unwrap()
            .tags
            .insert("genre".into(), vec!["Crime".into()]);
    });
    let (items, _) = env.json(&["collection", "list", &cid]).await;
    assert_eq!(items.as_array().unwrap().len(), 2);
    let (list, _) = env.json(&["collection", "list", "--section", "1"]).await;
    let listed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["ratingKey"] == cid.as_str())
        .unwrap();
    assert_eq!(listed["smart"], true);
    assert_eq!(listed["childCount"], 2);

    // A typo in the filter is a usage error, nothing sent.
    env.take();
    let out = env
        .run(&[
            "collection",
            "create",
            "--section",
            "1",
            "--title",
            "X",
            "--filter",
            "genre=Crime&year 1990",
        ])
        .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("part 2 of the filter"));
    assert!(writes(&env.take()).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regular_collections_are_filled_edited_and_deleted_as_the_spec_says() {
    let env = Env::new(false).await;
    let (heat, matrix) = (env.id_of(HEAT), env.id_of(MATRIX));
    let (doc, _) = env
        .json(&[
            "collection",
            "create",
            "--section",
            "1",
            "--title",
            "Heists",
            "--item",
            &heat,
        ])
        .await;
    let cid = doc["id"].as_str().unwrap().to_owned();
    env.take();
    env.json(&["collection", "add", &cid, &matrix]).await;
    env.json(&["collection", "remove", &cid, &heat]).await;
    env.json(&[
        "collection",
        "edit",
        &cid,
        "--title",
        "Capers",
        "--summary",
        "Big jobs.",
    ])
    .await;
    let (items, _) = env.json(&["collection", "list", &cid]).await;
    let ids: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["ratingKey"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [matrix.as_str()], "renaming keeps the members");
    env.json(&["collection", "delete", &cid]).await;
    let sent = writes(&env.take());
    let m = env.sim.machine_identifier().to_owned();
    assert_eq!(
        sent,
        [
            format!(
                "PUT /library/collections/{cid}/items?uri=server://{m}/com.plexapp.plugins.library/library/metadata/{matrix}"
            ),
            format!("PUT /library/collections/{cid}/items/{heat}"),
            format!(
                "PUT /library/sections/1/all?type=18&id={cid}&title.value=Capers&title.locked=1&summary.value=Big jobs.&summary.locked=1"
            ),
            format!("DELETE /library/sections/1/collection/{cid}"),
        ]
    );
    let gone = env.sim.with_library(|l| {
        l.item(&cid).is_none() && l.item(&matrix).unwrap().tags("collection").is_empty()
    });
    assert!(gone);
}

//! The HTTP intake end to end: a daemon with `[intake]` on loopback, the
//! simulator as Plex, requests sent as Radarr, Metarr and curl send them,
//! and assertions on what reached Plex and on the journaled request states.

use std::time::Duration;

use metarr_plex::config::Config;
use metarr_plex::plex::conn::identity::ClientIdentity;
use metarr_plex::sim::{CatalogueEntry, ItemKind, SimOptions};
use serde_json::{Value, json};

use crate::daemon_harness::{PLEX_MOVIES, POSTER, Rig};

/// A key no log line could contain by accident.
pub(crate) const KEY: &str = "intake-K3Y-77f1c0de";

/// Plex's TV section folder in the simulator's seeded library.
pub(crate) const PLEX_TV: &str = "/data/media/tv";

/// A daemon with the intake on, its key in a file, no rules.
pub(crate) struct IntakeRig {
    pub rig: Rig,
    pub base: String,
    pub http: reqwest::Client,
    _rules: tempfile::TempDir,
}

pub(crate) async fn intake_rig() -> IntakeRig {
    intake_rig_with_rules(&[]).await
}

/// The same, with these rule files (name, text).
pub(crate) async fn intake_rig_with_rules(files: &[(&str, &str)]) -> IntakeRig {
    intake_rig_on(None, files).await
}

/// The same on a simulator started with `sim` (default: the rig's).
/// Local `<media>/tv` is Plex's TV section folder, the rest of `<media>`
/// its movies folder.
pub(crate) async fn intake_rig_on(sim: Option<SimOptions>, files: &[(&str, &str)]) -> IntakeRig {
    let rules = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(rules.path().join(name), text).unwrap();
    }
    let mut rig = match sim {
        Some(opts) => Rig::with_sim(rules.path(), opts).await,
        None => Rig::new(rules.path()).await,
    };
    let key_file = rig.state.path().join("intake-key");
    std::fs::write(&key_file, format!("{KEY}\n")).unwrap();
    let text = format!(
        "[server]\nurl = \"{}\"\ntoken = \"{}\"\n\n[[path_map]]\nfrom = \"{}\"\nto = \"{PLEX_MOVIES}\"\n\n[[path_map]]\nfrom = \"{}/tv\"\nto = \"{PLEX_TV}\"\n\n[intake]\nlisten = \"127.0.0.1:0\"\nkey_file = \"{}\"\nmin_age = \"50ms\"\nstable_for = \"0s\"\n",
        rig.sim.url(),
        rig.sim.token(),
        rig.media.path().display(),
        rig.media.path().display(),
        key_file.display()
    );
    std::fs::write(rig.state.path().join("config.toml"), &text).unwrap();
    rig.config = Config::from_str_at(&rig.state.path().join("config.toml"), &text).unwrap();
    rig.client = rig
        .config
        .client(ClientIdentity::new("intake-test"))
        .unwrap();
    rig.start().await;
    let addr = rig.daemon.as_ref().unwrap().intake_addr().unwrap();
    IntakeRig {
        rig,
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
        _rules: rules,
    }
}

impl IntakeRig {
    /// A movie file on the local disk and on the simulator's disk (as Plex
    /// sees it); returns its local path.
    pub fn movie_file(&self, folder: &str, file: &str, on_plex_disk: bool) -> String {
        let dir = self.rig.media.path().join(folder);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(file), b"not really a movie").unwrap();
        if on_plex_disk {
            let plex = format!("{PLEX_MOVIES}/{folder}/{file}");
            self.rig.sim.with_library_mut(|l| l.add_file_on_disk(&plex));
        }
        dir.join(file).display().to_string()
    }

    /// Path lookups the daemon sent (`/library/sections/{id}/all?file=…`).
    pub fn path_lookups(&self) -> Vec<metarr_plex::sim::RecordedRequest> {
        self.rig
            .sim
            .requests()
            .into_iter()
            .filter(|r| {
                r.method == "GET" && r.path.ends_with("/all") && r.query_value("file").is_some()
            })
            .collect()
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header("X-Api-Key", KEY)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn request(&self, id: &str) -> Value {
        self.http
            .get(format!("{}/api/v1/requests/{id}", self.base))
            .basic_auth("metarr", Some(KEY))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Polls the request until its state is final.
    pub async fn finished(&self, id: &str, limit: Duration) -> Value {
        let start = std::time::Instant::now();
        loop {
            let r = self.request(id).await;
            if matches!(r["state"].as_str(), Some("done" | "partial" | "failed")) {
                return r;
            }
            assert!(start.elapsed() < limit, "request not finished: {r:#}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn radarr_download_ends_with_the_file_in_plex_and_the_request_done() {
    let mut t = intake_rig().await;
    let local = t.movie_file("Interstellar (2014)", "Interstellar.2014.mkv", true);
    let folder = std::path::Path::new(&local)
        .parent()
        .unwrap()
        .display()
        .to_string();
    let body = json!({
        "eventType": "Download",
        "instanceName": "Radarr",
        "movie": {"id": 1, "title": "Interstellar", "folderPath": folder, "tmdbId": 157336},
        "movieFile": {"id": 9, "relativePath": "Interstellar.2014.mkv", "path": local},
        "isUpgrade": false
    });
    let resp = t
        .http
        .post(format!("{}/api/v1/hooks/radarr", t.base))
        .basic_auth("radarr", Some(KEY))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let answer: Value = resp.json().await.unwrap();
    let id = answer["id"].as_str().expect("an id").to_owned();
    assert_eq!(answer["status_url"], format!("/api/v1/requests/{id}"));

    let r = t.finished(&id, Duration::from_secs(20)).await;
    assert_eq!(r["state"], "done", "{r:#}");
    assert_eq!(r["source"], "radarr");
    let item = t
        .rig
        .item_id("Interstellar.2014.mkv")
        .expect("Plex has the file");
    assert_eq!(r["items"][0]["rating_key"], item.as_str(), "{r:#}");
    assert_eq!(r["items"][0]["state"], "done");
    let scans = t.rig.sent("GET", "/library/sections/1/refresh");
    let folders: Vec<&str> = scans.iter().filter_map(|s| s.query_value("path")).collect();
    assert_eq!(
        folders,
        [format!("{PLEX_MOVIES}/Interstellar (2014)").as_str()]
    );
    // Confirmed from the stream: the created item was fetched, the file
    // never looked up by path.
    assert_eq!(t.path_lookups(), [], "no lookup by path");
    assert_eq!(
        t.rig
            .sent("GET", &format!("/library/metadata/{item}"))
            .len(),
        1
    );

    // A Test event is answered 200 and queues nothing.
    let (status, body) = t
        .post("/api/v1/hooks/radarr", json!({"eventType": "Test"}))
        .await;
    assert_eq!(status, 200);
    assert!(body["ignored"].as_str().unwrap().contains("test"), "{body}");
    t.rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_metarr_sync_of_20_movies_matches_edits_locks_and_uploads_every_one() {
    let mut t = intake_rig().await;
    let mut items = Vec::new();
    for n in 0..20 {
        let folder = format!("Film {n} (20{n:02})");
        let local = t.movie_file(&folder, &format!("Film.{n}.mkv"), true);
        let poster = t.rig.media.path().join(&folder).join("poster.jpg");
        std::fs::write(&poster, POSTER).unwrap();
        t.rig.sim.with_library_mut(|l| {
            l.catalogue_mut().add(CatalogueEntry {
                guid: format!("plex://movie/5d77{n:020}"),
                kind: ItemKind::Movie,
                title: format!("Film {n}"),
                year: Some(2000 + n),
                external: vec![format!("tmdb://{}", 90_000 + n)],
            })
        });
        items.push(json!({
            "path": local,
            "ids": {"tmdb": 90_000 + n},
            "metadata": {
                "title": format!("Film {n}: The Cut"),
                "summary": format!("Summary {n}."),
                "tagline": "Tagline.",
                "genres": ["Drama", "Mystery"],
            },
            "poster": poster.display().to_string(),
        }));
    }
    let (status, answer) = t.post("/api/v1/sync", json!({ "items": items })).await;
    assert_eq!(status, 202, "{answer}");
    let id = answer["id"].as_str().unwrap().to_owned();
    let r = t.finished(&id, Duration::from_secs(60)).await;
    assert_eq!(r["state"], "done", "{r:#}");

    for n in 0..20 {
        let rk = t.rig.item_id(&format!("Film.{n}.mkv")).expect("in Plex");
        let item = t.rig.sim.with_library(|l| l.item(&rk).cloned().unwrap());
        assert_eq!(item.guid, format!("plex://movie/5d77{n:020}"), "matched");
        assert_eq!(
            item.title,
            format!("Film {n}: The Cut"),
            "edited after the match"
        );
        assert_eq!(
            item.fields.get("summary").map(String::as_str),
            Some(format!("Summary {n}.").as_str())
        );
        assert!(
            item.locked_fields.contains("title") && item.locked_fields.contains("summary"),
            "{:?}",
            item.locked_fields
        );
        assert_eq!(
            item.tags.get("genre").cloned().unwrap_or_default(),
            ["Drama", "Mystery"]
        );
        assert_eq!(
            t.rig
                .sent("POST", &format!("/library/metadata/{rk}/posters"))
                .len(),
            1,
            "one poster upload for {rk}"
        );
    }
    // 20 files in 20 folders: 20 partial scans, none twice; every file
    // heard of on the stream, none looked up by path.
    assert_eq!(t.rig.sent("GET", "/library/sections/1/refresh").len(), 20);
    assert_eq!(t.path_lookups(), [], "no lookup by path");
    t.rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_plex_never_picks_up_ends_absent_with_a_reason() {
    let mut t = intake_rig().await;
    // On this machine's disk, never on Plex's: Plex's scans find nothing.
    let local = t.movie_file("Ghost (1990)", "Ghost.1990.mkv", false);
    // Metarr's callback endpoint: records what it is POSTed.
    let (tx, mut callbacks) = tokio::sync::mpsc::unbounded_channel::<Value>();
    let app = axum::Router::new().route(
        "/done",
        axum::routing::post(move |axum::Json(v): axum::Json<Value>| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(v);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let callback = format!("http://{}/done", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let (status, answer) = t
        .post(
            "/api/v1/sync",
            json!({"items": [{"path": local}, {"path": "/elsewhere/x.mkv"}], "callback": callback}),
        )
        .await;
    assert_eq!(status, 202);
    let r = t
        .finished(answer["id"].as_str().unwrap(), Duration::from_secs(30))
        .await;
    let posted = tokio::time::timeout(Duration::from_secs(10), callbacks.recv())
        .await
        .expect("the callback was POSTed")
        .unwrap();
    assert_eq!(posted["id"], answer["id"]);
    assert_eq!(posted["state"], "failed");
    assert_eq!(posted["items"][0]["state"], "absent");
    assert_eq!(r["state"], "failed", "{r:#}");
    assert_eq!(r["items"][0]["state"], "absent");
    let why = r["items"][0]["detail"].as_str().unwrap();
    assert!(why.contains("ignored the file name"), "{why}");
    assert_eq!(r["items"][1]["state"], "absent");
    let why = r["items"][1]["detail"].as_str().unwrap();
    assert!(why.contains("path_map"), "{why}");
    // The first scan and one retry, no more.
    let scans = t.rig.sent("GET", "/library/sections/1/refresh");
    assert_eq!(scans.len(), 2, "{scans:?}");
    t.rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_gets_401_and_no_key_reaches_a_log_line() {
    let mut t = intake_rig().await;
    let wrong = "wr0ng-KEY-3a9d";
    for req in [
        t.http
            .post(format!("{}/api/v1/sync", t.base))
            .json(&json!({"items": []})),
        t.http
            .post(format!("{}/api/v1/sync", t.base))
            .header("X-Api-Key", wrong)
            .json(&json!({})),
        t.http
            .post(format!("{}/triggers/manual?dir=/x&apikey={wrong}", t.base)),
        t.http
            .get(format!("{}/api/v1/requests", t.base))
            .basic_auth("u", Some(wrong)),
    ] {
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 401);
        let text = resp.text().await.unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        let v: Value = serde_json::from_str(&text).unwrap();
        assert!(v["error"].as_str().unwrap().contains("key"), "{v}");
    }
    // The right key in the URL (as Plex webhooks must send it) works.
    let folder = t.rig.media.path().join("Nope (2022)").display().to_string();
    let resp = t
        .http
        .post(format!(
            "{}/triggers/manual?dir={}&apikey={KEY}",
            t.base,
            urlencode(&folder)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    // Bad sync bodies name the field.
    let (status, body) = t
        .post("/api/v1/sync", json!({"items": [{"path": "/a.mkv"}, {"path": "/b.mkv"}, {"path": "/c.mkv"}, {"path": "/d.mkv", "ids": {"tmdb": true}}]}))
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        body["error"],
        "items[3].ids.tmdb: expected a string or number"
    );
    // Bodies beyond 1 MiB are refused.
    let big = "x".repeat(metarr_plex::source::intake::BODY_LIMIT + 1);
    let resp = t
        .http
        .post(format!("{}/api/v1/sync", t.base))
        .header("X-Api-Key", KEY)
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413);
    assert!(
        crate::log_capture::logged_anywhere("Intake request refused"),
        "the 401s were logged"
    );
    assert!(
        crate::log_capture::logged_anywhere("apikey=***"),
        "with the key redacted"
    );
    for secret in [KEY, wrong] {
        assert!(
            !crate::log_capture::logged_anywhere(secret),
            "{secret} reached a log line"
        );
    }
    t.rig.stop().await;
}

/// A rule per new event kind: what a user would write to add steps.
const WEBHOOK_RULE: &str = r#"
[[triggers]]
event = "webhook.media.pause"

[[actions]]
action = "log"
message = "paused {{ event.item.id }} in section {{ event.section.id }}"
"#;

const CONFIRMED_RULE: &str = r#"
[[triggers]]
event = "intake.confirmed"

[[actions]]
action = "log"
message = "landed {{ event.item.id }} for request {{ event.raw.request_id }}"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plex_webhooks_and_confirmed_intake_work_reach_the_rules() {
    let mut t = intake_rig_with_rules(&[
        ("paused.toml", WEBHOOK_RULE),
        ("landed.toml", CONFIRMED_RULE),
    ])
    .await;
    let payload = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/webhook/media_pause_movie__tacoded-plex-webhook-sample.json"
    ))
    .unwrap();
    let rating_key = serde_json::from_str::<Value>(&payload).unwrap()["Metadata"]["ratingKey"]
        .as_str()
        .unwrap()
        .to_owned();
    // As Plex sends it: multipart, `payload` JSON and a `thumb` JPEG, the key in the URL.
    let boundary = "----plexwebhookBOUNDARY7";
    let mut body = Vec::new();
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"payload\"\r\nContent-Type: application/json\r\n\r\n{payload}\r\n").as_bytes());
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"thumb\"; filename=\"thumb.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").as_bytes());
    body.extend_from_slice(POSTER);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let resp = t
        .http
        .post(format!("{}/api/v1/hooks/plex?apikey={KEY}", t.base))
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let answer: Value = resp.json().await.unwrap();
    assert_eq!(answer["event"], "webhook.media.pause", "{answer}");
    let wanted = format!("paused {rating_key} in section");
    crate::daemon_harness::wait_for(Duration::from_secs(10), || {
        crate::log_capture::logged_anywhere(&wanted)
    })
    .await;

    // autoscan's health check, then a manual trigger of a folder with a new file.
    let resp = t
        .http
        .head(format!("{}/triggers/manual", t.base))
        .header("X-Api-Key", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let local = t.movie_file("Solaris (1972)", "Solaris.1972.mkv", true);
    let resp = t
        .http
        .post(format!(
            "{}/triggers/manual?path={}",
            t.base,
            urlencode(&local)
        ))
        .header("X-Api-Key", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let id = resp.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = t.finished(&id, Duration::from_secs(20)).await;
    assert_eq!(r["state"], "done", "{r:#}");
    let item = t.rig.item_id("Solaris.1972.mkv").unwrap();
    let wanted = format!("landed {item} for request {id}");
    crate::daemon_harness::wait_for(Duration::from_secs(10), || {
        crate::log_capture::logged_anywhere(&wanted)
    })
    .await;
    t.rig.stop().await;
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

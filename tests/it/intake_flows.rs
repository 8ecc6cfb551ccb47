//! Intake flows end to end beyond a plain download: renames, deletes, a
//! notification stream that went quiet, and Plex's `library.new` webhook
//! arriving next to the stream's report of the same item.

use std::path::Path;
use std::time::Duration;

use metarr_plex::sim::{SimOptions, WsFault};
use serde_json::{Value, json};

use crate::daemon_harness::{PLEX_MOVIES, POSTER};
use crate::intake::{IntakeRig, KEY, PLEX_TV, intake_rig, intake_rig_on};

impl IntakeRig {
    /// A file on both disks, already scanned into Plex (without any
    /// notification, as if long ago); returns (local path, rating key).
    fn in_plex(&self, section: &str, local_rel: &str, plex_root: &str) -> (String, String) {
        let local = self.rig.media.path().join(local_rel);
        std::fs::create_dir_all(local.parent().unwrap()).unwrap();
        std::fs::write(&local, b"not really media").unwrap();
        let rel = local_rel.strip_prefix("tv/").unwrap_or(local_rel);
        let plex = format!("{plex_root}/{rel}");
        let folder = plex.rsplit_once('/').unwrap().0.to_owned();
        let key = self.rig.sim.with_library_mut(|l| {
            l.add_file_on_disk(&plex);
            l.scan(section, Some(&folder)).unwrap();
            l.find_by_file(&plex).unwrap().rating_key.clone()
        });
        (local.display().to_string(), key)
    }

    /// Moves a file on both disks.
    fn rename(&self, from: &str, to: &str, plex_root: &str, local_root: &Path) {
        let to_local = local_root.join(to);
        std::fs::create_dir_all(to_local.parent().unwrap()).unwrap();
        std::fs::rename(local_root.join(from), &to_local).unwrap();
        self.rig.sim.with_library_mut(|l| {
            l.remove_file_from_disk(&format!("{plex_root}/{from}"));
            l.add_file_on_disk(&format!("{plex_root}/{to}"));
        });
    }

    async fn hook(&self, arr: &str, body: Value) -> String {
        let (status, answer) = self.post(&format!("/api/v1/hooks/{arr}"), body).await;
        assert_eq!(status, 200, "{answer}");
        answer["id"].as_str().expect("queued").to_owned()
    }

    fn scanned(&self, section: &str) -> Vec<String> {
        self.rig
            .sent("GET", &format!("/library/sections/{section}/refresh"))
            .iter()
            .filter_map(|r| r.query_value("path").map(str::to_owned))
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sonarr_rename_scans_old_and_new_folders_and_ends_with_the_new_path() {
    let mut t = intake_rig().await;
    let old = "Westworld/Season 1/Westworld.S01E01.mkv";
    let new = "Westworld (2016)/Season 1/Westworld (2016) - S01E01.mkv";
    let (_, old_key) = t.in_plex("2", &format!("tv/{old}"), PLEX_TV);
    let tv = t.rig.media.path().join("tv");
    t.rename(old, new, PLEX_TV, &tv);
    // Sonarr's Rename body (its shape: series + renamedEpisodeFiles with
    // the previous path), the series folder renamed too.
    let id = t
        .hook(
            "sonarr",
            json!({
                "eventType": "Rename",
                "instanceName": "Sonarr",
                "series": {"id": 1, "title": "Westworld", "path": tv.join("Westworld (2016)"), "tvdbId": 296762},
                "renamedEpisodeFiles": [{
                    "id": 11,
                    "relativePath": "Season 1/Westworld (2016) - S01E01.mkv",
                    "path": tv.join(new),
                    "previousRelativePath": "Season 1/Westworld.S01E01.mkv",
                    "previousPath": tv.join(old),
                }]
            }),
        )
        .await;
    let r = t.finished(&id, Duration::from_secs(20)).await;
    assert_eq!(r["state"], "done", "{r:#}");
    let mut scanned = t.scanned("2");
    scanned.sort();
    assert_eq!(
        scanned,
        [
            format!("{PLEX_TV}/Westworld (2016)/Season 1"),
            format!("{PLEX_TV}/Westworld/Season 1"),
        ]
    );
    let new_key = t
        .rig
        .sim
        .with_library(|l| {
            l.find_by_file(&format!("{PLEX_TV}/{new}"))
                .map(|i| i.rating_key.clone())
        })
        .expect("Plex has the new path");
    assert!(
        t.rig
            .sim
            .with_library(|l| l.find_by_file(&format!("{PLEX_TV}/{old}")).is_none()),
        "Plex dropped the old path"
    );
    let items = r["items"].as_array().unwrap();
    let removed = items
        .iter()
        .find(|i| {
            i["path"]
                .as_str()
                .unwrap()
                .ends_with("Westworld.S01E01.mkv")
        })
        .unwrap();
    assert_eq!(removed["state"], "done");
    assert_eq!(
        removed["detail"],
        format!("Plex deleted its item {old_key}"),
        "the removal was confirmed by Plex's deletion"
    );
    let added = items
        .iter()
        .find(|i| i["path"].as_str().unwrap().ends_with("S01E01.mkv") && i != &removed)
        .unwrap();
    assert_eq!(added["state"], "done");
    assert_eq!(added["rating_key"], new_key.as_str(), "{r:#}");
    // The old file's item was looked up before its scan (a deletion names
    // only the item); the new file was heard of, not looked up.
    let lookups: Vec<String> = t
        .path_lookups()
        .iter()
        .filter_map(|r| r.query_value("file").map(str::to_owned))
        .collect();
    assert_eq!(lookups, ["Westworld.S01E01.mkv"]);
    t.rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_radarr_file_delete_scans_the_folder_and_is_done_when_plex_deletes_the_item() {
    let mut t = intake_rig().await;
    let rel = "Tenet (2020)/Tenet.2020.mkv";
    let (local, key) = t.in_plex("1", rel, PLEX_MOVIES);
    std::fs::remove_file(&local).unwrap();
    t.rig
        .sim
        .with_library_mut(|l| l.remove_file_from_disk(&format!("{PLEX_MOVIES}/{rel}")));
    let folder = Path::new(&local).parent().unwrap().display().to_string();
    let id = t
        .hook(
            "radarr",
            json!({
                "eventType": "MovieFileDelete",
                "instanceName": "Radarr",
                "movie": {"id": 3, "title": "Tenet", "folderPath": folder, "tmdbId": 577922},
                "movieFile": {"id": 8, "relativePath": "Tenet.2020.mkv", "path": local},
                "deleteReason": "manual"
            }),
        )
        .await;
    let r = t.finished(&id, Duration::from_secs(20)).await;
    assert_eq!(r["state"], "done", "{r:#}");
    assert_eq!(r["items"][0]["state"], "done");
    assert_eq!(
        r["items"][0]["detail"],
        format!("Plex deleted its item {key}")
    );
    assert_eq!(t.scanned("1"), [format!("{PLEX_MOVIES}/Tenet (2020)")]);
    assert!(t.rig.sim.with_library(|l| l.item(&key).is_none()));
    t.rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_stream_silent_a_download_is_confirmed_by_a_lookup_by_path() {
    let mut t = intake_rig().await;
    // The socket stays open and says nothing (the listener notices only at
    // its next ping, long after this test).
    t.rig.sim.inject_ws(WsFault::Stall);
    let local = t.movie_file("Alien (1979)", "Alien.1979.mkv", true);
    let id = t
        .hook(
            "radarr",
            json!({"eventType": "Download", "movieFile": {"path": local}}),
        )
        .await;
    let r = t.finished(&id, Duration::from_secs(20)).await;
    assert_eq!(r["state"], "done", "{r:#}");
    let item = t.rig.item_id("Alien.1979.mkv").unwrap();
    assert_eq!(r["items"][0]["rating_key"], item.as_str());
    let lookups = t.path_lookups();
    assert_eq!(lookups.len(), 1, "one lookup by path: {lookups:?}");
    assert_eq!(lookups[0].query_value("file"), Some("Alien.1979.mkv"));
    assert_eq!(
        t.scanned("1").len(),
        1,
        "found by the lookup: no second scan"
    );
    t.rig.stop().await;
}

/// A `library.new` webhook for the item a scan is creating, as Plex sends
/// it (multipart `payload` + `thumb`): the real sample's shape with this
/// item's ids.
fn library_new(rating_key: &str) -> Vec<u8> {
    let sample = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/webhook/media_pause_movie__tacoded-plex-webhook-sample.json"
    ))
    .unwrap();
    let mut payload: Value = serde_json::from_str(&sample).unwrap();
    payload["event"] = json!("library.new");
    payload["Metadata"]["ratingKey"] = json!(rating_key);
    payload["Metadata"]["key"] = json!(format!("/library/metadata/{rating_key}"));
    payload["Metadata"]["librarySectionID"] = json!(1);
    let boundary = "----plexwebhookBOUNDARY9";
    let mut body = Vec::new();
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"payload\"\r\nContent-Type: application/json\r\n\r\n{payload}\r\n").as_bytes());
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"thumb\"; filename=\"thumb.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").as_bytes());
    body.extend_from_slice(POSTER);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_library_new_webhook_and_the_streams_report_of_one_item_fetch_it_once() {
    // A slow scan: its `created` entry comes 1.5 s after the scan starts,
    // so the webhook (sent as soon as the item exists) arrives first.
    let sim = SimOptions {
        token: "intake-flows-T0KEN-41d7".into(),
        activity_duration: Duration::from_secs(3),
        ..SimOptions::default()
    };
    let mut t = intake_rig_on(Some(sim), &[]).await;
    let local = t.movie_file("Dune (2021)", "Dune.2021.mkv", true);
    let id = t
        .hook(
            "radarr",
            json!({"eventType": "Download", "movieFile": {"path": local}}),
        )
        .await;
    let mut item = None;
    crate::daemon_harness::wait_for(Duration::from_secs(10), || {
        item = t.rig.item_id("Dune.2021.mkv");
        item.is_some()
    })
    .await;
    let item = item.unwrap();
    let resp = t
        .http
        .post(format!("{}/api/v1/hooks/plex?apikey={KEY}", t.base))
        .header(
            "Content-Type",
            "multipart/form-data; boundary=----plexwebhookBOUNDARY9",
        )
        .body(library_new(&item))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let answer: Value = resp.json().await.unwrap();
    assert_eq!(answer["event"], "webhook.library.new");
    let r = t.finished(&id, Duration::from_secs(20)).await;
    assert_eq!(r["state"], "done", "{r:#}");
    assert_eq!(r["items"][0]["rating_key"], item.as_str());
    // The item was fetched once, the file never looked up by path.
    assert_eq!(
        t.rig
            .sent("GET", &format!("/library/metadata/{item}"))
            .len(),
        1
    );
    assert_eq!(t.path_lookups(), [], "no lookup by path");
    t.rig.stop().await;
}

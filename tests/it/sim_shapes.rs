//! The simulator's JSON against real captures in `tests/fixtures`: the keys
//! clients read are present and carry the same JSON types.

use metarr_plex::sim::{SimOptions, Simulator};
use reqwest::Client;
use serde_json::Value;
use std::time::Duration;

fn fixture(path: &str) -> Value {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every key in `keys` is in `ours`, with the type it has in `real` (when
/// `real` has it).
fn assert_shape(what: &str, real: &Value, ours: &Value, keys: &[&str]) {
    for k in keys {
        let o = ours
            .get(*k)
            .unwrap_or_else(|| panic!("{what}: simulator lacks {k} in {ours:#}"));
        if let Some(r) = real.get(*k) {
            assert_eq!(
                kind(o),
                kind(r),
                "{what}: {k} is {o} here but {r} in the capture"
            );
        }
    }
}

/// Every key of `real` is in `ours` with the same type.
fn assert_superset(what: &str, real: &Value, ours: &Value) {
    let keys: Vec<&str> = real
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_shape(what, real, ours, &keys);
}

async fn get(sim: &Simulator, path: &str, query: &[(&str, &str)]) -> Value {
    let mut u = sim.url();
    u.set_path(path);
    if !query.is_empty() {
        u.query_pairs_mut().extend_pairs(query);
    }
    let r = Client::new()
        .get(u)
        .header("X-Plex-Token", "sim-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.unwrap()
}

#[tokio::test]
async fn sections_match_the_captured_directory_shape() {
    let sim = Simulator::start(SimOptions::default()).await.unwrap();
    let real = fixture("rest/library_sections__watchstate-fixture.json");
    let ours = get(&sim, "/library/sections", &[]).await;
    assert_superset(
        "Directory",
        &real["MediaContainer"]["Directory"][0],
        &ours["MediaContainer"]["Directory"][0],
    );
    assert_superset(
        "Location",
        &real["MediaContainer"]["Directory"][0]["Location"][0],
        &ours["MediaContainer"]["Directory"][0]["Location"][0],
    );
    assert_shape(
        "container",
        &real["MediaContainer"],
        &ours["MediaContainer"],
        &["size", "allowSync", "title1"],
    );
}

#[tokio::test]
async fn movies_match_the_captured_metadata_shape() {
    let sim = Simulator::start(SimOptions::default()).await.unwrap();
    let real_list = fixture("rest/library_sections_1_all_movie__watchstate-fixture.json");
    let ours_list = get(
        &sim,
        "/library/sections/1/all",
        &[("type", "1"), ("includeGuids", "1"), ("title", "Matrix")],
    )
    .await;
    let (real, ours) = (
        &real_list["MediaContainer"]["Metadata"][0],
        &ours_list["MediaContainer"]["Metadata"][0],
    );
    let core = [
        "ratingKey",
        "key",
        "guid",
        "type",
        "title",
        "year",
        "summary",
        "thumb",
        "art",
        "addedAt",
        "updatedAt",
        "Media",
        "Genre",
        "Guid",
    ];
    assert_shape("Metadata", real, ours, &core);
    assert_superset("Guid", &real["Guid"][0], &ours["Guid"][0]);
    assert_superset("Genre", &real["Genre"][0], &ours["Genre"][0]);
    assert_shape(
        "Part",
        &real["Media"][0]["Part"][0],
        &ours["Media"][0]["Part"][0],
        &["id", "key", "file", "size", "container"],
    );
    assert_shape(
        "list container",
        &real_list["MediaContainer"],
        &ours_list["MediaContainer"],
        &[
            "size",
            "totalSize",
            "offset",
            "allowSync",
            "identifier",
            "librarySectionID",
            "librarySectionTitle",
            "librarySectionUUID",
            "mediaTagPrefix",
        ],
    );

    let real_one = fixture("rest/library_metadata_108__plex-api-rs.json");
    let id = ours["ratingKey"].as_str().unwrap();
    let ours_one = get(&sim, &format!("/library/metadata/{id}"), &[]).await;
    assert_shape(
        "single Metadata",
        &real_one["MediaContainer"]["Metadata"][0],
        &ours_one["MediaContainer"]["Metadata"][0],
        &[
            "ratingKey",
            "key",
            "guid",
            "type",
            "title",
            "librarySectionID",
            "librarySectionTitle",
            "librarySectionKey",
            "Media",
            "Genre",
        ],
    );
}

#[tokio::test]
async fn identity_activities_and_401_match_the_captures() {
    let sim = Simulator::start(SimOptions::default()).await.unwrap();
    let ours = get(&sim, "/identity", &[]).await;
    assert_superset(
        "identity",
        &fixture("rest/identity__plex-openapi-1.2.0-example.json")["MediaContainer"],
        &ours["MediaContainer"],
    );

    let id = sim.with_library(|l| l.items().next().unwrap().rating_key.clone());
    let mut u = sim.url();
    u.set_path(&format!("/library/metadata/{id}/refresh"));
    Client::new()
        .put(u)
        .header("X-Plex-Token", "sim-token")
        .send()
        .await
        .unwrap();
    let acts = get(&sim, "/activities", &[]).await;
    let real = fixture("rest/activities__plex-openapi-1.2.0-example.json");
    assert_superset(
        "Activity",
        &real["MediaContainer"]["Activity"][0],
        &acts["MediaContainer"]["Activity"][0],
    );

    let body = Client::new()
        .get(sim.url().join("library/sections").unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let real_401 = std::fs::read_to_string(format!(
        "{}/tests/fixtures/rest/error_401_library_sections__watchstate-fixture.html",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    assert_eq!(body, real_401.trim_end());
}

#[tokio::test]
async fn notifications_match_the_captured_frames() {
    let sim = Simulator::start(SimOptions::default()).await.unwrap();
    let mut rx = sim.notifications();
    let mut u = sim.url();
    u.set_path("/library/sections/2/refresh");
    Client::new()
        .get(u)
        .header("X-Plex-Token", "sim-token")
        .send()
        .await
        .unwrap();
    let mut frames = Vec::new();
    loop {
        let n = tokio::time::timeout(Duration::from_secs(3), rx.recv())
            .await
            .unwrap()
            .unwrap();
        let done = n.kind == "status" && n.frame.to_string().contains("Library scan complete");
        frames.push(n.frame["NotificationContainer"].clone());
        if done {
            break;
        }
    }
    let timeline = |state: i64| {
        frames
            .iter()
            .find(|c| c["type"] == "timeline" && c["TimelineEntry"][0]["state"] == state)
            .map(|c| c["TimelineEntry"][0].clone())
            .unwrap()
    };
    // The created entry has exactly the captured keys; the done entry at least them.
    let real0 = fixture(
        "ws/timeline_state0_episode_created__moviebot-plexnotice__converted-from-python-repr.json",
    );
    let ours0 = timeline(0);
    assert_superset("timeline 0", &real0["TimelineEntry"][0], &ours0);
    assert_eq!(
        ours0.as_object().unwrap().len(),
        real0["TimelineEntry"][0].as_object().unwrap().len()
    );
    let real5 = fixture(
        "ws/timeline_state5_episode_processed__moviebot-plexnotice__converted-from-python-repr.json",
    );
    assert_superset("timeline 5", &real5["TimelineEntry"][0], &timeline(5));

    let key = sim.with_library(|l| l.items().next().unwrap().rating_key.clone());
    let mut u = sim.url();
    u.set_path(&format!("/library/metadata/{key}/refresh"));
    Client::new()
        .put(u)
        .header("X-Plex-Token", "sim-token")
        .send()
        .await
        .unwrap();
    let ended = loop {
        let n = tokio::time::timeout(Duration::from_secs(3), rx.recv())
            .await
            .unwrap()
            .unwrap();
        let e = &n.frame["NotificationContainer"]["ActivityNotification"][0];
        if e["event"] == "ended" && e["Activity"]["type"] == "library.refresh.items" {
            break e.clone();
        }
    };
    let real = fixture(
        "ws/activity_ended_library-refresh-items_item513__plextraktsync-events-played.json",
    );
    let real = &real["ActivityNotification"][0];
    assert_superset("activity ended", real, &ended);
    assert_superset("Activity", &real["Activity"], &ended["Activity"]);
    assert_superset(
        "Context",
        &real["Activity"]["Context"],
        &ended["Activity"]["Context"],
    );

    sim.start_playback(&key).unwrap();
    let playing = loop {
        let n = tokio::time::timeout(Duration::from_secs(3), rx.recv())
            .await
            .unwrap()
            .unwrap();
        if n.kind == "playing" {
            break n.frame["NotificationContainer"]["PlaySessionStateNotification"][0].clone();
        }
    };
    let real = fixture("ws/playing_playing_movie__pkc-issue-162__converted-from-python-repr.json");
    assert_superset(
        "playing",
        &real["NotificationContainer"]["PlaySessionStateNotification"][0],
        &playing,
    );
}

//! The simulator's WebSocket side, driven with a raw tokio-tungstenite
//! client: token, filters, what REST calls emit, scripted playback, faults.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use metarr_plex::sim::{RestFault, SimOptions, Simulator, WsFault};
use reqwest::{Client, Method};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

const TOKEN: &str = "sim-token";
const ARRIVAL: &str = "/data/media/movies/Arrival (2016) {tmdb-329865}/Arrival (2016).mkv";

fn ws_url(sim: &Simulator, path: &str, query: &[(&str, &str)]) -> String {
    let mut u = sim.url();
    u.set_scheme("ws").unwrap();
    u.set_path(path);
    if !query.is_empty() {
        u.query_pairs_mut().extend_pairs(query);
    }
    u.to_string()
}

async fn connect_with(
    sim: &Simulator,
    path: &str,
    query: &[(&str, &str)],
    token: Option<&str>,
) -> Result<Ws, WsError> {
    let mut req = ws_url(sim, path, query).into_client_request().unwrap();
    if let Some(t) = token {
        req.headers_mut().insert("X-Plex-Token", t.parse().unwrap());
    }
    tokio_tungstenite::connect_async(req)
        .await
        .map(|(ws, _)| ws)
}

async fn connect(sim: &Simulator, query: &[(&str, &str)]) -> Ws {
    connect_with(sim, "/:/websockets/notifications", query, Some(TOKEN))
        .await
        .unwrap()
}

/// The next message, or `None` if nothing arrives within `wait` or the socket ended.
async fn next_msg(ws: &mut Ws, wait: Duration) -> Option<Result<Message, WsError>> {
    tokio::time::timeout(wait, ws.next()).await.ok().flatten()
}

/// The next JSON notification container.
async fn next_json(ws: &mut Ws) -> Value {
    loop {
        match next_msg(ws, Duration::from_secs(3)).await {
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(&t).unwrap();
                return v["NotificationContainer"].clone();
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

/// Containers until one satisfies `stop` (included).
async fn collect_until(ws: &mut Ws, stop: impl Fn(&Value) -> bool) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        let c = next_json(ws).await;
        let done = stop(&c);
        out.push(c);
        if done {
            return out;
        }
    }
}

async fn rest(
    sim: &Simulator,
    method: Method,
    path: &str,
    query: &[(&str, &str)],
) -> reqwest::Response {
    let mut u = sim.url();
    u.set_path(path);
    if !query.is_empty() {
        u.query_pairs_mut().extend_pairs(query);
    }
    Client::new()
        .request(method, u)
        .header("X-Plex-Token", TOKEN)
        .send()
        .await
        .unwrap()
}

fn entry(c: &Value) -> &Value {
    let key = match c["type"].as_str().unwrap() {
        "activity" => "ActivityNotification",
        "timeline" => "TimelineEntry",
        "status" => "StatusNotification",
        "playing" => "PlaySessionStateNotification",
        "progress" => "ProgressNotification",
        other => panic!("unexpected type {other}"),
    };
    &c[key][0]
}

fn is_activity(c: &Value, event: &str) -> bool {
    c["type"] == "activity" && entry(c)["event"] == event
}

#[tokio::test]
async fn handshake_without_token_is_refused_with_401_and_query_token_works() {
    let sim = Simulator::start(SimOptions::default()).await.unwrap();
    match connect_with(&sim, "/:/websockets/notifications", &[], None).await {
        Err(WsError::Http(resp)) => assert_eq!(resp.status(), 401),
        other => panic!("expected 401, got {:?}", other.map(|_| ())),
    }
    let by_query = connect_with(
        &sim,
        "/:/websockets/notifications",
        &[("X-Plex-Token", TOKEN)],
        None,
    )
    .await;
    assert!(by_query.is_ok());
    let seed_path = connect_with(&sim, "/:/websockets/listen", &[], Some(TOKEN)).await;
    assert!(seed_path.is_ok());
    assert_eq!(sim.requests()[0].status, 401);
    assert_eq!(
        sim.requests()[1].query_value("X-Plex-Token"),
        Some("<redacted>")
    );
}

#[tokio::test]
async fn partial_scan_emits_status_activity_and_timeline_like_plex() {
    let sim = Simulator::start(SimOptions::default()).await.unwrap();
    let mut ws = connect(&sim, &[]).await;
    let folder = "/data/media/movies/Inception (2010) {tmdb-27205}";
    let r = rest(
        &sim,
        Method::GET,
        "/library/sections/1/refresh",
        &[("path", folder)],
    )
    .await;
    let uuid = r.headers()["x-plex-activity"].to_str().unwrap().to_owned();
    let frames = collect_until(&mut ws, |c| {
        c["type"] == "status" && entry(c)["title"] == "Library scan complete"
    })
    .await;
    let new_id = sim.with_library(|l| {
        l.find_by_file(&format!("{folder}/Inception (2010).mkv"))
            .unwrap()
            .rating_key
            .clone()
    });

    let pos = |pred: &dyn Fn(&Value) -> bool| {
        frames
            .iter()
            .position(pred)
            .unwrap_or_else(|| panic!("missing frame in {frames:#?}"))
    };
    let scanning =
        pos(&|c| c["type"] == "status" && entry(c)["title"] == "Scanning the \"Movies\" section");
    let started = pos(&|c| is_activity(c, "started"));
    let created = pos(&|c| {
        c["type"] == "timeline" && entry(c)["state"] == 0 && entry(c)["metadataState"] == "created"
    });
    let ready = pos(&|c| {
        c["type"] == "timeline"
            && entry(c)["state"] == 5
            && entry(c).get("metadataState").is_none()
            && entry(c).get("mediaState").is_none()
    });
    let ended = pos(&|c| is_activity(c, "ended"));
    assert!(
        scanning < started && started < created && created < ready && ready < ended,
        "{frames:#?}"
    );
    assert!(frames.iter().any(|c| is_activity(c, "updated")));

    let act = &entry(&frames[started])["Activity"];
    assert_eq!(act["type"], "library.update.section");
    assert_eq!(act["Context"]["librarySectionID"], "1");
    assert_eq!(entry(&frames[started])["uuid"], uuid.as_str());
    let tl = entry(&frames[created]);
    assert_eq!(tl["itemID"], new_id.as_str());
    assert_eq!(tl["sectionID"], "1");
    assert_eq!(tl["identifier"], "com.plexapp.plugins.library");
    assert_eq!(tl["type"], 1);
    assert_eq!(entry(&frames[ready])["title"], "Inception");
    for c in &frames {
        assert_eq!(c["size"], 1);
    }
}

#[tokio::test]
async fn new_episode_timeline_names_its_season_and_show() {
    let sim = Simulator::start(SimOptions::default()).await.unwrap();
    let mut ws = connect(&sim, &[("filters", "timeline")]).await;
    rest(&sim, Method::GET, "/library/sections/2/refresh", &[]).await;
    let c = next_json(&mut ws).await;
    let e = entry(&c);
    assert_eq!(
        (e["state"].as_i64(), e["type"].as_i64()),
        (Some(0), Some(4))
    );
    let (season, show) = sim.with_library(|l| {
        let ep = l.item(e["itemID"].as_str().unwrap()).unwrap();
        (ep.parent.clone().unwrap(), ep.grandparent.clone().unwrap())
    });
    assert_eq!(e["parentItemID"], season.as_str());
    assert_eq!(e["rootItemID"], show.as_str());
}

#[tokio::test]
async fn match_emits_a_refresh_lifecycle_then_timeline_state_5() {
    let sim = Simulator::start(SimOptions::default()).await.unwrap();
    let id = sim.with_library(|l| l.find_by_file(ARRIVAL).unwrap().rating_key.clone());
    let guid = sim.with_library(|l| l.catalogue().by_guid("tmdb://329865").unwrap().guid.clone());
    let mut ws = connect(&sim, &[]).await;
    let r = rest(
        &sim,
        Method::PUT,
        &format!("/library/metadata/{id}/match"),
        &[("guid", &guid), ("name", "Arrival")],
    )
    .await;
    let uuid = r.headers()["x-plex-activity"].to_str().unwrap().to_owned();
    let frames = collect_until(&mut ws, |c| is_activity(c, "ended")).await;
    let acts: Vec<&Value> = frames
        .iter()
        .filter(|c| c["type"] == "activity")
        .map(entry)
        .collect();
    assert_eq!(acts[0]["event"], "started");
    assert!(acts.iter().all(|a| a["uuid"] == uuid.as_str() && a["Activity"]["type"] == "library.refresh.items"));
    let subtitles: Vec<&str> = acts
        .iter()
        .map(|a| a["Activity"]["subtitle"].as_str().unwrap())
        .collect();
    assert_eq!(subtitles[1], "Checking files");
    assert!(subtitles.contains(&"Augmenting metadata"));
    let last = acts.last().unwrap();
    assert_eq!(
        last["Activity"]["Context"]["key"],
        format!("/library/metadata/{id}").as_str()
    );
    assert_eq!(last["Activity"]["progress"], 100);
    let tl = frames.iter().find(|c| c["type"] == "timeline").unwrap();
    assert_eq!(entry(tl)["state"], 5);
    assert_eq!(entry(tl)["itemID"], id.as_str());
    assert_eq!(entry(tl)["title"], "Arrival");
}

#[tokio::test]
async fn filters_select_types_and_logs_are_excluded_by_default() {
    let sim = Simulator::start(SimOptions::default()).await.unwrap();
    let mut only_playing = connect(&sim, &[("filters", "playing")]).await;
    let mut default = connect(&sim, &[]).await;
    let mut everything = connect(&sim, &[("filters", "")]).await;
    let log = r#"{"type":"log","size":1,"LogSentNotification":[{"level":3,"message":"hi"}]}"#;
    sim.emit(metarr_plex::sim::Notification {
        kind: "log".into(),
        frame: serde_json::json!({ "NotificationContainer": serde_json::from_str::<Value>(log).unwrap() }),
    });
    rest(&sim, Method::GET, "/library/sections/1/refresh", &[]).await;
    let item = sim.with_library(|l| l.find_by_file(ARRIVAL).unwrap().rating_key.clone());
    sim.start_playback(&item).unwrap();
    assert_eq!(next_json(&mut only_playing).await["type"], "playing");
    assert_eq!(next_json(&mut everything).await["type"], "log");
    assert_eq!(next_json(&mut default).await["type"], "status");
}

#[tokio::test]
async fn scripted_playback_emits_playing_frames_and_keeps_sessions_in_step() {
    let sim = Simulator::start(SimOptions::default()).await.unwrap();
    let item = sim.with_library(|l| l.find_by_file(ARRIVAL).unwrap().rating_key.clone());
    let mut ws = connect(&sim, &[("filters", "playing")]).await;
    let key = sim.start_playback(&item).unwrap();
    assert_eq!(key, "1");
    sim.advance_playback(&key, Duration::from_secs(10)).unwrap();
    sim.pause_playback(&key).unwrap();
    let sessions: Value = rest(&sim, Method::GET, "/status/sessions", &[])
        .await
        .json()
        .await
        .unwrap();
    let s = &sessions["MediaContainer"]["Metadata"][0];
    assert_eq!(s["sessionKey"], "1");
    assert_eq!(s["ratingKey"], item.as_str());
    assert_eq!(s["Player"]["state"], "paused");
    assert_eq!(s["viewOffset"], 10_000);
    sim.resume_playback(&key).unwrap();
    sim.buffer_playback(&key).unwrap();
    let new_key = sim.stop_playback_under_new_key(&key).unwrap();
    assert_eq!(new_key, "2");
    let mut seen = Vec::new();
    for _ in 0..6 {
        let c = next_json(&mut ws).await;
        let e = entry(&c).clone();
        assert_eq!(e["ratingKey"], item.as_str());
        assert_eq!(e["key"], format!("/library/metadata/{item}").as_str());
        assert!(e["clientIdentifier"].is_string());
        seen.push((
            e["state"].as_str().unwrap().to_owned(),
            e["sessionKey"].as_str().unwrap().to_owned(),
            e["viewOffset"].as_u64().unwrap(),
        ));
    }
    let expect = [
        ("playing", "1", 0),
        ("playing", "1", 10_000),
        ("paused", "1", 10_000),
        ("playing", "1", 10_000),
        ("buffering", "1", 10_000),
        ("stopped", "2", 10_000),
    ];
    let expect: Vec<(String, String, u64)> = expect
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), *c))
        .collect();
    assert_eq!(seen, expect);
    let sessions: Value = rest(&sim, Method::GET, "/status/sessions", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sessions["MediaContainer"]["size"], 0);
    assert!(sim.pause_playback(&key).is_err());
}

#[tokio::test]
async fn numeric_id_mode_sends_ids_as_numbers() {
    let opts = SimOptions {
        numeric_ids: true,
        ..SimOptions::default()
    };
    let sim = Simulator::start(opts).await.unwrap();
    let mut ws = connect(&sim, &[("filters", "timeline,playing")]).await;
    rest(&sim, Method::GET, "/library/sections/1/refresh", &[]).await;
    let e = entry(&next_json(&mut ws).await).clone();
    assert!(e["itemID"].is_u64() && e["sectionID"].is_u64(), "{e}");
    let item = e["itemID"].to_string();
    sim.start_playback(&item).unwrap();
    loop {
        let c = next_json(&mut ws).await;
        if c["type"] == "playing" {
            assert!(entry(&c)["sessionKey"].is_u64());
            assert!(entry(&c)["ratingKey"].is_u64());
            break;
        }
    }
}

#[tokio::test]
async fn raw_frames_arrive_verbatim() {
    let sim = Simulator::start(SimOptions::default()).await.unwrap();
    let mut ws = connect(&sim, &[("filters", "playing")]).await;
    let raw = r#"{"NotificationContainer":{"type":"reachability","size":1,"ReachabilityNotification":[{"reachability":true}]}}"#;
    sim.emit_raw(raw);
    match next_msg(&mut ws, Duration::from_secs(2)).await {
        Some(Ok(Message::Text(t))) => assert_eq!(t.as_str(), raw),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn drop_after_n_closes_the_connection_after_n_messages() {
    let sim = Simulator::start(SimOptions::default()).await.unwrap();
    let mut ws = connect(&sim, &[]).await;
    sim.inject_ws(WsFault::DropAfter(2));
    // Let the socket take the command before frames flow.
    tokio::time::sleep(Duration::from_millis(50)).await;
    for n in 0..3 {
        sim.emit_raw(&format!(r#"{{"n":{n}}}"#));
    }
    let mut texts = 0;
    loop {
        match next_msg(&mut ws, Duration::from_secs(2)).await {
            Some(Ok(Message::Text(_))) => texts += 1,
            Some(Ok(_)) => {}
            Some(Err(_)) | None => break,
        }
    }
    assert_eq!(texts, 2);
    // The fault is spent: a new socket stays up.
    let mut again = connect(&sim, &[]).await;
    sim.emit_raw("{}");
    assert!(matches!(
        next_msg(&mut again, Duration::from_secs(2)).await,
        Some(Ok(Message::Text(_)))
    ));
}

#[tokio::test]
async fn fault_injected_before_connecting_applies_to_the_next_socket() {
    let sim = Simulator::start(SimOptions::default()).await.unwrap();
    sim.inject_ws(WsFault::DropAfter(1));
    let mut ws = connect(&sim, &[]).await;
    sim.emit_raw("{}");
    sim.emit_raw("{}");
    assert!(matches!(
        next_msg(&mut ws, Duration::from_secs(2)).await,
        Some(Ok(Message::Text(_)))
    ));
    assert!(matches!(
        next_msg(&mut ws, Duration::from_secs(2)).await,
        Some(Err(_)) | None
    ));
}

#[tokio::test]
async fn stall_keeps_the_socket_open_but_silent_and_deaf_to_pings() {
    let sim = Simulator::start(SimOptions::default()).await.unwrap();
    let mut ws = connect(&sim, &[]).await;
    // A healthy socket answers pings.
    ws.send(Message::Ping(b"hi".to_vec().into())).await.unwrap();
    assert!(matches!(
        next_msg(&mut ws, Duration::from_secs(2)).await,
        Some(Ok(Message::Pong(_)))
    ));
    sim.inject_ws(WsFault::Stall);
    tokio::time::sleep(Duration::from_millis(50)).await;
    ws.send(Message::Ping(b"hi".to_vec().into())).await.unwrap();
    sim.emit_raw("{}");
    assert!(
        next_msg(&mut ws, Duration::from_millis(500))
            .await
            .is_none()
    );
    assert_eq!(sim.open_sockets(), 1);
}

#[tokio::test]
async fn garbage_then_oversized_frames_then_normal_service() {
    let sim = Simulator::start(SimOptions::default()).await.unwrap();
    let mut ws = connect(&sim, &[]).await;
    sim.inject_ws(WsFault::Garbage);
    match next_msg(&mut ws, Duration::from_secs(2)).await {
        Some(Ok(Message::Text(t))) => assert!(serde_json::from_str::<Value>(&t).is_err()),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        next_msg(&mut ws, Duration::from_secs(2)).await,
        Some(Ok(Message::Binary(_)))
    ));
    sim.inject_ws(WsFault::Oversized);
    match next_msg(&mut ws, Duration::from_secs(2)).await {
        Some(Ok(Message::Text(t))) => assert!(t.len() >= 2 * 1024 * 1024),
        other => panic!("{other:?}"),
    }
    sim.emit_raw("{}");
    assert!(
        matches!(next_msg(&mut ws, Duration::from_secs(2)).await, Some(Ok(Message::Text(t))) if t.as_str() == "{}")
    );
}

#[tokio::test]
async fn restart_closes_refuses_then_returns_with_new_start_and_reused_session_keys() {
    let sim = Simulator::start(SimOptions::default()).await.unwrap();
    let item = sim.with_library(|l| l.find_by_file(ARRIVAL).unwrap().rating_key.clone());
    let before: Value = rest(&sim, Method::GET, "/", &[])
        .await
        .json()
        .await
        .unwrap();
    sim.start_playback(&item).unwrap();
    sim.start_playback(&item).unwrap();
    let mut ws = connect(&sim, &[("filters", "status")]).await;
    sim.inject_ws(WsFault::Restart {
        down_for: Duration::from_millis(400),
    });
    assert!(matches!(
        next_msg(&mut ws, Duration::from_secs(2)).await,
        Some(Err(_)) | None
    ));
    assert!(
        connect_with(&sim, "/:/websockets/notifications", &[], Some(TOKEN))
            .await
            .is_err()
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    let mut back = connect(&sim, &[]).await;
    let after: Value = rest(&sim, Method::GET, "/", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(
        after["MediaContainer"]["updatedAt"],
        before["MediaContainer"]["updatedAt"]
    );
    assert_eq!(
        after["MediaContainer"]["machineIdentifier"],
        before["MediaContainer"]["machineIdentifier"]
    );
    let sessions: Value = rest(&sim, Method::GET, "/status/sessions", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sessions["MediaContainer"]["size"], 0);
    assert_eq!(sim.start_playback(&item).unwrap(), "1");
    assert_eq!(next_json(&mut back).await["type"], "playing");
}

#[tokio::test]
async fn revoked_token_closes_sockets_and_401s_until_a_new_token_is_set() {
    let sim = Simulator::start(SimOptions::default()).await.unwrap();
    let mut ws = connect(&sim, &[]).await;
    sim.inject_ws(WsFault::RevokeToken);
    assert!(matches!(
        next_msg(&mut ws, Duration::from_secs(2)).await,
        Some(Err(_)) | None
    ));
    match connect_with(&sim, "/:/websockets/notifications", &[], Some(TOKEN)).await {
        Err(WsError::Http(resp)) => assert_eq!(resp.status(), 401),
        other => panic!("expected 401, got {:?}", other.map(|_| ())),
    }
    sim.set_token(TOKEN);
    assert!(
        connect_with(&sim, "/:/websockets/notifications", &[], Some(TOKEN))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn rest_refuse_also_closes_notification_sockets() {
    let sim = Simulator::start(SimOptions::default()).await.unwrap();
    let mut ws = connect(&sim, &[]).await;
    sim.inject(RestFault::Refuse {
        duration: Duration::from_millis(200),
    });
    assert!(matches!(
        next_msg(&mut ws, Duration::from_secs(2)).await,
        Some(Err(_)) | None
    ));
}

#[tokio::test]
async fn deleting_an_item_emits_state_9_deleted_for_it_and_its_children() {
    let sim = Simulator::start(SimOptions::default()).await.unwrap();
    let mut ws = connect(&sim, &[("filters", "timeline")]).await;
    let season = sim.with_library(|l| {
        l.items()
            .find(|i| i.kind == metarr_plex::sim::ItemKind::Season)
            .unwrap()
            .rating_key
            .clone()
    });
    assert!(sim.delete_item(&season));
    assert!(!sim.delete_item(&season));
    let first = entry(&next_json(&mut ws).await).clone();
    assert_eq!(
        (first["state"].as_i64(), first["metadataState"].as_str()),
        (Some(9), Some("deleted"))
    );
    assert_eq!(first["itemID"], season.as_str());
    // Then each of its episodes.
    let next = entry(&next_json(&mut ws).await).clone();
    assert_eq!(
        (next["state"].as_i64(), next["type"].as_i64()),
        (Some(9), Some(4))
    );
}

#[tokio::test]
async fn a_silent_end_leaves_no_frame_but_empties_sessions() {
    let sim = Simulator::start(SimOptions::default()).await.unwrap();
    let item = sim.with_library(|l| l.find_by_file(ARRIVAL).unwrap().rating_key.clone());
    let key = sim.start_playback(&item).unwrap();
    let mut ws = connect(&sim, &[("filters", "playing")]).await;
    sim.end_playback_silently(&key).unwrap();
    assert!(
        next_msg(&mut ws, Duration::from_millis(300))
            .await
            .is_none()
    );
    assert!(sim.with_library(|l| l.sessions().is_empty()));
}

#[tokio::test]
async fn bulk_raw_frames_all_arrive_in_order() {
    let sim = Simulator::start(SimOptions::default()).await.unwrap();
    let mut ws = connect(&sim, &[]).await;
    let n = 5_000;
    let producer = {
        let sim = sim.clone();
        tokio::spawn(async move {
            sim.emit_raw_many((0..n).map(|i| format!(r#"{{"n":{i}}}"#)))
                .await
        })
    };
    for i in 0..n {
        match next_msg(&mut ws, Duration::from_secs(5)).await {
            Some(Ok(Message::Text(t))) => assert_eq!(t.as_str(), format!(r#"{{"n":{i}}}"#)),
            other => panic!("frame {i}: {other:?}"),
        }
    }
    producer.await.unwrap();
}

#[tokio::test]
async fn shutdown_is_prompt_with_open_sockets_and_pooled_connections() {
    let sim = Simulator::start(SimOptions::default()).await.unwrap();
    let _ws = connect(&sim, &[]).await;
    rest(&sim, Method::GET, "/identity", &[]).await;
    rest(&sim, Method::GET, "/library/sections/1/refresh", &[]).await;
    tokio::time::timeout(Duration::from_secs(3), sim.shutdown())
        .await
        .expect("shutdown hung");
}

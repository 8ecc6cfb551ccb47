//! Catching up after reconnects, end to end through the real parser and
//! normalizer: what ended while we were away is reported exactly once, and
//! nothing seen live is reported again.

use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use metarr_plex::event::{Event, EventName};
use metarr_plex::plex::model::{Item, ServerIdentity, Session};
use metarr_plex::source::listener::Snapshot;
use serde_json::json;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::listener_harness::{MockPlex, ScriptedView, config, normalizing_listener};

fn playing(session: &str, rating_key: &str, state: &str) -> Message {
    let frame = json!({"NotificationContainer": {"type": "playing", "size": 1,
        "PlaySessionStateNotification": [{"sessionKey": session, "ratingKey": rating_key,
            "key": format!("/library/metadata/{rating_key}"), "guid": "", "url": "",
            "viewOffset": 1000, "state": state}]}});
    Message::Text(frame.to_string().into())
}

fn created(item: &str) -> Message {
    let frame = json!({"NotificationContainer": {"type": "timeline", "size": 1,
        "TimelineEntry": [{"identifier": "com.plexapp.plugins.library", "sectionID": "1",
            "itemID": item, "type": 1, "title": "", "state": 0,
            "metadataState": "created", "updatedAt": 1500}]}});
    Message::Text(frame.to_string().into())
}

/// A healthy idle server: reads (so pings get their pongs), sends nothing.
async fn answer_pings(mut ws: WebSocketStream<TcpStream>) {
    while let Some(Ok(_)) = ws.next().await {}
}

fn identity(version: &str) -> Option<ServerIdentity> {
    Some(ServerIdentity {
        machine_identifier: "0123456789abcdef".into(),
        version: Some(version.into()),
        claimed: true,
    })
}

fn session(key: &str, rating_key: &str) -> Session {
    serde_json::from_value(json!({"sessionKey": key, "ratingKey": rating_key,
        "type": "movie", "title": "Heat", "viewOffset": 5000,
        "Player": {"state": "playing", "machineIdentifier": "player-1", "title": "TV"}}))
    .unwrap()
}

fn added(id: &str, at: i64) -> Item {
    serde_json::from_value(
        json!({"ratingKey": id, "type": "movie", "title": format!("Movie {id}"),
        "addedAt": at, "librarySectionID": "1"}),
    )
    .unwrap()
}

/// Runs the listener for `for_` of virtual time and returns every event.
async fn run_for(plex: &MockPlex, view: Arc<ScriptedView>, for_: Duration) -> (Vec<Event>, u64) {
    let l = normalizing_listener(config(plex.addr), view);
    let stats = l.stats();
    let (tx, mut rx) = mpsc::channel(256);
    let stop = CancellationToken::new();
    let task = tokio::spawn(l.run(tx, stop.clone()));
    tokio::time::sleep(for_).await;
    stop.cancel();
    task.await.unwrap();
    let mut events = Vec::new();
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    (events, stats.snapshot().connects)
}

fn named(events: &[Event], name: EventName) -> Vec<&Event> {
    events.iter().filter(|e| e.name == name).collect()
}

#[tokio::test(start_paused = true)]
async fn a_session_that_stops_while_disconnected_yields_exactly_one_stop() {
    let plex = MockPlex::start(None, |n, mut ws| async move {
        if n == 1 {
            ws.send(playing("7", "2174", "playing")).await.unwrap();
            // The connection dies; the stop frame is never seen.
            return;
        }
        answer_pings(ws).await;
    })
    .await;
    let view = ScriptedView::new(vec![
        Snapshot {
            identity: identity("1.40.2"),
            ..Snapshot::default()
        },
        // After the reconnect nothing plays any more.
        Snapshot {
            identity: identity("1.40.2"),
            ..Snapshot::default()
        },
    ]);
    let (events, connects) = run_for(&plex, view, Duration::from_secs(900)).await;

    assert_eq!(connects, 2);
    assert_eq!(
        named(&events, EventName::PlaybackStarted).len(),
        1,
        "{events:#?}"
    );
    let stops = named(&events, EventName::PlaybackStopped);
    assert_eq!(
        stops.len(),
        1,
        "exactly one stop, not a second one at the 5-min timeout"
    );
    assert!(stops[0].synthetic);
    assert_eq!(stops[0].session.as_ref().unwrap().key, "7");
    assert_eq!(stops[0].item.as_ref().unwrap().id, "2174");
}

#[tokio::test(start_paused = true)]
async fn reconnects_do_not_duplicate_events() {
    let plex = MockPlex::start(None, |n, mut ws| async move {
        match n {
            1 => {
                ws.send(playing("7", "2174", "playing")).await.unwrap();
                ws.send(created("500")).await.unwrap();
            }
            2 => {
                // The same session, still playing: a repeat, not news.
                ws.send(playing("7", "2174", "playing")).await.unwrap();
                ws.send(created("600")).await.unwrap();
            }
            _ => answer_pings(ws).await,
        }
    })
    .await;
    let view = ScriptedView::new(vec![
        Snapshot {
            identity: identity("1.40.2"),
            added: vec![added("400", 1000)],
            ..Snapshot::default()
        },
        Snapshot {
            identity: identity("1.40.2"),
            sessions: vec![session("7", "2174")],
            // 500 was seen live; 600 arrives while away, then live again.
            added: vec![added("500", 1500), added("600", 1600)],
            ..Snapshot::default()
        },
        Snapshot {
            identity: identity("1.40.2"),
            sessions: vec![session("7", "2174")],
            added: vec![added("600", 1600)],
            ..Snapshot::default()
        },
    ]);
    let (events, connects) = run_for(&plex, Arc::clone(&view), Duration::from_secs(120)).await;

    assert_eq!(connects, 3);
    assert_eq!(named(&events, EventName::ServerConnected).len(), 3);
    assert_eq!(
        named(&events, EventName::PlaybackStarted).len(),
        1,
        "{events:#?}"
    );
    assert!(named(&events, EventName::PlaybackStopped).is_empty());
    let added_ids: Vec<(&str, bool)> = named(&events, EventName::ItemAdded)
        .iter()
        .map(|e| (e.item.as_ref().unwrap().id.as_str(), e.synthetic))
        .collect();
    assert_eq!(added_ids, [("500", false), ("600", true)], "{events:#?}");
    assert_eq!(
        *view.since.lock().unwrap(),
        [None, Some(1000), Some(1600)],
        "the watermark moves with each catch-up"
    );
}

#[tokio::test(start_paused = true)]
async fn a_restarted_server_ends_old_sessions_before_reused_keys_start_again() {
    let plex = MockPlex::start(None, |n, mut ws| async move {
        if n == 1 {
            ws.send(playing("7", "2174", "playing")).await.unwrap();
            return;
        }
        answer_pings(ws).await;
    })
    .await;
    let view = ScriptedView::new(vec![
        Snapshot {
            identity: identity("1.40.2"),
            ..Snapshot::default()
        },
        // Updated and restarted: session key 7 now means another playback.
        Snapshot {
            identity: identity("1.41.0"),
            sessions: vec![session("7", "3001")],
            ..Snapshot::default()
        },
    ]);
    let (events, _) = run_for(&plex, view, Duration::from_secs(60)).await;

    let names: Vec<EventName> = events
        .iter()
        .map(|e| e.name)
        .filter(|n| *n != EventName::ServerConnected)
        .collect();
    assert_eq!(
        names,
        [
            EventName::PlaybackStarted,
            EventName::ServerRestarted,
            EventName::PlaybackStopped,
            EventName::PlaybackStarted,
        ],
        "{events:#?}"
    );
    let items: Vec<&str> = events
        .iter()
        .filter_map(|e| e.item.as_ref().map(|i| i.id.as_str()))
        .collect();
    assert_eq!(items, ["2174", "2174", "3001"]);
}

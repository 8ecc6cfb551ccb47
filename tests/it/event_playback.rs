//! Playback: `playing` frames → `playback.*` on state changes only, with
//! the quirks real servers have.

use std::time::Duration;

use metarr_plex::event::{Event, EventName, Normalizer, NormalizerConfig};
use serde_json::json;

use crate::event_feed::*;

#[test]
fn play_pause_resume_stop_are_one_event_each() {
    let mut f = Feed::new();
    let mut events = Vec::new();
    for state in [
        "playing", "playing", "paused", "paused", "playing", "playing", "stopped", "stopped",
    ] {
        events.extend(f.push(playing("1", "100", state)));
    }
    assert_eq!(
        names(&events),
        [
            "playback.started",
            "playback.paused",
            "playback.resumed",
            "playback.stopped"
        ]
    );
    assert!(
        events
            .iter()
            .all(|e| session_key(e) == "1" && e.item.as_ref().unwrap().id == "100")
    );
    assert_eq!(events[1].session.as_ref().unwrap().state, "paused");
}

#[test]
fn buffering_does_not_change_state() {
    let mut f = Feed::new();
    let mut events = f.push(playing("1", "100", "playing"));
    events.extend(f.push(playing("1", "100", "buffering")));
    events.extend(f.push(playing("1", "100", "buffering")));
    events.extend(f.push(playing("1", "100", "playing")));
    assert_eq!(
        names(&events),
        ["playback.started", "playback.buffering"],
        "no resume after buffering"
    );
    events = f.push(playing("1", "100", "paused"));
    events.extend(f.push(playing("1", "100", "buffering")));
    events.extend(f.push(playing("1", "100", "paused")));
    events.extend(f.push(playing("1", "100", "playing")));
    assert_eq!(
        names(&events),
        ["playback.paused", "playback.buffering", "playback.resumed"]
    );
}

#[test]
fn first_frame_buffering_starts_nothing_until_it_plays() {
    let mut f = Feed::new();
    let live_tv = "com.gracenote.onconnect://episode/EP019919100088";
    assert!(f.push(playing("110", live_tv, "buffering")).is_empty());
    let events = f.push(playing("110", live_tv, "playing"));
    assert_eq!(names(&events), ["playback.started"]);
    assert_eq!(
        events[0].item.as_ref().unwrap().id,
        live_tv,
        "Live TV ratingKey kept as text"
    );
    // A session that never played is never announced, so never stopped.
    assert!(f.push(playing("111", "5", "buffering")).is_empty());
    assert!(f.push(playing("111", "5", "stopped")).is_empty());
}

#[test]
fn stop_under_new_key_picks_the_matching_player() {
    let mut f = Feed::new();
    f.push(playing_on("1", "100", "playing", "tv"));
    f.push(playing_on("2", "100", "playing", "phone"));
    let events = f.push(playing_on("3", "100", "stopped", "phone"));
    assert_eq!(names(&events), ["playback.stopped"]);
    assert_eq!(session_key(&events[0]), "2");
    // The other player is still tracked and stops normally.
    assert_eq!(
        session_key(&f.push(playing_on("1", "100", "stopped", "tv"))[0]),
        "1"
    );
}

#[test]
fn new_rating_key_under_old_session_key_is_stop_then_start() {
    let mut f = Feed::new();
    f.push(playing("7", "100", "playing"));
    let events = f.push(playing("7", "101", "playing"));
    assert_eq!(names(&events), ["playback.stopped", "playback.started"]);
    assert_eq!(events[0].item.as_ref().unwrap().id, "100");
    assert_eq!(events[1].item.as_ref().unwrap().id, "101");
    assert!(events.iter().all(|e| session_key(e) == "7"));
}

#[test]
fn silent_session_is_stopped_after_five_minutes() {
    let mut f = Feed::new();
    f.push(playing("1", "100", "playing"));
    assert!(f.advance(Duration::from_secs(4 * 60)).is_empty());
    f.push(playing("1", "100", "playing")); // re-arms the timeout
    assert!(f.advance(Duration::from_secs(4 * 60 + 59)).is_empty());
    let events = f.advance(Duration::from_secs(1));
    assert_eq!(names(&events), ["playback.stopped"]);
    assert!(events[0].synthetic);
    assert!(
        f.advance(Duration::from_secs(600)).is_empty(),
        "stopped once"
    );
    assert!(
        f.push(playing("1", "100", "stopped")).is_empty(),
        "late stop ignored"
    );
}

#[test]
fn stale_timeout_is_configurable() {
    let config = NormalizerConfig {
        stale_session_after: Duration::from_secs(30),
        ..NormalizerConfig::default()
    };
    let mut f = Feed::new();
    f.n = Normalizer::new(config);
    f.push(playing("1", "100", "paused"));
    assert_eq!(
        names(&f.advance(Duration::from_secs(30))),
        ["playback.stopped"]
    );
}

#[test]
fn late_frame_of_a_stopped_session_does_not_revive_it() {
    let mut f = Feed::new();
    f.push(playing("1", "100", "playing"));
    f.push(playing("1", "100", "stopped"));
    assert!(f.push(playing("1", "100", "playing")).is_empty());
    assert!(f.advance(Duration::from_secs(600)).is_empty());
}

#[test]
fn every_entry_of_a_container_is_normalized() {
    let mut f = Feed::new();
    let events = f.push(frame(
        "playing",
        "PlaySessionStateNotification",
        json!([
            {"sessionKey": "1", "ratingKey": "10", "state": "playing"},
            {"sessionKey": "2", "ratingKey": "20", "state": "paused"},
            {"sessionKey": "3", "ratingKey": "30", "state": "playing"}
        ]),
    ));
    let keys: Vec<&str> = events.iter().map(session_key).collect();
    assert_eq!(keys, ["1", "2", "3"]);
    let events = f.push(frame(
        "timeline",
        "TimelineEntry",
        json!([
            lib_entry(json!("1"), json!("500"), 0, Some("created")),
            lib_entry(json!("1"), json!("501"), 0, Some("created")),
            lib_entry(json!("1"), json!("499"), 9, Some("deleted")),
        ]),
    ));
    assert_eq!(names(&events), ["item.added", "item.added", "item.deleted"]);
}

/// Name, section id, item id, session key.
type Essentials = (EventName, Option<String>, Option<String>, Option<String>);

#[test]
fn ids_as_numbers_or_strings_normalize_equally() {
    let strip = |events: Vec<Event>| -> Vec<Essentials> {
        events
            .into_iter()
            .map(|e| {
                (
                    e.name,
                    e.section.map(|s| s.id),
                    e.item.map(|i| i.id),
                    e.session.map(|s| s.key),
                )
            })
            .collect()
    };
    let as_strings = {
        let mut f = Feed::new();
        let mut ev = f.push(timeline(lib_entry(
            json!("8"),
            json!("40011"),
            0,
            Some("created"),
        )));
        ev.extend(f.push(frame(
            "playing",
            "PlaySessionStateNotification",
            json!([{"sessionKey": "5", "ratingKey": "77", "state": "playing"}]),
        )));
        strip(ev)
    };
    let as_numbers = {
        let mut f = Feed::new();
        let mut ev = f.push(timeline(lib_entry(
            json!(8),
            json!(40011),
            0,
            Some("created"),
        )));
        ev.extend(f.push(frame(
            "playing",
            "PlaySessionStateNotification",
            json!([{"sessionKey": 5, "ratingKey": 77, "state": "playing"}]),
        )));
        strip(ev)
    };
    assert_eq!(as_strings, as_numbers);
    assert_eq!(as_strings.len(), 2);
}

#[test]
fn raw_notification_events_for_every_type_are_opt_in() {
    let config = NormalizerConfig {
        notification_events_for_all: true,
        ..NormalizerConfig::default()
    };
    let mut f = Feed::new();
    f.n = Normalizer::new(config);
    let events = f.push(playing("1", "100", "playing"));
    assert_eq!(names(&events), ["playback.started", "notification"]);
    assert_eq!(events[1].notification_type.as_deref(), Some("playing"));
    assert_eq!(events[1].raw["sessionKey"], "1");
    let repeated = f.push(playing("1", "100", "playing"));
    assert_eq!(
        names(&repeated),
        ["notification"],
        "every frame, not only changes"
    );
    assert!(
        Feed::new().push(playing("1", "100", "playing")).len() == 1,
        "off by default"
    );
}

#[test]
fn reused_session_key_after_an_unnoticed_restart_starts_again() {
    let mut f = Feed::new();
    f.push(playing("1", "100", "playing"));
    f.push(playing("1", "100", "stopped"));
    f.advance(Duration::from_secs(60));
    assert!(f.push(playing("1", "100", "playing")).is_empty(), "an echo");
    // Minutes later the same key and item is a new session (keys restart at
    // 1 after a server restart, even one we did not notice).
    f.advance(Duration::from_secs(120));
    assert_eq!(
        names(&f.push(playing("1", "100", "playing"))),
        ["playback.started"]
    );
}

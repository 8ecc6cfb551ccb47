//! Normalizer behaviour over sequences: playback state machine, items,
//! activities, reconciliation after reconnects, server restarts and the
//! loop guard.

use std::time::{Duration, Instant};

use metarr_plex::event::{
    AddedItem, Event, EventName, LiveActivity, LiveSession, Normalizer, NormalizerConfig,
    SectionRef, SelfCauses,
};
use metarr_plex::plex::notification::{Notification, parse_frame};
use serde_json::{Value, json};

fn frame(kind: &str, child: &str, entries: Value) -> Vec<Notification> {
    let text =
        json!({"NotificationContainer": {"type": kind, "size": 1, child: entries}}).to_string();
    parse_frame(&text).unwrap()
}

fn playing(key: &str, rk: &str, state: &str) -> Vec<Notification> {
    frame(
        "playing",
        "PlaySessionStateNotification",
        json!([{"sessionKey": key, "ratingKey": rk, "state": state, "key": format!("/library/metadata/{rk}"), "viewOffset": 1000}]),
    )
}

fn playing_on(key: &str, rk: &str, state: &str, client: &str) -> Vec<Notification> {
    frame(
        "playing",
        "PlaySessionStateNotification",
        json!([{"sessionKey": key, "ratingKey": rk, "state": state, "clientIdentifier": client}]),
    )
}

fn timeline(entry: Value) -> Vec<Notification> {
    frame("timeline", "TimelineEntry", json!([entry]))
}

fn activity(event: &str, uuid: &str, kind: &str, context: Option<Value>) -> Vec<Notification> {
    let mut a = json!({"uuid": uuid, "type": kind, "title": "t", "progress": 0});
    if let Some(c) = context {
        a["Context"] = c;
    }
    frame(
        "activity",
        "ActivityNotification",
        json!([{"event": event, "uuid": uuid, "Activity": a}]),
    )
}

fn lib_entry(section: Value, item: Value, state: i64, metadata_state: Option<&str>) -> Value {
    let mut e = json!({"identifier": "com.plexapp.plugins.library", "sectionID": section, "itemID": item, "type": 1, "title": "", "state": state});
    if let Some(m) = metadata_state {
        e["metadataState"] = json!(m);
    }
    e
}

/// A normalizer and a clock, fed frame by frame.
struct Feed {
    n: Normalizer,
    now: Instant,
}

impl Feed {
    fn new() -> Feed {
        Feed {
            n: Normalizer::new(NormalizerConfig::default()),
            now: Instant::now(),
        }
    }

    fn with_causes(causes: SelfCauses) -> Feed {
        let mut f = Feed::new();
        f.n = Normalizer::new(NormalizerConfig::default()).with_self_causes(causes);
        f
    }

    fn push(&mut self, ns: Vec<Notification>) -> Vec<Event> {
        ns.iter().flat_map(|n| self.n.ingest(n, self.now)).collect()
    }

    fn advance(&mut self, d: Duration) -> Vec<Event> {
        self.now += d;
        self.n.tick(self.now)
    }
}

fn names(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(|e| e.name.as_str()).collect()
}

fn session_key(e: &Event) -> &str {
    &e.session.as_ref().unwrap().key
}

fn live(key: &str, rk: &str, state: &str) -> LiveSession {
    LiveSession {
        session_key: key.into(),
        rating_key: Some(rk.into()),
        state: state.into(),
        section_id: Some("1".into()),
        kind: Some("movie".into()),
        title: Some("Heat".into()),
        ..LiveSession::default()
    }
}

// ---- playback -------------------------------------------------------------

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

// ---- items ----------------------------------------------------------------

#[test]
fn item_rules_follow_state_metadata_state_and_section() {
    let mut f = Feed::new();
    let cases = [
        (
            lib_entry(json!("1"), json!("1"), 0, None),
            Some("item.added"),
        ),
        (
            lib_entry(json!("1"), json!("2"), 0, Some("processing")),
            None,
        ),
        (
            lib_entry(json!("1"), json!("3"), 5, None),
            Some("item.ready"),
        ),
        (
            lib_entry(json!("1"), json!("4"), 5, Some("processing")),
            None,
        ),
        (
            {
                let mut e = lib_entry(json!("1"), json!("5"), 5, None);
                e["mediaState"] = json!("analyzing");
                e
            },
            None,
        ),
        (lib_entry(json!("1"), json!("6"), 3, Some("loading")), None),
        (
            lib_entry(json!("1"), json!("7"), 9, None),
            Some("item.deleted"),
        ),
        (lib_entry(json!("-1"), json!("8"), 0, Some("created")), None),
        (lib_entry(json!("0"), json!("9"), 0, Some("created")), None),
        (
            {
                let mut e = lib_entry(json!("2"), json!("10"), 0, Some("created"));
                e["identifier"] = json!("tv.plex.providers.epg.onconnect:4");
                e
            },
            None,
        ),
    ];
    for (entry, expected) in cases {
        let events = f.push(timeline(entry.clone()));
        assert_eq!(names(&events).first().copied(), expected, "{entry}");
    }
}

#[test]
fn an_item_is_added_once() {
    let mut f = Feed::new();
    let created = lib_entry(json!("1"), json!("42"), 0, Some("created"));
    assert_eq!(f.push(timeline(created.clone())).len(), 1);
    assert!(f.push(timeline(created)).is_empty());
    assert_eq!(
        f.push(timeline(lib_entry(json!("1"), json!("42"), 5, None)))
            .len(),
        1,
        "ready still fires"
    );
}

#[test]
fn section_cache_fills_titles_and_playback_learns_sections() {
    let mut f = Feed::new();
    f.n.set_sections(vec![SectionRef {
        id: "3".into(),
        title: Some("Movies".into()),
        kind: Some("movie".into()),
    }]);
    f.push(timeline(lib_entry(json!(3), json!(900), 5, None)));
    let events = f.push(playing("1", "900", "playing"));
    let section = events[0].section.as_ref().unwrap();
    assert_eq!(
        (section.id.as_str(), section.title.as_deref()),
        ("3", Some("Movies"))
    );
}

// ---- activities -------------------------------------------------------------

#[test]
fn scan_section_is_remembered_by_uuid() {
    let mut f = Feed::new();
    let mut events = f.push(activity("started", "u1", "library.update.section", None));
    assert!(events.is_empty(), "start waits for the section");
    events.extend(f.push(activity(
        "updated",
        "u1",
        "library.update.section",
        Some(json!({"librarySectionID": "3"})),
    )));
    events.extend(f.push(activity("updated", "u1", "library.update.section", None)));
    events.extend(f.push(activity("ended", "u1", "library.update.section", None)));
    assert_eq!(
        names(&events),
        ["library.scan.started", "library.scan.ended"]
    );
    assert!(events.iter().all(|e| e.section.as_ref().unwrap().id == "3"));
}

#[test]
fn scan_without_any_context_still_starts_before_it_ends() {
    let mut f = Feed::new();
    f.push(activity("started", "u1", "library.update.section", None));
    let events = f.push(activity("ended", "u1", "library.update.section", None));
    assert_eq!(
        names(&events),
        ["library.scan.started", "library.scan.ended"]
    );
}

#[test]
fn the_same_activity_ended_twice_yields_one_event() {
    let mut f = Feed::new();
    f.push(activity("started", "u2", "media.generate.bif", None));
    assert_eq!(
        names(&f.push(activity("updated", "u2", "media.generate.bif", None))),
        ["activity.updated"]
    );
    assert_eq!(
        names(&f.push(activity("ended", "u2", "media.generate.bif", None))),
        ["activity.ended"]
    );
    assert!(
        f.push(activity("ended", "u2", "media.generate.bif", None))
            .is_empty()
    );
    assert!(
        f.push(activity("updated", "u2", "media.generate.bif", None))
            .is_empty()
    );
}

#[test]
fn refresh_children_key_names_the_item() {
    let mut f = Feed::new();
    f.push(activity("started", "u3", "library.refresh.items", None));
    let events = f.push(activity(
        "updated",
        "u3",
        "library.refresh.items",
        Some(json!({"key": "/library/metadata/16417/children"})),
    ));
    assert_eq!(names(&events), ["library.refresh.started"]);
    assert_eq!(events[0].item.as_ref().unwrap().id, "16417");
}

// ---- reconciliation -------------------------------------------------------

#[test]
fn session_stopped_while_away_is_stopped_once() {
    let mut f = Feed::new();
    f.n.reconcile_sessions(&[], f.now);
    f.push(playing("1", "100", "playing"));
    let events = f.n.reconcile_sessions(&[], f.now);
    assert_eq!(names(&events), ["playback.stopped"]);
    assert!(events[0].synthetic);
    assert!(f.n.reconcile_sessions(&[], f.now).is_empty());
    assert!(f.push(playing("1", "100", "stopped")).is_empty());
    assert!(f.advance(Duration::from_secs(600)).is_empty());
}

#[test]
fn reconnect_does_not_duplicate_stop() {
    let mut f = Feed::new();
    f.n.reconcile_sessions(&[], f.now);
    f.push(playing("1", "100", "playing"));
    assert_eq!(
        names(&f.push(playing("1", "100", "stopped"))),
        ["playback.stopped"]
    );
    // /status/sessions can lag behind the stop frame.
    assert!(
        f.n.reconcile_sessions(&[live("1", "100", "playing")], f.now)
            .is_empty()
    );
    assert!(f.n.reconcile_sessions(&[], f.now).is_empty());
}

#[test]
fn first_reconciliation_tracks_silently_and_later_ones_announce() {
    let mut f = Feed::new();
    assert!(
        f.n.reconcile_sessions(&[live("1", "100", "playing")], f.now)
            .is_empty()
    );
    // Tracked all the same: its stop is announced.
    assert_eq!(
        names(&f.push(playing("1", "100", "stopped"))),
        ["playback.stopped"]
    );
    let events = f.n.reconcile_sessions(&[live("2", "200", "paused")], f.now);
    assert_eq!(names(&events), ["playback.started"]);
    assert!(events[0].synthetic);
    let e = &events[0];
    assert_eq!(e.section.as_ref().unwrap().id, "1");
    assert_eq!(e.item.as_ref().unwrap().title.as_deref(), Some("Heat"));
    assert_eq!(e.session.as_ref().unwrap().state, "paused");
    // The missed resume shows up on the next reconciliation.
    assert_eq!(
        names(&f.n.reconcile_sessions(&[live("2", "200", "playing")], f.now)),
        ["playback.resumed"]
    );
}

#[test]
fn activity_gone_while_away_ends_once() {
    let mut f = Feed::new();
    f.n.reconcile_activities(&[], f.now);
    f.push(activity(
        "started",
        "s1",
        "library.update.section",
        Some(json!({"librarySectionID": "2"})),
    ));
    f.push(activity("started", "g1", "media.generate.intros", None));
    let events = f.n.reconcile_activities(&[], f.now);
    assert_eq!(names(&events), ["activity.ended", "library.scan.ended"]);
    assert!(events.iter().all(|e| e.synthetic));
    assert_eq!(events[1].section.as_ref().unwrap().id, "2");
    assert!(f.n.reconcile_activities(&[], f.now).is_empty());
    assert!(
        f.push(activity("ended", "s1", "library.update.section", None))
            .is_empty()
    );
}

#[test]
fn activity_ended_live_is_not_revived_by_a_lagging_listing() {
    let mut f = Feed::new();
    f.n.reconcile_activities(&[], f.now);
    f.push(activity("started", "g1", "media.generate.bif", None));
    f.push(activity("ended", "g1", "media.generate.bif", None));
    let listing = [LiveActivity {
        uuid: "g1".into(),
        kind: "media.generate.bif".into(),
        ..LiveActivity::default()
    }];
    assert!(f.n.reconcile_activities(&listing, f.now).is_empty());
    let fresh = [LiveActivity {
        uuid: "s9".into(),
        kind: "library.update.section".into(),
        section_id: Some("4".into()),
        ..LiveActivity::default()
    }];
    let events = f.n.reconcile_activities(&fresh, f.now);
    assert_eq!(names(&events), ["library.scan.started"]);
    assert!(events[0].synthetic);
}

#[test]
fn items_added_while_away_are_added_once() {
    let mut f = Feed::new();
    let item = |id: &str, at: i64| AddedItem {
        id: id.into(),
        section_id: "1".into(),
        kind: Some("movie".into()),
        title: Some(id.into()),
        added_at: at,
    };
    let (events, mark) = f.n.reconcile_added(&[item("old", 100)], None, f.now);
    assert!(
        events.is_empty(),
        "the first run has no watermark: nothing is news"
    );
    assert_eq!(mark, Some(100));
    f.push(timeline(lib_entry(
        json!("1"),
        json!("live"),
        0,
        Some("created"),
    )));
    let (events, mark) = f.n.reconcile_added(
        &[
            item("old", 100),
            item("live", 150),
            item("new", 160),
            item("same-second", 100),
        ],
        mark,
        f.now,
    );
    let ids: Vec<&str> = events
        .iter()
        .map(|e| e.item.as_ref().unwrap().id.as_str())
        .collect();
    assert_eq!(ids, ["same-second", "new"]);
    assert!(
        events
            .iter()
            .all(|e| e.synthetic && e.name == EventName::ItemAdded)
    );
    assert_eq!(mark, Some(160));
    let (events, _) = f.n.reconcile_added(&[item("new", 160)], mark, f.now);
    assert!(events.is_empty());
}

#[test]
fn server_restart_resets_sessions() {
    let mut f = Feed::new();
    assert!(f.n.observe_identity("m1", "start-a", f.now).is_empty());
    f.push(playing("1", "100", "playing"));
    f.push(activity("started", "g1", "media.generate.bif", None));
    assert!(
        f.n.observe_identity("m1", "start-a", f.now).is_empty(),
        "same server, no restart"
    );
    let events = f.n.observe_identity("m1", "start-b", f.now);
    assert_eq!(
        names(&events),
        ["server.restarted", "playback.stopped", "activity.ended"]
    );
    assert!(events[1].synthetic && events[2].synthetic);
    assert_eq!(events[0].server.as_ref().unwrap().machine_identifier, "m1");
    // The new server instance reuses session key 1: a new session.
    assert_eq!(
        names(&f.push(playing("1", "300", "playing"))),
        ["playback.started"]
    );
    assert_eq!(
        names(&f.push(playing("1", "300", "stopped"))),
        ["playback.stopped"]
    );
    assert!(
        !f.n.observe_identity("m2", "start-b", f.now).is_empty(),
        "a replaced server counts too"
    );
}

// ---- loop guard -----------------------------------------------------------

#[test]
fn own_refresh_is_marked_caused_by_self() {
    let causes = SelfCauses::new();
    let mut f = Feed::with_causes(causes.clone());
    // The action layer, about to refresh item 513.
    causes.touching_item_at("513", Duration::from_secs(60), f.now);
    let mut events = Vec::new();
    events.extend(f.push(activity("started", "c30c", "library.refresh.items", None)));
    events.extend(f.push(activity(
        "updated",
        "c30c",
        "library.refresh.items",
        Some(json!({"key": "/library/metadata/513"})),
    )));
    f.now += Duration::from_secs(90); // past the item window: the activity stays ours
    events.extend(f.push(activity(
        "ended",
        "c30c",
        "library.refresh.items",
        Some(json!({"key": "/library/metadata/513"})),
    )));
    assert_eq!(
        names(&events),
        ["library.refresh.started", "library.refresh.ended"]
    );
    assert!(events.iter().all(|e| e.caused_by_self), "{events:?}");
    // A state-5 for the item after the window is somebody else's edit.
    let later = f.push(timeline(lib_entry(json!("1"), json!("513"), 5, None)));
    assert!(!later[0].caused_by_self);
}

#[test]
fn own_write_marks_only_its_item_within_the_window() {
    let causes = SelfCauses::new();
    let mut f = Feed::with_causes(causes.clone());
    causes.touching_item_at("513", Duration::from_secs(30), f.now);
    f.now += Duration::from_secs(5);
    let ours = f.push(timeline(lib_entry(json!("1"), json!("513"), 5, None)));
    let theirs = f.push(timeline(lib_entry(json!("1"), json!("514"), 5, None)));
    assert!(ours[0].caused_by_self);
    assert!(!theirs[0].caused_by_self);
    f.now += Duration::from_secs(30);
    assert!(!f.push(timeline(lib_entry(json!("1"), json!("513"), 5, None)))[0].caused_by_self);
}

#[test]
fn own_activity_uuid_marks_all_its_events() {
    let causes = SelfCauses::new();
    let mut f = Feed::with_causes(causes.clone());
    causes.activity_at("a-1", f.now);
    let events = f.push(activity("started", "a-1", "media.generate.bif", None));
    assert!(events[0].caused_by_self);
    assert!(!f.push(activity("started", "a-2", "media.generate.bif", None))[0].caused_by_self);
}

#[test]
fn own_scan_marks_the_scan_but_not_the_items_it_finds() {
    let causes = SelfCauses::new();
    let mut f = Feed::with_causes(causes.clone());
    causes.touching_section_at("3", Duration::from_secs(60), f.now);
    let scan = f.push(activity(
        "started",
        "s",
        "library.update.section",
        Some(json!({"librarySectionID": "3"})),
    ));
    let found = f.push(timeline(lib_entry(
        json!("3"),
        json!("77"),
        0,
        Some("created"),
    )));
    assert!(scan[0].caused_by_self);
    assert!(!found[0].caused_by_self, "rules must still see new items");
}

#[tokio::test(start_paused = true)]
async fn registrations_follow_the_tokio_clock() {
    let causes = SelfCauses::new();
    let n = Normalizer::new(NormalizerConfig::default()).with_self_causes(causes.clone());
    let mut n = n;
    causes.touching_item("42", Duration::from_secs(10));
    tokio::time::advance(Duration::from_secs(5)).await;
    let now = tokio::time::Instant::now().into_std();
    let ours = timeline(lib_entry(json!("1"), json!("42"), 5, None));
    assert!(n.ingest(&ours[0], now)[0].caused_by_self);
    tokio::time::advance(Duration::from_secs(6)).await;
    let now = tokio::time::Instant::now().into_std();
    assert!(!n.ingest(&ours[0], now)[0].caused_by_self);
}

// ---- properties -----------------------------------------------------------

mod properties {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    #[derive(Debug, Clone)]
    enum Step {
        Frame {
            key: u8,
            rk: u8,
            state: u8,
            client: Option<u8>,
        },
        Wait(u16),
        Reconcile(Vec<(u8, u8, u8)>),
        Restart,
        Other(u8, u8, u8),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            6 => (0u8..4, 0u8..3, 0u8..6, proptest::option::of(0u8..2))
                .prop_map(|(key, rk, state, client)| Step::Frame { key, rk, state, client }),
            2 => (0u16..400).prop_map(Step::Wait),
            1 => prop::collection::vec((0u8..4, 0u8..3, 0u8..3), 0..3).prop_map(Step::Reconcile),
            1 => Just(Step::Restart),
            2 => (0u8..3, 0u8..4, 0u8..12).prop_map(|(a, b, c)| Step::Other(a, b, c)),
        ]
    }

    const STATES: [&str; 6] = [
        "playing",
        "paused",
        "buffering",
        "stopped",
        "error",
        "weird",
    ];

    fn run(steps: &[Step]) -> Vec<Event> {
        let mut f = Feed::new();
        // The start-up reconciliation tracks what is live without announcing
        // it (the previous process did); start from a reconnect state so
        // every session this run sees is announced.
        f.n.reconcile_sessions(&[], f.now);
        let mut out = Vec::new();
        let mut marker = 0;
        for s in steps {
            match s {
                Step::Frame {
                    key,
                    rk,
                    state,
                    client,
                } => {
                    let mut entry = json!({"sessionKey": key.to_string(), "ratingKey": rk.to_string(), "state": STATES[*state as usize]});
                    if let Some(c) = client {
                        entry["clientIdentifier"] = json!(c.to_string());
                    }
                    out.extend(f.push(frame(
                        "playing",
                        "PlaySessionStateNotification",
                        json!([entry]),
                    )));
                }
                Step::Wait(secs) => out.extend(f.advance(Duration::from_secs(u64::from(*secs)))),
                Step::Reconcile(live_list) => {
                    let list: Vec<LiveSession> = live_list
                        .iter()
                        .map(|(k, rk, st)| {
                            live(&k.to_string(), &rk.to_string(), STATES[*st as usize])
                        })
                        .collect();
                    out.extend(f.n.reconcile_sessions(&list, f.now));
                }
                Step::Restart => {
                    marker += 1;
                    out.extend(f.n.observe_identity("m", &marker.to_string(), f.now));
                }
                Step::Other(kind, uuid, x) => {
                    let ns = match kind {
                        0 => activity(
                            ["started", "updated", "ended", "odd"][*x as usize % 4],
                            &uuid.to_string(),
                            ["library.update.section", "library.refresh.items", "x"]
                                [*x as usize % 3],
                            Some(
                                json!({"librarySectionID": x.to_string(), "key": format!("/library/metadata/{x}")}),
                            ),
                        ),
                        1 => timeline(lib_entry(
                            json!(x % 3),
                            json!(uuid),
                            i64::from(*x),
                            [None, Some("created"), Some("deleted")]
                                .get(*x as usize % 3)
                                .copied()
                                .flatten(),
                        )),
                        _ => frame("status", "StatusNotification", json!([{"title": x}])),
                    };
                    out.extend(f.push(ns));
                }
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn starts_and_stops_alternate_per_session(steps in prop::collection::vec(step(), 0..60)) {
            let events = run(&steps);
            // Per session key: started, then at most one stopped, then maybe
            // started again — never a stop without a start, never two stops.
            let mut open: HashMap<String, bool> = HashMap::new();
            for e in &events {
                let Some(s) = &e.session else { continue };
                let is_open = open.entry(s.key.clone()).or_default();
                match e.name {
                    EventName::PlaybackStarted => {
                        prop_assert!(!*is_open, "started twice for {}: {:?}", s.key, names(&events));
                        *is_open = true;
                    }
                    EventName::PlaybackStopped => {
                        prop_assert!(*is_open, "stop without start for {}: {:?}", s.key, names(&events));
                        *is_open = false;
                    }
                    _ => prop_assert!(*is_open, "{} on a closed session {}", e.name, s.key),
                }
            }
        }

        #[test]
        fn activities_end_at_most_once(steps in prop::collection::vec(step(), 0..60)) {
            let events = run(&steps);
            let mut ended = std::collections::HashSet::new();
            for e in &events {
                if matches!(e.name, EventName::ActivityEnded | EventName::LibraryScanEnded | EventName::LibraryRefreshEnded) {
                    let uuid = e.activity.as_ref().unwrap().uuid.clone();
                    prop_assert!(ended.insert(uuid), "{:?}", names(&events));
                }
            }
        }
    }
}

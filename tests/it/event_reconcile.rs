//! Reconciliation after (re)connects and server restarts: what was missed
//! is emitted once, and nothing seen live is emitted again.

use std::time::Duration;

use metarr_plex::event::{AddedItem, EventName, LiveActivity};
use serde_json::json;

use crate::event_feed::*;

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
fn a_key_stopped_before_a_reconnect_plays_again_as_a_new_session() {
    let mut f = Feed::new();
    f.n.reconcile_sessions(&[], f.now);
    f.push(playing("1", "100", "playing"));
    f.push(playing("1", "100", "stopped"));
    // Same connection: a late frame is an echo of the stop.
    assert!(f.push(playing("1", "100", "playing")).is_empty());
    // Plex restarted within seconds (too fast for `server.restarted`) and
    // hands key 1 to a new playback of the same item.
    f.advance(Duration::from_secs(5));
    assert!(f.n.reconcile_sessions(&[], f.now).is_empty());
    let events = f.push(playing("1", "100", "playing"));
    assert_eq!(names(&events), ["playback.started"]);
    assert_eq!(
        names(&f.push(playing("1", "100", "stopped"))),
        ["playback.stopped"]
    );
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

//! Shared helpers for the normalizer tests: frames built the way Plex
//! sends them, and a normalizer with a hand-driven clock.

use std::time::{Duration, Instant};

use metarr_plex::event::{Event, LiveSession, Normalizer, NormalizerConfig, SelfCauses};
use metarr_plex::plex::notification::{Notification, parse_frame};
use serde_json::{Value, json};

pub fn frame(kind: &str, child: &str, entries: Value) -> Vec<Notification> {
    let text =
        json!({"NotificationContainer": {"type": kind, "size": 1, child: entries}}).to_string();
    parse_frame(&text).unwrap()
}

pub fn playing(key: &str, rk: &str, state: &str) -> Vec<Notification> {
    frame(
        "playing",
        "PlaySessionStateNotification",
        json!([{"sessionKey": key, "ratingKey": rk, "state": state, "key": format!("/library/metadata/{rk}"), "viewOffset": 1000}]),
    )
}

pub fn playing_on(key: &str, rk: &str, state: &str, client: &str) -> Vec<Notification> {
    frame(
        "playing",
        "PlaySessionStateNotification",
        json!([{"sessionKey": key, "ratingKey": rk, "state": state, "clientIdentifier": client}]),
    )
}

pub fn timeline(entry: Value) -> Vec<Notification> {
    frame("timeline", "TimelineEntry", json!([entry]))
}

pub fn activity(event: &str, uuid: &str, kind: &str, context: Option<Value>) -> Vec<Notification> {
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

pub fn lib_entry(section: Value, item: Value, state: i64, metadata_state: Option<&str>) -> Value {
    let mut e = json!({"identifier": "com.plexapp.plugins.library", "sectionID": section, "itemID": item, "type": 1, "title": "", "state": state});
    if let Some(m) = metadata_state {
        e["metadataState"] = json!(m);
    }
    e
}

/// A normalizer and a clock, fed frame by frame.
pub struct Feed {
    pub n: Normalizer,
    pub now: Instant,
}

impl Feed {
    pub fn new() -> Feed {
        Feed {
            n: Normalizer::new(NormalizerConfig::default()),
            now: Instant::now(),
        }
    }

    pub fn with_causes(causes: SelfCauses) -> Feed {
        let mut f = Feed::new();
        f.n = Normalizer::new(NormalizerConfig::default()).with_self_causes(causes);
        f
    }

    pub fn push(&mut self, ns: Vec<Notification>) -> Vec<Event> {
        ns.iter().flat_map(|n| self.n.ingest(n, self.now)).collect()
    }

    pub fn advance(&mut self, d: Duration) -> Vec<Event> {
        self.now += d;
        self.n.tick(self.now)
    }
}

pub fn names(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(|e| e.name.as_str()).collect()
}

pub fn session_key(e: &Event) -> &str {
    &e.session.as_ref().unwrap().key
}

pub fn live(key: &str, rk: &str, state: &str) -> LiveSession {
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

//! Notifications the simulator pushes to WebSocket listeners, built in the
//! shapes of PROTOCOL.md §2, and the hub that fans them out.
//!
//! Every notification is built with string ids (modern PMS); a socket opened
//! on a simulator configured for numeric ids converts them when it sends
//! (see [`numeric_ids`]).

use serde_json::{Map, Value, json};
use tokio::sync::broadcast;

use super::activity::Activity;
use super::item::SimItem;

/// One notification: its `type` and its child entries.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// The `NotificationContainer.type` (`timeline`, `activity`, …).
    pub kind: String,
    /// The full frame, `{"NotificationContainer":{…}}`.
    pub frame: Value,
}

impl Notification {
    /// Wraps entries under the child key Plex uses for `kind`.
    pub fn new(kind: &str, child_key: &str, entries: Vec<Value>) -> Notification {
        let mut container = Map::new();
        container.insert("type".into(), Value::from(kind));
        container.insert("size".into(), Value::from(entries.len()));
        container.insert(child_key.into(), Value::Array(entries));
        Notification {
            kind: kind.to_owned(),
            frame: json!({ "NotificationContainer": container }),
        }
    }
}

/// Fans notifications out to every open socket. Sending with no socket open
/// is not an error: Plex does not queue notifications for absent listeners.
#[derive(Debug, Clone)]
pub(crate) struct Hub {
    tx: broadcast::Sender<Notification>,
}

impl Hub {
    pub(crate) fn new() -> Hub {
        let (tx, _) = broadcast::channel(4096);
        Hub { tx }
    }

    pub(crate) fn send(&self, n: Notification) {
        let _ = self.tx.send(n);
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Notification> {
        self.tx.subscribe()
    }
}

/// `activity` with `event` `started` / `updated` / `ended`.
pub(crate) fn activity(event: &str, a: &Activity) -> Notification {
    let entry = json!({ "event": event, "uuid": a.uuid, "Activity": a.to_json() });
    Notification::new("activity", "ActivityNotification", vec![entry])
}

/// `status` (e.g. `LIBRARY_UPDATE`, "Scanning the "Movies" section").
pub(crate) fn status(name: &str, title: &str, description: &str) -> Notification {
    let entry = json!({ "title": title, "description": description, "notificationName": name });
    Notification::new("status", "StatusNotification", vec![entry])
}

/// `progress` (e.g. "Scanning Arrival").
pub(crate) fn progress(message: &str) -> Notification {
    Notification::new(
        "progress",
        "ProgressNotification",
        vec![json!({ "message": message })],
    )
}

/// What a timeline entry says about an item's processing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimelineState {
    pub(crate) state: u8,
    pub(crate) metadata_state: Option<&'static str>,
    pub(crate) media_state: Option<&'static str>,
}

pub(crate) const CREATED: TimelineState = TimelineState {
    state: 0,
    metadata_state: Some("created"),
    media_state: None,
};
pub(crate) const PROCESSING: TimelineState = TimelineState {
    state: 1,
    metadata_state: Some("processing"),
    media_state: None,
};
pub(crate) const ANALYZING: TimelineState = TimelineState {
    state: 5,
    metadata_state: None,
    media_state: Some("analyzing"),
};
pub(crate) const DONE: TimelineState = TimelineState {
    state: 5,
    metadata_state: None,
    media_state: None,
};
pub(crate) const DELETED: TimelineState = TimelineState {
    state: 9,
    metadata_state: Some("deleted"),
    media_state: None,
};

/// `timeline` for one item in one processing state.
pub(crate) fn timeline(item: &SimItem, root: Option<&str>, st: TimelineState) -> Notification {
    let mut e = Map::new();
    e.insert("identifier".into(), "com.plexapp.plugins.library".into());
    e.insert("sectionID".into(), item.section_id.clone().into());
    e.insert("itemID".into(), item.rating_key.clone().into());
    if let Some(p) = &item.parent {
        e.insert("parentItemID".into(), p.clone().into());
    }
    if let Some(r) = root {
        e.insert("rootItemID".into(), r.into());
    }
    e.insert("type".into(), item.kind.code().into());
    // Plex sends an empty title on the "created" entry and fills it later.
    let title = if st.state == 0 {
        ""
    } else {
        item.title.as_str()
    };
    e.insert("title".into(), title.into());
    e.insert("state".into(), st.state.into());
    if let Some(m) = st.metadata_state {
        e.insert("metadataState".into(), m.into());
    }
    if let Some(m) = st.media_state {
        e.insert("mediaState".into(), m.into());
    }
    e.insert("updatedAt".into(), item.updated_at.into());
    Notification::new("timeline", "TimelineEntry", vec![Value::Object(e)])
}

/// The id fields PMS versions disagree on; old servers send them as numbers.
const ID_FIELDS: &[&str] = &[
    "sectionID",
    "itemID",
    "parentItemID",
    "rootItemID",
    "librarySectionID",
    "sessionKey",
    "ratingKey",
];

/// Rewrites digit-only string ids as JSON numbers, the way pre-2020 servers
/// sent them, so listeners are exercised with both forms.
pub(crate) fn numeric_ids(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) if ID_FIELDS.contains(&k.as_str()) => s
                            .parse::<i64>()
                            .map(Value::from)
                            .unwrap_or_else(|_| v.clone()),
                        other => numeric_ids(other),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(numeric_ids).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_mode_turns_digit_ids_into_numbers_only() {
        let n = status("LIBRARY_UPDATE", "t", "d");
        assert_eq!(n.frame["NotificationContainer"]["size"], 1);
        let v = json!({"a":[{"itemID":"12","ratingKey":"com.gracenote://x","title":"12"}]});
        let out = numeric_ids(&v);
        assert_eq!(out["a"][0]["itemID"], json!(12));
        assert_eq!(out["a"][0]["ratingKey"], json!("com.gracenote://x"));
        assert_eq!(out["a"][0]["title"], json!("12"));
    }
}

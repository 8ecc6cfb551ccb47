//! Normalized events: what rules see instead of raw Plex notifications.
//!
//! The listener turns each raw notification into zero or more [`Event`]s with
//! a stable [`EventName`], the section and item they concern, and the raw
//! payload for escape hatches. Rule files are written against this shape, so
//! it is a public contract: fields are only ever added, never renamed.

mod activity;
mod library;
mod name;
mod normalize;
mod playback;
mod recent;
mod reconcile;
mod section_map;
mod self_cause;
mod stamp;

pub use name::{EventName, Subject};
pub use normalize::{Normalizer, NormalizerConfig};
pub use reconcile::{AddedItem, LiveActivity, LiveSession, TouchedItem};
pub use self_cause::SelfCauses;

use serde::{Deserialize, Serialize};

pub use crate::plex::notification::RawEntry;

/// One normalized event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Unique id (UUID v4), logged with every rule run and action it causes.
    pub id: String,
    /// The stable event name, e.g. `playback.stopped`.
    pub name: EventName,
    /// When the daemon received (or synthesized) the event, RFC 3339 UTC.
    pub timestamp: String,
    /// The Plex server the event came from, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerRef>,
    /// The library section, for item, scan and playback events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<SectionRef>,
    /// The library item, for item, refresh and playback events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<ItemRef>,
    /// The playback session, for `playback.*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<SessionRef>,
    /// The server activity, for `library.scan.*`, `library.refresh.*` and `activity.*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<ActivityRef>,
    /// The raw notification type (`playing`, `timeline`, …), for `notification` events
    /// and as a hint on the others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_type: Option<String>,
    /// True when the event was inferred rather than received as it happened:
    /// reconciliation after a reconnect, a session's stale timeout, or the
    /// sessions and activities a server restart ended.
    #[serde(default)]
    pub synthetic: bool,
    /// True when one of our own actions caused it (the loop guard); rules
    /// ignore such events unless they opt in.
    #[serde(default)]
    pub caused_by_self: bool,
    /// The raw notification entry (or REST object) the event was built from.
    /// Kept as the text Plex sent and only parsed when read: most events
    /// are printed or journaled without anyone looking inside.
    #[serde(default)]
    pub raw: RawEntry,
}

impl Event {
    /// A new event with a fresh id and the current time; the caller fills in
    /// the parts that apply.
    pub fn new(name: EventName) -> Event {
        Event {
            id: new_event_id(),
            name,
            timestamp: now_rfc3339(),
            server: None,
            section: None,
            item: None,
            session: None,
            activity: None,
            notification_type: None,
            synthetic: false,
            caused_by_self: false,
            raw: RawEntry::default(),
        }
    }
}

/// The server an event came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerRef {
    /// `machineIdentifier` from `/identity`; changes only with a new install.
    pub machine_identifier: String,
    /// The server version, e.g. `1.41.3.9314-a0bfb8370`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// A library section as rules see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionRef {
    /// The section id (`librarySectionID`), always a string.
    pub id: String,
    /// The section title, e.g. `Movies`, when known from the section cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `movie`, `show`, `artist` or `photo`, when known.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// A library item as rules see it before any metadata fetch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemRef {
    /// The ratingKey, always a string (may be a Live TV URI).
    pub id: String,
    /// `movie`, `show`, `season`, `episode`, `artist`, `album`, `track`, `clip`…
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The title, when the notification carried one (often empty on creation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Season or album id, for episodes and tracks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// Show or artist id, for episodes and tracks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grandparent_id: Option<String>,
}

/// A playback session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRef {
    /// Plex's `sessionKey`; reused after a server restart.
    pub key: String,
    /// `playing`, `paused`, `buffering` or `stopped`.
    pub state: String,
    /// Position in milliseconds, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view_offset_ms: Option<u64>,
    /// The player's machine id, when the server sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_identifier: Option<String>,
}

/// A server activity (scan, refresh, analysis…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityRef {
    /// The activity uuid; the same value Plex returns in `X-Plex-Activity`.
    pub uuid: String,
    /// The activity type, e.g. `library.update.section`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `started`, `updated` or `ended`.
    pub event: String,
    /// The activity title, e.g. `Scanning`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What it is working on now (a folder, a refresh phase).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtitle: Option<String>,
    /// 0–100, or -1 when Plex cannot tell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<i64>,
}

/// A fresh UUID v4 for an event.
///
/// Event ids only need to be unique, not unguessable, so they come from the
/// thread-local `fastrand` generator instead of a system call per event.
fn new_event_id() -> String {
    uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes())
        .into_uuid()
        .to_string()
}

/// The current time as RFC 3339 UTC with seconds precision.
///
/// Events arrive in bursts within one second; the text is formatted once per
/// second per thread and cloned after that.
pub fn now_rfc3339() -> String {
    use std::cell::RefCell;
    use std::time::{SystemTime, UNIX_EPOCH};

    thread_local! {
        static LAST: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
    }
    let now = SystemTime::now();
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    LAST.with_borrow_mut(|(last_secs, text)| {
        if *last_secs != secs {
            *text = humantime::format_rfc3339_seconds(now).to_string();
            *last_secs = secs;
        }
        text.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_are_distinct_v4_uuids() {
        let a = Event::new(EventName::ItemAdded);
        let b = Event::new(EventName::ItemAdded);
        assert_ne!(a.id, b.id);
        let parsed = uuid::Uuid::parse_str(&a.id).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        let t = now_rfc3339();
        assert!(humantime::parse_rfc3339(&t).is_ok(), "{t}");
        assert!(t.ends_with('Z'), "{t}");
    }
}

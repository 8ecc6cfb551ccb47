//! Reading containers: the WebSocket frame, the historic `_children` form,
//! the bare container python-plexapi hands out, and SSE `data:` lines.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::{FrameError, Notification, TranscodePhase};

/// How to read the entries of one known notification type.
struct Kind {
    notification_type: &'static str,
    child_key: &'static str,
    read: fn(Value) -> Result<Notification, serde_json::Error>,
}

/// Entry structs keep the JSON they were read from.
trait WithRaw: DeserializeOwned {
    fn set_raw(&mut self, raw: Value);
}

macro_rules! with_raw {
    ($($t:ty),*) => {$(
        impl WithRaw for $t {
            fn set_raw(&mut self, raw: Value) {
                self.raw = raw;
            }
        }
    )*};
}

with_raw!(
    super::PlaySessionState,
    super::TimelineEntry,
    super::ActivityNotification,
    super::StatusNotification,
    super::ProgressNotification,
    super::ReachabilityNotification,
    super::BackgroundProcessingQueueEvent,
    super::TranscodeSession,
    super::Setting,
    super::AutoUpdate,
    super::AccountUpdate,
    super::MediaProviderContent,
    super::LogSent
);

/// Reads a typed view of `entry` (borrowing from it), then moves `entry` in as `raw`.
fn typed<T: WithRaw>(entry: Value) -> Result<T, serde_json::Error> {
    let mut t = T::deserialize(&entry)?;
    t.set_raw(entry);
    Ok(t)
}

macro_rules! kind {
    ($ty:literal, $key:literal, $variant:ident) => {
        Kind {
            notification_type: $ty,
            child_key: $key,
            read: |v| typed(v).map(Notification::$variant),
        }
    };
    ($ty:literal, $key:literal, transcode $phase:ident) => {
        Kind {
            notification_type: $ty,
            child_key: $key,
            read: |v| {
                typed(v).map(|session| Notification::Transcode {
                    phase: TranscodePhase::$phase,
                    session,
                })
            },
        }
    };
}

/// PROTOCOL §2: notification type → child key → typed entry.
const KINDS: &[Kind] = &[
    kind!("playing", "PlaySessionStateNotification", Playing),
    kind!("timeline", "TimelineEntry", Timeline),
    kind!("activity", "ActivityNotification", Activity),
    kind!("status", "StatusNotification", Status),
    kind!("progress", "ProgressNotification", Progress),
    kind!("reachability", "ReachabilityNotification", Reachability),
    kind!(
        "backgroundProcessingQueue",
        "BackgroundProcessingQueueEventNotification",
        BackgroundProcessingQueue
    ),
    kind!("transcodeSession.start", "TranscodeSession", transcode Start),
    kind!("transcodeSession.update", "TranscodeSession", transcode Update),
    kind!("transcodeSession.end", "TranscodeSession", transcode End),
    kind!("preference", "Setting", Preference),
    kind!(
        "update.statechange",
        "AutoUpdateNotification",
        UpdateStateChange
    ),
    kind!("account", "AccountUpdateNotification", Account),
    kind!(
        "provider.content.change",
        "MediaProviderContentNotification",
        ProviderContentChange
    ),
    kind!("log", "LogSentNotification", Log),
];

/// Reads one WebSocket text frame into one notification per entry.
///
/// Accepts `{"NotificationContainer":{…}}`, a bare container (what
/// python-plexapi passes on), and the pre-2017 `_children` entry list. Fails
/// on the first unreadable entry; use [`parse_frame_entries`] to keep the
/// readable entries of a partly bad frame.
pub fn parse_frame(text: &str) -> Result<Vec<Notification>, FrameError> {
    parse_frame_entries(text)?.into_iter().collect()
}

/// Like [`parse_frame`], but an entry with an unexpected shape fails alone:
/// the outer error is for the frame, the inner ones for single entries.
pub fn parse_frame_entries(
    text: &str,
) -> Result<Vec<Result<Notification, FrameError>>, FrameError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| FrameError::NotJson(e.to_string()))?;
    let Value::Object(mut root) = value else {
        return Err(FrameError::NoContainer);
    };
    let container = match root.remove("NotificationContainer") {
        Some(Value::Object(c)) => c,
        Some(_) => return Err(FrameError::NoContainer),
        None if root.contains_key("type") => root,
        None => return Err(FrameError::NoContainer),
    };
    read_container(container)
}

/// Reads one Server-Sent Event: `event:` is the notification type, `data:`
/// is `{"<ChildKey>":{…}}` (a single object, no wrapper). `ping` events
/// carry nothing and yield no notification.
pub fn parse_sse(event: &str, data: &str) -> Result<Vec<Notification>, FrameError> {
    if event == "ping" {
        return Ok(Vec::new());
    }
    if event.is_empty() || event == "message" {
        // No type on the event line: the data must say it itself.
        return parse_frame(data);
    }
    let value: Value =
        serde_json::from_str(data).map_err(|e| FrameError::NotJson(e.to_string()))?;
    let Value::Object(mut container) = value else {
        return Err(FrameError::NoContainer);
    };
    container.insert("type".to_owned(), Value::String(event.to_owned()));
    read_container(container)?.into_iter().collect()
}

fn read_container(
    mut container: Map<String, Value>,
) -> Result<Vec<Result<Notification, FrameError>>, FrameError> {
    let notification_type = match container.remove("type") {
        Some(Value::String(t)) => t,
        _ => return Err(FrameError::NoType),
    };
    let Some(kind) = KINDS
        .iter()
        .find(|k| k.notification_type == notification_type)
    else {
        return Ok(read_unknown(notification_type, container));
    };
    let entries = match container
        .remove(kind.child_key)
        .or_else(|| container.remove("_children"))
    {
        Some(entries) => entries,
        None if is_empty_container(&container) => return Ok(Vec::new()),
        None => {
            return Err(FrameError::MissingEntries {
                notification_type,
                child_key: kind.child_key,
            });
        }
    };
    let entries = match entries {
        Value::Array(list) => list,
        // SSE sends the child as one object; accept it on the WebSocket too.
        object @ Value::Object(_) => vec![object],
        _ => return Err(FrameError::EntriesNotAList { notification_type }),
    };
    Ok(entries
        .into_iter()
        .enumerate()
        .map(|(index, entry)| {
            (kind.read)(entry).map_err(|e| FrameError::BadEntry {
                notification_type: notification_type.clone(),
                index,
                reason: e.to_string(),
            })
        })
        .collect())
}

/// `size: 0` (or nothing at all besides the type) is an empty notification, not a broken one.
fn is_empty_container(container: &Map<String, Value>) -> bool {
    match container.get("size") {
        Some(size) => size.as_u64() == Some(0) || size.as_str() == Some("0"),
        None => container.is_empty(),
    }
}

/// An unknown type: every list (or object) under any key is taken as its
/// entries; a container with only scalars is one entry itself.
fn read_unknown(
    kind: String,
    mut container: Map<String, Value>,
) -> Vec<Result<Notification, FrameError>> {
    container.remove("size");
    let mut out = Vec::new();
    let mut scalars = Map::new();
    for (key, value) in container {
        match value {
            Value::Array(list) => out.extend(list.into_iter().map(|raw| {
                Ok(Notification::Unknown {
                    kind: kind.clone(),
                    raw,
                })
            })),
            raw @ Value::Object(_) => out.push(Ok(Notification::Unknown {
                kind: kind.clone(),
                raw,
            })),
            scalar => {
                scalars.insert(key, scalar);
            }
        }
    }
    if out.is_empty() {
        out.push(Ok(Notification::Unknown {
            kind,
            raw: Value::Object(scalars),
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_of_a_container_is_read() {
        let text = r#"{"NotificationContainer":{"type":"playing","size":2,"PlaySessionStateNotification":[
            {"sessionKey":"1","ratingKey":"10","state":"playing"},
            {"sessionKey":2,"ratingKey":20,"state":"paused"}]}}"#;
        let n = parse_frame(text).unwrap();
        assert_eq!(n.len(), 2);
        let Notification::Playing(second) = &n[1] else {
            panic!("{n:?}")
        };
        assert_eq!(second.session_key, "2");
        assert_eq!(second.rating_key.as_deref(), Some("20"));
        assert_eq!(second.raw["state"], "paused");
    }

    #[test]
    fn historic_children_form_is_read() {
        let text = r#"{"NotificationContainer":{"type":"playing","size":1,"_children":[
            {"_elementType":"PlaySessionStateNotification","sessionKey":"5","ratingKey":"7","state":"stopped"}]}}"#;
        let n = parse_frame(text).unwrap();
        assert!(matches!(&n[0], Notification::Playing(p) if p.session_key == "5"));
    }

    #[test]
    fn frame_errors_have_kinds() {
        let kind = |t: &str| parse_frame(t).unwrap_err().kind();
        assert_eq!(kind("not json"), "not_json");
        assert_eq!(kind("[1,2]"), "no_container");
        assert_eq!(kind(r#"{"NotificationContainer":3}"#), "no_container");
        assert_eq!(kind(r#"{"NotificationContainer":{"size":1}}"#), "no_type");
        assert_eq!(
            kind(r#"{"NotificationContainer":{"type":"playing","size":1}}"#),
            "missing_entries"
        );
        assert_eq!(
            kind(
                r#"{"NotificationContainer":{"type":"playing","size":1,"PlaySessionStateNotification":"x"}}"#
            ),
            "entries_not_a_list"
        );
        assert_eq!(
            kind(
                r#"{"NotificationContainer":{"type":"playing","size":1,"PlaySessionStateNotification":[{"state":"playing"}]}}"#
            ),
            "bad_entry"
        );
    }

    #[test]
    fn a_bad_entry_does_not_hide_the_good_ones() {
        let text = r#"{"NotificationContainer":{"type":"activity","size":2,"ActivityNotification":[
            {"event":"started"},
            {"event":"ended","uuid":"u","Activity":{"type":"x"}}]}}"#;
        let entries = parse_frame_entries(text).unwrap();
        assert!(matches!(
            entries[0],
            Err(FrameError::BadEntry { index: 0, .. })
        ));
        assert!(matches!(&entries[1], Ok(Notification::Activity(a)) if a.uuid == "u"));
    }

    #[test]
    fn empty_container_is_no_notification() {
        let text = r#"{"NotificationContainer":{"type":"timeline","size":0}}"#;
        assert_eq!(parse_frame(text).unwrap(), Vec::new());
    }

    #[test]
    fn unknown_types_keep_their_entries_raw() {
        let text = r#"{"NotificationContainer":{"type":"brand.new","size":2,"NewThing":[{"a":1},{"a":2}]}}"#;
        let n = parse_frame(text).unwrap();
        assert_eq!(n.len(), 2);
        assert_eq!(n[1].notification_type(), "brand.new");
        assert_eq!(n[1].raw()["a"], 2);
    }

    #[test]
    fn sse_ping_is_nothing_and_sse_data_is_one_entry() {
        assert!(parse_sse("ping", "{}").unwrap().is_empty());
        let n = parse_sse(
            "playing",
            r#"{"PlaySessionStateNotification":{"sessionKey":"45","ratingKey":"1","state":"paused"}}"#,
        )
        .unwrap();
        assert!(matches!(&n[0], Notification::Playing(p) if p.session_key == "45"));
    }
}

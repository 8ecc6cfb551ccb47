//! Reading containers: the WebSocket frame, the historic `_children` form,
//! the bare container python-plexapi hands out, and SSE `data:` lines.
//!
//! The frame is walked without building a JSON tree: the two container
//! levels are read as borrowed raw slices, each entry is deserialized
//! straight into its typed struct, and the entry's text is kept as
//! [`RawEntry`] for the (few) events that carry it.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use super::raw::RawEntry;
use super::{FrameError, Notification, TranscodePhase};

/// How to read the entries of one known notification type.
struct Kind {
    notification_type: &'static str,
    child_key: &'static str,
    read: fn(&str) -> Result<Notification, serde_json::Error>,
    /// Every entry of an array in one pass each; `None` if any one does
    /// not read (then `read` takes them one by one).
    read_all: fn(&str) -> Option<Vec<Notification>>,
}

/// Entry structs keep the JSON they were read from.
trait WithRaw: DeserializeOwned {
    fn set_raw(&mut self, raw: RawEntry);
}

macro_rules! with_raw {
    ($($t:ty),*) => {$(
        impl WithRaw for $t {
            fn set_raw(&mut self, raw: RawEntry) {
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

/// Reads the typed view of one entry and keeps its text.
fn typed<T: WithRaw>(entry: &str) -> Result<T, serde_json::Error> {
    let mut t: T = serde_json::from_str(entry)?;
    t.set_raw(RawEntry::new(entry));
    Ok(t)
}

/// Reads a JSON array of entries, each straight into its typed struct with
/// its text kept, or `None` if one of them does not read.
///
/// The common frame, one `[{…}]` entry, is then walked twice (the frame,
/// the entry) rather than three times: no separate pass splits the array
/// first, for each entry's end is where serde_json stopped reading it.
fn typed_all<T: WithRaw>(array: &str, wrap: fn(T) -> Notification) -> Option<Vec<Notification>> {
    let mut rest = array.trim_start().strip_prefix('[')?;
    let mut out = Vec::new();
    loop {
        rest = rest.trim_start();
        if rest.starts_with(']') {
            return Some(out);
        }
        if !out.is_empty() {
            rest = rest.strip_prefix(',')?.trim_start();
        }
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<T>();
        let mut entry = stream.next()?.ok()?;
        let end = stream.byte_offset();
        entry.set_raw(RawEntry::new(rest.get(..end)?));
        out.push(wrap(entry));
        rest = rest.get(end..)?;
    }
}

macro_rules! kind {
    ($ty:literal, $key:literal, $variant:ident) => {
        Kind {
            notification_type: $ty,
            child_key: $key,
            read: |v| typed(v).map(Notification::$variant),
            read_all: |a| typed_all(a, Notification::$variant),
        }
    };
    ($ty:literal, $key:literal, transcode $phase:ident) => {
        Kind {
            notification_type: $ty,
            child_key: $key,
            read_all: |a| {
                typed_all(a, |session| Notification::Transcode {
                    phase: TranscodePhase::$phase,
                    session,
                })
            },
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

/// A JSON string, borrowed from the frame unless it has escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(TextVisitor)
    }
}

/// The members of a JSON object, values left unparsed.
struct Fields<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for Fields<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct FieldsVisitor;
        impl<'de> Visitor<'de> for FieldsVisitor {
            type Value = Fields<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields<'de>, A::Error> {
                let mut fields = Vec::new();
                while let Some((Text(key), value)) = map.next_entry::<Text<'de>, &'de RawValue>()? {
                    fields.push((key, value));
                }
                Ok(Fields(fields))
            }
        }
        d.deserialize_map(FieldsVisitor)
    }
}

/// The top level of a frame: its members, with a `NotificationContainer`
/// read in the same pass (the frame text is walked once, not twice).
struct Root<'a> {
    container: Option<Fields<'a>>,
    fields: Fields<'a>,
}

impl<'de> Deserialize<'de> for Root<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct RootVisitor;
        impl<'de> Visitor<'de> for RootVisitor {
            type Value = Root<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Root<'de>, A::Error> {
                let mut root = Root {
                    container: None,
                    fields: Fields(Vec::new()),
                };
                while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
                    if key == "NotificationContainer" {
                        root.container = Some(map.next_value::<Fields<'de>>()?);
                    } else {
                        root.fields
                            .0
                            .push((key, map.next_value::<&'de RawValue>()?));
                    }
                }
                Ok(root)
            }
        }
        d.deserialize_map(RootVisitor)
    }
}

impl<'a> Fields<'a> {
    fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }
}

/// Reads `text` as `T`: not JSON is [`FrameError::NotJson`], JSON of
/// another shape is [`FrameError::NoContainer`].
fn object<'a, T: Deserialize<'a>>(text: &'a str) -> Result<T, FrameError> {
    serde_json::from_str(text).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => FrameError::NoContainer,
        _ => FrameError::NotJson(e.to_string()),
    })
}

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
    let root: Root<'_> = object(text)?;
    let container = match root.container {
        Some(container) => container,
        None if root.fields.get("type").is_some() => root.fields,
        None => return Err(FrameError::NoContainer),
    };
    let notification_type = container
        .get("type")
        .and_then(|t| serde_json::from_str::<Text<'_>>(t.get()).ok())
        .ok_or(FrameError::NoType)?;
    read_container(&notification_type.0, &container)
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
    let container: Fields<'_> = object(data)?;
    read_container(event, &container)?.into_iter().collect()
}

fn read_container(
    notification_type: &str,
    container: &Fields<'_>,
) -> Result<Vec<Result<Notification, FrameError>>, FrameError> {
    let Some(kind) = KINDS
        .iter()
        .find(|k| k.notification_type == notification_type)
    else {
        return Ok(read_unknown(notification_type, container));
    };
    let entries = match container
        .get(kind.child_key)
        .or_else(|| container.get("_children"))
    {
        Some(entries) => entries,
        None if is_empty_container(container) => return Ok(Vec::new()),
        None => {
            return Err(FrameError::MissingEntries {
                notification_type: notification_type.to_owned(),
                child_key: kind.child_key,
            });
        }
    };
    if let Some(all) = (kind.read_all)(entries.get()) {
        return Ok(all.into_iter().map(Ok).collect());
    }
    let entries = list(entries).ok_or_else(|| FrameError::EntriesNotAList {
        notification_type: notification_type.to_owned(),
    })?;
    Ok(entries
        .into_iter()
        .enumerate()
        .map(|(index, entry)| {
            (kind.read)(entry).map_err(|e| FrameError::BadEntry {
                notification_type: notification_type.to_owned(),
                index,
                reason: e.to_string(),
            })
        })
        .collect())
}

/// The entries of a child value: an array's elements, or a single object
/// (SSE sends one object; accept it on the WebSocket too).
fn list(raw: &RawValue) -> Option<Vec<&str>> {
    let text = raw.get().trim_start();
    match text.as_bytes().first() {
        Some(b'[') => Some(elements(text)),
        Some(b'{') => Some(vec![text]),
        _ => None,
    }
}

/// Splits the text of a JSON array into its elements' texts.
///
/// `array` is a value serde_json has already read as valid JSON, so only
/// nesting and strings need tracking: a second full JSON parse here cost
/// as much as reading the entries themselves.
fn elements(array: &str) -> Vec<&str> {
    let bytes = array.as_bytes();
    let mut out = Vec::new();
    let mut depth = 0usize;
    // Just after the opening `[`.
    let mut start = 1;
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                // Skip the string in one tight loop: strings are most of
                // the text, and only `\` and `"` matter inside them.
                i += 1;
                while i < bytes.len() {
                    match bytes[i] {
                        b'"' => break,
                        b'\\' => i += 2,
                        _ => i += 1,
                    }
                }
            }
            b'[' | b'{' => depth += 1,
            b']' | b'}' if depth > 0 => depth -= 1,
            b @ (b',' | b']') if depth == 0 => {
                // All split points are ASCII, so these are char boundaries.
                let element = array[start..i].trim();
                if !element.is_empty() {
                    out.push(element);
                }
                if b == b']' {
                    break;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// `size: 0` (or nothing at all besides the type) is an empty notification, not a broken one.
fn is_empty_container(container: &Fields<'_>) -> bool {
    match container.get("size") {
        Some(size) => matches!(size.get().trim(), "0" | "\"0\""),
        None => container.0.len() <= 1,
    }
}

/// An unknown type: every list (or object) under any key is taken as its
/// entries; a container with only scalars is one entry itself.
fn read_unknown(kind: &str, container: &Fields<'_>) -> Vec<Result<Notification, FrameError>> {
    let unknown = |raw: RawEntry| {
        Ok(Notification::Unknown {
            kind: kind.to_owned(),
            raw,
        })
    };
    let mut out = Vec::new();
    let mut scalars = serde_json::Map::new();
    for (key, value) in &container.0 {
        if key == "type" || key == "size" {
            continue;
        }
        match list(value) {
            Some(entries) => out.extend(entries.into_iter().map(|e| unknown(RawEntry::new(e)))),
            None => {
                if let Ok(v) = serde_json::from_str(value.get()) {
                    scalars.insert(key.clone().into_owned(), v);
                }
            }
        }
    }
    if out.is_empty() {
        let raw = serde_json::value::to_raw_value(&scalars)
            .map(RawEntry::from_box)
            .unwrap_or_default();
        out.push(unknown(raw));
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
        assert_eq!(second.raw.value()["state"], "paused");
    }

    #[test]
    fn each_entry_keeps_exactly_its_own_text() {
        let text = r#"{"NotificationContainer":{"type":"status","size":3,"StatusNotification":[
            {"title":"a, ]}", "x":[1,{"y":"\"]}"}]} , {"title":"b"},
            {"title":"c"}  ]}}"#;
        let n = parse_frame(text).unwrap();
        let texts: Vec<_> = n.iter().map(|n| n.raw_entry().text()).collect();
        assert_eq!(
            texts,
            [
                Some(r#"{"title":"a, ]}", "x":[1,{"y":"\"]}"}]}"#),
                Some(r#"{"title":"b"}"#),
                Some(r#"{"title":"c"}"#)
            ]
        );
        let Notification::Status(first) = &n[0] else {
            panic!("{n:?}")
        };
        assert_eq!(first.title.as_deref(), Some("a, ]}"));
    }

    #[test]
    fn historic_children_form_is_read() {
        let text = r#"{"NotificationContainer":{"type":"playing","size":1,"_children":[
            {"_elementType":"PlaySessionStateNotification","sessionKey":"5","ratingKey":"7","state":"stopped"}]}}"#;
        let n = parse_frame(text).unwrap();
        assert!(matches!(&n[0], Notification::Playing(p) if p.session_key == "5"));
    }

    #[test]
    fn escaped_keys_and_types_are_read() {
        let text = r#"{"Notification\u0043ontainer":{"typ\u0065":"play\u0069ng","size":1,"PlaySessionStateNotification":[{"sessionKey":"1","state":"play\u0069ng"}]}}"#;
        let n = parse_frame(text).unwrap();
        assert!(
            matches!(&n[0], Notification::Playing(p) if p.state == super::super::PlayState::Playing)
        );
    }

    #[test]
    fn frame_errors_have_kinds() {
        let kind = |t: &str| parse_frame(t).unwrap_err().kind();
        assert_eq!(kind("not json"), "not_json");
        assert_eq!(
            kind(r#"{"NotificationContainer":{"type":"playing""#),
            "not_json"
        );
        assert_eq!(kind("[1,2]"), "no_container");
        assert_eq!(kind(r#"{"NotificationContainer":3}"#), "no_container");
        assert_eq!(kind(r#"{"NotificationContainer":{"size":1}}"#), "no_type");
        assert_eq!(kind(r#"{"NotificationContainer":{"type":7}}"#), "no_type");
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
        assert_eq!(
            kind(
                r#"{"NotificationContainer":{"type":"playing","size":1,"PlaySessionStateNotification":[7]}}"#
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
        let text = r#"{"NotificationContainer":{"type":"flat","size":1,"x":"y"}}"#;
        let n = parse_frame(text).unwrap();
        assert_eq!(n[0].raw_entry().text(), Some(r#"{"x":"y"}"#));
    }

    #[test]
    fn array_elements_are_split_at_top_level_commas_only() {
        let text = r#"[ {"a":"x,]\"}[","b":[1,{"c":2}]} ,7,"s\\",[[]] ,{} ]"#;
        assert_eq!(
            elements(text),
            vec![
                r#"{"a":"x,]\"}[","b":[1,{"c":2}]}"#,
                "7",
                r#""s\\""#,
                "[[]]",
                "{}"
            ]
        );
        assert!(elements("[ ]").is_empty());
        assert!(elements("[]").is_empty());
        for e in elements(text) {
            serde_json::from_str::<serde_json::Value>(e).unwrap();
        }
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

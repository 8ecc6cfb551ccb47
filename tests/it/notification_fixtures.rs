//! Loads the captured notifications in `tests/fixtures/ws/` the way the wire
//! would deliver them.
//!
//! Most files are WebSocket frames or python-plexapi's bare containers, which
//! `parse_frame` reads as they are. Two sources logged less than a frame (a
//! bare entry list, a single entry) and are wrapped here in the container the
//! wire carries; SSE captures go through `parse_sse`.

use std::path::PathBuf;

use metarr_plex::plex::notification::{Notification, parse_frame, parse_sse};
use serde_json::{Value, json};

pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ws")
}

pub fn text(name: &str) -> String {
    std::fs::read_to_string(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Every fixture file name, sorted.
pub fn all() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The notifications one fixture file holds.
pub fn load(name: &str) -> Vec<Notification> {
    let text = text(name);
    if let Some(rest) = name.strip_prefix("sse_data_") {
        return parse_sse(sse_event_of(rest), &text).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    if name.starts_with("sse_frame_") {
        let mut event = "";
        let mut data = String::new();
        for line in text.lines() {
            if let Some(v) = line.strip_prefix("event:") {
                event = v.trim();
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push_str(v.trim());
            }
        }
        return parse_sse(event, &data).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let frame = if name.starts_with("playsessionstate_array_") {
        wrap("playing", "PlaySessionStateNotification", &text)
    } else if name.starts_with("timeline_entry_only_") {
        wrap("timeline", "TimelineEntry", &format!("[{text}]"))
    } else {
        text
    };
    parse_frame(&frame).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn sse_event_of(rest: &str) -> &'static str {
    [
        ("activity_", "activity"),
        ("playing_", "playing"),
        ("transcodeSession_end", "transcodeSession.end"),
        ("transcodeSession_update", "transcodeSession.update"),
    ]
    .into_iter()
    .find(|(prefix, _)| rest.starts_with(prefix))
    .map(|(_, event)| event)
    .unwrap_or_else(|| panic!("no SSE event name known for sse_data_{rest}"))
}

fn wrap(kind: &str, child_key: &str, entries: &str) -> String {
    let entries: Value = serde_json::from_str(entries).unwrap();
    let size = entries.as_array().map_or(1, Vec::len);
    json!({"NotificationContainer": {"type": kind, "size": size, child_key: entries}}).to_string()
}

//! `playing` notifications: one player's playback state (`PlaySessionStateNotification`).

use super::raw::RawEntry;
use std::fmt;

use serde::de::Visitor;
use serde::{Deserialize, Deserializer};

use super::lenient::{opt_int, opt_text};
use crate::plex::id::{opt_string_or_number, string_or_number};

/// One `PlaySessionStateNotification` entry (PROTOCOL §2.1).
///
/// The frame says nothing about the user or the player beyond
/// `clientIdentifier`; those come from `/status/sessions` by `session_key`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlaySessionState {
    /// Plex's per-playback id; digits, but reused after a server restart, so
    /// it is only unique together with the server's start.
    #[serde(deserialize_with = "string_or_number")]
    pub session_key: String,
    /// The playback state; the one field every consumer branches on.
    pub state: PlayState,
    /// The item played; a Live TV URI for Live TV, and empty on some
    /// clients' multi-player stops, hence optional.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub rating_key: Option<String>,
    /// The player's machine id; absent on older servers. Used to tell apart
    /// two players watching the same item when a stop arrives under a new key.
    #[serde(default, deserialize_with = "opt_text")]
    pub client_identifier: Option<String>,
    /// `/library/metadata/<rk>` or `/livetv/sessions/<uuid>`.
    #[serde(default, deserialize_with = "opt_text")]
    pub key: Option<String>,
    /// Usually empty for library items; a guid on some 2018 servers.
    #[serde(default, deserialize_with = "opt_text")]
    pub guid: Option<String>,
    /// Position in milliseconds (every capture uses ms).
    #[serde(default, deserialize_with = "opt_int")]
    pub view_offset: Option<i64>,
    /// The transcode session key, only while transcoding.
    #[serde(default, deserialize_with = "opt_text")]
    pub transcode_session: Option<String>,
    /// The play queue, when the client sent one.
    #[serde(default, rename = "playQueueID", deserialize_with = "opt_text")]
    pub play_queue_id: Option<String>,
    /// The entry in that play queue.
    #[serde(default, rename = "playQueueItemID", deserialize_with = "opt_text")]
    pub play_queue_item_id: Option<String>,
    /// The entry as Plex sent it.
    #[serde(skip)]
    pub raw: RawEntry,
}

/// A player state as Plex reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlayState {
    /// Playing.
    Playing,
    /// Paused by the user.
    Paused,
    /// Waiting for data; not a state change for rules.
    Buffering,
    /// Stopped; the session is over.
    Stopped,
    /// Tautulli has seen this; treated like a stop by nobody, so kept distinct.
    Error,
    /// Anything else, kept verbatim so a new state is visible rather than lost.
    Other(String),
}

impl PlayState {
    /// The state as Plex spells it.
    pub fn as_str(&self) -> &str {
        match self {
            PlayState::Playing => "playing",
            PlayState::Paused => "paused",
            PlayState::Buffering => "buffering",
            PlayState::Stopped => "stopped",
            PlayState::Error => "error",
            PlayState::Other(s) => s,
        }
    }

    /// Reads Plex's spelling; never fails.
    pub fn parse(s: &str) -> PlayState {
        match s {
            "playing" => PlayState::Playing,
            "paused" => PlayState::Paused,
            "buffering" => PlayState::Buffering,
            "stopped" => PlayState::Stopped,
            "error" => PlayState::Error,
            other => PlayState::Other(other.to_owned()),
        }
    }
}

impl<'de> Deserialize<'de> for PlayState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A visitor rather than `String`: the common states need no allocation.
        struct StateVisitor;
        impl Visitor<'_> for StateVisitor {
            type Value = PlayState;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a playback state")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<PlayState, E> {
                Ok(PlayState::parse(v))
            }
        }
        d.deserialize_str(StateVisitor)
    }
}

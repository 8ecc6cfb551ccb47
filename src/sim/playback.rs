//! Playback sessions: what `/status/sessions` lists. Scripted playback
//! (start, advance, pause, stop…) drives them and emits `playing` frames.

use serde_json::{Value, json};

/// A player's state in a `playing` notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlayState {
    Playing,
    Paused,
    Buffering,
    Stopped,
}

impl PlayState {
    /// The `state` string Plex sends.
    pub fn as_str(self) -> &'static str {
        match self {
            PlayState::Playing => "playing",
            PlayState::Paused => "paused",
            PlayState::Buffering => "buffering",
            PlayState::Stopped => "stopped",
        }
    }
}

/// One playback session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Per-playback id, digits; counts from 1 again after a server restart.
    pub session_key: String,
    /// The item being played.
    pub rating_key: String,
    /// Current state; a stopped session leaves the list.
    pub state: PlayState,
    /// Position in milliseconds.
    pub view_offset_ms: u64,
    /// The player's machine id.
    pub client_identifier: String,
    /// The account playing (the frame never says; `/status/sessions` does).
    pub user: String,
}

impl Session {
    /// The `User`, `Player` and `Session` parts of a `/status/sessions` entry.
    pub(crate) fn decorate(&self, m: &mut serde_json::Map<String, Value>) {
        m.insert("sessionKey".into(), self.session_key.clone().into());
        m.insert("viewOffset".into(), self.view_offset_ms.into());
        m.insert(
            "User".into(),
            json!({ "id": "1", "title": self.user, "thumb": "https://plex.tv/users/0000000000000000/avatar" }),
        );
        m.insert(
            "Player".into(),
            json!({
                "address": "127.0.0.1",
                "machineIdentifier": self.client_identifier,
                "platform": "linux",
                "product": "Plex Web",
                "state": self.state.as_str(),
                "title": "Simulated Player",
                "local": true,
                "relayed": false,
                "secure": true,
                "userID": 1,
            }),
        );
        m.insert(
            "Session".into(),
            json!({ "id": format!("sim-session-{}", self.session_key), "bandwidth": 5000, "location": "lan" }),
        );
    }
}

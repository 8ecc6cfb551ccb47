//! Playback sessions (`/status/sessions`).

use serde::{Deserialize, Serialize};

use crate::plex::id::{opt_string_or_number, string_or_number};

/// One playing item with who plays it where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    /// The session key playing notifications carry.
    #[serde(
        default,
        deserialize_with = "opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub session_key: Option<String>,
    /// The item played.
    #[serde(
        default,
        deserialize_with = "opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub rating_key: Option<String>,
    /// The item title.
    #[serde(default)]
    pub title: String,
    /// The item type.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The show of an episode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grandparent_title: Option<String>,
    /// Milliseconds into the item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view_offset: Option<u64>,
    /// Who is playing.
    #[serde(default, rename = "User", skip_serializing_if = "Option::is_none")]
    pub user: Option<SessionUser>,
    /// On which device.
    #[serde(default, rename = "Player", skip_serializing_if = "Option::is_none")]
    pub player: Option<Player>,
    /// LAN or WAN.
    #[serde(default, rename = "Session", skip_serializing_if = "Option::is_none")]
    pub session: Option<SessionInfo>,
}

/// Who is watching.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    /// Plex's id.
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    /// The account name.
    #[serde(default)]
    pub title: String,
}

/// The playing device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Player {
    /// The device name.
    #[serde(default)]
    pub title: String,
    /// `playing`, `paused`, `buffering`.
    #[serde(default)]
    pub state: String,
    /// The app (`Plex Web`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// The device id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_identifier: Option<String>,
}

/// The transport of a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// Plex's id.
    pub id: String,
    /// `lan` or `wan`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::super::container::Envelope;
    use super::Session;

    #[test]
    fn sessions_fixture_parses_user_and_player() {
        let text = include_str!(
            "../../../tests/fixtures/rest/status_sessions__plex-openapi-1.2.0-example-sanitized.json"
        );
        let env: Envelope<Session> = serde_json::from_str(text).unwrap();
        let s = &env.container.metadata[0];
        assert_eq!(s.user.as_ref().unwrap().id, "123456789");
        assert_eq!(s.player.as_ref().unwrap().state, "playing");
    }
}

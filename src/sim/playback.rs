//! Playback sessions: what `/status/sessions` lists. Scripted playback
//! (start, advance, pause, stop…) drives them and emits `playing` frames.

use std::time::Duration;

use serde_json::{Value, json};

use super::Simulator;
use super::notify::Notification;
use super::rejection::Rejection;
use super::shared::lock;

/// A player's state in a `playing` notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlayState {
    /// Playing.
    Playing,
    /// Paused by the user.
    Paused,
    /// Waiting for data; not a state change rules usually care about.
    Buffering,
    /// Ended; the session leaves `/status/sessions`.
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

/// The `playing` notification for a session in `state`.
fn playing(s: &Session, state: PlayState) -> Notification {
    let entry = json!({
        "sessionKey": s.session_key,
        "clientIdentifier": s.client_identifier,
        "guid": "",
        "ratingKey": s.rating_key,
        "url": "",
        "key": format!("/library/metadata/{}", s.rating_key),
        "viewOffset": s.view_offset_ms,
        "playQueueItemID": 1000 + s.session_key.parse::<u64>().unwrap_or(0),
        "state": state.as_str(),
    });
    Notification::new("playing", "PlaySessionStateNotification", vec![entry])
}

/// Scripted playback. Each call emits one `playing` frame, as a player's
/// timeline report would, and keeps `/status/sessions` in step.
impl Simulator {
    /// Starts playing an item (404 if unknown) under the next session key
    /// (`"1"`, `"2"`, … from the last start or restart). Returns the key.
    pub fn start_playback(&self, rating_key: &str) -> Result<String, Rejection> {
        let session = {
            let mut lib = lock(&self.shared.library);
            if lib.item(rating_key).is_none() {
                return Err(Rejection::NotFound(format!("item {rating_key}")));
            }
            lib.next_session = lib.next_session.max(1);
            let key = lib.next_session;
            lib.next_session += 1;
            let s = Session {
                session_key: key.to_string(),
                rating_key: rating_key.to_owned(),
                state: PlayState::Playing,
                view_offset_ms: 0,
                client_identifier: format!("sim-player-{key}"),
                user: "simuser".into(),
            };
            lib.sessions.push(s.clone());
            s
        };
        self.shared.notify(playing(&session, PlayState::Playing));
        Ok(session.session_key)
    }

    /// Moves the position forward and reports the current state again (the
    /// periodic frame players send while playing).
    pub fn advance_playback(&self, session_key: &str, by: Duration) -> Result<(), Rejection> {
        self.update_session(session_key, |s| {
            s.view_offset_ms += by.as_millis() as u64;
            s.state
        })
    }

    /// Pauses.
    pub fn pause_playback(&self, session_key: &str) -> Result<(), Rejection> {
        self.set_play_state(session_key, PlayState::Paused)
    }

    /// Resumes playing.
    pub fn resume_playback(&self, session_key: &str) -> Result<(), Rejection> {
        self.set_play_state(session_key, PlayState::Playing)
    }

    /// Reports buffering.
    pub fn buffer_playback(&self, session_key: &str) -> Result<(), Rejection> {
        self.set_play_state(session_key, PlayState::Buffering)
    }

    /// Stops: the frame says `stopped` and the session leaves `/status/sessions`.
    pub fn stop_playback(&self, session_key: &str) -> Result<(), Rejection> {
        let stopped = self.remove_session(session_key)?;
        self.shared.notify(playing(&stopped, PlayState::Stopped));
        Ok(())
    }

    /// Stops the way Plex Web does after a seek to the end: the `stopped`
    /// frame carries a *new* session key (same item and player). Returns it.
    pub fn stop_playback_under_new_key(&self, session_key: &str) -> Result<String, Rejection> {
        let mut stopped = self.remove_session(session_key)?;
        {
            let mut lib = lock(&self.shared.library);
            lib.next_session = lib.next_session.max(1);
            stopped.session_key = lib.next_session.to_string();
            lib.next_session += 1;
        }
        self.shared.notify(playing(&stopped, PlayState::Stopped));
        Ok(stopped.session_key)
    }

    /// Stops silently: the session vanishes from `/status/sessions` with no
    /// frame, as when the stop happened while a listener was disconnected.
    pub fn end_playback_silently(&self, session_key: &str) -> Result<(), Rejection> {
        self.remove_session(session_key).map(|_| ())
    }

    fn set_play_state(&self, session_key: &str, state: PlayState) -> Result<(), Rejection> {
        self.update_session(session_key, |s| {
            s.state = state;
            state
        })
    }

    fn update_session(
        &self,
        session_key: &str,
        f: impl FnOnce(&mut Session) -> PlayState,
    ) -> Result<(), Rejection> {
        let (snapshot, state) = {
            let mut lib = lock(&self.shared.library);
            let s = lib
                .sessions
                .iter_mut()
                .find(|s| s.session_key == session_key)
                .ok_or_else(|| Rejection::NotFound(format!("session {session_key}")))?;
            let state = f(s);
            (s.clone(), state)
        };
        self.shared.notify(playing(&snapshot, state));
        Ok(())
    }

    fn remove_session(&self, session_key: &str) -> Result<Session, Rejection> {
        let mut lib = lock(&self.shared.library);
        let pos = lib
            .sessions
            .iter()
            .position(|s| s.session_key == session_key)
            .ok_or_else(|| Rejection::NotFound(format!("session {session_key}")))?;
        Ok(lib.sessions.remove(pos))
    }
}

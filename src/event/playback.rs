//! Playback sessions: `playing` frames → `playback.*` events on state changes.
//!
//! Plex sends a frame per player every few seconds whatever happens; rules
//! want transitions. Sessions are tracked by `sessionKey` with the quirks
//! real servers have (PROTOCOL §2.1, §3.1):
//! - a first frame in `buffering` is not a start yet (Tautulli waits too):
//!   the session is pending until it plays or pauses, and a pending session
//!   that stops or vanishes was never announced, so it is never stopped;
//! - `buffering` is announced once per episode and changes nothing else;
//! - a stop can arrive under a new `sessionKey`: it ends the tracked session
//!   playing that item (on that player, when the frame names one);
//! - a new `ratingKey` under an old key is a stop plus a start;
//! - a session silent for the stale timeout is stopped;
//! - a stop for a session never announced yields nothing: every
//!   `playback.stopped` follows exactly one `playback.started`.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use super::recent::RecentMap;
use super::reconcile::LiveSession;
use super::stamp::Stamp;
use super::{Event, EventName, ItemRef, SessionRef};
use crate::plex::notification::{PlaySessionState, PlayState};

/// Sessions recently ended, by (sessionKey, ratingKey): late frames and
/// a REST listing that lags behind a live stop must not revive them.
const ENDED_MEMORY: usize = 1024;

/// How long after its end a session's frames count as late echoes. Short,
/// because a server restart we failed to notice reuses session keys, and a
/// genuinely new session under a reused key must not be swallowed.
const LATE_FRAME_WINDOW: Duration = Duration::from_secs(120);

/// All tracked sessions.
#[derive(Debug)]
pub(crate) struct Sessions {
    tracked: HashMap<String, Tracked>,
    /// When each recently ended session ended.
    ended: RecentMap<(String, Option<String>), Instant>,
    stale_after: Duration,
}

/// Where a session is, as far as rules have been told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Seen only buffering (or an unknown state): not announced yet.
    Pending,
    /// Announced, last reported playing.
    Playing,
    /// Announced, last reported paused.
    Paused,
}

#[derive(Debug)]
struct Tracked {
    rating_key: Option<String>,
    client_identifier: Option<String>,
    phase: Phase,
    /// Inside a buffering episode, announced once.
    buffering: bool,
    last_seen: Instant,
    view_offset_ms: Option<u64>,
    /// Known only from REST (`/status/sessions`).
    section_id: Option<String>,
    kind: Option<String>,
    title: Option<String>,
}

/// What one frame or REST entry says about a session.
struct Seen<'a> {
    key: &'a str,
    rating_key: Option<&'a str>,
    client_identifier: Option<&'a str>,
    state: &'a PlayState,
    view_offset_ms: Option<u64>,
    /// What REST knows and frames never say; `None` from frames.
    details: Option<&'a LiveSession>,
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

impl Sessions {
    pub(crate) fn new(stale_after: Duration) -> Sessions {
        Sessions {
            tracked: HashMap::new(),
            ended: RecentMap::new(ENDED_MEMORY),
            stale_after,
        }
    }

    pub(crate) fn ingest(
        &mut self,
        p: &PlaySessionState,
        now: Instant,
        stamp: &Stamp<'_>,
    ) -> Vec<Event> {
        if p.session_key.is_empty() {
            return Vec::new();
        }
        let seen = Seen {
            key: &p.session_key,
            rating_key: non_empty(&p.rating_key),
            client_identifier: non_empty(&p.client_identifier),
            state: &p.state,
            view_offset_ms: p.view_offset.and_then(|v| u64::try_from(v).ok()),
            details: None,
        };
        let mut out = Vec::new();
        if p.state == PlayState::Stopped {
            self.stop(&seen, now, stamp, &mut out);
        } else {
            self.advance(&seen, now, stamp, &mut out);
        }
        out
    }

    fn stop(&mut self, seen: &Seen<'_>, now: Instant, stamp: &Stamp<'_>, out: &mut Vec<Event>) {
        // Under a tracked key the stop ends that session, even if the frame
        // names another item: that item never started under this key.
        let key = if self.tracked.contains_key(seen.key) {
            Some(seen.key.to_owned())
        } else {
            self.same_item_elsewhere(seen)
        };
        let Some(key) = key else { return };
        if key != seen.key {
            self.ended.insert(
                (seen.key.to_owned(), seen.rating_key.map(str::to_owned)),
                now,
            );
        }
        if let Some(mut t) = self.tracked.remove(&key) {
            t.view_offset_ms = seen.view_offset_ms.or(t.view_offset_ms);
            self.end(&key, t, now, stamp, out);
        }
    }

    /// The tracked session a stop under an unknown key belongs to: same
    /// item, same player when both name one; the most recently seen wins.
    fn same_item_elsewhere(&self, seen: &Seen<'_>) -> Option<String> {
        let rk = seen.rating_key?;
        self.tracked
            .iter()
            .filter(|(_, t)| t.rating_key.as_deref() == Some(rk))
            .filter(
                |(_, t)| match (seen.client_identifier, &t.client_identifier) {
                    (Some(a), Some(b)) => a == b,
                    _ => true,
                },
            )
            .max_by_key(|(k, t)| (t.last_seen, (*k).clone()))
            .map(|(k, _)| k.clone())
    }

    /// Forgets a session, announcing its stop if its start was announced.
    fn end(
        &mut self,
        key: &str,
        t: Tracked,
        now: Instant,
        stamp: &Stamp<'_>,
        out: &mut Vec<Event>,
    ) {
        self.ended
            .insert((key.to_owned(), t.rating_key.clone()), now);
        if t.phase != Phase::Pending {
            out.push(self::event(
                stamp,
                EventName::PlaybackStopped,
                key,
                &t,
                "stopped",
            ));
        }
    }

    fn advance(&mut self, seen: &Seen<'_>, now: Instant, stamp: &Stamp<'_>, out: &mut Vec<Event>) {
        if let Some(t) = self.tracked.get(seen.key)
            && let (Some(old), Some(new)) = (t.rating_key.as_deref(), seen.rating_key)
            && old != new
        {
            // A client that moved to the next item without a stop.
            if let Some(t) = self.tracked.remove(seen.key) {
                self.end(seen.key, t, now, stamp, out);
            }
        }
        // The common case — another frame of a known session — allocates nothing.
        if !self.tracked.contains_key(seen.key) {
            let ended_key = (seen.key.to_owned(), seen.rating_key.map(str::to_owned));
            let late = self
                .ended
                .get(&ended_key)
                .is_some_and(|at| now.saturating_duration_since(*at) < LATE_FRAME_WINDOW);
            if late {
                return; // An echo of a session that just stopped.
            }
            self.tracked.insert(
                ended_key.0,
                Tracked {
                    rating_key: None,
                    client_identifier: None,
                    phase: Phase::Pending,
                    buffering: false,
                    last_seen: now,
                    view_offset_ms: None,
                    section_id: None,
                    kind: None,
                    title: None,
                },
            );
        }
        let Some(t) = self.tracked.get_mut(seen.key) else {
            return;
        };
        t.last_seen = now;
        if t.rating_key.is_none() {
            t.rating_key = seen.rating_key.map(str::to_owned);
        }
        if t.client_identifier.is_none() {
            t.client_identifier = seen.client_identifier.map(str::to_owned);
        }
        t.view_offset_ms = seen.view_offset_ms.or(t.view_offset_ms);
        if let Some(d) = seen.details {
            t.section_id = d.section_id.clone().or(t.section_id.take());
            t.kind = d.kind.clone().or(t.kind.take());
            t.title = d.title.clone().or(t.title.take());
        }
        if let Some(name) = transition(t, seen.state) {
            out.push(self::event(stamp, name, seen.key, t, seen.state.as_str()));
        }
    }

    /// Stops every session silent for the stale timeout.
    pub(crate) fn expire(&mut self, now: Instant, stamp: &Stamp<'_>) -> Vec<Event> {
        let mut due: Vec<String> = self
            .tracked
            .iter()
            .filter(|(_, t)| now.saturating_duration_since(t.last_seen) >= self.stale_after)
            .map(|(k, _)| k.clone())
            .collect();
        due.sort();
        let mut out = Vec::new();
        for key in due {
            if let Some(t) = self.tracked.remove(&key) {
                self.end(&key, t, now, stamp, &mut out);
            }
        }
        out
    }

    /// See [`super::Normalizer::reconcile_sessions`].
    pub(crate) fn reconcile(
        &mut self,
        live: &[LiveSession],
        now: Instant,
        announce_new: bool,
        stamp: &Stamp<'_>,
    ) -> Vec<Event> {
        let mut out = Vec::new();
        let live_keys: HashSet<&str> = live.iter().map(|s| s.session_key.as_str()).collect();
        let mut gone: Vec<String> = self
            .tracked
            .keys()
            .filter(|k| !live_keys.contains(k.as_str()))
            .cloned()
            .collect();
        gone.sort();
        for key in gone {
            if let Some(t) = self.tracked.remove(&key) {
                self.end(&key, t, now, stamp, &mut out);
            }
        }
        for s in live.iter().filter(|s| !s.session_key.is_empty()) {
            let state = PlayState::parse(&s.state);
            let seen = Seen {
                key: &s.session_key,
                rating_key: non_empty(&s.rating_key),
                client_identifier: non_empty(&s.client_identifier),
                state: &state,
                view_offset_ms: s.view_offset_ms,
                details: Some(s),
            };
            let known = self.tracked.contains_key(seen.key);
            let mut events = Vec::new();
            self.advance(&seen, now, stamp, &mut events);
            // A session first seen now started before we looked; on the
            // first reconciliation the previous process announced it.
            let started_unseen = |e: &Event| e.name == EventName::PlaybackStarted && !known;
            if !announce_new {
                events.retain(|e| !started_unseen(e));
            }
            out.extend(events);
        }
        // A new connection: echoes of a stop only come on the connection that
        // carried it. From here on a key that plays again is a new session
        // (Plex reuses keys, and a restart we missed starts them at 1 again);
        // the listing above was still checked against the old stops, since
        // /status/sessions can lag behind a stop frame.
        self.ended.clear();
        out
    }

    /// The server restarted: every tracked session ended with it.
    pub(crate) fn reset(&mut self, now: Instant, stamp: &Stamp<'_>) -> Vec<Event> {
        let mut keys: Vec<String> = self.tracked.keys().cloned().collect();
        keys.sort();
        let mut out = Vec::new();
        for key in keys {
            if let Some(t) = self.tracked.remove(&key) {
                self.end(&key, t, now, stamp, &mut out);
            }
        }
        // Keys are reused by the new server instance; old ones mean nothing.
        self.ended.clear();
        out
    }
}

/// Applies a non-stop state to a tracked session; the event it means, if any.
fn transition(t: &mut Tracked, state: &PlayState) -> Option<EventName> {
    match state {
        PlayState::Buffering => {
            let first = !t.buffering;
            t.buffering = true;
            (first && t.phase != Phase::Pending).then_some(EventName::PlaybackBuffering)
        }
        PlayState::Playing | PlayState::Paused => {
            t.buffering = false;
            let next = if *state == PlayState::Playing {
                Phase::Playing
            } else {
                Phase::Paused
            };
            let name = match (t.phase, next) {
                (Phase::Pending, _) => Some(EventName::PlaybackStarted),
                (Phase::Playing, Phase::Paused) => Some(EventName::PlaybackPaused),
                (Phase::Paused, Phase::Playing) => Some(EventName::PlaybackResumed),
                _ => None,
            };
            t.phase = next;
            name
        }
        // `error` and states we do not know change nothing rules rely on.
        PlayState::Error | PlayState::Other(_) | PlayState::Stopped => None,
    }
}

fn event(stamp: &Stamp<'_>, name: EventName, key: &str, t: &Tracked, state: &str) -> Event {
    let mut e = stamp.event(name);
    if let Some(rk) = &t.rating_key {
        e.section = match &t.section_id {
            Some(id) => Some(stamp.section(id)),
            None => stamp.section_of_item(rk),
        };
        e.item = Some(ItemRef {
            id: rk.clone(),
            kind: t.kind.clone(),
            title: t.title.clone(),
            parent_id: None,
            grandparent_id: None,
        });
    }
    e.session = Some(SessionRef {
        key: key.to_owned(),
        state: state.to_owned(),
        view_offset_ms: t.view_offset_ms,
        client_identifier: t.client_identifier.clone(),
    });
    e
}

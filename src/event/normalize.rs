//! The normalizer: raw notifications (plus a clock) in, [`Event`]s out.
//!
//! It owns the little state normalization needs — playback sessions,
//! running activities, recently added items, the section cache — and nothing
//! else: no IO, no timers of its own. The listener feeds it frames,
//! [`Normalizer::tick`]s it, and after each (re)connect hands it what REST
//! says is live so it can emit what was missed, exactly once.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::activity::Activities;
use super::library::Items;
use super::playback::Sessions;
use super::reconcile::{AddedItem, LiveActivity, LiveSession, TouchedItem};
use super::section_map::ItemSections;
use super::self_cause::SelfCauses;
use super::stamp::Stamp;
use super::{Event, EventName, SectionRef, ServerRef};
use crate::plex::notification::Notification;

/// Tunables of the normalizer.
#[derive(Debug, Clone)]
pub struct NormalizerConfig {
    /// A session with no frame for this long is stopped (Tautulli's 5 minutes:
    /// players that vanish never send `stopped`).
    pub stale_session_after: Duration,
    /// Also emit a `notification` event for `playing`, `timeline` and
    /// `activity` entries, which otherwise only feed the dedicated events.
    /// Off by default: `playing` alone sends a frame per player every few
    /// seconds.
    pub notification_events_for_all: bool,
}

impl Default for NormalizerConfig {
    fn default() -> Self {
        NormalizerConfig {
            stale_session_after: Duration::from_secs(5 * 60),
            notification_events_for_all: false,
        }
    }
}

/// Turns notifications into events; see the module doc.
#[derive(Debug)]
pub struct Normalizer {
    config: NormalizerConfig,
    /// Filled into every event.
    server: Option<ServerRef>,
    /// Section id → title and type, from the REST client.
    sections: HashMap<String, SectionRef>,
    /// Item id → section id, learned from timeline entries and REST, so
    /// playback and refresh events (whose frames lack it) get a section.
    item_sections: ItemSections,
    sessions: Sessions,
    activities: Activities,
    items: Items,
    self_causes: Option<SelfCauses>,
    /// The last `/identity` seen: machine identifier and start marker.
    identity: Option<(String, String)>,
    /// Whether a reconciliation already ran. The first one (at start-up)
    /// only learns what is live: the previous process announced it. Later
    /// ones (reconnects) announce sessions and activities that began while
    /// we were away.
    reconciled_sessions: bool,
    reconciled_activities: bool,
}

/// A stamp for synthetic events, borrowing only the fields it needs so the
/// trackers stay mutably borrowable.
macro_rules! synthetic_stamp {
    ($n:ident) => {
        Stamp {
            server: $n.server.as_ref(),
            sections: &$n.sections,
            item_sections: &$n.item_sections,
            notification: None,
            synthetic: true,
        }
    };
}

impl Normalizer {
    /// A normalizer with nothing tracked yet.
    pub fn new(config: NormalizerConfig) -> Normalizer {
        Normalizer {
            sessions: Sessions::new(config.stale_session_after),
            config,
            server: None,
            sections: HashMap::new(),
            item_sections: ItemSections::default(),
            activities: Activities::default(),
            items: Items::default(),
            self_causes: None,
            identity: None,
            reconciled_sessions: false,
            reconciled_activities: false,
        }
    }

    /// Marks events caused by our own actions using `causes`, which the
    /// action layer fills.
    pub fn with_self_causes(mut self, causes: SelfCauses) -> Normalizer {
        self.self_causes = Some(causes);
        self
    }

    /// Replaces the section cache (id → title/type) used to fill `Event.section`.
    pub fn set_sections(&mut self, sections: Vec<SectionRef>) {
        self.sections = sections.into_iter().map(|s| (s.id.clone(), s)).collect();
    }

    /// The server every following event names.
    pub fn set_server(&mut self, server: ServerRef) {
        self.server = Some(server);
    }

    /// The events one notification entry means (often none: most `playing`
    /// frames repeat the state).
    pub fn ingest(&mut self, n: &Notification, now: Instant) -> Vec<Event> {
        let mut events = self.events_for(n, now);
        // The entry's text is shared, not parsed: a `Value` is only built
        // if something reads a field of it.
        for e in &mut events {
            e.raw = n.raw_entry().clone();
        }
        events
    }

    /// The events of one entry, with `raw` left for the caller to fill.
    fn events_for(&mut self, n: &Notification, now: Instant) -> Vec<Event> {
        if let Notification::Timeline(t) = n {
            self.item_sections.learn_timeline(t);
        }
        let stamp = Stamp {
            server: self.server.as_ref(),
            sections: &self.sections,
            item_sections: &self.item_sections,
            notification: Some(n),
            synthetic: false,
        };
        let mut events = match n {
            Notification::Playing(p) => self.sessions.ingest(p, now, &stamp),
            Notification::Timeline(t) => self.items.ingest(t, &stamp).into_iter().collect(),
            Notification::Activity(a) => self.activities.ingest(a, &stamp),
            _ => vec![stamp.event(EventName::Notification)],
        };
        if self.config.notification_events_for_all
            && matches!(
                n,
                Notification::Playing(_) | Notification::Timeline(_) | Notification::Activity(_)
            )
        {
            events.push(stamp.event(EventName::Notification));
        }
        self.finish(events, now)
    }

    /// Stops sessions that have been silent for the stale timeout. Call it
    /// every few seconds; it is cheap when nothing is due.
    pub fn tick(&mut self, now: Instant) -> Vec<Event> {
        let stamp = synthetic_stamp!(self);
        let events = self.sessions.expire(now, &stamp);
        self.finish(events, now)
    }

    /// Compares tracked sessions with `/status/sessions`: a synthetic
    /// `playback.stopped` for each session that ended while we were away,
    /// synthetic transitions for sessions paused or resumed meanwhile, and
    /// tracking (plus, on reconnects, a synthetic `playback.started`) for
    /// sessions we did not know.
    pub fn reconcile_sessions(&mut self, live: &[LiveSession], now: Instant) -> Vec<Event> {
        for s in live {
            if let (Some(rk), Some(section)) = (&s.rating_key, &s.section_id) {
                self.item_sections.learn(rk, section);
            }
        }
        let announce_new = self.reconciled_sessions;
        self.reconciled_sessions = true;
        let stamp = synthetic_stamp!(self);
        let events = self.sessions.reconcile(live, now, announce_new, &stamp);
        self.finish(events, now)
    }

    /// Compares tracked activities with `/activities`: synthetic `*.ended`
    /// for each one gone, tracking (plus, on reconnects, a synthetic
    /// `*.started`) for new ones.
    pub fn reconcile_activities(&mut self, live: &[LiveActivity], now: Instant) -> Vec<Event> {
        let announce_new = self.reconciled_activities;
        self.reconciled_activities = true;
        let stamp = synthetic_stamp!(self);
        let events = self.activities.reconcile(live, announce_new, &stamp);
        self.finish(events, now)
    }

    /// Synthetic `item.added` for items added at or after `watermark` that
    /// were not already announced live; returns the new watermark.
    ///
    /// `None` (no watermark persisted yet) announces nothing and only sets
    /// the watermark: everything before the first run is not "new".
    pub fn reconcile_added(
        &mut self,
        items: &[AddedItem],
        watermark: Option<i64>,
        now: Instant,
    ) -> (Vec<Event>, Option<i64>) {
        for i in items {
            self.item_sections.learn(&i.id, &i.section_id);
        }
        let stamp = synthetic_stamp!(self);
        let (events, mark) = self.items.reconcile(items, watermark, &stamp);
        (self.finish(events, now), mark)
    }

    /// Synthetic `item.ready` for items changed since the catch-up
    /// watermark (a gap in the stream or events the consumer's backlog could
    /// not hold) whose current version was not announced live.
    pub fn reconcile_touched(&mut self, items: &[TouchedItem], now: Instant) -> Vec<Event> {
        for i in items {
            self.item_sections.learn(&i.id, &i.section_id);
        }
        let stamp = synthetic_stamp!(self);
        let events = self.items.reconcile_touched(items, &stamp);
        self.finish(events, now)
    }

    /// Records the server's identity after a (re)connect. A changed machine
    /// identifier or start marker means a restart (or a replaced server):
    /// `server.restarted`, then synthetic ends for every tracked session and
    /// activity, whose keys the new server instance will reuse.
    pub fn observe_identity(
        &mut self,
        machine_id: &str,
        start_marker: &str,
        now: Instant,
    ) -> Vec<Event> {
        let seen = (machine_id.to_owned(), start_marker.to_owned());
        let previous = self.identity.replace(seen);
        if self.server.is_none() {
            self.server = Some(ServerRef {
                machine_identifier: machine_id.to_owned(),
                version: None,
            });
        }
        match previous {
            Some((m, s)) if m != machine_id || s != start_marker => {}
            _ => return Vec::new(),
        }
        let stamp = synthetic_stamp!(self);
        let mut events = vec![{
            let mut e = stamp.event(EventName::ServerRestarted);
            e.synthetic = false;
            e
        }];
        events.extend(self.sessions.reset(now, &stamp));
        events.extend(self.activities.reset(&stamp));
        self.finish(events, now)
    }

    fn finish(&self, mut events: Vec<Event>, now: Instant) -> Vec<Event> {
        if let Some(causes) = &self.self_causes {
            causes.mark(&mut events, now);
        }
        events
    }
}

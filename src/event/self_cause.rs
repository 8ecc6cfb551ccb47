//! The loop guard: remembering what our own actions are about to touch, so the
//! notifications they cause are marked `caused_by_self`.
//!
//! A rule that uploads a poster on `item.ready` would otherwise see the
//! `library.refresh.items` activity and timeline state 5 its own upload
//! causes, and fire again, forever. The action layer registers "I am about to
//! touch item X" (or section Y, or got activity Z back in `X-Plex-Activity`)
//! before it calls Plex; the normalizer checks the registry for each event.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{Event, EventName};

/// How long an activity uuid from `X-Plex-Activity` stays ours: long enough
/// for any refresh or scan to end, short enough to keep the map small.
const ACTIVITY_TTL: Duration = Duration::from_secs(6 * 60 * 60);

/// Shared registry of our own recent writes. Cloning shares it.
#[derive(Debug, Clone, Default)]
pub struct SelfCauses {
    inner: Arc<Mutex<Registry>>,
}

#[derive(Debug, Default)]
struct Registry {
    /// Item id → until when its notifications count as ours.
    items: HashMap<String, Instant>,
    /// Section id → until when its scans count as ours.
    sections: HashMap<String, Instant>,
    /// Activity uuid → until when it counts as ours.
    activities: HashMap<String, Instant>,
}

/// The clock the listener feeds the normalizer with: tokio's, so a paused
/// test clock and the registry agree.
fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

impl SelfCauses {
    /// An empty registry.
    pub fn new() -> SelfCauses {
        SelfCauses::default()
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        // A poisoned lock only means another thread panicked mid-insert; the
        // maps are still valid, so keep going rather than spread the panic.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// We are about to change item `id`: its item and refresh events within
    /// `window` from now are ours.
    pub fn touching_item(&self, id: &str, window: Duration) {
        self.touching_item_at(id, window, now());
    }

    /// [`SelfCauses::touching_item`] at an explicit time (tests, replays).
    pub fn touching_item_at(&self, id: &str, window: Duration, at: Instant) {
        let mut r = self.lock();
        r.prune(at);
        extend(&mut r.items, id, at + window);
    }

    /// We are about to scan section `id`: its scan events within `window`
    /// are ours. Items the scan finds are not: discovering them is the
    /// point of a scan, and rules must still see them.
    pub fn touching_section(&self, id: &str, window: Duration) {
        self.touching_section_at(id, window, now());
    }

    /// [`SelfCauses::touching_section`] at an explicit time.
    pub fn touching_section_at(&self, id: &str, window: Duration, at: Instant) {
        let mut r = self.lock();
        r.prune(at);
        extend(&mut r.sections, id, at + window);
    }

    /// Plex answered one of our calls with `X-Plex-Activity: uuid`: every
    /// event of that activity is ours.
    pub fn activity(&self, uuid: &str) {
        self.activity_at(uuid, now());
    }

    /// [`SelfCauses::activity`] at an explicit time.
    pub fn activity_at(&self, uuid: &str, at: Instant) {
        let mut r = self.lock();
        r.prune(at);
        extend(&mut r.activities, uuid, at + ACTIVITY_TTL);
    }

    /// Sets `caused_by_self` on the events our registrations cover.
    pub(crate) fn mark(&self, events: &mut [Event], now: Instant) {
        if events.is_empty() {
            return;
        }
        let mut r = self.lock();
        for e in events.iter_mut() {
            if !r.covers(e, now) {
                continue;
            }
            e.caused_by_self = true;
            // A refresh we caused stays ours until it ends, even past the
            // item's window: remember its uuid.
            if let Some(a) = &e.activity {
                extend(&mut r.activities, &a.uuid, now + ACTIVITY_TTL);
            }
        }
    }
}

fn extend(map: &mut HashMap<String, Instant>, key: &str, until: Instant) {
    let entry = map.entry(key.to_owned()).or_insert(until);
    *entry = (*entry).max(until);
}

fn live(map: &HashMap<String, Instant>, key: &str, now: Instant) -> bool {
    map.get(key).is_some_and(|until| now <= *until)
}

impl Registry {
    fn prune(&mut self, now: Instant) {
        self.items.retain(|_, until| now <= *until);
        self.sections.retain(|_, until| now <= *until);
        self.activities.retain(|_, until| now <= *until);
    }

    fn covers(&self, e: &Event, now: Instant) -> bool {
        if let Some(a) = &e.activity
            && live(&self.activities, &a.uuid, now)
        {
            return true;
        }
        use EventName::*;
        match e.name {
            ItemAdded | ItemReady | ItemDeleted | LibraryRefreshStarted | LibraryRefreshEnded => e
                .item
                .as_ref()
                .is_some_and(|i| live(&self.items, &i.id, now)),
            LibraryScanStarted | LibraryScanEnded => e
                .section
                .as_ref()
                .is_some_and(|s| live(&self.sections, &s.id, now)),
            _ => false,
        }
    }
}

//! Server activities: `activity` entries → scan, refresh and generic
//! activity events.
//!
//! `library.update.section` becomes `library.scan.started/ended` with the
//! section, `library.refresh.items` becomes `library.refresh.started/ended`
//! with the item; every other type becomes `activity.started/updated/ended`.
//! `Context` is often missing on `started` (PROTOCOL §3 (d)), so a scan or
//! refresh start is announced once its section or item is known (at the
//! latest just before its end), and what one frame said is remembered by
//! uuid for the frames that do not say it.

use std::collections::{HashMap, HashSet};

use super::recent::RecentSet;
use super::reconcile::LiveActivity;
use super::stamp::Stamp;
use super::{ActivityRef, Event, EventName, ItemRef};
use crate::plex::notification::ActivityNotification;

/// Ended uuids remembered, so a repeated `ended` (or a REST listing that
/// lags behind it) does not end an activity twice.
const ENDED_MEMORY: usize = 1024;

/// Activity types with dedicated events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Scan,
    Refresh,
    Other,
}

impl Family {
    fn of(kind: &str) -> Family {
        match kind {
            "library.update.section" => Family::Scan,
            "library.refresh.items" => Family::Refresh,
            _ => Family::Other,
        }
    }

    fn names(self) -> [EventName; 3] {
        match self {
            Family::Scan => [
                EventName::LibraryScanStarted,
                EventName::LibraryScanEnded,
                EventName::LibraryScanEnded,
            ],
            Family::Refresh => [
                EventName::LibraryRefreshStarted,
                EventName::LibraryRefreshEnded,
                EventName::LibraryRefreshEnded,
            ],
            Family::Other => [
                EventName::ActivityStarted,
                EventName::ActivityEnded,
                EventName::ActivityUpdated,
            ],
        }
    }
}

#[derive(Debug, Default)]
struct Tracked {
    kind: String,
    section_id: Option<String>,
    item_id: Option<String>,
    /// A `started` frame was seen but its event waits for the section or item.
    start_pending: bool,
}

impl Tracked {
    fn ready_to_start(&self) -> bool {
        match Family::of(&self.kind) {
            Family::Scan => self.section_id.is_some(),
            Family::Refresh => self.item_id.is_some(),
            Family::Other => true,
        }
    }
}

/// The text fields of the frame (or REST entry) an event is built from.
struct Shown<'a> {
    title: Option<&'a str>,
    subtitle: Option<&'a str>,
    progress: Option<i64>,
}

/// All tracked activities.
#[derive(Debug)]
pub(crate) struct Activities {
    tracked: HashMap<String, Tracked>,
    ended: RecentSet<String>,
}

impl Default for Activities {
    fn default() -> Self {
        Activities {
            tracked: HashMap::new(),
            ended: RecentSet::new(ENDED_MEMORY),
        }
    }
}

impl Activities {
    pub(crate) fn ingest(&mut self, a: &ActivityNotification, stamp: &Stamp<'_>) -> Vec<Event> {
        let uuid = a.uuid.as_str();
        if self.ended.contains(&a.uuid) {
            return Vec::new();
        }
        let ctx = a.activity.context.as_ref();
        let shown = Shown {
            title: a.activity.title.as_deref(),
            subtitle: a.activity.subtitle.as_deref(),
            progress: a.activity.progress,
        };
        let known = self.tracked.contains_key(uuid);
        if !known {
            self.tracked.insert(a.uuid.clone(), Tracked::default());
        }
        let Some(t) = self.tracked.get_mut(uuid) else {
            return Vec::new();
        };
        if t.kind.is_empty() {
            t.kind = a.activity.kind.clone();
        }
        if let Some(s) = ctx.and_then(|c| c.library_section_id.as_deref()) {
            t.section_id = Some(s.to_owned());
        }
        if let Some(i) = ctx.and_then(|c| c.item_id()) {
            t.item_id = Some(i.to_owned());
        }
        let family = Family::of(&t.kind);
        let [started, ended, updated] = family.names();
        let mut out = Vec::new();
        match a.event.as_str() {
            "started" if !known => t.start_pending = true,
            "updated" if family == Family::Other => {
                out.push(event(stamp, updated, "updated", uuid, t, &shown));
            }
            "ended" => {
                if t.start_pending {
                    out.push(event(stamp, started, "started", uuid, t, &shown));
                }
                out.push(event(stamp, ended, "ended", uuid, t, &shown));
                self.tracked.remove(uuid);
                self.ended.insert(a.uuid.clone());
                return out;
            }
            // A repeated start, a scan or refresh progress report, or an
            // event word we do not know: remember the activity, say nothing.
            _ => {}
        }
        if t.start_pending && t.ready_to_start() {
            t.start_pending = false;
            // The start goes before any update of the same frame.
            out.insert(0, event(stamp, started, "started", uuid, t, &shown));
        }
        out
    }

    /// See [`super::Normalizer::reconcile_activities`].
    pub(crate) fn reconcile(
        &mut self,
        live: &[LiveActivity],
        announce_new: bool,
        stamp: &Stamp<'_>,
    ) -> Vec<Event> {
        let live_ids: HashSet<&str> = live.iter().map(|a| a.uuid.as_str()).collect();
        let mut gone: Vec<String> = self
            .tracked
            .keys()
            .filter(|u| !live_ids.contains(u.as_str()))
            .cloned()
            .collect();
        gone.sort();
        let mut out = Vec::new();
        for uuid in gone {
            self.end_unseen(&uuid, stamp, &mut out);
        }
        for a in live {
            if a.uuid.is_empty() || self.ended.contains(&a.uuid) {
                continue;
            }
            let known = self.tracked.contains_key(&a.uuid);
            let t = self.tracked.entry(a.uuid.clone()).or_default();
            if t.kind.is_empty() {
                t.kind = a.kind.clone();
            }
            t.section_id = t.section_id.take().or_else(|| a.section_id.clone());
            t.item_id = t.item_id.take().or_else(|| a.item_id.clone());
            // A start we saw ourselves is owed; one we missed is announced
            // only on reconnects (the previous process saw the others).
            let owed = t.start_pending || (!known && announce_new);
            if owed && t.ready_to_start() {
                t.start_pending = false;
                let shown = Shown {
                    title: a.title.as_deref(),
                    subtitle: a.subtitle.as_deref(),
                    progress: a.progress,
                };
                let [started, _, _] = Family::of(&t.kind).names();
                out.push(event(stamp, started, "started", &a.uuid, t, &shown));
            }
        }
        out
    }

    /// The server restarted: every tracked activity ended with it.
    pub(crate) fn reset(&mut self, stamp: &Stamp<'_>) -> Vec<Event> {
        let mut all: Vec<String> = self.tracked.keys().cloned().collect();
        all.sort();
        let mut out = Vec::new();
        for uuid in all {
            self.end_unseen(&uuid, stamp, &mut out);
        }
        out
    }

    /// Ends an activity whose end we did not see.
    fn end_unseen(&mut self, uuid: &str, stamp: &Stamp<'_>, out: &mut Vec<Event>) {
        let Some(t) = self.tracked.remove(uuid) else {
            return;
        };
        let [started, ended, _] = Family::of(&t.kind).names();
        let shown = Shown {
            title: None,
            subtitle: None,
            progress: None,
        };
        if t.start_pending {
            out.push(event(stamp, started, "started", uuid, &t, &shown));
        }
        out.push(event(stamp, ended, "ended", uuid, &t, &shown));
        self.ended.insert(uuid.to_owned());
    }
}

fn event(
    stamp: &Stamp<'_>,
    name: EventName,
    word: &str,
    uuid: &str,
    t: &Tracked,
    shown: &Shown<'_>,
) -> Event {
    let mut e = stamp.event(name);
    e.activity = Some(ActivityRef {
        uuid: uuid.to_owned(),
        kind: t.kind.clone(),
        event: word.to_owned(),
        title: shown.title.map(str::to_owned),
        subtitle: shown.subtitle.map(str::to_owned),
        progress: shown.progress,
    });
    match Family::of(&t.kind) {
        Family::Scan => e.section = t.section_id.as_deref().map(|s| stamp.section(s)),
        Family::Refresh => {
            if let Some(item) = &t.item_id {
                e.section = match &t.section_id {
                    Some(s) => Some(stamp.section(s)),
                    None => stamp.section_of_item(item),
                };
                e.item = Some(ItemRef {
                    id: item.clone(),
                    kind: None,
                    title: None,
                    parent_id: None,
                    grandparent_id: None,
                });
            }
        }
        Family::Other => {}
    }
    e
}

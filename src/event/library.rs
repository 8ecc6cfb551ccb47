//! Library items: `timeline` entries → `item.added`, `item.ready`, `item.deleted`.
//!
//! Only library items in a real section count (identifier
//! `com.plexapp.plugins.library`, section ≥ 1): EPG entries and extras
//! (section -1) are not things rules act on (PROTOCOL §2.2, §3.2).

use super::recent::{RecentMap, RecentSet};
use super::reconcile::{AddedItem, TouchedItem};
use super::section_map::library_section;
use super::stamp::Stamp;
use super::{Event, EventName, ItemRef};
use crate::plex::notification::{TimelineEntry, metadata_type_name};

/// How many added items are remembered to keep `item.added` to one per
/// ratingKey (Plex re-sends `created` on upgrades and re-adds).
const ADDED_MEMORY: usize = 4096;

/// Item events and what is needed to not repeat them.
#[derive(Debug)]
pub(crate) struct Items {
    added: RecentSet<String>,
    /// The `updatedAt` each recent `item.ready` announced, so a catch-up
    /// does not announce the same version of an item twice.
    ready: RecentMap<String, Option<i64>>,
    /// The `updatedAt` of each `item.ready` a catch-up announced: the live
    /// frame for that same version, when it arrives after all (it was held
    /// back or still on its way), is not news.
    caught_up: RecentMap<String, i64>,
}

impl Default for Items {
    fn default() -> Self {
        Items {
            added: RecentSet::new(ADDED_MEMORY),
            ready: RecentMap::new(ADDED_MEMORY),
            caught_up: RecentMap::new(ADDED_MEMORY),
        }
    }
}

impl Items {
    pub(crate) fn ingest(&mut self, t: &TimelineEntry, stamp: &Stamp<'_>) -> Option<Event> {
        let section = library_section(t)?;
        let item = t.item_id.as_deref().filter(|i| !i.is_empty())?;
        let metadata_state = t.metadata_state.as_deref();
        let name = match (t.state?, metadata_state) {
            (9, _) | (_, Some("deleted")) => EventName::ItemDeleted,
            (0, None | Some("created")) => {
                if !self.added.insert(item.to_owned()) {
                    return None;
                }
                EventName::ItemAdded
            }
            (5, None) if t.media_state.is_none() => {
                let caught_up = self.caught_up.get(&item.to_owned()).copied();
                if t.updated_at
                    .is_some_and(|at| caught_up.is_some_and(|c| c >= at))
                {
                    return None;
                }
                self.ready.insert(item.to_owned(), t.updated_at);
                EventName::ItemReady
            }
            _ => return None,
        };
        let mut e = stamp.event(name);
        e.section = Some(stamp.section(section));
        e.item = Some(ItemRef {
            id: item.to_owned(),
            kind: t
                .metadata_type
                .and_then(metadata_type_name)
                .map(str::to_owned),
            title: t.title.clone().filter(|t| !t.is_empty()),
            parent_id: t.parent_item_id.clone(),
            grandparent_id: t.root_item_id.clone(),
        });
        Some(e)
    }

    /// See [`super::Normalizer::reconcile_added`]. Items at the watermark
    /// second itself are included (two items can share a second) and
    /// deduplicated against what was announced.
    pub(crate) fn reconcile(
        &mut self,
        items: &[AddedItem],
        watermark: Option<i64>,
        stamp: &Stamp<'_>,
    ) -> (Vec<Event>, Option<i64>) {
        let newest = items.iter().map(|i| i.added_at).max();
        let mark = match (watermark, newest) {
            (Some(w), Some(n)) => Some(w.max(n)),
            (w, n) => w.or(n),
        };
        let Some(watermark) = watermark else {
            // First run: what exists now is not news, but remember it so a
            // late live `created` for it is not either.
            for i in items {
                self.added.insert(i.id.clone());
            }
            return (Vec::new(), mark);
        };
        let mut fresh: Vec<&AddedItem> = items.iter().filter(|i| i.added_at >= watermark).collect();
        fresh.sort_by(|a, b| (a.added_at, &a.id).cmp(&(b.added_at, &b.id)));
        let mut out = Vec::new();
        for i in fresh {
            if !self.added.insert(i.id.clone()) {
                continue;
            }
            out.push(listed_item_event(
                stamp,
                EventName::ItemAdded,
                &i.section_id,
                &i.id,
                &i.kind,
                &i.title,
            ));
        }
        (out, mark)
    }

    /// `item.ready` for items changed since the catch-up watermark whose
    /// current version was not announced live: Plex sends a timeline state 5
    /// when it finishes processing any change, so each one missed is an
    /// `item.ready` missed. Oldest change first.
    pub(crate) fn reconcile_touched(
        &mut self,
        items: &[TouchedItem],
        stamp: &Stamp<'_>,
    ) -> Vec<Event> {
        let mut changed: Vec<&TouchedItem> = items.iter().collect();
        changed.sort_by(|a, b| (a.updated_at, &a.id).cmp(&(b.updated_at, &b.id)));
        let mut out = Vec::new();
        for i in changed {
            let seen = self.ready.get(&i.id).copied().flatten();
            if seen.is_some_and(|at| at >= i.updated_at) {
                continue;
            }
            self.ready.insert(i.id.clone(), Some(i.updated_at));
            self.caught_up.insert(i.id.clone(), i.updated_at);
            out.push(listed_item_event(
                stamp,
                EventName::ItemReady,
                &i.section_id,
                &i.id,
                &i.kind,
                &i.title,
            ));
        }
        out
    }
}

/// An event about an item a REST listing returned during a catch-up: what
/// the listing says of it, no parents (listings of leaves do not need them).
fn listed_item_event(
    stamp: &Stamp<'_>,
    name: EventName,
    section_id: &str,
    id: &str,
    kind: &Option<String>,
    title: &Option<String>,
) -> Event {
    let mut e = stamp.event(name);
    e.section = Some(stamp.section(section_id));
    e.item = Some(ItemRef {
        id: id.to_owned(),
        kind: kind.clone(),
        title: title.clone(),
        parent_id: None,
        grandparent_id: None,
    });
    e
}

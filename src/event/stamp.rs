//! What every event built for one input shares: the server, the section
//! cache, the notification it came from, and whether it is synthetic. The
//! trackers (playback, library, activity) build their events from a stamp so
//! that none of them needs the normalizer that owns the caches.

use std::collections::HashMap;

use super::section_map::ItemSections;
use super::{Event, EventName, SectionRef, ServerRef};
use crate::plex::notification::Notification;

/// What every event built for one input shares.
pub(crate) struct Stamp<'a> {
    pub(crate) server: Option<&'a ServerRef>,
    pub(crate) sections: &'a HashMap<String, SectionRef>,
    pub(crate) item_sections: &'a ItemSections,
    pub(crate) notification: Option<&'a Notification>,
    pub(crate) synthetic: bool,
}

impl Stamp<'_> {
    /// A new event with the server, raw payload and synthetic flag filled in.
    pub(crate) fn event(&self, name: EventName) -> Event {
        let mut e = Event::new(name);
        e.server = self.server.cloned();
        e.synthetic = self.synthetic;
        if let Some(n) = self.notification {
            // `raw` is filled by `ingest`, once per entry.
            e.notification_type = Some(n.notification_type().to_owned());
        }
        e
    }

    /// The section as rules see it, with title and type when cached.
    pub(crate) fn section(&self, id: &str) -> SectionRef {
        self.sections
            .get(id)
            .cloned()
            .unwrap_or_else(|| SectionRef {
                id: id.to_owned(),
                title: None,
                kind: None,
            })
    }

    /// The section of an item, if known.
    pub(crate) fn section_of_item(&self, item_id: &str) -> Option<SectionRef> {
        self.item_sections.get(item_id).map(|s| self.section(s))
    }
}

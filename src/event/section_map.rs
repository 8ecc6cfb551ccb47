//! Which section each library item is in, learned wherever Plex says so, so
//! that events about an item can name its section even when the
//! notification that caused them does not.

use std::collections::HashMap;

use crate::plex::notification::{LIBRARY_IDENTIFIER, TimelineEntry};

/// Above this many entries the item → section map starts over; it is a
/// cache, and a miss only leaves `Event.section` empty.
const ITEM_SECTIONS_MAX: usize = 16_384;

/// Item id → section id, learned wherever Plex tells it.
#[derive(Debug, Default)]
pub(crate) struct ItemSections {
    map: HashMap<String, String>,
}

impl ItemSections {
    pub(crate) fn learn(&mut self, item: &str, section: &str) {
        if self.map.get(item).is_some_and(|s| s == section) {
            return;
        }
        if self.map.len() >= ITEM_SECTIONS_MAX {
            self.map.clear();
        }
        self.map.insert(item.to_owned(), section.to_owned());
    }

    pub(crate) fn learn_timeline(&mut self, t: &TimelineEntry) {
        if let (Some(item), Some(section)) = (&t.item_id, library_section(t)) {
            self.learn(item, section);
        }
    }

    pub(crate) fn get(&self, item: &str) -> Option<&str> {
        self.map.get(item).map(String::as_str)
    }
}

/// The section of a library entry in a real section, or `None`.
pub(crate) fn library_section(t: &TimelineEntry) -> Option<&str> {
    if t.identifier.as_deref() != Some(LIBRARY_IDENTIFIER) {
        return None;
    }
    let id = t.section_id.as_deref()?;
    (id.trim().parse::<i64>().ok()? >= 1).then_some(id)
}

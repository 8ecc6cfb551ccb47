//! The simulated server's state: sections, items, files on disk, the agent
//! catalogue, running activities and playback sessions.
//!
//! Operations that Plex performs (scans, matches, edits, uploads, collections)
//! live in their own modules as further `impl Library` blocks; this file holds
//! the data and the plain look-ups and set-up mutators tests use.

use std::collections::{BTreeMap, BTreeSet};

use super::activity::Activity;
use super::catalogue::Catalogue;
use super::item::{ItemKind, SimItem};
use super::playback::Session;

/// A library section (`Directory` in `/library/sections`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The section key, `"1"`, `"2"`, …
    pub id: String,
    /// Shown in `librarySectionTitle` and in scan status messages.
    pub title: String,
    /// Movie, show or artist: the top-level kind of its items.
    pub kind: ItemKind,
    /// The metadata agent (`tv.plex.agents.movie`, …).
    pub agent: String,
    /// The scanner name (`Plex Movie`, …).
    pub scanner: String,
    /// Root folders in Plex's namespace; scans must stay under one of them.
    pub locations: Vec<String>,
    /// A stable UUID, as Plex gives each section.
    pub uuid: String,
}

/// The whole simulated server state. Obtain it with
/// [`crate::sim::Simulator::with_library`] (read) or `with_library_mut` (set up).
#[derive(Debug, Clone, Default)]
pub struct Library {
    pub(crate) sections: Vec<Section>,
    pub(crate) items: BTreeMap<u64, SimItem>,
    pub(crate) next_key: u64,
    /// Files that exist "on disk" (scanned or not); a scan adds those missing
    /// from the library and deletes items whose files are gone.
    pub(crate) on_disk: BTreeSet<String>,
    pub(crate) catalogue: Catalogue,
    pub(crate) activities: Vec<Activity>,
    pub(crate) sessions: Vec<Session>,
    /// The next playback session key; counts from 1 again after a restart.
    pub(crate) next_session: u64,
}

/// Seconds since the epoch, for `addedAt` / `updatedAt`.
pub(crate) fn now_epoch() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Whether `path` is `root` or below it, by whole components
/// (`/media/tv` is not under `/media/t`).
pub(crate) fn is_under(path: &str, root: &str) -> bool {
    let root = root.trim_end_matches('/');
    let path = path.trim_end_matches('/');
    path == root
        || (path.starts_with(root) && path.as_bytes().get(root.len()) == Some(&b'/'))
        || root.is_empty()
}

impl Library {
    /// An empty library with these sections.
    pub fn new(sections: Vec<Section>) -> Library {
        Library {
            sections,
            next_key: 1,
            ..Library::default()
        }
    }

    /// All sections, in key order.
    pub fn sections(&self) -> &[Section] {
        &self.sections
    }

    /// A section by key.
    pub fn section(&self, id: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.id == id)
    }

    /// An item by rating key.
    pub fn item(&self, id: &str) -> Option<&SimItem> {
        self.items.get(&id.trim().parse::<u64>().ok()?)
    }

    /// An item by rating key, to change it during test set-up.
    pub fn item_mut(&mut self, id: &str) -> Option<&mut SimItem> {
        self.items.get_mut(&id.trim().parse::<u64>().ok()?)
    }

    /// Every item, in rating-key order.
    pub fn items(&self) -> impl Iterator<Item = &SimItem> {
        self.items.values()
    }

    /// The direct children of an item (seasons of a show, episodes of a
    /// season, …), in index order; for a collection, its members.
    pub fn children(&self, id: &str) -> Vec<&SimItem> {
        let Some(parent) = self.item(id) else {
            return Vec::new();
        };
        if parent.collection.as_ref().is_some_and(|c| c.smart) {
            return self.smart_members(parent);
        }
        let mut out: Vec<&SimItem> = if parent.collection.is_some() {
            self.items
                .values()
                .filter(|i| {
                    i.section_id == parent.section_id
                        && i.collection.is_none()
                        && i.tags("collection").contains(&parent.title)
                })
                .collect()
        } else {
            self.items
                .values()
                .filter(|i| i.parent.as_deref() == Some(id))
                .collect()
        };
        out.sort_by_key(|i| i.index.unwrap_or(u32::MAX));
        out
    }

    /// The item whose `Media[].Part[].file` is exactly `path`.
    pub fn find_by_file(&self, path: &str) -> Option<&SimItem> {
        self.items
            .values()
            .find(|i| i.files.iter().any(|f| f == path))
    }

    /// The agent catalogue that `…/matches` searches.
    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// The agent catalogue, to add titles during set-up.
    pub fn catalogue_mut(&mut self) -> &mut Catalogue {
        &mut self.catalogue
    }

    /// Activities running now (`GET /activities`).
    pub fn activities(&self) -> &[Activity] {
        &self.activities
    }

    /// Playback sessions now (`GET /status/sessions`).
    pub fn sessions(&self) -> &[Session] {
        &self.sessions
    }

    /// Files on disk, scanned or not.
    pub fn files_on_disk(&self) -> impl Iterator<Item = &str> {
        self.on_disk.iter().map(String::as_str)
    }

    /// Puts a file "on disk" without telling Plex: the next scan of its folder
    /// creates the item (this is how tests stage a new download).
    pub fn add_file_on_disk(&mut self, path: &str) {
        self.on_disk.insert(path.to_owned());
    }

    /// Deletes a file "on disk": the next scan of its folder deletes the item.
    pub fn remove_file_from_disk(&mut self, path: &str) -> bool {
        self.on_disk.remove(path)
    }

    /// Adds an item as if Plex had scanned it, assigning its rating key (and a
    /// `local://` guid when it has none); its files are put on disk too.
    /// Returns the rating key.
    pub fn add_item(&mut self, mut item: SimItem) -> String {
        let key = self.next_key.max(1);
        self.next_key = key + 1;
        item.rating_key = key.to_string();
        if item.guid.is_empty() {
            item.guid = format!("local://{key}");
        }
        if item.added_at == 0 {
            item.added_at = now_epoch();
        }
        if item.updated_at == 0 {
            item.updated_at = item.added_at;
        }
        for f in &item.files {
            self.on_disk.insert(f.clone());
        }
        self.items.insert(key, item);
        key.to_string()
    }

    /// Removes an item and everything below it (seasons, episodes…), leaving
    /// their files on disk. Returns the removed items, parents first.
    pub fn remove_item(&mut self, id: &str) -> Vec<SimItem> {
        let mut removed = Vec::new();
        let mut queue = vec![id.to_owned()];
        while let Some(next) = queue.pop() {
            let Ok(key) = next.parse::<u64>() else {
                continue;
            };
            if let Some(item) = self.items.remove(&key) {
                queue.extend(
                    self.items
                        .values()
                        .filter(|i| i.parent.as_deref() == Some(next.as_str()))
                        .map(|i| i.rating_key.clone()),
                );
                removed.push(item);
            }
        }
        removed
    }

    /// The section whose location holds `path` most specifically.
    pub fn section_for_path(&self, path: &str) -> Option<&Section> {
        self.sections
            .iter()
            .flat_map(|s| s.locations.iter().map(move |l| (s, l)))
            .filter(|(_, l)| is_under(path, l))
            .max_by_key(|(_, l)| l.trim_end_matches('/').len())
            .map(|(s, _)| s)
    }

    /// The items an item's `file=` filter looks through: its own files, or
    /// for a show/season/artist/album, the files of everything below it.
    pub(crate) fn files_below<'a>(&'a self, item: &'a SimItem) -> Vec<&'a str> {
        if !item.files.is_empty() {
            return item.files.iter().map(String::as_str).collect();
        }
        let mut out = Vec::new();
        for child in self.children(&item.rating_key) {
            if child.collection.is_none() && item.collection.is_none() {
                out.extend(self.files_below(child));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_compares_whole_components() {
        assert!(is_under("/media/tv/Show", "/media/tv"));
        assert!(is_under("/media/tv/", "/media/tv"));
        assert!(!is_under("/media/tv2/Show", "/media/tv"));
        assert!(is_under("/media/tv/Show", "/media/tv/"));
    }

    #[test]
    fn removing_a_show_removes_its_seasons_and_episodes() {
        let mut lib = Library::new(Vec::new());
        let show = lib.add_item(SimItem::new(ItemKind::Show, "2", "S"));
        let mut season = SimItem::new(ItemKind::Season, "2", "Season 1");
        season.parent = Some(show.clone());
        let season = lib.add_item(season);
        let mut ep = SimItem::new(ItemKind::Episode, "2", "E1");
        ep.parent = Some(season.clone());
        ep.files = vec!["/tv/S/e1.mkv".into()];
        lib.add_item(ep);
        let removed = lib.remove_item(&show);
        assert_eq!(removed.len(), 3);
        assert_eq!(lib.items().count(), 0);
        assert_eq!(lib.files_on_disk().count(), 1);
    }
}

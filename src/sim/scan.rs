//! Section scans: find files on disk the library lacks (creating movies,
//! shows/seasons/episodes or artists/albums/tracks as Plex would) and drop
//! items whose files are gone.

use super::item::{ItemKind, SimItem};
use super::library::{Library, is_under};
use super::naming;
use super::rejection::Rejection;

/// What a scan changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScanOutcome {
    /// Rating keys of new items, parents before children.
    pub created: Vec<String>,
    /// Items removed because their files left the disk.
    pub deleted: Vec<SimItem>,
}

impl Library {
    /// Scans a section, or only `path` inside it (a partial scan).
    ///
    /// A `path` outside every location of the section is refused (400). What
    /// real Plex does then is unverified; refusing makes a client's path
    /// mapping mistakes visible in tests.
    pub fn scan(&mut self, section_id: &str, path: Option<&str>) -> Result<ScanOutcome, Rejection> {
        let section = self
            .section(section_id)
            .ok_or_else(|| Rejection::NotFound(format!("section {section_id}")))?
            .clone();
        let roots: Vec<String> = match path {
            Some(p) if !p.is_empty() => {
                if !section.locations.iter().any(|l| is_under(p, l)) {
                    return Err(Rejection::BadRequest(format!(
                        "path is not under a location of section {section_id}"
                    )));
                }
                vec![p.trim_end_matches('/').to_owned()]
            }
            _ => section.locations.clone(),
        };
        let under_roots = |f: &str| roots.iter().any(|r| is_under(f, r));

        let mut outcome = ScanOutcome::default();
        let gone: Vec<String> = self
            .items
            .values()
            .filter(|i| i.section_id == section.id && !i.files.is_empty())
            .filter(|i| {
                i.files
                    .iter()
                    .all(|f| under_roots(f) && !self.on_disk.contains(f))
            })
            .map(|i| i.rating_key.clone())
            .collect();
        for id in gone {
            outcome.deleted.extend(self.remove_item(&id));
        }

        let new_files: Vec<String> = self
            .on_disk
            .iter()
            .filter(|f| under_roots(f))
            .filter(|f| {
                // The file belongs to this section's most specific location.
                self.section_for_path(f).is_some_and(|s| s.id == section.id)
            })
            .filter(|f| self.find_by_file(f).is_none())
            .cloned()
            .collect();
        for file in new_files {
            let location = section
                .locations
                .iter()
                .filter(|l| is_under(&file, l))
                .max_by_key(|l| l.len())
                .cloned()
                .unwrap_or_default();
            match section.kind {
                ItemKind::Show => {
                    self.create_episode(&section.id, &location, &file, &mut outcome.created)
                }
                ItemKind::Artist => {
                    self.create_track(&section.id, &location, &file, &mut outcome.created)
                }
                _ => {
                    let (title, year) = naming::title_and_year(naming::stem(&file));
                    let mut it = SimItem::new(ItemKind::Movie, &section.id, &title);
                    it.year = year;
                    it.files = vec![file.clone()];
                    outcome.created.push(self.add_item(it));
                }
            }
        }
        Ok(outcome)
    }

    /// Finds the child of `parent` (or the top-level item of the section when
    /// `parent` is `None`) with this folder or index, creating it if needed.
    #[allow(clippy::too_many_arguments)]
    fn find_or_create(
        &mut self,
        section_id: &str,
        kind: ItemKind,
        parent: Option<&str>,
        folder: &str,
        index: Option<u32>,
        title: &str,
        created: &mut Vec<String>,
    ) -> String {
        let existing = self.items.values().find(|i| {
            i.section_id == section_id
                && i.kind == kind
                && i.parent.as_deref() == parent
                && (i.folder.as_deref() == Some(folder) || (index.is_some() && i.index == index))
        });
        if let Some(i) = existing {
            return i.rating_key.clone();
        }
        let (t, year) = naming::title_and_year(title);
        let mut it = SimItem::new(kind, section_id, if t.is_empty() { title } else { &t });
        it.year = if kind == ItemKind::Season { None } else { year };
        it.folder = Some(folder.to_owned());
        it.parent = parent.map(str::to_owned);
        it.index = index;
        let key = self.add_item(it);
        created.push(key.clone());
        key
    }

    fn create_episode(
        &mut self,
        section_id: &str,
        location: &str,
        file: &str,
        created: &mut Vec<String>,
    ) {
        let rel: Vec<&str> = file[location.len()..]
            .trim_start_matches('/')
            .split('/')
            .collect();
        let show_dir = rel.first().copied().unwrap_or("");
        let show_folder = format!("{}/{show_dir}", location.trim_end_matches('/'));
        let stem = naming::stem(file);
        let (season, episode) = naming::season_episode(stem).unwrap_or_else(|| {
            let season = rel
                .get(1)
                .and_then(|d| naming::season_folder(d))
                .unwrap_or(1);
            (season, 0)
        });
        let season_folder = match rel.len() {
            3.. => format!("{show_folder}/{}", rel[1]),
            _ => show_folder.clone(),
        };
        let show = self.find_or_create(
            section_id,
            ItemKind::Show,
            None,
            &show_folder,
            None,
            show_dir,
            created,
        );
        let season_title = format!("Season {season}");
        let season_key = self.find_or_create(
            section_id,
            ItemKind::Season,
            Some(&show),
            &season_folder,
            Some(season),
            &season_title,
            created,
        );
        let mut ep = SimItem::new(ItemKind::Episode, section_id, &format!("Episode {episode}"));
        ep.index = (episode > 0).then_some(episode);
        ep.parent = Some(season_key);
        ep.grandparent = Some(show);
        ep.files = vec![file.to_owned()];
        created.push(self.add_item(ep));
    }

    fn create_track(
        &mut self,
        section_id: &str,
        location: &str,
        file: &str,
        created: &mut Vec<String>,
    ) {
        let rel: Vec<&str> = file[location.len()..]
            .trim_start_matches('/')
            .split('/')
            .collect();
        let base = location.trim_end_matches('/');
        let artist_dir = if rel.len() >= 3 {
            rel[0]
        } else {
            "[Unknown Artist]"
        };
        let album_dir = if rel.len() >= 3 {
            rel[1]
        } else {
            rel.first().copied().unwrap_or("")
        };
        let artist_folder = format!("{base}/{artist_dir}");
        let album_folder = format!("{artist_folder}/{album_dir}");
        let artist = self.find_or_create(
            section_id,
            ItemKind::Artist,
            None,
            &artist_folder,
            None,
            artist_dir,
            created,
        );
        let album = self.find_or_create(
            section_id,
            ItemKind::Album,
            Some(&artist),
            &album_folder,
            None,
            album_dir,
            created,
        );
        let (index, title) = naming::track(naming::stem(file));
        let mut t = SimItem::new(ItemKind::Track, section_id, &title);
        t.index = index;
        t.parent = Some(album);
        t.grandparent = Some(artist);
        t.files = vec![file.to_owned()];
        created.push(self.add_item(t));
    }
}

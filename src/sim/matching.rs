//! Matching an item to an agent entry: candidates (`…/matches`), applying a
//! match (`…/match`) and undoing it (`…/unmatch`), against the catalogue.

use super::catalogue::CatalogueEntry;
use super::item::ItemKind;
use super::library::{Library, now_epoch};
use super::naming;
use super::rejection::Rejection;

impl Library {
    /// Candidates for `GET|PUT /library/metadata/{id}/matches`, best first.
    /// `title` may be `tmdb-N` / `imdb-tt…` / `tvdb-N` (an exact id hit,
    /// score 100); otherwise titles are searched (the item's own title when
    /// none is given).
    pub fn match_candidates(
        &self,
        id: &str,
        title: Option<&str>,
        year: Option<i32>,
    ) -> Result<Vec<(CatalogueEntry, u8)>, Rejection> {
        let item = self
            .item(id)
            .ok_or_else(|| Rejection::NotFound(format!("item {id}")))?;
        let kind = match item.kind {
            ItemKind::Movie | ItemKind::Show | ItemKind::Artist | ItemKind::Album => item.kind,
            _ => return Ok(Vec::new()),
        };
        let title = title.filter(|t| !t.trim().is_empty());
        if let Some(entry) = title.and_then(|t| self.catalogue.by_id_title(t)) {
            return Ok(if entry.kind == kind {
                vec![(entry.clone(), 100)]
            } else {
                Vec::new()
            });
        }
        let (title, year) = match title {
            Some(t) => (t.to_owned(), year),
            None => (item.title.clone(), year.or(item.year)),
        };
        Ok(self
            .catalogue
            .search(kind, &title, year)
            .into_iter()
            .map(|h| (h.entry.clone(), h.score))
            .collect())
    }

    /// Matches an item to the catalogue entry named by `guid` (a `plex://`
    /// guid or an external one such as `tmdb://603`): the item takes the
    /// entry's guid, title, year and external ids, except locked fields.
    /// An unknown guid is refused (400): the simulated agent cannot fetch it.
    pub fn apply_match(&mut self, id: &str, guid: &str) -> Result<(), Rejection> {
        let entry = self
            .catalogue
            .by_guid(guid)
            .cloned()
            .ok_or_else(|| Rejection::BadRequest(format!("the agent does not know {guid}")))?;
        let item = self
            .item_mut(id)
            .ok_or_else(|| Rejection::NotFound(format!("item {id}")))?;
        item.guid = entry.guid;
        if !item.is_locked("title") {
            item.title = entry.title;
        }
        if !item.is_locked("year") {
            item.year = entry.year;
        }
        item.external_guids = entry.external;
        item.updated_at = now_epoch();
        Ok(())
    }

    /// Unmatches an item: `local://` guid, no external ids, and the title
    /// and year read from its file name again (unless locked).
    pub fn unmatch(&mut self, id: &str) -> Result<(), Rejection> {
        let item = self
            .item_mut(id)
            .ok_or_else(|| Rejection::NotFound(format!("item {id}")))?;
        item.guid = format!("local://{}", item.rating_key);
        item.external_guids.clear();
        let source = item
            .files
            .first()
            .map(|f| naming::stem(f).to_owned())
            .or_else(|| item.folder.as_deref().map(|f| naming::stem(f).to_owned()));
        if let Some(name) = source {
            let (title, year) = naming::title_and_year(&name);
            if !item.is_locked("title") && !title.is_empty() {
                item.title = title;
            }
            if !item.is_locked("year") {
                item.year = year;
            }
        }
        item.updated_at = now_epoch();
        Ok(())
    }
}

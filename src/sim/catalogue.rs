//! The simulator's stand-in for Plex's online agents: a small catalogue that
//! resolves external ids (`tmdb-603`, `imdb://tt0133093`) and titles to
//! `plex://` guids, so `…/matches` and `…/match` behave like the real thing.

use super::item::ItemKind;

/// One title the "agent" knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueEntry {
    /// The modern agent guid, `plex://movie/<24 hex>`.
    pub guid: String,
    /// Movie, show or artist.
    pub kind: ItemKind,
    /// The title a match gives the item.
    pub title: String,
    /// The year a match gives the item.
    pub year: Option<i32>,
    /// External ids that resolve to this entry and become the item's `Guid[]`.
    pub external: Vec<String>,
}

/// A scored search hit, as `SearchResult[]` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueHit<'a> {
    /// The entry found.
    pub entry: &'a CatalogueEntry,
    /// 0–100; Plex treats > 85 as a confident match.
    pub score: u8,
}

/// The agent catalogue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalogue {
    entries: Vec<CatalogueEntry>,
}

impl Catalogue {
    /// Adds an entry.
    pub fn add(&mut self, entry: CatalogueEntry) {
        self.entries.push(entry);
    }

    /// All entries, in insertion order.
    pub fn entries(&self) -> &[CatalogueEntry] {
        &self.entries
    }

    /// Finds an entry by its `plex://` guid or by one of its external guids
    /// (`tmdb://603`, also with a legacy `?lang=en` suffix).
    pub fn by_guid(&self, guid: &str) -> Option<&CatalogueEntry> {
        let guid = guid.split('?').next().unwrap_or(guid);
        self.entries
            .iter()
            .find(|e| e.guid == guid || e.external.iter().any(|x| x == guid))
    }

    /// Resolves python-plexapi's id trick: a title of `tmdb-603`,
    /// `imdb-tt0133093` or `tvdb-371980` names an external id.
    pub fn by_id_title(&self, title: &str) -> Option<&CatalogueEntry> {
        let (scheme, id) = title.trim().split_once('-')?;
        if !matches!(scheme, "tmdb" | "imdb" | "tvdb") || id.is_empty() {
            return None;
        }
        self.by_guid(&format!("{scheme}://{id}"))
    }

    /// Searches titles of one kind, best first: exact title and year 100,
    /// exact title 90, containing the words 70.
    pub fn search(&self, kind: ItemKind, title: &str, year: Option<i32>) -> Vec<CatalogueHit<'_>> {
        let wanted = fold(title);
        if wanted.is_empty() {
            return Vec::new();
        }
        let mut hits: Vec<CatalogueHit<'_>> = self
            .entries
            .iter()
            .filter(|e| e.kind == kind)
            .filter_map(|entry| {
                let have = fold(&entry.title);
                let score = if have == wanted {
                    if year.is_some() && year == entry.year {
                        100
                    } else {
                        90
                    }
                } else if have.contains(&wanted) || wanted.contains(&have) {
                    70
                } else {
                    return None;
                };
                Some(CatalogueHit { entry, score })
            })
            .collect();
        hits.sort_by_key(|h| std::cmp::Reverse(h.score));
        hits
    }
}

/// Lower-cased, punctuation-free form for comparing titles.
fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue() -> Catalogue {
        let mut c = Catalogue::default();
        for (guid, title, year, ext) in [
            ("plex://movie/a", "Blade Runner", 1982, "tmdb://78"),
            ("plex://movie/b", "Blade Runner 2049", 2017, "tmdb://335984"),
        ] {
            c.add(CatalogueEntry {
                guid: guid.into(),
                kind: ItemKind::Movie,
                title: title.into(),
                year: Some(year),
                external: vec![ext.into()],
            });
        }
        c
    }

    #[test]
    fn id_title_resolves_through_external_ids() {
        let c = catalogue();
        assert_eq!(c.by_id_title("tmdb-335984").unwrap().guid, "plex://movie/b");
        assert!(c.by_id_title("tmdb-1").is_none());
        assert!(c.by_id_title("Blade Runner").is_none());
        assert_eq!(
            c.by_guid("tmdb://78?lang=en").unwrap().guid,
            "plex://movie/a"
        );
    }

    #[test]
    fn plain_title_search_ranks_exact_first() {
        let c = catalogue();
        let hits = c.search(ItemKind::Movie, "blade runner", Some(1982));
        assert_eq!(hits.len(), 2);
        assert_eq!(
            (hits[0].entry.guid.as_str(), hits[0].score),
            ("plex://movie/a", 100)
        );
        assert_eq!(hits[1].score, 70);
        assert!(c.search(ItemKind::Show, "blade runner", None).is_empty());
    }
}

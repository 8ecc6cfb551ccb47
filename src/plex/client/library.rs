//! Reading the library: identity, sections (cached), items, files, sessions,
//! agents; and starting or stopping scans.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tokio::time::Instant;

use super::{PlexClient, found};
use crate::plex::error::PlexError;
use crate::plex::model::{
    Agent, Item, MediaContainer, MediaType, Section, ServerIdentity, Session,
};
use crate::plex::pathmap::{Located, NotInAnySection, locate};
use crate::plex::request;

/// How long `/library/sections` is trusted: sections change rarely, and a
/// miss (unknown id, path under no location) refreshes early anyway.
pub const SECTIONS_TTL: Duration = Duration::from_secs(3600);

/// Page size for listings, as python-plexapi uses.
const PAGE: usize = 100;

pub(crate) struct SectionCache {
    fetched: Instant,
    pub(crate) sections: Arc<Vec<Section>>,
}

impl SectionCache {
    pub(crate) fn new(sections: Arc<Vec<Section>>) -> SectionCache {
        SectionCache {
            fetched: Instant::now(),
            sections,
        }
    }

    pub(crate) fn is_fresh(&self) -> bool {
        self.fetched.elapsed() < SECTIONS_TTL
    }
}

/// Decides when paging ends: a short page, or a server that ignored the
/// paging parameters (a page longer than asked, or the same page again) —
/// without this a server ignoring `X-Plex-Container-Start` would loop us
/// forever.
#[derive(Default)]
struct Pager {
    previous_first: Option<String>,
}

impl Pager {
    fn is_last(&mut self, page: &[Item]) -> bool {
        let first = page.first().map(|i| i.rating_key.clone());
        let repeated = first.is_some() && first == self.previous_first;
        self.previous_first = first;
        page.len() != PAGE || repeated
    }
}

impl PlexClient {
    /// `GET /identity`.
    pub async fn identity(&self) -> Result<ServerIdentity, PlexError> {
        let req = request::identity();
        let c = self.container::<Item>(&req).await?;
        match c.machine_identifier {
            Some(machine_identifier) => Ok(ServerIdentity {
                machine_identifier,
                version: c.version,
                claimed: c.claimed.unwrap_or(false),
            }),
            None => Err(PlexError::BadJson {
                endpoint: req.endpoint(),
                detail: "no machineIdentifier".to_owned(),
            }),
        }
    }

    /// All sections, from the cache when it is younger than [`SECTIONS_TTL`].
    pub async fn sections(&self) -> Result<Arc<Vec<Section>>, PlexError> {
        if let Some(s) = self.cached_sections() {
            return Ok(s);
        }
        self.refresh_sections().await
    }

    /// All sections, fetched now (and cached).
    pub async fn refresh_sections(&self) -> Result<Arc<Vec<Section>>, PlexError> {
        let c = self.container::<Item>(&request::sections()).await?;
        let sections = Arc::new(c.directory);
        self.store_sections(sections.clone());
        Ok(sections)
    }

    /// One section by id; an id the cache does not know refreshes it once.
    pub async fn section(&self, id: &str) -> Result<Option<Section>, PlexError> {
        let pick = |all: &[Section]| all.iter().find(|s| s.id == id).cloned();
        if let Some(s) = pick(&self.sections().await?) {
            return Ok(Some(s));
        }
        Ok(pick(&self.refresh_sections().await?))
    }

    /// The section and location holding `plex_path` (the most specific
    /// location across all sections). A path under no known location
    /// refreshes the section cache once before giving up: the outer error is
    /// Plex failing, the inner one the path being outside every section.
    pub async fn locate(
        &self,
        plex_path: &Path,
    ) -> Result<Result<Located, NotInAnySection>, PlexError> {
        let cached = self.sections().await?;
        if let Ok(found) = locate(plex_path, &cached) {
            return Ok(Ok(found));
        }
        let fresh = self.refresh_sections().await?;
        Ok(locate(plex_path, &fresh))
    }

    /// One page of a section's items.
    pub async fn section_items(
        &self,
        id: &str,
        kind: Option<MediaType>,
        start: usize,
        size: usize,
    ) -> Result<Vec<Item>, PlexError> {
        let c = self
            .container::<Item>(&request::section_items(id, kind, start, size))
            .await?;
        Ok(c.metadata)
    }

    /// Every item of a section, in pages of 100.
    pub async fn all_section_items(
        &self,
        id: &str,
        kind: Option<MediaType>,
    ) -> Result<Vec<Item>, PlexError> {
        let mut out = Vec::new();
        let mut pager = Pager::default();
        loop {
            let req = request::section_items(id, kind, out.len(), PAGE);
            let c = self.container::<Item>(&req).await?;
            let last = pager.is_last(&c.metadata);
            out.extend(c.metadata);
            let total = c.total_size.map(|t| t as usize);
            if last || total.is_some_and(|t| out.len() >= t) {
                return Ok(out);
            }
        }
    }

    /// One item with its external ids; `None` when Plex does not know it.
    pub async fn item(&self, id: &str) -> Result<Option<Item>, PlexError> {
        let c = found(self.container::<Item>(&request::item(id)).await)?;
        Ok(c.and_then(MediaContainer::into_first_item))
    }

    /// Many items in one request (`GET /library/metadata/1,2,3`): those Plex
    /// knows, in any order, each typed and with its `Metadata` object as
    /// Plex sent it (its section filled in from the container when it does
    /// not name one), for callers that keep the read for later
    /// ([`crate::plex::snapshot`]). An id Plex does not know is absent from
    /// the answer. A server that answers 404 to the whole list when one id
    /// is gone is asked again in halves, so the others are still found. Ids
    /// holding a comma (never a ratingKey) are asked one by one.
    pub async fn items_read(
        &self,
        ids: &[&str],
    ) -> Result<Vec<(Item, serde_json::Value)>, PlexError> {
        let (listable, odd): (Vec<&str>, Vec<&str>) = ids
            .iter()
            .copied()
            .filter(|id| !id.is_empty())
            .partition(|id| !id.contains(','));
        let mut out = Vec::with_capacity(ids.len());
        let mut todo = vec![listable];
        while let Some(batch) = todo.pop() {
            if batch.is_empty() {
                continue;
            }
            let req = request::items(&batch);
            match self.container::<serde_json::Value>(&req).await {
                Ok(c) => out.extend(typed(c, &req)?),
                Err(e) if e.is_not_found() && batch.len() > 1 => {
                    let (a, b) = batch.split_at(batch.len() / 2);
                    todo.push(b.to_vec());
                    todo.push(a.to_vec());
                }
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        for id in odd {
            let req = request::item(id);
            if let Some(c) = found(self.container::<serde_json::Value>(&req).await)? {
                out.extend(typed(c, &req)?);
            }
        }
        Ok(out)
    }

    /// The children of an item (seasons, episodes, tracks).
    pub async fn children(&self, id: &str) -> Result<Vec<Item>, PlexError> {
        Ok(self
            .container::<Item>(&request::children(id))
            .await?
            .metadata)
    }

    /// The items whose file is exactly `plex_path`. Plex filters on the
    /// basename ("contains"); equality is confirmed here. A path under no
    /// section has no items.
    pub async fn items_by_file(&self, plex_path: &Path) -> Result<Vec<Item>, PlexError> {
        let Ok(located) = self.locate(plex_path).await? else {
            return Ok(Vec::new());
        };
        let Some(basename) = plex_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
        else {
            return Ok(Vec::new());
        };
        let kind = located
            .section
            .media_type()
            .map(MediaType::leaf)
            .unwrap_or(MediaType::Movie);
        let req = request::items_by_file(&located.section.id, kind, &basename);
        let wanted = plex_path.to_string_lossy();
        let items = self.container::<Item>(&req).await?.metadata;
        Ok(items
            .into_iter()
            .filter(|i| i.files().any(|f| f == wanted))
            .collect())
    }

    /// The items of `kind` in a section changed at or after `since` (epoch
    /// seconds, Plex's clock): what a catch-up re-announces after a gap.
    pub async fn items_updated_since(
        &self,
        section: &str,
        kind: MediaType,
        since: i64,
    ) -> Result<Vec<Item>, PlexError> {
        let mut out = Vec::new();
        let mut pager = Pager::default();
        loop {
            let req = request::items_updated_since(section, kind, since, out.len(), PAGE);
            let page = self.container::<Item>(&req).await?.metadata;
            let last = pager.is_last(&page);
            out.extend(page);
            if last {
                return Ok(out);
            }
        }
    }

    /// Items added to a section since `since` (epoch seconds), newest first;
    /// with `None`, the newest page.
    pub async fn recently_added(
        &self,
        section: &str,
        since: Option<i64>,
    ) -> Result<Vec<Item>, PlexError> {
        let mut out: Vec<Item> = Vec::new();
        let mut pager = Pager::default();
        loop {
            let req = request::recently_added(section, out.len(), PAGE);
            let page = self.container::<Item>(&req).await?.metadata;
            let last = pager.is_last(&page);
            let mut older_seen = false;
            for item in page {
                match (since, item.added_at) {
                    (Some(s), Some(at)) if at < s => older_seen = true,
                    _ => out.push(item),
                }
            }
            if since.is_none() || older_seen || last {
                return Ok(out);
            }
        }
    }

    /// Starts a partial scan of `folder` (a Plex path); returns the
    /// `X-Plex-Activity` uuid when Plex names the activity it started.
    pub async fn scan_path(
        &self,
        section: &str,
        folder: &str,
    ) -> Result<Option<String>, PlexError> {
        let resp = self.send_raw(&request::scan_path(section, folder)).await?;
        Ok(resp.activity_uuid())
    }

    /// Starts a whole-section scan (`force` re-downloads metadata); returns
    /// the activity uuid when Plex sends one.
    pub async fn refresh_section(
        &self,
        id: &str,
        force: bool,
    ) -> Result<Option<String>, PlexError> {
        let resp = self.send_raw(&request::refresh_section(id, force)).await?;
        Ok(resp.activity_uuid())
    }

    /// Stops a section's running scan.
    pub async fn cancel_section_scan(&self, id: &str) -> Result<(), PlexError> {
        self.send(&request::cancel_section_scan(id)).await
    }

    /// What is playing now.
    pub async fn sessions(&self) -> Result<Vec<Session>, PlexError> {
        Ok(self
            .container::<Session>(&request::sessions())
            .await?
            .metadata)
    }

    /// The metadata agents.
    pub async fn agents(&self) -> Result<Vec<Agent>, PlexError> {
        Ok(self.container::<Item>(&request::agents()).await?.agent)
    }
}

/// A container's `Metadata` objects, each with its section (from the
/// container when the object does not name one) and its typed form; one
/// that is not an item makes the answer unexpected, as a typed read would.
fn typed(
    c: MediaContainer<serde_json::Value>,
    req: &crate::plex::PlexRequest,
) -> Result<Vec<(Item, serde_json::Value)>, PlexError> {
    let (id, title) = (c.library_section_id, c.library_section_title);
    c.metadata
        .into_iter()
        .map(|mut raw| {
            if let Some(obj) = raw.as_object_mut() {
                if let Some(id) = &id {
                    obj.entry("librarySectionID")
                        .or_insert_with(|| id.clone().into());
                }
                if let Some(title) = &title {
                    obj.entry("librarySectionTitle")
                        .or_insert_with(|| title.clone().into());
                }
            }
            let item = Item::deserialize(&raw).map_err(|e| PlexError::BadJson {
                endpoint: req.endpoint(),
                detail: e.to_string(),
            })?;
            Ok((item, raw))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(from: usize, n: usize) -> Vec<Item> {
        (from..from + n)
            .map(|i| serde_json::from_value(serde_json::json!({ "ratingKey": i })).unwrap())
            .collect()
    }

    #[test]
    fn paging_stops_on_a_short_long_or_repeated_page() {
        let mut p = Pager::default();
        assert!(!p.is_last(&page(0, PAGE)));
        assert!(!p.is_last(&page(PAGE, PAGE)));
        assert!(p.is_last(&page(2 * PAGE, 3)), "short page");
        let mut p = Pager::default();
        assert!(p.is_last(&page(0, PAGE + 50)), "the server sent everything");
        let mut p = Pager::default();
        assert!(!p.is_last(&page(0, PAGE)));
        assert!(p.is_last(&page(0, PAGE)), "the server ignored the start");
        assert!(Pager::default().is_last(&[]));
    }
}

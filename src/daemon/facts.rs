//! Item metadata for rules, read in batches: one
//! `GET /library/metadata/1,2,3,…` for up to [`BATCH`] items, and kept for
//! a moment so the burst of notifications Plex sends for one item costs
//! one read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::plex::snapshot::ItemSnapshots;
use crate::plex::{PlexClient, PlexError};
use crate::rules::ItemFacts;

/// How long read facts are reused.
const FRESH_FOR: Duration = Duration::from_secs(2);

/// Cached entries beyond this are cleared (a flood of distinct items).
const MAX_CACHED: usize = 4096;

/// Items per read: python-plexapi's batches are this size, and the URL
/// stays far below any proxy's limit.
pub(crate) const BATCH: usize = 50;

/// Facts as read, by item id: `None` for an item Plex does not have.
pub(crate) type Read = HashMap<String, Option<ItemFacts>>;

/// Read facts by item id, with when they were read.
type Cache = HashMap<String, (Instant, Option<ItemFacts>)>;

/// The client with a short cache; clones share the cache, so the
/// dispatcher can forget what our own actions changed.
#[derive(Clone)]
pub(crate) struct CachedFacts {
    client: PlexClient,
    cache: Arc<Mutex<Cache>>,
    /// What each read leaves for the actions of the rules it fires.
    snapshots: ItemSnapshots,
}

impl CachedFacts {
    pub(crate) fn new(client: PlexClient, snapshots: ItemSnapshots) -> CachedFacts {
        CachedFacts {
            client,
            cache: Arc::default(),
            snapshots,
        }
    }

    /// An event about item `id` came in: what was read of it before is no
    /// longer what the actions may rely on.
    pub(crate) fn changed(&self, id: &str) {
        self.snapshots.changed(id);
    }

    /// Forgets an item (our own action changed it, or a refresh ended).
    pub(crate) fn forget(&self, id: &str) {
        if let Ok(mut c) = self.cache.lock() {
            c.remove(id);
        }
    }

    /// The item's facts when read less than [`FRESH_FOR`] ago: `Some(None)`
    /// for an item known to be absent, `None` when it must be read.
    pub(crate) fn fresh(&self, id: &str) -> Option<Option<ItemFacts>> {
        let c = self.cache.lock().ok()?;
        let (at, facts) = c.get(id)?;
        (at.elapsed() < FRESH_FOR).then(|| facts.clone())
    }

    /// Reads `ids` (at most [`BATCH`] make sense) in one request; every id
    /// asked is in the answer, `None` when Plex does not have it.
    pub(crate) async fn read(&self, ids: &[&str]) -> Result<Read, PlexError> {
        let begun: HashMap<&str, _> = ids
            .iter()
            .map(|id| (*id, self.snapshots.begin(id)))
            .collect();
        let items = self.client.items_read(ids).await?;
        let now = Instant::now();
        let mut read: Read = ids.iter().map(|id| ((*id).to_owned(), None)).collect();
        for (item, raw) in items {
            if let Some(slot) = read.get_mut(&item.rating_key) {
                *slot = Some(ItemFacts::from_item(&item));
            }
            if let Some(begun) = begun.get(item.rating_key.as_str()) {
                self.snapshots
                    .offer(&item.rating_key, *begun, Arc::new(raw));
            }
        }
        if let Ok(mut c) = self.cache.lock() {
            if c.len() + read.len() > MAX_CACHED {
                c.clear();
            }
            for (id, facts) in &read {
                c.insert(id.clone(), (now, facts.clone()));
            }
        }
        Ok(read)
    }
}

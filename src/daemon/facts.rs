//! Item metadata for rules: one `GET /library/metadata/{id}` per event at
//! most, shared by every rule, and kept for a moment so the burst of
//! notifications Plex sends for one item costs one request.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::plex::{PlexClient, PlexError};
use crate::rules::{ItemFacts, MetadataSource};

/// How long fetched facts are reused.
const FRESH_FOR: Duration = Duration::from_secs(2);

/// Cached entries beyond this are cleared (a flood of distinct items).
const MAX_CACHED: usize = 1024;

/// A [`MetadataSource`] over the client with a short cache.
pub(crate) struct CachedFacts {
    client: PlexClient,
    cache: Mutex<HashMap<String, (Instant, Option<ItemFacts>)>>,
}

impl CachedFacts {
    pub(crate) fn new(client: PlexClient) -> CachedFacts {
        CachedFacts {
            client,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Forgets an item (our own action changed it).
    pub(crate) fn forget(&self, id: &str) {
        if let Ok(mut c) = self.cache.lock() {
            c.remove(id);
        }
    }
}

impl MetadataSource for CachedFacts {
    type Error = PlexError;

    async fn item_facts(&self, id: &str) -> Result<Option<ItemFacts>, PlexError> {
        let now = Instant::now();
        if let Ok(c) = self.cache.lock()
            && let Some((at, facts)) = c.get(id)
            && now.duration_since(*at) < FRESH_FOR
        {
            return Ok(facts.clone());
        }
        let facts = self
            .client
            .item(id)
            .await?
            .map(|item| ItemFacts::from_item(&item));
        if let Ok(mut c) = self.cache.lock() {
            if c.len() >= MAX_CACHED {
                c.clear();
            }
            c.insert(id.to_owned(), (now, facts.clone()));
        }
        Ok(facts)
    }
}

//! Collections: created with `POST /library/collections`, filled and emptied
//! by `uri=` item lists. As in Plex, membership is the item's `Collection`
//! tag, so a tag edit and a collection call see the same state.

use super::item::{CollectionInfo, ItemKind, SimItem};
use super::library::{Library, now_epoch};
use super::rejection::Rejection;

/// The rating keys a `server://<id>/com.plexapp.plugins.library/library/metadata/12,13`
/// URI names.
pub(crate) fn ids_from_uri(uri: &str) -> Vec<String> {
    let Some((_, rest)) = uri.split_once("/library/metadata/") else {
        return Vec::new();
    };
    let list = rest.split(['/', '?']).next().unwrap_or("");
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

impl Library {
    /// Creates a collection (or returns the section's existing one with that
    /// title) and adds the items a regular collection's `uri` names.
    pub fn create_collection(
        &mut self,
        section_id: &str,
        title: &str,
        content: ItemKind,
        smart: bool,
        uri: Option<&str>,
    ) -> Result<String, Rejection> {
        if self.section(section_id).is_none() {
            return Err(Rejection::NotFound(format!("section {section_id}")));
        }
        if title.trim().is_empty() {
            return Err(Rejection::BadRequest("title= is missing".into()));
        }
        if smart && uri.is_none_or(str::is_empty) {
            return Err(Rejection::BadRequest(
                "a smart collection needs uri=".into(),
            ));
        }
        let existing = self
            .items
            .values()
            .find(|i| i.collection.is_some() && i.section_id == section_id && i.title == title)
            .map(|i| i.rating_key.clone());
        let id = match existing {
            Some(id) => id,
            None => {
                let mut it = SimItem::new(ItemKind::Collection, section_id, title);
                it.collection = Some(CollectionInfo {
                    smart,
                    uri: uri.map(str::to_owned),
                    content,
                });
                let key = self.add_item(it);
                if let Some(c) = self.item_mut(&key) {
                    c.guid = format!("collection://{}", uuid::Uuid::new_v4());
                }
                key
            }
        };
        if !smart && let Some(uri) = uri {
            self.add_to_collection(&id, uri)?;
        }
        Ok(id)
    }

    /// Adds the items named by `uri` to a regular collection. Unknown items
    /// are refused (404) before anything changes.
    pub fn add_to_collection(
        &mut self,
        collection_id: &str,
        uri: &str,
    ) -> Result<Vec<String>, Rejection> {
        let title = self.collection_title(collection_id)?;
        let ids = ids_from_uri(uri);
        if ids.is_empty() {
            return Err(Rejection::BadRequest("uri= names no items".into()));
        }
        if let Some(missing) = ids.iter().find(|id| self.item(id).is_none()) {
            return Err(Rejection::NotFound(format!("item {missing}")));
        }
        let now = now_epoch();
        for id in &ids {
            if let Some(item) = self.item_mut(id) {
                let tags = item.tags.entry("collection".into()).or_default();
                if !tags.contains(&title) {
                    tags.push(title.clone());
                    item.updated_at = now;
                }
            }
        }
        Ok(ids)
    }

    /// Removes one item from a collection.
    pub fn remove_from_collection(
        &mut self,
        collection_id: &str,
        item_id: &str,
    ) -> Result<(), Rejection> {
        let title = self.collection_title(collection_id)?;
        let item = self
            .item_mut(item_id)
            .ok_or_else(|| Rejection::NotFound(format!("item {item_id}")))?;
        let tags = item.tags.entry("collection".into()).or_default();
        let before = tags.len();
        tags.retain(|t| *t != title);
        if tags.len() == before {
            return Err(Rejection::NotFound(format!(
                "item {item_id} is not in the collection"
            )));
        }
        item.updated_at = now_epoch();
        Ok(())
    }

    fn collection_title(&self, collection_id: &str) -> Result<String, Rejection> {
        self.item(collection_id)
            .filter(|i| i.collection.is_some())
            .map(|i| i.title.clone())
            .ok_or_else(|| Rejection::NotFound(format!("collection {collection_id}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_lists_rating_keys() {
        assert_eq!(
            ids_from_uri("server://abc/com.plexapp.plugins.library/library/metadata/12,13"),
            vec!["12", "13"]
        );
        assert!(
            ids_from_uri("server://abc/com.plexapp.plugins.library/library/sections/1/all?type=1")
                .is_empty()
        );
    }
}

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

impl Library {
    /// What a smart collection's filter selects now: items of its section of
    /// the URI's `type=`, passing every `field<op>value` condition (tags by
    /// name — Plex Web sends tag ids, the simulator's tags have none — title,
    /// year, unwatched).
    pub(crate) fn smart_members(&self, collection: &SimItem) -> Vec<&SimItem> {
        let Some(info) = &collection.collection else {
            return Vec::new();
        };
        let query = info
            .uri
            .as_deref()
            .and_then(|u| u.split_once("/all?"))
            .map_or("", |(_, q)| q);
        let mut kind = info.content;
        let mut conditions = Vec::new();
        for part in query.split('&').filter(|p| !p.is_empty()) {
            let Some(c) = Condition::parse(part) else {
                return Vec::new();
            };
            if c.field == "type" {
                match c.value.parse().ok().and_then(ItemKind::from_code) {
                    Some(k) => kind = k,
                    None => return Vec::new(),
                }
            } else {
                conditions.push(c);
            }
        }
        self.items
            .values()
            .filter(|i| i.section_id == collection.section_id && i.kind == kind)
            .filter(|i| i.collection.is_none())
            .filter(|i| conditions.iter().all(|c| c.holds(i)))
            .collect()
    }

    /// The titles of the collections an edit's `id=` names, before the edit.
    pub(crate) fn collection_titles(&self, params: &[(String, String)]) -> Vec<(String, String)> {
        params
            .iter()
            .filter(|(k, _)| k == "id")
            .flat_map(|(_, v)| v.split(','))
            .filter_map(|id| self.item(id.trim()))
            .filter(|i| i.collection.is_some())
            .map(|i| (i.rating_key.clone(), i.title.clone()))
            .collect()
    }

    /// A renamed regular collection keeps its members (their tag follows).
    pub(crate) fn follow_collection_renames(&mut self, before: &[(String, String)]) {
        for (id, old) in before {
            let Some(new) = self.item(id).map(|c| c.title.clone()) else {
                continue;
            };
            if new == *old {
                continue;
            }
            let section = self
                .item(id)
                .map(|c| c.section_id.clone())
                .unwrap_or_default();
            for item in self.items.values_mut() {
                if item.section_id != section || item.collection.is_some() {
                    continue;
                }
                if let Some(tags) = item.tags.get_mut("collection") {
                    for t in tags.iter_mut().filter(|t| **t == *old) {
                        *t = new.clone();
                    }
                }
            }
        }
    }

    /// Deletes collection `collection_id` of section `section_id`; its
    /// members lose the tag and stay.
    pub fn delete_collection(
        &mut self,
        section_id: &str,
        collection_id: &str,
    ) -> Result<(), Rejection> {
        let title = self.collection_title(collection_id)?;
        if self
            .item(collection_id)
            .is_some_and(|c| c.section_id != section_id)
        {
            return Err(Rejection::NotFound(format!(
                "collection {collection_id} in section {section_id}"
            )));
        }
        self.remove_item(collection_id);
        for item in self.items.values_mut() {
            if item.section_id == section_id
                && let Some(tags) = item.tags.get_mut("collection")
            {
                tags.retain(|t| *t != title);
            }
        }
        Ok(())
    }
}

/// One `field<op>value` of a filter.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Condition {
    field: String,
    op: String,
    value: String,
}

impl Condition {
    fn parse(part: &str) -> Option<Condition> {
        let name_end = part.find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))?;
        let (field, rest) = part.split_at(name_end);
        let op_end = rest.find(|c| !matches!(c, '=' | '!' | '<' | '>'))?;
        let (op, value) = rest.split_at(op_end);
        let value = percent_encoding::percent_decode_str(&value.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned();
        Some(Condition {
            field: field.to_owned(),
            op: op.to_owned(),
            value,
        })
    }

    /// Whether `item` passes. A comma in the value means "any of these".
    fn holds(&self, item: &SimItem) -> bool {
        let wanted: Vec<String> = self
            .value
            .split(',')
            .map(|v| v.trim().to_lowercase())
            .collect();
        let negate = self.op.starts_with('!');
        let yes = match self.field.as_str() {
            "genre" | "label" | "collection" | "director" | "writer" => {
                let tags: Vec<String> = item
                    .tags(&self.field)
                    .iter()
                    .map(|t| t.to_lowercase())
                    .collect();
                wanted.iter().any(|w| tags.contains(w))
            }
            "title" => {
                let title = item.title.to_lowercase();
                wanted.iter().any(|w| {
                    if self.op.ends_with("==") {
                        title == *w
                    } else {
                        title.contains(w.as_str())
                    }
                })
            }
            "year" => {
                let Some(year) = item.year else {
                    return false;
                };
                let n = |w: &String| w.parse::<i32>().ok();
                match self.op.as_str() {
                    ">>=" => wanted.iter().filter_map(n).any(|w| year > w),
                    "<<=" => wanted.iter().filter_map(n).any(|w| year < w),
                    _ => wanted.iter().filter_map(n).any(|w| year == w),
                }
            }
            // Nothing in the simulator is ever watched.
            "unwatched" => wanted.iter().any(|w| w == "1"),
            _ => false,
        };
        yes != negate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_select_by_tag_title_and_year() {
        let mut lib = Library::new(vec![]);
        let mut heat = SimItem::new(ItemKind::Movie, "1", "Heat");
        heat.year = Some(1995);
        heat.tags
            .insert("genre".into(), vec!["Crime".into(), "Drama".into()]);
        lib.add_item(heat);
        let mut alien = SimItem::new(ItemKind::Movie, "1", "Alien");
        alien.year = Some(1979);
        alien.tags.insert("genre".into(), vec!["Horror".into()]);
        lib.add_item(alien);
        let mut c = SimItem::new(ItemKind::Collection, "1", "C");
        let select = |c: &mut SimItem, lib: &Library, filter: &str| -> Vec<String> {
            c.collection = Some(CollectionInfo {
                smart: true,
                uri: Some(format!(
                    "server://m/com.plexapp.plugins.library/library/sections/1/all?type=1&{filter}"
                )),
                content: ItemKind::Movie,
            });
            lib.smart_members(c)
                .iter()
                .map(|i| i.title.clone())
                .collect()
        };
        assert_eq!(select(&mut c, &lib, "genre=drama"), ["Heat"]);
        assert_eq!(select(&mut c, &lib, "year<<=1990"), ["Alien"]);
        assert_eq!(select(&mut c, &lib, "genre!=Horror&title=ea"), ["Heat"]);
        assert_eq!(select(&mut c, &lib, "genre=Crime,Horror").len(), 2);
        assert!(select(&mut c, &lib, "rating=9").is_empty());
    }

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

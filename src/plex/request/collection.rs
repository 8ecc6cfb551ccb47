//! Builders for collections: list, create (regular or smart), add and
//! remove items, edit, delete.
//!
//! Where the official spec and python-plexapi differ, the spec wins: an item
//! leaves a collection with `PUT …/items/{item}` (plexapi sends `DELETE`),
//! and a collection is deleted with `DELETE /library/sections/{sid}/collection/{id}`
//! (plexapi deletes the metadata item, `DELETE /library/metadata/{id}`).

use reqwest::Method;

use super::PlexRequest;
use crate::plex::model::MediaType;

/// The `server://` URI Plex uses to name items of this server when creating
/// or filling a collection.
pub fn items_uri(machine_id: &str, ids: &[String]) -> String {
    format!(
        "server://{machine_id}/com.plexapp.plugins.library/library/metadata/{}",
        ids.join(",")
    )
}

/// The `server://` URI of a smart collection's filter: `filter` is the query
/// part of a section listing (`genre=Action&year>>=2000`), as Plex's own UI
/// writes it.
pub fn smart_uri(machine_id: &str, section: &str, kind: MediaType, filter: &str) -> String {
    let mut uri = format!(
        "server://{machine_id}/com.plexapp.plugins.library/library/sections/{section}/all?type={}",
        kind.number()
    );
    if !filter.is_empty() {
        uri.push('&');
        uri.push_str(filter);
    }
    uri
}

/// `POST /library/collections?type=&title=&smart=&sectionId=&uri=`.
pub fn create_collection(
    section: &str,
    kind: MediaType,
    title: &str,
    smart: bool,
    uri: &str,
) -> PlexRequest {
    PlexRequest::new(Method::POST, ["library", "collections"])
        .with_query("type", kind.number().to_string())
        .with_query("title", title)
        .with_query("smart", if smart { "1" } else { "0" })
        .with_query("sectionId", section)
        .with_query("uri", uri)
}

/// `PUT /library/collections/{id}/items?uri=`: adds the items named by `uri`.
pub fn add_to_collection(collection: &str, uri: &str) -> PlexRequest {
    PlexRequest::new(Method::PUT, ["library", "collections", collection, "items"])
        .with_query("uri", uri)
}

/// `PUT /library/collections/{id}/items/{item}`: the spec's "delete an item
/// from a collection".
pub fn remove_from_collection(collection: &str, item: &str) -> PlexRequest {
    PlexRequest::new(
        Method::PUT,
        ["library", "collections", collection, "items", item],
    )
}

/// `GET /library/sections/{id}/collections`: a section's collections.
pub fn section_collections(section: &str) -> PlexRequest {
    PlexRequest::new(Method::GET, ["library", "sections", section, "collections"])
}

/// `GET /library/collections/{id}/items`: what a collection holds; for a
/// smart one, what its filter selects now.
pub fn collection_items(collection: &str) -> PlexRequest {
    PlexRequest::new(Method::GET, ["library", "collections", collection, "items"])
}

/// `DELETE /library/sections/{sid}/collection/{id}`: deletes the collection,
/// not its items.
pub fn delete_collection(section: &str, collection: &str) -> PlexRequest {
    PlexRequest::new(
        Method::DELETE,
        ["library", "sections", section, "collection", collection],
    )
}

/// Title, sort title and summary of a collection through the bulk edit
/// endpoint (`type=18`), locked when `lock`: what Plex Web and python-plexapi
/// send to rename one.
pub fn edit_collection(
    section: &str,
    collection: &str,
    fields: &[(String, String)],
    lock: bool,
) -> PlexRequest {
    super::edit_fields(
        section,
        MediaType::Collection,
        &[collection.to_owned()],
        fields,
        lock,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_regular_collection_names_its_items() {
        let uri = items_uri("abc", &["1".into(), "2".into()]);
        let req = create_collection("1", MediaType::Movie, "Best & Worst", false, &uri);
        assert_eq!(req.method, Method::POST);
        assert_eq!(req.path, ["library", "collections"]);
        assert_eq!(req.query_value("smart"), Some("0"));
        assert_eq!(req.query_value("title"), Some("Best & Worst"));
        assert_eq!(
            req.query_value("uri"),
            Some("server://abc/com.plexapp.plugins.library/library/metadata/1,2")
        );
    }

    #[test]
    fn smart_uri_carries_the_filter() {
        assert_eq!(
            smart_uri("m", "2", MediaType::Show, "genre=5"),
            "server://m/com.plexapp.plugins.library/library/sections/2/all?type=2&genre=5"
        );
        let req = remove_from_collection("77", "10");
        assert_eq!(req.path, ["library", "collections", "77", "items", "10"]);
        assert_eq!(req.method, Method::PUT);
    }

    #[test]
    fn edit_and_delete_follow_the_spec() {
        let req = edit_collection("1", "77", &[("title".into(), "Heists".into())], true);
        assert_eq!(
            req.to_string(),
            "PUT /library/sections/1/all?type=18&id=77&title.value=Heists&title.locked=1"
        );
        assert_eq!(
            delete_collection("1", "77").to_string(),
            "DELETE /library/sections/1/collection/77"
        );
    }
}

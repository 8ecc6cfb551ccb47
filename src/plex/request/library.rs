//! Builders for reading the library and starting scans.

use reqwest::Method;

use super::PlexRequest;
use crate::plex::model::MediaType;

/// `GET /identity`: the server's machine id and version (no token needed).
pub fn identity() -> PlexRequest {
    PlexRequest::new(Method::GET, ["identity"])
}

/// `GET /library/sections`: every section with its locations.
pub fn sections() -> PlexRequest {
    PlexRequest::new(Method::GET, ["library", "sections"])
}

/// `GET /library/sections/{id}/all`, one page. Paging goes in the query as
/// `X-Plex-Container-Start/Size` (Plex reads every `X-Plex-*` header from the
/// query too), which keeps the page visible in the request's display.
pub fn section_items(id: &str, kind: Option<MediaType>, start: usize, size: usize) -> PlexRequest {
    let mut req = PlexRequest::new(Method::GET, ["library", "sections", id, "all"]);
    if let Some(kind) = kind {
        req = req.with_query("type", kind.number().to_string());
    }
    req.with_query("includeGuids", "1")
        .with_query("X-Plex-Container-Start", start.to_string())
        .with_query("X-Plex-Container-Size", size.to_string())
}

/// `GET /library/metadata/{id}?includeGuids=1`: one item with its external ids.
pub fn item(id: &str) -> PlexRequest {
    PlexRequest::new(Method::GET, ["library", "metadata", id]).with_query("includeGuids", "1")
}

/// `GET /library/metadata/{id},{id},…?includeGuids=1`: many items in one
/// container, as python-plexapi's `fetchItems([…])` asks. The ids are one
/// path segment joined by commas; an id holding a comma cannot be asked
/// this way (see [`crate::plex::PlexClient::items_read`]).
pub fn items(ids: &[&str]) -> PlexRequest {
    PlexRequest::new(
        Method::GET,
        ["library".to_owned(), "metadata".to_owned(), ids.join(",")],
    )
    .with_query("includeGuids", "1")
}

/// `GET /library/metadata/{id}/children`: seasons of a show, episodes of a
/// season, tracks of an album.
pub fn children(id: &str) -> PlexRequest {
    PlexRequest::new(Method::GET, ["library", "metadata", id, "children"])
}

/// `GET /library/sections/{id}/all?type=&file=<basename>`: Plex's "contains"
/// filter on file names. The caller confirms `Part.file` equality, because the
/// filter also matches longer names.
pub fn items_by_file(section: &str, kind: MediaType, basename: &str) -> PlexRequest {
    PlexRequest::new(Method::GET, ["library", "sections", section, "all"])
        .with_query("type", kind.number().to_string())
        .with_query("file", basename)
        .with_query("includeGuids", "1")
}

/// `GET /library/sections/{id}/all?type=&updatedAt>=<epoch>`, one page:
/// the items of one kind changed at or after `since` (Plex's media-query
/// filter on an integer field; the operator is part of the key).
pub fn items_updated_since(
    section: &str,
    kind: MediaType,
    since: i64,
    start: usize,
    size: usize,
) -> PlexRequest {
    PlexRequest::new(Method::GET, ["library", "sections", section, "all"])
        .with_query("type", kind.number().to_string())
        .with_query("updatedAt>", since.to_string())
        .with_query("X-Plex-Container-Start", start.to_string())
        .with_query("X-Plex-Container-Size", size.to_string())
}

/// `GET /library/sections/{id}/recentlyAdded`, one page.
pub fn recently_added(section: &str, start: usize, size: usize) -> PlexRequest {
    PlexRequest::new(
        Method::GET,
        ["library", "sections", section, "recentlyAdded"],
    )
    .with_query("X-Plex-Container-Start", start.to_string())
    .with_query("X-Plex-Container-Size", size.to_string())
}

/// `GET /library/sections/{id}/refresh?path=<folder>`: a partial scan of one
/// folder, in Plex's namespace. `GET` is what deployed tools use.
pub fn scan_path(section: &str, folder: &str) -> PlexRequest {
    PlexRequest::new(Method::GET, ["library", "sections", section, "refresh"])
        .with_query("path", folder)
}

/// `GET /library/sections/{id}/refresh[?force=1]`: a whole-section scan;
/// `force` also re-downloads metadata (locked fields stay as they are).
pub fn refresh_section(section: &str, force: bool) -> PlexRequest {
    let req = PlexRequest::new(Method::GET, ["library", "sections", section, "refresh"]);
    if force {
        req.with_query("force", "1")
    } else {
        req
    }
}

/// `DELETE /library/sections/{id}/refresh`: stops the section's running scan.
pub fn cancel_section_scan(section: &str) -> PlexRequest {
    PlexRequest::new(Method::DELETE, ["library", "sections", section, "refresh"])
}

/// `GET /status/sessions`: what is playing now.
pub fn sessions() -> PlexRequest {
    PlexRequest::new(Method::GET, ["status", "sessions"])
}

/// `GET /system/agents`: the metadata agents the server knows.
pub fn agents() -> PlexRequest {
    PlexRequest::new(Method::GET, ["system", "agents"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_path_is_a_get_with_the_folder_in_the_query() {
        let req = scan_path("2", "/tv/Show & Co/Season 01");
        assert_eq!(req.method, Method::GET);
        assert_eq!(req.path, ["library", "sections", "2", "refresh"]);
        assert_eq!(req.query_value("path"), Some("/tv/Show & Co/Season 01"));
    }

    #[test]
    fn full_refresh_sends_force_only_when_asked() {
        assert!(refresh_section("1", false).query.is_empty());
        assert_eq!(refresh_section("1", true).query_value("force"), Some("1"));
        assert_eq!(cancel_section_scan("1").method, Method::DELETE);
    }

    #[test]
    fn section_items_pages_through_container_query_pairs() {
        let req = section_items("1", Some(MediaType::Movie), 200, 100);
        assert_eq!(req.query_value("type"), Some("1"));
        assert_eq!(req.query_value("X-Plex-Container-Start"), Some("200"));
        assert_eq!(req.query_value("X-Plex-Container-Size"), Some("100"));
    }

    #[test]
    fn item_asks_for_guids() {
        let req = item("42");
        assert_eq!(req.to_string(), "GET /library/metadata/42?includeGuids=1");
    }

    #[test]
    fn items_by_file_filters_on_the_basename() {
        let req = items_by_file("1", MediaType::Episode, "S01E01 #1.mkv");
        assert_eq!(req.query_value("type"), Some("4"));
        assert_eq!(req.query_value("file"), Some("S01E01 #1.mkv"));
    }
}

//! Builders for matching items to agents: candidates, match, unmatch, and the
//! item-level refresh and analyze that usually follow.

use reqwest::Method;

use super::PlexRequest;

/// What to ask `/matches` for. Plex's modern agents resolve an external id
/// given as the title in the form `tmdb-603` / `imdb-tt0133093` / `tvdb-81189`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchQuery {
    /// Free title, or the `agent-id` form from [`MatchQuery::external`].
    pub title: Option<String>,
    /// Release year, narrows title searches.
    pub year: Option<i32>,
    /// Agent identifier (`tv.plex.agents.movie`); `None` = the section's agent.
    pub agent: Option<String>,
}

impl MatchQuery {
    /// A query for an external id: `external("tmdb", "603")` → `title=tmdb-603`.
    pub fn external(provider: &str, id: &str) -> MatchQuery {
        MatchQuery {
            title: Some(format!("{provider}-{id}")),
            ..MatchQuery::default()
        }
    }
}

/// `GET /library/metadata/{id}/matches?manual=1[&title=&year=&agent=]`.
pub fn match_candidates(id: &str, query: &MatchQuery) -> PlexRequest {
    let mut req = PlexRequest::new(Method::GET, ["library", "metadata", id, "matches"])
        .with_query("manual", "1");
    if let Some(title) = &query.title {
        req = req.with_query("title", title.as_str());
    }
    if let Some(year) = query.year {
        req = req.with_query("year", year.to_string());
    }
    if let Some(agent) = &query.agent {
        req = req.with_query("agent", agent.as_str());
    }
    req
}

/// `PUT /library/metadata/{id}/match?guid=&name=[&year=]`: applies a candidate.
pub fn match_item(id: &str, guid: &str, name: &str, year: Option<i32>) -> PlexRequest {
    let req = PlexRequest::new(Method::PUT, ["library", "metadata", id, "match"])
        .with_query("guid", guid)
        .with_query("name", name);
    match year {
        Some(y) => req.with_query("year", y.to_string()),
        None => req,
    }
}

/// `PUT /library/metadata/{id}/unmatch`.
pub fn unmatch(id: &str) -> PlexRequest {
    PlexRequest::new(Method::PUT, ["library", "metadata", id, "unmatch"])
}

/// `PUT /library/metadata/{id}/refresh[?force=1]`: re-reads metadata.
pub fn refresh_item(id: &str, force: bool) -> PlexRequest {
    let req = PlexRequest::new(Method::PUT, ["library", "metadata", id, "refresh"]);
    if force {
        req.with_query("force", "1")
    } else {
        req
    }
}

/// `PUT /library/metadata/{id}/analyze`: media analysis (streams, loudness,
/// thumbnails).
pub fn analyze_item(id: &str) -> PlexRequest {
    PlexRequest::new(Method::PUT, ["library", "metadata", id, "analyze"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_id_becomes_the_title_form() {
        let req = match_candidates("7", &MatchQuery::external("tmdb", "603"));
        assert_eq!(req.method, Method::GET);
        assert_eq!(req.path, ["library", "metadata", "7", "matches"]);
        assert_eq!(
            req.query,
            vec![
                ("manual".to_string(), "1".to_string()),
                ("title".to_string(), "tmdb-603".to_string())
            ]
        );
    }

    #[test]
    fn match_item_sends_guid_name_and_year() {
        let req = match_item("7", "plex://movie/5d776", "The Matrix", Some(1999));
        assert_eq!(req.method, Method::PUT);
        assert_eq!(req.query_value("guid"), Some("plex://movie/5d776"));
        assert_eq!(req.query_value("name"), Some("The Matrix"));
        assert_eq!(req.query_value("year"), Some("1999"));
    }

    #[test]
    fn item_actions_are_puts() {
        for req in [unmatch("1"), refresh_item("1", false), analyze_item("1")] {
            assert_eq!(req.method, Method::PUT, "{req}");
        }
        assert_eq!(refresh_item("1", true).query_value("force"), Some("1"));
    }
}

//! The read-only fence `explain` puts in front of a live server: the reads
//! the executors need go through, anything that could change Plex does not.

use reqwest::Method;
use reqwest::header::HeaderMap;

use crate::plex::client::{RawResponse, Responder};
use crate::plex::{PlexError, PlexRequest};

/// Lets reads through to the server only for endpoints known to change
/// nothing; anything else (including `GET …/refresh`, which is a scan) is
/// answered with an empty success and never sent. `explain` runs the
/// executors against a live server with this, read-only.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOnly;

impl ReadOnly {
    /// True for the read endpoints the executors use.
    pub fn allows(req: &PlexRequest) -> bool {
        if req.method != Method::GET {
            return false;
        }
        let p: Vec<&str> = req.path.iter().map(String::as_str).collect();
        matches!(
            p.as_slice(),
            ["identity"]
                | ["activities"]
                | ["status", "sessions"]
                | ["system", "agents"]
                | ["library", "sections"]
                | ["library", "sections", _]
                | [
                    "library",
                    "sections",
                    _,
                    "all" | "recentlyAdded" | "collections"
                ]
                | ["library", "metadata", _]
                | [
                    "library",
                    "metadata",
                    _,
                    "children" | "matches" | "posters" | "arts"
                ]
                | ["library", "collections", _]
                | ["library", "collections", _, "children"]
        )
    }
}

impl Responder for ReadOnly {
    fn respond(&self, req: &PlexRequest) -> Option<Result<RawResponse, PlexError>> {
        if ReadOnly::allows(req) {
            return None;
        }
        Some(Ok(RawResponse {
            status: reqwest::StatusCode::OK,
            headers: HeaderMap::new(),
            body: Vec::new(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &[&str]) -> PlexRequest {
        PlexRequest::new(Method::GET, path.iter().copied())
    }

    #[test]
    fn read_only_lets_through_reads_and_nothing_that_changes_plex() {
        assert!(ReadOnly::allows(&get(&["library", "metadata", "42"])));
        assert!(ReadOnly::allows(&get(&[
            "library", "metadata", "42", "matches"
        ])));
        assert!(ReadOnly::allows(&get(&["library", "sections", "1", "all"])));
        // A scan is a GET.
        assert!(!ReadOnly::allows(&get(&[
            "library", "sections", "1", "refresh"
        ])));
        assert!(!ReadOnly::allows(&get(&[":", "scrobble"])));
        assert!(!ReadOnly::allows(&get(&["butler", "RefreshLibraries"])));
        let put = PlexRequest::new(Method::PUT, ["library", "metadata", "42", "analyze"]);
        assert!(!ReadOnly::allows(&put));
        assert!(matches!(ReadOnly.respond(&put), Some(Ok(r)) if r.body.is_empty()));
        assert!(ReadOnly.respond(&get(&["identity"])).is_none());
    }
}

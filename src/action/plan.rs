//! Dry runs and plans: the same executors, with writes recorded instead of
//! sent.
//!
//! [`Recorder`] is a [`Responder`] installed in front of the client: every
//! request is recorded; writes (anything but `GET`) are answered with an
//! empty `200` and never sent; reads go to `reads` when given (canned answers
//! for `metarr-plex test`), else to the live server (`--dry-run`,
//! `explain`). [`Canned`] answers reads from JSON keyed `"GET /path"`, the
//! way a rule's `[[tests]]` block writes them.
//!
//! Use: `Executor::plan(&action, &ctx, Some(Arc::new(canned)))` returns the
//! outcome and every request the action would send, in order.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};

use super::ActionContext;
use crate::plex::client::{RawResponse, Responder};
use crate::plex::{PlexError, PlexRequest};

/// Records every request; answers writes itself; reads go to `reads` or,
/// without one, to the network.
pub struct Recorder {
    reads: Option<Arc<dyn Responder>>,
    seen: Mutex<Vec<PlexRequest>>,
    /// When set, each write not sent is logged naming this caller.
    log_for: Option<ActionContext>,
}

impl Recorder {
    /// A recorder whose reads are answered by `reads` (`None`: sent live).
    pub fn new(reads: Option<Arc<dyn Responder>>) -> Recorder {
        Recorder {
            reads,
            seen: Mutex::new(Vec::new()),
            log_for: None,
        }
    }

    /// Also logs every write it keeps from Plex (`--dry-run`), naming `ctx`.
    pub fn logging(mut self, ctx: &ActionContext) -> Recorder {
        self.log_for = Some(ctx.clone());
        self
    }

    /// Every request seen so far, reads and writes, in order.
    pub fn requests(&self) -> Vec<PlexRequest> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Responder for Recorder {
    fn respond(&self, req: &PlexRequest) -> Option<Result<RawResponse, PlexError>> {
        if let Ok(mut seen) = self.seen.lock() {
            seen.push(req.clone());
        }
        if req.is_write() {
            if let Some(ctx) = &self.log_for {
                tracing::info!(
                    rule = %ctx.rule, run_id = %ctx.run_id, event_id = %ctx.event_id,
                    item = ctx.item.as_deref().unwrap_or("-"), request = %req,
                    "Dry run: request not sent."
                );
            }
            return Some(Ok(empty_ok()));
        }
        self.reads.as_ref().and_then(|r| r.respond(req))
    }
}

/// Canned answers for reads, keyed by method and decoded path
/// (`"GET /library/metadata/42"`, no query). An unknown read is a 404, as
/// Plex answers for an item it does not have.
#[derive(Debug, Clone, Default)]
pub struct Canned {
    answers: HashMap<String, Vec<u8>>,
}

impl Canned {
    /// No answers yet.
    pub fn new() -> Canned {
        Canned::default()
    }

    /// Answers `key` (`"GET /library/metadata/42"`) with `json`.
    pub fn with(mut self, key: &str, json: impl Into<Vec<u8>>) -> Canned {
        self.answers.insert(normalize_key(key), json.into());
        self
    }
}

impl Responder for Canned {
    fn respond(&self, req: &PlexRequest) -> Option<Result<RawResponse, PlexError>> {
        let key = format!("{} /{}", req.method, req.path.join("/"));
        Some(match self.answers.get(&key) {
            Some(body) => {
                let mut headers = HeaderMap::new();
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                Ok(RawResponse {
                    status: StatusCode::OK,
                    headers,
                    body: body.clone(),
                })
            }
            None => Err(PlexError::NotFound {
                what: req.endpoint(),
            }),
        })
    }
}

/// `get  /a/b/` → `GET /a/b`: method upper-cased, one space, no trailing slash.
fn normalize_key(key: &str) -> String {
    let mut parts = key.split_whitespace();
    let method = parts.next().unwrap_or("GET").to_ascii_uppercase();
    let path = parts.next().unwrap_or("/");
    let path = path.split('?').next().unwrap_or(path);
    let trimmed = path.trim_end_matches('/');
    format!(
        "{method} {}",
        if trimmed.is_empty() { "/" } else { trimmed }
    )
}

fn empty_ok() -> RawResponse {
    RawResponse {
        status: StatusCode::OK,
        headers: HeaderMap::new(),
        body: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::Method;

    #[test]
    fn canned_keys_ignore_case_query_and_trailing_slash() {
        let canned = Canned::new().with("get /library/metadata/42/?x=1", "{}");
        let hit = canned.respond(&PlexRequest::new(
            Method::GET,
            ["library", "metadata", "42"],
        ));
        assert!(matches!(hit, Some(Ok(r)) if r.body == b"{}"));
        let miss = canned.respond(&PlexRequest::new(Method::GET, ["library", "metadata", "7"]));
        assert!(matches!(miss, Some(Err(e)) if e.is_not_found()));
    }

    #[test]
    fn recorder_answers_writes_and_defers_reads() {
        let rec = Recorder::new(None);
        let put = PlexRequest::new(Method::PUT, ["library", "metadata", "1", "refresh"]);
        assert!(matches!(rec.respond(&put), Some(Ok(_))));
        let get = PlexRequest::new(Method::GET, ["library", "metadata", "1"]);
        assert!(rec.respond(&get).is_none());
        let scan = PlexRequest::new(Method::GET, ["library", "sections", "1", "refresh"]);
        assert!(matches!(rec.respond(&scan), Some(Ok(_))));
        let scrobble = PlexRequest::new(Method::GET, [":", "scrobble"]);
        assert!(scrobble.is_write());
        assert_eq!(rec.requests(), vec![put, get, scan]);
    }
}

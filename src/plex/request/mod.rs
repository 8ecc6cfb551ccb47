//! A Plex REST request as a plain value, and the pure builders that make one
//! for each endpoint.
//!
//! Requests are values so that what `--dry-run` and `explain` print is exactly
//! what the client would send: the client only ever sends a [`PlexRequest`]
//! built here. Path segments and query values are kept *unencoded*; the only
//! place they are percent-encoded is [`PlexRequest::url`], through `url::Url`'s
//! builders, so user or Plex data can never break out of its component.

mod activity;
mod artwork;
mod collection;
mod detect;
mod edit;
mod fields;
mod filter;
mod library;
mod matching;

pub use activity::*;
pub use artwork::*;
pub use collection::*;
pub use detect::*;
pub use edit::*;
pub use fields::*;
pub use filter::*;
pub use library::*;
pub use matching::*;

use std::fmt;

use reqwest::Method;
use url::Url;

/// One request to Plex, before the client adds its headers and the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlexRequest {
    /// The HTTP method Plex expects for this endpoint (Plex is picky: a scan
    /// is a `GET`, an edit a `PUT`).
    pub method: Method,
    /// Path segments, unencoded (`["library", "metadata", "12", "match"]`).
    pub path: Vec<String>,
    /// Query pairs, unencoded, in the order they are sent.
    pub query: Vec<(String, String)>,
    /// A raw body (image uploads); `None` for almost every endpoint.
    pub body: Option<Body>,
}

/// A request body: raw bytes and their content type.
#[derive(Clone, PartialEq, Eq)]
pub struct Body {
    /// The bytes sent as they are (Plex wants raw image bytes, not multipart).
    pub bytes: Vec<u8>,
    /// The `Content-Type` header value.
    pub content_type: String,
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Image bytes in a debug dump help nobody.
        write!(f, "Body({} bytes, {})", self.bytes.len(), self.content_type)
    }
}

impl PlexRequest {
    /// True for requests that change something on the server: every method but
    /// `GET`, and the `GET`s Plex uses for side effects (section scans
    /// `…/refresh`, and the `/:/…` endpoints such as `/:/scrobble`).
    pub fn is_write(&self) -> bool {
        self.method != Method::GET
            || self.path.last().is_some_and(|s| s == "refresh")
            || self.path.first().is_some_and(|s| s == ":")
    }

    /// A request with no query and no body.
    pub fn new<S: Into<String>>(method: Method, path: impl IntoIterator<Item = S>) -> PlexRequest {
        PlexRequest {
            method,
            path: path.into_iter().map(Into::into).collect(),
            query: Vec::new(),
            body: None,
        }
    }

    /// Appends one query pair.
    pub fn with_query(mut self, key: impl Into<String>, value: impl Into<String>) -> PlexRequest {
        self.query.push((key.into(), value.into()));
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, bytes: Vec<u8>, content_type: impl Into<String>) -> PlexRequest {
        self.body = Some(Body {
            bytes,
            content_type: content_type.into(),
        });
        self
    }

    /// The first value of query key `key`, for tests and for callers that
    /// inspect a planned request.
    pub fn query_value(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The full URL under `base`: segments appended to the base's own path
    /// (a reverse proxy may serve Plex under `/plex/`), query pairs
    /// form-encoded. Percent-encoding happens here and nowhere else.
    pub fn url(&self, base: &Url) -> Url {
        let mut url = base.clone();
        url.set_query(None);
        url.set_fragment(None);
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty();
            segments.extend(self.path.iter());
        }
        if !self.query.is_empty() {
            url.query_pairs_mut().extend_pairs(self.query.iter());
        }
        url
    }

    /// True when sending this changes something on the server. Every
    /// method but `GET` does, and so does `GET …/refresh`, which is how
    /// Plex starts a scan. `--dry-run` sends only requests for which this is
    /// false.
    pub fn changes_state(&self) -> bool {
        self.method != Method::GET || self.path.last().is_some_and(|s| s == "refresh")
    }

    /// The path and query, encoded as on the wire, without scheme and host:
    /// `/library/metadata/12/match?guid=plex%3A%2F%2F…`.
    pub fn path_and_query(&self) -> String {
        let url = self.url(&display_base());
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// The path alone, encoded: how errors name an endpoint without leaking
    /// query values into messages.
    pub fn endpoint(&self) -> String {
        format!("{} {}", self.method, self.url(&display_base()).path())
    }
}

/// `PUT /library/metadata/12/match?guid=…&name=…`, plus the body size when
/// there is one. Never contains a token: tokens are headers, added by the
/// client after this value is built.
impl fmt::Display for PlexRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path_and_query())?;
        if let Some(body) = &self.body {
            write!(f, " ({} bytes of {})", body.bytes.len(), body.content_type)?;
        }
        Ok(())
    }
}

fn display_base() -> Url {
    // A fixed, valid base: only its path and query parts are ever shown.
    Url::parse("http://plex.invalid/").unwrap_or_else(|_| unreachable!("constant URL parses"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded_query(url: &Url) -> Vec<(String, String)> {
        url.query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    #[test]
    fn special_characters_survive_the_round_trip() {
        let nasty = "/mnt/Films & Séries/100% #1? a+b/Amélie (2001)";
        let req = PlexRequest::new(Method::GET, ["library", "sections", "1", "refresh"])
            .with_query("path", nasty);
        let url = req.url(&Url::parse("http://127.0.0.1:32400").unwrap());
        assert_eq!(decoded_query(&url), vec![("path".into(), nasty.into())]);
        assert_eq!(url.path(), "/library/sections/1/refresh");
        assert!(url.fragment().is_none());
    }

    #[test]
    fn segments_are_encoded_so_ids_cannot_add_path_parts() {
        let req = PlexRequest::new(Method::GET, ["library", "metadata", "1/../2?x#y"]);
        let url = req.url(&Url::parse("http://h:1/").unwrap());
        assert_eq!(url.path_segments().unwrap().count(), 3);
        assert_eq!(url.query(), None);
        assert!(url.path().ends_with("1%2F..%2F2%3Fx%23y"), "{}", url.path());
    }

    #[test]
    fn base_path_prefix_is_kept_and_base_query_dropped() {
        let req = PlexRequest::new(Method::GET, ["identity"]);
        let url = req.url(&Url::parse("https://proxy.lan/plex/?X-Plex-Token=leak").unwrap());
        assert_eq!(url.as_str(), "https://proxy.lan/plex/identity");
    }

    #[test]
    fn display_shows_method_path_and_encoded_query() {
        let req = PlexRequest::new(Method::PUT, ["library", "metadata", "12", "match"])
            .with_query("guid", "plex://movie/5d77")
            .with_query("name", "The Matrix");
        assert_eq!(
            req.to_string(),
            "PUT /library/metadata/12/match?guid=plex%3A%2F%2Fmovie%2F5d77&name=The+Matrix"
        );
        assert_eq!(req.endpoint(), "PUT /library/metadata/12/match");
    }

    #[test]
    fn scans_and_every_non_get_change_state() {
        assert!(!library::item("1").changes_state());
        assert!(!library::sections().changes_state());
        assert!(library::scan_path("1", "/m").changes_state());
        assert!(library::refresh_section("1", false).changes_state());
        assert!(matching::unmatch("1").changes_state());
        assert!(activity::cancel_activity("u").changes_state());
    }

    #[test]
    fn display_names_the_body_size_not_its_bytes() {
        let req = PlexRequest::new(Method::POST, ["library", "metadata", "1", "posters"])
            .with_body(vec![0xff; 10], "image/jpeg");
        assert_eq!(
            req.to_string(),
            "POST /library/metadata/1/posters (10 bytes of image/jpeg)"
        );
    }
}

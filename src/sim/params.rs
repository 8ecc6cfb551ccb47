//! Query parameters as Plex reads them: percent-decoded (`+` is a space),
//! order and repeats kept, and `X-Plex-*` headers accepted as query arguments.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;

use super::rejection::Rejection;

/// The decoded query of one request, plus the paging headers.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params {
    pub(crate) pairs: Vec<(String, String)>,
    headers: Vec<(String, String)>,
}

/// Decodes a raw query string.
pub(crate) fn decode_query(raw: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

impl Params {
    pub(crate) fn from_parts(query: Option<&str>, headers: &HeaderMap) -> Params {
        Params {
            pairs: decode_query(query),
            headers: headers
                .iter()
                .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
                .collect(),
        }
    }

    /// The first value of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A value that must be present and non-empty.
    pub(crate) fn required(&self, key: &str) -> Result<&str, Rejection> {
        match self.get(key) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(Rejection::BadRequest(format!("missing parameter {key}"))),
        }
    }

    /// `1`/`true` → true.
    pub(crate) fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("1" | "true"))
    }

    /// A number parameter; a malformed one is a 400.
    pub(crate) fn number(&self, key: &str) -> Result<Option<u64>, Rejection> {
        match self.get(key) {
            None | Some("") => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| Rejection::BadRequest(format!("{key} must be a number"))),
        }
    }

    /// A paging value from the `X-Plex-Container-*` header or query argument.
    pub(crate) fn container(&self, what: &str) -> Result<Option<u64>, Rejection> {
        let name = format!("x-plex-container-{what}");
        if let Some((_, v)) = self.headers.iter().find(|(k, _)| *k == name) {
            return v
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| Rejection::BadRequest(format!("bad {name}")));
        }
        let key = format!("X-Plex-Container-{}", capitalize(what));
        self.number(&key)
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Params, Self::Rejection> {
        Ok(Params::from_parts(parts.uri.query(), &parts.headers))
    }
}

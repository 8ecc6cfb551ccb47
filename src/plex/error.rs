//! Every way a call to Plex can fail, each with one clear message.
//!
//! Callers branch on the kind: the engine retries [`PlexError::is_retryable`]
//! errors (honouring [`PlexError::retry_after`]), treats an invalid token as
//! fatal, and a 404 as "the item is gone". No variant ever holds the token or
//! a full URL with its query.

use std::time::Duration;

use reqwest::StatusCode;

use crate::plex::conn::token::TokenError;

/// How many characters of a response body an error quotes.
pub(crate) const EXCERPT_CHARS: usize = 200;

/// A failed Plex call.
#[derive(Debug, thiserror::Error)]
pub enum PlexError {
    /// 401: the token is wrong, expired or revoked.
    #[error("Invalid Plex token")]
    InvalidToken,
    /// 404 where "missing" is an error for the caller. Getters for which a
    /// missing item is a normal answer return `Ok(None)` instead.
    #[error("Not found: {what}")]
    NotFound {
        /// The endpoint or object that was not there.
        what: String,
    },
    /// 429 or 5xx: try again later.
    #[error("Plex answered {status}: {excerpt}")]
    Retryable {
        status: StatusCode,
        /// From `Retry-After`, when Plex sent one.
        retry_after: Option<Duration>,
        /// The start of the body, for the log.
        excerpt: String,
    },
    /// Any other 4xx: the request was wrong; retrying will not help.
    #[error("Plex rejected the request with {status}{}", detail(status, excerpt))]
    Rejected { status: StatusCode, excerpt: String },
    /// Connection refused, timeout, DNS failure.
    #[error("Plex server unavailable at {url} ({reason})")]
    Unavailable {
        /// The server's base URL, without any query.
        url: String,
        /// `connection refused`, `timed out`, …
        reason: String,
    },
    /// A 2xx whose body is not what the endpoint should return.
    #[error("Plex sent an unexpected answer to {endpoint}: {detail}")]
    BadJson {
        /// Method and path, e.g. `GET /library/sections`.
        endpoint: String,
        detail: String,
    },
    /// No usable token.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The TLS configuration could not be built.
    #[error("TLS setup failed: {0}")]
    Tls(String),
    /// The server answers 404 for a whole endpoint that newer servers have:
    /// asking again will not help until Plex is upgraded.
    #[error(
        "{feature} is not supported by this Plex server (version {version}); upgrade Plex Media Server to use it"
    )]
    Unsupported {
        /// What a person calls the feature (`intro detection`).
        feature: String,
        /// The version `/identity` reports, or `unknown`.
        version: String,
    },
}

impl PlexError {
    /// True for failures that may pass on their own: 429, 5xx, unreachable.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            PlexError::Retryable { .. } | PlexError::Unavailable { .. }
        )
    }

    /// How long Plex asked us to wait, when it pushed back: its
    /// `Retry-After`, or zero for a 429 without one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            PlexError::Retryable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// True for a 404.
    pub fn is_not_found(&self) -> bool {
        matches!(self, PlexError::NotFound { .. })
    }

    /// The error for a non-success answer.
    pub(crate) fn from_status(
        status: StatusCode,
        retry_after: Option<Duration>,
        body: &[u8],
        endpoint: String,
    ) -> PlexError {
        let excerpt = excerpt(body);
        match status {
            StatusCode::UNAUTHORIZED => PlexError::InvalidToken,
            StatusCode::NOT_FOUND => PlexError::NotFound { what: endpoint },
            // A 429 asks us to slow down even without a `Retry-After`;
            // "asked for zero" keeps that apart from a plain 5xx.
            StatusCode::TOO_MANY_REQUESTS => PlexError::Retryable {
                status,
                retry_after: Some(retry_after.unwrap_or_default()),
                excerpt,
            },
            s if s.is_server_error() => PlexError::Retryable {
                status,
                retry_after,
                excerpt,
            },
            _ => PlexError::Rejected { status, excerpt },
        }
    }

    /// The error for a request that got no answer. The reqwest error is
    /// reduced to a reason: its own message would carry the URL. A refused
    /// certificate is a TLS error, not an outage: retrying will not fix it.
    pub(crate) fn unavailable(base: &url::Url, err: &reqwest::Error) -> PlexError {
        if let Some(tls) = find_source::<rustls::Error>(err) {
            return PlexError::Tls(format!(
                "the TLS handshake with {} failed: {tls}",
                origin(base)
            ));
        }
        PlexError::Unavailable {
            url: origin(base),
            reason: reason(err),
        }
    }
}

/// The first [`EXCERPT_CHARS`] characters of a body, whitespace collapsed so
/// it fits on one log line; `(empty body)` when there is nothing. Plex's
/// HTML error pages (`<html><head><title>Bad Request</title>…<h1>400 Bad
/// Request</h1>…`) are reduced to their heading's words.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let raw = String::from_utf8_lossy(body);
    let text = html_heading(&raw).unwrap_or_else(|| raw.to_string());
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        return "(empty body)".to_owned();
    }
    let mut out: String = collapsed.chars().take(EXCERPT_CHARS).collect();
    if collapsed.chars().count() > EXCERPT_CHARS {
        out.push('…');
    }
    out
}

/// `: <what Plex said>`, or nothing when it only repeated the status line
/// (`400 Bad Request`, `(empty body)`): one readable line either way.
fn detail(status: &StatusCode, excerpt: &str) -> String {
    let reason = status.canonical_reason().unwrap_or_default();
    let said = excerpt.trim().trim_start_matches(status.as_str()).trim();
    if said.is_empty() || said == "(empty body)" || said.eq_ignore_ascii_case(reason) {
        String::new()
    } else {
        format!(": {excerpt}")
    }
}

/// The words of an HTML page's `<h1>` (else `<title>`, else all its text),
/// or `None` when the body is not HTML.
fn html_heading(body: &str) -> Option<String> {
    let start = body.trim_start();
    if !start.starts_with('<') || !start.get(..14)?.to_ascii_lowercase().contains("html") {
        return None;
    }
    let inside = |tag: &str| {
        let lower = body.to_ascii_lowercase();
        let from = lower.find(&format!("<{tag}>"))? + tag.len() + 2;
        let to = from + lower[from..].find(&format!("</{tag}>"))?;
        Some(body[from..to].to_owned())
    };
    let text = inside("h1").or_else(|| inside("title")).unwrap_or_else(|| {
        let mut out = String::new();
        let mut in_tag = false;
        for c in body.chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    out.push(' ');
                }
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        out
    });
    Some(text)
}

/// `Retry-After` in seconds (Plex and proxies send seconds; an HTTP date is
/// ignored rather than guessed at).
pub(crate) fn parse_retry_after(value: Option<&reqwest::header::HeaderValue>) -> Option<Duration> {
    let secs: u64 = value?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(secs))
}

/// Scheme, host, port and path prefix; never a query, never userinfo.
fn origin(base: &url::Url) -> String {
    let mut u = base.clone();
    u.set_query(None);
    u.set_fragment(None);
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.as_str().trim_end_matches('/').to_owned()
}

/// Every error in `err`'s chain, stepping into the error an `io::Error`
/// wraps (its own `source` skips it).
fn chain<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Vec<&'a (dyn std::error::Error + 'static)> {
    let mut out = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        out.push(e);
        next = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    out
}

fn find_source<'a, T: std::error::Error + 'static>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    chain(err).into_iter().find_map(|e| e.downcast_ref::<T>())
}

fn reason(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        return "timed out".to_owned();
    }
    let kinds = chain(err)
        .into_iter()
        .filter_map(|e| e.downcast_ref::<std::io::Error>())
        .map(std::io::Error::kind)
        .find(|k| *k != std::io::ErrorKind::Other);
    match kinds {
        Some(std::io::ErrorKind::ConnectionRefused) => "connection refused".to_owned(),
        Some(std::io::ErrorKind::ConnectionReset) => "connection reset".to_owned(),
        Some(std::io::ErrorKind::TimedOut) => "timed out".to_owned(),
        Some(other) => other.to_string(),
        None if err.is_connect() => "connection failed".to_owned(),
        None => "no answer".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16) -> StatusCode {
        StatusCode::from_u16(code).unwrap()
    }

    #[test]
    fn statuses_map_to_kinds() {
        let e = PlexError::from_status(status(401), None, b"<html>", "GET /x".into());
        assert_eq!(e.to_string(), "Invalid Plex token");
        assert!(!e.is_retryable());
        let e = PlexError::from_status(status(404), None, b"", "GET /library/metadata/9".into());
        assert!(e.is_not_found());
        let e = PlexError::from_status(
            status(429),
            Some(Duration::from_secs(7)),
            b"slow down",
            "GET /x".into(),
        );
        assert!(e.is_retryable());
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
        let e = PlexError::from_status(status(503), None, b"  busy\n now ", "GET /x".into());
        assert_eq!(
            e.to_string(),
            "Plex answered 503 Service Unavailable: busy now"
        );
        let e = PlexError::from_status(status(400), None, b"", "GET /x".into());
        assert!(matches!(e, PlexError::Rejected { .. }));
        assert!(!e.is_retryable());
    }

    #[test]
    fn an_html_error_page_becomes_one_readable_line() {
        let page = b"<html><head><title>Bad Request</title></head><body><h1>400 Bad Request</h1></body></html>";
        let e = PlexError::from_status(status(400), None, page, "PUT /x".into());
        assert_eq!(
            e.to_string(),
            "Plex rejected the request with 400 Bad Request"
        );
        let page = b"<html><body><h1>Invalid date\n  for field</h1></body></html>";
        let e = PlexError::from_status(status(400), None, page, "PUT /x".into());
        assert_eq!(
            e.to_string(),
            "Plex rejected the request with 400 Bad Request: Invalid date for field"
        );
    }

    #[test]
    fn excerpt_is_capped_at_200_characters() {
        let body = "é".repeat(500);
        let ex = excerpt(body.as_bytes());
        assert_eq!(ex.chars().count(), EXCERPT_CHARS + 1);
        assert_eq!(excerpt(b""), "(empty body)");
    }

    #[test]
    fn retry_after_reads_seconds_only() {
        use reqwest::header::HeaderValue;
        assert_eq!(
            parse_retry_after(Some(&HeaderValue::from_static("12"))),
            Some(Duration::from_secs(12))
        );
        assert_eq!(
            parse_retry_after(Some(&HeaderValue::from_static(
                "Wed, 21 Oct 2015 07:28:00 GMT"
            ))),
            None
        );
        assert_eq!(parse_retry_after(None), None);
    }

    #[test]
    fn origin_drops_query_and_credentials() {
        let u = url::Url::parse("http://user:pw@10.0.0.2:32400/plex/?X-Plex-Token=abc").unwrap();
        assert_eq!(origin(&u), "http://10.0.0.2:32400/plex");
    }
}

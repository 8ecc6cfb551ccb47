//! Who may hand us work: the key as `X-Api-Key`, as the password of HTTP
//! Basic auth (what the *arrs send) or as `?apikey=` (Plex webhooks can set
//! nothing but a URL); and a query string fit for a log line.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine;

use super::settings::IntakeKey;

/// The query parameter Plex webhook URLs carry the key in.
pub const QUERY_KEY: &str = "apikey";

/// True when the request carries `key` in any accepted place, or when there
/// is no key (loopback only; checked at start).
pub fn authorized(key: Option<&IntakeKey>, headers: &HeaderMap, query: Option<&str>) -> bool {
    let Some(key) = key else {
        return true;
    };
    let header = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| key.matches(v.trim()));
    let auth = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| authorization_matches(key, v));
    let in_query = query.is_some_and(|q| {
        url::form_urlencoded::parse(q.as_bytes()).any(|(k, v)| k == QUERY_KEY && key.matches(&v))
    });
    header || auth || in_query
}

/// `Basic base64(user:key)` (any user) or `Bearer key`.
fn authorization_matches(key: &IntakeKey, value: &str) -> bool {
    let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value, ""));
    if scheme.eq_ignore_ascii_case("bearer") {
        return key.matches(rest.trim());
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return false;
    }
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(rest.trim()) else {
        return false;
    };
    let text = String::from_utf8_lossy(&decoded);
    text.split_once(':')
        .is_some_and(|(_, password)| key.matches(password))
}

/// The query with the key's value replaced, for log lines: a key must never
/// reach a log, and a Plex webhook URL carries it.
pub fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case(QUERY_KEY) => format!("{k}=***"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn key() -> IntakeKey {
        IntakeKey::new("k3y-abc").unwrap()
    }

    #[test]
    fn the_key_is_taken_from_header_basic_bearer_or_query() {
        let k = key();
        let mut h = HeaderMap::new();
        assert!(!authorized(Some(&k), &h, None));
        assert!(
            authorized(None, &h, None),
            "no key configured: open (loopback only)"
        );
        h.insert("x-api-key", HeaderValue::from_static("k3y-abc"));
        assert!(authorized(Some(&k), &h, None));
        let mut h = HeaderMap::new();
        let basic = base64::engine::general_purpose::STANDARD.encode("sonarr:k3y-abc");
        h.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {basic}")).unwrap(),
        );
        assert!(authorized(Some(&k), &h, None));
        let wrong = base64::engine::general_purpose::STANDARD.encode("k3y-abc:nope");
        h.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {wrong}")).unwrap(),
        );
        assert!(
            !authorized(Some(&k), &h, None),
            "the user name is not the key"
        );
        h.insert(AUTHORIZATION, HeaderValue::from_static("Bearer k3y-abc"));
        assert!(authorized(Some(&k), &h, None));
        let h = HeaderMap::new();
        assert!(authorized(Some(&k), &h, Some("dir=/x&apikey=k3y-abc")));
        assert!(!authorized(Some(&k), &h, Some("apikey=k3y-ab")));
    }

    #[test]
    fn redaction_hides_only_the_key() {
        assert_eq!(
            redact_query("dir=%2Fm%2Fx&apikey=k3y-abc&APIKEY=2"),
            "dir=%2Fm%2Fx&apikey=***&APIKEY=***"
        );
    }
}

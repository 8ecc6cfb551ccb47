//! `plex`: a raw request, the escape hatch. It can only reach the configured
//! server: the rule gives a path (and query pairs), never a URL; the path is
//! split into segments that the URL builder appends to the base URL, each
//! percent-encoded, so nothing in it can change the host or add a query.

use std::collections::BTreeMap;

use reqwest::Method;

use super::outcome::Step;
use super::{ActionOutcome, Call};
use crate::plex::PlexRequest;

/// Sends `method path?query` to the configured server.
pub(crate) async fn send(
    call: &Call<'_>,
    method: &str,
    path: &str,
    query: &BTreeMap<String, String>,
) -> Step {
    let req = build(method, path, query).map_err(ActionOutcome::refused)?;
    match req.path.as_slice() {
        [library, metadata, id, ..] if library == "library" && metadata == "metadata" => {
            call.touch_item(id)
        }
        [library, sections, id, ..] if library == "library" && sections == "sections" => {
            call.touch_section(id)
        }
        _ => {}
    }
    let resp = call.send(&req).await?;
    Ok(format!(
        "{} answered {} ({} bytes)",
        req.endpoint(),
        resp.status.as_u16(),
        resp.body.len()
    ))
}

/// The request, or why it is refused.
pub(crate) fn build(
    method: &str,
    path: &str,
    query: &BTreeMap<String, String>,
) -> Result<PlexRequest, String> {
    let method = Method::from_bytes(method.trim().to_ascii_uppercase().as_bytes())
        .map_err(|_| format!("`{method}` is not an HTTP method"))?;
    if path.contains("://") || !path.starts_with('/') || path.starts_with("//") {
        return Err(format!(
            "`{path}` is not a path on the configured server (it must start with one `/`)"
        ));
    }
    if path.contains('?') || path.contains('#') {
        return Err(format!(
            "`{path}` contains `?` or `#`; put query parameters in `query`"
        ));
    }
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segments.iter().any(|s| *s == "." || *s == "..") {
        return Err(format!("`{path}` contains `.` or `..` segments"));
    }
    let mut req = PlexRequest::new(method, segments);
    for (k, v) in query {
        req = req.with_query(k.as_str(), v.as_str());
    }
    Ok(req)
}

#[cfg(test)]
mod tests {
    use super::*;
    use url::Url;

    #[test]
    fn only_paths_on_the_configured_server_are_built() {
        let base = Url::parse("http://127.0.0.1:32400/").unwrap();
        let none = BTreeMap::new();
        for bad in [
            "http://evil.example/x",
            "//evil.example/x",
            "evil.example/x",
            "/a/../../x",
            "/library?x=1",
        ] {
            assert!(build("GET", bad, &none).is_err(), "{bad}");
        }
        assert!(build("NOT A METHOD", "/x", &none).is_err());
        let mut q = BTreeMap::new();
        q.insert("a".to_string(), "b&c=d".to_string());
        let req = build("put", "/library/metadata/1/prefs", &q).unwrap();
        let url = req.url(&base);
        assert_eq!(url.host_str(), Some("127.0.0.1"));
        assert_eq!(url.path(), "/library/metadata/1/prefs");
        assert_eq!(url.query(), Some("a=b%26c%3Dd"));
        let odd = build("GET", "/a@evil.example:80/x", &none).unwrap();
        assert_eq!(odd.url(&base).host_str(), Some("127.0.0.1"));
    }
}

//! Load-time checks of the URLs rules give to `webhook` and the uploads:
//! the executors refuse anything but http(s) at run time, so a URL that can
//! never work (`ntfy.sh/topic`, `localhost:8123/hook`, a local path) is
//! reported by `check` instead of failing on every event.

/// What is wrong with a URL parameter (its template text) and what to write
/// instead, or `None` when it is (or, being built by a template, may be) an
/// http(s) URL. `file_param` names the parameter that takes local paths.
pub(super) fn problem(text: &str, key: &str, file_param: Option<&str>) -> Option<(String, String)> {
    let text = text.trim();
    // A URL that is all template (`{{ env_url }}`) can only be judged when rendered.
    if text.starts_with("{{") || text.starts_with("{%") {
        return None;
    }
    let sample = without_templates(text);
    let ok = url::Url::parse(&sample)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    if ok {
        return None;
    }
    let message = format!("`{key}` must be an http:// or https:// URL, found `{text}`");
    let looks_local = text.starts_with('/') || text.starts_with("~/") || text.starts_with("./");
    let help = if let (true, Some(file)) = (looks_local, file_param) {
        format!("a file on this machine goes in `{file}`: {file} = \"{text}\"")
    } else if let Some(rest) = text
        .strip_prefix("https//")
        .or_else(|| text.strip_prefix("https:/").filter(|r| !r.starts_with('/')))
    {
        format!("write \"https://{rest}\"")
    } else if let Some(rest) = text
        .strip_prefix("http//")
        .or_else(|| text.strip_prefix("http:/").filter(|r| !r.starts_with('/')))
    {
        format!("write \"http://{rest}\"")
    } else if !text.contains("://") {
        let local = text.starts_with("localhost")
            || text.starts_with("127.")
            || text.split(['/', ':']).next().is_some_and(|host| {
                host.parse::<std::net::IpAddr>().is_ok() || !host.contains('.')
            });
        let scheme = if local { "http" } else { "https" };
        format!("add the scheme: \"{scheme}://{text}\"")
    } else {
        "only http:// and https:// URLs can be fetched".to_owned()
    };
    Some((message, help))
}

/// The text with each `{{ … }}` and `{% … %}` replaced by a plain word, so
/// the rest can be parsed as a URL.
fn without_templates(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find(['{']) {
        let tail = &rest[open..];
        let close = if tail.starts_with("{{") {
            tail.find("}}")
        } else if tail.starts_with("{%") {
            tail.find("%}")
        } else {
            None
        };
        out.push_str(&rest[..open]);
        match close {
            Some(c) => {
                out.push('x');
                rest = &tail[c + 2..];
            }
            None => {
                out.push('{');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str, file: Option<&str>) -> Option<String> {
        problem(url, "url", file).map(|(_, help)| help)
    }

    #[test]
    fn urls_the_executors_refuse_are_found() {
        assert_eq!(
            check("ntfy.sh/plex", None).as_deref(),
            Some("add the scheme: \"https://ntfy.sh/plex\"")
        );
        assert_eq!(
            check("localhost:8123/api/webhook/x", None).as_deref(),
            Some("add the scheme: \"http://localhost:8123/api/webhook/x\"")
        );
        assert_eq!(
            check("https//hooks.example.com/p", None).as_deref(),
            Some("write \"https://hooks.example.com/p\"")
        );
        assert_eq!(
            check("/srv/art/{{ event.item.id }}.jpg", Some("file")).as_deref(),
            Some(
                "a file on this machine goes in `file`: file = \"/srv/art/{{ event.item.id }}.jpg\""
            )
        );
        assert_eq!(
            check("ftp://x/y", None).as_deref(),
            Some("only http:// and https:// URLs can be fetched")
        );
    }

    #[test]
    fn urls_that_may_work_pass() {
        for ok in [
            "https://ntfy.sh/plex",
            "http://homeassistant.local:8123/api/webhook/{{ event.item.id }}",
            "https://{{ item.guids.tmdb }}.example.com/x",
            "{{ item.guids.tmdb }}",
            "http://192.168.1.10:8080/hook?x={{ event.name | urlencode }}",
        ] {
            assert_eq!(check(ok, None), None, "{ok}");
        }
    }
}

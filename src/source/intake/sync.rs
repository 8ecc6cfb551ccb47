//! `POST /api/v1/sync` bodies (Metarr): checked by hand against the
//! contract so a mistake is answered with the field path that holds it
//! (`items[3].ids.tmdb: expected a string or number`), every mistake at once.

use serde_json::{Map, Value};

use super::spec::{Ids, ItemSpec, Metadata};

/// A checked sync request.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncRequest {
    /// Each item's path and what to do with it.
    pub items: Vec<(String, ItemSpec)>,
    /// Where the final status is POSTed.
    pub callback: Option<String>,
}

const ITEM_KEYS: &[&str] = &["path", "ids", "metadata", "poster", "art", "lock"];
const METADATA_TEXT: &[&str] = &["title", "original_title", "summary", "tagline"];
const METADATA_LISTS: &[&str] = &["genres", "directors", "writers"];

/// Checks a body; the errors are `field.path: what is wrong` lines.
pub fn parse(body: &[u8]) -> Result<SyncRequest, Vec<String>> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| vec![format!("body: not JSON ({e})")])?;
    let mut errors = Vec::new();
    let Some(root) = value.as_object() else {
        return Err(vec!["body: expected an object with `items`".to_owned()]);
    };
    for key in root
        .keys()
        .filter(|k| !["items", "callback"].contains(&k.as_str()))
    {
        errors.push(format!(
            "{key}: unknown field (expected `items` or `callback`)"
        ));
    }
    let callback = match root.get("callback") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => match url::Url::parse(s) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => Some(s.clone()),
            _ => {
                errors.push("callback: expected an http:// or https:// URL".to_owned());
                None
            }
        },
        Some(_) => {
            errors.push("callback: expected a string".to_owned());
            None
        }
    };
    let mut items = Vec::new();
    match root.get("items") {
        Some(Value::Array(list)) if !list.is_empty() => {
            for (i, item) in list.iter().enumerate() {
                if let Some(one) = parse_item(&format!("items[{i}]"), item, &mut errors) {
                    items.push(one);
                }
            }
        }
        Some(Value::Array(_)) => errors.push("items: expected at least one item".to_owned()),
        Some(_) => errors.push("items: expected a list".to_owned()),
        None => errors.push("items: missing".to_owned()),
    }
    if errors.is_empty() {
        Ok(SyncRequest { items, callback })
    } else {
        Err(errors)
    }
}

fn parse_item(at: &str, v: &Value, errors: &mut Vec<String>) -> Option<(String, ItemSpec)> {
    let Some(obj) = v.as_object() else {
        errors.push(format!("{at}: expected an object with `path`"));
        return None;
    };
    unknown(at, obj, ITEM_KEYS, errors);
    let path = match obj.get("path") {
        Some(Value::String(p)) if p.starts_with('/') => Some(p.clone()),
        Some(Value::String(_)) => {
            errors.push(format!("{at}.path: expected an absolute path"));
            None
        }
        Some(_) => {
            errors.push(format!("{at}.path: expected a string"));
            None
        }
        None => {
            errors.push(format!("{at}.path: missing"));
            None
        }
    };
    let mut spec = ItemSpec::added();
    if let Some(ids) = object(at, "ids", obj, errors) {
        unknown(&format!("{at}.ids"), ids, &["tmdb", "imdb", "tvdb"], errors);
        let id = |k: &str, errors: &mut Vec<String>| match ids.get(k) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(_) => {
                errors.push(format!("{at}.ids.{k}: expected a string or number"));
                None
            }
        };
        spec.ids = Ids {
            tmdb: id("tmdb", errors),
            imdb: id("imdb", errors),
            tvdb: id("tvdb", errors),
        };
    }
    if let Some(m) = object(at, "metadata", obj, errors) {
        spec.metadata = Some(metadata(&format!("{at}.metadata"), m, errors));
    }
    spec.poster = text(at, "poster", obj, errors);
    spec.art = text(at, "art", obj, errors);
    match obj.get("lock") {
        None | Some(Value::Null) => {}
        Some(Value::Bool(b)) => spec.lock = *b,
        Some(_) => errors.push(format!("{at}.lock: expected true or false")),
    }
    Some((path?, spec))
}

fn metadata(at: &str, m: &Map<String, Value>, errors: &mut Vec<String>) -> Metadata {
    let known: Vec<&str> = METADATA_TEXT
        .iter()
        .chain(METADATA_LISTS)
        .chain(&["year", "rating"])
        .copied()
        .collect();
    unknown(at, m, &known, errors);
    let list = |k: &str, errors: &mut Vec<String>| match m.get(k) {
        None | Some(Value::Null) => None,
        Some(Value::Array(a)) => {
            let mut out = Vec::new();
            for (i, v) in a.iter().enumerate() {
                match v.as_str() {
                    Some(s) => out.push(s.to_owned()),
                    None => errors.push(format!("{at}.{k}[{i}]: expected a string")),
                }
            }
            Some(out)
        }
        Some(_) => {
            errors.push(format!("{at}.{k}: expected a list of strings"));
            None
        }
    };
    let year = match m.get("year") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) if n.as_i64().is_some_and(|y| (1800..=3000).contains(&y)) => {
            n.as_i64()
        }
        Some(Value::String(s)) if s.parse::<i64>().is_ok() => s.parse().ok(),
        Some(_) => {
            errors.push(format!("{at}.year: expected a year such as 1999"));
            None
        }
    };
    let rating = match m.get("rating") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) if n.as_f64().is_some_and(|r| (0.0..=10.0).contains(&r)) => {
            n.as_f64()
        }
        Some(_) => {
            errors.push(format!("{at}.rating: expected a number from 0 to 10"));
            None
        }
    };
    Metadata {
        title: text(at, "title", m, errors),
        original_title: text(at, "original_title", m, errors),
        summary: text(at, "summary", m, errors),
        tagline: text(at, "tagline", m, errors),
        year,
        rating,
        genres: list("genres", errors),
        directors: list("directors", errors),
        writers: list("writers", errors),
    }
}

fn object<'a>(
    at: &str,
    key: &str,
    obj: &'a Map<String, Value>,
    errors: &mut Vec<String>,
) -> Option<&'a Map<String, Value>> {
    match obj.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::Object(o)) => Some(o),
        Some(_) => {
            errors.push(format!("{at}.{key}: expected an object"));
            None
        }
    }
}

fn text(at: &str, key: &str, obj: &Map<String, Value>, errors: &mut Vec<String>) -> Option<String> {
    match obj.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            errors.push(format!("{at}.{key}: expected a string"));
            None
        }
    }
}

fn unknown(at: &str, obj: &Map<String, Value>, known: &[&str], errors: &mut Vec<String>) {
    for key in obj.keys().filter(|k| !known.contains(&k.as_str())) {
        errors.push(format!(
            "{at}.{key}: unknown field (expected one of {})",
            known.join(", ")
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_item_is_read() {
        let body = br#"{"items":[{"path":"/m/The Matrix (1999)/matrix.mkv",
            "ids":{"tmdb":603,"imdb":"tt0133093"},
            "metadata":{"title":"The Matrix","year":1999,"rating":8.7,"genres":["Action"]},
            "poster":"/m/The Matrix (1999)/poster.jpg","lock":false}],
            "callback":"http://127.0.0.1:9/cb"}"#;
        let r = parse(body).unwrap();
        let (path, spec) = &r.items[0];
        assert_eq!(path, "/m/The Matrix (1999)/matrix.mkv");
        assert_eq!(spec.ids.tmdb.as_deref(), Some("603"));
        assert_eq!(spec.metadata.as_ref().unwrap().year, Some(1999));
        assert!(!spec.lock);
        assert_eq!(r.callback.as_deref(), Some("http://127.0.0.1:9/cb"));
        let minimal = parse(br#"{"items":[{"path":"/m/x.mkv"}]}"#).unwrap();
        assert!(minimal.items[0].1.lock, "lock defaults to true");
    }

    #[test]
    fn every_mistake_is_named_by_its_field_path() {
        let mut items: Vec<String> = (0..3)
            .map(|i| format!(r#"{{"path":"/m/{i}.mkv"}}"#))
            .collect();
        items.push(
            r#"{"path":"/m/3.mkv","ids":{"tmdb":[603]},"metadata":{"year":"soon","genres":[1]}}"#
                .into(),
        );
        items.push(r#"{"ids":{}}"#.into());
        let body = format!(r#"{{"items":[{}],"callbak":"x"}}"#, items.join(","));
        let errors = parse(body.as_bytes()).unwrap_err();
        assert!(
            errors.contains(&"items[3].ids.tmdb: expected a string or number".to_owned()),
            "{errors:?}"
        );
        assert!(
            errors.contains(&"items[3].metadata.year: expected a year such as 1999".to_owned()),
            "{errors:?}"
        );
        assert!(
            errors.contains(&"items[3].metadata.genres[0]: expected a string".to_owned()),
            "{errors:?}"
        );
        assert!(
            errors.contains(&"items[4].path: missing".to_owned()),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("callbak: unknown field")),
            "{errors:?}"
        );
        assert_eq!(parse(b"nope").unwrap_err().len(), 1);
        assert_eq!(
            parse(br#"{"items":[]}"#).unwrap_err(),
            ["items: expected at least one item"]
        );
    }
}

//! `[[tests]]`: embedded rule tests (an event, optional item metadata, canned
//! Plex responses, the requests expected). Parsed and checked at load; run
//! later by `metarr-plex test`.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;

use toml::de::{DeTable, DeValue};

use super::compile::Cx;
use super::facts::ItemFacts;
use super::reader::{Annotate, TableReader, kind_of, suggest};
use super::vocab::HTTP_METHODS;
use crate::event::{Event, EventName};

/// Keys of a `[[tests]]` table.
pub(crate) const KEYS: &[&str] = &["name", "event", "item", "responses", "files", "expect"];

/// Keys of a test's `event` table (the fields of [`Event`]).
const EVENT_KEYS: &[&str] = &[
    "name",
    "id",
    "timestamp",
    "server",
    "section",
    "item",
    "session",
    "activity",
    "notification_type",
    "synthetic",
    "caused_by_self",
    "raw",
];

/// A canned answer of a test: the JSON body written inline (as a TOML
/// table), or a JSON file relative to the rule file.
///
/// Inline bodies keep a rule file self-contained, so copying `*.toml` into
/// the rules directory is a complete install. A file that does not exist is
/// only a warning at load (the rule still runs in the daemon; `check` passes)
/// and fails the test that needs it when `metarr-plex test` runs.
#[derive(Debug, Clone)]
pub enum Response {
    /// The body itself.
    Inline(serde_json::Value),
    /// A JSON file holding the body.
    File(PathBuf),
}

impl Response {
    /// The body's bytes, or why the file cannot be read.
    pub(crate) fn body(&self) -> Result<Vec<u8>, String> {
        match self {
            Response::Inline(json) => serde_json::to_vec(json).map_err(|e| e.to_string()),
            Response::File(path) => std::fs::read(path)
                .map_err(|e| format!("cannot read response file {}: {e}", path.display())),
        }
    }
}

/// One embedded test.
#[derive(Debug, Clone)]
pub struct RuleTest {
    /// A label for the report; default "test N".
    pub name: String,
    /// The event the test feeds to the rule.
    pub event: Event,
    /// The metadata a fetch returns, for rules that read `item.*`.
    pub item: Option<ItemFacts>,
    /// Canned responses: `"GET /library/metadata/42/matches"` → the body,
    /// inline or in a JSON file next to the rule.
    pub responses: BTreeMap<String, Response>,
    /// Local files that exist during the test (for `if_missing`).
    pub files: Vec<String>,
    /// The writes expected, in order (`PUT /library/metadata/42/analyze`,
    /// scans as `GET …/refresh?path=`); reads are answered from `responses`
    /// and not compared. Empty means nothing may change.
    pub expect: Vec<String>,
    /// Where the test was written.
    pub span: Range<usize>,
}

impl RuleTest {
    pub(crate) fn compile(
        table: &DeTable<'_>,
        span: Range<usize>,
        index: usize,
        cx: &mut Cx<'_>,
    ) -> Option<RuleTest> {
        let mut r = TableReader::new(table, "test");
        let mut ok = true;
        let name = r
            .string("name", cx.sink)
            .map_or_else(|| format!("test {}", index + 1), |s| s.into_inner());
        let event = match r.table("event", cx.sink) {
            Some((t, at)) => compile_event(t, at, index, cx),
            None => {
                if r.key_span("event").is_none() {
                    cx.sink
                        .error(
                            span.start..span.start + 9.min(span.len()),
                            "a test needs an `event`",
                        )
                        .help("e.g. event = { name = \"item.added\", item = { id = \"42\" } }");
                }
                None
            }
        };
        let item = match r.table("item", cx.sink) {
            Some((t, at)) => match serde_json::from_value::<ItemFacts>(table_json(t)) {
                Ok(f) => Some(f),
                Err(e) => {
                    ok = false;
                    cx.sink.error(at, format!("invalid test item: {e}"));
                    None
                }
            },
            None => None,
        };
        let mut responses = BTreeMap::new();
        if let Some((t, _)) = r.table("responses", cx.sink) {
            for (k, v) in t.iter() {
                ok &= check_request(k.get_ref(), k.span(), cx);
                match v.get_ref() {
                    DeValue::String(file) => {
                        let path = cx.base_dir.join(file.as_ref());
                        if !path.is_file() {
                            cx.sink
                                .warning(
                                    v.span(),
                                    format!("response file `{file}` does not exist; `metarr-plex test` will fail this test"),
                                )
                                .help("paths are relative to the rule file; or write the body inline: \"GET /path\" = { MediaContainer = { … } }");
                        }
                        responses.insert(k.get_ref().to_string(), Response::File(path));
                    }
                    DeValue::Table(body) => {
                        responses
                            .insert(k.get_ref().to_string(), Response::Inline(table_json(body)));
                    }
                    other => {
                        ok = false;
                        cx.sink.error(
                            v.span(),
                            format!("a response must be a JSON body written as a table, or a file path; found {}", kind_of(other)),
                        );
                    }
                }
            }
        }
        let files = r
            .strings("files", cx.sink)
            .unwrap_or_default()
            .into_iter()
            .map(|s| s.into_inner())
            .collect();
        let expect = match r.strings("expect", cx.sink) {
            Some(list) => {
                for e in &list {
                    let request = check_request(e.get_ref(), e.span(), cx);
                    ok &= request;
                    if request && !is_write_text(e.get_ref()) {
                        ok = false;
                        cx.sink
                            .error(e.span(), format!("`{}` is a read; `expect` lists the requests that change something", e.get_ref()))
                            .help("reads the actions make are answered from `responses` and shown in the report; list only writes (PUT, POST, DELETE, and GET …/refresh scans)");
                    }
                }
                list.into_iter().map(|s| s.into_inner()).collect()
            }
            None => {
                if r.key_span("expect").is_none() {
                    ok = false;
                    cx.sink
                        .error(span.start..span.start + 9.min(span.len()), "a test needs `expect`")
                        .help("list the requests the rule sends, e.g. expect = [\"PUT /library/metadata/42/analyze\"], or [] when it must not fire");
                }
                Vec::new()
            }
        };
        r.finish(KEYS, cx.sink);
        let event = event?;
        ok.then_some(RuleTest {
            name,
            event,
            item,
            responses,
            files,
            expect,
            span,
        })
    }
}

fn compile_event(
    t: &DeTable<'_>,
    at: Range<usize>,
    index: usize,
    cx: &mut Cx<'_>,
) -> Option<Event> {
    let mut ok = true;
    for (k, _) in t.iter() {
        if !EVENT_KEYS.contains(&k.get_ref().as_ref()) {
            ok = false;
            cx.sink
                .error(
                    k.span(),
                    format!("unknown key `{}` in test event", k.get_ref()),
                )
                .help(suggest(k.get_ref(), EVENT_KEYS));
        }
    }
    let Some((name_key, name)) = t.iter().find(|(k, _)| k.get_ref().as_ref() == "name") else {
        cx.sink
            .error(at, "a test event needs a `name`")
            .help("e.g. name = \"playback.stopped\"");
        return None;
    };
    let _ = name_key;
    if let DeValue::String(n) = name.get_ref()
        && n.parse::<EventName>().is_err()
    {
        let all: Vec<&str> = EventName::ALL.iter().map(|e| e.as_str()).collect();
        cx.sink
            .error(name.span(), format!("unknown event `{n}`"))
            .help(suggest(n, &all));
        return None;
    }
    match event_from_json(table_json(t), &format!("test-{}", index + 1)) {
        Ok(e) if ok => Some(e),
        Ok(_) => None,
        Err(e) => {
            cx.sink.error(at, format!("invalid test event: {e}"));
            None
        }
    }
}

/// An event as written by hand or printed by `metarr-plex events`: ids may
/// be numbers, and a missing `id` or `timestamp` gets `fallback_id` and a
/// fixed time, so short hand-written events work too.
pub(crate) fn event_from_json(
    mut json: serde_json::Value,
    fallback_id: &str,
) -> Result<Event, serde_json::Error> {
    ids_as_text(&mut json);
    if let Some(obj) = json.as_object_mut() {
        obj.entry("id").or_insert_with(|| fallback_id.into());
        obj.entry("timestamp")
            .or_insert_with(|| "2026-01-01T00:00:00Z".into());
    }
    serde_json::from_value(json)
}

/// Plex ids are text; `item = { id = 42 }` in a test means `"42"`.
fn ids_as_text(v: &mut serde_json::Value) {
    if let serde_json::Value::Object(map) = v {
        for (k, child) in map.iter_mut() {
            let is_id = matches!(k.as_str(), "id" | "key" | "parent_id" | "grandparent_id");
            match child {
                serde_json::Value::Number(n) if is_id => {
                    *child = serde_json::Value::String(n.to_string())
                }
                serde_json::Value::Object(_) if k != "raw" => ids_as_text(child),
                _ => {}
            }
        }
    }
}

/// `METHOD /path?query`: a known method and a path on the server.
fn check_request(text: &str, at: Range<usize>, cx: &mut Cx<'_>) -> bool {
    let (method, path) = text.split_once(' ').unwrap_or((text, ""));
    if !HTTP_METHODS.contains(&method) || !path.starts_with('/') {
        cx.sink
            .error(at, format!("`{text}` is not a request"))
            .help("write the method and the path: \"PUT /library/metadata/42/analyze\"");
        return false;
    }
    true
}

/// True when the request text names a write (see [`PlexRequest::is_write`](crate::plex::PlexRequest::is_write)).
fn is_write_text(text: &str) -> bool {
    let (method, rest) = text.split_once(' ').unwrap_or((text, ""));
    let path = rest.split('?').next().unwrap_or_default();
    let segments = path.split('/').filter(|s| !s.is_empty());
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET);
    crate::plex::PlexRequest::new(method, segments).is_write()
}

/// A TOML table as JSON (tests describe events and items in TOML).
pub(crate) fn table_json(t: &DeTable<'_>) -> serde_json::Value {
    serde_json::Value::Object(
        t.iter()
            .map(|(k, v)| (k.get_ref().to_string(), value_json(v.get_ref())))
            .collect(),
    )
}

fn value_json(v: &DeValue<'_>) -> serde_json::Value {
    match v {
        DeValue::String(s) => serde_json::Value::String(s.to_string()),
        DeValue::Integer(i) => i.as_str().replace('_', "").parse::<i64>().map_or_else(
            |_| serde_json::Value::String(i.as_str().to_owned()),
            serde_json::Value::from,
        ),
        DeValue::Float(f) => f
            .as_str()
            .replace('_', "")
            .parse::<f64>()
            .map_or(serde_json::Value::Null, |x| serde_json::json!(x)),
        DeValue::Boolean(b) => serde_json::Value::Bool(*b),
        DeValue::Datetime(d) => serde_json::Value::String(d.to_string()),
        DeValue::Array(a) => {
            serde_json::Value::Array(a.iter().map(|x| value_json(x.get_ref())).collect())
        }
        DeValue::Table(t) => table_json(t),
    }
}

//! `[[actions]]` entries: the parameters each action takes, their checks at
//! load time, and rendering them into a [`ResolvedAction`] per event.
//!
//! Actions are read from spanned tables (not a serde tagged enum) so an
//! error in any parameter points at its line.

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::Duration;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::compile::Cx;
use super::reader::{
    Annotate, TableReader, expect_string, kind_of, quoted_list, suggest, type_error,
};
use super::resolved::{
    IfMissing, ImageKind, ImageSource, MatchTarget, ResolvedAction, ScanTarget, TagChange,
};
use super::template::Template;
use super::vocab::{HTTP_METHODS, IF_MISSING, LOG_LEVELS, TAG_KINDS};
use super::{Renderer, RuleError};

/// The shape of one parameter.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    /// A template string.
    Text,
    /// One template string or an array of them.
    Texts,
    /// `true` or `false`.
    Flag,
    /// One of a fixed set of words (not a template).
    Choice(&'static [&'static str]),
    /// A humantime duration (`30s`, `5m`).
    Duration,
    /// A table of names to template strings (`query`, `fields`, `headers`).
    Map,
    /// An array of template strings run without a shell.
    Argv,
    /// JSON built from a table (string leaves are templates) or one template.
    Body,
    /// A table of tag kinds to lists (or `"A|B"` strings).
    Tags,
}

/// One parameter of an action.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Param {
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
    pub(crate) required: bool,
    /// What the parameter is for (schema and docs).
    pub(crate) doc: &'static str,
}

/// One action name with its parameters.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spec {
    pub(crate) name: &'static str,
    pub(crate) doc: &'static str,
    pub(crate) params: &'static [Param],
    /// Groups of parameters of which exactly one must be given.
    pub(crate) one_of: &'static [&'static [&'static str]],
}

const fn p(name: &'static str, kind: Kind, doc: &'static str) -> Param {
    Param {
        name,
        kind,
        required: false,
        doc,
    }
}

const fn req(name: &'static str, kind: Kind, doc: &'static str) -> Param {
    Param {
        name,
        kind,
        required: true,
        doc,
    }
}

const ITEM: Param = p(
    "item",
    Kind::Text,
    "The item id (ratingKey); default: the event's item.",
);

/// Every action, in SPEC §5 order.
pub(crate) const SPECS: &[Spec] = &[
    Spec {
        name: "scan",
        doc: "Partial scan of folders: `paths`, or `missing = true` for folders on disk Plex still lacks.",
        params: &[
            p(
                "paths",
                Kind::Texts,
                "Local paths to scan; mapped, coalesced to folders, grouped by section.",
            ),
            p(
                "missing",
                Kind::Flag,
                "Scan the folders on disk under the section's locations that no item lives in.",
            ),
            p(
                "section",
                Kind::Text,
                "With `missing`: the section id; default: the event's section.",
            ),
            p(
                "under",
                Kind::Texts,
                "With `missing`: only look under these folders.",
            ),
        ],
        one_of: &[&["paths", "missing"]],
    },
    Spec {
        name: "refresh_section",
        doc: "Full scan of a section.",
        params: &[
            p(
                "section",
                Kind::Text,
                "The section id; default: the event's section.",
            ),
            p(
                "wait",
                Kind::Flag,
                "Follow the scan activity to its end before the next action.",
            ),
        ],
        one_of: &[],
    },
    Spec {
        name: "refresh",
        doc: "Refresh an item's metadata.",
        params: &[ITEM],
        one_of: &[],
    },
    Spec {
        name: "analyze",
        doc: "Analyze an item's media.",
        params: &[ITEM],
        one_of: &[],
    },
    Spec {
        name: "match",
        doc: "Match an item to a guid or an external id.",
        params: &[
            ITEM,
            p(
                "guid",
                Kind::Text,
                "A guid: plex://movie/5d7768… is applied as is; tmdb://N, imdb://tt…, tvdb://N are searched like `tmdb`.",
            ),
            p("tmdb", Kind::Text, "A TMDB id."),
            p("imdb", Kind::Text, "An IMDb id (tt…)."),
            p("tvdb", Kind::Text, "A TVDB id."),
            p(
                "agent",
                Kind::Text,
                "The agent to search with; default: the section's.",
            ),
        ],
        one_of: &[&["guid", "tmdb", "imdb", "tvdb"]],
    },
    Spec {
        name: "unmatch",
        doc: "Unmatch an item.",
        params: &[ITEM],
        one_of: &[],
    },
    Spec {
        name: "edit",
        doc: "Set metadata fields, locked by default.",
        params: &[
            ITEM,
            req(
                "fields",
                Kind::Map,
                "Field names to values, e.g. { title = \"…\", year = \"1999\" }.",
            ),
            p(
                "lock",
                Kind::Flag,
                "Lock the edited fields so a refresh keeps them (default true).",
            ),
        ],
        one_of: &[],
    },
    Spec {
        name: "tags",
        doc: "Add, remove or set tags (genre, director, writer, collection, label).",
        params: &[
            ITEM,
            p("add", Kind::Tags, "Tags to add, keeping the existing ones."),
            p("remove", Kind::Tags, "Tags to remove."),
            p("set", Kind::Tags, "Tags replacing the existing ones."),
        ],
        one_of: &[&["add", "remove", "set"]],
    },
    Spec {
        name: "upload_poster",
        doc: "Upload a poster from a local file or a URL.",
        params: &[
            ITEM,
            p("file", Kind::Text, "A local image file."),
            p("url", Kind::Text, "An image URL Plex downloads."),
            p(
                "if_missing",
                Kind::Choice(IF_MISSING),
                "When the file does not exist: skip (default) or fail.",
            ),
        ],
        one_of: &[&["file", "url"]],
    },
    Spec {
        name: "upload_art",
        doc: "Upload a background from a local file or a URL.",
        params: &[
            ITEM,
            p("file", Kind::Text, "A local image file."),
            p("url", Kind::Text, "An image URL Plex downloads."),
            p(
                "if_missing",
                Kind::Choice(IF_MISSING),
                "When the file does not exist: skip (default) or fail.",
            ),
        ],
        one_of: &[&["file", "url"]],
    },
    Spec {
        name: "cancel_activity",
        doc: "Cancel a server activity.",
        params: &[req(
            "uuid",
            Kind::Text,
            "The activity uuid, e.g. {{ event.activity.uuid }}.",
        )],
        one_of: &[],
    },
    Spec {
        name: "webhook",
        doc: "POST JSON to an HTTP endpoint.",
        params: &[
            req("url", Kind::Text, "The endpoint."),
            p(
                "body",
                Kind::Body,
                "The JSON body: a table (string values are templates) or one template; default: the event.",
            ),
            p("headers", Kind::Map, "Extra request headers."),
            p(
                "timeout",
                Kind::Duration,
                "Give up after this long (default 30s).",
            ),
        ],
        one_of: &[],
    },
    Spec {
        name: "exec",
        doc: "Run a program with arguments (never a shell); the event arrives as JSON on stdin.",
        params: &[
            req(
                "argv",
                Kind::Argv,
                "The program and its arguments, each a template.",
            ),
            p(
                "timeout",
                Kind::Duration,
                "Kill the program after this long (default 30s).",
            ),
        ],
        one_of: &[],
    },
    Spec {
        name: "log",
        doc: "Write a log line.",
        params: &[
            req("message", Kind::Text, "The message."),
            p(
                "level",
                Kind::Choice(LOG_LEVELS),
                "error, warn, info (default), debug or trace.",
            ),
        ],
        one_of: &[],
    },
    Spec {
        name: "plex",
        doc: "A raw request to the configured Plex server (escape hatch).",
        params: &[
            req(
                "method",
                Kind::Choice(HTTP_METHODS),
                "GET, PUT, POST or DELETE.",
            ),
            req("path", Kind::Text, "The path, starting with `/`; no host."),
            p(
                "query",
                Kind::Map,
                "Query parameters, percent-encoded for you.",
            ),
        ],
        one_of: &[],
    },
];

/// Action names, for did-you-mean.
pub(crate) fn names() -> Vec<&'static str> {
    SPECS.iter().map(|s| s.name).collect()
}

/// A parameter value, compiled.
#[derive(Debug)]
enum Value {
    Text(Template),
    Texts(Vec<Template>),
    Flag(bool),
    Choice(&'static str),
    Duration(Duration),
    Map(Vec<(String, Template)>),
    Body(Body),
    Tags(Vec<(&'static str, Vec<Template>)>),
}

/// A JSON body whose string leaves are templates.
#[derive(Debug)]
enum Body {
    Text(Template),
    Plain(serde_json::Value),
    List(Vec<Body>),
    Table(Vec<(String, Body)>),
}

/// One compiled `[[actions]]` entry.
#[derive(Debug)]
pub struct CompiledAction {
    /// The action name (`match`, `upload_poster`…).
    pub name: &'static str,
    /// The whole table, for runtime errors and `explain`.
    pub span: Range<usize>,
    params: Vec<(&'static str, Value)>,
    /// Reads `item.*`, so the event needs a metadata fetch.
    pub(crate) uses_item: bool,
}

impl CompiledAction {
    /// Reads and checks one `[[actions]]` table.
    pub(crate) fn compile(
        table: &DeTable<'_>,
        span: Range<usize>,
        cx: &mut Cx<'_>,
    ) -> Option<CompiledAction> {
        let mut reader = TableReader::new(table, "action");
        let Some(name) = reader.string("action", cx.sink) else {
            if reader.key_span("action").is_none() {
                cx.sink
                    .error(
                        span.start..span.start + header_len(cx.source, &span),
                        "this action has no `action` key",
                    )
                    .help(format!(
                        "add e.g. `action = \"refresh\"`; actions are {}",
                        quoted_list(&names())
                    ));
            }
            return None;
        };
        let Some(spec) = SPECS.iter().find(|s| s.name == name.get_ref()) else {
            cx.sink
                .error(name.span(), format!("unknown action `{}`", name.get_ref()))
                .help(suggest(name.get_ref(), &names()));
            return None;
        };
        let mut reader = TableReader::new(table, format!("`{}` action", spec.name));
        reader.get("action");
        let mut params = Vec::new();
        let mut ok = true;
        for param in spec.params {
            let Some(v) = reader.get(param.name) else {
                if param.required {
                    ok = false;
                    cx.sink
                        .error(
                            name.span(),
                            format!("`{}` needs `{}`", spec.name, param.name),
                        )
                        .label(format!("missing `{}`", param.name))
                        .help(format!("`{}`: {}", param.name, param.doc));
                }
                continue;
            };
            match compile_value(param, v, cx) {
                Some(value) => params.push((param.name, value)),
                None => ok = false,
            }
        }
        for group in spec.one_of {
            let given: Vec<&str> = group
                .iter()
                .copied()
                .filter(|g| reader.key_span(g).is_some())
                .collect();
            if given.is_empty() {
                ok = false;
                cx.sink
                    .error(
                        name.span(),
                        format!("`{}` needs one of {}", spec.name, quoted_list(group)),
                    )
                    .label("none given");
            } else if given.len() > 1 {
                ok = false;
                let at = reader.key_span(given[1]).unwrap_or(name.span());
                cx.sink
                    .error(
                        at,
                        format!("`{}` takes only one of {}", spec.name, quoted_list(group)),
                    )
                    .label(format!("`{}` is already given", given[0]));
            }
        }
        let known: Vec<&str> = std::iter::once("action")
            .chain(spec.params.iter().map(|p| p.name))
            .collect();
        reader.finish(&known, cx.sink);
        ok &= check_defaults(spec, &params, &name, cx);
        if spec.name == "plex" {
            ok &= check_plex_path(&params, cx);
        }
        let uses_item = params.iter().any(|(_, v)| value_uses_item(v));
        ok.then_some(CompiledAction {
            name: spec.name,
            span,
            params,
            uses_item,
        })
    }

    /// Renders every parameter for one event into a typed action.
    pub(crate) fn resolve(&self, r: &Renderer<'_>) -> Result<ResolvedAction, RuleError> {
        let text = |name: &str| -> Result<Option<String>, RuleError> {
            match self.get(name) {
                Some(Value::Text(t)) => r.render(t, name).map(Some),
                _ => Ok(None),
            }
        };
        let id = |name: &str, default: Option<&str>| -> Result<String, RuleError> {
            let value = match text(name)? {
                Some(v) => v,
                None => default.map(str::to_owned).unwrap_or_default(),
            };
            let value = value.trim().to_owned();
            if value.is_empty() {
                return Err(RuleError::EmptyValue {
                    action: self.name,
                    param: name.to_owned(),
                });
            }
            Ok(value)
        };
        let item = || id("item", r.event_item());
        let texts = |name: &str| -> Result<Vec<String>, RuleError> {
            match self.get(name) {
                Some(Value::Texts(ts)) => ts.iter().map(|t| r.render(t, name)).collect(),
                _ => Ok(Vec::new()),
            }
        };
        let flag = |name: &str, default: bool| match self.get(name) {
            Some(Value::Flag(b)) => *b,
            _ => default,
        };
        let choice = |name: &str, default: &'static str| match self.get(name) {
            Some(Value::Choice(c)) => *c,
            _ => default,
        };
        let duration = |name: &str| match self.get(name) {
            Some(Value::Duration(d)) => Some(*d),
            _ => None,
        };
        let map = |name: &str| -> Result<BTreeMap<String, String>, RuleError> {
            match self.get(name) {
                Some(Value::Map(m)) => m
                    .iter()
                    .map(|(k, t)| Ok((k.clone(), r.render(t, name)?)))
                    .collect(),
                _ => Ok(BTreeMap::new()),
            }
        };
        Ok(match self.name {
            "scan" if flag("missing", false) => ResolvedAction::Scan {
                target: ScanTarget::Missing {
                    section: id("section", r.event_section())?,
                    under: texts("under")?,
                },
            },
            "scan" => ResolvedAction::Scan {
                target: ScanTarget::Paths(texts("paths")?),
            },
            "refresh_section" => ResolvedAction::RefreshSection {
                section: id("section", r.event_section())?,
                wait: flag("wait", false),
            },
            "refresh" => ResolvedAction::Refresh { item: item()? },
            "analyze" => ResolvedAction::Analyze { item: item()? },
            "unmatch" => ResolvedAction::Unmatch { item: item()? },
            "match" => {
                let target = if self.get("guid").is_some() {
                    external_guid(id("guid", None)?)
                } else if self.get("tmdb").is_some() {
                    MatchTarget::Tmdb(id("tmdb", None)?)
                } else if self.get("imdb").is_some() {
                    MatchTarget::Imdb(id("imdb", None)?)
                } else {
                    MatchTarget::Tvdb(id("tvdb", None)?)
                };
                ResolvedAction::Match {
                    item: item()?,
                    target,
                    agent: text("agent")?.filter(|a| !a.is_empty()),
                }
            }
            "edit" => ResolvedAction::Edit {
                item: item()?,
                fields: map("fields")?,
                lock: flag("lock", true),
            },
            "tags" => {
                let (change, name) = if self.get("add").is_some() {
                    (TagChange::Add, "add")
                } else if self.get("remove").is_some() {
                    (TagChange::Remove, "remove")
                } else {
                    (TagChange::Set, "set")
                };
                let mut tags = BTreeMap::new();
                if let Some(Value::Tags(kinds)) = self.get(name) {
                    for (kind, ts) in kinds {
                        let mut list = Vec::new();
                        for t in ts {
                            let rendered = r.render(t, name)?;
                            list.extend(
                                rendered
                                    .split('|')
                                    .map(str::trim)
                                    .filter(|s| !s.is_empty())
                                    .map(str::to_owned),
                            );
                        }
                        tags.insert((*kind).to_owned(), list);
                    }
                }
                ResolvedAction::Tags {
                    item: item()?,
                    change,
                    tags,
                }
            }
            "upload_poster" | "upload_art" => {
                let image = if self.name == "upload_poster" {
                    ImageKind::Poster
                } else {
                    ImageKind::Art
                };
                let source = match text("file")? {
                    Some(f) => ImageSource::File(non_empty(f, self.name, "file")?),
                    None => ImageSource::Url(id("url", None)?),
                };
                let if_missing = if choice("if_missing", "skip") == "fail" {
                    IfMissing::Fail
                } else {
                    IfMissing::Skip
                };
                ResolvedAction::Upload {
                    item: item()?,
                    image,
                    source,
                    if_missing,
                }
            }
            "cancel_activity" => ResolvedAction::CancelActivity {
                uuid: id("uuid", None)?,
            },
            "webhook" => {
                let body = match self.get("body") {
                    Some(Value::Body(b)) => render_body(b, r)?,
                    _ => r.event_json(),
                };
                ResolvedAction::Webhook {
                    url: id("url", None)?,
                    body,
                    headers: map("headers")?,
                    timeout: duration("timeout"),
                }
            }
            "exec" => {
                let argv = match self.get("argv") {
                    Some(Value::Texts(ts)) => ts
                        .iter()
                        .map(|t| r.render(t, "argv"))
                        .collect::<Result<Vec<_>, _>>()?,
                    _ => Vec::new(),
                };
                if argv.first().is_none_or(|a| a.is_empty()) {
                    return Err(RuleError::EmptyValue {
                        action: self.name,
                        param: "argv".into(),
                    });
                }
                ResolvedAction::Exec {
                    argv,
                    timeout: duration("timeout"),
                }
            }
            "log" => ResolvedAction::Log {
                message: text("message")?.unwrap_or_default(),
                level: choice("level", "info").to_owned(),
            },
            _ => {
                let path = id("path", None)?;
                if let Some(why) = bad_plex_path(&path) {
                    return Err(RuleError::BadValue {
                        action: self.name,
                        param: "path".into(),
                        why: why.into(),
                    });
                }
                ResolvedAction::Plex {
                    method: choice("method", "GET").to_owned(),
                    path,
                    query: map("query")?,
                }
            }
        })
    }

    fn get(&self, name: &str) -> Option<&Value> {
        self.params.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

/// Splits a command line at spaces for the `argv` hint, keeping each
/// `{{ … }}` in one piece.
fn argv_words(line: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut open = false;
    for w in line.split_whitespace() {
        match words.last_mut() {
            Some(last) if open => {
                last.push(' ');
                last.push_str(w);
            }
            _ => words.push(w.to_owned()),
        }
        if w.contains("{{") {
            open = true;
        }
        if w.contains("}}") {
            open = false;
        }
    }
    words
}

/// `tmdb://603`, `imdb://tt…` and `tvdb://…` name an external id, searched
/// like `tmdb = "603"`; anything else is a guid applied as is.
fn external_guid(guid: String) -> MatchTarget {
    match guid.split_once("://") {
        Some(("tmdb", id)) => MatchTarget::Tmdb(id.to_owned()),
        Some(("imdb", id)) => MatchTarget::Imdb(id.to_owned()),
        Some(("tvdb", id)) => MatchTarget::Tvdb(id.to_owned()),
        _ => MatchTarget::Guid(guid),
    }
}

fn non_empty(v: String, action: &'static str, param: &str) -> Result<String, RuleError> {
    if v.trim().is_empty() {
        Err(RuleError::EmptyValue {
            action,
            param: param.to_owned(),
        })
    } else {
        Ok(v)
    }
}

fn render_body(b: &Body, r: &Renderer<'_>) -> Result<serde_json::Value, RuleError> {
    Ok(match b {
        Body::Text(t) => serde_json::Value::String(r.render(t, "body")?),
        Body::Plain(v) => v.clone(),
        Body::List(items) => serde_json::Value::Array(
            items
                .iter()
                .map(|i| render_body(i, r))
                .collect::<Result<_, _>>()?,
        ),
        Body::Table(entries) => serde_json::Value::Object(
            entries
                .iter()
                .map(|(k, v)| Ok((k.clone(), render_body(v, r)?)))
                .collect::<Result<_, RuleError>>()?,
        ),
    })
}

fn collect_templates<'a>(v: &'a Value, out: &mut Vec<&'a Template>) {
    fn body<'a>(b: &'a Body, out: &mut Vec<&'a Template>) {
        match b {
            Body::Text(t) => out.push(t),
            Body::Plain(_) => {}
            Body::List(items) => items.iter().for_each(|i| body(i, out)),
            Body::Table(entries) => entries.iter().for_each(|(_, v)| body(v, out)),
        }
    }
    match v {
        Value::Text(t) => out.push(t),
        Value::Texts(ts) => out.extend(ts),
        Value::Map(m) => out.extend(m.iter().map(|(_, t)| t)),
        Value::Tags(kinds) => out.extend(kinds.iter().flat_map(|(_, ts)| ts)),
        Value::Body(b) => body(b, out),
        Value::Flag(_) | Value::Choice(_) | Value::Duration(_) => {}
    }
}

fn value_uses_item(v: &Value) -> bool {
    let mut ts = Vec::new();
    collect_templates(v, &mut ts);
    ts.iter().any(|t| t.uses_item)
}

fn compile_value(param: &Param, v: &Spanned<DeValue<'_>>, cx: &mut Cx<'_>) -> Option<Value> {
    let key = param.name;
    match param.kind {
        Kind::Text => {
            let s = expect_scalar_text(v, key, cx)?;
            cx.template(&s).map(Value::Text)
        }
        Kind::Texts => {
            let items: Vec<Spanned<String>> = match v.get_ref() {
                DeValue::Array(a) => a
                    .iter()
                    .filter_map(|i| expect_string(i, key, cx.sink))
                    .collect(),
                _ => vec![expect_string(v, key, cx.sink)?],
            };
            let ts: Vec<Template> = items.iter().filter_map(|s| cx.template(s)).collect();
            (ts.len() == items.len()).then_some(Value::Texts(ts))
        }
        Kind::Argv => match v.get_ref() {
            DeValue::Array(a) => {
                let items: Vec<Spanned<String>> = a
                    .iter()
                    .filter_map(|i| expect_string(i, key, cx.sink))
                    .collect();
                if items.is_empty() {
                    cx.sink
                        .error(v.span(), "`argv` is empty")
                        .help("give the program first: argv = [\"/usr/bin/notify-send\", \"…\"]");
                    return None;
                }
                let ts: Vec<Template> = items.iter().filter_map(|s| cx.template(s)).collect();
                (ts.len() == a.len()).then_some(Value::Texts(ts))
            }
            DeValue::String(s) => {
                let words: Vec<String> = argv_words(s).iter().map(|w| format!("\"{w}\"")).collect();
                cx.sink
                    .error(
                        v.span(),
                        "`argv` must be an array of strings, found a string",
                    )
                    .label("a command line")
                    .help(format!(
                        "argv is never run through a shell; write argv = [{}]",
                        words.join(", ")
                    ));
                None
            }
            other => {
                type_error(cx.sink, v.span(), key, "an array of strings", other);
                None
            }
        },
        Kind::Flag => match v.get_ref() {
            DeValue::Boolean(b) => Some(Value::Flag(*b)),
            other => {
                type_error(cx.sink, v.span(), key, "true or false", other);
                None
            }
        },
        Kind::Choice(words) => {
            let s = expect_string(v, key, cx.sink)?;
            match words.iter().find(|w| **w == s.get_ref()) {
                Some(w) => Some(Value::Choice(w)),
                None => {
                    cx.sink
                        .error(
                            s.span(),
                            format!("`{}` is not a valid `{key}`", s.get_ref()),
                        )
                        .help(suggest(s.get_ref(), words));
                    None
                }
            }
        }
        Kind::Duration => {
            let s = expect_string(v, key, cx.sink)?;
            cx.duration(&s, key).map(Value::Duration)
        }
        Kind::Map => {
            let DeValue::Table(t) = v.get_ref() else {
                type_error(cx.sink, v.span(), key, "a table", v.get_ref());
                return None;
            };
            let mut out = Vec::new();
            let mut ok = true;
            for (k, val) in t.iter() {
                match expect_scalar_text(val, k.get_ref(), cx).and_then(|s| cx.template(&s)) {
                    Some(tpl) => out.push((k.get_ref().to_string(), tpl)),
                    None => ok = false,
                }
            }
            ok.then_some(Value::Map(out))
        }
        Kind::Body => compile_body(v, cx).map(Value::Body),
        Kind::Tags => {
            let DeValue::Table(t) = v.get_ref() else {
                cx.sink
                    .error(
                        v.span(),
                        format!(
                            "`{key}` must be a table of tag kinds, found {}",
                            kind_of(v.get_ref())
                        ),
                    )
                    .help(format!("write {key} = {{ collection = [\"Marvel\"] }}"));
                return None;
            };
            let mut out = Vec::new();
            let mut ok = true;
            for (k, val) in t.iter() {
                let Some(kind) = TAG_KINDS.iter().find(|n| **n == k.get_ref().as_ref()) else {
                    ok = false;
                    cx.sink
                        .error(k.span(), format!("unknown tag kind `{}`", k.get_ref()))
                        .help(suggest(k.get_ref(), TAG_KINDS));
                    continue;
                };
                let items: Vec<Spanned<String>> = match val.get_ref() {
                    DeValue::Array(a) => a
                        .iter()
                        .filter_map(|i| expect_string(i, kind, cx.sink))
                        .collect(),
                    _ => expect_string(val, kind, cx.sink).into_iter().collect(),
                };
                let ts: Vec<Template> = items.iter().filter_map(|s| cx.template(s)).collect();
                ok &= ts.len() == items.len() && !items.is_empty();
                out.push((*kind, ts));
            }
            ok.then_some(Value::Tags(out))
        }
    }
}

fn compile_body(v: &Spanned<DeValue<'_>>, cx: &mut Cx<'_>) -> Option<Body> {
    Some(match v.get_ref() {
        DeValue::String(s) => Body::Text(cx.template(&Spanned::new(v.span(), s.to_string()))?),
        DeValue::Integer(i) => Body::Plain(serde_json::Value::from(
            i.as_str().replace('_', "").parse::<i64>().ok()?,
        )),
        DeValue::Float(f) => Body::Plain(serde_json::json!(
            f.as_str().replace('_', "").parse::<f64>().ok()?
        )),
        DeValue::Boolean(b) => Body::Plain(serde_json::Value::Bool(*b)),
        DeValue::Datetime(d) => Body::Plain(serde_json::Value::String(d.to_string())),
        DeValue::Array(a) => {
            let items: Vec<Body> = a.iter().filter_map(|i| compile_body(i, cx)).collect();
            if items.len() != a.len() {
                return None;
            }
            Body::List(items)
        }
        DeValue::Table(t) => {
            let mut entries = Vec::new();
            for (k, val) in t.iter() {
                entries.push((k.get_ref().to_string(), compile_body(val, cx)?));
            }
            Body::Table(entries)
        }
    })
}

/// A string; numbers and booleans are taken as their text (`year = 1999`).
fn expect_scalar_text(
    v: &Spanned<DeValue<'_>>,
    key: &str,
    cx: &mut Cx<'_>,
) -> Option<Spanned<String>> {
    match v.get_ref() {
        DeValue::String(s) => Some(Spanned::new(v.span(), s.to_string())),
        DeValue::Integer(i) => Some(Spanned::new(v.span(), i.as_str().replace('_', ""))),
        DeValue::Float(f) => Some(Spanned::new(v.span(), f.as_str().to_owned())),
        DeValue::Boolean(b) => Some(Spanned::new(
            v.span(),
            if *b { "1" } else { "0" }.to_owned(),
        )),
        other => {
            type_error(cx.sink, v.span(), key, "a string", other);
            None
        }
    }
}

/// `item` and `section` default to the event's; a rule whose events carry
/// none must name them.
fn check_defaults(
    spec: &Spec,
    params: &[(&'static str, Value)],
    name: &Spanned<String>,
    cx: &mut Cx<'_>,
) -> bool {
    let has = |p: &str| params.iter().any(|(n, _)| *n == p);
    let mut ok = true;
    let takes = |p: &str| spec.params.iter().any(|x| x.name == p);
    let missing = |pred: fn(crate::event::Subject) -> bool| -> Vec<&'static str> {
        cx.scope
            .events
            .iter()
            .filter(|e| !pred(e.subject()))
            .map(|e| e.as_str())
            .collect()
    };
    let is_missing_scan = spec.name == "scan"
        && params
            .iter()
            .any(|(n, v)| *n == "missing" && matches!(v, Value::Flag(true)));
    if takes("item") && !has("item") {
        let lacking = missing(|s| s.item);
        if !lacking.is_empty() {
            ok = false;
            cx.sink
                .error(
                    name.span(),
                    format!(
                        "`{}` needs an item, and `{}` carries none",
                        spec.name,
                        lacking.join("`, `")
                    ),
                )
                .help("set `item = \"{{ … }}\"`, or trigger on events that carry an item");
        }
    }
    if (spec.name == "refresh_section" || is_missing_scan) && !has("section") {
        let lacking = missing(|s| s.section);
        if !lacking.is_empty() {
            ok = false;
            cx.sink
                .error(
                    name.span(),
                    format!(
                        "`{}` needs a section, and `{}` carries none",
                        spec.name,
                        lacking.join("`, `")
                    ),
                )
                .help("set `section = \"…\"` (an id), or trigger on events that carry a section");
        }
    }
    ok
}

fn check_plex_path(params: &[(&'static str, Value)], cx: &mut Cx<'_>) -> bool {
    let Some((_, Value::Text(t))) = params.iter().find(|(n, _)| *n == "path") else {
        return true;
    };
    match bad_plex_path(&t.source) {
        None => true,
        Some(why) => {
            cx.sink
                .error(t.span.clone(), format!("`plex.path` {why}"))
                .help("only the configured server can be reached: write the path alone, e.g. \"/library/sections\", and put parameters in `query`");
            false
        }
    }
}

/// Why a raw request path is refused, if it is.
fn bad_plex_path(path: &str) -> Option<&'static str> {
    if !path.starts_with('/') {
        Some("must start with \"/\"")
    } else if path.contains("://") {
        Some("must not contain \"://\"")
    } else if path.contains('?') {
        Some("must not contain \"?\"")
    } else {
        None
    }
}

/// The length of an `[[actions]]` header line, to underline it.
fn header_len(source: &str, span: &Range<usize>) -> usize {
    source
        .get(span.clone())
        .map_or(1, |s| s.find('\n').unwrap_or(s.len()).max(1))
}

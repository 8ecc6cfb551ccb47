//! `[[actions]]` entries: checks at load time, and rendering them into a
//! [`ResolvedAction`] per event.
//!
//! Actions are read from spanned tables (not a serde tagged enum) so an
//! error in any parameter points at its line.

mod param;
mod resolve;
mod spec;
mod url_param;

use std::ops::Range;
use std::time::Duration;

use toml::Spanned;
use toml::de::DeTable;

use super::compile::Cx;
use super::reader::{Annotate, TableReader, quoted_list, suggest};
use super::resolved::ResolvedAction;
use super::template::Template;
use super::{Renderer, RuleError};

use param::{compile_value, value_uses_item};
use resolve::bad_plex_path;
pub(crate) use spec::{Kind, SPECS, Spec, names};

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
        ok &= check_url(spec, &params, cx);
        if spec.name == "collection" {
            ok &= check_collection(&params, cx);
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
        resolve::resolve(self, r)
    }

    fn get(&self, name: &str) -> Option<&Value> {
        self.params.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
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
    let smart_collection = spec.name == "collection" && has("filter");
    if takes("item") && !has("item") && !smart_collection {
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
    if (spec.name == "refresh_section" || is_missing_scan || smart_collection) && !has("section") {
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

/// A `url` parameter must be one the executors can fetch (http or https);
/// for the uploads, a local path belongs in `file`.
fn check_url(spec: &Spec, params: &[(&'static str, Value)], cx: &mut Cx<'_>) -> bool {
    let Some((_, Value::Text(t))) = params.iter().find(|(n, _)| *n == "url") else {
        return true;
    };
    let file_param = spec
        .params
        .iter()
        .any(|p| p.name == "file")
        .then_some("file");
    match url_param::problem(&t.source, "url", file_param) {
        None => true,
        Some((message, help)) => {
            cx.sink.error(t.span.clone(), message).help(help);
            false
        }
    }
}

/// A literal smart-collection filter is checked at load; `remove` with a
/// `filter` is refused (a smart collection has no members to remove).
fn check_collection(params: &[(&'static str, Value)], cx: &mut Cx<'_>) -> bool {
    let Some((_, Value::Text(t))) = params.iter().find(|(n, _)| *n == "filter") else {
        return true;
    };
    if params
        .iter()
        .any(|(n, v)| *n == "remove" && matches!(v, Value::Flag(true)))
    {
        cx.sink
            .error(t.span.clone(), "`collection` takes `filter` or `remove`, not both")
            .help("a smart collection's members come from its filter; remove the item from the filter instead");
        return false;
    }
    if t.source.contains("{{") || t.source.contains("{%") {
        return true;
    }
    match crate::plex::request::check_filter(&t.source) {
        Ok(_) => true,
        Err(why) => {
            cx.sink
                .error(t.span.clone(), format!("`collection.filter`: {why}"))
                .help("copy the filter from Plex Web's address bar after filtering a library, without `type=`");
            false
        }
    }
}

/// The length of an `[[actions]]` header line, to underline it.
fn header_len(source: &str, span: &Range<usize>) -> usize {
    source
        .get(span.clone())
        .map_or(1, |s| s.find('\n').unwrap_or(s.len()).max(1))
}

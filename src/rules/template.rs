//! Templated strings in rule files (`key`, every action parameter): minijinja
//! in strict mode, so an unknown variable is a load-time error and a missing
//! value at runtime is an error, never an empty string.

use std::ops::Range;

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use toml::Spanned;

use super::reader::{Annotate, Sink, content_start};
use super::scope::Scope;

/// Template functions minijinja reports as "undeclared variables" but that
/// are built in.
const BUILTIN_FUNCTIONS: &[&str] = &["range", "dict", "namespace", "debug"];

/// Filters offered as did-you-mean for an unknown one (each is checked
/// against the engine before it is suggested).
const COMMON_FILTERS: &[&str] = &[
    "basename",
    "dirname",
    "lower",
    "upper",
    "title",
    "capitalize",
    "trim",
    "replace",
    "default",
    "urlencode",
    "join",
    "split",
    "first",
    "last",
    "length",
    "int",
    "string",
    "format",
];

/// Bounds the work one render may do, so no template can hang the daemon.
const FUEL: u64 = 50_000;

/// The environment every template of a rule set lives in.
pub(crate) struct TemplateEnv {
    env: Environment<'static>,
    /// Templates get generated names; this counts them.
    next: usize,
}

impl std::fmt::Debug for TemplateEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemplateEnv")
            .field("templates", &self.next)
            .finish()
    }
}

/// A compiled template string (or a plain string with no template syntax,
/// which skips the engine).
#[derive(Debug, Clone)]
pub struct Template {
    /// The text as written in the rule file.
    pub source: String,
    /// Where it was written, for runtime errors and `explain`.
    pub span: Range<usize>,
    /// The name inside [`TemplateEnv`]; `None` for a plain string.
    name: Option<String>,
    /// Reads `item.*`, so the event needs a metadata fetch.
    pub(crate) uses_item: bool,
    /// The dotted variable paths the template reads.
    vars: Vec<String>,
}

impl Template {
    /// Checks every variable the template reads against `scope`, reporting
    /// each problem with `context` ("in a template"). Returns whether it
    /// reads item metadata, or `None` when something is wrong.
    pub(crate) fn check(
        &self,
        scope: &Scope,
        source: &str,
        sink: &mut Sink,
        context: &str,
    ) -> Option<bool> {
        let mut uses_item = false;
        let mut ok = true;
        for var in &self.vars {
            let segments: Vec<&str> = var.split('.').collect();
            match scope.check(&segments, false) {
                Ok(item) => uses_item |= item,
                Err(problem) => {
                    ok = false;
                    let (message, help) = problem.describe(false);
                    let at = self
                        .source
                        .find(segments[0])
                        .and_then(|i| {
                            content_start(source, &self.span, &self.source)
                                .map(|s| s + i..s + i + var.len())
                        })
                        .unwrap_or(self.span.clone());
                    sink.error(at, format!("{message} ({context})")).help(help);
                }
            }
        }
        ok.then_some(uses_item)
    }

    /// True when the string has no template syntax.
    pub fn is_literal(&self) -> bool {
        self.name.is_none()
    }
}

impl TemplateEnv {
    pub(crate) fn new() -> TemplateEnv {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|_| AutoEscape::None);
        env.set_fuel(Some(FUEL));
        // Printing a known-but-absent value (null) is an error, as an
        // unknown one is: an empty string would go out as a path, a title
        // or a message (and `explain` would show it as if it were fine).
        // `default("…", true)` gives a fallback.
        env.set_formatter(|out, state, value| {
            if value.is_none() {
                Err(minijinja::Error::new(
                    minijinja::ErrorKind::UndefinedError,
                    "a value printed here is null (not set on this event); give a fallback with | default(\"…\", true)",
                ))
            } else {
                minijinja::escape_formatter(out, state, value)
            }
        });
        env.add_filter("basename", |s: String| -> String {
            s.rsplit(['/', '\\']).next().unwrap_or_default().to_owned()
        });
        env.add_filter("dirname", |s: String| -> String {
            match s.rfind(['/', '\\']) {
                Some(0) => "/".to_owned(),
                Some(i) => s[..i].to_owned(),
                None => String::new(),
            }
        });
        TemplateEnv { env, next: 0 }
    }

    /// Compiles `value` and checks every variable it reads against `scope`.
    /// `source` is the whole file text (to place errors inside the string).
    pub(crate) fn compile(
        &mut self,
        value: &Spanned<String>,
        source: &str,
        scope: &Scope,
        sink: &mut Sink,
    ) -> Option<Template> {
        let text = value.get_ref();
        let span = value.span();
        if !text.contains("{{") && !text.contains("{%") && !text.contains("{#") {
            return Some(Template {
                source: text.clone(),
                span,
                name: None,
                uses_item: false,
                vars: Vec::new(),
            });
        }
        let name = format!("t{}", self.next);
        self.next += 1;
        if let Err(e) = self.env.add_template_owned(name.clone(), text.clone()) {
            let at = inner(source, &span, text, e.range());
            let detail = e.detail().unwrap_or("syntax error").to_owned();
            sink.error(at, format!("invalid template: {detail}")).help(
                "templates use Jinja syntax: {{ event.item.id }}, {{ item.folder | basename }}",
            );
            return None;
        }
        if !self.check_filters(text, source, &span, sink) {
            return None;
        }
        let tmpl = self.env.get_template(&name).ok()?;
        let mut vars: Vec<String> = tmpl
            .undeclared_variables(true)
            .into_iter()
            .filter(|v| !BUILTIN_FUNCTIONS.contains(&v.as_str()))
            .collect();
        vars.sort();
        let mut t = Template {
            source: text.clone(),
            span,
            name: Some(name),
            uses_item: false,
            vars,
        };
        t.uses_item = t.check(scope, source, sink, "in a template")?;
        Some(t)
    }

    /// Whether the engine has a filter called `name` (asked through
    /// minijinja's own `is filter` test, so the answer cannot drift).
    fn has_filter(&self, name: &str) -> bool {
        self.env
            .render_str(
                "{% if f is filter %}yes{% endif %}",
                minijinja::context! { f => name },
            )
            .is_ok_and(|out| out == "yes")
    }

    /// Reports every `| name` whose filter does not exist: minijinja only
    /// finds out when it renders.
    fn check_filters(
        &self,
        text: &str,
        source: &str,
        span: &Range<usize>,
        sink: &mut Sink,
    ) -> bool {
        let mut ok = true;
        for at in filter_names(text) {
            let name = &text[at.clone()];
            if self.has_filter(name) {
                continue;
            }
            ok = false;
            let known: Vec<&str> = COMMON_FILTERS
                .iter()
                .copied()
                .filter(|f| self.has_filter(f))
                .collect();
            let alias = match name {
                "titlecase" | "title_case" | "titleize" => Some("title"),
                "lowercase" | "lcase" | "downcase" => Some("lower"),
                "uppercase" | "ucase" | "upcase" => Some("upper"),
                "strip" => Some("trim"),
                "len" | "size" => Some("length"),
                "quote" | "urlquote" | "url_encode" => Some("urlencode"),
                _ => None,
            };
            let help =
                match alias.or_else(|| crate::diag::did_you_mean(name, known.iter().copied())) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => format!("filters include {}", super::reader::quoted_list(&known)),
                };
            sink.error(
                inner(source, span, text, Some(at)),
                format!("unknown filter `{name}`"),
            )
            .help(help);
        }
        ok
    }

    /// Renders `t` with `vars` (a map of `event`, `item`, captures).
    pub(crate) fn render(
        &self,
        t: &Template,
        vars: &minijinja::Value,
    ) -> Result<String, minijinja::Error> {
        match &t.name {
            None => Ok(t.source.clone()),
            Some(name) => self.env.get_template(name)?.render(vars),
        }
    }
}

/// The name after every `|` inside `{{ … }}` and `{% … %}`, as byte ranges
/// of `text` (string literals skipped).
fn filter_names(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut inside = false;
    while i < bytes.len() {
        let rest = &bytes[i..];
        if !inside {
            inside = rest.starts_with(b"{{") || rest.starts_with(b"{%");
            i += if inside { 2 } else { 1 };
            continue;
        }
        match bytes[i] {
            b'}' | b'%' if rest.get(1) == Some(&b'}') => {
                inside = false;
                i += 2;
            }
            q @ (b'"' | b'\'') => {
                i += 1;
                while i < bytes.len() && bytes[i] != q {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'|' => {
                i += 1;
                while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                if i > start {
                    out.push(start..i);
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// The span of `range` (inside the string's text) in the file, or the whole
/// value when the string cannot be mapped one to one.
fn inner(
    source: &str,
    span: &Range<usize>,
    text: &str,
    range: Option<Range<usize>>,
) -> Range<usize> {
    match (content_start(source, span, text), range) {
        (Some(start), Some(r)) if r.end <= text.len() => {
            start + r.start..start + r.end.max(r.start + 1)
        }
        _ => span.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_names_are_found_outside_strings() {
        let text =
            "a {{ x | lower }} {{ \"|no\" | default('y') |title }} {% if a|length %}é{% endif %}";
        let names: Vec<&str> = filter_names(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(names, ["lower", "default", "title", "length"]);
    }

    #[test]
    fn the_engine_answers_which_filters_exist() {
        let env = TemplateEnv::new();
        for f in ["basename", "dirname", "lower", "urlencode", "default"] {
            assert!(env.has_filter(f), "{f}");
        }
        assert!(!env.has_filter("titlecase"));
        for f in COMMON_FILTERS {
            assert!(env.has_filter(f), "{f} is offered but does not exist");
        }
    }
}

//! Typed reads out of spanned TOML tables, every problem collected.
//!
//! Rule files are read from `toml::de::DeTable` (every key and value keeps
//! its byte span) instead of through serde derive: serde stops at the first
//! unknown key and loses spans inside tagged enums, while `check` must report
//! every problem in a file with its place. A [`TableReader`] hands out typed
//! values key by key, remembers which keys it was asked about, and reports the
//! rest as unknown with a did-you-mean.

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diag::{Diagnostic, did_you_mean};

/// A TOML value with its span.
pub(crate) type Value<'i> = Spanned<DeValue<'i>>;

/// Collects the diagnostics for one file.
#[derive(Debug)]
pub(crate) struct Sink {
    /// The file, as the user named it.
    pub(crate) file: PathBuf,
    pub(crate) diags: Vec<Diagnostic>,
}

impl Sink {
    pub(crate) fn new(file: &Path) -> Sink {
        Sink {
            file: file.to_path_buf(),
            diags: Vec::new(),
        }
    }

    /// Records an error at `span` and returns it for labels and hints.
    pub(crate) fn error(
        &mut self,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        self.diags
            .push(Diagnostic::error(&self.file, Some(span), message));
        let last = self.diags.len() - 1;
        &mut self.diags[last]
    }

    /// Records a warning at `span`.
    pub(crate) fn warning(
        &mut self,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        self.diags
            .push(Diagnostic::warning(&self.file, Some(span), message));
        let last = self.diags.len() - 1;
        &mut self.diags[last]
    }

    /// True when an error (not a warning) was recorded.
    pub(crate) fn has_errors(&self) -> bool {
        self.diags
            .iter()
            .any(|d| d.severity == crate::diag::Severity::Error)
    }
}

/// Sets the label and the hint of a diagnostic in place.
pub(crate) trait Annotate {
    fn label(&mut self, label: impl Into<String>) -> &mut Self;
    fn help(&mut self, help: impl Into<String>) -> &mut Self;
}

impl Annotate for Diagnostic {
    fn label(&mut self, label: impl Into<String>) -> &mut Self {
        self.label = Some(label.into());
        self
    }

    fn help(&mut self, help: impl Into<String>) -> &mut Self {
        self.help = Some(help.into());
        self
    }
}

/// A "did you mean" hint, or the list of accepted values when nothing is close.
pub(crate) fn suggest(word: &str, accepted: &[&str]) -> String {
    match did_you_mean(word, accepted.iter().copied()) {
        Some(close) => format!("did you mean `{close}`?"),
        None => format!("expected one of: {}", quoted_list(accepted)),
    }
}

/// `a`, `b`, `c` for messages.
pub(crate) fn quoted_list(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("`{w}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An English article plus the TOML type name, for "found …" messages.
pub(crate) fn kind_of(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// Reads the keys of one table, remembering which were asked for.
pub(crate) struct TableReader<'t, 'i> {
    table: &'t DeTable<'i>,
    /// What the table is, for messages: "rule", "trigger", "`match` action".
    what: String,
    taken: Vec<String>,
}

impl<'t, 'i> TableReader<'t, 'i> {
    pub(crate) fn new(table: &'t DeTable<'i>, what: impl Into<String>) -> Self {
        TableReader {
            table,
            what: what.into(),
            taken: Vec::new(),
        }
    }

    /// The raw value under `key`, marking the key as known.
    pub(crate) fn get(&mut self, key: &str) -> Option<&'t Value<'i>> {
        self.taken.push(key.to_owned());
        self.table
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == key)
            .map(|(_, v)| v)
    }

    /// The span of `key` itself, for "missing partner" style findings.
    pub(crate) fn key_span(&self, key: &str) -> Option<Range<usize>> {
        self.table
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == key)
            .map(|(k, _)| k.span())
    }

    /// A string value; anything else is reported.
    pub(crate) fn string(&mut self, key: &str, sink: &mut Sink) -> Option<Spanned<String>> {
        let v = self.get(key)?;
        expect_string(v, key, sink)
    }

    /// A boolean value.
    pub(crate) fn bool(&mut self, key: &str, sink: &mut Sink) -> Option<Spanned<bool>> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::Boolean(b) => Some(Spanned::new(v.span(), *b)),
            other => {
                type_error(sink, v.span(), key, "a boolean (true or false)", other);
                None
            }
        }
    }

    /// A non-negative integer value.
    pub(crate) fn count(&mut self, key: &str, sink: &mut Sink) -> Option<Spanned<u32>> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::Integer(i) => {
                match u32::from_str_radix(&i.as_str().replace('_', ""), i.radix()) {
                    Ok(n) if n > 0 => Some(Spanned::new(v.span(), n)),
                    _ => {
                        sink.error(
                            v.span(),
                            format!("`{key}` must be a whole number of at least 1"),
                        );
                        None
                    }
                }
            }
            other => {
                type_error(sink, v.span(), key, "an integer", other);
                None
            }
        }
    }

    /// One string or an array of strings (`events = "a"` and `["a", "b"]`).
    pub(crate) fn strings(&mut self, key: &str, sink: &mut Sink) -> Option<Vec<Spanned<String>>> {
        let v = self.get(key)?;
        strings_of(v, key, sink, false)
    }

    /// Like [`Self::strings`], but integers are accepted as their text (ids).
    pub(crate) fn ids(&mut self, key: &str, sink: &mut Sink) -> Option<Vec<Spanned<String>>> {
        let v = self.get(key)?;
        strings_of(v, key, sink, true)
    }

    /// A sub-table (`[cancel]` or an inline table).
    pub(crate) fn table(
        &mut self,
        key: &str,
        sink: &mut Sink,
    ) -> Option<(&'t DeTable<'i>, Range<usize>)> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::Table(t) => Some((t, v.span())),
            other => {
                type_error(sink, v.span(), key, "a table", other);
                None
            }
        }
    }

    /// An array of tables (`[[actions]]`); a single table is reported.
    pub(crate) fn tables(
        &mut self,
        key: &str,
        sink: &mut Sink,
    ) -> Vec<(&'t DeTable<'i>, Range<usize>)> {
        let Some(v) = self.get(key) else {
            return Vec::new();
        };
        match v.get_ref() {
            DeValue::Array(items) => items
                .iter()
                .filter_map(|item| match item.get_ref() {
                    DeValue::Table(t) => Some((t, item.span())),
                    other => {
                        type_error(sink, item.span(), key, "a table", other);
                        None
                    }
                })
                .collect(),
            DeValue::Table(_) => {
                sink.error(v.span(), format!("`{key}` must be an array of tables"))
                    .label("a single table")
                    .help(format!(
                        "write `[[{key}]]` (double brackets) for each entry"
                    ));
                Vec::new()
            }
            other => {
                type_error(sink, v.span(), key, "an array of tables", other);
                Vec::new()
            }
        }
    }

    /// Reports every key nobody asked for, with a did-you-mean among `known`.
    pub(crate) fn finish(self, known: &[&str], sink: &mut Sink) {
        for (k, _) in self.table.iter() {
            let key = k.get_ref().as_ref();
            if self.taken.iter().any(|t| t == key) {
                continue;
            }
            // A rule setting written below a `[[…]]` header lands in that table.
            if self.what != "rule" && super::compile::KEYS.contains(&key) {
                sink.error(
                    k.span(),
                    format!("`{key}` is a rule setting, but here it is read as part of the {} above it", self.what),
                )
                .label(format!("inside the {}", self.what))
                .help(format!(
                    "top-level keys go above the first `[[…]]` table: move `{key} = …` to the top of the file"
                ));
                continue;
            }
            sink.error(k.span(), format!("unknown key `{key}` in {}", self.what))
                .label(format!("not a {} key", self.what))
                .help(suggest(key, known));
        }
    }
}

/// A string value, or a type error.
pub(crate) fn expect_string(v: &Value<'_>, key: &str, sink: &mut Sink) -> Option<Spanned<String>> {
    match v.get_ref() {
        DeValue::String(s) => Some(Spanned::new(v.span(), s.to_string())),
        other => {
            type_error(sink, v.span(), key, "a string", other);
            None
        }
    }
}

fn strings_of(
    v: &Value<'_>,
    key: &str,
    sink: &mut Sink,
    ids: bool,
) -> Option<Vec<Spanned<String>>> {
    let want = if ids {
        "a string, an integer or an array of them"
    } else {
        "a string or an array of strings"
    };
    let one = |item: &Value<'_>| match item.get_ref() {
        DeValue::String(s) => Some(Spanned::new(item.span(), s.to_string())),
        DeValue::Integer(i) if ids => Some(Spanned::new(item.span(), i.as_str().replace('_', ""))),
        _ => None,
    };
    match v.get_ref() {
        DeValue::Array(items) => {
            let mut out = Vec::new();
            for item in items.iter() {
                match one(item) {
                    Some(s) => out.push(s),
                    None => type_error(sink, item.span(), key, want, item.get_ref()),
                }
            }
            Some(out)
        }
        _ => match one(v) {
            Some(s) => Some(vec![s]),
            None => {
                type_error(sink, v.span(), key, want, v.get_ref());
                None
            }
        },
    }
}

/// "`key` must be X, found Y".
pub(crate) fn type_error(
    sink: &mut Sink,
    span: Range<usize>,
    key: &str,
    want: &str,
    found: &DeValue<'_>,
) {
    let d = sink.error(
        span,
        format!("`{key}` must be {want}, found {}", kind_of(found)),
    );
    if let Some(fix) = super::example::fix(key, want, found) {
        d.help(fix);
    }
}

/// Where the text of a string value starts inside its span, so positions
/// inside the string (a CEL or template error) land on the right column.
///
/// Only literal (`'…'`, `'''…'''`) strings and basic strings without escapes
/// map one to one; for anything else `None` is returned and callers point at
/// the whole value.
pub(crate) fn content_start(source: &str, span: &Range<usize>, content: &str) -> Option<usize> {
    let raw = source.get(span.clone())?;
    for quote in ["'''", "\"\"\"", "'", "\""] {
        if let Some(inner) = raw.strip_prefix(quote).and_then(|r| r.strip_suffix(quote)) {
            // A multi-line string drops the newline right after its opening quotes.
            let skip = if quote.len() == 3 && inner.starts_with('\n') {
                1
            } else if quote.len() == 3 && inner.starts_with("\r\n") {
                2
            } else {
                0
            };
            if &inner[skip..] == content {
                return Some(span.start + quote.len() + skip);
            }
            return None;
        }
    }
    None
}

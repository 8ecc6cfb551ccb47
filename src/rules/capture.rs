//! `[[captures]]`: named regex groups over a value the event (or the item's
//! metadata) carries, which become variables for conditions and templates.
//! A capture that does not match skips the rule for that event.

use std::ops::Range;

use regex::Regex;
use toml::de::DeTable;

use super::compile::Cx;
use super::reader::{Annotate, TableReader, content_start, quoted_list};
use super::vars::Vars;

/// Keys of a `[[captures]]` table.
pub(crate) const KEYS: &[&str] = &["from", "regex"];

/// One compiled capture.
#[derive(Debug, Clone)]
pub struct Capture {
    /// The dotted path read (`item.folder`); a list (`item.files`,
    /// `item.labels`) is searched for its first matching entry.
    pub from: String,
    /// The regex as written.
    pub pattern: String,
    regex: Regex,
    /// Where it was written.
    pub span: Range<usize>,
    /// The named groups: the variables this capture defines.
    pub names: Vec<String>,
}

impl Capture {
    /// Reads the table; scope checks of `from` happen once all captures are
    /// known (see [`super::compile`]).
    pub(crate) fn compile(
        table: &DeTable<'_>,
        span: Range<usize>,
        cx: &mut Cx<'_>,
    ) -> Option<(Capture, toml::Spanned<String>)> {
        let mut r = TableReader::new(table, "capture");
        let from = r.string("from", cx.sink);
        let pattern = r.string("regex", cx.sink);
        let head = span.start..span.start + 12.min(span.len());
        let (Some(from), Some(pattern)) = (from, pattern) else {
            let missing: Vec<&str> = ["from", "regex"]
                .into_iter()
                .filter(|k| r.key_span(k).is_none())
                .collect();
            if !missing.is_empty() {
                cx.sink
                    .error(
                        head,
                        format!(
                            "a capture needs {}",
                            quoted_list(&missing).replace(", ", " and ")
                        ),
                    )
                    .help("e.g. from = \"item.folder\" and regex = '\\{tmdb-(?P<tmdb>\\d+)\\}'");
            }
            r.finish(KEYS, cx.sink);
            return None;
        };
        r.finish(KEYS, cx.sink);
        let regex = match Regex::new(pattern.get_ref()) {
            Ok(re) => re,
            Err(e) => {
                let why = e.to_string();
                let last = why.lines().last().unwrap_or("invalid regex").trim();
                let last = last.strip_prefix("error: ").unwrap_or(last).to_owned();
                let at = regex_error_at(&why, pattern.get_ref())
                    .and_then(|i| {
                        content_start(cx.source, &pattern.span(), pattern.get_ref())
                            .map(|s| s + i..s + i + 1)
                    })
                    .unwrap_or(pattern.span());
                let raw = cx.source.get(pattern.span()).unwrap_or_default();
                let help = if raw.starts_with('"') && pattern.get_ref().contains('\\') {
                    // Double-quoted: the doubled backslashes are easy to get wrong.
                    format!(
                        "in \"…\" TOML reads `\\\\` as one backslash, so the regex that runs is {0}; single quotes show it as it runs: regex = '{0}'",
                        pattern.get_ref()
                    )
                } else {
                    "groups are written (?P<name>…) and every `(` needs its `)`; escape a literal bracket or brace with a backslash: \\{ \\( \\[".to_owned()
                };
                cx.sink
                    .error(at, format!("invalid regex: {last}"))
                    .help(help);
                // Its group names still exist for everything that reads
                // them: one error for the cause, none for the consequences.
                cx.scope.captures.extend(group_names(pattern.get_ref()));
                return None;
            }
        };
        let names: Vec<String> = regex.capture_names().flatten().map(str::to_owned).collect();
        if names.is_empty() {
            cx.sink
                .error(
                    pattern.span(),
                    "this regex has no named group, so the capture defines no variable",
                )
                .help("name the group you need: (?P<tmdb>\\d+)");
            return None;
        }
        for n in &names {
            if n == "event" || n == "item" {
                cx.sink
                    .error(
                        pattern.span(),
                        format!("the group name `{n}` would hide the `{n}` variable"),
                    )
                    .help("choose another group name");
                return None;
            }
        }
        let capture = Capture {
            from: from.get_ref().clone(),
            pattern: pattern.get_ref().clone(),
            regex,
            span: pattern.span(),
            names,
        };
        Some((capture, from))
    }

    /// The named groups' values, or `None` when nothing matches.
    pub(crate) fn apply(&self, vars: &Vars) -> Option<Vec<(String, String)>> {
        let value = vars.lookup(&self.from)?;
        let texts: Vec<&str> = match &value {
            serde_json::Value::String(s) => vec![s.as_str()],
            serde_json::Value::Array(a) => a.iter().filter_map(serde_json::Value::as_str).collect(),
            _ => return None,
        };
        texts.into_iter().find_map(|t| {
            let caps = self.regex.captures(t)?;
            Some(
                self.names
                    .iter()
                    .map(|n| {
                        (
                            n.clone(),
                            caps.name(n).map_or("", |m| m.as_str()).to_owned(),
                        )
                    })
                    .collect(),
            )
        })
    }
}

/// The names of `(?P<name>` and `(?<name>` groups, read from the text of a
/// regex that does not compile.
fn group_names(pattern: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (i, _) in pattern.match_indices("(?") {
        let rest = &pattern[i + 2..];
        let rest = rest.strip_prefix('P').unwrap_or(rest);
        if let Some(body) = rest.strip_prefix('<')
            && let Some(end) = body.find('>')
        {
            let name = &body[..end];
            if !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                names.push(name.to_owned());
            }
        }
    }
    names
}

/// The regex crate's error text draws a caret under the pattern; its column
/// is the byte offset of the problem.
fn regex_error_at(why: &str, pattern: &str) -> Option<usize> {
    let mut lines = why.lines();
    while let Some(line) = lines.next() {
        if let Some(indent) = line.find(pattern)
            && line.trim() == pattern
        {
            let carets = lines.next()?;
            let at = carets.find('^')?.checked_sub(indent)?;
            return (at < pattern.len()).then_some(at);
        }
    }
    None
}

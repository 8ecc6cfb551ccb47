//! Diagnostics for files people edit: config and rule files.
//!
//! Every finding carries the file, a byte span into its text, a message, an
//! optional label under the span and an optional hint. Findings are collected
//! (never "first error wins") and rendered either for people, rustc-style
//! with the offending text underlined, or as JSON for editors and CI.

use std::ops::Range;
use std::path::{Path, PathBuf};

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;

/// How bad a finding is. Errors stop a load; warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One finding in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file the finding is about, as the user named it.
    pub file: PathBuf,
    /// Byte range into the file's text; `None` for whole-file findings
    /// (unreadable file, duplicate id across files).
    pub span: Option<Range<usize>>,
    pub severity: Severity,
    /// What is wrong, in one sentence without a trailing period.
    pub message: String,
    /// Short text printed under the underlined span.
    pub label: Option<String>,
    /// What to write instead (did-you-mean, the accepted values, …).
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error at `span` in `file`.
    pub fn error(
        file: impl Into<PathBuf>,
        span: Option<Range<usize>>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            file: file.into(),
            span,
            severity: Severity::Error,
            message: message.into(),
            label: None,
            help: None,
        }
    }

    /// A warning at `span` in `file`.
    pub fn warning(
        file: impl Into<PathBuf>,
        span: Option<Range<usize>>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(file, span, message)
        }
    }

    /// Adds the text printed under the span.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Adds a hint.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// 1-based line and column of the span's start, counted in characters.
    pub fn position(&self, source: &str) -> Option<(usize, usize)> {
        self.span.as_ref().map(|s| line_col(source, s.start))
    }

    /// Renders for a person: `error: msg`, ` --> file:line:col`, the line with
    /// the span underlined, then `help:`. `color` adds ANSI styling.
    pub fn render(&self, source: &str, color: bool) -> String {
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let path = self.file.display().to_string();
        let mut groups = Vec::new();
        match self.span.clone() {
            // An empty file has no line to show, but still a place: 1:1.
            Some(_) if source.is_empty() => {
                groups.push(
                    Group::with_title(level.primary_title(self.message.as_str())).element(
                        annotate_snippets::Origin::path(path.as_str())
                            .line(1)
                            .char_column(1),
                    ),
                );
            }
            Some(span) => {
                let span = clamp(source, span);
                let mut ann = AnnotationKind::Primary.span(span);
                if let Some(label) = &self.label {
                    ann = ann.label(label.as_str());
                }
                groups.push(
                    level
                        .primary_title(self.message.as_str())
                        .element(Snippet::source(source).path(path.as_str()).annotation(ann)),
                );
            }
            None => {
                groups.push(
                    Group::with_title(level.primary_title(self.message.as_str()))
                        .element(annotate_snippets::Origin::path(path.as_str())),
                );
            }
        }
        if let Some(help) = &self.help {
            groups.push(Group::with_title(
                Level::HELP.secondary_title(help.as_str()),
            ));
        }
        renderer.render(&groups)
    }

    /// The machine-readable form used by `--format json`.
    pub fn to_json(&self, source: &str) -> JsonDiagnostic {
        let (line, column, end_line, end_column) = match &self.span {
            Some(s) => {
                let s = clamp(source, s.clone());
                let (l, c) = line_col(source, s.start);
                let (el, ec) = line_col(source, s.end);
                (Some(l), Some(c), Some(el), Some(ec))
            }
            None => (None, None, None, None),
        };
        JsonDiagnostic {
            file: self.file.display().to_string(),
            line,
            column,
            end_line,
            end_column,
            severity: self.severity,
            message: self.message.clone(),
            label: self.label.clone(),
            help: self.help.clone(),
        }
    }

    /// `file:line:col: message` on one line, for logs.
    pub fn one_line(&self, source: &str) -> String {
        match self.position(source) {
            Some((l, c)) => format!("{}:{l}:{c}: {}", self.file.display(), self.message),
            None => format!("{}: {}", self.file.display(), self.message),
        }
    }
}

/// [`Diagnostic`] as JSON: positions are 1-based, columns in characters.
#[derive(Debug, Clone, Serialize)]
pub struct JsonDiagnostic {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub end_line: Option<usize>,
    pub end_column: Option<usize>,
    pub severity: Severity,
    pub message: String,
    pub label: Option<String>,
    pub help: Option<String>,
}

/// 1-based (line, column) of byte offset `at`; the column counts characters.
pub fn line_col(source: &str, at: usize) -> (usize, usize) {
    let at = floor_char_boundary(source, at.min(source.len()));
    let before = &source[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = source[line_start..at].chars().count() + 1;
    (line, column)
}

/// The closest "did you mean" among `candidates`, if one is near enough to be
/// a typo of `word` (edit distance at most a third of its length, min 1).
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (levenshtein(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Renders a whole list for a person, reading each file's text through
/// `source_of` (files that cannot be read render without a snippet).
pub fn render_all(
    diags: &[Diagnostic],
    color: bool,
    source_of: impl Fn(&Path) -> Option<String>,
) -> String {
    let mut out = String::new();
    for d in diags {
        let src = source_of(&d.file).unwrap_or_default();
        out.push_str(&d.render(&src, color));
        out.push_str("\n\n");
    }
    out
}

/// Edit distance counting a swap of two neighbours as one edit (optimal
/// string alignment), so `itme` is one typo away from `item`.
fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// Keeps a span inside the text and on character boundaries, so a span from
/// a stale or foreign source can never panic the renderer.
fn clamp(source: &str, span: Range<usize>) -> Range<usize> {
    let start = floor_char_boundary(source, span.start.min(source.len()));
    let end = floor_char_boundary(source, span.end.min(source.len())).max(start);
    start..end
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "[server]\nurl = \"htp://x\"\ntimeot = \"30s\"\n";

    #[test]
    fn render_points_at_file_line_col_and_underlines() {
        let start = SRC.find("timeot").unwrap();
        let d = Diagnostic::error("cfg.toml", Some(start..start + 6), "unknown field `timeot`")
            .with_label("not a [server] key")
            .with_help("did you mean `timeout`?");
        let out = d.render(SRC, false);
        assert!(out.contains("cfg.toml:3:1"), "{out}");
        assert!(out.contains("timeot = \"30s\""), "{out}");
        assert!(out.contains("^^^^^^"), "{out}");
        assert!(out.contains("help: did you mean `timeout`?"), "{out}");
        assert_eq!(d.one_line(SRC), "cfg.toml:3:1: unknown field `timeot`");
    }

    #[test]
    fn json_positions_are_one_based_characters() {
        let src = "a = \"é\"\nbé = 1\n";
        let start = src.find("bé").unwrap();
        let d = Diagnostic::error("r.toml", Some(start..start + "bé".len()), "x");
        let j = d.to_json(src);
        assert_eq!(
            (j.line, j.column, j.end_line, j.end_column),
            (Some(2), Some(1), Some(2), Some(3))
        );
    }

    #[test]
    fn spans_out_of_range_do_not_panic() {
        let d = Diagnostic::error("r.toml", Some(500..900), "late");
        let _ = d.render("short", false);
        let d = Diagnostic::error("r.toml", Some(2..3), "mid-char");
        let _ = d.render("é€", false);
    }

    #[test]
    fn did_you_mean_finds_typos_only() {
        let names = ["debounce", "delay", "cooldown"];
        assert_eq!(did_you_mean("debunce", names), Some("debounce"));
        assert_eq!(did_you_mean("colldown", names), Some("cooldown"));
        assert_eq!(did_you_mean("zebra", names), None);
        assert_eq!(did_you_mean("itme", ["item", "action"]), Some("item"));
    }
}

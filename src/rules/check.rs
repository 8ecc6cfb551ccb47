//! `metarr-plex check [DIR]`: load every rule file, report every finding.
//!
//! Exit codes: 0 clean (warnings allowed), 1 rule errors, 2 usage or IO.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::load::{Loaded, load_dir};
use crate::diag::{JsonDiagnostic, Severity};

/// How findings are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// rustc-style, with the line and an underline.
    #[default]
    Human,
    /// One JSON document for editors and CI.
    Json,
}

/// The exit code for "the rules have errors".
pub const EXIT_RULE_ERRORS: u8 = 1;
/// The exit code for usage and IO errors.
pub const EXIT_IO: u8 = 2;

/// The JSON report (`--format json`).
#[derive(Debug, Serialize)]
pub struct JsonReport {
    /// Rule files read.
    pub files: usize,
    /// Rules that compiled cleanly.
    pub rules: usize,
    /// Findings that fail the check (exit 1).
    pub errors: usize,
    /// Findings that do not (an unknown activity type).
    pub warnings: usize,
    /// Every finding, by file then position.
    pub diagnostics: Vec<JsonDiagnostic>,
}

/// Runs `check` on `dir`, printing to `out` (and the IO error to `err`).
/// Returns the exit code.
pub fn check_command(
    dir: &Path,
    format: Format,
    color: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let loaded = match load_dir(dir) {
        Ok(l) => l,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return EXIT_IO;
        }
    };
    let text = match format {
        Format::Human => render_human(&loaded, color),
        Format::Json => render_json(&loaded),
    };
    if out.write_all(text.as_bytes()).is_err() {
        return EXIT_IO;
    }
    if loaded.has_errors() {
        EXIT_RULE_ERRORS
    } else {
        0
    }
}

/// Every finding rendered for a person, then a one-line summary.
pub fn render_human(loaded: &Loaded, color: bool) -> String {
    let mut out = crate::diag::render_all(&loaded.diagnostics, color, |p| {
        loaded.sources.get(p).cloned()
    });
    let (errors, warnings) = counts(loaded);
    let files = loaded.file_count();
    let noun = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    out.push_str(&format!(
        "{}: {}, {}, {}\n",
        if errors == 0 { "ok" } else { "failed" },
        noun(files, "rule file", "rule files"),
        noun(errors, "error", "errors"),
        noun(warnings, "warning", "warnings"),
    ));
    out
}

/// The JSON report as text.
pub fn render_json(loaded: &Loaded) -> String {
    let (errors, warnings) = counts(loaded);
    let report = JsonReport {
        files: loaded.file_count(),
        rules: loaded.rules.rules().len(),
        errors,
        warnings,
        diagnostics: loaded
            .diagnostics
            .iter()
            .map(|d| d.to_json(loaded.sources.get(&d.file).map_or("", String::as_str)))
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}

fn counts(loaded: &Loaded) -> (usize, usize) {
    let errors = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    (errors, loaded.diagnostics.len() - errors)
}

//! Loading a rules directory: which files count, rule ids from file stems,
//! duplicates, and compiling every file with all findings kept.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::compile::compile_rule;
use super::set::RuleSet;
use super::template::TemplateEnv;
use crate::diag::{Diagnostic, Severity};

/// A loaded directory: the rules that compiled, every finding, and the file
/// texts (to render findings with their lines).
#[derive(Debug)]
pub struct Loaded {
    /// Only rules from files without errors; the daemon refuses to swap in a
    /// set whose [`Loaded::has_errors`] is true.
    pub rules: RuleSet,
    /// Every finding in every file, by file then position.
    pub diagnostics: Vec<Diagnostic>,
    /// File path → text, for every rule file read.
    pub sources: BTreeMap<PathBuf, String>,
}

impl Loaded {
    /// True when any finding is an error (warnings do not count).
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    /// How many rule files were read.
    pub fn file_count(&self) -> usize {
        self.sources.len()
    }
}

/// The directory itself could not be listed (exit code 2 territory).
#[derive(Debug, thiserror::Error)]
#[error("cannot read rules directory {}: {source}", path.display())]
pub struct LoadError {
    /// The directory as given.
    pub path: PathBuf,
    /// Why it could not be listed.
    #[source]
    pub source: std::io::Error,
}

/// Where rules live when no directory is given: `$CONFIGURATION_DIRECTORY/rules`
/// under systemd (its first entry), else `/etc/metarr-plex/rules`.
pub fn default_rules_dir() -> PathBuf {
    std::env::var_os("CONFIGURATION_DIRECTORY")
        .and_then(|dirs| std::env::split_paths(&dirs).next())
        .filter(|d| !d.as_os_str().is_empty())
        .map_or_else(
            || PathBuf::from("/etc/metarr-plex/rules"),
            |d| d.join("rules"),
        )
}

/// Loads every rule file in `dir`: `*.toml` (any case), skipping names that
/// start with `_` and anything ending in `.disabled`.
pub fn load_dir(dir: &Path) -> Result<Loaded, LoadError> {
    let err = |source| LoadError {
        path: dir.to_path_buf(),
        source,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(err)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| is_rule_file(p))
        .collect();
    paths.sort();
    let mut files = Vec::new();
    let mut unreadable = Vec::new();
    let mut not_utf8 = Vec::new();
    for path in paths {
        match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => files.push((path, text)),
                Err(e) => {
                    let (diag, shown) = not_utf8_at(&path, e);
                    unreadable.push(diag);
                    not_utf8.push((path, shown));
                }
            },
            Err(e) => unreadable.push(Diagnostic::error(
                &path,
                None,
                format!("cannot read the file: {e}"),
            )),
        }
    }
    let mut loaded = load_sources(files);
    loaded.diagnostics.extend(unreadable);
    // The text with the bad bytes replaced, so the finding shows its line.
    loaded.sources.extend(not_utf8);
    Ok(loaded)
}

/// The finding for a file that is not UTF-8, pointing at the first bad
/// byte, and the text to show it in (bad bytes as U+FFFD).
fn not_utf8_at(path: &Path, e: std::string::FromUtf8Error) -> (Diagnostic, String) {
    let at = e.utf8_error().valid_up_to();
    let bytes = e.into_bytes();
    let bad = bytes.get(at).copied().unwrap_or_default();
    let shown = String::from_utf8_lossy(&bytes).into_owned();
    // The text before `at` is unchanged by the lossy conversion.
    let end = shown[at..].chars().next().map_or(at, |c| at + c.len_utf8());
    let diag = Diagnostic::error(
        path,
        Some(at..end),
        format!("the file is not valid UTF-8 (byte 0x{bad:02X})"),
    )
    .with_help("save the file as UTF-8 (editors call it \"UTF-8\"; Latin-1 or Windows-1252 accents such as é are the usual cause)");
    (diag, shown)
}

/// Compiles rule files given as (path, text); the rule id is the file stem.
pub fn load_sources(files: Vec<(PathBuf, String)>) -> Loaded {
    let mut templates = TemplateEnv::new();
    let mut rules = Vec::new();
    let mut diagnostics = Vec::new();
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut targets: BTreeMap<PathBuf, PathBuf> = BTreeMap::new();
    let mut sources = BTreeMap::new();
    for (path, text) in files {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        let id = stem.to_lowercase();
        let mut file_diags = Vec::new();
        if !valid_id(&stem) {
            file_diags.push(
                Diagnostic::error(&path, None, format!("`{stem}` is not a valid rule id"))
                    .with_help(
                        "the file name is the rule id: use lowercase letters, digits, `-` and `_`",
                    ),
            );
        }
        if let Some(first) = seen.get(&id) {
            file_diags.push(
                Diagnostic::error(&path, None, format!("duplicate rule id `{id}`")).with_help(
                    format!("{} has the same id; rename or remove one", first.display()),
                ),
            );
        } else if let Some(first) = std::fs::canonicalize(&path)
            .ok()
            .and_then(|t| targets.get(&t))
        {
            file_diags.push(
                Diagnostic::error(
                    &path,
                    None,
                    format!("`{id}` is the same file as {}", first.display()),
                )
                .with_help("a symlink to another rule would run it twice; remove one"),
            );
        }
        if let Ok(target) = std::fs::canonicalize(&path) {
            targets.entry(target).or_insert_with(|| path.clone());
        }
        seen.entry(id.clone()).or_insert_with(|| path.clone());
        let (rule, mut diags) = compile_rule(&id, &path, &text, &mut templates);
        diags.sort_by_key(|d| d.span.as_ref().map_or(0, |s| s.start));
        file_diags.append(&mut diags);
        if let Some(rule) = rule
            && !file_diags.iter().any(|d| d.severity == Severity::Error)
        {
            rules.push(rule);
        }
        diagnostics.append(&mut file_diags);
        sources.insert(path, text);
    }
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    Loaded {
        rules: RuleSet::new(rules, templates),
        diagnostics,
        sources,
    }
}

fn is_rule_file(p: &Path) -> bool {
    let Some(name) = p.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    !name.starts_with('_')
        && !name.ends_with(".disabled")
        && p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
        && !p.is_dir()
}

fn valid_id(stem: &str) -> bool {
    !stem.is_empty()
        && stem
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

//! TOML syntax errors said the way a rule author thinks: which key is
//! duplicated and where it was first set, and why a backslash in a
//! double-quoted regex is an error (TOML escapes), with the line rewritten.

use std::ops::Range;

use super::reader::Annotate;
use super::reader::Sink;

/// Reports the parser's errors; escapes on one line are reported once.
pub(crate) fn report(source: &str, errors: Vec<toml::de::Error>, sink: &mut Sink) {
    let mut escape_lines = Vec::new();
    let mut duplicates = 0;
    for e in errors {
        let span = e.span().unwrap_or(0..0);
        let message = e.message().trim().to_owned();
        if message.starts_with("duplicate key") {
            let key = source.get(span.clone()).unwrap_or_default().trim();
            // The keys of a duplicated table are duplicates too: one finding is enough.
            if duplicates > 0 && earlier_in_table(source, span.start, key).is_none() {
                continue;
            }
            duplicates += 1;
            duplicate_key(source, span, sink);
        } else if message.contains("escaped value") || message.contains("invalid escape") {
            let line = line_of(source, span.start);
            if escape_lines.contains(&line.start) {
                continue;
            }
            escape_lines.push(line.start);
            let d = sink.error(span, format!("invalid TOML: {message}"));
            if let Some(fix) = single_quoted(&source[line]) {
                d.help(format!(
                    "inside \"…\" a backslash starts a TOML escape; write regexes and conditions in single quotes, where nothing is escaped: {fix}"
                ));
            }
        } else {
            sink.error(span, format!("invalid TOML: {message}"));
        }
    }
}

/// "duplicate key `event`, first set on line 2".
fn duplicate_key(source: &str, span: Range<usize>, sink: &mut Sink) {
    let key = source.get(span.clone()).unwrap_or_default().trim();
    let first = earlier_in_table(source, span.start, key);
    let message = match first {
        Some(line) => format!("duplicate key `{key}`: it is already set on line {line}"),
        None => format!("duplicate key `{key}`"),
    };
    let help = match key {
        "event" => "a key is set once per table; for several events write events = [\"item.added\", \"item.ready\"]".to_owned(),
        "cancel" => "a rule has one [cancel] table; list every event in its `events`".to_owned(),
        _ => "a key is set once per table; remove one of them".to_owned(),
    };
    sink.error(span, message).help(help);
}

/// The 1-based line where `key` was set before `at`, in the same table
/// (searching up to the table's header).
fn earlier_in_table(source: &str, at: usize, key: &str) -> Option<usize> {
    let before = &source[..line_of(source, at).start];
    let lines: Vec<&str> = before.lines().collect();
    for (i, line) in lines.iter().enumerate().rev() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            // `[cancel]` twice: the header itself is the duplicate.
            let header = trimmed
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim();
            return (header == key).then_some(i + 1);
        }
        let name = trimmed
            .split('=')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches(['"', '\'']);
        if trimmed.contains('=') && name == key {
            return Some(i + 1);
        }
    }
    None
}

/// The byte range of the line holding `at`, without its newline.
fn line_of(source: &str, at: usize) -> Range<usize> {
    let at = at.min(source.len());
    let start = source[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = source[at..].find('\n').map_or(source.len(), |i| at + i);
    start..end
}

/// `key = "…\d…"` rewritten as `key = '…\d…'` when the value has no single quote.
fn single_quoted(line: &str) -> Option<String> {
    let (key, value) = line.split_once('=')?;
    let value = value.trim();
    let inner = value.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains('\'')).then(|| format!("{} = '{inner}'", key.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_setting_is_found_in_the_same_table() {
        let src = "event = \"a\"\n[[triggers]]\nevent = \"b\"\nsection = 1\nevent = \"c\"\n";
        let at = src.rfind("event").unwrap();
        assert_eq!(earlier_in_table(src, at, "event"), Some(3));
        assert_eq!(
            single_quoted(r#"regex = "\{tmdb-(\d+)\}""#).as_deref(),
            Some(r"regex = '\{tmdb-(\d+)\}'")
        );
    }
}

//! Recognizes the mistakes people make writing CEL coming from Jinja or
//! Python (`{{ … }}`, `and`, `=`, `| lower`), so a condition that does not
//! parse gets one finding that names the mistake and shows the condition
//! rewritten, instead of the parser's list of expected tokens.

use std::ops::Range;

/// One recognized mistake, at a byte range of the expression text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mistake {
    pub(crate) at: Range<usize>,
    pub(crate) message: String,
    pub(crate) help: String,
}

/// The CEL spelling of a Python or JavaScript constant used as a variable.
pub(crate) fn python_constant(name: &str) -> Option<&'static str> {
    match name {
        "None" | "nil" | "NULL" | "undefined" => Some("null"),
        "True" | "TRUE" => Some("true"),
        "False" | "FALSE" => Some("false"),
        _ => None,
    }
}

/// A token outside string literals.
#[derive(Debug)]
enum Tok {
    Word(Range<usize>),
    Punct(Range<usize>),
}

/// Splits the expression into words and punctuation runs, skipping string
/// literals (single, double and triple quoted, with backslash escapes).
fn tokens(text: &str) -> Vec<Tok> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'"' || c == b'\'' {
            let triple = text[i..].starts_with(if c == b'"' { "\"\"\"" } else { "'''" });
            let close_len = if triple { 3 } else { 1 };
            let mut j = i + close_len;
            while j < bytes.len() {
                if bytes[j] == b'\\' {
                    j += 2;
                    continue;
                }
                if bytes[j] == c && (!triple || text[j..].starts_with(&text[i..i + 3])) {
                    j += close_len;
                    break;
                }
                j += 1;
            }
            i = j.min(bytes.len());
        } else if c.is_ascii_alphanumeric() || c == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            out.push(Tok::Word(start..i));
        } else if c.is_ascii_whitespace() || !c.is_ascii() {
            i += 1;
        } else {
            // Punctuation: one operator per run of operator characters.
            let start = i;
            while i < bytes.len() && b"=!<>&|{}%".contains(&bytes[i]) && b"=!<>&|{}%".contains(&c) {
                i += 1;
            }
            if i == start {
                i += 1;
            }
            out.push(Tok::Punct(start..i));
        }
    }
    out
}

/// Replaces the given ranges of `text` (sorted, not overlapping).
fn rewrite(text: &str, edits: &[(Range<usize>, &str)]) -> String {
    let mut out = String::new();
    let mut at = 0;
    for (r, with) in edits {
        out.push_str(&text[at..r.start]);
        out.push_str(with);
        at = r.end;
    }
    out.push_str(&text[at..]);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A backslash in a (non-raw) CEL string that is not a CEL escape: a
/// regex written as `"\d+"` needs `r"\d+"`.
fn bad_escape(text: &str) -> Option<Mistake> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c != b'"' && c != b'\'' {
            i += 1;
            continue;
        }
        let raw = i > 0 && matches!(bytes[i - 1], b'r' | b'R');
        let open = i;
        i += 1;
        while i < bytes.len() && bytes[i] != c {
            if bytes[i] == b'\\' && !raw {
                let next = bytes.get(i + 1).copied().unwrap_or(b' ');
                if !b"\\\"'`?abfnrtvxuU01234567".contains(&next) {
                    let end = text[open + 1..]
                        .find(c as char)
                        .map_or(text.len(), |e| open + 1 + e + 1);
                    let literal = &text[open..end];
                    return Some(Mistake {
                        at: i..i + 2,
                        message: format!("`\\{}` is not an escape in a CEL string", next as char),
                        help: format!(
                            "write the regex as a raw string, where backslashes stay as written: r{literal}"
                        ),
                    });
                }
                i += 2;
                continue;
            }
            i += 1;
        }
        i += 1;
    }
    None
}

/// The first recognized mistake in a condition that did not parse.
pub(crate) fn find(text: &str) -> Option<Mistake> {
    if let Some(m) = bad_escape(text) {
        return Some(m);
    }
    let toks = tokens(text);
    let punct = |want: &[&str]| -> Vec<Range<usize>> {
        toks.iter()
            .filter_map(|t| match t {
                Tok::Punct(r) if want.contains(&&text[r.clone()]) => Some(r.clone()),
                _ => None,
            })
            .collect()
    };

    let braces = punct(&["{{", "}}", "{%", "%}"]);
    if let Some(first) = braces.first() {
        let edits: Vec<(Range<usize>, &str)> = braces.iter().map(|r| (r.clone(), "")).collect();
        let end = braces.last().map_or(first.end, |r| r.end);
        return Some(Mistake {
            at: first.start..end,
            message: "conditions are CEL expressions, not templates: `{{ }}` does not belong here"
                .to_owned(),
            help: format!("write the expression itself: '{}'", rewrite(text, &edits)),
        });
    }

    let python: Vec<(Range<usize>, &str)> = toks
        .iter()
        .filter_map(|t| match t {
            Tok::Word(r) => match &text[r.clone()] {
                "and" => Some((r.clone(), "&&")),
                "or" => Some((r.clone(), "||")),
                "not" => Some((r.clone(), "!")),
                _ => None,
            },
            Tok::Punct(_) => None,
        })
        .collect();
    if let Some((first, _)) = python.first() {
        let words: Vec<String> = python
            .iter()
            .map(|(r, cel)| format!("`{cel}` for `{}`", &text[r.clone()]))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let edits: Vec<(Range<usize>, &str)> = python
            .iter()
            .map(|(r, cel)| {
                // `not x` becomes `!x`, without the space.
                let end = if *cel == "!" {
                    text[r.end..]
                        .find(|c: char| !c.is_whitespace())
                        .map_or(r.end, |n| r.end + n)
                } else {
                    r.end
                };
                (r.start..end, *cel)
            })
            .collect();
        return Some(Mistake {
            at: first.clone(),
            message: format!(
                "`{}` is Python; CEL writes {}",
                &text[first.clone()],
                words.join(", ")
            ),
            help: format!("write '{}'", rewrite(text, &edits)),
        });
    }

    if let Some(eq) = punct(&["="]).first() {
        return Some(Mistake {
            at: eq.clone(),
            message: "`=` does not compare; CEL compares with `==`".to_owned(),
            help: format!("write '{}'", rewrite(text, &[(eq.clone(), " == ")])),
        });
    }

    if let Some(pipe) = punct(&["|"]).first() {
        return Some(Mistake {
            at: pipe.clone(),
            message: "conditions are CEL, which has no filters (`| name`)".to_owned(),
            help: "call a method or function instead: x.matches(\"(?i)^alien$\") for a case-insensitive match, size(x), string(x)".to_owned(),
        });
    }

    if let Some(amp) = punct(&["&"]).first() {
        return Some(Mistake {
            at: amp.clone(),
            message: "CEL writes `&&` for \"and\"".to_owned(),
            help: format!("write '{}'", rewrite(text, &[(amp.clone(), " && ")])),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_words_are_rewritten() {
        let m = find("item.year >= 2000 and not item.guid.startsWith('x')").unwrap();
        assert_eq!(m.at, 18..21);
        assert_eq!(
            m.help,
            "write 'item.year >= 2000 && !item.guid.startsWith('x')'"
        );
        // Inside a string, `and` is text.
        assert_eq!(find("item.title == 'this and that'"), None);
    }

    #[test]
    fn template_braces_and_single_equals() {
        let m = find("{{ event.section.title }} == \"Movies\"").unwrap();
        assert_eq!(
            m.help,
            "write the expression itself: 'event.section.title == \"Movies\"'"
        );
        let m = find("event.section.title = \"Movies\"").unwrap();
        assert_eq!(m.at, 20..21);
        assert!(
            m.help.contains("event.section.title == \"Movies\""),
            "{m:?}"
        );
        assert_eq!(find("a == b && c != d || e <= f"), None);
    }

    #[test]
    fn regex_escapes_in_cel_strings_want_raw_strings() {
        let m = find(r#"item.folder.matches("\d{4}") &&"#).unwrap();
        assert_eq!(m.message, r"`\d` is not an escape in a CEL string");
        assert_eq!(
            m.help,
            r#"write the regex as a raw string, where backslashes stay as written: r"\d{4}""#
        );
        assert_eq!(find(r#"item.folder.matches(r"\d{4}") &&"#), None);
    }
}

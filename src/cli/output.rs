//! How commands print: aligned tables for people, JSON for scripts.

use serde::Serialize;

use super::CliError;

/// A table with aligned columns; widths count characters, not bytes.
#[derive(Debug, Default)]
pub(crate) struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column titles.
    pub(crate) fn new(headers: &[&str]) -> Table {
        Table {
            rows: vec![headers.iter().map(|h| h.to_string()).collect()],
        }
    }

    /// Adds a row; control characters from Plex data are replaced so a
    /// title cannot move the cursor or break the layout.
    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows
            .push(cells.into_iter().map(|c| clean(&c)).collect());
    }

    /// The table as text, one line per row, no trailing spaces.
    pub(crate) fn render(&self) -> String {
        let cols = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..cols)
            .map(|i| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(i))
                    .map(|c| c.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for row in &self.rows {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                line.push_str(cell);
                if i + 1 < row.len() {
                    let pad = widths[i] - cell.chars().count() + 2;
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    /// Prints to stdout.
    pub(crate) fn print(&self) {
        write_out(format_args!("{}", self.render()));
    }

    /// Prints to stdout, or `empty` when there are no rows.
    pub(crate) fn print_or(&self, empty: &str) {
        if self.rows.len() <= 1 {
            outln!("{empty}");
        } else {
            self.print();
        }
    }
}

/// `println!` for command output. A closed stdout (`metarr-plex … | head`) is
/// not an error worth a panic or a message: like other Unix tools, the
/// command stops quietly with success.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::output::write_out(format_args!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use outln;

/// Writes to stdout; exits quietly on a broken pipe (see [`outln`]).
pub(crate) fn write_out(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        // Any other stdout failure (a full disk) is reported once, on stderr.
        eprintln!("error: cannot write output: {e}");
        std::process::exit(1);
    }
}

/// Prints `value` as pretty JSON on stdout.
pub(crate) fn print_json<T: Serialize + ?Sized>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::Action(format!("cannot write JSON: {e}")))?;
    outln!("{text}");
    Ok(())
}

/// Prints a Plex model (a section, an item, activities…) as pretty JSON
/// with every key in snake_case (`ratingKey` → `rating_key`, `Media` →
/// `media`), so scripts see one naming style across commands whether a
/// value came from Plex or from us.
pub(crate) fn print_model_json<T: Serialize + ?Sized>(value: &T) -> Result<(), CliError> {
    let json = serde_json::to_value(value)
        .map_err(|e| CliError::Action(format!("cannot write JSON: {e}")))?;
    print_json(&snake_keys(json))
}

/// `value` with every object key renamed by [`snake_case`], recursively.
pub(crate) fn snake_keys(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (snake_case(&k), snake_keys(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(snake_keys).collect()),
        other => other,
    }
}

/// `librarySectionID` → `library_section_id`, `Guid` → `guid`,
/// `already_snake` unchanged.
pub(crate) fn snake_case(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    let mut out = String::with_capacity(key.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1);
            let starts_word = prev.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit())
                || (prev.is_some_and(char::is_uppercase) && next.is_some_and(|n| n.is_lowercase()));
            if starts_word && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Replaces control characters (ANSI escapes, newlines, tabs) with a space.
pub(crate) fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// `-` for a missing value.
pub(crate) fn or_dash(v: Option<impl ToString>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_become_snake_case() {
        for (from, to) in [
            ("ratingKey", "rating_key"),
            ("librarySectionID", "library_section_id"),
            ("Guid", "guid"),
            ("MediaContainer", "media_container"),
            ("UUID", "uuid"),
            ("already_snake", "already_snake"),
            ("viewOffset2", "view_offset2"),
        ] {
            assert_eq!(snake_case(from), to);
        }
        let v = snake_keys(serde_json::json!({"Media": [{"Part": [{"file": "x"}]}]}));
        assert_eq!(v, serde_json::json!({"media": [{"part": [{"file": "x"}]}]}));
    }

    #[test]
    fn columns_align_on_characters() {
        let mut t = Table::new(&["ID", "TITLE", "TYPE"]);
        t.row(vec!["1".into(), "Amélie".into(), "movie".into()]);
        t.row(vec!["10".into(), "X\x1b[31m".into(), "show".into()]);
        assert_eq!(
            t.render(),
            "ID  TITLE   TYPE\n1   Amélie  movie\n10  X [31m  show\n"
        );
    }
}

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

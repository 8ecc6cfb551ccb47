//! `test [DIR]`: run every rule's embedded `[[tests]]` with canned answers
//! and no network, and compare the requests its actions send with `expect`.
//! Exit 0 all pass, 1 a test failed (or a rule file has errors), 2 usage or IO.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use crate::rules;
use crate::tools::runner::{self, TestOutcome};

/// Arguments of `test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// The rules directory (default: $CONFIGURATION_DIRECTORY/rules, else
    /// /etc/metarr-plex/rules).
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// The `--json` report.
#[derive(Debug, Serialize)]
struct Report<'a> {
    passed: usize,
    failed: usize,
    /// Findings in rule files (their tests could not run).
    rule_errors: usize,
    tests: &'a [TestOutcome],
}

/// Runs the tests and returns the exit code; `json` is the global `--json`.
pub(crate) fn run(args: &TestArgs, json: bool) -> u8 {
    let dir = match super::rules_dir::rules_dir(args.dir.clone(), "metarr-plex test DIR") {
        Ok(dir) => dir,
        Err(e) => {
            e.report(json);
            return rules::EXIT_IO;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return rules::EXIT_IO;
        }
    };
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    runtime.block_on(test_command(&dir, json, &mut out, &mut err))
}

/// `test` on `dir`, printing the report to `out` and rule errors to `err`.
pub async fn test_command(
    dir: &std::path::Path,
    json: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let loaded = match rules::load_dir(dir) {
        Ok(l) => l,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return rules::EXIT_IO;
        }
    };
    let rule_errors = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == crate::diag::Severity::Error)
        .count();
    if !loaded.diagnostics.is_empty() {
        let _ = write!(
            err,
            "{}",
            rules::render_human(&loaded, std::io::stderr().is_terminal())
        );
    }
    let outcomes = runner::run_tests(&loaded).await;
    let passed = outcomes.iter().filter(|o| o.passed).count();
    let failed = outcomes.len() - passed;
    let text = if json {
        let report = Report {
            passed,
            failed,
            rule_errors,
            tests: &outcomes,
        };
        let mut t = serde_json::to_string_pretty(&report).unwrap_or_else(|_| "{}".into());
        t.push('\n');
        t
    } else {
        render(&outcomes, rule_errors)
    };
    if out.write_all(text.as_bytes()).is_err() {
        return rules::EXIT_IO;
    }
    if failed > 0 || rule_errors > 0 {
        rules::EXIT_RULE_ERRORS
    } else {
        0
    }
}

/// One line per test; failures with a diff of the requests and the notes.
pub(crate) fn render(outcomes: &[TestOutcome], rule_errors: usize) -> String {
    let mut out = String::new();
    for o in outcomes {
        if o.passed {
            let _ = writeln!(out, "PASS {}: {}", o.rule, o.test);
            continue;
        }
        let _ = writeln!(
            out,
            "FAIL {}: {} ({}:{})",
            o.rule,
            o.test,
            o.file.display(),
            o.line
        );
        out.push_str("     writes (- expected, + sent):\n");
        let diff = diff_lines(&o.expected, &o.actual);
        if diff.is_empty() {
            out.push_str("       (none either way)\n");
        }
        for line in diff {
            let _ = writeln!(out, "       {line}");
        }
        for read in &o.reads {
            let _ = writeln!(out, "     read: {read}");
        }
        for note in &o.notes {
            let _ = writeln!(out, "     {note}");
        }
    }
    let passed = outcomes.iter().filter(|o| o.passed).count();
    let failed = outcomes.len() - passed;
    let _ = write!(
        out,
        "{}: {passed} passed, {failed} failed",
        if failed == 0 && rule_errors == 0 {
            "ok"
        } else {
            "failed"
        }
    );
    if rule_errors > 0 {
        let _ = write!(
            out,
            ", {rule_errors} rule file error(s) (tests of broken rules did not run)"
        );
    }
    out.push('\n');
    out
}

/// A line diff (longest common subsequence): `  ` both, `- ` expected
/// only, `+ ` sent only.
pub(crate) fn diff_lines(expected: &[String], actual: &[String]) -> Vec<String> {
    let same = |e: &String, a: &String| runner::request_matches(e, a);
    let (n, m) = (expected.len(), actual.len());
    // lcs[i][j]: common length of expected[i..] and actual[j..].
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if same(&expected[i], &actual[j]) {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < n || j < m {
        if i < n && j < m && same(&expected[i], &actual[j]) {
            out.push(format!("  {}", actual[j]));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push(format!("+ {}", actual[j]));
            j += 1;
        } else {
            out.push(format!("- {}", expected[i]));
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_diff_keeps_common_requests_and_marks_the_rest() {
        let d = diff_lines(
            &v(&["GET /a", "PUT /b", "PUT /c"]),
            &v(&["GET /a", "PUT /x", "PUT /c"]),
        );
        assert_eq!(d, v(&["  GET /a", "+ PUT /x", "- PUT /b", "  PUT /c"]));
        assert_eq!(diff_lines(&v(&[]), &v(&["PUT /x"])), v(&["+ PUT /x"]));
        assert_eq!(diff_lines(&v(&["PUT /x"]), &v(&[])), v(&["- PUT /x"]));
        assert_eq!(
            diff_lines(&v(&["PUT /p?url=u%2F*"]), &v(&["PUT /p?url=u%2Fab12"])),
            v(&["  PUT /p?url=u%2Fab12"])
        );
    }
}

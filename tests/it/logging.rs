//! Log output as an operator sees it: formats, levels per module, no token.

use std::io::Write;
use std::sync::{Arc, Mutex};

use metarr_plex::plex::conn::token::Token;
use metarr_plex::service::logging::{self, LogFormat, RedactingWriter, Redactor};
use tracing_subscriber::fmt::MakeWriter;

const SECRET: &str = "zQx9-not-a-real-plex-token-4242";

/// Collects everything written, like stderr would.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

fn capture(format: LogFormat, filter: &str, redactor: Redactor, f: impl FnOnce()) -> String {
    let out = Capture::default();
    let sub = logging::subscriber(
        format,
        logging::parse_filter(filter).unwrap(),
        RedactingWriter::new(out.clone(), redactor),
        false,
    );
    crate::log_capture::interest_in_everything();
    tracing::subscriber::with_default(sub, f);
    out.text()
}

#[test]
fn json_lines_carry_fields_flat_and_never_the_token() {
    let token = Token::new(SECRET).unwrap();
    let out = capture(LogFormat::Json, "info", Redactor::default(), || {
        tracing::info!(
            rule = "analyze-after-playback",
            run = 17,
            item = "42",
            outcome = "done",
            duration_ms = 153,
            "Action finished."
        );
        // A token handed to a log macro by mistake formats as <redacted>.
        tracing::warn!(token = %token, debug = ?token, "Token in use.");
    });
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["message"], "Action finished.");
    assert_eq!(lines[0]["rule"], "analyze-after-playback");
    assert_eq!(lines[0]["run"], 17);
    assert_eq!(lines[0]["level"], "INFO");
    assert_eq!(lines[1]["token"], "<redacted>");
    assert!(!out.contains(SECRET), "{out}");
}

#[test]
fn registered_secrets_are_scrubbed_even_from_raw_strings() {
    let redactor = Redactor::default();
    redactor.add(&Token::new(SECRET).unwrap());
    for format in [LogFormat::Text, LogFormat::Json] {
        let out = capture(format, "info", redactor.clone(), || {
            let leaked = format!("http://plex:32400/?X-Plex-Token={SECRET}");
            tracing::error!(url = %leaked, "Request failed.");
        });
        assert!(!out.contains(SECRET), "{format:?}: {out}");
        assert!(out.contains("X-Plex-Token=<redacted>"), "{format:?}: {out}");
    }
}

#[test]
fn text_without_a_terminal_has_no_colour_codes() {
    let out = capture(LogFormat::Text, "info", Redactor::default(), || {
        tracing::info!(section = 1, "Scan started.");
    });
    assert!(out.contains("INFO"), "{out}");
    assert!(out.contains("Scan started. section=1"), "{out}");
    assert!(!out.contains('\u{1b}'), "{out:?}");
}

#[test]
fn rust_log_sets_levels_per_module() {
    let out = capture(
        LogFormat::Text,
        "warn,metarr_plex::source=debug",
        Redactor::default(),
        || {
            tracing::debug!(target: "metarr_plex::source::listener", "Frame received.");
            tracing::debug!(target: "metarr_plex::engine", "Timer armed.");
            tracing::info!(target: "metarr_plex::engine", "Run started.");
            tracing::warn!(target: "metarr_plex::engine", "Retrying.");
        },
    );
    assert!(out.contains("Frame received."), "{out}");
    assert!(!out.contains("Timer armed."), "{out}");
    assert!(!out.contains("Run started."), "{out}");
    assert!(out.contains("Retrying."), "{out}");
}

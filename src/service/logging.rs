//! Where log lines go and what they look like: human text on a terminal,
//! JSON lines for log shippers, native journald fields under systemd.
//!
//! The format is picked once at start-up ([`init`]). Left to itself it picks
//! journald when `$JOURNAL_STREAM` says stderr (or stdout) *is* the journal,
//! text when stderr is a terminal, and JSON otherwise. Levels come from
//! `RUST_LOG` (per module, `info` by default).
//!
//! The Plex token is kept out of logs by construction: it is a
//! [`crate::plex::conn::token::Token`], which formats as `<redacted>`. As a second line of
//! defence, the text and JSON writers scrub every secret registered with
//! [`Redactor::add`] from each line before it leaves the process.

use std::io::{self, IsTerminal, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::{Arc, OnceLock, RwLock};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Filter, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event; colours only on a terminal.
    Text,
    /// One JSON object per line, fields flattened, for log shippers.
    Json,
    /// Native journald entries with plain field names (`journalctl RULE=…`).
    Journald,
}

/// The device and inode of an open file: how systemd says which stream is
/// connected to the journal (`$JOURNAL_STREAM=DEV:INODE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamId {
    /// `st_dev` of the stream.
    pub dev: u64,
    /// `st_ino` of the stream.
    pub ino: u64,
}

/// What the automatic choice looks at, gathered from the process so the
/// choice itself stays a pure function.
#[derive(Debug, Clone, Default)]
pub struct Surroundings {
    /// `$JOURNAL_STREAM` as set by systemd for services whose output goes to
    /// the journal.
    pub journal_stream: Option<String>,
    /// stderr's identity; logs are written there.
    pub stderr: Option<StreamId>,
    /// stdout's identity; some units connect only stdout to the journal.
    pub stdout: Option<StreamId>,
    /// Whether a person is likely watching stderr.
    pub stderr_is_terminal: bool,
}

impl Surroundings {
    /// Reads the environment and the standard streams of this process.
    pub fn of_process() -> Surroundings {
        Surroundings {
            journal_stream: std::env::var("JOURNAL_STREAM").ok(),
            stderr: stream_id(io::stderr().as_fd()),
            stdout: stream_id(io::stdout().as_fd()),
            stderr_is_terminal: io::stderr().is_terminal(),
        }
    }

    /// The format to use when the user did not ask for one.
    pub fn default_format(&self) -> LogFormat {
        let journal = self
            .journal_stream
            .as_deref()
            .and_then(parse_journal_stream);
        if let Some(journal) = journal
            && (self.stderr == Some(journal) || self.stdout == Some(journal))
        {
            return LogFormat::Journald;
        }
        if self.stderr_is_terminal {
            LogFormat::Text
        } else {
            LogFormat::Json
        }
    }
}

fn stream_id(fd: BorrowedFd<'_>) -> Option<StreamId> {
    use std::os::unix::fs::MetadataExt;
    let file = std::fs::File::from(fd.try_clone_to_owned().ok()?);
    let meta = file.metadata().ok()?;
    Some(StreamId {
        dev: meta.dev(),
        ino: meta.ino(),
    })
}

/// Parses systemd's `DEV:INODE` (both decimal).
fn parse_journal_stream(value: &str) -> Option<StreamId> {
    let (dev, ino) = value.trim().split_once(':')?;
    Some(StreamId {
        dev: dev.parse().ok()?,
        ino: ino.parse().ok()?,
    })
}

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    /// `RUST_LOG` (or the given filter) is not a valid directive list.
    #[error(
        "invalid log filter {filter:?}: {reason}; example: RUST_LOG=info,metarr_plex::plex=debug"
    )]
    Filter {
        /// The filter text as given.
        filter: String,
        /// The parser's complaint.
        reason: String,
    },
    /// A global subscriber was already installed (a programming error in tests).
    #[error("logging was already initialised")]
    AlreadySet,
}

/// Installs the global subscriber and returns the format in use.
///
/// `format` is the user's `--log-format`; `None` picks one from the
/// surroundings. The level filter is `RUST_LOG`, else `default_filter`
/// (`info` for the daemon, `warn` for one-shot commands). When the
/// journal socket cannot be opened, it falls back to text (and says so) rather
/// than losing every log line.
pub fn init(format: Option<LogFormat>, default_filter: &str) -> Result<LogFormat, LoggingError> {
    let surroundings = Surroundings::of_process();
    let wanted = format.unwrap_or_else(|| surroundings.default_format());
    let filter_text = std::env::var("RUST_LOG")
        .ok()
        .filter(|f| !f.trim().is_empty())
        .unwrap_or_else(|| default_filter.to_owned());
    let filter = parse_filter(&filter_text)?;
    let redactor = Redactor::global().clone();
    let ansi = surroundings.stderr_is_terminal;

    match wanted {
        LogFormat::Journald => match tracing_journald::layer() {
            Ok(journald) => {
                // Journald entries are built field by field, not written as
                // text a writer could scrub: an event holding a secret is
                // dropped instead.
                tracing_subscriber::registry()
                    .with(filter)
                    .with(
                        journald
                            .with_field_prefix(None)
                            .with_filter(NoSecrets(redactor)),
                    )
                    .try_init()
                    .map_err(|_| LoggingError::AlreadySet)?;
                Ok(LogFormat::Journald)
            }
            Err(error) => {
                let writer = RedactingWriter::new(io::stderr, redactor);
                tracing_subscriber::registry()
                    .with(filter)
                    .with(text_layer(writer, false))
                    .try_init()
                    .map_err(|_| LoggingError::AlreadySet)?;
                tracing::warn!(%error, "Cannot open the journal socket; logging text to stderr instead.");
                Ok(LogFormat::Text)
            }
        },
        LogFormat::Text | LogFormat::Json => {
            let writer = RedactingWriter::new(io::stderr, redactor);
            subscriber(wanted, filter, writer, ansi)
                .try_init()
                .map_err(|_| LoggingError::AlreadySet)?;
            Ok(wanted)
        }
    }
}

/// Installs a compact text subscriber for a person watching a story (the
/// demo): time since start instead of a date, no module path, no event ids
/// and no `false` flags, so each line fits a terminal and the narration
/// printed between them stays readable. Secrets are scrubbed as in [`init`].
pub fn init_compact(default_filter: &str) -> Result<(), LoggingError> {
    let filter_text = std::env::var("RUST_LOG")
        .ok()
        .filter(|f| !f.trim().is_empty())
        .unwrap_or_else(|| default_filter.to_owned());
    let filter = parse_filter(&filter_text)?;
    let writer = RedactingWriter::new(io::stderr, Redactor::global().clone());
    let fields = tracing_subscriber::fmt::format::debug_fn(|w, field, value| {
        let name = field.name();
        let shown = format!("{value:?}");
        if name == "message" {
            return write!(w, "{shown}");
        }
        if matches!(
            name,
            "event" | "event_id" | "run" | "run_id" | "duration_ms" | "requests" | "key"
        ) || shown == "false"
            || (name == "outcome" && shown == "\"done\"")
        {
            return Ok(());
        }
        write!(w, " {name}={shown}")
    });
    tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(io::stderr().is_terminal())
                .with_target(false)
                .with_timer(Elapsed(std::time::Instant::now()))
                .fmt_fields(fields)
                .with_writer(writer),
        )
        .try_init()
        .map_err(|_| LoggingError::AlreadySet)
}

/// Seconds since start with one decimal (`  12.3s`), for [`init_compact`].
struct Elapsed(std::time::Instant);

impl tracing_subscriber::fmt::time::FormatTime for Elapsed {
    fn format_time(&self, w: &mut tracing_subscriber::fmt::format::Writer<'_>) -> std::fmt::Result {
        write!(w, "{:>6.1}s", self.0.elapsed().as_secs_f64())
    }
}

/// Parses a `RUST_LOG`-style filter; empty means `info`.
pub fn parse_filter(text: &str) -> Result<EnvFilter, LoggingError> {
    let text = if text.trim().is_empty() { "info" } else { text };
    EnvFilter::builder()
        .parse(text)
        .map_err(|e| LoggingError::Filter {
            filter: text.to_owned(),
            reason: e.to_string(),
        })
}

/// A text or JSON subscriber writing to `writer`, not installed globally.
///
/// [`init`] uses it for the process; tests use it with
/// `tracing::subscriber::with_default` and an in-memory writer.
pub fn subscriber<W>(
    format: LogFormat,
    filter: EnvFilter,
    writer: W,
    ansi: bool,
) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let registry = tracing_subscriber::registry().with(filter);
    match format {
        LogFormat::Json => Box::new(
            registry.with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(writer),
            ),
        ),
        // Journald needs a socket; a caller asking for an in-memory journald
        // subscriber gets the text it would fall back to.
        LogFormat::Text | LogFormat::Journald => Box::new(registry.with(text_layer(writer, ansi))),
    }
}

fn text_layer<S, W>(writer: W, ansi: bool) -> impl tracing_subscriber::Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt::layer()
        .with_ansi(ansi)
        .with_target(true)
        .with_writer(writer)
}

/// Secrets that must never appear in a log line, however they got there.
///
/// Cloning shares the list. Values shorter than 8 characters are ignored:
/// scrubbing them would mangle ordinary words and no real token is that short.
#[derive(Clone, Default)]
pub struct Redactor {
    /// The registered secrets; read on every line, written rarely.
    secrets: Arc<RwLock<Vec<String>>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.secrets.read().map(|s| s.len()).unwrap_or(0);
        f.debug_struct("Redactor").field("secrets", &count).finish()
    }
}

impl Redactor {
    /// The redactor the process-wide log writers consult.
    pub fn global() -> &'static Redactor {
        static GLOBAL: OnceLock<Redactor> = OnceLock::new();
        GLOBAL.get_or_init(Redactor::default)
    }

    /// Registers a secret. Every [`crate::plex::conn::token::Token`]
    /// registers itself with [`Redactor::global`] when it is made, so no
    /// caller can forget. Its percent-encoded form is registered too: a URL
    /// that carried it in a query would show it that way.
    pub fn add(&self, secret: &crate::plex::conn::token::Token) {
        let value = secret.expose();
        if value.len() < 8 {
            return;
        }
        let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
        if let Ok(mut secrets) = self.secrets.write() {
            for form in [value.to_owned(), encoded] {
                if !secrets.contains(&form) {
                    secrets.push(form);
                }
            }
        }
    }

    /// True when `text` holds a registered secret.
    pub fn holds_secret(&self, text: &str) -> bool {
        self.secrets
            .read()
            .is_ok_and(|s| s.iter().any(|secret| text.contains(secret.as_str())))
    }

    /// `line` with every registered secret replaced by `<redacted>`; borrowed
    /// untouched when there is nothing to hide.
    pub fn scrub<'a>(&self, line: &'a str) -> std::borrow::Cow<'a, str> {
        let Ok(secrets) = self.secrets.read() else {
            return std::borrow::Cow::Borrowed(line);
        };
        let mut out = std::borrow::Cow::Borrowed(line);
        for secret in secrets.iter() {
            if out.contains(secret.as_str()) {
                out = std::borrow::Cow::Owned(out.replace(secret.as_str(), "<redacted>"));
            }
        }
        out
    }
}

/// A per-layer filter that drops every event one of whose fields holds a
/// registered secret; for outputs that cannot be scrubbed as text (journald).
#[derive(Debug, Clone)]
pub struct NoSecrets(pub Redactor);

impl<S> Filter<S> for NoSecrets {
    fn enabled(&self, _: &tracing::Metadata<'_>, _: &Context<'_, S>) -> bool {
        true
    }

    fn event_enabled(&self, event: &tracing::Event<'_>, _: &Context<'_, S>) -> bool {
        let mut fields = FieldText(String::new());
        event.record(&mut fields);
        !self.0.holds_secret(&fields.0)
    }
}

/// Every field of an event as text, for [`NoSecrets`].
struct FieldText(String);

impl tracing::field::Visit for FieldText {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write as _;
        let _ = writeln!(self.0, "{}={value:?}", field.name());
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.push_str(field.name());
        self.0.push('=');
        self.0.push_str(value);
        self.0.push('\n');
    }
}

/// A [`MakeWriter`] that scrubs registered secrets from each formatted line.
///
/// The fmt layer formats a whole event into one buffer and writes it with a
/// single `write_all`, so a secret is never split across two writes.
#[derive(Debug, Clone)]
pub struct RedactingWriter<M> {
    /// Where scrubbed lines go.
    inner: M,
    /// What to scrub.
    redactor: Redactor,
}

impl<M> RedactingWriter<M> {
    /// Wraps `inner`.
    pub fn new(inner: M, redactor: Redactor) -> RedactingWriter<M> {
        RedactingWriter { inner, redactor }
    }
}

impl<'a, M> MakeWriter<'a> for RedactingWriter<M>
where
    M: MakeWriter<'a>,
{
    type Writer = Scrubbing<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        Scrubbing {
            inner: self.inner.make_writer(),
            redactor: self.redactor.clone(),
        }
    }
}

/// One event's writer, produced by [`RedactingWriter`].
#[derive(Debug)]
pub struct Scrubbing<W> {
    /// The real destination.
    inner: W,
    /// What to scrub.
    redactor: Redactor,
}

impl<W: Write> Write for Scrubbing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match std::str::from_utf8(buf) {
            Ok(text) => self.inner.write_all(self.redactor.scrub(text).as_bytes())?,
            Err(_) => self.inner.write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JOURNAL: StreamId = StreamId { dev: 25, ino: 1234 };
    const OTHER: StreamId = StreamId { dev: 25, ino: 99 };

    fn at(journal_stream: Option<&str>, stderr: StreamId, tty: bool) -> LogFormat {
        Surroundings {
            journal_stream: journal_stream.map(str::to_owned),
            stderr: Some(stderr),
            stdout: Some(OTHER),
            stderr_is_terminal: tty,
        }
        .default_format()
    }

    #[test]
    fn journald_only_when_journal_stream_names_our_stream() {
        assert_eq!(at(Some("25:1234"), JOURNAL, false), LogFormat::Journald);
        // Inherited by a child whose stderr was redirected: not the journal.
        assert_eq!(at(Some("25:1234"), OTHER, false), LogFormat::Json);
        assert_eq!(at(Some("garbage"), JOURNAL, true), LogFormat::Text);
    }

    #[test]
    fn journald_when_only_stdout_is_the_journal() {
        let s = Surroundings {
            journal_stream: Some("25:1234".into()),
            stderr: Some(OTHER),
            stdout: Some(JOURNAL),
            stderr_is_terminal: false,
        };
        assert_eq!(s.default_format(), LogFormat::Journald);
    }

    #[test]
    fn text_on_a_terminal_json_otherwise() {
        assert_eq!(at(None, OTHER, true), LogFormat::Text);
        assert_eq!(at(None, OTHER, false), LogFormat::Json);
    }

    #[test]
    fn bad_filter_is_a_clear_error() {
        let err = parse_filter("info,=[").unwrap_err().to_string();
        assert!(err.contains("invalid log filter"), "{err}");
        assert!(parse_filter("").is_ok());
        assert!(parse_filter("warn,metarr_plex::plex=debug").is_ok());
    }

    #[test]
    fn an_event_holding_a_secret_never_reaches_an_unscrubbable_output() {
        use std::sync::Mutex;
        let redactor = Redactor::default();
        redactor.add(&crate::plex::conn::token::Token::new("zq-no-secrets-77a1").unwrap());
        let seen = Arc::new(Mutex::new(Vec::<String>::new()));
        let sink = seen.clone();
        let layer = tracing_subscriber::fmt::layer()
            .with_writer(move || Capture(sink.clone()))
            .with_filter(NoSecrets(redactor));
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            tracing::trace!(header = "x-plex-token: zq-no-secrets-77a1", "Request.");
            tracing::trace!("Request: \"GET / HTTP/1.1\\r\\nx-plex-token: zq-no-secrets-77a1\"");
            tracing::info!("an ordinary line");
        });
        let lines = seen.lock().unwrap().concat();
        assert!(!lines.contains("zq-no-secrets"), "{lines}");
        assert!(lines.contains("an ordinary line"), "{lines}");
    }

    /// An in-memory writer for one test.
    struct Capture(Arc<std::sync::Mutex<Vec<String>>>);

    impl Write for Capture {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0
                .lock()
                .unwrap()
                .push(String::from_utf8_lossy(buf).into_owned());
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn scrub_replaces_registered_secrets_only() {
        let r = Redactor::default();
        r.add(&crate::plex::conn::token::Token::new("abcdefgh12345678").unwrap());
        r.add(&crate::plex::conn::token::Token::new("short").unwrap());
        assert_eq!(r.scrub("x=abcdefgh12345678;"), "x=<redacted>;");
        assert_eq!(r.scrub("a short word"), "a short word");
    }
}

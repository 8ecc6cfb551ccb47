//! The config file: where it is, what it may say, and how a mistake in it is
//! reported (`file:line:col`, the line underlined, what to write instead).
//!
//! Parsing is two steps, as ripgrep does it: the TOML text becomes a plain
//! serde layer (`raw`, every table `deny_unknown_fields`, positions kept
//! with `toml::Spanned`), which is then checked and turned into a [`Config`]
//! whose values are ready to use (a parsed `Url`, a `Duration`, a
//! [`PathMap`]). Every problem is collected before anything is reported.
//!
//! # Reference
//!
//! Read from `--config FILE`, else `$CONFIGURATION_DIRECTORY/config.toml`,
//! else `/etc/metarr-plex/config.toml`. A missing default file means all
//! defaults; a missing `--config` file is an error. Every key is optional.
//!
//! ```toml
//! # Local folders artwork may be uploaded from (default: every path_map `from`).
//! artwork_roots = ["/data/media"]
//!
//! [server]
//! url = "http://127.0.0.1:32400"       # https:// uses TLS; a path prefix is kept
//! token_file = "/etc/metarr-plex/plex-token"
//! # token = "…"                        # inline: accepted, warned about at every start
//! timeout = "30s"                      # per request (humantime: "2m", "1m 30s")
//! # ca_file = "/etc/metarr-plex/plex-ca.pem"   # trust only these certificates
//! # insecure_skip_verify = true        # loopback / RFC 1918 / ULA hosts only; warned
//! notifications_path = "/:/websockets/notifications"
//! # filters = "playing,timeline,activity"      # the stream's `filters=` query
//!
//! [[path_map]]                         # longest whole-component prefix wins
//! from = "/data/media/movies"          # as this machine sees it
//! to = "/movies"                       # as Plex sees it
//!
//! [scan]
//! parallel = 3                         # scans at once (1–16); one per section
//!
//! [plex]
//! requests_per_second = 10             # writes and scans per second (1–1000)
//! reads_per_second = 50                # GETs per second, a budget of their own (1–1000)
//!
//! [health]
//! # listen = "127.0.0.1:9847"          # opt-in /healthz and /metrics
//!
//! [intake]                             # Metarr, *arr and Plex webhooks (off without listen)
//! # listen = "127.0.0.1:9848"          # beyond loopback only with a key
//! # key_file = "/etc/metarr-plex/intake-key"   # or the `intake-key` credential
//! min_age = "2s"                       # a file is scanned once this old…
//! stable_for = "1s"                    # …and its size unchanged this long
//! ```
//!
//! The intake key is looked for in `$CREDENTIALS_DIRECTORY/intake-key`,
//! then `key_file`; it is accepted as `X-Api-Key`, as the HTTP Basic
//! password, or as `?apikey=`, and never logged.
//!
//! The token is looked for, first found wins, in
//! `$CREDENTIALS_DIRECTORY/plex-token`, `token_file`, `PLEX_TOKEN`, `token`.

mod intake;
mod raw;
mod validate;

use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use crate::diag::Diagnostic;
use crate::plex::conn::identity::ClientIdentity;
use crate::plex::conn::tls::TlsSettings;
use crate::plex::conn::token::{Token, TokenSource};
use crate::plex::pathmap::PathMap;
use crate::plex::{ClientSettings, PlexClient, PlexError};
use crate::service::health::HealthSettings;

pub use intake::IntakeSettings;

/// Where the config is read from when `--config` is not given and
/// `$CONFIGURATION_DIRECTORY` is unset.
pub const DEFAULT_CONFIG_PATH: &str = "/etc/metarr-plex/config.toml";

/// A validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file it came from; `None` when no file existed and defaults apply.
    pub source: Option<PathBuf>,
    /// How to reach and authenticate to Plex.
    pub server: ServerConfig,
    /// Local ↔ Plex path translation.
    pub path_map: PathMap,
    /// Local folders artwork may be read from (uploads refuse anything
    /// else); defaults to the `from` side of every mapping.
    pub artwork_roots: Vec<PathBuf>,
    /// How scans run.
    pub scan: ScanConfig,
    /// How hard we may push Plex.
    pub plex: PlexConfig,
    /// `[health]`: the opt-in `/healthz` and `/metrics` endpoint.
    pub health: HealthSettings,
    /// `[intake]`: the opt-in HTTP intake for Metarr, the *arrs and Plex webhooks.
    pub intake: IntakeSettings,
    /// Findings that do not stop a load (an inline token, skipped TLS
    /// checks), as `file:line:col: message` lines; logged at every start by
    /// [`Config::log_warnings`].
    pub warnings: Vec<String>,
}

/// `[server]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    /// Base URL of the server (`http://127.0.0.1:32400`).
    pub url: Url,
    /// File holding the token (`token_file`).
    pub token_file: Option<PathBuf>,
    /// The inline token, if someone put one in the config (warned about);
    /// a [`Token`] so that printing the config never shows it.
    pub token: Option<Token>,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Certificate checks.
    pub tls: TlsSettings,
    /// Path of the notification WebSocket.
    pub notifications_path: String,
    /// The `filters` query of the notification stream (comma-separated
    /// notification types), when set.
    pub filters: Option<String>,
}

/// `[scan]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanConfig {
    /// Scans running at once across sections (the seed's `parallelScans`).
    pub parallel: usize,
}

/// `[plex]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlexConfig {
    /// Ceiling on writes and scans per second, so a burst of rule actions
    /// cannot swamp a small server.
    pub requests_per_second: u32,
    /// Ceiling on reads per second, a budget apart from the writes': rule
    /// facts for a burst of new items are batched reads, cheap for Plex,
    /// and should neither wait behind the writes nor hold them up.
    pub reads_per_second: u32,
}

/// Why the config could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {} does not exist", path.display())]
    Missing { path: PathBuf },
    #[error("cannot read config file {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Syntax or meaning errors, each with its place.
    #[error("{}", render_plain(diagnostics, text))]
    Invalid {
        path: PathBuf,
        /// The file's text, for rendering the diagnostics.
        text: String,
        diagnostics: Vec<Diagnostic>,
    },
}

fn render_plain(diags: &[Diagnostic], text: &str) -> String {
    diags
        .iter()
        .map(|d| d.render(text, false))
        .collect::<Vec<_>>()
        .join("\n\n")
}

impl ConfigError {
    /// Renders for a terminal (`color` adds ANSI styling).
    pub fn render(&self, color: bool) -> String {
        match self {
            ConfigError::Invalid {
                text, diagnostics, ..
            } => diagnostics
                .iter()
                .map(|d| d.render(text, color))
                .collect::<Vec<_>>()
                .join("\n\n"),
            other => format!("error: {other}"),
        }
    }
}

impl Default for Config {
    fn default() -> Config {
        validate::build(Path::new("<defaults>"), raw::RawConfig::default())
            .map(|(cfg, _)| cfg)
            .unwrap_or_else(|_| unreachable!("the defaults are valid"))
    }
}

impl Config {
    /// Parses config text; `path` is only used in diagnostics.
    pub fn from_str_at(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let invalid = |diagnostics: Vec<Diagnostic>| ConfigError::Invalid {
            path: path.to_owned(),
            text: text.to_owned(),
            diagnostics: diagnostics
                .into_iter()
                .map(|d| hide_token_line(text, d))
                .collect(),
        };
        let raw: raw::RawConfig = match toml::from_str(text) {
            Ok(r) => r,
            Err(e) => return Err(invalid(vec![validate::syntax_diagnostic(path, &e)])),
        };
        let (mut cfg, warnings) = validate::build(path, raw).map_err(invalid)?;
        cfg.source = Some(path.to_owned());
        cfg.warnings = warnings
            .iter()
            .map(|d| match &d.help {
                Some(help) => format!("{} ({help})", d.one_line(text)),
                None => d.one_line(text),
            })
            .collect();
        if let Some(w) = cfg
            .server
            .token_file
            .as_deref()
            .and_then(token_file_warning)
        {
            cfg.warnings.push(w);
        }
        Ok(cfg)
    }

    /// Loads from `--config` (must exist), else
    /// `$CONFIGURATION_DIRECTORY/config.toml`, else
    /// [`DEFAULT_CONFIG_PATH`]; a missing default file means defaults.
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let (path, is_explicit) = match explicit {
            Some(p) => (p.to_owned(), true),
            None => (default_path(), false),
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !is_explicit => {
                tracing::debug!(path = %path.display(), "No config file; using defaults.");
                return Ok(Config::default());
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ConfigError::Missing { path });
            }
            Err(source) => return Err(ConfigError::Unreadable { path, source }),
        };
        Config::from_str_at(&path, &text)
    }

    /// Logs every warning at WARN: called at each start, so skipped TLS
    /// checks or an inline token are never forgotten.
    pub fn log_warnings(&self) {
        for w in &self.warnings {
            tracing::warn!(config = %w, "Config warning.");
        }
    }

    /// The client settings this config describes.
    pub fn client_settings(&self, identity: ClientIdentity) -> ClientSettings {
        ClientSettings {
            base_url: self.server.url.clone(),
            tokens: self.token_source(),
            identity,
            timeout: self.server.timeout,
            tls: self.server.tls.clone(),
        }
    }

    /// A client for this config's server, with its rate limit applied.
    pub fn client(&self, identity: ClientIdentity) -> Result<PlexClient, PlexError> {
        let client = PlexClient::new(self.client_settings(identity))?;
        client.set_rate_limit(self.plex.requests_per_second);
        client.set_read_rate_limit(self.plex.reads_per_second);
        Ok(client)
    }

    /// Where the token comes from, given this config and the environment.
    pub fn token_source(&self) -> TokenSource {
        TokenSource::from_env(
            self.server.token_file.clone(),
            self.server.token.as_ref().map(|t| t.expose().to_owned()),
        )
    }
}

/// A warning when the token file can be read by other users.
#[cfg(unix)]
fn token_file_warning(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then(|| {
        format!(
            "{}: the token file is readable by other users (mode {mode:03o}); run chmod 600 on it",
            path.display()
        )
    })
}

#[cfg(not(unix))]
fn token_file_warning(_path: &Path) -> Option<String> {
    None
}

/// Why a server URL is refused when it carries a secret (a `?X-Plex-Token=`
/// query, `user:pass@`), or `None`. The words never quote the URL: the
/// config check and `--server` both report it without showing it.
pub fn url_secret_problem(url: &Url) -> Option<&'static str> {
    if !url.username().is_empty() || url.password().is_some() {
        Some(
            "the server url must not hold a user name or password (`user:pass@`); Plex signs in with a token",
        )
    } else if url.query().is_some() {
        Some(
            "the server url must not have a query (`?…`); a token there would be logged and sent in clear",
        )
    } else if url.fragment().is_some() {
        Some("the server url must not have a fragment (`#…`)")
    } else {
        None
    }
}

/// What to do instead of a secret in the server URL.
pub const URL_SECRET_HELP: &str = "write only the scheme, host and port (url = \"http://127.0.0.1:32400\"); put the token in token_file";

/// A finding on the line of an inline `token`, or of a `url` that carries a
/// secret, must not print that line (nor a parser message quoting its
/// value): it keeps its position in words and loses its snippet.
fn hide_token_line(text: &str, d: Diagnostic) -> Diagnostic {
    let Some(span) = d.span.clone() else {
        return d;
    };
    let (line, column) = crate::diag::line_col(text, span.start);
    let value_of = |key: &str| {
        text.lines().nth(line - 1).and_then(|l| {
            l.trim_start()
                .strip_prefix(key)
                .and_then(|rest| rest.trim_start().strip_prefix('='))
                .map(str::to_owned)
        })
    };
    if value_of("token").is_some() {
        return Diagnostic {
            span: None,
            label: None,
            message: format!(
                "line {line}, column {column}: the inline `token` cannot be used as written"
            ),
            help: Some(
                "write it as token = \"…\" on one line, or better, put it in a file and set token_file"
                    .to_owned(),
            ),
            ..d
        };
    }
    if value_of("url").is_some_and(|v| v.contains('?') || v.contains('@')) {
        return Diagnostic {
            span: None,
            label: None,
            message: format!("line {line}, column {column}: {}", d.message),
            ..d
        };
    }
    d
}

/// `$CONFIGURATION_DIRECTORY/config.toml` (systemd's
/// `ConfigurationDirectory=`, first entry), else [`DEFAULT_CONFIG_PATH`].
pub fn default_path() -> PathBuf {
    if let Some(dirs) = std::env::var_os("CONFIGURATION_DIRECTORY")
        && let Some(first) = dirs.to_string_lossy().split(':').find(|s| !s.is_empty())
    {
        return PathBuf::from(first).join("config.toml");
    }
    PathBuf::from(DEFAULT_CONFIG_PATH)
}

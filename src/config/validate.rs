//! Turns the raw config into a [`Config`], collecting every problem with its
//! place and a hint.

use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;
use url::Url;

use super::raw::{self, RawConfig};
use super::{Config, IntakeSettings, PlexConfig, ScanConfig, ServerConfig};
use crate::diag::{Diagnostic, did_you_mean};
use crate::plex::conn::tls::{TlsSettings, allows_insecure};
use crate::plex::conn::token::Token;
use crate::plex::notification::DEFAULT_PATH as DEFAULT_NOTIFICATIONS_PATH;
use crate::plex::pathmap::PathMap;
use crate::service::health::HealthSettings;

const DEFAULT_URL: &str = "http://127.0.0.1:32400";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_PARALLEL: usize = 3;
const MAX_PARALLEL: i64 = 16;
const DEFAULT_RPS: u32 = 10;
/// Reads are batched and cheap for Plex: a budget five times the writes'.
const DEFAULT_READS_PS: u32 = 50;
const MAX_RPS: i64 = 1000;

/// A TOML syntax or shape error as a diagnostic, with a did-you-mean for
/// misspelt keys.
pub(crate) fn syntax_diagnostic(path: &Path, err: &toml::de::Error) -> Diagnostic {
    let message = err.message().trim().to_owned();
    let mut d = Diagnostic::error(path, err.span(), message.clone());
    if let Some(key) = unknown_field(&message) {
        let all = raw::TOP_KEYS
            .iter()
            .chain(raw::SERVER_KEYS)
            .chain(raw::PATH_MAP_KEYS)
            .chain(raw::SCAN_KEYS)
            .chain(raw::PLEX_KEYS)
            .chain(raw::HEALTH_KEYS)
            .chain(raw::INTAKE_KEYS)
            .copied();
        d = d.with_label("unknown key");
        if let Some(guess) = did_you_mean(key, all) {
            d = d.with_help(format!("did you mean `{guess}`?"));
        }
    }
    d
}

fn unknown_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split('`').next()
}

/// Checks every value and builds the config; all problems at once.
pub(crate) fn build(
    path: &Path,
    raw: RawConfig,
) -> Result<(Config, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut v = Checker {
        path,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let server = v.server(raw.server);
    let mut pairs: Vec<(PathBuf, PathBuf)> = Vec::new();
    for (i, m) in raw.path_map.iter().enumerate() {
        let from = v.absolute(&m.from, "path_map.from");
        let to = v.absolute(&m.to, "path_map.to");
        if let (Some(from), Some(to)) = (from, to) {
            let from = crate::plex::pathmap::normalize(&from);
            if raw.path_map[..i]
                .iter()
                .any(|o| crate::plex::pathmap::normalize(Path::new(o.from.get_ref())) == from)
            {
                v.error(
                    &m.from,
                    "this `from` folder is mapped twice",
                    "remove one of the two [[path_map]] entries",
                );
            }
            let to_norm = crate::plex::pathmap::normalize(&to);
            if let Some((other, _)) = pairs.iter().find(|(f, t)| {
                overlapping_target(f, &crate::plex::pathmap::normalize(t), &from, &to_norm)
            }) {
                v.error(
                    &m.to,
                    &format!(
                        "this `to` folder overlaps the one mapped from {}: a Plex path there would map back to the wrong local folder",
                        other.display()
                    ),
                    "map each Plex folder from one local folder; remove or change one of the two [[path_map]] entries",
                );
            }
            pairs.push((from, to));
        }
    }
    let artwork_roots = match &raw.artwork_roots {
        Some(list) => list
            .get_ref()
            .iter()
            .filter_map(|r| v.absolute(r, "artwork_roots"))
            .collect(),
        None => pairs.iter().map(|(from, _)| from.clone()).collect(),
    };
    let scan = ScanConfig {
        parallel: v
            .range(raw.scan.parallel.as_ref(), 1, MAX_PARALLEL, "scan.parallel")
            .map_or(DEFAULT_PARALLEL, |n| n as usize),
    };
    let plex = PlexConfig {
        requests_per_second: v
            .range(
                raw.plex.requests_per_second.as_ref(),
                1,
                MAX_RPS,
                "plex.requests_per_second",
            )
            .map_or(DEFAULT_RPS, |n| n as u32),
        reads_per_second: v
            .range(
                raw.plex.reads_per_second.as_ref(),
                1,
                MAX_RPS,
                "plex.reads_per_second",
            )
            .map_or(DEFAULT_READS_PS, |n| n as u32),
    };
    let health = v.health(&raw.health);
    let intake = v.intake(&raw.intake);
    if !v.errors.is_empty() {
        return Err(v.errors);
    }
    let config = Config {
        source: None,
        server,
        path_map: PathMap::new(pairs),
        artwork_roots,
        scan,
        plex,
        health,
        intake,
        warnings: Vec::new(),
    };
    Ok((config, v.warnings))
}

struct Checker<'a> {
    path: &'a Path,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn error<T>(&mut self, at: &Spanned<T>, message: &str, help: &str) {
        self.errors.push(
            Diagnostic::error(self.path, Some(at.span()), message).with_help(help.to_owned()),
        );
    }

    fn server(&mut self, s: raw::RawServer) -> ServerConfig {
        let url = match &s.url {
            None => Url::parse(DEFAULT_URL).unwrap_or_else(|_| unreachable!("constant URL")),
            Some(raw) => match Url::parse(raw.get_ref().trim()) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => u,
                Ok(_) => {
                    self.error(
                        raw,
                        "the server url must be http:// or https:// with a host",
                        "e.g. url = \"http://127.0.0.1:32400\"",
                    );
                    default_url()
                }
                Err(e) => {
                    self.error(
                        raw,
                        &format!("invalid server url: {e}"),
                        "e.g. url = \"http://127.0.0.1:32400\" or \"https://plex.lan:32400\"",
                    );
                    default_url()
                }
            },
        };
        if let (Some(problem), Some(raw)) = (super::url_secret_problem(&url), &s.url) {
            // The line holds a secret: config/mod.rs drops its snippet.
            self.error(raw, problem, super::URL_SECRET_HELP);
        }
        let timeout = match &s.timeout {
            None => DEFAULT_TIMEOUT,
            Some(raw) => match humantime::parse_duration(raw.get_ref()) {
                Ok(d) if !d.is_zero() => d,
                Ok(_) => {
                    self.error(
                        raw,
                        "the timeout must be longer than 0",
                        "e.g. timeout = \"30s\"",
                    );
                    DEFAULT_TIMEOUT
                }
                Err(e) => {
                    self.error(
                        raw,
                        &format!("invalid duration: {e}"),
                        "write a duration such as \"30s\", \"2m\" or \"1m 30s\"",
                    );
                    DEFAULT_TIMEOUT
                }
            },
        };
        let insecure = s
            .insecure_skip_verify
            .as_ref()
            .is_some_and(|b| *b.get_ref());
        if let Some(flag) = s.insecure_skip_verify.as_ref().filter(|b| *b.get_ref()) {
            if s.ca_file.is_some() {
                self.error(
                    flag,
                    "insecure_skip_verify and ca_file contradict each other",
                    "keep ca_file (verification against your certificate) and remove insecure_skip_verify",
                );
            } else if !allows_insecure(&url) {
                self.errors.push(
                    Diagnostic::error(
                        self.path,
                        Some(flag.span()),
                        "insecure_skip_verify is only allowed for loopback or private addresses",
                    )
                    .with_label(format!(
                        "the server is `{}`",
                        url.host_str().unwrap_or_default()
                    ))
                    .with_help("set ca_file to the server's certificate instead"),
                );
            } else {
                self.warnings.push(
                    Diagnostic::warning(
                        self.path,
                        Some(flag.span()),
                        "TLS certificate checks are off for the Plex server",
                    )
                    .with_help("set ca_file to the server's certificate instead"),
                );
            }
        }
        let token = s.token.as_ref().and_then(|t| {
            let token = match Token::new(t.get_ref().as_str()) {
                Ok(token) => token,
                Err(e) => {
                    // The message never quotes the value.
                    self.error(
                        t,
                        &format!("the inline token is unusable: {e}"),
                        "remove `token` or fix it",
                    );
                    return None;
                }
            };
            self.warnings.push(
                Diagnostic::warning(
                    self.path,
                    Some(t.span()),
                    "the Plex token is written in the config file",
                )
                .with_help(
                    "move it to a file readable only by the service (mode 0600) and set token_file",
                ),
            );
            Some(token)
        });
        let notifications_path = match &s.notifications_path {
            None => DEFAULT_NOTIFICATIONS_PATH.to_owned(),
            Some(p) if p.get_ref().starts_with('/') => p.get_ref().clone(),
            Some(p) => {
                self.error(
                    p,
                    "notifications_path must start with `/`",
                    &format!("the default is \"{DEFAULT_NOTIFICATIONS_PATH}\""),
                );
                DEFAULT_NOTIFICATIONS_PATH.to_owned()
            }
        };
        let filters = s
            .filters
            .as_ref()
            .map(|f| f.get_ref().trim().to_owned())
            .filter(|f| !f.is_empty());
        ServerConfig {
            url,
            token_file: s.token_file.as_ref().map(|p| PathBuf::from(p.get_ref())),
            token,
            timeout,
            tls: TlsSettings {
                ca_file: s.ca_file.as_ref().map(|p| PathBuf::from(p.get_ref())),
                insecure_skip_verify: insecure,
            },
            notifications_path,
            filters,
        }
    }

    /// `[health] listen`: an address and port; beyond loopback is allowed
    /// but warned about, since the metrics name rules and the server.
    fn health(&mut self, h: &raw::RawHealth) -> HealthSettings {
        let Some(listen) = &h.listen else {
            return HealthSettings::default();
        };
        match listen.get_ref().trim().parse::<std::net::SocketAddr>() {
            Ok(addr) => {
                if !addr.ip().is_loopback() {
                    self.warnings.push(
                        Diagnostic::warning(
                            self.path,
                            Some(listen.span()),
                            "the health endpoint listens beyond loopback",
                        )
                        .with_help("anyone who can reach it reads the metrics; prefer 127.0.0.1"),
                    );
                }
                HealthSettings { listen: Some(addr) }
            }
            Err(_) => {
                self.error(
                    listen,
                    "`health.listen` must be an IP address and port",
                    &format!(
                        "e.g. listen = \"{}\"",
                        crate::service::health::DEFAULT_LISTEN
                    ),
                );
                HealthSettings::default()
            }
        }
    }

    /// `[intake]`: an address and port; beyond loopback only with a key
    /// (a `key_file`, or a systemd credential, which only exists at run time).
    fn intake(&mut self, raw: &raw::RawIntake) -> IntakeSettings {
        let defaults = IntakeSettings::default();
        let key_file = raw
            .key_file
            .as_ref()
            .and_then(|p| self.absolute(p, "intake.key_file"));
        let listen = raw.listen.as_ref().and_then(|listen| {
            match listen.get_ref().trim().parse::<std::net::SocketAddr>() {
                Ok(addr) => {
                    let credential = std::env::var_os("CREDENTIALS_DIRECTORY").is_some();
                    if !addr.ip().is_loopback() && key_file.is_none() && !credential {
                        self.error(
                            listen,
                            "the intake listens beyond loopback without a key",
                            "set key_file = \"/etc/metarr-plex/intake-key\" (or the `intake-key` credential), or listen on 127.0.0.1",
                        );
                    }
                    Some(addr)
                }
                Err(_) => {
                    self.error(
                        listen,
                        "`intake.listen` must be an IP address and port",
                        "e.g. listen = \"127.0.0.1:9848\"",
                    );
                    None
                }
            }
        });
        IntakeSettings {
            listen,
            key_file,
            min_age: self
                .duration(raw.min_age.as_ref(), true)
                .unwrap_or(defaults.min_age),
            stable_for: self
                .duration(raw.stable_for.as_ref(), true)
                .unwrap_or(defaults.stable_for),
        }
    }

    /// A humantime duration (`"2s"`, `"1m 30s"`); zero only when `zero_ok`.
    fn duration(&mut self, raw: Option<&Spanned<String>>, zero_ok: bool) -> Option<Duration> {
        let raw = raw?;
        match humantime::parse_duration(raw.get_ref().trim()) {
            Ok(d) if zero_ok || !d.is_zero() => Some(d),
            Ok(_) => {
                self.error(raw, "the duration must be longer than 0", "e.g. \"2s\"");
                None
            }
            Err(e) => {
                self.error(
                    raw,
                    &format!("invalid duration: {e}"),
                    "write a duration such as \"0s\", \"2s\" or \"1m 30s\"",
                );
                None
            }
        }
    }

    fn absolute(&mut self, raw: &Spanned<String>, key: &str) -> Option<PathBuf> {
        let p = PathBuf::from(raw.get_ref());
        if p.is_absolute() {
            Some(p)
        } else {
            self.error(
                raw,
                &format!("`{key}` must be an absolute path"),
                "write the full path, starting with `/`",
            );
            None
        }
    }

    fn range(&mut self, raw: Option<&Spanned<i64>>, min: i64, max: i64, key: &str) -> Option<i64> {
        let raw = raw?;
        let n = *raw.get_ref();
        if (min..=max).contains(&n) {
            Some(n)
        } else {
            self.error(
                raw,
                &format!("`{key}` must be between {min} and {max}"),
                &format!("e.g. {} = {min}", key.rsplit('.').next().unwrap_or(key)),
            );
            None
        }
    }
}

/// True when two mappings' Plex folders are the same or one holds the
/// other, and mapping back would not give the same local folder. A nested
/// pair that agrees (`/data/m`→`/m` and `/data/m/kids`→`/m/kids`) is fine.
fn overlapping_target(from_a: &Path, to_a: &Path, from_b: &Path, to_b: &Path) -> bool {
    let agrees = |(fa, ta): (&Path, &Path), (fb, tb): (&Path, &Path)| {
        tb.strip_prefix(ta).is_ok_and(|rest| fa.join(rest) == fb)
    };
    if to_a.starts_with(to_b) {
        !agrees((from_b, to_b), (from_a, to_a))
    } else if to_b.starts_with(to_a) {
        !agrees((from_a, to_a), (from_b, to_b))
    } else {
        false
    }
}

fn default_url() -> Url {
    Url::parse(DEFAULT_URL).unwrap_or_else(|_| unreachable!("constant URL"))
}

#[cfg(test)]
mod tests {
    use super::super::{Config, ConfigError};
    use std::path::Path;
    use std::time::Duration;

    fn load(text: &str) -> Result<Config, ConfigError> {
        Config::from_str_at(Path::new("config.toml"), text)
    }

    fn first_error(text: &str) -> (String, String) {
        match load(text) {
            Err(ConfigError::Invalid {
                diagnostics, text, ..
            }) => (
                diagnostics[0].one_line(&text),
                diagnostics[0].render(&text, false),
            ),
            other => panic!("expected invalid config, got {other:?}"),
        }
    }

    #[test]
    fn empty_file_gives_defaults() {
        let c = load("").unwrap();
        assert_eq!(c.server.url.as_str(), "http://127.0.0.1:32400/");
        assert_eq!(c.server.timeout, Duration::from_secs(30));
        assert_eq!(c.server.notifications_path, "/:/websockets/notifications");
        assert_eq!(c.scan.parallel, 3);
        assert!(c.path_map.is_empty());
        assert_eq!(
            c,
            Config {
                source: Some("config.toml".into()),
                ..Config::default()
            }
        );
    }

    #[test]
    fn full_config_is_read() {
        let c = load(
            r#"
artwork_roots = ["/art"]
[server]
url = "https://10.0.0.5:32400"
token_file = "/etc/metarr-plex/plex-token"
timeout = "1m 30s"
insecure_skip_verify = true
filters = "playing,timeline"
[[path_map]]
from = "/data/media/movies"
to = "/movies"
[scan]
parallel = 5
[plex]
requests_per_second = 20
reads_per_second = 200
"#,
        )
        .unwrap();
        assert_eq!(c.server.timeout, Duration::from_secs(90));
        assert!(c.server.tls.insecure_skip_verify);
        assert_eq!(c.warnings.len(), 1, "insecure TLS is warned about");
        assert_eq!(c.path_map.rules().len(), 1);
        assert_eq!(c.artwork_roots, vec![std::path::PathBuf::from("/art")]);
        assert_eq!(c.scan.parallel, 5);
        assert_eq!(c.plex.requests_per_second, 20);
        assert_eq!(c.plex.reads_per_second, 200);
        assert_eq!(c.server.filters.as_deref(), Some("playing,timeline"));
    }

    #[test]
    fn the_reference_in_the_module_docs_is_a_valid_config() {
        let source = include_str!("mod.rs");
        let example: String = source
            .lines()
            .skip_while(|l| !l.starts_with("//! ```toml"))
            .skip(1)
            .take_while(|l| !l.starts_with("//! ```"))
            .map(|l| {
                format!(
                    "{}\n",
                    l.trim_start_matches("//!").strip_prefix(' ').unwrap_or("")
                )
            })
            .collect();
        assert!(example.contains("[server]"), "{example}");
        let c = load(&example).unwrap();
        assert_eq!(c.path_map.rules().len(), 1);
        assert_eq!(c.scan.parallel, 3);
        assert_eq!(c.server.url.as_str(), "http://127.0.0.1:32400/");
    }

    #[test]
    fn the_readme_config_block_is_a_valid_config() {
        let readme = include_str!("../../README.md");
        let example: String = readme
            .split("## Configuration")
            .nth(1)
            .and_then(|s| s.split("```toml\n").nth(1))
            .and_then(|s| s.split("```").next())
            .unwrap_or_default()
            .to_owned();
        assert!(example.contains("[[path_map]]"), "{example}");
        let c = load(&example).unwrap();
        assert_eq!(
            c.artwork_roots,
            vec![std::path::PathBuf::from("/data/media")]
        );
        assert_eq!(c.plex.requests_per_second, 10);
        assert_eq!(c.plex.reads_per_second, 50);
    }

    #[test]
    fn artwork_roots_default_to_the_mapped_folders() {
        let c = load("[[path_map]]\nfrom = \"/a/\"\nto = \"/b\"\n").unwrap();
        assert_eq!(c.artwork_roots, vec![std::path::PathBuf::from("/a")]);
    }

    #[test]
    fn an_explicit_empty_artwork_roots_is_kept() {
        let c = load("artwork_roots = []\n[[path_map]]\nfrom = \"/a/\"\nto = \"/b\"\n").unwrap();
        assert!(c.artwork_roots.is_empty(), "{:?}", c.artwork_roots);
    }

    #[test]
    fn unknown_key_points_at_it_with_a_suggestion() {
        let (line, rendered) = first_error("[server]\nurl = \"http://x:1\"\ntimeot = \"30s\"\n");
        assert!(
            line.starts_with("config.toml:3:1: unknown field `timeot`"),
            "{line}"
        );
        assert!(rendered.contains("did you mean `timeout`?"), "{rendered}");
        assert!(rendered.contains("timeot = \"30s\""), "{rendered}");
    }

    #[test]
    fn bad_duration_points_at_the_value() {
        let (line, rendered) = first_error("[server]\ntimeout = \"30 sex\"\n");
        assert!(
            line.starts_with("config.toml:2:11: invalid duration"),
            "{line}"
        );
        assert!(rendered.contains("\"30s\""), "{rendered}");
    }

    #[test]
    fn insecure_tls_on_a_public_host_is_refused() {
        let (line, rendered) = first_error(
            "[server]\nurl = \"https://plex.example.com\"\ninsecure_skip_verify = true\n",
        );
        assert!(
            line.starts_with("config.toml:3:24: insecure_skip_verify"),
            "{line}"
        );
        assert!(rendered.contains("plex.example.com"), "{rendered}");
    }

    #[test]
    fn relative_and_duplicate_mappings_are_errors() {
        let text = "[[path_map]]\nfrom = \"data\"\nto = \"/m\"\n[[path_map]]\nfrom = \"/x\"\nto = \"/y\"\n[[path_map]]\nfrom = \"/x/\"\nto = \"/z\"\n";
        match load(text) {
            Err(ConfigError::Invalid {
                diagnostics, text, ..
            }) => {
                let lines: Vec<String> = diagnostics.iter().map(|d| d.one_line(&text)).collect();
                assert_eq!(lines.len(), 2, "{lines:?}");
                assert!(
                    lines[0]
                        .starts_with("config.toml:2:8: `path_map.from` must be an absolute path"),
                    "{lines:?}"
                );
                assert!(
                    lines[1].starts_with("config.toml:8:8: this `from` folder is mapped twice"),
                    "{lines:?}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn duplicate_or_overlapping_targets_are_errors() {
        let map = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(f, t)| format!("[[path_map]]\nfrom = \"{f}\"\nto = \"{t}\"\n"))
                .collect::<String>()
        };
        for bad in [
            map(&[("/data/a", "/movies"), ("/data/b", "/movies")]),
            map(&[("/data/a", "/movies"), ("/data/b", "/movies/")]),
            map(&[("/data/a", "/movies"), ("/data/kids", "/movies/kids")]),
            map(&[("/data/kids", "/movies/kids"), ("/data/a", "/movies")]),
        ] {
            let (line, _) = first_error(&bad);
            assert!(
                line.contains("overlaps the one mapped from"),
                "{bad}\n{line}"
            );
        }
        for good in [
            map(&[("/data/a", "/movies"), ("/data/b", "/movies2")]),
            map(&[("/data/m", "/m"), ("/data/m/kids", "/m/kids")]),
        ] {
            assert!(load(&good).is_ok(), "{good}");
        }
    }

    #[test]
    fn bad_url_and_out_of_range_numbers_are_all_reported() {
        let text = "[server]\nurl = \"ftp://x\"\n[scan]\nparallel = 0\n";
        match load(text) {
            Err(ConfigError::Invalid { diagnostics, .. }) => assert_eq!(diagnostics.len(), 2),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_read_budget_out_of_range_names_the_key_and_the_range() {
        let (line, _) = first_error("[plex]\nreads_per_second = 0\n");
        assert!(line.starts_with("config.toml:2:20: "), "{line}");
        assert!(
            line.contains("`plex.reads_per_second` must be between 1 and 1000"),
            "{line}"
        );
    }

    #[test]
    fn a_server_url_carrying_a_secret_is_refused_without_showing_it() {
        for (text, says) in [
            (
                "[server]\nurl = \"http://10.0.0.2:32400/?X-Plex-Token=zz-SECRET.99\"\n",
                "must not have a query",
            ),
            (
                "[server]\nurl = \"http://bob:zz-SECRET.99@10.0.0.2:32400\"\n",
                "user name or password",
            ),
            (
                "[server]\nurl = \"http://zz-SECRET.99@10.0.0.2:32400\"\n",
                "user name or password",
            ),
        ] {
            let (line, rendered) = first_error(text);
            assert!(line.starts_with("config.toml: line 2, column"), "{line}");
            assert!(line.contains(says), "{line}");
            assert!(!rendered.contains("SECRET"), "{rendered}");
        }
    }

    #[test]
    fn errors_on_the_token_line_never_print_it() {
        for text in [
            "[server]\ntoken = \"two words\"\n",
            "[server]\ntoken = two-words\n",
            "[server]\n  token=12345\n",
        ] {
            let (line, rendered) = first_error(text);
            assert!(line.starts_with("config.toml: line 2, column"), "{line}");
            assert!(line.contains("inline `token` cannot be used"), "{line}");
            for secret in ["two", "12345"] {
                assert!(!rendered.contains(secret), "{rendered}");
            }
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_token_file_others_can_read_is_warned_about() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tok");
        std::fs::write(&file, "x").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let text = format!("[server]\ntoken_file = \"{}\"\n", file.display());
        let c = load(&text).unwrap();
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert!(c.warnings[0].contains("mode 644"), "{:?}", c.warnings);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(load(&text).unwrap().warnings.is_empty());
    }

    #[test]
    fn inline_token_is_accepted_with_a_warning() {
        let c = load("[server]\ntoken = \"abc\"\n").unwrap();
        assert_eq!(c.server.token.as_ref().map(|t| t.expose()), Some("abc"));
        assert!(!format!("{c:?}").contains("abc\""), "Debug never shows it");
        assert!(
            c.warnings[0].starts_with("config.toml:2:9: the Plex token is written"),
            "{:?}",
            c.warnings
        );
    }

    #[test]
    fn intake_is_read_and_checked_with_places() {
        let c = load(
            "[intake]\nlisten = \"127.0.0.1:9848\"\nmin_age = \"0s\"\nstable_for = \"500ms\"\n",
        )
        .unwrap();
        assert_eq!(c.intake.listen, Some("127.0.0.1:9848".parse().unwrap()));
        assert_eq!(c.intake.min_age, Duration::ZERO);
        assert_eq!(c.intake.stable_for, Duration::from_millis(500));
        assert_eq!(load("").unwrap().intake.listen, None, "off by default");
        let (line, _) = first_error("[intake]\nlisten = \"localhost\"\n");
        assert!(
            line.starts_with("config.toml:2:10: `intake.listen` must be"),
            "{line}"
        );
        let (line, _) = first_error("[intake]\nlisten = \"127.0.0.1:1\"\nmin_age = \"soon\"\n");
        assert!(
            line.starts_with("config.toml:3:11: invalid duration"),
            "{line}"
        );
        if std::env::var_os("CREDENTIALS_DIRECTORY").is_none() {
            let (line, rendered) = first_error("[intake]\nlisten = \"0.0.0.0:9848\"\n");
            assert!(
                line.starts_with(
                    "config.toml:2:10: the intake listens beyond loopback without a key"
                ),
                "{line}"
            );
            assert!(rendered.contains("key_file"), "{rendered}");
        }
        let c = load("[intake]\nlisten = \"0.0.0.0:9848\"\nkey_file = \"/etc/k\"\n").unwrap();
        assert_eq!(c.intake.key_file.as_deref(), Some(Path::new("/etc/k")));
    }

    #[test]
    fn missing_explicit_file_is_an_error_but_missing_default_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let err = Config::load(Some(&dir.path().join("nope.toml"))).unwrap_err();
        assert!(matches!(err, ConfigError::Missing { .. }));
        assert!(err.to_string().contains("nope.toml"));
    }
}

//! The config as written: plain serde structs, unknown keys refused,
//! positions kept for the values [`super::validate`] checks. No `Debug`:
//! the raw `[server]` table may hold an inline token.

use serde::Deserialize;
use toml::Spanned;

/// The whole file.
#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawConfig {
    pub(crate) artwork_roots: Option<Spanned<Vec<Spanned<String>>>>,
    pub(crate) server: RawServer,
    pub(crate) path_map: Vec<RawPathMap>,
    pub(crate) scan: RawScan,
    pub(crate) plex: RawPlex,
    pub(crate) health: RawHealth,
    pub(crate) intake: RawIntake,
}

/// `[server]`.
#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawServer {
    pub(crate) url: Option<Spanned<String>>,
    pub(crate) token_file: Option<Spanned<String>>,
    pub(crate) token: Option<Spanned<String>>,
    pub(crate) timeout: Option<Spanned<String>>,
    pub(crate) ca_file: Option<Spanned<String>>,
    pub(crate) insecure_skip_verify: Option<Spanned<bool>>,
    pub(crate) notifications_path: Option<Spanned<String>>,
    pub(crate) filters: Option<Spanned<String>>,
}

/// One `[[path_map]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPathMap {
    pub(crate) from: Spanned<String>,
    pub(crate) to: Spanned<String>,
}

/// `[scan]`.
#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawScan {
    pub(crate) parallel: Option<Spanned<i64>>,
}

/// `[plex]`.
#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawPlex {
    pub(crate) requests_per_second: Option<Spanned<i64>>,
    pub(crate) reads_per_second: Option<Spanned<i64>>,
}

/// `[health]`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawHealth {
    pub(crate) listen: Option<Spanned<String>>,
}

/// `[intake]`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawIntake {
    pub(crate) listen: Option<Spanned<String>>,
    pub(crate) key_file: Option<Spanned<String>>,
    pub(crate) min_age: Option<Spanned<String>>,
    pub(crate) stable_for: Option<Spanned<String>>,
}

/// The keys each table accepts, for "did you mean" hints.
pub(crate) const TOP_KEYS: &[&str] = &[
    "server",
    "path_map",
    "artwork_roots",
    "scan",
    "plex",
    "health",
    "intake",
];
pub(crate) const SERVER_KEYS: &[&str] = &[
    "url",
    "token_file",
    "token",
    "timeout",
    "ca_file",
    "insecure_skip_verify",
    "notifications_path",
    "filters",
];
pub(crate) const PATH_MAP_KEYS: &[&str] = &["from", "to"];
pub(crate) const SCAN_KEYS: &[&str] = &["parallel"];
pub(crate) const PLEX_KEYS: &[&str] = &["requests_per_second", "reads_per_second"];
pub(crate) const HEALTH_KEYS: &[&str] = &["listen"];
pub(crate) const INTAKE_KEYS: &[&str] = &["listen", "key_file", "min_age", "stable_for"];

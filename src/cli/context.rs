//! What every command gets: the config, the output mode, and a Plex client
//! built on first use (so `map-path` needs neither a token nor a state dir).

use std::path::PathBuf;
use std::sync::OnceLock;

use super::{Cli, CliError};
use crate::config::Config;
use crate::plex::PlexClient;
use crate::plex::conn::identity::{ClientIdentity, load_identity};

/// Shared command context.
pub struct Context {
    /// The loaded config, with `--server` applied.
    pub config: Config,
    /// `--json`.
    pub json: bool,
    state_dir: Option<PathBuf>,
    client: OnceLock<PlexClient>,
}

impl Context {
    /// Loads the config and applies global flags.
    pub fn new(cli: &Cli) -> Result<Context, CliError> {
        let mut config = Config::load(cli.config.as_deref())?;
        if let Some(server) = &cli.server {
            config.server.url = server_url(server)?;
        }
        config.log_warnings();
        Ok(Context {
            config,
            json: cli.json,
            state_dir: cli.state_dir.clone(),
            client: OnceLock::new(),
        })
    }

    /// Our `X-Plex-*` identity, with the client id from the state dir.
    pub fn identity(&self) -> Result<ClientIdentity, CliError> {
        load_identity(self.state_dir.as_deref()).map_err(|e| CliError::Usage(e.to_string()))
    }

    /// The state dir (journal, lock, client id), created if missing: as for
    /// the identity, an unusable default falls back to the per-user dir,
    /// an explicit `--state-dir` that fails is an error.
    pub fn state_dir(&self) -> Result<PathBuf, CliError> {
        let dir = crate::plex::conn::identity::default_state_dir(self.state_dir.as_deref());
        match std::fs::create_dir_all(&dir) {
            Ok(()) if !dir_is_read_only(&dir) => Ok(dir),
            _ if self.state_dir.is_none() => {
                let fallback = crate::plex::conn::identity::user_state_dir().ok_or_else(|| {
                    CliError::Usage(format!("cannot use the state dir {}", dir.display()))
                })?;
                std::fs::create_dir_all(&fallback).map_err(|e| {
                    CliError::Usage(format!(
                        "cannot create the state dir {}: {e}",
                        fallback.display()
                    ))
                })?;
                Ok(fallback)
            }
            Ok(()) => Err(CliError::Usage(format!(
                "the state dir {} is not writable",
                dir.display()
            ))),
            Err(e) => Err(CliError::Usage(format!(
                "cannot create the state dir {}: {e}",
                dir.display()
            ))),
        }
    }

    /// The Plex client, built once.
    pub fn client(&self) -> Result<PlexClient, CliError> {
        if let Some(c) = self.client.get() {
            return Ok(c.clone());
        }
        let identity = self.identity()?;
        // Building the client only reads the config's files (`ca_file`):
        // what fails here is the config's to fix (exit 2).
        let client = self
            .config
            .client(identity)
            .map_err(|e| CliError::Usage(e.to_string()))?;
        Ok(self.client.get_or_init(|| client).clone())
    }
}

/// `--server URL`: http(s) with a host, and no secret in it. The value is
/// echoed only when it cannot hold one.
fn server_url(server: &str) -> Result<url::Url, CliError> {
    let url = url::Url::parse(server.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    if let Some(problem) = url.as_ref().and_then(crate::config::url_secret_problem) {
        return Err(CliError::Usage(format!(
            "--server: {}; {}",
            problem.replacen("the server url", "the URL", 1),
            crate::config::URL_SECRET_HELP
        )));
    }
    url.ok_or_else(|| {
        let shown = if server.contains(['?', '@', '#']) {
            "the value".to_owned()
        } else {
            format!("`{server}`")
        };
        CliError::Usage(format!(
            "--server: {shown} is not an http:// or https:// URL with a host (e.g. http://127.0.0.1:32400)"
        ))
    })
}

/// True when files cannot be created in `dir` (a probe file is made and removed).
fn dir_is_read_only(dir: &std::path::Path) -> bool {
    let probe = dir.join(".metarr-plex-probe");
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            false
        }
        Err(_) => true,
    }
}

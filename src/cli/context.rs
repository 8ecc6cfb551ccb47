//! What every command gets: the config, the output mode, and a Plex client
//! built on first use (so `map-path` needs neither a token nor a state dir).

use std::path::PathBuf;
use std::sync::OnceLock;

use super::{Cli, CliError};
use crate::config::Config;
use crate::identity::{ClientIdentity, load_identity};
use crate::plex::PlexClient;

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
            let url = url::Url::parse(server)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                .ok_or_else(|| {
                    CliError::Usage(format!(
                        "--server `{server}` is not an http:// or https:// URL with a host"
                    ))
                })?;
            config.server.url = url;
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

    /// The Plex client, built once.
    pub fn client(&self) -> Result<PlexClient, CliError> {
        if let Some(c) = self.client.get() {
            return Ok(c.clone());
        }
        let identity = self.identity()?;
        let client = self.config.client(identity)?;
        Ok(self.client.get_or_init(|| client).clone())
    }
}

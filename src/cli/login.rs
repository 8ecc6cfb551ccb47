//! `login [--plextv-url URL] [--token-file PATH] [--timeout 10m] [--password
//! [--username U]]`: get a Plex token from plex.tv and write it, mode 0600,
//! where the daemon will read it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;

use super::output::outln;
use super::{CliError, Context};
use crate::tools::login::{self, LoginOptions, Method, Terminal};

/// Where the shipped unit's `LoadCredential=plex-token:…` reads the token.
pub const SYSTEM_TOKEN_FILE: &str = "/etc/metarr-plex/plex-token";

/// Arguments of `login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// plex.tv's base URL.
    #[arg(long, value_name = "URL", default_value = login::PLEXTV_URL)]
    pub plextv_url: String,
    /// Where to write the token (default: the config's [server] token_file,
    /// else /etc/metarr-plex/plex-token, which the systemd unit loads).
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// How long to wait for the link to be opened and allowed.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
    /// Sign in with username and password (and a 2FA code if the account has
    /// one) instead of through the browser.
    #[arg(long)]
    pub password: bool,
    /// The Plex username or email for --password (asked when absent).
    #[arg(long, value_name = "USER", requires = "password")]
    pub username: Option<String>,
}

/// Runs the flow; the link and progress go to stdout, questions to stderr.
pub(crate) async fn run(ctx: &Context, args: LoginArgs) -> Result<(), CliError> {
    let plextv_url = url::Url::parse(&args.plextv_url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| {
            CliError::Usage(format!(
                "--plextv-url `{}` is not an http:// or https:// URL with a host",
                args.plextv_url
            ))
        })?;
    let configured = ctx.config.server.token_file.clone();
    let token_file = args
        .token_file
        .or_else(|| configured.clone())
        .unwrap_or_else(|| PathBuf::from(SYSTEM_TOKEN_FILE));
    let options = LoginOptions {
        plextv_url,
        auth_app_url: url::Url::parse(login::AUTH_APP_URL)
            .map_err(|e| CliError::Action(format!("bad built-in auth URL: {e}")))?,
        token_file: token_file.clone(),
        timeout: args.timeout,
        poll_interval: Duration::from_secs(1),
        client: ctx.identity()?,
        method: if args.password {
            Method::Password {
                username: args.username,
            }
        } else {
            Method::Pin
        },
    };

    let mut out = std::io::stdout();
    login::login(&options, &mut Terminal, &mut out)
        .await
        .map_err(|e| CliError::Action(e.to_string()))?;

    if !is_read_by_daemon(&token_file, configured.as_deref()) {
        outln!(
            "The daemon does not read this file yet: set `token_file = \"{}\"` under [server] in the config.",
            token_file.display()
        );
    }
    Ok(())
}

/// Whether `run` would find the token there: the config's `token_file`, or
/// the file the unit hands over with `LoadCredential=`.
fn is_read_by_daemon(written: &Path, configured: Option<&Path>) -> bool {
    configured == Some(written) || written == Path::new(SYSTEM_TOKEN_FILE)
}

//! `run [--rules DIR] [--dry-run]`: the daemon. Starts it, then turns
//! signals into reloads (SIGHUP) and a drain (SIGTERM/SIGINT).

use std::path::PathBuf;

use super::{CliError, Context};
use crate::daemon::{DRAIN_TIMEOUT, Daemon, Options, RulesSource};
use crate::rules::default_rules_dir;
use crate::service::sd_notify::Notifier;
use crate::service::signals::{Request, Signals};

/// Options of `run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Rules directory (default: $CONFIGURATION_DIRECTORY/rules, else /etc/metarr-plex/rules).
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// Log the exact actions instead of sending them.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs until SIGTERM or SIGINT.
pub(crate) async fn run(ctx: &Context, args: RunArgs) -> Result<(), CliError> {
    let client = ctx.client()?;
    let state_dir = ctx.state_dir()?;
    let mut signals = Signals::install()
        .map_err(|e| CliError::Usage(format!("cannot install signal handlers: {e}")))?;
    let daemon = Daemon::start(Options {
        config: ctx.config.clone(),
        client,
        state_dir,
        rules: RulesSource::Dir(args.rules.unwrap_or_else(default_rules_dir)),
        dry_run: args.dry_run,
        notifier: Notifier::from_env(),
        listener: None,
    })
    .await
    .map_err(|e| CliError::Usage(e.to_string()))?;
    while signals.next().await == Request::Reload {
        tracing::info!("SIGHUP: reloading the rules.");
        daemon.reload();
    }
    daemon.stop(DRAIN_TIMEOUT).await;
    Ok(())
}

//! `run [--rules DIR] [--dry-run]`: the daemon. Starts it, then turns
//! signals into reloads (SIGHUP) and a drain (SIGTERM/SIGINT).

use std::path::PathBuf;

use super::{CliError, Context};
use crate::daemon::{DRAIN_TIMEOUT, Daemon, Options, RulesSource};
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
    let rules = super::rules_dir::rules_dir(args.rules, "metarr-plex run --rules DIR")?;
    let client = ctx.client()?;
    let state_dir = ctx.state_dir()?;
    let mut signals = Signals::install()
        .map_err(|e| CliError::Usage(format!("cannot install signal handlers: {e}")))?;
    let daemon = Daemon::start(Options {
        config: ctx.config.clone(),
        client,
        state_dir,
        rules: RulesSource::Dir(rules),
        dry_run: args.dry_run,
        notifier: Notifier::from_env(),
        listener: None,
    })
    .await
    .map_err(|e| CliError::Usage(e.to_string()))?;
    while signals.next().await == Request::Reload {
        tracing::info!("SIGHUP: reloading the rules.");
        reread_config(&ctx.config);
        daemon.reload();
    }
    daemon.stop(DRAIN_TIMEOUT).await;
    Ok(())
}

/// On SIGHUP the config file is read again and checked, so a broken edit is
/// reported now rather than at the next restart. The running config always
/// stays: the daemon's connection and limits are built from it at start,
/// and a valid edit takes effect at the next restart (said so).
fn reread_config(running: &crate::config::Config) {
    match crate::config::Config::load(running.source.as_deref()) {
        Err(e) => tracing::error!(
            config = %running.source.as_deref().unwrap_or(std::path::Path::new("(defaults)")).display(),
            error = %e,
            "Config not reloaded: the edited file has errors; the running config stays."
        ),
        Ok(fresh)
            if fresh.server != running.server
                || fresh.path_map != running.path_map
                || fresh.artwork_roots != running.artwork_roots
                || fresh.scan != running.scan
                || fresh.plex != running.plex
                || fresh.health != running.health =>
        {
            tracing::warn!(
                "The config file changed; the running config stays until a restart (systemctl restart metarr-plex)."
            );
        }
        Ok(_) => {}
    }
}

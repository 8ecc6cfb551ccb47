//! `sim [--port P] [--token T]`: the built-in Plex simulator.

use std::net::{Ipv4Addr, SocketAddr};

use clap::Args;

use super::CliError;
use super::output::outln;
use crate::sim::{SimOptions, Simulator};

/// Arguments of `sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 32400)]
    pub port: u16,
    /// The token the simulator accepts (default: `sim-token`).
    #[arg(long)]
    pub token: Option<String>,
}

/// Runs the simulator on loopback until Ctrl-C or SIGTERM.
pub(crate) async fn run(args: SimArgs) -> Result<(), CliError> {
    let defaults = SimOptions::default();
    let given_token = args.token.is_some();
    let opts = SimOptions {
        token: args.token.unwrap_or(defaults.token.clone()),
        addr: SocketAddr::from((Ipv4Addr::LOCALHOST, args.port)),
        ..defaults
    };
    let sim = Simulator::start(opts)
        .await
        .map_err(|e| CliError::Action(format!("cannot start the simulator: {e}")))?;
    // The URL goes to stdout so scripts can read it; the token is never
    // echoed, only where it came from.
    outln!("Plex simulator listening on {}", sim.url());
    if given_token {
        outln!("It accepts the token given with --token.");
    } else {
        outln!("It accepts the token `sim-token`: export PLEX_TOKEN=sim-token");
    }
    outln!(
        "Try: metarr-plex --server {} sections",
        sim.url().as_str().trim_end_matches('/')
    );
    wait_for_stop().await;
    sim.shutdown().await;
    Ok(())
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

//! `sim [--port P] [--token T]`: the built-in Plex simulator.

use clap::Args;

use super::{CliError, Context};

/// Arguments of `sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 32400)]
    pub port: u16,
    /// The token the simulator accepts (default: a random one, printed).
    #[arg(long)]
    pub token: Option<String>,
}

/// Runs the simulator until Ctrl-C.
pub(crate) async fn run(_ctx: &Context, _args: SimArgs) -> Result<(), CliError> {
    // TODO(sim merge): call crate::sim::run_standalone once branch `sim` lands.
    Err(CliError::Action(
        "the simulator is not part of this build yet".to_owned(),
    ))
}

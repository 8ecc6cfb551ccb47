//! `demo [--keep-running]`: the simulator and the daemon with the shipped
//! rules, playing the story (see [`crate::tools::demo`]). Needs no config.

use super::CliError;
use crate::tools::demo::{DemoOptions, run as play};

/// Options of `demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Stay up after the story, to explore with the one-shot commands.
    #[arg(long)]
    pub keep_running: bool,
}

/// Plays the story; fails if a step of it did not happen.
pub(crate) async fn run(args: DemoArgs) -> Result<(), CliError> {
    let summary = play(DemoOptions {
        keep_running: args.keep_running,
        ..DemoOptions::default()
    })
    .await
    .map_err(|e| CliError::Action(e.to_string()))?;
    if summary.movie_matched && summary.poster_uploaded && summary.episode_analyzed {
        Ok(())
    } else {
        Err(CliError::Action(
            "a step of the story did not happen (see the log above)".into(),
        ))
    }
}

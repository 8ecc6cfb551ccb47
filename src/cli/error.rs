//! What a command can fail with, and the exit code each kind means.

use std::io::IsTerminal;

use crate::config::ConfigError;
use crate::daemon::StartError;
use crate::plex::PlexError;

/// A failed command.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad arguments the parser could not catch (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The config file is missing or wrong (exit 2).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Plex refused or could not be reached (exit 1).
    #[error(transparent)]
    Plex(#[from] PlexError),
    /// The action could not be done for another reason (exit 1).
    #[error("{0}")]
    Action(String),
    /// The daemon could not start (exit 2 for rule and config mistakes,
    /// 1 for a held lock, a broken journal and the like).
    #[error(transparent)]
    Start(#[from] StartError),
    /// Some parts of the command failed and were reported already (exit 1).
    #[error("{0}")]
    Partial(String),
}

impl CliError {
    /// Maps a 404 on an item endpoint to "item N not found"; other errors
    /// pass through.
    pub(crate) fn for_item(id: &str) -> impl Fn(PlexError) -> CliError + '_ {
        move |e| match e {
            PlexError::NotFound { .. } => CliError::Action(format!(
                "item {} not found on the Plex server",
                super::output::clean(id)
            )),
            other => CliError::Plex(other),
        }
    }

    /// 2 for usage and config errors, 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Config(_) => 2,
            CliError::Start(e) if e.is_usage() => 2,
            CliError::Start(_) => 1,
            CliError::Plex(_) | CliError::Action(_) | CliError::Partial(_) => 1,
        }
    }

    /// Prints to stderr: positioned diagnostics for a bad config, one
    /// `error: …` line otherwise.
    pub fn print(&self) {
        match self {
            CliError::Config(e) => eprintln!("{}", e.render(std::io::stderr().is_terminal())),
            other => eprintln!("error: {other}"),
        }
    }
}

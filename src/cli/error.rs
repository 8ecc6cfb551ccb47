//! What a command can fail with, and the exit code each kind means.

use std::io::IsTerminal;

use crate::config::ConfigError;
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

    /// 2 for usage, config and input errors (a token that cannot be read
    /// is the config's fault, not Plex's), 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Config(_) | CliError::Plex(PlexError::Token(_)) => 2,
            CliError::Plex(_) | CliError::Action(_) | CliError::Partial(_) => 1,
        }
    }

    /// Prints to stderr: positioned diagnostics for a bad config, one
    /// `error: …` line otherwise; with `json` (the global `--json`), one
    /// JSON object instead (see [`CliError::to_json`]).
    pub fn report(&self, json: bool) {
        if json {
            eprintln!("{}", self.to_json());
            return;
        }
        match self {
            CliError::Config(e) => eprintln!("{}", e.render(std::io::stderr().is_terminal())),
            other => eprintln!("error: {other}"),
        }
    }

    /// What a script gets on stderr under `--json`:
    /// `{"error": {"kind", "message", "exit_code", "diagnostics"?}}`, with a
    /// bad config's findings as positioned diagnostics. Field names are
    /// snake_case, like every other JSON the commands print.
    pub fn to_json(&self) -> serde_json::Value {
        let kind = match self {
            CliError::Usage(_) => "usage",
            CliError::Config(_) => "config",
            CliError::Plex(PlexError::Token(_)) => "token",
            CliError::Plex(_) => "plex",
            CliError::Action(_) => "action",
            CliError::Partial(_) => "partial",
        };
        let message = match self {
            CliError::Config(ConfigError::Invalid {
                text, diagnostics, ..
            }) => diagnostics
                .iter()
                .map(|d| d.one_line(text))
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        };
        let mut error = serde_json::json!({
            "kind": kind,
            "message": message,
            "exit_code": self.exit_code(),
        });
        if let CliError::Config(ConfigError::Invalid {
            text, diagnostics, ..
        }) = self
        {
            let found: Vec<_> = diagnostics.iter().map(|d| d.to_json(text)).collect();
            error["diagnostics"] = serde_json::to_value(found).unwrap_or_default();
        }
        serde_json::json!({ "error": error })
    }
}

/// A command-line parse error (or `--help`) under `--json`: errors become
/// the same JSON object as [`CliError::to_json`] (exit 2); help and version
/// print as usual.
pub(crate) fn parse_error(err: &clap::Error, json: bool) -> std::process::ExitCode {
    use clap::error::ErrorKind;
    let is_info = matches!(
        err.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if !json || is_info {
        let _ = err.print();
        return std::process::ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2));
    }
    let text = err.to_string();
    let message = text
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_owned();
    eprintln!(
        "{}",
        serde_json::json!({ "error": { "kind": "usage", "message": message, "exit_code": 2 } })
    );
    std::process::ExitCode::from(2)
}

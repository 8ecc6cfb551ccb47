//! `check [DIR] [--format json]`: validate every rule file, report every
//! finding. Exit 0 clean (warnings allowed), 1 rule errors, 2 usage or IO.
//! Needs no config and no Plex, so `ExecStartPre=` can run it first.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::rules::{self, Format};

/// Arguments of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The rules directory (default: $CONFIGURATION_DIRECTORY/rules, else
    /// /etc/metarr-plex/rules).
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// `human` (rustc-style, with the line underlined) or `json` for editors and CI.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
}

/// How `check` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Human,
    Json,
}

/// Runs the check and returns its exit code; `json` is the global `--json`.
pub(crate) fn run(args: &CheckArgs, json: bool) -> u8 {
    let dir = args.dir.clone().unwrap_or_else(rules::default_rules_dir);
    let format = if json || args.format == OutputFormat::Json {
        Format::Json
    } else {
        Format::Human
    };
    let color = format == Format::Human
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    rules::check_command(
        &dir,
        format,
        color,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    )
}

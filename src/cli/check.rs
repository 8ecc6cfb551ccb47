//! `check [DIR] [--format json]`: validate the config file and every rule
//! file, report every finding. Exit 0 clean (warnings allowed), 1 rule
//! errors, 2 a config, usage or IO error. Needs no token and no Plex, so
//! `ExecStartPre=` and `ExecReload=` run it first.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::CliError;
use crate::config::Config;
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

/// Runs the check and returns its exit code; `json` is the global `--json`,
/// `config` the global `--config`.
///
/// The config is checked first: the unit runs `check` before every start
/// and reload, so a broken `config.toml` must fail it (exit 2) as surely as
/// a broken rule (exit 1). Both are checked and reported either way.
pub(crate) fn run(args: &CheckArgs, config: Option<&Path>, json: bool) -> u8 {
    let config_ok = match Config::load(config) {
        Ok(config) => {
            for w in &config.warnings {
                eprintln!("warning: {w}");
            }
            true
        }
        Err(e) => {
            CliError::from(e).report(json);
            false
        }
    };
    let dir = match super::rules_dir::rules_dir(args.dir.clone(), "metarr-plex check DIR") {
        Ok(dir) => dir,
        Err(e) => {
            e.report(json);
            return rules::EXIT_IO;
        }
    };
    let format = if json || args.format == OutputFormat::Json {
        Format::Json
    } else {
        Format::Human
    };
    let color = format == Format::Human
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    let code = rules::check_command(
        &dir,
        format,
        color,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    if config_ok { code } else { rules::EXIT_IO }
}

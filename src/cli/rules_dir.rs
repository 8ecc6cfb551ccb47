//! Which rules directory a command reads, and what to say when there is
//! none: every command that reads rules (`check`, `test`, `explain`, `run`)
//! names the directory it looked in and how to pass another one.

use std::path::PathBuf;

use super::CliError;
use crate::rules::default_rules_dir;

/// `given`, else the default ([`default_rules_dir`]); an error (exit 2)
/// naming the directory and the way to pass one (`how`, e.g.
/// `metarr-plex check DIR`) when it is not a directory.
pub(crate) fn rules_dir(given: Option<PathBuf>, how: &str) -> Result<PathBuf, CliError> {
    let explicit = given.is_some();
    let dir = given.unwrap_or_else(default_rules_dir);
    if dir.is_dir() {
        return Ok(dir);
    }
    let what = if dir.exists() {
        "is not a directory"
    } else {
        "does not exist"
    };
    let default = if explicit {
        ""
    } else {
        ", the default ($CONFIGURATION_DIRECTORY/rules, else /etc/metarr-plex/rules)"
    };
    Err(CliError::Usage(format!(
        "the rules directory {}{default}, {what}; pass one with `{how}` (the shipped rules are in rules/ of the source tree)",
        dir.display()
    )))
}

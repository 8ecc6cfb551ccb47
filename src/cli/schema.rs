//! `schema`: print the JSON Schema of rule files, for editors
//! (`metarr-plex schema > rules/rule.schema.json`, then `#:schema ./rule.schema.json`).

use std::io::Write;

use super::CliError;

/// Prints the schema to stdout; a closed pipe (`| head`) is not an error.
pub(crate) fn run() -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(&crate::rules::rule_schema())
        .map_err(|e| CliError::Action(format!("cannot encode the schema: {e}")))?;
    match writeln!(std::io::stdout().lock(), "{text}") {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(CliError::Action(format!("cannot write the schema: {e}")))
        }
        _ => Ok(()),
    }
}

//! `metarr-plex sections`.

use super::output::{Table, print_model_json};
use super::{CliError, Context};

/// Lists sections with their folders.
pub(crate) async fn run(ctx: &Context) -> Result<(), CliError> {
    let sections = ctx.client()?.refresh_sections().await?;
    if ctx.json {
        return print_model_json(sections.as_slice());
    }
    let mut t = Table::new(&["ID", "TITLE", "TYPE", "AGENT", "LOCATIONS"]);
    for s in sections.iter() {
        let locations: Vec<&str> = s.locations.iter().map(|l| l.path.as_str()).collect();
        t.row(vec![
            s.id.clone(),
            s.title.clone(),
            s.kind.clone(),
            s.agent.clone().unwrap_or_default(),
            locations.join(", "),
        ]);
    }
    t.print_or("The server has no library sections.");
    Ok(())
}

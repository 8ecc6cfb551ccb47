//! `sessions` and `agents`: read-only lists.

use super::output::{Table, or_dash, print_model_json};
use super::{CliError, Context};

/// `sessions`.
pub(crate) async fn sessions(ctx: &Context) -> Result<(), CliError> {
    let sessions = ctx.client()?.sessions().await?;
    if ctx.json {
        return print_model_json(&sessions);
    }
    let mut t = Table::new(&["SESSION", "ITEM", "USER", "PLAYER", "STATE", "TITLE"]);
    for s in &sessions {
        let title = match &s.grandparent_title {
            Some(show) => format!("{show} – {}", s.title),
            None => s.title.clone(),
        };
        t.row(vec![
            or_dash(s.session_key.as_ref()),
            or_dash(s.rating_key.as_ref()),
            or_dash(s.user.as_ref().map(|u| u.title.clone())),
            or_dash(s.player.as_ref().map(|p| p.title.clone())),
            or_dash(s.player.as_ref().map(|p| p.state.clone())),
            title,
        ]);
    }
    t.print_or("Nothing is playing.");
    Ok(())
}

/// `agents`.
pub(crate) async fn agents(ctx: &Context) -> Result<(), CliError> {
    let agents = ctx.client()?.agents().await?;
    if ctx.json {
        return print_model_json(&agents);
    }
    let mut t = Table::new(&["IDENTIFIER", "NAME", "PRIMARY"]);
    for a in &agents {
        t.row(vec![
            a.identifier.clone(),
            a.name.clone(),
            if a.primary { "yes" } else { "no" }.into(),
        ]);
    }
    t.print_or("The server lists no agents.");
    Ok(())
}

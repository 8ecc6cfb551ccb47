//! `activities [--cancel UUID]`.

use clap::Args;
use serde_json::json;

use super::output::outln;
use super::output::{Table, or_dash, print_json, print_model_json};
use super::{CliError, Context};

/// Arguments of `activities`.
#[derive(Debug, Args)]
pub struct ActivitiesArgs {
    /// Cancel this activity instead of listing.
    #[arg(long, value_name = "UUID")]
    pub cancel: Option<String>,
}

/// Lists or cancels activities.
pub(crate) async fn run(ctx: &Context, args: ActivitiesArgs) -> Result<(), CliError> {
    let client = ctx.client()?;
    if let Some(uuid) = args.cancel {
        client.cancel_activity(&uuid).await.map_err(|e| match e {
            crate::plex::PlexError::NotFound { .. } => CliError::Action(format!(
                "no activity {} is running",
                super::output::clean(&uuid)
            )),
            other => other.into(),
        })?;
        if ctx.json {
            return print_json(&json!({ "cancelled": uuid }));
        }
        outln!("Cancelled activity {uuid}.");
        return Ok(());
    }
    let list = client.activities().await?;
    if ctx.json {
        return print_model_json(&list);
    }
    let mut t = Table::new(&["UUID", "TYPE", "SECTION", "PROGRESS", "TITLE", "SUBTITLE"]);
    for a in &list {
        let progress = match a.progress {
            Some(p) if p >= 0.0 => format!("{p:.0}%"),
            _ => "-".into(),
        };
        t.row(vec![
            a.uuid.clone(),
            a.kind.clone(),
            or_dash(a.section_id()),
            progress,
            a.title.clone(),
            a.subtitle.clone().unwrap_or_default(),
        ]);
    }
    t.print_or("No activities are running.");
    Ok(())
}

//! `unmatch`, `refresh`, `analyze`: one PUT each on an item.

use clap::Args;
use serde_json::json;

use super::output::outln;
use super::output::print_json;
use super::{CliError, Context};

/// Just an item id.
#[derive(Debug, Args)]
pub struct IdArgs {
    /// The item id (ratingKey).
    #[arg(value_parser = super::ids::item_id)]
    pub id: String,
}

/// Arguments of `refresh`.
#[derive(Debug, Args)]
pub struct RefreshArgs {
    /// The item id (ratingKey).
    #[arg(value_parser = super::ids::item_id)]
    pub id: String,
    /// Re-download metadata even if Plex thinks it is current.
    #[arg(long)]
    pub force: bool,
}

/// `unmatch ID`.
pub(crate) async fn unmatch(ctx: &Context, args: IdArgs) -> Result<(), CliError> {
    ctx.client()?
        .unmatch(&args.id)
        .await
        .map_err(CliError::for_item(&args.id))?;
    done(ctx, "unmatch", &args.id, None)
}

/// `refresh ID [--force]`.
pub(crate) async fn refresh(ctx: &Context, args: RefreshArgs) -> Result<(), CliError> {
    let activity = ctx
        .client()?
        .refresh_item(&args.id, args.force)
        .await
        .map_err(CliError::for_item(&args.id))?;
    done(ctx, "refresh", &args.id, activity)
}

/// Arguments of `analyze`: one item, or a whole section.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// The item id (ratingKey).
    #[arg(required_unless_present = "section", conflicts_with = "section")]
    pub id: Option<String>,
    /// Analyze every item of this section instead (and generate preview
    /// thumbnails where the server does).
    #[arg(long, value_name = "ID")]
    pub section: Option<String>,
    /// With `--section`: follow the activity to its end, with progress on stderr.
    #[arg(long, requires = "section")]
    pub wait: bool,
}

/// `analyze ID` or `analyze --section ID [--wait]`.
pub(crate) async fn analyze(ctx: &Context, args: AnalyzeArgs) -> Result<(), CliError> {
    let client = ctx.client()?;
    if let Some(section) = args.section {
        return analyze_section(ctx, &client, &section, args.wait).await;
    }
    let id = args.id.unwrap_or_default();
    let activity = client
        .analyze_item(&id)
        .await
        .map_err(CliError::for_item(&id))?;
    done(ctx, "analyze", &id, activity)
}

async fn analyze_section(
    ctx: &Context,
    client: &crate::plex::PlexClient,
    section: &str,
    wait: bool,
) -> Result<(), CliError> {
    let job = super::job::Job {
        label: format!("analysis of section {section}"),
        kind: crate::plex::request::SECTION_ANALYSIS_ACTIVITY,
        about: crate::plex::follow::About::Section(section.to_owned()),
    };
    let outcome = job
        .run(ctx, client, wait, client.analyze_section(section))
        .await?;
    if ctx.json {
        return print_json(&json!({
            "action": "analyze",
            "section_id": section,
            "activity": outcome.activity,
            "result": outcome.result,
        }));
    }
    match outcome.activity {
        Some(a) => outln!(
            "Analysis of section {section}: {} (activity {a}).",
            outcome.result
        ),
        None => outln!("Analysis of section {section}: {}.", outcome.result),
    }
    Ok(())
}

fn done(ctx: &Context, action: &str, id: &str, activity: Option<String>) -> Result<(), CliError> {
    if ctx.json {
        return print_json(&json!({ "action": action, "id": id, "activity": activity }));
    }
    match activity {
        Some(a) => outln!("Asked Plex to {action} item {id} (activity {a})."),
        None => outln!("Asked Plex to {action} item {id}."),
    }
    Ok(())
}

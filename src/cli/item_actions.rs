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

/// `analyze ID`.
pub(crate) async fn analyze(ctx: &Context, args: IdArgs) -> Result<(), CliError> {
    let activity = ctx
        .client()?
        .analyze_item(&args.id)
        .await
        .map_err(CliError::for_item(&args.id))?;
    done(ctx, "analyze", &args.id, activity)
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

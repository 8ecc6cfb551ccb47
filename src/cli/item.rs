//! `metarr-plex item ID`.

use clap::Args;

use super::output::{Table, clean, or_dash, print_model_json};
use super::{CliError, Context};
use crate::plex::model::Item;
use crate::plex::request::TagKind;

/// Arguments of `item`.
#[derive(Debug, Args)]
pub struct ItemArgs {
    /// The item id (ratingKey).
    #[arg(value_parser = super::ids::item_id)]
    pub id: String,
}

/// Shows one item.
pub(crate) async fn run(ctx: &Context, args: ItemArgs) -> Result<(), CliError> {
    let item = fetch(ctx, &args.id).await?;
    if ctx.json {
        return print_model_json(&item);
    }
    let mut t = Table::new(&["FIELD", "VALUE"]);
    t.row(vec!["id".into(), item.rating_key.clone()]);
    t.row(vec!["title".into(), item.title.clone()]);
    t.row(vec!["type".into(), item.kind.clone()]);
    t.row(vec!["year".into(), or_dash(item.year)]);
    t.row(vec!["guid".into(), or_dash(item.guid.as_ref())]);
    t.row(vec![
        "section".into(),
        format!(
            "{} ({})",
            or_dash(item.library_section_id.as_ref()),
            item.library_section_title.clone().unwrap_or_default()
        ),
    ]);
    for g in &item.guids {
        t.row(vec!["external id".into(), g.id.clone()]);
    }
    for f in item.files() {
        t.row(vec!["file".into(), f.to_owned()]);
    }
    for kind in TagKind::ALL {
        let tags = item.tags(kind);
        if !tags.is_empty() {
            t.row(vec![kind.param().into(), tags.join(" | ")]);
        }
    }
    let locked: Vec<&str> = item
        .fields
        .iter()
        .filter(|f| f.locked)
        .map(|f| f.name.as_str())
        .collect();
    if !locked.is_empty() {
        t.row(vec!["locked".into(), locked.join(", ")]);
    }
    t.print();
    Ok(())
}

/// The item, or a clear "not found" error naming the id.
pub(crate) async fn fetch(ctx: &Context, id: &str) -> Result<Item, CliError> {
    ctx.client()?
        .item(id)
        .await?
        .ok_or_else(|| CliError::Action(format!("item {} not found on the Plex server", clean(id))))
}

/// The section and type of an item, which the edit endpoint needs.
pub(crate) fn section_and_type(
    item: &Item,
) -> Result<(String, crate::plex::model::MediaType), CliError> {
    let section = item.library_section_id.clone().ok_or_else(|| {
        CliError::Action(format!("item {} has no library section", item.rating_key))
    })?;
    let kind = item.media_type().ok_or_else(|| {
        CliError::Action(format!(
            "item {} has type `{}`, which cannot be edited",
            item.rating_key,
            clean(&item.kind)
        ))
    })?;
    Ok((section, kind))
}

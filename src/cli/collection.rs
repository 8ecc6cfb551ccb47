//! `collection list|create|add|remove|edit|delete`: regular collections by
//! item ids, smart ones by a filter written the way Plex Web writes it.

use clap::{Args, Subcommand};
use serde_json::json;

use super::output::{Table, or_dash, outln, print_json};
use super::{CliError, Context};
use crate::plex::PlexClient;
use crate::plex::client::CollectionContent;
use crate::plex::model::{Item, MediaType};
use crate::plex::request::check_filter;

/// Arguments of `collection`.
#[derive(Debug, Args)]
pub struct CollectionArgs {
    /// What to do.
    #[command(subcommand)]
    pub op: CollectionOp,
}

/// The `collection` subcommands.
#[derive(Debug, Subcommand)]
pub enum CollectionOp {
    /// The collections of a section (`--section`), or the items of one collection.
    List {
        /// A collection id: list what it holds (a smart one: what its filter selects).
        #[arg(required_unless_present = "section", conflicts_with = "section")]
        id: Option<String>,
        /// List this section's collections.
        #[arg(long, value_name = "ID")]
        section: Option<String>,
    },
    /// Create a collection of items (`--item`), or a smart one (`--filter`).
    Create {
        /// The section it lives in.
        #[arg(long, value_name = "ID")]
        section: String,
        /// Its title.
        #[arg(long)]
        title: String,
        /// Items to put in it.
        #[arg(
            long = "item",
            value_name = "ID",
            required_unless_present = "filter",
            conflicts_with = "filter"
        )]
        items: Vec<String>,
        /// A smart collection's filter, as Plex Web writes it: `genre=Action&year>>=2000`.
        #[arg(long)]
        filter: Option<String>,
        /// What it holds (movie, show, season, episode, artist, album, track);
        /// default: the section's type.
        #[arg(long = "type", value_name = "TYPE")]
        kind: Option<MediaType>,
    },
    /// Add items to a collection.
    Add {
        /// The collection id.
        id: String,
        /// The items.
        #[arg(required = true, value_name = "ITEM")]
        items: Vec<String>,
    },
    /// Remove items from a collection.
    Remove {
        /// The collection id.
        id: String,
        /// The items.
        #[arg(required = true, value_name = "ITEM")]
        items: Vec<String>,
    },
    /// Change a collection's title, sort title or summary (locked unless `--no-lock`).
    Edit {
        /// The collection id.
        id: String,
        /// A new title.
        #[arg(long)]
        title: Option<String>,
        /// A new sort title.
        #[arg(long)]
        sort_title: Option<String>,
        /// A new summary.
        #[arg(long)]
        summary: Option<String>,
        /// Do not lock the edited fields.
        #[arg(long)]
        no_lock: bool,
    },
    /// Delete a collection (its items stay).
    Delete {
        /// The collection id.
        id: String,
    },
}

/// Runs one `collection` subcommand.
pub(crate) async fn run(ctx: &Context, args: CollectionArgs) -> Result<(), CliError> {
    let client = ctx.client()?;
    match args.op {
        CollectionOp::List { id: Some(id), .. } => {
            let items = client.collection_items(&id).await.map_err(not_found(&id))?;
            print_items(ctx, &items, &["ID", "TYPE", "TITLE", "YEAR"], |i| {
                vec![
                    i.rating_key.clone(),
                    i.kind.clone(),
                    i.title.clone(),
                    or_dash(i.year.as_ref()),
                ]
            })
        }
        CollectionOp::List { section, .. } => {
            let section = section.unwrap_or_default();
            let list = client.collections(&section).await?;
            print_items(ctx, &list, &["ID", "TITLE", "SMART", "ITEMS"], |c| {
                vec![
                    c.rating_key.clone(),
                    c.title.clone(),
                    if c.smart == Some(true) { "yes" } else { "no" }.into(),
                    or_dash(c.child_count.as_ref()),
                ]
            })
        }
        CollectionOp::Create {
            section,
            title,
            items,
            filter,
            kind,
        } => create(ctx, &client, &section, &title, items, filter, kind).await,
        CollectionOp::Add { id, items } => {
            client
                .add_to_collection(&id, &items)
                .await
                .map_err(not_found(&id))?;
            done(ctx, "add", &id, json!({ "items": items }))
        }
        CollectionOp::Remove { id, items } => {
            for item in &items {
                client
                    .remove_from_collection(&id, item)
                    .await
                    .map_err(not_found(&id))?;
            }
            done(ctx, "remove", &id, json!({ "items": items }))
        }
        CollectionOp::Edit {
            id,
            title,
            sort_title,
            summary,
            no_lock,
        } => {
            let fields: Vec<(String, String)> = [
                ("title", title),
                ("titleSort", sort_title),
                ("summary", summary),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
            .collect();
            if fields.is_empty() {
                return Err(CliError::Usage(
                    "nothing to change: give --title, --sort-title or --summary".into(),
                ));
            }
            let section = section_of(&client, &id).await?;
            client
                .edit_collection(&section, &id, &fields, !no_lock)
                .await
                .map_err(not_found(&id))?;
            let changed: serde_json::Map<String, serde_json::Value> =
                fields.into_iter().map(|(k, v)| (k, v.into())).collect();
            done(
                ctx,
                "edit",
                &id,
                json!({ "fields": changed, "locked": !no_lock }),
            )
        }
        CollectionOp::Delete { id } => {
            let section = section_of(&client, &id).await?;
            client
                .delete_collection(&section, &id)
                .await
                .map_err(not_found(&id))?;
            done(ctx, "delete", &id, json!({}))
        }
    }
}

async fn create(
    ctx: &Context,
    client: &PlexClient,
    section: &str,
    title: &str,
    items: Vec<String>,
    filter: Option<String>,
    kind: Option<MediaType>,
) -> Result<(), CliError> {
    let content = match filter {
        Some(f) => CollectionContent::Smart(
            check_filter(&f).map_err(|e| CliError::Usage(format!("--filter: {e}")))?,
        ),
        None => CollectionContent::Items(items),
    };
    let kind = match kind {
        Some(k) => k,
        None => client
            .section(section)
            .await?
            .ok_or_else(|| {
                CliError::Action(format!("section {section} not found on the Plex server"))
            })?
            .media_type()
            .ok_or_else(|| {
                CliError::Usage(format!("section {section} has no known type; give --type"))
            })?,
    };
    let created = client
        .create_collection(section, kind, title, &content)
        .await?
        .ok_or_else(|| {
            CliError::Action("Plex created the collection but did not describe it".into())
        })?;
    let smart = matches!(content, CollectionContent::Smart(_));
    if ctx.json {
        return print_json(&json!({
            "action": "create",
            "id": created.rating_key,
            "title": created.title,
            "section_id": section,
            "smart": smart,
            "item_count": created.child_count,
        }));
    }
    outln!(
        "Created {}collection {} \"{}\" in section {section} ({} items).",
        if smart { "smart " } else { "" },
        created.rating_key,
        super::output::clean(&created.title),
        or_dash(created.child_count.as_ref())
    );
    Ok(())
}

/// The section a collection lives in (edits and deletes are addressed by it).
async fn section_of(client: &PlexClient, id: &str) -> Result<String, CliError> {
    let item = client.item(id).await?.ok_or_else(|| {
        CliError::Action(format!(
            "collection {} not found on the Plex server",
            super::output::clean(id)
        ))
    })?;
    if item.kind != "collection" {
        return Err(CliError::Usage(format!(
            "item {} is a {}, not a collection",
            super::output::clean(id),
            super::output::clean(&item.kind)
        )));
    }
    item.library_section_id
        .ok_or_else(|| CliError::Action(format!("collection {id} has no library section")))
}

fn not_found(id: &str) -> impl Fn(crate::plex::PlexError) -> CliError + '_ {
    move |e| match e {
        crate::plex::PlexError::NotFound { .. } => CliError::Action(format!(
            "collection {} (or one of the items) not found on the Plex server",
            super::output::clean(id)
        )),
        other => CliError::Plex(other),
    }
}

fn print_items(
    ctx: &Context,
    items: &[Item],
    headers: &[&str],
    row: impl Fn(&Item) -> Vec<String>,
) -> Result<(), CliError> {
    if ctx.json {
        return print_json(&items);
    }
    let mut t = Table::new(headers);
    for i in items {
        t.row(row(i));
    }
    t.print();
    Ok(())
}

fn done(ctx: &Context, op: &str, id: &str, extra: serde_json::Value) -> Result<(), CliError> {
    if ctx.json {
        let mut doc = json!({ "action": op, "id": id });
        if let (Some(d), Some(e)) = (doc.as_object_mut(), extra.as_object()) {
            d.extend(e.clone());
        }
        return print_json(&doc);
    }
    outln!("Collection {}: {op} done.", super::output::clean(id));
    Ok(())
}

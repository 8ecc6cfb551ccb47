//! `tags ID (--add|--remove|--set) genre=A|B…`.

use clap::{ArgGroup, Args};
use serde_json::json;

use super::item::{fetch, section_and_type};
use super::output::outln;
use super::output::print_json;
use super::{CliError, Context};
use crate::plex::request::{TagKind, TagOp, split_tag_list};

/// Arguments of `tags`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("op").required(true).args(["add", "remove", "set"])))]
pub struct TagsArgs {
    /// The item id (ratingKey).
    #[arg(value_parser = super::ids::item_id)]
    pub id: String,
    /// Add these tags, keeping the existing ones.
    #[arg(long)]
    pub add: bool,
    /// Remove these tags.
    #[arg(long)]
    pub remove: bool,
    /// Replace the list with these tags.
    #[arg(long)]
    pub set: bool,
    /// `kind=Tag|Other Tag` with kind one of genre, director, writer,
    /// collection, label.
    #[arg(required = true, value_name = "KIND=A|B", value_parser = parse_tag_list)]
    pub lists: Vec<(TagKind, Vec<String>)>,
}

fn parse_tag_list(s: &str) -> Result<(TagKind, Vec<String>), String> {
    let (kind, list) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not kind=A|B"))?;
    Ok((kind.parse()?, split_tag_list(list)))
}

/// Changes tag lists, one request per kind.
pub(crate) async fn run(ctx: &Context, args: TagsArgs) -> Result<(), CliError> {
    let op = if args.add {
        TagOp::Add
    } else if args.remove {
        TagOp::Remove
    } else {
        TagOp::Set
    };
    // `--set genre=` clears the list; adding or removing nothing is a typo.
    if op != TagOp::Set
        && let Some((tag, _)) = args.lists.iter().find(|(_, list)| list.is_empty())
    {
        return Err(CliError::Usage(format!(
            "`{tag}=` names no tags to {}; write {tag}=A|B (to clear the list: --set {tag}=)",
            if op == TagOp::Add { "add" } else { "remove" }
        )));
    }
    let item = fetch(ctx, &args.id).await?;
    let (section, kind) = section_and_type(&item)?;
    let client = ctx.client()?;
    let mut changes = Vec::new();
    for (tag, list) in &args.lists {
        // Removing a tag the item does not have changes nothing: say so
        // instead of reporting it removed.
        let (send, absent): (Vec<String>, Vec<String>) = match op {
            TagOp::Remove => {
                let has = item.tags(*tag);
                list.iter()
                    .cloned()
                    .partition(|t| has.iter().any(|h| h.eq_ignore_ascii_case(t)))
            }
            TagOp::Add | TagOp::Set => (list.clone(), Vec::new()),
        };
        if !send.is_empty() || op == TagOp::Set {
            client
                .edit_tags(&section, kind, &args.id, *tag, op, &send)
                .await?;
        }
        changes.push((*tag, send, absent));
    }
    if ctx.json {
        let changes: Vec<_> = changes
            .iter()
            .map(|(k, sent, absent)| json!({ "kind": k, "op": op, "tags": sent, "absent": absent }))
            .collect();
        return print_json(&json!({ "id": args.id, "changes": changes }));
    }
    for (tag, sent, absent) in &changes {
        let shown = sent.join(" | ");
        match op {
            TagOp::Add => outln!("Added {tag} [{shown}] on item {}.", args.id),
            TagOp::Set if sent.is_empty() => outln!("Cleared {tag} on item {}.", args.id),
            TagOp::Set => outln!("Set {tag} [{shown}] on item {}.", args.id),
            TagOp::Remove if !sent.is_empty() => {
                outln!("Removed {tag} [{shown}] from item {}.", args.id)
            }
            TagOp::Remove => {}
        }
        if !absent.is_empty() {
            outln!(
                "Item {} has no {tag} [{}]: nothing to remove.",
                args.id,
                absent.join(" | ")
            );
        }
    }
    Ok(())
}

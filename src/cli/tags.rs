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
    let item = fetch(ctx, &args.id).await?;
    let (section, kind) = section_and_type(&item)?;
    let client = ctx.client()?;
    for (tag, list) in &args.lists {
        client
            .edit_tags(&section, kind, &args.id, *tag, op, list)
            .await?;
    }
    if ctx.json {
        let changes: Vec<_> = args
            .lists
            .iter()
            .map(|(k, v)| json!({ "kind": k, "op": op, "tags": v }))
            .collect();
        return print_json(&json!({ "id": args.id, "changes": changes }));
    }
    let verb = match op {
        TagOp::Add => "Added",
        TagOp::Remove => "Removed",
        TagOp::Set => "Set",
    };
    for (tag, list) in &args.lists {
        outln!("{verb} {tag} [{}] on item {}.", list.join(" | "), args.id);
    }
    Ok(())
}

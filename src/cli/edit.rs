//! `edit ID field=value… [--lock]`.

use clap::Args;
use serde_json::json;

use super::item::{fetch, section_and_type};
use super::output::outln;
use super::output::print_json;
use super::{CliError, Context};

/// Arguments of `edit`.
#[derive(Debug, Args)]
pub struct EditArgs {
    /// The item id (ratingKey).
    #[arg(value_parser = super::ids::item_id)]
    pub id: String,
    /// Fields to set, as `field=value` (title, titleSort, summary, studio,
    /// originallyAvailableAt, contentRating, tagline, year…; which ones
    /// depends on the item's type, and a wrong one is refused before
    /// anything is sent).
    #[arg(required = true, value_name = "FIELD=VALUE", value_parser = parse_assignment)]
    pub fields: Vec<(String, String)>,
    /// Also lock the fields so agent refreshes leave them alone.
    #[arg(long)]
    pub lock: bool,
}

/// Splits `field=value` at the first `=`; the field must be a plain name.
pub(crate) fn parse_assignment(s: &str) -> Result<(String, String), String> {
    let (field, value) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not field=value"))?;
    let field = field.trim();
    if field.is_empty()
        || !field
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        return Err(format!("`{field}` is not a field name"));
    }
    Ok((field.to_owned(), value.to_owned()))
}

/// Edits fields in one request.
pub(crate) async fn run(ctx: &Context, args: EditArgs) -> Result<(), CliError> {
    let item = fetch(ctx, &args.id).await?;
    let (section, kind) = section_and_type(&item)?;
    check_fields(&args.fields, kind)?;
    ctx.client()?
        .edit_fields(
            &section,
            kind,
            std::slice::from_ref(&args.id),
            &args.fields,
            args.lock,
        )
        .await?;
    if ctx.json {
        let fields: serde_json::Map<String, serde_json::Value> = args
            .fields
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().into()))
            .collect();
        return print_json(&json!({ "id": args.id, "fields": fields, "locked": args.lock }));
    }
    let names: Vec<&str> = args.fields.iter().map(|(k, _)| k.as_str()).collect();
    let lock = if args.lock { " and locked" } else { "" };
    outln!("Set{lock} {} on item {}.", names.join(", "), args.id);
    Ok(())
}

/// Refuses fields the item's type has no editor for, and values whose
/// format Plex would reject, before any write: all problems in one error.
fn check_fields(
    fields: &[(String, String)],
    kind: crate::plex::model::MediaType,
) -> Result<(), CliError> {
    let allowed = crate::plex::request::editable_fields(kind);
    let mut problems = Vec::new();
    for (field, value) in fields {
        if !allowed.contains(&field.as_str()) {
            let hint = crate::diag::did_you_mean(field, allowed.iter().copied())
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            problems.push(format!(
                "`{field}` is not an editable field of a {kind}{hint}"
            ));
        } else if let Err(e) = crate::plex::request::check_field_value(field, value) {
            problems.push(e);
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(CliError::Usage(format!(
        "{}; nothing was changed. A {kind} has: {}",
        problems.join("; "),
        allowed.join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::parse_assignment;

    #[test]
    fn assignments_split_at_the_first_equals() {
        assert_eq!(
            parse_assignment("summary=a=b & c").unwrap(),
            ("summary".to_string(), "a=b & c".to_string())
        );
        assert!(parse_assignment("noequals").is_err());
        assert!(parse_assignment("=x").is_err());
        assert!(parse_assignment("ti tle=x").is_err());
    }
}

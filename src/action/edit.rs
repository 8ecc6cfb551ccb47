//! `edit`: read the item, send ONE `PUT` with only the fields that differ,
//! and lock what it sets.

use std::collections::BTreeMap;

use super::outcome::Step;
use super::{ActionOutcome, Call, current};
use crate::plex::request;

/// Sets `fields` on item `id`. A field is sent when its value differs, or
/// when `lock` is asked and it is not locked yet (its value is re-sent with
/// the lock: Plex takes both in one request). Nothing to send → skipped.
pub(crate) async fn edit(
    call: &Call<'_>,
    id: &str,
    fields: &BTreeMap<String, String>,
    lock: bool,
) -> Step {
    let now = current::fetch(call, id).await?;
    let changed: Vec<(String, String)> = fields
        .iter()
        .filter(|(name, value)| now.field(name) != **value || (lock && !now.item.is_locked(name)))
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    if changed.is_empty() {
        return Err(ActionOutcome::skipped("already up to date").into());
    }
    let (section, kind) = now.section_and_type()?;
    call.touch_item(id);
    let req = request::edit_fields(&section, kind, &[id.to_owned()], &changed, lock);
    call.send(&req).await?;
    let names: Vec<&str> = changed.iter().map(|(n, _)| n.as_str()).collect();
    let locked = if lock { " and locked" } else { "" };
    Ok(format!("set{locked} {}", names.join(", ")))
}

//! `tags`: add, remove or set tag lists (genre, director, writer, collection,
//! label). Plex replaces a whole list with what is sent, so adding re-sends
//! the existing tags; lists that would not change are left out, and all
//! changed lists go in one `PUT`.

use std::collections::BTreeMap;

use super::outcome::Step;
use super::{ActionOutcome, Call, current};
use crate::plex::request::{self, TagKind, TagOp};
use crate::rules::TagChange;

/// Applies `change` with `tags` (by kind) to item `id`; skipped when every
/// list already is as asked.
pub(crate) async fn tags(
    call: &Call<'_>,
    id: &str,
    change: TagChange,
    tags: &BTreeMap<String, Vec<String>>,
) -> Step {
    let mut kinds = Vec::new();
    for (name, list) in tags {
        let kind: TagKind = name
            .parse()
            .map_err(|e: String| ActionOutcome::refused(e))?;
        kinds.push((kind, list));
    }
    let now = current::fetch(call, id).await?;
    let (section, media) = now.section_and_type()?;
    let op = match change {
        TagChange::Add => TagOp::Add,
        TagChange::Remove => TagOp::Remove,
        TagChange::Set => TagOp::Set,
    };
    let mut merged: Option<request::PlexRequest> = None;
    let mut changed = Vec::new();
    for (kind, wanted) in kinds {
        let existing = now.item.tags(kind);
        let Some(effective) = needed(op, &existing, wanted) else {
            continue;
        };
        let one = request::edit_tags(
            &section,
            media,
            id,
            &request::TagChange::new(kind, op, effective),
            &existing,
            true,
        );
        changed.push(kind.param());
        merged = Some(match merged {
            // Same endpoint, same `type` and `id`: append this list's pairs.
            Some(mut req) => {
                req.query.extend(
                    one.query
                        .into_iter()
                        .filter(|(k, _)| k != "type" && k != "id"),
                );
                req
            }
            None => one,
        });
    }
    let Some(req) = merged else {
        return Err(ActionOutcome::skipped("already up to date").into());
    };
    call.touch_item(id);
    call.send(&req).await?;
    Ok(format!("{} {}", op_word(op), changed.join(", ")))
}

/// The tags to send for one list, or `None` when it would not change.
fn needed(op: TagOp, existing: &[String], wanted: &[String]) -> Option<Vec<String>> {
    let has = |t: &String| existing.iter().any(|e| e.eq_ignore_ascii_case(t));
    match op {
        TagOp::Add => {
            let new: Vec<String> = wanted.iter().filter(|t| !has(t)).cloned().collect();
            (!new.is_empty()).then_some(new)
        }
        TagOp::Remove => {
            let present: Vec<String> = wanted.iter().filter(|t| has(t)).cloned().collect();
            (!present.is_empty()).then_some(present)
        }
        TagOp::Set => {
            let same = existing.len() == wanted.len()
                && wanted.iter().all(has)
                && existing
                    .iter()
                    .all(|e| wanted.iter().any(|w| w.eq_ignore_ascii_case(e)));
            (!same).then(|| wanted.to_vec())
        }
    }
}

fn op_word(op: TagOp) -> &'static str {
    match op {
        TagOp::Add => "added to",
        TagOp::Remove => "removed from",
        TagOp::Set => "set",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn lists_that_would_not_change_are_left_out() {
        let have = s(&["Action", "Drama"]);
        assert_eq!(needed(TagOp::Add, &have, &s(&["action"])), None);
        assert_eq!(
            needed(TagOp::Add, &have, &s(&["Drama", "Noir"])),
            Some(s(&["Noir"]))
        );
        assert_eq!(needed(TagOp::Remove, &have, &s(&["Noir"])), None);
        assert_eq!(needed(TagOp::Set, &have, &s(&["drama", "action"])), None);
        assert_eq!(
            needed(TagOp::Set, &have, &s(&["Action"])),
            Some(s(&["Action"]))
        );
    }
}

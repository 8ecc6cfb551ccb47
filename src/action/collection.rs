//! `collection`: put the event's item in a collection by title (created on
//! first use, of the item's type), take it out, or keep a smart collection
//! of a filter. Each change is made only when needed, so the action can run
//! again and again; one lock per section and title keeps two runs from
//! creating the same collection twice.

use super::outcome::Step;
use super::{ActionOutcome, Call};
use crate::plex::client::CollectionContent;
use crate::plex::model::{Item, MediaType};
use crate::rules::CollectionChange;

/// Applies `change` to collection `title`.
pub(crate) async fn collection(
    call: &Call<'_>,
    item: Option<&str>,
    section: Option<&str>,
    title: &str,
    change: &CollectionChange,
) -> Step {
    match (change, item) {
        (CollectionChange::Smart { filter }, _) => {
            let section = section.unwrap_or_default();
            smart(call, section, title, filter).await
        }
        (_, Some(item)) => membership(call, item, section, title, change).await,
        (_, None) => Err(ActionOutcome::refused("`collection` needs an item").into()),
    }
}

async fn membership(
    call: &Call<'_>,
    id: &str,
    section: Option<&str>,
    title: &str,
    change: &CollectionChange,
) -> Step {
    let Some(item) = call.client().item(id).await? else {
        return Err(ActionOutcome::skipped(format!("item {id} is gone")).into());
    };
    call.count(1);
    let Some(section) = section
        .map(str::to_owned)
        .or(item.library_section_id.clone())
    else {
        return Err(ActionOutcome::refused(format!("item {id} has no library section")).into());
    };
    let _lock = call
        .exec()
        .pacing
        .exclusive(&format!("collection:{section}:{title}"))
        .await;
    let inside = item.collections.iter().any(|c| c.tag == title);
    let adding = *change == CollectionChange::Add;
    if inside == adding {
        let state = if adding { "already in" } else { "not in" };
        return Err(ActionOutcome::skipped(format!("item {id} is {state} \"{title}\"")).into());
    }
    let existing = find(call, &section, title).await?;
    call.touch_item(id);
    match (existing, adding) {
        (Some(c), true) => {
            call.count(2);
            call.client()
                .add_to_collection(&c.rating_key, &[id.to_owned()])
                .await?;
            Ok(format!("item {id} added to \"{title}\""))
        }
        (None, true) => {
            let kind = item.media_type().unwrap_or(MediaType::Movie);
            call.count(2);
            let created = call
                .client()
                .create_collection(
                    &section,
                    kind,
                    title,
                    &CollectionContent::Items(vec![id.to_owned()]),
                )
                .await?;
            let cid = created.map(|c| c.rating_key).unwrap_or_default();
            Ok(format!(
                "collection \"{title}\" ({cid}) created with item {id}"
            ))
        }
        (Some(c), false) => {
            call.count(1);
            call.client()
                .remove_from_collection(&c.rating_key, id)
                .await?;
            Ok(format!("item {id} removed from \"{title}\""))
        }
        (None, false) => {
            Err(ActionOutcome::skipped(format!("there is no collection \"{title}\"")).into())
        }
    }
}

async fn smart(call: &Call<'_>, section: &str, title: &str, filter: &str) -> Step {
    let _lock = call
        .exec()
        .pacing
        .exclusive(&format!("collection:{section}:{title}"))
        .await;
    if find(call, section, title).await?.is_some() {
        return Err(ActionOutcome::skipped(format!("collection \"{title}\" exists")).into());
    }
    let Some(found) = call.client().section(section).await? else {
        return Err(ActionOutcome::skipped(format!("section {section} is gone")).into());
    };
    call.count(1);
    let kind = found.media_type().unwrap_or(MediaType::Movie);
    call.touch_section(section);
    call.count(2);
    let created = call
        .client()
        .create_collection(
            section,
            kind,
            title,
            &CollectionContent::Smart(filter.to_owned()),
        )
        .await?;
    let cid = created.map(|c| c.rating_key).unwrap_or_default();
    Ok(format!("smart collection \"{title}\" ({cid}) created"))
}

/// The section's collection titled `title`, if there is one.
async fn find(
    call: &Call<'_>,
    section: &str,
    title: &str,
) -> Result<Option<Item>, super::outcome::Stop> {
    call.count(1);
    let list = crate::plex::client::found(call.client().collections(section).await)?;
    Ok(list
        .unwrap_or_default()
        .into_iter()
        .find(|c| c.title == title))
}

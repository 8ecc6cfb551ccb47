//! Reading the item an action is about to change: its typed form (section,
//! type, tags, files, locks) and its raw JSON (any field by name, for
//! `edit`'s diff).

use serde::Deserialize;

use super::ActionOutcome;
use super::Call;
use super::outcome::Stop;
use crate::plex::model::{Envelope, Item, MediaType};
use crate::plex::request;

/// The item as Plex has it now.
pub(crate) struct Current {
    /// Typed.
    pub(crate) item: Item,
    /// The raw `Metadata[0]` object.
    pub(crate) raw: serde_json::Value,
}

impl Current {
    /// The section id and type the edit endpoint needs.
    pub(crate) fn section_and_type(&self) -> Result<(String, MediaType), Stop> {
        let id = &self.item.rating_key;
        let section =
            self.item.library_section_id.clone().ok_or_else(|| {
                ActionOutcome::refused(format!("item {id} has no library section"))
            })?;
        let kind = self.item.media_type().ok_or_else(|| {
            ActionOutcome::refused(format!(
                "item {id} has type `{}`, which cannot be edited",
                self.item.kind
            ))
        })?;
        Ok((section, kind))
    }

    /// A field's current value as text (`year: 2001` → `"2001"`); empty
    /// when the item does not have it.
    pub(crate) fn field(&self, name: &str) -> String {
        match self.raw.get(name) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        }
    }
}

/// The item as Plex has it: the daemon's snapshot while no event said it
/// changed since it was read, else `GET /library/metadata/{id}`. A missing
/// item is skipped as gone.
pub(crate) async fn fetch(call: &Call<'_>, id: &str) -> Result<Current, Stop> {
    if let Some(raw) = call.snapshots().and_then(|s| s.get(id)) {
        return typed(raw.as_ref().clone(), &request::item(id));
    }
    read(call, id).await
}

/// The item for its section and type only, which no change moves: any
/// read of it will do, however old.
pub(crate) async fn placement(call: &Call<'_>, id: &str) -> Result<Current, Stop> {
    if let Some(raw) = call.snapshots().and_then(|s| s.last(id)) {
        return typed(raw.as_ref().clone(), &request::item(id));
    }
    read(call, id).await
}

/// `GET /library/metadata/{id}`, kept as the item's snapshot.
async fn read(call: &Call<'_>, id: &str) -> Result<Current, Stop> {
    let req = request::item(id);
    let begun = call.snapshots().map(|s| s.begin(id));
    let resp = call.send(&req).await?;
    let env: Envelope<serde_json::Value> = resp.json(&req.endpoint())?;
    let Some(raw) = env.container.metadata.into_iter().next() else {
        return Err(ActionOutcome::skipped(format!("item {id} is gone")).into());
    };
    if let (Some(snaps), Some(begun)) = (call.snapshots(), begun) {
        snaps.offer(id, begun, std::sync::Arc::new(raw.clone()));
    }
    typed(raw, &req)
}

fn typed(raw: serde_json::Value, req: &crate::plex::PlexRequest) -> Result<Current, Stop> {
    let item = Item::deserialize(&raw).map_err(|e| {
        Stop::Plex(crate::plex::PlexError::BadJson {
            endpoint: req.endpoint(),
            detail: e.to_string(),
        })
    })?;
    Ok(Current { item, raw })
}

//! Field edits, locks and tag lists.

use super::PlexClient;
use crate::plex::error::PlexError;
use crate::plex::model::MediaType;
use crate::plex::request::{self, TagChange, TagKind, TagOp};

impl PlexClient {
    /// Sets fields on one or more items of one type in one request;
    /// `lock` also locks them against agent refreshes.
    pub async fn edit_fields(
        &self,
        section: &str,
        kind: MediaType,
        ids: &[String],
        fields: &[(String, String)],
        lock: bool,
    ) -> Result<(), PlexError> {
        self.send(&request::edit_fields(section, kind, ids, fields, lock))
            .await
    }

    /// Locks or unlocks fields without changing them.
    pub async fn lock_fields(
        &self,
        section: &str,
        kind: MediaType,
        ids: &[String],
        fields: &[&str],
        locked: bool,
    ) -> Result<(), PlexError> {
        self.send(&request::lock_fields(section, kind, ids, fields, locked))
            .await
    }

    /// Changes one tag list. Adding reads the item first, because Plex
    /// replaces the whole list with what is sent. Tags end up locked.
    pub async fn edit_tags(
        &self,
        section: &str,
        kind: MediaType,
        id: &str,
        tag: TagKind,
        op: TagOp,
        tags: &[String],
    ) -> Result<(), PlexError> {
        let existing = match op {
            TagOp::Add | TagOp::Set => match self.item(id).await? {
                Some(item) => item.tags(tag),
                None => {
                    return Err(PlexError::NotFound {
                        what: format!("item {id}"),
                    });
                }
            },
            TagOp::Remove => Vec::new(),
        };
        let change = TagChange::new(tag, op, tags.to_vec());
        let req = request::edit_tags(section, kind, id, &change, &existing, true);
        self.send(&req).await
    }
}

//! The `uploads` table: artwork bytes already sent to an item.
//!
//! `POST /library/metadata/{id}/posters` is not idempotent: every upload adds
//! another poster that the Plex UI cannot delete. Remembering the SHA-1 of
//! what was sent per item and kind lets the upload actions skip identical
//! bytes, including after a restart.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::error::JournalError;
use super::store::{Store, to_sql_int};
use crate::engine::Millis;

/// Which artwork slot of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UploadKind {
    /// `…/posters`.
    Poster,
    /// `…/arts` (background, "fanart").
    Art,
}

impl UploadKind {
    /// The column value.
    pub fn as_str(self) -> &'static str {
        match self {
            UploadKind::Poster => "poster",
            UploadKind::Art => "art",
        }
    }
}

impl Store {
    /// Whether these bytes (by SHA-1, hex) were already uploaded to the item's slot.
    pub fn upload_seen(
        &self,
        item: &str,
        kind: UploadKind,
        sha1: &str,
    ) -> Result<bool, JournalError> {
        let hit: Option<i64> = self
            .conn
            .query_row(
                "SELECT 1 FROM uploads WHERE item = ?1 AND kind = ?2 AND sha1 = ?3",
                params![item, kind.as_str(), sha1],
                |row| row.get(0),
            )
            .optional()?;
        Ok(hit.is_some())
    }

    /// Records an upload Plex accepted.
    pub fn upload_record(
        &mut self,
        item: &str,
        kind: UploadKind,
        sha1: &str,
        now: Millis,
    ) -> Result<(), JournalError> {
        self.conn.execute(
            "INSERT INTO uploads (item, kind, sha1, uploaded_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (item, kind, sha1) DO UPDATE SET uploaded_at = excluded.uploaded_at",
            params![item, kind.as_str(), sha1, to_sql_int(now.0)],
        )?;
        Ok(())
    }
}

//! The `intake_requests` and `intake_items` tables: every request the HTTP
//! intake accepted, and each of its paths on the way into Plex.
//!
//! A request is written whole, in one transaction, before the intake answers
//! (202/200), so an accepted request survives `kill -9`. Each item moves
//! `queued → scanning → in_plex → applying → done`, or ends `absent` or
//! `failed`; every move is one committed update, so a restart resumes each
//! item from its last state. The request's state follows from its items:
//! `queued` until one moves, `working`, then `done` (all done), `failed`
//! (none done) or `partial`.
//!
//! What an item asks for (ids, metadata, artwork) is stored as opaque JSON
//! (`spec`): the journal keeps it, the intake reads it.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::error::JournalError;
use super::store::{Store, from_sql_int, to_sql_int};

/// An item's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemState {
    /// Accepted, waiting for its file to settle and its scan.
    Queued,
    /// Its folder's scan was asked for.
    Scanning,
    /// Plex has an item with this file (or, for a delete, no longer has one).
    InPlex,
    /// The request's match, edits and artwork are being applied.
    Applying,
    /// Finished.
    Done,
    /// The scan ended and Plex has no item with this file.
    Absent,
    /// An error stopped it.
    Failed,
}

impl ItemState {
    /// The column value.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::Queued => "queued",
            ItemState::Scanning => "scanning",
            ItemState::InPlex => "in_plex",
            ItemState::Applying => "applying",
            ItemState::Done => "done",
            ItemState::Absent => "absent",
            ItemState::Failed => "failed",
        }
    }

    /// The state named `s`.
    pub fn parse(s: &str) -> Option<ItemState> {
        Some(match s {
            "queued" => ItemState::Queued,
            "scanning" => ItemState::Scanning,
            "in_plex" => ItemState::InPlex,
            "applying" => ItemState::Applying,
            "done" => ItemState::Done,
            "absent" => ItemState::Absent,
            "failed" => ItemState::Failed,
            _ => return None,
        })
    }

    /// True for `done`, `absent` and `failed`.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ItemState::Done | ItemState::Absent | ItemState::Failed
        )
    }
}

/// A request's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// No item has moved yet.
    Queued,
    /// Some items are on their way.
    Working,
    /// Every item is done.
    Done,
    /// Some items are done, others absent or failed.
    Partial,
    /// No item is done.
    Failed,
}

impl RequestState {
    /// The column value.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Queued => "queued",
            RequestState::Working => "working",
            RequestState::Done => "done",
            RequestState::Partial => "partial",
            RequestState::Failed => "failed",
        }
    }

    /// The state named `s`.
    pub fn parse(s: &str) -> Option<RequestState> {
        Some(match s {
            "queued" => RequestState::Queued,
            "working" => RequestState::Working,
            "done" => RequestState::Done,
            "partial" => RequestState::Partial,
            "failed" => RequestState::Failed,
            _ => return None,
        })
    }

    /// True once every item is final.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            RequestState::Done | RequestState::Partial | RequestState::Failed
        )
    }

    /// What a request with items in `states` is in.
    pub fn of(states: impl IntoIterator<Item = ItemState>) -> RequestState {
        let (mut all, mut done, mut fin, mut moved) = (0, 0, 0, false);
        for s in states {
            all += 1;
            done += usize::from(s == ItemState::Done);
            fin += usize::from(s.is_final());
            moved |= s != ItemState::Queued;
        }
        match () {
            () if fin < all && moved => RequestState::Working,
            () if fin < all => RequestState::Queued,
            () if done == all => RequestState::Done,
            () if done == 0 => RequestState::Failed,
            () => RequestState::Partial,
        }
    }
}

/// A request to write: all of it goes in at once.
#[derive(Debug, Clone)]
pub struct NewRequest {
    /// Its id, given by the intake (returned to the caller).
    pub id: String,
    /// Who sent it: `sync`, `radarr`, `sonarr`, `manual`, `plex`…
    pub source: String,
    /// Where its final status is POSTed, when asked.
    pub callback: Option<String>,
    /// Its paths.
    pub items: Vec<NewItem>,
}

/// One path of a [`NewRequest`].
#[derive(Debug, Clone)]
pub struct NewItem {
    /// The local path (file or folder) as the sender named it.
    pub path: String,
    /// What the intake stores about it (JSON), read back unchanged.
    pub spec: String,
}

/// A stored request with its items.
#[derive(Debug, Clone, Serialize)]
pub struct RequestRecord {
    pub id: String,
    pub source: String,
    pub state: RequestState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback: Option<String>,
    /// Epoch milliseconds.
    pub created_at: u64,
    pub updated_at: u64,
    pub items: Vec<ItemRecord>,
}

/// A stored item.
#[derive(Debug, Clone, Serialize)]
pub struct ItemRecord {
    /// Its place in the request, from 0.
    pub index: u32,
    pub path: String,
    pub state: ItemState,
    /// The Plex item, once known.
    pub rating_key: Option<String>,
    /// Why it is absent or failed, or what was done.
    pub detail: Option<String>,
    /// Scans asked for it so far.
    pub scans: u32,
    #[serde(skip)]
    pub spec: String,
    pub updated_at: u64,
}

/// One item's move to a new state.
#[derive(Debug, Clone)]
pub struct ItemUpdate {
    pub request_id: String,
    pub index: u32,
    pub state: ItemState,
    /// Set when `Some`; kept otherwise.
    pub rating_key: Option<String>,
    /// Replaces the detail when `Some`.
    pub detail: Option<String>,
    /// Count one more scan.
    pub scanned: bool,
}

impl Store {
    /// Writes a request and its items in one transaction.
    pub fn intake_insert(&mut self, req: &NewRequest, now: u64) -> Result<(), JournalError> {
        let tx = self.conn.transaction()?;
        let now = to_sql_int(now);
        let state = if req.items.is_empty() {
            RequestState::Done
        } else {
            RequestState::Queued
        };
        tx.execute(
            "INSERT INTO intake_requests (id, source, state, callback, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            params![req.id, req.source, state.as_str(), req.callback, now],
        )?;
        {
            let mut ins = tx.prepare_cached(
                "INSERT INTO intake_items (request_id, idx, path, spec, state, scans, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 'queued', 0, ?5)",
            )?;
            for (i, item) in req.items.iter().enumerate() {
                ins.execute(params![req.id, i as i64, item.path, item.spec, now])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Moves one item; returns the request's state after the move.
    pub fn intake_update(
        &mut self,
        u: &ItemUpdate,
        now: u64,
    ) -> Result<RequestState, JournalError> {
        let tx = self.conn.transaction()?;
        let now = to_sql_int(now);
        tx.execute(
            "UPDATE intake_items SET state = ?3,
                 rating_key = COALESCE(?4, rating_key),
                 detail = COALESCE(?5, detail),
                 scans = scans + ?6,
                 updated_at = ?7
             WHERE request_id = ?1 AND idx = ?2",
            params![
                u.request_id,
                i64::from(u.index),
                u.state.as_str(),
                u.rating_key,
                u.detail,
                i64::from(u.scanned),
                now
            ],
        )?;
        let states: Vec<ItemState> = {
            let mut q =
                tx.prepare_cached("SELECT state FROM intake_items WHERE request_id = ?1")?;
            q.query_map([&u.request_id], |r| r.get::<_, String>(0))?
                .filter_map(|s| s.ok().and_then(|s| ItemState::parse(&s)))
                .collect()
        };
        let state = RequestState::of(states);
        tx.execute(
            "UPDATE intake_requests SET state = ?2, updated_at = ?3 WHERE id = ?1",
            params![u.request_id, state.as_str(), now],
        )?;
        tx.commit()?;
        Ok(state)
    }

    /// One request with its items.
    pub fn intake_get(&self, id: &str) -> Result<Option<RequestRecord>, JournalError> {
        let head = self
            .conn
            .query_row(
                "SELECT id, source, state, callback, created_at, updated_at
                 FROM intake_requests WHERE id = ?1",
                [id],
                read_head,
            )
            .optional()?;
        let Some(mut req) = head else {
            return Ok(None);
        };
        req.items = self.intake_items(id)?;
        Ok(Some(req))
    }

    /// Requests, newest first, optionally only those in `state`; at most `limit`.
    pub fn intake_list(
        &self,
        state: Option<RequestState>,
        limit: usize,
    ) -> Result<Vec<RequestRecord>, JournalError> {
        let mut q = self.conn.prepare_cached(
            "SELECT id, source, state, callback, created_at, updated_at FROM intake_requests
             WHERE ?1 IS NULL OR state = ?1 ORDER BY created_at DESC, rowid DESC LIMIT ?2",
        )?;
        let heads: Vec<RequestRecord> = q
            .query_map(
                params![state.map(RequestState::as_str), limit as i64],
                read_head,
            )?
            .collect::<Result<_, _>>()?;
        heads
            .into_iter()
            .map(|mut r| {
                r.items = self.intake_items(&r.id)?;
                Ok(r)
            })
            .collect()
    }

    /// Requests not final yet, oldest first: what a restart resumes.
    pub fn intake_unfinished(&self) -> Result<Vec<RequestRecord>, JournalError> {
        let mut q = self.conn.prepare_cached(
            "SELECT id, source, state, callback, created_at, updated_at FROM intake_requests
             WHERE state IN ('queued', 'working') ORDER BY created_at, rowid",
        )?;
        let heads: Vec<RequestRecord> = q.query_map([], read_head)?.collect::<Result<_, _>>()?;
        heads
            .into_iter()
            .map(|mut r| {
                r.items = self.intake_items(&r.id)?;
                Ok(r)
            })
            .collect()
    }

    fn intake_items(&self, id: &str) -> Result<Vec<ItemRecord>, JournalError> {
        let mut q = self.conn.prepare_cached(
            "SELECT idx, path, state, rating_key, detail, scans, spec, updated_at
             FROM intake_items WHERE request_id = ?1 ORDER BY idx",
        )?;
        let rows = q.query_map([id], |r| {
            Ok(ItemRecord {
                index: u32::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                path: r.get(1)?,
                state: ItemState::parse(&r.get::<_, String>(2)?).unwrap_or(ItemState::Failed),
                rating_key: r.get(3)?,
                detail: r.get(4)?,
                scans: u32::try_from(r.get::<_, i64>(5)?).unwrap_or(0),
                spec: r.get(6)?,
                updated_at: from_sql_int(r.get(7)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn read_head(r: &rusqlite::Row<'_>) -> rusqlite::Result<RequestRecord> {
    Ok(RequestRecord {
        id: r.get(0)?,
        source: r.get(1)?,
        state: RequestState::parse(&r.get::<_, String>(2)?).unwrap_or(RequestState::Failed),
        callback: r.get(3)?,
        created_at: from_sql_int(r.get(4)?),
        updated_at: from_sql_int(r.get(5)?),
        items: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(id: &str, paths: &[&str]) -> NewRequest {
        NewRequest {
            id: id.into(),
            source: "sync".into(),
            callback: Some("http://127.0.0.1:1/cb".into()),
            items: paths
                .iter()
                .map(|p| NewItem {
                    path: (*p).into(),
                    spec: "{}".into(),
                })
                .collect(),
        }
    }

    fn update(id: &str, index: u32, state: ItemState) -> ItemUpdate {
        ItemUpdate {
            request_id: id.into(),
            index,
            state,
            rating_key: None,
            detail: None,
            scanned: false,
        }
    }

    #[test]
    fn a_request_is_done_partial_or_failed_once_every_item_is_final() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(dir.path()).unwrap();
        s.intake_insert(&request("a", &["/m/x.mkv", "/m/y.mkv"]), 1)
            .unwrap();
        assert_eq!(
            s.intake_get("a").unwrap().unwrap().state,
            RequestState::Queued
        );
        let mut u = update("a", 0, ItemState::Scanning);
        u.scanned = true;
        assert_eq!(s.intake_update(&u, 2).unwrap(), RequestState::Working);
        let mut u = update("a", 0, ItemState::Done);
        u.rating_key = Some("42".into());
        assert_eq!(s.intake_update(&u, 3).unwrap(), RequestState::Working);
        let mut u = update("a", 1, ItemState::Absent);
        u.detail = Some("the scan ended without it".into());
        assert_eq!(s.intake_update(&u, 4).unwrap(), RequestState::Partial);
        let r = s.intake_get("a").unwrap().unwrap();
        assert_eq!(r.items[0].rating_key.as_deref(), Some("42"));
        assert_eq!(r.items[0].scans, 1);
        assert_eq!(
            r.items[1].detail.as_deref(),
            Some("the scan ended without it")
        );
        assert!(s.intake_unfinished().unwrap().is_empty());
        s.intake_insert(&request("b", &["/m/z.mkv"]), 5).unwrap();
        assert_eq!(s.intake_unfinished().unwrap()[0].id, "b");
        let listed = s.intake_list(Some(RequestState::Partial), 10).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(s.intake_list(None, 10).unwrap()[0].id, "b", "newest first");
        assert_eq!(
            s.intake_update(&update("b", 0, ItemState::Failed), 6)
                .unwrap(),
            RequestState::Failed
        );
    }
}

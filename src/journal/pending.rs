//! The `pending_events` table: events a rule may act on, kept from the
//! moment the daemon took them until the rules' triggers for them are in
//! the `runs` table.
//!
//! Interpreting such an event needs its item's metadata, one read from
//! Plex that can fail (a 500, a 429, Plex restarting). The event is written
//! here first, so a failed read only delays it, and a daemon that dies
//! before the read replays it at the next start. Rows are few and short
//! lived: a burst of new items is one row per event until the batched read
//! that covers them answers.

use rusqlite::params;

use super::error::JournalError;
use super::store::{Store, from_sql_int, to_sql_int};
use crate::engine::Millis;
use crate::event::Event;

/// Row id of a pending event.
pub type PendingId = u64;

impl Store {
    /// Keeps `events`, in order, in one transaction; returns their row ids.
    pub fn pending_add(
        &mut self,
        events: &[Event],
        now: Millis,
    ) -> Result<Vec<PendingId>, JournalError> {
        let tx = self.conn.transaction()?;
        let mut ids = Vec::with_capacity(events.len());
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO pending_events (item, event, created_at) VALUES (?1, ?2, ?3)",
            )?;
            for event in events {
                let json =
                    serde_json::to_string(event).map_err(|source| JournalError::EncodeEvent {
                        event: event.id.clone(),
                        source,
                    })?;
                let item = event.item.as_ref().map(|i| i.id.as_str());
                insert.execute(params![item, json, to_sql_int(now.0)])?;
                ids.push(from_sql_int(tx.last_insert_rowid()));
            }
        }
        tx.commit()?;
        Ok(ids)
    }

    /// Forgets the rows whose triggers the engine has acknowledged.
    pub fn pending_remove(&mut self, ids: &[PendingId]) -> Result<(), JournalError> {
        let tx = self.conn.transaction()?;
        {
            let mut delete = tx.prepare_cached("DELETE FROM pending_events WHERE id = ?1")?;
            for id in ids {
                delete.execute([to_sql_int(*id)])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Every pending event, oldest first, for the replay at start. A row
    /// this binary cannot read back (hand-edited, or written by a build
    /// whose events had another shape) is logged and deleted: it could
    /// never be interpreted, and it must not hold the others up.
    pub fn pending_all(&mut self) -> Result<Vec<(PendingId, Event)>, JournalError> {
        let rows: Vec<(i64, String)> = {
            let mut stmt = self
                .conn
                .prepare("SELECT id, event FROM pending_events ORDER BY id")?;
            stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect::<Result<_, _>>()?
        };
        let mut out = Vec::with_capacity(rows.len());
        let mut unreadable = Vec::new();
        for (id, json) in rows {
            let id = from_sql_int(id);
            match serde_json::from_str::<Event>(&json) {
                Ok(event) => out.push((id, event)),
                Err(e) => {
                    tracing::warn!(row = id, error = %e, "A pending event in the journal cannot be read back; dropping it.");
                    unreadable.push(id);
                }
            }
        }
        if !unreadable.is_empty() {
            self.pending_remove(&unreadable)?;
        }
        Ok(out)
    }

    /// How many events wait for their item's facts.
    pub fn pending_count(&self) -> Result<u64, JournalError> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM pending_events", [], |row| row.get(0))?;
        Ok(from_sql_int(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventName, ItemRef};

    fn event(item: &str) -> Event {
        let mut e = Event::new(EventName::ItemAdded);
        e.item = Some(ItemRef {
            id: item.into(),
            kind: Some("movie".into()),
            title: None,
            parent_id: None,
            grandparent_id: None,
        });
        e
    }

    #[test]
    fn pending_events_survive_a_reopen_in_order_until_removed() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (event("1"), event("2"), event("1"));
        let ids = {
            let mut store = Store::open(dir.path()).unwrap();
            store
                .pending_add(&[a.clone(), b.clone(), c.clone()], Millis(5))
                .unwrap()
        };
        assert_eq!(ids.len(), 3);
        let mut store = Store::open(dir.path()).unwrap();
        let back = store.pending_all().unwrap();
        assert_eq!(
            back.iter().map(|(_, e)| e.clone()).collect::<Vec<_>>(),
            vec![a, b, c.clone()]
        );
        store.pending_remove(&ids[..2]).unwrap();
        assert_eq!(store.pending_count().unwrap(), 1);
        assert_eq!(store.pending_all().unwrap(), vec![(ids[2], c)]);
    }

    #[test]
    fn an_unreadable_row_is_dropped_and_the_rest_replayed() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store
            .conn
            .execute(
                "INSERT INTO pending_events (item, event, created_at) VALUES ('9', '{not json', 0)",
                [],
            )
            .unwrap();
        let good = event("3");
        store
            .pending_add(std::slice::from_ref(&good), Millis(1))
            .unwrap();
        let back = store.pending_all().unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].1, good);
        assert_eq!(store.pending_count().unwrap(), 1);
    }
}

//! The `cooldowns` table: when a `(rule, key)` may run again.

use rusqlite::{Connection, OptionalExtension, params};

use super::error::JournalError;
use super::store::{Store, from_sql_int, to_sql_int};
use crate::engine::Millis;

impl Store {
    /// The cooldown of `(rule, key)` if it has not expired at `now`.
    pub fn cooldown_get(
        &self,
        rule: &str,
        key: &str,
        now: Millis,
    ) -> Result<Option<Millis>, JournalError> {
        let until: Option<i64> = self
            .conn
            .query_row(
                "SELECT until FROM cooldowns WHERE rule = ?1 AND key = ?2",
                params![rule, key],
                |row| row.get(0),
            )
            .optional()?;
        Ok(until.map(|u| Millis(from_sql_int(u))).filter(|u| *u > now))
    }

    /// Starts (or moves) the cooldown of `(rule, key)`.
    pub fn cooldown_set(
        &mut self,
        rule: &str,
        key: &str,
        until: Millis,
    ) -> Result<(), JournalError> {
        set(&self.conn, rule, key, until)
    }

    /// Every cooldown still running at `now`, for `Flow::restore_cooldown`;
    /// expired ones are deleted on the way.
    pub fn cooldowns_active(
        &mut self,
        now: Millis,
    ) -> Result<Vec<(String, String, Millis)>, JournalError> {
        self.conn.execute(
            "DELETE FROM cooldowns WHERE until <= ?1",
            [to_sql_int(now.0)],
        )?;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT rule, key, until FROM cooldowns ORDER BY rule, key")?;
        let rows = stmt.query_map([], |row| {
            Ok((row.get(0)?, row.get(1)?, Millis(from_sql_int(row.get(2)?))))
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }
}

/// Shared by [`Store::cooldown_set`] and the batched `Store::apply`.
pub(crate) fn set(
    conn: &Connection,
    rule: &str,
    key: &str,
    until: Millis,
) -> Result<(), JournalError> {
    conn.execute(
        "INSERT INTO cooldowns (rule, key, until) VALUES (?1, ?2, ?3)
         ON CONFLICT (rule, key) DO UPDATE SET until = excluded.until",
        params![rule, key, to_sql_int(until.0)],
    )?;
    Ok(())
}

//! The `watermarks` table: named resume points, such as the listener's
//! "recently added since" mark used to reconcile after a reconnect.

use rusqlite::{OptionalExtension, params};

use super::error::JournalError;
use super::store::Store;

impl Store {
    /// The value stored under `name`.
    pub fn watermark_get(&self, name: &str) -> Result<Option<String>, JournalError> {
        Ok(self
            .conn
            .query_row(
                "SELECT value FROM watermarks WHERE name = ?1",
                [name],
                |row| row.get(0),
            )
            .optional()?)
    }

    /// Stores `value` under `name`.
    pub fn watermark_set(&mut self, name: &str, value: &str) -> Result<(), JournalError> {
        self.conn.execute(
            "INSERT INTO watermarks (name, value) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            params![name, value],
        )?;
        Ok(())
    }
}

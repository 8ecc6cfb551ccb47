//! The journal's schema and its migrations, versioned by SQLite's `user_version`.
//!
//! Migrations only ever append: version N is the state after the first N
//! scripts. Each runs in an immediate transaction that re-reads the version,
//! so a `metarr-plex queue list` opening the file while the daemon starts
//! cannot apply one twice.

use rusqlite::{Connection, TransactionBehavior};

use super::error::JournalError;

/// The migration scripts, oldest first.
const MIGRATIONS: &[&str] = &[
    // 1: runs, cooldowns, upload hashes, watermarks.
    "
    CREATE TABLE runs (
        id          INTEGER PRIMARY KEY,
        rule        TEXT    NOT NULL,
        key         TEXT    NOT NULL,
        payload     TEXT    NOT NULL,
        spec        TEXT    NOT NULL,
        state       TEXT    NOT NULL CHECK (state IN ('pending', 'delayed', 'debounced',
                        'retrying', 'deferred', 'running', 'done', 'dead')),
        due_at      INTEGER,
        attempts    INTEGER NOT NULL DEFAULT 1,
        last_error  TEXT,
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL
    );
    CREATE INDEX runs_by_state ON runs (state, id);

    CREATE TABLE cooldowns (
        rule   TEXT    NOT NULL,
        key    TEXT    NOT NULL,
        until  INTEGER NOT NULL,
        PRIMARY KEY (rule, key)
    ) WITHOUT ROWID;

    CREATE TABLE uploads (
        item         TEXT    NOT NULL,
        kind         TEXT    NOT NULL CHECK (kind IN ('poster', 'art')),
        sha1         TEXT    NOT NULL,
        uploaded_at  INTEGER NOT NULL,
        PRIMARY KEY (item, kind, sha1)
    ) WITHOUT ROWID;

    CREATE TABLE watermarks (
        name   TEXT PRIMARY KEY,
        value  TEXT NOT NULL
    ) WITHOUT ROWID;
    ",
    // 2: the HTTP intake's requests and their items.
    "
    CREATE TABLE intake_requests (
        id          TEXT    PRIMARY KEY,
        source      TEXT    NOT NULL,
        state       TEXT    NOT NULL CHECK (state IN ('queued', 'working', 'done',
                        'partial', 'failed')),
        callback    TEXT,
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL
    );
    CREATE INDEX intake_requests_by_state ON intake_requests (state, created_at);

    CREATE TABLE intake_items (
        request_id  TEXT    NOT NULL REFERENCES intake_requests (id),
        idx         INTEGER NOT NULL,
        path        TEXT    NOT NULL,
        spec        TEXT    NOT NULL,
        state       TEXT    NOT NULL CHECK (state IN ('queued', 'scanning', 'in_plex',
                        'applying', 'done', 'absent', 'failed')),
        rating_key  TEXT,
        detail      TEXT,
        scans       INTEGER NOT NULL DEFAULT 0,
        updated_at  INTEGER NOT NULL,
        PRIMARY KEY (request_id, idx)
    ) WITHOUT ROWID;
    ",
    // 3: events a rule may act on whose item facts are not read yet.
    "
    CREATE TABLE pending_events (
        id          INTEGER PRIMARY KEY,
        item        TEXT,
        event       TEXT    NOT NULL,
        created_at  INTEGER NOT NULL
    );
    ",
];

/// The schema version this binary writes.
pub(crate) const CURRENT: i64 = MIGRATIONS.len() as i64;

/// Brings the database up to [`CURRENT`].
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), JournalError> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
        if version > CURRENT {
            return Err(JournalError::TooNew {
                found: version,
                supported: CURRENT,
            });
        }
        let Some(script) = usize::try_from(version)
            .ok()
            .and_then(|v| MIGRATIONS.get(v))
        else {
            return Ok(());
        };
        tx.execute_batch(script)?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
    }
}

//! The synchronous journal: one open SQLite connection and its settings.
//!
//! The daemon reaches it through the [`Journal`](super::Journal) thread; the
//! one-shot commands (`metarr-plex queue …`) and tests use it directly.
//!
//! Durability: WAL with `synchronous = NORMAL`. A transaction is in the WAL
//! file (in the OS page cache at least) before `COMMIT` returns, so a killed
//! process (`kill -9`, OOM, panic) loses nothing committed: the kernel still
//! writes those pages. Only a power cut or kernel crash can lose the last few
//! commits, never corrupt the file, and since WAL replays commits in order
//! what survives is a consistent prefix: the listener's watermark is never
//! ahead of the runs accepted before it, so reconciliation after such a
//! crash re-emits what the lost runs came from. `FULL` would add an fsync per
//! accepted trigger (milliseconds on a spinning disk, on the event path) for
//! that last case only.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

use super::error::JournalError;
use super::schema;

/// The file name inside the state directory.
pub const FILE_NAME: &str = "journal.sqlite3";

/// How long a statement waits for another process's write lock (the CLI and
/// the daemon share the file) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// An open journal.
#[derive(Debug)]
pub struct Store {
    pub(crate) conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) `journal.sqlite3` in `state_dir` and
    /// migrates it to the current schema.
    pub fn open(state_dir: &Path) -> Result<Store, JournalError> {
        std::fs::create_dir_all(state_dir).map_err(|source| JournalError::StateDir {
            path: state_dir.to_owned(),
            source,
        })?;
        let path = state_dir.join(FILE_NAME);
        let open_err = |source| JournalError::Open {
            path: path.clone(),
            source,
        };
        let mut conn = Connection::open(&path).map_err(open_err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(open_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(path = %path.display(), mode = %mode, "The journal could not switch to WAL mode; writes will be slower.");
        }
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        schema::migrate(&mut conn)?;
        Ok(Store { conn, path })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version this binary writes (for diagnostics).
    pub fn schema_version() -> i64 {
        schema::CURRENT
    }
}

/// Epoch ms (and ids) go into SQLite's signed 64-bit integers; values past
/// `i64::MAX` are centuries away and are clamped rather than wrapped.
pub(crate) fn to_sql_int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The reverse of [`to_sql_int`]; a negative value (hand-edited file) reads as 0.
pub(crate) fn from_sql_int(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

//! What can go wrong with the journal, by kind, so callers can tell a
//! missing state directory from a broken database from a stopped thread.

use std::path::PathBuf;

use crate::engine::RunId;

/// A journal failure.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The state directory could not be created.
    #[error(
        "Cannot create the state directory {path}: {source}. Check that it is writable by the service user."
    )]
    StateDir {
        /// The directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The database file could not be opened or set up.
    #[error("Cannot open the journal {path}: {source}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// The underlying error.
        source: rusqlite::Error,
    },
    /// The database was written by a newer metarr-plex.
    #[error(
        "The journal has schema version {found}, newer than this binary supports ({supported}); upgrade metarr-plex or move the journal aside."
    )]
    TooNew {
        /// The version in the file.
        found: i64,
        /// The newest version this binary knows.
        supported: i64,
    },
    /// A statement failed.
    #[error("Journal query failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A payload or spec could not be encoded as JSON.
    #[error("Cannot encode run {run_id} for the journal: {source}")]
    Encode {
        /// The run.
        run_id: RunId,
        /// The underlying error.
        source: serde_json::Error,
    },
    /// An event could not be encoded as JSON for the pending table.
    #[error("Cannot encode event {event} for the journal: {source}")]
    EncodeEvent {
        /// The event id.
        event: String,
        /// The underlying error.
        source: serde_json::Error,
    },
    /// The journal thread could not be started.
    #[error("Cannot start the journal thread: {0}")]
    Thread(std::io::Error),
    /// The journal thread is gone (the daemon is shutting down).
    #[error("The journal is closed.")]
    Closed,
}

//! One daemon per state dir: `run` holds an exclusive lock on
//! `daemon.lock` for its whole life, so `queue retry|drop` can refuse to
//! edit the journal under a running engine (whose memory would not see the
//! edit and whose next write could undo it).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The lock file's name in the state dir.
pub const LOCK_FILE: &str = "daemon.lock";

/// Held while the daemon runs; the lock goes with the file handle (also on `kill -9`).
#[derive(Debug)]
pub struct StateLock {
    _file: File,
    /// Where it is, for messages.
    pub path: PathBuf,
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it.
    #[error("another metarr-plex daemon uses the state dir {0} (lock held on {1})")]
    Held(String, String),
    /// The file could not be opened.
    #[error("cannot open the lock file {0}: {1}")]
    Io(String, std::io::Error),
}

impl StateLock {
    /// Takes the lock or says who has it.
    pub fn acquire(state_dir: &Path) -> Result<StateLock, LockError> {
        let path = state_dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| LockError::Io(path.display().to_string(), e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(LockError::Held(
                    state_dir.display().to_string(),
                    path.display().to_string(),
                ));
            }
            Err(TryLockError::Error(e)) => {
                return Err(LockError::Io(path.display().to_string(), e));
            }
        }
        // The pid is for people reading the file; the lock is what counts.
        let _ = file.set_len(0);
        let _ = writeln!(file, "{}", std::process::id());
        Ok(StateLock { _file: file, path })
    }

    /// True when a daemon holds the state dir's lock right now.
    pub fn is_held(state_dir: &Path) -> bool {
        matches!(StateLock::acquire(state_dir), Err(LockError::Held(..)))
    }
}

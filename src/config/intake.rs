//! `[intake]` as the daemon uses it (the key itself is read at start, by
//! [`crate::source::intake`]).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// `[intake]`: off unless `listen` is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeSettings {
    /// Where the HTTP intake listens; `None` turns it off.
    pub listen: Option<SocketAddr>,
    /// The file holding the key (`key_file`), after `$CREDENTIALS_DIRECTORY/intake-key`.
    pub key_file: Option<PathBuf>,
    /// A file is scanned only once it is at least this old: scanning a file
    /// that is still being copied is autoscan users' top complaint.
    pub min_age: Duration,
    /// …and its size has not changed for this long.
    pub stable_for: Duration,
}

impl Default for IntakeSettings {
    fn default() -> IntakeSettings {
        IntakeSettings {
            listen: None,
            key_file: None,
            min_age: Duration::from_secs(2),
            stable_for: Duration::from_secs(1),
        }
    }
}

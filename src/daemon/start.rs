//! Why the daemon could not start, by kind: the CLI turns each kind into
//! the exit code the README promises (2 for what the operator wrote wrong,
//! 1 for what went wrong around it).

use super::lock::LockError;
use crate::engine::StoreError;
use crate::journal::JournalError;
use crate::rules::ReloadError;
use crate::service::health::HealthError;
use crate::source::intake::IntakeStartError;
use crate::source::listener::ConnectError;

/// Why the daemon could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The state dir is another daemon's, or the lock file cannot be opened.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The journal could not be opened (a broken file, an unwritable dir).
    #[error("cannot open the journal: {0}")]
    Journal(#[from] JournalError),
    /// The journal opened but the accepted runs could not be read back.
    #[error("cannot restore the queued runs from the journal: {0}")]
    Restore(#[source] StoreError),
    /// The rules directory cannot be read or has errors (already reported
    /// with their places).
    #[error("the rules cannot be loaded: {0}")]
    Rules(#[from] ReloadError),
    /// Embedded rules (the demo) have errors.
    #[error("{0}")]
    EmbeddedRules(String),
    /// The server URL and notification path make no WebSocket URL.
    #[error("cannot listen to Plex: {0}")]
    Listener(#[source] ConnectError),
    /// The health endpoint could not bind its address.
    #[error(transparent)]
    Health(HealthError),
    /// The intake could not bind, or has no key where it needs one.
    #[error(transparent)]
    Intake(#[from] IntakeStartError),
}

impl StartError {
    /// True for what the operator wrote wrong (rules, the server URL):
    /// exit code 2. A held lock, a broken journal, a taken port or an
    /// unreachable Plex are not usage errors (exit code 1).
    pub fn is_usage(&self) -> bool {
        match self {
            StartError::Rules(_) | StartError::EmbeddedRules(_) | StartError::Listener(_) => true,
            // A key that is needed and missing is the operator's to fix; a
            // taken port or an unreadable key file is not a usage error.
            StartError::Intake(e) => matches!(e, IntakeStartError::KeyRequired { .. }),
            StartError::Lock(_)
            | StartError::Journal(_)
            | StartError::Restore(_)
            | StartError::Health(_) => false,
        }
    }
}

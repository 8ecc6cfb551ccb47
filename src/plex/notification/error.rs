//! Why a frame from the notification stream could not be read.

/// A frame (or one entry of it) that is not a notification we can read.
///
/// The listener counts these and logs once per [`FrameError::kind`], so a
/// server that sends the same odd frame every second does not flood the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The text is not JSON at all (garbage, truncated, binary).
    #[error("frame is not JSON ({0})")]
    NotJson(String),
    /// JSON, but neither `{"NotificationContainer":{…}}` nor a bare container.
    #[error("frame is not a notification container")]
    NoContainer,
    /// A container without a string `type`.
    #[error("notification container has no `type`")]
    NoType,
    /// A known type whose entries are missing (neither its child key nor `_children`).
    #[error("`{notification_type}` notification has no `{child_key}` entries")]
    MissingEntries {
        notification_type: String,
        child_key: &'static str,
    },
    /// The entries are neither a list nor a single object.
    #[error("`{notification_type}` entries are neither a list nor an object")]
    EntriesNotAList { notification_type: String },
    /// One entry of a known type lacks a required field or has one of the
    /// wrong type; the other entries of the frame are still readable.
    #[error("`{notification_type}` entry {index} has an unexpected shape: {reason}")]
    BadEntry {
        notification_type: String,
        index: usize,
        reason: String,
    },
}

impl FrameError {
    /// A stable, low-cardinality name for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            FrameError::NotJson(_) => "not_json",
            FrameError::NoContainer => "no_container",
            FrameError::NoType => "no_type",
            FrameError::MissingEntries { .. } => "missing_entries",
            FrameError::EntriesNotAList { .. } => "entries_not_a_list",
            FrameError::BadEntry { .. } => "bad_entry",
        }
    }
}

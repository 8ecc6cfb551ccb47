//! What the listener learned from REST after a (re)connect, in the shape the
//! normalizer compares with what it tracked from the stream.
//!
//! The listener maps `/status/sessions`, `/activities` and recently added
//! items into these; the normalizer decides which events were missed.

/// One entry of `/status/sessions`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveSession {
    /// `sessionKey`, the key `playing` frames use.
    pub session_key: String,
    /// The item played.
    pub rating_key: Option<String>,
    /// `Player.state`: `playing`, `paused`, `buffering`.
    pub state: String,
    /// `Player.machineIdentifier`; tells two players of one item apart.
    pub client_identifier: Option<String>,
    /// `librarySectionID`; `playing` frames never carry it, so it is kept
    /// for the session's later events.
    pub section_id: Option<String>,
    /// The item type (`movie`, `episode`…).
    pub kind: Option<String>,
    /// The item title.
    pub title: Option<String>,
    /// Position in milliseconds.
    pub view_offset_ms: Option<u64>,
}

/// One entry of `/activities`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveActivity {
    /// The activity uuid.
    pub uuid: String,
    /// `library.update.section`, `library.refresh.items`, …
    pub kind: String,
    /// `Context.librarySectionID`, for scans.
    pub section_id: Option<String>,
    /// The item id from `Context.key`, for refreshes.
    pub item_id: Option<String>,
    /// Shown as the event's title.
    pub title: Option<String>,
    /// Shown as the event's subtitle.
    pub subtitle: Option<String>,
    /// 0–100, or -1.
    pub progress: Option<i64>,
}

/// One recently added library item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddedItem {
    /// The ratingKey.
    pub id: String,
    /// `librarySectionID`.
    pub section_id: String,
    /// `movie`, `episode`…
    pub kind: Option<String>,
    /// Shown as the event's title.
    pub title: Option<String>,
    /// `addedAt`, epoch seconds; compared with the watermark.
    pub added_at: i64,
}

/// One library item changed since the catch-up watermark (`updatedAt>=`):
/// while nobody was listening it may have become ready.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TouchedItem {
    /// The ratingKey.
    pub id: String,
    /// `librarySectionID`.
    pub section_id: String,
    /// `movie`, `episode`…
    pub kind: Option<String>,
    /// Shown as the event's title.
    pub title: Option<String>,
    /// `updatedAt`, epoch seconds: the version of the item a live
    /// `item.ready` may already have announced.
    pub updated_at: i64,
}

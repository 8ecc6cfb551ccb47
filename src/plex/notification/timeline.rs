//! `timeline` notifications: a library item's processing state (`TimelineEntry`).

use super::raw::RawEntry;
use serde::Deserialize;

use super::lenient::{opt_int, opt_text};
use crate::plex::id::opt_string_or_number;

/// The `identifier` of library items; EPG/DVR entries carry a provider id instead.
pub const LIBRARY_IDENTIFIER: &str = "com.plexapp.plugins.library";

/// One `TimelineEntry` (PROTOCOL §2.2).
///
/// Every field is optional: consumers key on combinations (state 0 +
/// created, state 5 without metadata/media state…) and must be able to say
/// "not this" rather than fail on an entry that lacks one.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelineEntry {
    /// [`LIBRARY_IDENTIFIER`] for library items.
    #[serde(default, deserialize_with = "opt_text")]
    pub identifier: Option<String>,
    /// The section; `-1` for items outside a section (extras).
    #[serde(
        default,
        rename = "sectionID",
        deserialize_with = "opt_string_or_number"
    )]
    pub section_id: Option<String>,
    /// The item's ratingKey.
    #[serde(default, rename = "itemID", deserialize_with = "opt_string_or_number")]
    pub item_id: Option<String>,
    /// Season (or album) id for episodes (tracks).
    #[serde(
        default,
        rename = "parentItemID",
        deserialize_with = "opt_string_or_number"
    )]
    pub parent_item_id: Option<String>,
    /// Show (or artist) id for episodes (tracks).
    #[serde(
        default,
        rename = "rootItemID",
        deserialize_with = "opt_string_or_number"
    )]
    pub root_item_id: Option<String>,
    /// The PMS metadata type code (1 movie, 4 episode, 12 clip…).
    #[serde(default, rename = "type", deserialize_with = "opt_int")]
    pub metadata_type: Option<i64>,
    /// Often empty on creation, filled in later entries.
    #[serde(default, deserialize_with = "opt_text")]
    pub title: Option<String>,
    /// Processing state: 0 created, 1–4 working, 5 processed, 9 deleted.
    #[serde(default, deserialize_with = "opt_int")]
    pub state: Option<i64>,
    /// `created`, `processing`, `loading`, `queued`, `deleted`.
    #[serde(default, deserialize_with = "opt_text")]
    pub metadata_state: Option<String>,
    /// `analyzing`, `thumbnailing`; absent once media work is done.
    #[serde(default, deserialize_with = "opt_text")]
    pub media_state: Option<String>,
    /// Items still queued for processing; absent on the final entry.
    #[serde(default, deserialize_with = "opt_int")]
    pub queue_size: Option<i64>,
    /// Epoch seconds.
    #[serde(default, deserialize_with = "opt_int")]
    pub updated_at: Option<i64>,
    /// The entry as Plex sent it.
    #[serde(skip)]
    pub raw: RawEntry,
}

/// PMS metadata type code → the word rules use (`movie`, `episode`…).
pub fn metadata_type_name(code: i64) -> Option<&'static str> {
    Some(match code {
        1 => "movie",
        2 => "show",
        3 => "season",
        4 => "episode",
        5 => "trailer",
        6 => "comic",
        7 => "person",
        8 => "artist",
        9 => "album",
        10 => "track",
        11 => "picture",
        12 => "clip",
        13 => "photo",
        14 => "photoalbum",
        15 => "playlist",
        16 => "playlistFolder",
        18 => "collection",
        42 => "optimizedVersion",
        _ => return None,
    })
}

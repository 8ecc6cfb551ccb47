//! What one intake item asks for, as the journal keeps it (`spec` JSON):
//! whether its path was added or removed, and for Metarr sync items the ids,
//! metadata and artwork to apply once Plex has it.

use serde::{Deserialize, Serialize};

/// One item's request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemSpec {
    /// Added/changed (scan and confirm the item) or removed (scan and
    /// confirm it is gone).
    #[serde(default)]
    pub change: Change,
    /// Where the scan goes when it is not the path's own folder: a deleted
    /// folder is scanned from its parent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_path: Option<String>,
    /// External ids the item must be matched to.
    #[serde(default, skip_serializing_if = "Ids::is_empty")]
    pub ids: Ids,
    /// Fields to set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    /// A local file or URL for the poster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poster: Option<String>,
    /// A local file or URL for the background.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub art: Option<String>,
    /// Lock what is set (default true: Plex must not undo it at its next refresh).
    #[serde(default = "yes")]
    pub lock: bool,
}

fn yes() -> bool {
    true
}

/// Added or removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    #[default]
    Added,
    Removed,
}

/// External ids, as text (`"603"`, `"tt0133093"`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ids {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tmdb: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imdb: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tvdb: Option<String>,
}

impl Ids {
    /// True when no id is given.
    pub fn is_empty(&self) -> bool {
        self.tmdb.is_none() && self.imdb.is_none() && self.tvdb.is_none()
    }
}

/// The metadata Metarr manages.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tagline: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub genres: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directors: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writers: Option<Vec<String>>,
}

impl ItemSpec {
    /// A plain "scan this and confirm it" item.
    pub fn added() -> ItemSpec {
        ItemSpec {
            lock: true,
            ..ItemSpec::default()
        }
    }

    /// A "this is gone; make Plex drop it" item.
    pub fn removed(scan_path: Option<String>) -> ItemSpec {
        ItemSpec {
            change: Change::Removed,
            scan_path,
            lock: true,
            ..ItemSpec::default()
        }
    }
}

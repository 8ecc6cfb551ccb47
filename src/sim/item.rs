//! One library item as the simulator keeps it: the fields a Plex client can
//! read back, change, or lock.

use std::collections::{BTreeMap, BTreeSet};

/// Plex metadata types the simulator knows, with their numeric codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemKind {
    /// `1`
    Movie,
    /// `2`
    Show,
    /// `3`
    Season,
    /// `4`
    Episode,
    /// `8`
    Artist,
    /// `9`
    Album,
    /// `10`
    Track,
    /// `18`
    Collection,
}

impl ItemKind {
    /// The numeric code used in `type=` parameters and timeline entries.
    pub fn code(self) -> u8 {
        match self {
            ItemKind::Movie => 1,
            ItemKind::Show => 2,
            ItemKind::Season => 3,
            ItemKind::Episode => 4,
            ItemKind::Artist => 8,
            ItemKind::Album => 9,
            ItemKind::Track => 10,
            ItemKind::Collection => 18,
        }
    }

    /// The inverse of [`ItemKind::code`].
    pub fn from_code(code: u32) -> Option<ItemKind> {
        Some(match code {
            1 => ItemKind::Movie,
            2 => ItemKind::Show,
            3 => ItemKind::Season,
            4 => ItemKind::Episode,
            8 => ItemKind::Artist,
            9 => ItemKind::Album,
            10 => ItemKind::Track,
            18 => ItemKind::Collection,
            _ => return None,
        })
    }

    /// The JSON `type` string (`movie`, `episode`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Movie => "movie",
            ItemKind::Show => "show",
            ItemKind::Season => "season",
            ItemKind::Episode => "episode",
            ItemKind::Artist => "artist",
            ItemKind::Album => "album",
            ItemKind::Track => "track",
            ItemKind::Collection => "collection",
        }
    }

    /// The kind whose items carry files: what a scan creates at the bottom.
    pub fn is_leaf(self) -> bool {
        matches!(self, ItemKind::Movie | ItemKind::Episode | ItemKind::Track)
    }
}

/// A poster or background candidate, as listed by `GET …/posters|arts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// The selection id: `upload://posters/<sha1>`, `metadata://…`, or the URL
    /// it was uploaded from. `PUT …/poster?url=` takes this value.
    pub rating_key: String,
    /// The agent that supplied it; `None` for uploads, as Plex shows them.
    pub provider: Option<String>,
    /// Whether this is the image the item currently shows.
    pub selected: bool,
    /// Size of the uploaded bytes, `0` for URL and agent images.
    pub size: usize,
}

/// What makes an item a collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionInfo {
    /// Smart collections hold a filter URI instead of members.
    pub smart: bool,
    /// The `uri=` given at creation (a smart collection's filter).
    pub uri: Option<String>,
    /// The kind of items the collection holds (`type=` at creation).
    pub content: ItemKind,
}

/// One item of the simulated library.
#[derive(Debug, Clone, PartialEq)]
pub struct SimItem {
    /// Plex's id for the item, a decimal string as modern PMS sends it.
    pub rating_key: String,
    /// Movie, episode, …
    pub kind: ItemKind,
    /// The display title; a match or a `title.value` edit changes it.
    pub title: String,
    /// Release year, absent for items Plex could not date.
    pub year: Option<i32>,
    /// `plex://movie/<24 hex>` when matched, `local://<n>` when not.
    pub guid: String,
    /// External ids (`imdb://tt…`, `tmdb://N`, `tvdb://N`): the `Guid[]` array.
    pub external_guids: Vec<String>,
    /// `Media[].Part[].file` paths, in Plex's namespace.
    pub files: Vec<String>,
    /// The folder of a show, season, artist or album (they own no file).
    pub folder: Option<String>,
    /// Other edited fields (`summary`, `titleSort`, …) by name.
    pub fields: BTreeMap<String, String>,
    /// Fields locked against agent updates: the `Field[]` array.
    pub locked_fields: BTreeSet<String>,
    /// Tags by singular kind (`genre`, `director`, `collection`, `label`, …).
    pub tags: BTreeMap<String, Vec<String>>,
    /// Poster candidates, at most one selected.
    pub posters: Vec<Image>,
    /// Background (art) candidates, at most one selected.
    pub arts: Vec<Image>,
    /// The library section the item lives in.
    pub section_id: String,
    /// Season of an episode, show of a season, artist of an album, album of a track.
    pub parent: Option<String>,
    /// Show of an episode, artist of a track.
    pub grandparent: Option<String>,
    /// Episode, season or track number.
    pub index: Option<u32>,
    /// Epoch seconds when the item entered the library (`recentlyAdded` order).
    pub added_at: i64,
    /// Epoch seconds of the last change; part of `thumb` URLs like in Plex.
    pub updated_at: i64,
    /// How many times `PUT …/refresh` ran on it, so tests can see it happened.
    pub refresh_count: u32,
    /// How many times `PUT …/analyze` ran on it.
    pub analyze_count: u32,
    /// Set for collections only.
    pub collection: Option<CollectionInfo>,
    /// Intro and credits markers detection left (`Marker[]` with `includeMarkers=1`).
    pub markers: Vec<SimMarker>,
    /// Chapters (`Chapter[]` with `includeChapters=1`); thumbnails once generated.
    pub chapters: Vec<SimChapter>,
    /// How many times each detection job (`intro`, `credits`, `chapterThumbs`,
    /// `voiceActivity`, `addetect`) was asked for, so tests can count them.
    pub detections: BTreeMap<String, u32>,
}

/// A marker on an item's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimMarker {
    /// `intro`, `credits`, `commercial`.
    pub kind: String,
    /// Milliseconds into the media.
    pub start_ms: i64,
    /// Milliseconds into the media.
    pub end_ms: i64,
}

/// A chapter of an item's media.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimChapter {
    /// From 1.
    pub index: u32,
    /// Its name.
    pub title: String,
    /// Whether chapter-thumb generation ran.
    pub has_thumb: bool,
}

impl SimItem {
    /// A blank, unmatched item; [`crate::sim::Library::add_item`] assigns its
    /// rating key and `local://` guid.
    pub fn new(kind: ItemKind, section_id: &str, title: &str) -> SimItem {
        SimItem {
            rating_key: String::new(),
            kind,
            title: title.to_owned(),
            year: None,
            guid: String::new(),
            external_guids: Vec::new(),
            files: Vec::new(),
            folder: None,
            fields: BTreeMap::new(),
            locked_fields: BTreeSet::new(),
            tags: BTreeMap::new(),
            posters: Vec::new(),
            arts: Vec::new(),
            section_id: section_id.to_owned(),
            parent: None,
            grandparent: None,
            index: None,
            added_at: 0,
            updated_at: 0,
            refresh_count: 0,
            analyze_count: 0,
            collection: None,
            markers: Vec::new(),
            chapters: Vec::new(),
            detections: BTreeMap::new(),
        }
    }

    /// Whether the field (`title`, `genre`, `thumb`, …) is locked.
    pub fn is_locked(&self, field: &str) -> bool {
        self.locked_fields.contains(field)
    }

    /// The tags of one kind (`genre`, `label`, …), empty when none.
    pub fn tags(&self, kind: &str) -> &[String] {
        self.tags.get(kind).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The poster the item shows, if any.
    pub fn selected_poster(&self) -> Option<&Image> {
        self.posters.iter().find(|i| i.selected)
    }

    /// The background the item shows, if any.
    pub fn selected_art(&self) -> Option<&Image> {
        self.arts.iter().find(|i| i.selected)
    }

    /// True while the item carries a `local://` guid (the agent found nothing).
    pub fn is_unmatched(&self) -> bool {
        self.guid.starts_with("local://")
    }

    /// How many times detection job `segment` (`intro`, `chapterThumbs`…) ran.
    pub fn detections(&self, segment: &str) -> u32 {
        self.detections.get(segment).copied().unwrap_or(0)
    }

    /// `/library/metadata/<ratingKey>`, the key Plex uses everywhere.
    pub fn key(&self) -> String {
        format!("/library/metadata/{}", self.rating_key)
    }
}

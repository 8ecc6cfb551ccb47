//! Library items (movies, shows, episodes, tracks…) and what hangs off them:
//! external ids, files, tags, locked fields, image candidates, match
//! candidates.

use serde::{Deserialize, Serialize};

use crate::plex::id::{opt_string_or_number, string_or_number};

/// One library item (`Metadata[]` entry).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    /// The item id (`ratingKey`): what every item endpoint takes.
    #[serde(deserialize_with = "string_or_number")]
    pub rating_key: String,
    /// The item's own path, `/library/metadata/{id}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The agent guid: `plex://movie/…` when matched, `local://…` when not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    /// `movie`, `episode`, …
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The title people see.
    #[serde(default)]
    pub title: String,
    /// Release year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// The section the item is in; Plex sends a number here.
    #[serde(
        default,
        rename = "librarySectionID",
        deserialize_with = "opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub library_section_id: Option<String>,
    /// The section's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub library_section_title: Option<String>,
    /// Season of an episode, album of a track.
    #[serde(
        default,
        deserialize_with = "opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub parent_rating_key: Option<String>,
    /// Show of an episode, artist of a track.
    #[serde(
        default,
        deserialize_with = "opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub grandparent_rating_key: Option<String>,
    /// Show title of an episode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grandparent_title: Option<String>,
    /// Episode number or track number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<i64>,
    /// Season number of an episode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_index: Option<i64>,
    /// The title used for sorting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_sort: Option<String>,
    /// The title in its original language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_title: Option<String>,
    /// The plot summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The tagline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tagline: Option<String>,
    /// The studio or network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub studio: Option<String>,
    /// Age rating (`PG-13`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_rating: Option<String>,
    /// Release date, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub originally_available_at: Option<String>,
    /// The selected poster's path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumb: Option<String>,
    /// The selected background's path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub art: Option<String>,
    /// Epoch seconds when Plex added the item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added_at: Option<i64>,
    /// Epoch seconds of the last metadata change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
    /// External ids (`imdb://tt…`, `tmdb://…`), with `includeGuids=1`.
    #[serde(default, rename = "Guid", skip_serializing_if = "Vec::is_empty")]
    pub guids: Vec<Guid>,
    /// Media versions and their files.
    #[serde(default, rename = "Media", skip_serializing_if = "Vec::is_empty")]
    pub media: Vec<Media>,
    /// The genre tags.
    #[serde(default, rename = "Genre", skip_serializing_if = "Vec::is_empty")]
    pub genres: Vec<Tag>,
    /// The director tags.
    #[serde(default, rename = "Director", skip_serializing_if = "Vec::is_empty")]
    pub directors: Vec<Tag>,
    /// The writer tags.
    #[serde(default, rename = "Writer", skip_serializing_if = "Vec::is_empty")]
    pub writers: Vec<Tag>,
    /// The collections the item is in, by title.
    #[serde(default, rename = "Collection", skip_serializing_if = "Vec::is_empty")]
    pub collections: Vec<Tag>,
    /// Free labels.
    #[serde(default, rename = "Label", skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<Tag>,
    /// Locked fields: Plex's agents leave these alone.
    #[serde(default, rename = "Field", skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
    /// Intro and credits markers, with `includeMarkers=1`.
    #[serde(default, rename = "Marker", skip_serializing_if = "Vec::is_empty")]
    pub markers: Vec<super::Marker>,
    /// Chapters and their thumbnails, with `includeChapters=1`.
    #[serde(default, rename = "Chapter", skip_serializing_if = "Vec::is_empty")]
    pub chapters: Vec<super::Chapter>,
    /// Collections only: a smart collection selects its items by a filter.
    #[serde(
        default,
        deserialize_with = "super::marker::lenient_flag",
        skip_serializing_if = "Option::is_none"
    )]
    pub smart: Option<bool>,
    /// Collections, seasons, shows: how many items are below.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_count: Option<i64>,
}

impl Item {
    /// Every file of every media version.
    pub fn files(&self) -> impl Iterator<Item = &str> {
        self.media
            .iter()
            .flat_map(|m| m.parts.iter())
            .filter_map(|p| p.file.as_deref())
    }

    /// The external id for `provider` (`tmdb`, `imdb`, `tvdb`), from `Guid[]`.
    pub fn external_id(&self, provider: &str) -> Option<&str> {
        self.guids.iter().find_map(|g| {
            g.id.strip_prefix(provider)
                .and_then(|rest| rest.strip_prefix("://"))
        })
    }

    /// The tags of one list, by [`crate::plex::request::TagKind`].
    pub fn tags(&self, kind: crate::plex::request::TagKind) -> Vec<String> {
        use crate::plex::request::TagKind;
        let list = match kind {
            TagKind::Genre => &self.genres,
            TagKind::Director => &self.directors,
            TagKind::Writer => &self.writers,
            TagKind::Collection => &self.collections,
            TagKind::Label => &self.labels,
        };
        list.iter().map(|t| t.tag.clone()).collect()
    }

    /// The current value of an editable field, by the name the edit
    /// endpoint uses (`title`, `summary`, `originallyAvailableAt`…), so an
    /// edit can send only what differs. `None` for unknown or unset fields.
    pub fn field(&self, name: &str) -> Option<String> {
        let text = |v: &Option<String>| v.clone();
        match name {
            "title" => Some(self.title.clone()),
            "titleSort" => text(&self.title_sort),
            "originalTitle" => text(&self.original_title),
            "summary" => text(&self.summary),
            "tagline" => text(&self.tagline),
            "studio" => text(&self.studio),
            "contentRating" => text(&self.content_rating),
            "originallyAvailableAt" => text(&self.originally_available_at),
            "year" => self.year.map(|y| y.to_string()),
            _ => None,
        }
    }

    /// Whether the field `name` is locked.
    pub fn is_locked(&self, name: &str) -> bool {
        self.fields.iter().any(|f| f.name == name && f.locked)
    }

    /// The item's type, when it is one we know.
    pub fn media_type(&self) -> Option<super::MediaType> {
        self.kind.parse().ok()
    }
}

/// An external id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guid {
    /// `imdb://tt0133093`, `tmdb://603`, `tvdb://…`.
    pub id: String,
}

/// One media version of an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Media {
    #[serde(
        default,
        deserialize_with = "opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<String>,
    /// File container (`mkv`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// Resolution class (`1080`, `4k`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_resolution: Option<String>,
    /// The files.
    #[serde(default, rename = "Part")]
    pub parts: Vec<Part>,
}

/// One file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part {
    #[serde(
        default,
        deserialize_with = "opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<String>,
    /// The file as Plex sees it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

/// One tag of a tag list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// The tag text.
    pub tag: String,
}

/// A field with its lock state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    /// The field name (`title`, `thumb`…).
    pub name: String,
    /// True when agents must not change it.
    #[serde(default)]
    pub locked: bool,
}

/// A poster or background candidate (`/posters`, `/arts`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    /// The key to select it with (`upload://posters/<sha1>`, `metadata://…`,
    /// or an URL).
    #[serde(deserialize_with = "string_or_number")]
    pub rating_key: String,
    /// Where to fetch it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Whether it is the current one.
    #[serde(default)]
    pub selected: bool,
    /// A small version to show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumb: Option<String>,
    /// Which agent or upload supplied it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
}

/// A match candidate from `/matches`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchCandidate {
    /// The guid to apply (`plex://movie/…`).
    pub guid: String,
    /// The title to apply with it.
    #[serde(default)]
    pub name: String,
    /// The release year to apply with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// Plex's confidence, 0–100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<i64>,
    /// The plot summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::super::container::Envelope;

    #[test]
    fn movie_fixture_parses_files_guids_and_tags() {
        let text = include_str!(
            "../../../tests/fixtures/rest/library_sections_1_all_movie__watchstate-fixture.json"
        );
        let env: Envelope = serde_json::from_str(text).unwrap();
        let item = &env.container.metadata[0];
        assert_eq!(item.rating_key, "1");
        assert_eq!(item.external_id("tmdb"), Some("1"));
        assert_eq!(item.external_id("imdb"), Some("tt0000001"));
        assert_eq!(
            item.tags(crate::plex::request::TagKind::Genre),
            ["Science Fiction", "Action"]
        );
        assert!(item.files().next().unwrap().ends_with("(2000).mp4"));
        assert_eq!(env.container.total_size, Some(1));
    }

    #[test]
    fn editable_fields_are_readable_by_their_edit_names() {
        let text =
            include_str!("../../../tests/fixtures/rest/library_metadata_108__plex-api-rs.json");
        let env: Envelope = serde_json::from_str(text).unwrap();
        let item = &env.container.metadata[0];
        assert_eq!(item.field("title").as_deref(), Some("Interstate 60"));
        assert_eq!(item.field("studio").as_deref(), Some("Fireworks Pictures"));
        assert_eq!(
            item.field("originallyAvailableAt").as_deref(),
            Some("2002-04-13")
        );
        assert_eq!(item.field("year").as_deref(), Some("2002"));
        assert_eq!(item.field("nonsense"), None);
    }

    #[test]
    fn metadata_fixture_with_numeric_section_id_parses() {
        let text =
            include_str!("../../../tests/fixtures/rest/library_metadata_108__plex-api-rs.json");
        let env: Envelope = serde_json::from_str(text).unwrap();
        let item = &env.container.metadata[0];
        assert_eq!(item.library_section_id.as_deref(), Some("1"));
        assert_eq!(
            item.files().collect::<Vec<_>>(),
            ["/data/Movies/Interstate 60 (2002).mkv"]
        );
    }
}

//! The `MediaContainer` envelope around every Plex answer.

use serde::Deserialize;

use super::{Activity, Agent, Item, MatchCandidate, Section};

/// The `{"MediaContainer": {…}}` wrapper.
#[derive(Debug, Deserialize)]
#[serde(bound(deserialize = "M: Deserialize<'de>"))]
pub(crate) struct Envelope<M = Item> {
    #[serde(rename = "MediaContainer")]
    pub(crate) container: MediaContainer<M>,
}

/// The body of an answer. Which list is filled depends on the endpoint;
/// the others stay empty.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "M: Deserialize<'de>"))]
pub struct MediaContainer<M = Item> {
    /// Entries in this answer.
    #[serde(default)]
    pub size: Option<u64>,
    /// Entries in the whole list, when the answer is one page of it.
    #[serde(default)]
    pub total_size: Option<u64>,
    /// Index of the first entry of this page.
    #[serde(default)]
    pub offset: Option<u64>,
    /// Items, images (`Photo` in XML) or sessions, depending on the endpoint.
    #[serde(
        default = "Vec::new",
        rename = "Metadata",
        alias = "Photo",
        alias = "Video"
    )]
    pub metadata: Vec<M>,
    /// Sections.
    #[serde(default, rename = "Directory")]
    pub directory: Vec<Section>,
    /// Server activities.
    #[serde(default, rename = "Activity")]
    pub activity: Vec<Activity>,
    /// Match candidates.
    #[serde(default, rename = "SearchResult")]
    pub search_result: Vec<MatchCandidate>,
    /// Metadata agents.
    #[serde(default, rename = "Agent")]
    pub agent: Vec<Agent>,
    /// `/identity`: the server's id.
    #[serde(default)]
    pub machine_identifier: Option<String>,
    /// `/identity`: the server's version.
    #[serde(default)]
    pub version: Option<String>,
    /// `/identity`: whether the server is claimed by a plex.tv account.
    #[serde(default)]
    pub claimed: Option<bool>,
    /// The section of the items listed, when they all share one (Plex
    /// names it here and not always on each item).
    #[serde(
        default,
        rename = "librarySectionID",
        deserialize_with = "crate::plex::id::opt_string_or_number"
    )]
    pub library_section_id: Option<String>,
    /// That section's name.
    #[serde(default)]
    pub library_section_title: Option<String>,
}

impl MediaContainer<Item> {
    /// The first item, naming its section from the container when the item
    /// itself does not (`/library/metadata/{id}` answers often put it on
    /// the container only).
    pub fn into_first_item(self) -> Option<Item> {
        let mut item = self.metadata.into_iter().next()?;
        if item.library_section_id.is_none() {
            item.library_section_id = self.library_section_id;
        }
        if item.library_section_title.is_none() {
            item.library_section_title = self.library_section_title;
        }
        Some(item)
    }

    /// Every item, each naming its section from the container when it does
    /// not itself (as [`MediaContainer::into_first_item`]).
    pub fn into_items(self) -> Vec<Item> {
        let (id, title) = (self.library_section_id, self.library_section_title);
        self.metadata
            .into_iter()
            .map(|mut item| {
                if item.library_section_id.is_none() {
                    item.library_section_id.clone_from(&id);
                }
                if item.library_section_title.is_none() {
                    item.library_section_title.clone_from(&title);
                }
                item
            })
            .collect()
    }
}

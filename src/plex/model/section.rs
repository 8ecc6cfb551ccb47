//! Library sections and their folders.

use serde::{Deserialize, Serialize};

use crate::plex::id::{opt_string_or_number, string_or_number};

/// A library section (`Directory` in `/library/sections`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Section {
    /// The section id, used in every section path (`key` in Plex's JSON).
    #[serde(rename = "key", deserialize_with = "string_or_number")]
    pub id: String,
    /// The name people see.
    #[serde(default)]
    pub title: String,
    /// `movie`, `show`, `artist`, `photo`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The metadata agent (`tv.plex.agents.movie`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// The scanner (`Plex Movie`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scanner: Option<String>,
    /// The metadata language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Stable across renames; ids are not across re-creations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// True while a scan of the section runs.
    #[serde(default)]
    pub refreshing: bool,
    /// The folders, in Plex's filesystem namespace; a partial scan path must
    /// lie under one of them.
    #[serde(default, rename = "Location")]
    pub locations: Vec<Location>,
}

/// One folder of a section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// Plex's id of the location.
    #[serde(
        default,
        deserialize_with = "opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<String>,
    /// The folder as Plex sees it.
    pub path: String,
}

impl Section {
    /// The section's type as a [`super::MediaType`], when Plex named a known one.
    pub fn media_type(&self) -> Option<super::MediaType> {
        self.kind.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::super::container::Envelope;

    #[test]
    fn sections_fixture_parses_with_locations() {
        let text =
            include_str!("../../../tests/fixtures/rest/library_sections__watchstate-fixture.json");
        let env: Envelope = serde_json::from_str(text).unwrap();
        let s = &env.container.directory;
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].id, "1");
        assert_eq!(s[0].kind, "movie");
        assert_eq!(s[0].locations[0].path, "/storage/media/movies");
        assert_eq!(s[0].locations[0].id.as_deref(), Some("1"));
        assert_eq!(s[1].media_type(), Some(super::super::MediaType::Show));
    }
}

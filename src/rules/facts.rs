//! Item metadata as rules see it under `item`, fetched lazily.
//!
//! Notifications carry little about an item (an id, sometimes a type). Rules
//! that read `item.*` (guid, external ids, files, folder, labels…) need one
//! read of `GET /library/metadata/{id}` per event;
//! [`crate::rules::RuleSet::needs_metadata`] says whether any candidate rule
//! does, the daemon reads it (in batches, see `daemon::pending`) and hands
//! the same [`ItemFacts`] to every rule.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::plex::model::{Item, Tag};

/// What rules can read about an item once its metadata is fetched.
///
/// Every field is always present in the rule context (absent values are
/// `null` or empty), so `item.year == 2002` is false on an item without a
/// year rather than a runtime error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ItemFacts {
    /// The ratingKey.
    pub id: String,
    /// `movie`, `show`, `episode`…; item type filters use it when the event did not say.
    #[serde(rename = "type")]
    pub kind: String,
    /// The title as Plex shows it.
    pub title: String,
    /// The release year, when Plex knows it.
    pub year: Option<i64>,
    /// The primary guid: `plex://movie/…` when matched, `local://…` when not.
    pub guid: String,
    /// External ids by provider (`tmdb`, `imdb`, `tvdb`), from `Guid[]`.
    pub guids: BTreeMap<String, String>,
    /// Media file paths as Plex sees them (before any path mapping).
    pub files: Vec<String>,
    /// The first file's folder, as Plex sees it: where `{tmdb-N}` tags and
    /// local artwork live. For shows, the show's own `Location`.
    pub folder: Option<String>,
    /// Label tags: a cheap way for people (and Kometa, *arr tags) to steer rules.
    pub labels: Vec<String>,
    /// Collections the item is in, so a rule can skip items already added.
    pub collections: Vec<String>,
    /// Genre tags.
    pub genres: Vec<String>,
    /// The library section id; playback events may lack it, the metadata does not.
    pub section_id: Option<String>,
    /// The library section title.
    pub section_title: Option<String>,
}

impl ItemFacts {
    /// What rules see of `item`, as the client read it
    /// ([`crate::plex::PlexClient::item`]): one model of Plex's answer,
    /// not a second reading of its JSON.
    pub fn from_item(item: &Item) -> ItemFacts {
        let files: Vec<String> = item.files().map(str::to_owned).collect();
        let folder = files
            .first()
            .and_then(|f| parent_of(f))
            .or_else(|| item.locations.first().map(|l| l.path.clone()));
        let tags = |list: &[Tag]| list.iter().map(|t| t.tag.clone()).collect();
        ItemFacts {
            id: item.rating_key.clone(),
            kind: item.kind.clone(),
            title: item.title.clone(),
            year: item.year.map(i64::from),
            guid: item.guid.clone().unwrap_or_default(),
            guids: item
                .guids
                .iter()
                .filter_map(|g| g.id.split_once("://"))
                .map(|(provider, id)| (provider.to_owned(), id.to_owned()))
                .collect(),
            files,
            folder,
            labels: tags(&item.labels),
            collections: tags(&item.collections),
            genres: tags(&item.genres),
            section_id: item.library_section_id.clone(),
            section_title: item.library_section_title.clone(),
        }
    }
}

impl ItemFacts {
    /// The `/library/metadata/{id}` answer these facts come from: the
    /// inverse of [`ItemFacts::from_item`], so a rule test's `item`
    /// can answer the executors' own reads of the item.
    pub fn to_metadata(&self) -> Value {
        let tags = |list: &[String]| -> Vec<Value> {
            list.iter()
                .map(|t| serde_json::json!({ "tag": t }))
                .collect()
        };
        let mut entry = serde_json::json!({
            "ratingKey": self.id,
            "key": format!("/library/metadata/{}", self.id),
            "type": self.kind,
            "title": self.title,
            "guid": self.guid,
            "Guid": self
                .guids
                .iter()
                .map(|(p, id)| serde_json::json!({ "id": format!("{p}://{id}") }))
                .collect::<Vec<_>>(),
            "Media": [{ "Part": self.files.iter().map(|f| serde_json::json!({ "file": f })).collect::<Vec<_>>() }],
            "Label": tags(&self.labels),
            "Collection": tags(&self.collections),
            "Genre": tags(&self.genres),
        });
        let optional = [
            ("year", self.year.map(Value::from)),
            ("librarySectionID", self.section_id.clone().map(Value::from)),
            (
                "librarySectionTitle",
                self.section_title.clone().map(Value::from),
            ),
            (
                "Location",
                self.folder
                    .as_ref()
                    .map(|f| serde_json::json!([{ "path": f }])),
            ),
        ];
        if let Some(map) = entry.as_object_mut() {
            for (k, v) in optional {
                if let Some(v) = v {
                    map.insert(k.to_owned(), v);
                }
            }
        }
        serde_json::json!({ "MediaContainer": { "size": 1, "Metadata": [entry] } })
    }
}

/// The folder of a Plex file path; Plex on Windows uses backslashes.
fn parent_of(file: &str) -> Option<String> {
    let cut = file.rfind(['/', '\\'])?;
    Some(if cut == 0 {
        "/".to_owned()
    } else {
        file[..cut].to_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plex::model::MediaContainer;

    /// Facts from a `/library/metadata/{id}` body, the way the client reads it.
    fn facts_of(json: &Value) -> Option<ItemFacts> {
        let body = json.get("MediaContainer")?.clone();
        let container: MediaContainer = serde_json::from_value(body).ok()?;
        container
            .into_first_item()
            .map(|i| ItemFacts::from_item(&i))
    }

    #[test]
    fn facts_come_from_a_real_metadata_response() {
        let json: Value = serde_json::from_str(include_str!(
            "../../tests/fixtures/rest/library_metadata_108__plex-api-rs.json"
        ))
        .unwrap();
        let facts = facts_of(&json).unwrap();
        assert_eq!(facts.id, "108");
        assert_eq!(facts.kind, "movie");
        assert_eq!(facts.year, Some(2002));
        assert_eq!(facts.guid, "com.plexapp.agents.imdb://tt0165832?lang=en");
        assert_eq!(facts.files, ["/data/Movies/Interstate 60 (2002).mkv"]);
        assert_eq!(facts.folder.as_deref(), Some("/data/Movies"));
        assert_eq!(facts.section_id.as_deref(), Some("1"));
        assert!(facts.genres.contains(&"Comedy".to_owned()));
    }

    #[test]
    fn facts_survive_a_round_trip_through_metadata_json() {
        let facts = ItemFacts {
            id: "42".into(),
            kind: "movie".into(),
            title: "Arrival".into(),
            year: Some(2016),
            guid: "local://42".into(),
            guids: [("tmdb".to_owned(), "329865".to_owned())].into(),
            files: vec!["/m/Arrival (2016)/Arrival.mkv".into()],
            folder: Some("/m/Arrival (2016)".into()),
            labels: vec!["collection:Sci-Fi".into()],
            collections: vec!["Villeneuve".into()],
            genres: vec!["Drama".into()],
            section_id: Some("1".into()),
            section_title: Some("Movies".into()),
        };
        assert_eq!(facts_of(&facts.to_metadata()), Some(facts.clone()));
        let show = ItemFacts {
            files: Vec::new(),
            folder: Some("/tv/Severance".into()),
            ..facts
        };
        assert_eq!(facts_of(&show.to_metadata()), Some(show));
    }

    #[test]
    fn windows_paths_have_folders_too() {
        assert_eq!(
            parent_of(r"D:\Movies\A (2001)\a.mkv").as_deref(),
            Some(r"D:\Movies\A (2001)")
        );
        assert_eq!(parent_of("/a.mkv").as_deref(), Some("/"));
        assert_eq!(parent_of("a.mkv"), None);
    }
}

//! Server activities: scans, refreshes, analysis in progress.

use serde::{Deserialize, Serialize};

use crate::plex::id::opt_string_or_number;

/// One running activity (`/activities`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    /// The id that `X-Plex-Activity` and notifications carry.
    pub uuid: String,
    /// `library.update.section`, `library.refresh.items`, `media.generate.credits`…
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Whether `DELETE /activities/{uuid}` may stop it.
    #[serde(default)]
    pub cancellable: bool,
    /// The account that started it.
    #[serde(
        default,
        rename = "userID",
        deserialize_with = "opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_id: Option<String>,
    /// What Plex shows, e.g. "Scanning Movies".
    #[serde(default)]
    pub title: String,
    /// The current step or file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtitle: Option<String>,
    /// Percent done; -1 when Plex cannot tell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<f64>,
    /// What the activity is about (the section of a scan).
    #[serde(default, rename = "Context", skip_serializing_if = "Option::is_none")]
    pub context: Option<ActivityContext>,
}

/// What an activity is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityContext {
    /// The section a scan runs in.
    #[serde(
        default,
        rename = "librarySectionID",
        deserialize_with = "opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub library_section_id: Option<String>,
    /// The item an item job works on (`/library/metadata/513`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl Activity {
    /// The section this activity concerns, if it says.
    pub fn section_id(&self) -> Option<&str> {
        self.context.as_ref()?.library_section_id.as_deref()
    }

    /// The item this activity works on, from `Context.key`
    /// (`/library/metadata/513` or `…/513/children`).
    pub fn item_id(&self) -> Option<&str> {
        let key = self.context.as_ref()?.key.as_deref()?;
        let rest = key.strip_prefix("/library/metadata/")?;
        rest.split('/').next().filter(|s| !s.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::super::container::Envelope;

    #[test]
    fn activities_fixture_parses() {
        let text = include_str!(
            "../../../tests/fixtures/rest/activities__plex-openapi-1.2.0-example.json"
        );
        let env: Envelope = serde_json::from_str(text).unwrap();
        let a = &env.container.activity;
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].kind, "provider.epg.load");
        assert_eq!(a[1].progress, Some(-1.0));
        assert_eq!(a[0].user_id.as_deref(), Some("1"));
    }
}

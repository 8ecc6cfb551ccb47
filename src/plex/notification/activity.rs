//! `activity` notifications: server jobs (scans, refreshes…) starting, progressing, ending.

use super::raw::RawEntry;
use serde::Deserialize;

use super::lenient::{opt_bool, opt_int, opt_text};
use crate::plex::id::{opt_string_or_number, string_or_number};

/// One `ActivityNotification` entry (PROTOCOL §2.3).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ActivityNotification {
    /// `started`, `updated` or `ended`.
    pub event: String,
    /// The activity uuid, as returned in `X-Plex-Activity` to whoever started it.
    #[serde(deserialize_with = "string_or_number")]
    pub uuid: String,
    /// What the activity is.
    #[serde(rename = "Activity")]
    pub activity: Activity,
    /// The entry as Plex sent it.
    #[serde(skip)]
    pub raw: RawEntry,
}

/// The activity itself.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    /// Same as the notification's uuid on every capture.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub uuid: Option<String>,
    /// `library.update.section`, `library.refresh.items`, … (open-ended).
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether `DELETE /activities/{uuid}` can stop it.
    #[serde(default, deserialize_with = "opt_bool")]
    pub cancellable: Option<bool>,
    /// The account that started it (1 = the owner).
    #[serde(default, rename = "userID", deserialize_with = "opt_text")]
    pub user_id: Option<String>,
    /// E.g. `Refreshing`, `Scanning`.
    #[serde(default, deserialize_with = "opt_text")]
    pub title: Option<String>,
    /// For scans, the folder or item being scanned; for refreshes, the phase.
    #[serde(default, deserialize_with = "opt_text")]
    pub subtitle: Option<String>,
    /// 0–100, or -1 when Plex cannot tell.
    #[serde(default, deserialize_with = "opt_int")]
    pub progress: Option<i64>,
    /// What the activity is about; often missing on `started`.
    #[serde(default, rename = "Context")]
    pub context: Option<ActivityContext>,
}

/// `Activity.Context`: the object an activity works on.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityContext {
    /// `/library/metadata/<id>`, `/library/metadata/<id>/children`,
    /// `/library/collections/<id>/children`.
    #[serde(default, deserialize_with = "opt_text")]
    pub key: Option<String>,
    /// The section of a scan.
    #[serde(
        default,
        rename = "librarySectionID",
        deserialize_with = "opt_string_or_number"
    )]
    pub library_section_id: Option<String>,
    /// Whether the item's files were reachable.
    #[serde(default, deserialize_with = "opt_bool")]
    pub accessible: Option<bool>,
    /// Whether the item's files exist.
    #[serde(default, deserialize_with = "opt_bool")]
    pub exists: Option<bool>,
    /// On a refresh's end: whether anything changed.
    #[serde(default, deserialize_with = "opt_bool")]
    pub refreshed: Option<bool>,
    /// On a refresh's end: whether media analysis changed anything.
    #[serde(default, deserialize_with = "opt_bool")]
    pub analyzed: Option<bool>,
}

impl ActivityContext {
    /// The item id in `key` (`/library/metadata/<id>[/…]` or
    /// `/library/collections/<id>[/…]`), if it names one.
    pub fn item_id(&self) -> Option<&str> {
        let key = self.key.as_deref()?;
        let rest = key
            .strip_prefix("/library/metadata/")
            .or_else(|| key.strip_prefix("/library/collections/"))?;
        let id = rest.split('/').next().unwrap_or_default();
        (!id.is_empty()).then_some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::ActivityContext;

    fn ctx(key: &str) -> ActivityContext {
        ActivityContext {
            key: Some(key.to_owned()),
            ..ActivityContext::default()
        }
    }

    #[test]
    fn item_id_is_read_from_every_key_form() {
        assert_eq!(ctx("/library/metadata/513").item_id(), Some("513"));
        assert_eq!(
            ctx("/library/metadata/16417/children").item_id(),
            Some("16417")
        );
        assert_eq!(
            ctx("/library/collections/204922/children").item_id(),
            Some("204922")
        );
        assert_eq!(ctx("/library/metadata/").item_id(), None);
        assert_eq!(ctx("/library/sections/3").item_id(), None);
    }
}

//! What detection leaves on an item: intro and credits markers, chapters
//! (with their thumbnails), as `GET /library/metadata/{id}?includeMarkers=1&includeChapters=1`
//! shows them; and what makes an item a collection.

use serde::{Deserialize, Deserializer, Serialize};

/// One `Marker`: a span Plex found (`intro`, `credits`) or a user set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Marker {
    /// `intro`, `credits`, `commercial`, `bookmark`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Start, milliseconds into the media.
    #[serde(default)]
    pub start_time_offset: i64,
    /// End, milliseconds into the media.
    #[serde(default)]
    pub end_time_offset: i64,
}

/// One `Chapter`, with the thumbnail chapter-thumb generation made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Chapter {
    /// The chapter's position, from 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<i64>,
    /// The chapter's title, when the file names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The thumbnail's path; absent until thumbnails are generated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumb: Option<String>,
}

/// A flag Plex sends as `true`, `1` or `"1"` depending on version and format.
pub(crate) fn lenient_flag<'de, D: Deserializer<'de>>(de: D) -> Result<Option<bool>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(de)?;
    Ok(v.map(|v| match v {
        serde_json::Value::Bool(b) => b,
        serde_json::Value::Number(n) => n.as_i64().is_some_and(|n| n != 0),
        serde_json::Value::String(s) => s == "1" || s.eq_ignore_ascii_case("true"),
        _ => false,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The official spec's `creditMarker` example (plex-openapi 1.2.0).
    #[test]
    fn the_spec_credits_marker_example_parses() {
        let m: Marker = serde_json::from_str(
            r#"{"final":true,"id":1025,"type":"credits","startTimeOffset":8249805,"endTimeOffset":8715339}"#,
        )
        .unwrap();
        assert_eq!(m.kind, "credits");
        assert_eq!(m.end_time_offset, 8_715_339);
    }
}

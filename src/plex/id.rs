//! Plex identifiers, accepted as JSON strings or numbers and kept as strings.
//!
//! Plex sends `sectionID`, `itemID`, `ratingKey` and friends as numbers on some
//! server versions and as strings on others, and a `ratingKey` can even be a
//! Live TV URI (`com.gracenote.onconnect://episode/…`). Treating every id as an
//! opaque string is the only representation that survives all of them.

use serde::{Deserialize, Deserializer};

/// Accepts a JSON string or number (integer or float with no fraction) and
/// returns it as a string; anything else is an error naming what was found.
pub fn string_or_number<'de, D>(de: D) -> Result<String, D::Error>
where
    D: Deserializer<'de>,
{
    match serde_json::Value::deserialize(de)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(number_to_id(&n)),
        other => Err(serde::de::Error::custom(format!(
            "expected an id (string or number), found {}",
            kind_of(&other)
        ))),
    }
}

/// Like [`string_or_number`], for optional fields; `null` becomes `None`.
pub fn opt_string_or_number<'de, D>(de: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    match Option::<serde_json::Value>::deserialize(de)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s)),
        Some(serde_json::Value::Number(n)) => Ok(Some(number_to_id(&n))),
        Some(other) => Err(serde::de::Error::custom(format!(
            "expected an id (string or number), found {}",
            kind_of(&other)
        ))),
    }
}

/// Reads an id out of an untyped JSON value, the way [`string_or_number`]
/// would, for code that walks raw payloads.
pub fn id_from_value(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(number_to_id(n)),
        _ => None,
    }
}

fn number_to_id(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        i.to_string()
    } else if let Some(u) = n.as_u64() {
        u.to_string()
    } else {
        // A float id such as `8.0` is the number 8; keep a true fraction as written.
        match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        }
    }
}

fn kind_of(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Holder {
        #[serde(deserialize_with = "string_or_number")]
        id: String,
        #[serde(default, deserialize_with = "opt_string_or_number")]
        parent: Option<String>,
    }

    #[test]
    fn ids_arrive_as_strings_or_numbers() {
        let a: Holder = serde_json::from_str(r#"{"id":"40010","parent":8}"#).unwrap();
        let b: Holder = serde_json::from_str(r#"{"id":40010,"parent":"8"}"#).unwrap();
        assert_eq!((a.id.as_str(), a.parent.as_deref()), ("40010", Some("8")));
        assert_eq!((b.id.as_str(), b.parent.as_deref()), ("40010", Some("8")));
    }

    #[test]
    fn live_tv_uri_is_kept_verbatim() {
        let h: Holder =
            serde_json::from_str(r#"{"id":"com.gracenote.onconnect://episode/EP019919100088"}"#)
                .unwrap();
        assert_eq!(h.id, "com.gracenote.onconnect://episode/EP019919100088");
        assert_eq!(h.parent, None);
    }

    #[test]
    fn float_without_fraction_is_an_integer_id() {
        let h: Holder = serde_json::from_str(r#"{"id":8.0,"parent":null}"#).unwrap();
        assert_eq!(h.id, "8");
    }

    #[test]
    fn other_kinds_are_rejected_with_what_was_found() {
        let err = serde_json::from_str::<Holder>(r#"{"id":true}"#)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("found a boolean"), "{err}");
    }
}

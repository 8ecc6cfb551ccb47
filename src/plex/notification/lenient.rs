//! Tolerant readers for the optional scalar fields of notification entries.
//!
//! Plex has changed the JSON type of fields between versions (numbers sent
//! as strings and back). An optional field in an unexpected shape must not
//! cost us the whole notification — a stop event matters more than its
//! `viewOffset` — so these readers turn anything unreadable into `None`; the
//! value stays available in the entry's raw JSON.

use std::borrow::Cow;
use std::fmt;

use serde::Deserializer;
use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Any JSON scalar, borrowed when the deserializer allows it.
enum Scalar<'a> {
    Int(i64),
    UInt(u64),
    Float(f64),
    Text(Cow<'a, str>),
    Bool(bool),
    Nothing,
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Scalar::UInt(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Scalar::Float(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar::Text(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Text(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Scalar::Text(Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Nothing)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Nothing)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Nothing)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Nothing)
    }
}

fn scalar<'de, D: Deserializer<'de>>(d: D) -> Result<Scalar<'de>, D::Error> {
    d.deserialize_any(ScalarVisitor)
}

/// An integer sent as a number or a numeric string; a float is truncated
/// toward zero (Plex sends `progress` as `33` or `33.0` depending on version).
pub(crate) fn opt_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match scalar(d)? {
        Scalar::Int(i) => Some(i),
        Scalar::UInt(u) => i64::try_from(u).ok(),
        Scalar::Float(f) => float_to_int(f),
        Scalar::Text(s) => {
            let s = s.trim();
            s.parse::<i64>()
                .ok()
                .or_else(|| s.parse::<f64>().ok().and_then(float_to_int))
        }
        Scalar::Bool(_) | Scalar::Nothing => None,
    })
}

fn float_to_int(f: f64) -> Option<i64> {
    // The range check keeps `as` from saturating silently on absurd input.
    (f.is_finite() && f.abs() < 9.0e15).then(|| f.trunc() as i64)
}

/// A float sent as a number or a numeric string.
pub(crate) fn opt_float<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(match scalar(d)? {
        Scalar::Int(i) => Some(i as f64),
        Scalar::UInt(u) => Some(u as f64),
        Scalar::Float(f) => Some(f),
        Scalar::Text(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        Scalar::Bool(_) | Scalar::Nothing => None,
    })
}

/// A flag sent as `true`/`false`, `1`/`0` or their string forms.
pub(crate) fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match scalar(d)? {
        Scalar::Bool(b) => Some(b),
        Scalar::Int(i) => Some(i != 0),
        Scalar::UInt(u) => Some(u != 0),
        Scalar::Text(s) => match s.trim() {
            "1" | "true" => Some(true),
            "0" | "false" => Some(false),
            _ => None,
        },
        Scalar::Float(_) | Scalar::Nothing => None,
    })
}

/// Text, or a number written as text (Plex ids and codes drift between the two).
pub(crate) fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match scalar(d)? {
        Scalar::Text(s) => Some(s.into_owned()),
        Scalar::Int(i) => Some(i.to_string()),
        Scalar::UInt(u) => Some(u.to_string()),
        Scalar::Float(f) => Some(f.to_string()),
        Scalar::Bool(_) | Scalar::Nothing => None,
    })
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Probe {
        #[serde(default, deserialize_with = "super::opt_int")]
        int: Option<i64>,
        #[serde(default, deserialize_with = "super::opt_float")]
        float: Option<f64>,
        #[serde(default, deserialize_with = "super::opt_bool")]
        flag: Option<bool>,
        #[serde(default, deserialize_with = "super::opt_text")]
        text: Option<String>,
    }

    fn probe(json: &str) -> Probe {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn numbers_and_numeric_strings_read_the_same() {
        let a = probe(r#"{"int":33,"float":1.5,"flag":true,"text":"x"}"#);
        let b = probe(r#"{"int":"33","float":"1.5","flag":"1","text":"x"}"#);
        assert_eq!((a.int, a.float, a.flag), (Some(33), Some(1.5), Some(true)));
        assert_eq!((b.int, b.float, b.flag), (Some(33), Some(1.5), Some(true)));
        assert_eq!(a.text, b.text);
    }

    #[test]
    fn unreadable_shapes_become_none_instead_of_failing() {
        let p = probe(r#"{"int":[1],"float":{"a":1},"flag":"maybe","text":false}"#);
        assert_eq!((p.int, p.float, p.flag, p.text), (None, None, None, None));
        let q = probe(r#"{"int":1e300,"float":null}"#);
        assert_eq!((q.int, q.float), (None, None));
    }

    #[test]
    fn float_progress_is_truncated() {
        assert_eq!(probe(r#"{"int":66.6}"#).int, Some(66));
        assert_eq!(probe(r#"{"int":"-1.0"}"#).int, Some(-1));
    }
}

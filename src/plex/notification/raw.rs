//! The JSON of one notification entry, kept as received: what `Event.raw`
//! holds.
//!
//! Most frames (a player's periodic `playing` report) produce no event, and
//! most events are printed or journaled without a rule ever looking inside
//! `raw`, so building a `serde_json::Value` tree for every entry would be
//! wasted work. The entry's text is kept instead, shared by every event built
//! from it, written out verbatim when serialized, and turned into a `Value`
//! the first time someone reads a field (a rule's `event.raw.x`, a test).
//! Events that are not built from a notification (a webhook payload, an
//! intake record) hold their `Value` directly.

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

/// One entry's JSON, exactly as Plex sent it (or a value built here).
/// Cloning shares it. Reads through `Deref` as a [`Value`].
#[derive(Clone)]
pub struct RawEntry(Arc<Inner>);

struct Inner {
    /// Valid JSON (a slice the frame parser already checked); a plain `str`
    /// so that keeping it costs one copy and no second validation. `None`
    /// when the entry was made from a value.
    text: Option<Box<str>>,
    /// Built on first read.
    value: OnceLock<Value>,
}

impl RawEntry {
    /// `text` must be one valid JSON value: the frame parser passes only
    /// slices of a frame serde_json has already read.
    pub(crate) fn new(text: &str) -> RawEntry {
        RawEntry(Arc::new(Inner {
            text: Some(text.into()),
            value: OnceLock::new(),
        }))
    }

    pub(crate) fn from_box(text: Box<RawValue>) -> RawEntry {
        RawEntry(Arc::new(Inner {
            text: Some(text.into()),
            value: OnceLock::new(),
        }))
    }

    /// The JSON text as received; `None` for an entry made from a value.
    pub fn text(&self) -> Option<&str> {
        self.0.text.as_deref()
    }

    /// The entry as a JSON value, built on first use.
    pub fn value(&self) -> &Value {
        self.0.value.get_or_init(|| {
            // The text was validated when the frame was read; `Null` is only
            // reachable if serde_json disagrees with itself.
            self.0
                .text
                .as_deref()
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or(Value::Null)
        })
    }

    /// The text to write verbatim, if there is one that fits on a JSON
    /// line: a frame may be pretty-printed, and a line break in `events`
    /// output would split the line. Outside strings JSON has only
    /// whitespace to break on, inside them a break must be escaped, so
    /// one byte scan decides it.
    fn verbatim(&self) -> Option<&str> {
        self.text()
            .filter(|t| !t.contains('\n') && !t.contains('\r'))
    }
}

impl From<Value> for RawEntry {
    fn from(value: Value) -> RawEntry {
        RawEntry(Arc::new(Inner {
            text: None,
            value: OnceLock::from(value),
        }))
    }
}

impl Deref for RawEntry {
    type Target = Value;

    fn deref(&self) -> &Value {
        self.value()
    }
}

impl Default for RawEntry {
    fn default() -> Self {
        RawEntry::from(Value::Null)
    }
}

impl PartialEq for RawEntry {
    /// Equal when the JSON is: the same text, or the same value however it
    /// was spelled.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
            || matches!((self.text(), other.text()), (Some(a), Some(b)) if a == b)
            || self.value() == other.value()
    }
}

impl fmt::Debug for RawEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.text() {
            Some(text) => f.write_str(text),
            None => fmt::Debug::fmt(self.value(), f),
        }
    }
}

impl fmt::Display for RawEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.text() {
            Some(text) => f.write_str(text),
            None => fmt::Display::fmt(self.value(), f),
        }
    }
}

impl Serialize for RawEntry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Written as the JSON it is, not as a string, and without building
        // the tree. Borrowing the text as a `RawValue` re-checks it, which
        // costs a scan, not a parse into a tree.
        if let Some(raw) = self
            .verbatim()
            .and_then(|t| serde_json::from_str::<&RawValue>(t).ok())
        {
            return raw.serialize(s);
        }
        self.value().serialize(s)
    }
}

impl<'de> Deserialize<'de> for RawEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Value::deserialize(d).map(RawEntry::from)
    }
}

#[cfg(test)]
mod tests {
    use super::RawEntry;
    use serde_json::json;
    use serde_json::value::RawValue;

    #[test]
    fn text_is_kept_verbatim_and_the_value_built_on_demand() {
        let text = "{ \"b\" : [1, 2], \"a\": \"x\" }";
        let raw = RawEntry::from_box(RawValue::from_string(text.to_owned()).unwrap());
        assert_eq!(raw.text(), Some(text));
        assert_eq!(serde_json::to_string(&raw).unwrap(), text, "verbatim");
        assert_eq!(raw["b"][1], 2);
        assert_eq!(serde_json::to_string(&raw).unwrap(), text, "still verbatim");
        assert_eq!(RawEntry::default().value(), &serde_json::Value::Null);
        assert_eq!(raw, RawEntry::from(json!({"a": "x", "b": [1, 2]})));
    }

    #[test]
    fn a_pretty_printed_entry_is_written_on_one_line() {
        let raw = RawEntry::new("{\n  \"a\": 1,\r\n  \"b\": \"x\"\n}");
        assert_eq!(serde_json::to_string(&raw).unwrap(), r#"{"a":1,"b":"x"}"#);
    }

    #[test]
    fn a_value_survives_a_round_trip_and_other_serializers() {
        let raw = RawEntry::from(json!({"n": 1}));
        let text = serde_json::to_string(&raw).unwrap();
        let back: RawEntry = serde_json::from_str(&text).unwrap();
        assert_eq!(back["n"], 1);
        // Rules read events through `serde_json::to_value`: a tree, not a
        // raw-value token.
        let entry = RawEntry::new(r#"{"n":[1,{"m":2}]}"#);
        assert_eq!(
            serde_json::to_value(&entry).unwrap(),
            json!({"n": [1, {"m": 2}]})
        );
    }
}

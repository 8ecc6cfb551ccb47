//! The JSON text of one notification entry, kept as received.
//!
//! Most frames (a player's periodic `playing` report) produce no event, so
//! building a `serde_json::Value` tree for every entry would be wasted work.
//! The entry's text is kept instead and turned into a `Value` the first time
//! someone asks (an event that carries it, `events --raw`).

use std::fmt;
use std::sync::OnceLock;

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

/// One entry's JSON, exactly as Plex sent it.
#[derive(Clone)]
pub struct RawEntry {
    /// Valid JSON (a slice the frame parser already checked); a plain
    /// `str` so that keeping it costs one copy and no second validation.
    text: Box<str>,
    /// Built on first use.
    value: OnceLock<serde_json::Value>,
}

impl RawEntry {
    /// `text` must be one valid JSON value: the frame parser passes only
    /// slices of a frame serde_json has already read.
    pub(crate) fn new(text: &str) -> RawEntry {
        RawEntry {
            text: text.into(),
            value: OnceLock::new(),
        }
    }

    pub(crate) fn from_box(text: Box<RawValue>) -> RawEntry {
        RawEntry {
            text: text.into(),
            value: OnceLock::new(),
        }
    }

    /// The JSON text.
    pub fn get(&self) -> &str {
        &self.text
    }

    /// The tree, if someone already built it.
    pub fn get_value(&self) -> Option<&serde_json::Value> {
        self.value.get()
    }

    /// The entry as a JSON value (what `Event.raw` holds), built once.
    pub fn value(&self) -> &serde_json::Value {
        self.value.get_or_init(|| {
            // The text was validated when the frame was read; `Null` is only
            // reachable if serde_json disagrees with itself.
            serde_json::from_str(&self.text).unwrap_or(serde_json::Value::Null)
        })
    }
}

impl Default for RawEntry {
    fn default() -> Self {
        RawEntry::from_box(RawValue::NULL.to_owned())
    }
}

impl PartialEq for RawEntry {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl fmt::Debug for RawEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.get())
    }
}

impl fmt::Display for RawEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.get())
    }
}

impl Serialize for RawEntry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Serialized as the JSON it is, not as a string. The text is valid
        // JSON by construction; `null` only if that ever failed to hold.
        match serde_json::from_str::<&RawValue>(&self.text) {
            Ok(raw) => raw.serialize(s),
            Err(_) => RawValue::NULL.serialize(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RawEntry;
    use serde_json::value::RawValue;

    #[test]
    fn text_is_kept_verbatim_and_the_value_built_on_demand() {
        let text = "{ \"a\" : [1, 2],\n  \"b\": \"x\" }";
        let raw = RawEntry::from_box(RawValue::from_string(text.to_owned()).unwrap());
        assert_eq!(raw.get(), text);
        assert_eq!(raw.value()["a"][1], 2);
        assert_eq!(serde_json::to_string(&raw).unwrap(), text);
        assert_eq!(RawEntry::default().value(), &serde_json::Value::Null);
    }
}

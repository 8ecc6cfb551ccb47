//! The JSON text of one notification entry, kept as received.
//!
//! Most frames (a player's periodic `playing` report) produce no event, so
//! building a `serde_json::Value` tree for every entry would be wasted work.
//! The entry's text is kept instead and turned into a `Value` only when an
//! event carries it.

use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

/// One entry's JSON, exactly as Plex sent it.
#[derive(Clone)]
pub struct RawEntry(Box<RawValue>);

impl RawEntry {
    pub(crate) fn new(raw: &RawValue) -> RawEntry {
        RawEntry(raw.to_owned())
    }

    pub(crate) fn from_box(raw: Box<RawValue>) -> RawEntry {
        RawEntry(raw)
    }

    /// The JSON text.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// The entry as a JSON value (what `Event.raw` holds).
    pub fn to_value(&self) -> serde_json::Value {
        // The text was validated when the frame was read; `Null` is only
        // reachable if serde_json disagrees with itself.
        serde_json::from_str(self.0.get()).unwrap_or(serde_json::Value::Null)
    }
}

impl Default for RawEntry {
    fn default() -> Self {
        RawEntry(RawValue::NULL.to_owned())
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
        self.0.serialize(s)
    }
}

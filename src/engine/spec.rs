//! What a rule asks of flow control: the mode and the timings.
//!
//! [`FlowSpec`] is the engine's own small view of a rule, deliberately not the
//! rules module's compiled type, so the two can evolve separately and be
//! joined by a one-line conversion. It is serialized into the journal with
//! each accepted run, so a restored run keeps the behaviour it was accepted
//! under even if the rule file changed while the daemon was down.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How runs of one rule for one key relate to each other (Home Assistant's
/// automation modes, applied per key instead of per rule).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// At most one run per key; a run that comes due while one is running is dropped.
    #[default]
    Single,
    /// A new run cancels the running one(s) for the key and starts at once.
    Restart,
    /// Runs for a key go one after another; at most `max` wait behind the running one.
    Queued,
    /// Up to `max` runs for a key at once; more are dropped.
    Parallel,
}

/// Flow control for one rule.
///
/// Unknown fields are ignored on purpose (unlike the rule files): a journal
/// written by a newer binary must still load after a downgrade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FlowSpec {
    /// Concurrency per key.
    pub mode: Mode,
    /// `queued`: how many runs may wait; `parallel`: how many may run at once.
    /// Ignored by `single` and `restart`. Zero is treated as one.
    pub max: u32,
    /// Trailing debounce: run once after this much quiet, with the last payload.
    /// Takes precedence over `delay` if a spec has both.
    #[serde(with = "millis_opt")]
    pub debounce: Option<Duration>,
    /// Fixed delay from the first trigger; later triggers inside it are absorbed.
    #[serde(with = "millis_opt")]
    pub delay: Option<Duration>,
    /// After a successful run, triggers for the key are dropped for this long.
    #[serde(with = "millis_opt")]
    pub cooldown: Option<Duration>,
    /// Hold a due run while any playback session is active.
    pub when_idle: bool,
}

impl Default for FlowSpec {
    /// Home Assistant's defaults: `single`, and `max = 10` should the mode change.
    fn default() -> FlowSpec {
        FlowSpec {
            mode: Mode::Single,
            max: 10,
            debounce: None,
            delay: None,
            cooldown: None,
            when_idle: false,
        }
    }
}

impl FlowSpec {
    /// The effective `max`, never zero (a zero would make a rule that can never run).
    pub fn max(&self) -> usize {
        usize::try_from(self.max.max(1)).unwrap_or(usize::MAX)
    }

    /// The debounce, if set and non-zero.
    pub(crate) fn debounce(&self) -> Option<Duration> {
        self.debounce.filter(|d| !d.is_zero())
    }

    /// The delay, if set and non-zero.
    pub(crate) fn delay(&self) -> Option<Duration> {
        self.delay.filter(|d| !d.is_zero())
    }

    /// The cooldown, if set and non-zero.
    pub(crate) fn cooldown(&self) -> Option<Duration> {
        self.cooldown.filter(|d| !d.is_zero())
    }
}

/// Durations as integer milliseconds in the journal: readable with the
/// `sqlite3` shell, unlike serde's `{secs, nanos}` default.
mod millis_opt {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_millis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_round_trips_through_json_with_millisecond_durations() {
        let spec = FlowSpec {
            mode: Mode::Queued,
            max: 3,
            debounce: Some(Duration::from_secs(90)),
            delay: None,
            cooldown: Some(Duration::from_millis(1500)),
            when_idle: true,
        };
        let json = serde_json::to_value(&spec).unwrap();
        assert_eq!(json["debounce"], 90_000);
        assert_eq!(json["mode"], "queued");
        let back: FlowSpec = serde_json::from_value(json).unwrap();
        assert_eq!(back, spec);
    }

    #[test]
    fn zero_max_still_allows_one_run() {
        let spec = FlowSpec {
            max: 0,
            ..FlowSpec::default()
        };
        assert_eq!(spec.max(), 1);
    }
}

//! What the daemon last read of each item, for as long as nothing says the
//! item changed.
//!
//! Plex announces every change to an item on the notification stream
//! (timeline entries, activities), and our own writes are known before they
//! are sent. So an item read in a batch for the rules is still what Plex
//! has when an action of the rule it fired starts seconds later, unless an
//! event about the item came in between: then the snapshot is dropped and
//! the action reads the item itself. That turns "a read per action" into "a
//! read per change, shared by a batch of 50" (issue 11's economy target).
//!
//! A read races the events: a snapshot is kept only if no change was
//! reported between the moment its read was sent and the moment it is
//! offered ([`ItemSnapshots::begin`] / [`ItemSnapshots::offer`]). Snapshots
//! also expire after [`MAX_AGE`] and are all dropped when the stream
//! reconnects (events may have been missed), so a missed announcement costs
//! at most one stale minute, never a wrong decision for long.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a snapshot is trusted without any event about its item.
pub const MAX_AGE: Duration = Duration::from_secs(60);

/// Items kept at most; beyond this everything is dropped (a flood of
/// distinct items reads again rather than growing without bound).
const MAX_ITEMS: usize = 8192;

/// A change counter per item, read before a read is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation(u64);

#[derive(Debug, Default)]
struct Slot {
    generation: u64,
    /// The read, while nothing says the item changed since.
    read: Option<(Instant, Arc<serde_json::Value>)>,
    /// The last read even after a change: for what a change never moves
    /// (the item's section and type).
    last: Option<Arc<serde_json::Value>>,
}

#[derive(Debug, Default)]
struct State {
    items: HashMap<String, Slot>,
    /// Bumped by [`ItemSnapshots::clear`], so reads begun before a
    /// reconnect are not kept after it.
    epoch: u64,
}

/// The shared snapshots: clones see the same items.
#[derive(Debug, Clone, Default)]
pub struct ItemSnapshots {
    state: Arc<Mutex<State>>,
}

impl ItemSnapshots {
    /// Empty.
    pub fn new() -> ItemSnapshots {
        ItemSnapshots::default()
    }

    /// An event said item `id` changed, or we are about to change it.
    pub fn changed(&self, id: &str) {
        let mut s = self.lock();
        // A slot even for an item never read: a read of it in flight must
        // see that its generation moved.
        let slot = s.items.entry(id.to_owned()).or_default();
        slot.generation += 1;
        slot.read = None;
        Self::bound(&mut s);
    }

    /// Drops every snapshot (the stream reconnected: changes may have gone
    /// unannounced).
    pub fn clear(&self) {
        let mut s = self.lock();
        s.items.clear();
        s.epoch += 1;
    }

    /// Call before sending a read of `id`; pass the result to [`Self::offer`].
    pub fn begin(&self, id: &str) -> Generation {
        let s = self.lock();
        let item = s.items.get(id).map_or(0, |slot| slot.generation);
        Generation((s.epoch << 32) | item)
    }

    /// Keeps `raw` (the item's `Metadata` object as Plex sent it) unless
    /// the item changed, or the snapshots were cleared, since `begin`.
    pub fn offer(&self, id: &str, begun: Generation, raw: Arc<serde_json::Value>) {
        let mut s = self.lock();
        let now = (s.epoch << 32) | s.items.get(id).map_or(0, |slot| slot.generation);
        if now != begun.0 {
            return;
        }
        let slot = s.items.entry(id.to_owned()).or_default();
        slot.read = Some((Instant::now(), Arc::clone(&raw)));
        slot.last = Some(raw);
        Self::bound(&mut s);
    }

    /// The item as last read, when no change was reported since and the
    /// read is younger than [`MAX_AGE`].
    pub fn get(&self, id: &str) -> Option<Arc<serde_json::Value>> {
        let s = self.lock();
        let (at, raw) = s.items.get(id)?.read.as_ref()?;
        (at.elapsed() < MAX_AGE).then(|| Arc::clone(raw))
    }

    /// The item as last read, changed since or not: only for what no
    /// change moves, its section and its type.
    pub fn last(&self, id: &str) -> Option<Arc<serde_json::Value>> {
        self.lock().items.get(id)?.last.clone()
    }

    fn bound(s: &mut State) {
        if s.items.len() > MAX_ITEMS {
            s.items.clear();
            s.epoch += 1;
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The map stays consistent even if a holder panicked.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn raw(title: &str) -> Arc<serde_json::Value> {
        Arc::new(json!({ "ratingKey": "7", "title": title }))
    }

    #[test]
    fn a_read_is_kept_until_the_item_changes() {
        let snaps = ItemSnapshots::new();
        let g = snaps.begin("7");
        snaps.offer("7", g, raw("Heat"));
        assert_eq!(snaps.get("7").unwrap()["title"], "Heat");
        snaps.changed("7");
        assert!(snaps.get("7").is_none());
        assert_eq!(
            snaps.last("7").unwrap()["title"],
            "Heat",
            "section and type stay known"
        );
    }

    #[test]
    fn a_read_that_raced_a_change_is_not_kept() {
        let snaps = ItemSnapshots::new();
        // Unknown item, changed while the read was in flight.
        let g = snaps.begin("7");
        snaps.changed("7");
        snaps.offer("7", g, raw("old"));
        assert!(snaps.get("7").is_none());
        // Known item, same race.
        let g = snaps.begin("7");
        snaps.offer("7", g, raw("new"));
        let g = snaps.begin("7");
        snaps.changed("7");
        snaps.offer("7", g, raw("stale"));
        assert!(snaps.get("7").is_none());
    }

    #[test]
    fn a_reconnect_drops_everything_and_refuses_reads_begun_before_it() {
        let snaps = ItemSnapshots::new();
        let g = snaps.begin("7");
        snaps.offer("7", g, raw("Heat"));
        let late = snaps.begin("8");
        snaps.clear();
        assert!(snaps.get("7").is_none());
        snaps.offer("8", late, raw("Ronin"));
        assert!(snaps.get("8").is_none());
    }
}

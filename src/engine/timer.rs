//! The engine's single timer structure: every deadline of every key in one
//! ordered set.
//!
//! There is no task per key and no per-key sleep. The caller asks
//! [`Timers::next`] for the earliest deadline, sleeps once until then, and
//! pops what is due. Re-arming a key (a debounce re-trigger) moves its one
//! entry instead of piling up stale ones, so memory is exactly one entry per
//! armed key.

use std::collections::{BTreeSet, HashMap};
use std::hash::Hash;

use super::millis::Millis;

/// Deadlines keyed by `K`, at most one per key.
#[derive(Debug)]
pub(crate) struct Timers<K> {
    /// Ordered by (deadline, key): the first element is the next to fire, and
    /// equal deadlines fire in key order (run ids are allocated in arrival
    /// order, so that is first-come first-served).
    order: BTreeSet<(Millis, K)>,
    /// Where each key currently sits in `order`, to move or remove it exactly.
    armed: HashMap<K, Millis>,
}

impl<K: Ord + Hash + Clone> Timers<K> {
    pub(crate) fn new() -> Timers<K> {
        Timers {
            order: BTreeSet::new(),
            armed: HashMap::new(),
        }
    }

    /// Sets (or moves) the deadline of `key`.
    pub(crate) fn arm(&mut self, key: K, at: Millis) {
        if let Some(old) = self.armed.insert(key.clone(), at) {
            self.order.remove(&(old, key.clone()));
        }
        self.order.insert((at, key));
    }

    /// Forgets the deadline of `key`, if any.
    pub(crate) fn disarm(&mut self, key: &K) {
        if let Some(old) = self.armed.remove(key) {
            self.order.remove(&(old, key.clone()));
        }
    }

    /// The earliest deadline, for the caller's one sleep.
    pub(crate) fn next(&self) -> Option<Millis> {
        self.order.first().map(|(at, _)| *at)
    }

    /// Removes and returns the earliest key whose deadline is at or before `now`.
    pub(crate) fn pop_due(&mut self, now: Millis) -> Option<K> {
        let (at, _) = self.order.first()?;
        if *at > now {
            return None;
        }
        let (_, key) = self.order.pop_first()?;
        self.armed.remove(&key);
        Some(key)
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.armed.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rearming_moves_the_single_entry() {
        let mut t = Timers::new();
        t.arm("a", Millis(100));
        t.arm("a", Millis(300));
        t.arm("b", Millis(200));
        assert_eq!(t.len(), 2);
        assert_eq!(t.next(), Some(Millis(200)));
        assert_eq!(t.pop_due(Millis(250)), Some("b"));
        assert_eq!(t.pop_due(Millis(250)), None);
        assert_eq!(t.pop_due(Millis(300)), Some("a"));
        assert_eq!(t.next(), None);
    }

    #[test]
    fn disarm_removes_and_equal_deadlines_fire_in_key_order() {
        let mut t = Timers::new();
        t.arm(3u64, Millis(5));
        t.arm(1u64, Millis(5));
        t.arm(2u64, Millis(5));
        t.disarm(&2);
        assert_eq!(t.pop_due(Millis(5)), Some(1));
        assert_eq!(t.pop_due(Millis(5)), Some(3));
        assert_eq!(t.pop_due(Millis(5)), None);
    }
}

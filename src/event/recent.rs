//! A bounded memory of keys seen recently (ended sessions, ended activities,
//! added items), so a repeated frame or a reconciliation right after a live
//! event does not produce the event twice.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

/// A map that forgets its oldest key once it holds `capacity` keys.
///
/// Plex repeats itself within seconds, not days: a few thousand keys cover
/// every duplicate we know of while keeping memory flat on a busy server.
#[derive(Debug)]
pub(crate) struct RecentMap<K, V> {
    order: VecDeque<K>,
    entries: HashMap<K, V>,
    capacity: usize,
}

impl<K: Eq + Hash + Clone, V> RecentMap<K, V> {
    pub(crate) fn new(capacity: usize) -> Self {
        RecentMap {
            order: VecDeque::new(),
            entries: HashMap::new(),
            capacity: capacity.max(1),
        }
    }

    /// Remembers `key` with `value` (replacing an older value); returns
    /// false if the key was already remembered.
    pub(crate) fn insert(&mut self, key: K, value: V) -> bool {
        if let Some(old) = self.entries.get_mut(&key) {
            *old = value;
            return false;
        }
        if self.order.len() == self.capacity
            && let Some(oldest) = self.order.pop_front()
        {
            self.entries.remove(&oldest);
        }
        self.order.push_back(key.clone());
        self.entries.insert(key, value);
        true
    }

    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        self.entries.get(key)
    }

    pub(crate) fn clear(&mut self) {
        self.order.clear();
        self.entries.clear();
    }
}

/// A [`RecentMap`] without values.
#[derive(Debug)]
pub(crate) struct RecentSet<K>(RecentMap<K, ()>);

impl<K: Eq + Hash + Clone> RecentSet<K> {
    pub(crate) fn new(capacity: usize) -> Self {
        RecentSet(RecentMap::new(capacity))
    }

    /// Remembers `key`; returns false if it was already remembered.
    pub(crate) fn insert(&mut self, key: K) -> bool {
        self.0.insert(key, ())
    }

    pub(crate) fn contains(&self, key: &K) -> bool {
        self.0.get(key).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::{RecentMap, RecentSet};

    #[test]
    fn forgets_the_oldest_key_past_capacity() {
        let mut s = RecentSet::new(2);
        assert!(s.insert(1));
        assert!(!s.insert(1));
        s.insert(2);
        s.insert(3);
        assert!(!s.contains(&1));
        assert!(s.contains(&2) && s.contains(&3));
    }

    #[test]
    fn reinserting_updates_the_value() {
        let mut m = RecentMap::new(4);
        m.insert("a", 1);
        assert!(!m.insert("a", 2));
        assert_eq!(m.get(&"a"), Some(&2));
        m.clear();
        assert_eq!(m.get(&"a"), None);
    }
}

//! A bounded memory of keys seen recently (ended sessions, ended activities,
//! added items), so a repeated frame or a reconciliation right after a live
//! event does not produce the event twice.

use std::collections::{HashSet, VecDeque};
use std::hash::Hash;

/// A set that forgets its oldest key once it holds `capacity` keys.
///
/// Plex repeats itself within seconds, not days: a few thousand keys cover
/// every duplicate we know of while keeping memory flat on a busy server.
#[derive(Debug)]
pub(crate) struct RecentSet<K> {
    order: VecDeque<K>,
    keys: HashSet<K>,
    capacity: usize,
}

impl<K: Eq + Hash + Clone> RecentSet<K> {
    pub(crate) fn new(capacity: usize) -> Self {
        RecentSet {
            order: VecDeque::new(),
            keys: HashSet::new(),
            capacity: capacity.max(1),
        }
    }

    /// Remembers `key`; returns false if it was already remembered.
    pub(crate) fn insert(&mut self, key: K) -> bool {
        if self.keys.contains(&key) {
            return false;
        }
        if self.order.len() == self.capacity
            && let Some(oldest) = self.order.pop_front()
        {
            self.keys.remove(&oldest);
        }
        self.order.push_back(key.clone());
        self.keys.insert(key);
        true
    }

    pub(crate) fn contains(&self, key: &K) -> bool {
        self.keys.contains(key)
    }

    pub(crate) fn clear(&mut self) {
        self.order.clear();
        self.keys.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::RecentSet;

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
}

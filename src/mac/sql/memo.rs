//! A bounded memo: at most `capacity` entries, the oldest forgotten first. `mac_annotate()`
//! keeps its per-image results in one so that a long session cannot grow without end.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

/// Entries by key, at most `capacity` of them; inserting past it forgets the oldest insertion.
#[derive(Debug)]
pub struct Memo<K, V> {
    capacity: usize,
    map: HashMap<K, V>,
    order: VecDeque<K>,
}

impl<K: Hash + Eq + Clone, V> Memo<K, V> {
    /// An empty memo holding at most `capacity` entries (at least 1).
    pub fn new(capacity: usize) -> Self {
        Memo {
            capacity: capacity.max(1),
            map: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// The entry for `key`, if remembered.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.map.get(key)
    }

    /// Remembers `value` for `key` (replacing an older value), forgetting the oldest entries
    /// beyond the capacity.
    pub fn insert(&mut self, key: K, value: V) {
        if self.map.insert(key.clone(), value).is_none() {
            self.order.push_back(key);
        }
        while self.map.len() > self.capacity {
            match self.order.pop_front() {
                Some(old) => {
                    self.map.remove(&old);
                }
                None => break,
            }
        }
    }

    /// Number of entries.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_at_most_its_capacity_and_forgets_the_oldest() {
        let mut m = Memo::new(3);
        for i in 0..10 {
            m.insert(i, i * 10);
            assert!(m.len() <= 3);
        }
        assert_eq!((m.get(&6), m.get(&7), m.get(&9)), (None, Some(&70), Some(&90)));
        // Replacing a value keeps one entry and its place.
        m.insert(7, 71);
        assert_eq!((m.len(), m.get(&7)), (3, Some(&71)));
        m.insert(10, 100);
        assert_eq!((m.get(&7), m.get(&8), m.get(&10)), (None, Some(&80), Some(&100)));
    }
}

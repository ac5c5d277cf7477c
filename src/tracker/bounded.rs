//! The one cache policy here: entries weigh something (rows, bytes, tasks),
//! the cache holds at most a set total weight, and when a new entry would
//! push it over, the least recently used entries go until it fits again.
//! Every cache of the tracker — history and recorded events per task, task
//! rows per selection, parsed logs, folder listings, decisions — is one of these.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

/// A map of at most `capacity` total weight, least recently used out first.
#[derive(Debug)]
pub struct Bounded<K, V> {
    entries: HashMap<K, Entry<V>>,
    capacity: usize,
    weight: usize,
    clock: u64,
}

#[derive(Debug)]
struct Entry<V> {
    value: V,
    weight: usize,
    used: u64,
}

impl<K: Hash + Eq + Clone, V> Bounded<K, V> {
    pub fn new(capacity: usize) -> Bounded<K, V> {
        Bounded {
            entries: HashMap::new(),
            capacity,
            weight: 0,
            clock: 0,
        }
    }

    /// The value for `key`, marked as just used.
    pub fn get<Q>(&mut self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.get_mut(key).map(|v| &*v)
    }

    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.clock += 1;
        let clock = self.clock;
        self.entries.get_mut(key).map(|e| {
            e.used = clock;
            &mut e.value
        })
    }

    /// Whether `key` is held, without marking it used.
    pub fn contains<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries.contains_key(key)
    }

    /// The value for `key`, without marking it used.
    pub fn peek<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries.get(key).map(|e| &e.value)
    }

    /// Holds `value` of `weight` for `key`, unless it alone is heavier than the
    /// whole cache (then it is not held at all, and `false` is returned).
    pub fn insert(&mut self, key: K, value: V, weight: usize) -> bool {
        self.remove(&key);
        if weight > self.capacity {
            return false;
        }
        if self.weight + weight > self.capacity {
            self.evict(self.weight + weight - self.capacity);
        }
        self.insert_over(key, value, weight);
        true
    }

    /// Holds `value` for `key` even past the capacity, evicting nothing: for
    /// entries that must all be there at once (one read's evidence) until
    /// [`Bounded::trim`] is called.
    pub fn insert_over(&mut self, key: K, value: V, weight: usize) {
        self.remove(&key);
        self.clock += 1;
        self.weight += weight;
        self.entries.insert(
            key,
            Entry {
                value,
                weight,
                used: self.clock,
            },
        );
    }

    /// Changes the weight of the entry for `key` (after its value grew or
    /// shrank), marking it just used; evicts nothing until [`Bounded::trim`].
    pub fn reweigh<Q>(&mut self, key: &Q, weight: usize)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.clock += 1;
        if let Some(entry) = self.entries.get_mut(key) {
            self.weight = self.weight - entry.weight + weight;
            entry.weight = weight;
            entry.used = self.clock;
        }
    }

    /// Back within the capacity, least recently used out first.
    pub fn trim(&mut self) {
        if self.weight > self.capacity {
            self.evict(self.weight - self.capacity);
        }
    }

    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let entry = self.entries.remove(key)?;
        self.weight -= entry.weight;
        Some(entry.value)
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.weight = 0;
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn weight(&self) -> usize {
        self.weight
    }

    /// Removes least recently used entries until at least `at_least` weight (and
    /// a tenth of the capacity more, so eviction does not run on every insert) is freed.
    fn evict(&mut self, at_least: usize) {
        let target = at_least + self.capacity / 10;
        let mut by_age: Vec<(u64, K, usize)> = self
            .entries
            .iter()
            .map(|(k, e)| (e.used, k.clone(), e.weight))
            .collect();
        by_age.sort_unstable_by_key(|(used, _, _)| *used);
        let mut freed = 0;
        for (_, key, weight) in by_age {
            if freed >= target {
                break;
            }
            self.entries.remove(&key);
            self.weight -= weight;
            freed += weight;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_go_first_and_the_weight_stays_bounded() {
        let mut cache = Bounded::new(100);
        for i in 0..10 {
            assert!(cache.insert(i, i, 10));
        }
        assert_eq!(cache.get(&0), Some(&0), "0 is now the most recently used");
        assert!(cache.insert(10, 10, 10));
        assert!(cache.weight() <= 100);
        assert!(cache.contains(&0) && cache.contains(&10));
        assert!(!cache.contains(&1), "1 was the least recently used");
        assert!(!cache.insert(99, 99, 101), "heavier than the whole cache: not held");
        assert!(!cache.contains(&99));
        cache.reweigh(&0, 90);
        cache.trim();
        assert!(cache.weight() <= 100 && cache.contains(&0));
        assert_eq!(cache.remove(&0), Some(0));
        cache.clear();
        assert_eq!((cache.len(), cache.weight()), (0, 0));
    }

    #[test]
    fn entries_held_over_the_capacity_stay_until_trimmed() {
        let mut cache = Bounded::new(100);
        for i in 0..30 {
            cache.insert_over(i, i, 10);
        }
        assert_eq!(
            (cache.len(), cache.weight()),
            (30, 300),
            "one read's evidence, all of it"
        );
        cache.trim();
        assert!(cache.weight() <= 100);
        assert!(cache.contains(&29) && !cache.contains(&0), "the most recent stay");
    }
}

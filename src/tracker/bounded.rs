//! The one cache policy here: entries weigh the bytes they hold, the cache
//! holds at most its share of the tracker's budget ([`Share`]), and when a new
//! entry would push it over, the least recently used entries go until it fits
//! again. Every cache of the tracker — history and recorded events per task,
//! task rows per selection, parsed logs, folder listings, decisions — is one
//! of these.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

use super::budget::Share;

/// A map of at most its share of the budget, in bytes, least recently used out first.
#[derive(Debug)]
pub struct Bounded<K, V> {
    entries: HashMap<K, Entry<V>>,
    share: Share,
    weight: usize,
    clock: u64,
}

#[derive(Debug)]
struct Entry<V> {
    value: V,
    weight: usize,
    used: u64,
}

impl<K, V> Drop for Bounded<K, V> {
    fn drop(&mut self) {
        self.share.budget().refund(self.weight);
    }
}

impl<K: Hash + Eq + Clone, V> Bounded<K, V> {
    /// What an entry costs the map itself: its slot (key, value and
    /// bookkeeping inline) and control byte, over a table kept between half
    /// and seven eighths full.
    const SLOT: usize = (std::mem::size_of::<(K, Entry<V>)>() + 1) * 3 / 2;

    pub fn new(share: Share) -> Bounded<K, V> {
        Bounded {
            entries: HashMap::new(),
            share,
            weight: 0,
            clock: 0,
        }
    }

    /// The bytes it may hold now.
    fn capacity(&self) -> usize {
        self.share.bytes()
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

    /// Every value held, without marking any used.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.values().map(|e| &e.value)
    }

    /// Holds `value` of `weight` bytes (what it owns beyond its slot) for `key`, unless it alone is heavier
    /// than the whole cache (then it is not held at all, and `false` is returned).
    pub fn insert(&mut self, key: K, value: V, weight: usize) -> bool {
        self.remove(&key);
        let weight = weight + Self::SLOT;
        let capacity = self.capacity();
        if weight > capacity {
            return false;
        }
        if self.weight + weight > capacity {
            self.evict(self.weight + weight - capacity);
        }
        self.hold(key, value, weight);
        true
    }

    /// Holds `value` for `key` even past the capacity, evicting nothing: for
    /// entries that must all be there at once (one read's evidence) until
    /// [`Bounded::trim`] is called.
    pub fn insert_over(&mut self, key: K, value: V, weight: usize) {
        self.remove(&key);
        self.hold(key, value, weight + Self::SLOT);
    }

    fn hold(&mut self, key: K, value: V, weight: usize) {
        self.clock += 1;
        self.weight += weight;
        self.share.budget().charge(weight);
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
        let weight = weight + Self::SLOT;
        if let Some(entry) = self.entries.get_mut(key) {
            self.weight = self.weight - entry.weight + weight;
            self.share.budget().refund(entry.weight);
            self.share.budget().charge(weight);
            entry.weight = weight;
            entry.used = self.clock;
        }
    }

    /// Back within the capacity, least recently used out first.
    pub fn trim(&mut self) {
        let capacity = self.capacity();
        if self.weight > capacity {
            self.evict(self.weight - capacity);
        }
    }

    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let entry = self.entries.remove(key)?;
        self.weight -= entry.weight;
        self.share.budget().refund(entry.weight);
        Some(entry.value)
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.share.budget().refund(self.weight);
        self.weight = 0;
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    #[cfg(test)]
    pub fn weight(&self) -> usize {
        self.weight
    }

    /// Removes least recently used entries until at least `at_least` weight (and
    /// a tenth of the capacity more, so eviction does not run on every insert) is freed.
    fn evict(&mut self, at_least: usize) {
        let target = at_least + self.capacity() / 10;
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
            self.share.budget().refund(weight);
            freed += weight;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::budget::Budget;
    use super::*;

    /// What an entry of weight 10 weighs in the cache.
    const UNIT: usize = 10 + Bounded::<i32, i32>::SLOT;

    #[test]
    fn the_least_recently_used_go_first_and_the_weight_stays_bounded() {
        let mut cache = Bounded::new(Share::fixed(10 * UNIT));
        for i in 0..10 {
            assert!(cache.insert(i, i, 10));
        }
        assert_eq!(cache.get(&0), Some(&0), "0 is now the most recently used");
        assert!(cache.insert(10, 10, 10));
        assert!(cache.weight() <= 10 * UNIT);
        assert!(cache.contains(&0) && cache.contains(&10));
        assert!(!cache.contains(&1), "1 was the least recently used");
        assert!(
            !cache.insert(99, 99, 10 * UNIT),
            "heavier than the whole cache: not held"
        );
        assert!(!cache.contains(&99));
        cache.reweigh(&0, 5 * UNIT);
        cache.trim();
        assert!(cache.weight() <= 10 * UNIT && cache.contains(&0));
        assert_eq!(cache.remove(&0), Some(0));
        cache.clear();
        assert_eq!((cache.len(), cache.weight()), (0, 0));
    }

    #[test]
    fn entries_held_over_the_capacity_stay_until_trimmed() {
        let mut cache = Bounded::new(Share::fixed(10 * UNIT));
        for i in 0..30 {
            cache.insert_over(i, i, 10);
        }
        assert_eq!(
            (cache.len(), cache.weight()),
            (30, 30 * UNIT),
            "one read's evidence, all of it"
        );
        cache.trim();
        assert!(cache.weight() <= 10 * UNIT);
        assert!(cache.contains(&29) && !cache.contains(&0), "the most recent stay");
    }

    #[test]
    fn caches_share_one_budget_which_can_change_while_they_run() {
        let budget = Budget::new(100 * UNIT);
        let mut a: Bounded<i32, ()> = Bounded::new(Share::of(&budget, 60));
        let mut b: Bounded<i32, ()> = Bounded::new(Share::of(&budget, 40));
        for i in 0..100 {
            a.insert(i, (), 10);
            b.insert(i, (), 10);
        }
        assert!(a.weight() <= 60 * UNIT && b.weight() <= 40 * UNIT);
        assert_eq!(
            budget.held(),
            a.weight() + b.weight(),
            "the budget knows what every cache holds"
        );
        budget.set_limit(10 * UNIT);
        a.insert(1000, (), 10);
        b.trim();
        assert!(
            a.weight() <= 6 * UNIT && b.weight() <= 4 * UNIT,
            "a smaller budget is kept from the next insert"
        );
        drop(a);
        assert_eq!(budget.held(), b.weight());
    }
}

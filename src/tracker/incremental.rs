//! An append-only table read on incrementally — `change_history` by task id,
//! `task_step_events` by task — one type used for both. Its writers only
//! append, with ever higher keys, so after a commit a read fetches the rows
//! past the highest key seen and adds them to the keys held; a key whose rows
//! those do not account for (the database's count and highest key for it
//! differ: rows were deleted) is read again whole, as is a key read for the
//! first time. A table whose highest key went down starts over.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use super::bounded::Bounded;
use super::budget::{shared, Share, Weigh};

/// One key's rows, and what the database said of them when read.
#[derive(Clone, Debug)]
pub struct Rows<R> {
    pub rows: Arc<Vec<R>>,
    /// How many rows the table has for the key (rows this product cannot use included).
    pub count: i64,
    pub max_key: i64,
}

impl<R> Default for Rows<R> {
    fn default() -> Rows<R> {
        Rows {
            rows: Arc::new(Vec::new()),
            count: 0,
            max_key: 0,
        }
    }
}

impl<R> Tallied for Rows<R> {
    /// (count, highest key): what the database reports for the key.
    fn tally(&self) -> (i64, i64) {
        (self.count, self.max_key)
    }
}

/// What the database's count and highest key for a key are, as held.
pub trait Tallied {
    fn tally(&self) -> (i64, i64);
}

/// What a key's rows are kept as: the rows, and anything made from them.
pub trait Kept<R>: Weigh + Tallied {
    fn of(rows: Rows<R>) -> Self;
    /// Appends one row (`None`: a row this product cannot use, counted all the same).
    fn append(&mut self, key: i64, row: Option<R>);
}

/// The rows held of one append-only table.
pub struct Incremental<K, V> {
    held: Bounded<K, V>,
    /// The highest key read; `None` before the first read.
    seen: Option<i64>,
}

/// How a read must catch up with the table.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct CatchUp {
    /// Nothing held counts (nothing read yet, or the table's highest key went
    /// down): every key asked for is read whole.
    pub restart: bool,
    /// Rows past this key are new: read them (`None`: there are none).
    pub after: Option<i64>,
}

impl<K: Hash + Eq + Clone, V> Incremental<K, V> {
    pub fn new(share: Share) -> Incremental<K, V> {
        Incremental {
            held: Bounded::new(share),
            seen: None,
        }
    }

    /// How to catch up with a table whose highest key is now `max`.
    pub fn catch_up(&self, max: i64) -> CatchUp {
        let restart = self.seen.is_none_or(|seen| max < seen);
        let seen = self.seen.unwrap_or(0);
        CatchUp {
            restart,
            after: (!restart && max > seen).then_some(seen),
        }
    }

    /// The keys of `wanted` (each with the database's tally) whose rows, as
    /// held plus the `new` (key, row key) rows, do not make that tally: to be
    /// read whole.
    pub fn unaccounted<'n>(
        &self,
        catch_up: CatchUp,
        wanted: impl Iterator<Item = (K, (i64, i64))>,
        new: impl Iterator<Item = (&'n K, i64)>,
    ) -> Vec<K>
    where
        K: 'n,
        V: Tallied,
    {
        let mut added: HashMap<&K, (i64, i64)> = HashMap::new();
        for (key, row_key) in new {
            let e = added.entry(key).or_default();
            e.0 += 1;
            e.1 = e.1.max(row_key);
        }
        wanted
            .filter(|(key, tally)| {
                let held = self.held.peek(key).filter(|_| !catch_up.restart);
                match held {
                    None => true,
                    Some(v) => {
                        let (count, max_key) = v.tally();
                        let (n, m) = added.get(key).copied().unwrap_or((0, 0));
                        (count + n, max_key.max(m)) != *tally
                    }
                }
            })
            .map(|(key, _)| key)
            .collect()
    }

    /// Folds a read in: the `new` rows onto the keys held, the `whole` keys'
    /// rows (with their tallies) in place of what was held. Everything stays
    /// until [`Incremental::trim`], so one read's keys are all there at once.
    pub fn apply<R>(
        &mut self,
        catch_up: CatchUp,
        max: i64,
        new: impl IntoIterator<Item = (K, i64, Option<R>)>,
        whole: impl IntoIterator<Item = (K, (i64, i64), Vec<R>)>,
        key_bytes: impl Fn(&K) -> usize,
    ) where
        V: Kept<R>,
    {
        if catch_up.restart {
            self.held.clear();
        }
        for (key, row_key, row) in new {
            if let Some(v) = self.held.get_mut(&key) {
                v.append(row_key, row);
                let weight = v.bytes() + key_bytes(&key);
                self.held.reweigh(&key, weight);
            }
        }
        for (key, (count, max_key), rows) in whole {
            let v = V::of(Rows {
                rows: Arc::new(rows),
                count,
                max_key,
            });
            let weight = v.bytes() + key_bytes(&key);
            self.held.insert_over(key, v, weight);
        }
        self.seen = Some(max);
    }

    /// What is held for `key`, marked as just used.
    pub fn get(&mut self, key: &K) -> Option<&V> {
        self.held.get(key)
    }

    /// Back within its share of the budget.
    pub fn trim(&mut self) {
        self.held.trim();
    }

    /// Forgets everything (a schema change, another time zone).
    pub fn clear(&mut self) {
        self.held.clear();
        self.seen = None;
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.held.values()
    }

    #[cfg(test)]
    pub fn bounded(&mut self, share: Share) {
        self.held = Bounded::new(share);
    }

    #[cfg(test)]
    pub fn weight(&self) -> usize {
        self.held.weight()
    }
}

/// Plain rows are kept as they are.
impl<R: Clone> Kept<R> for Rows<R>
where
    Vec<R>: Weigh,
{
    fn of(rows: Rows<R>) -> Self {
        rows
    }

    fn append(&mut self, key: i64, row: Option<R>) {
        if let Some(row) = row {
            Arc::make_mut(&mut self.rows).push(row);
        }
        self.count += 1;
        self.max_key = self.max_key.max(key);
    }
}

impl<R> Weigh for Rows<R>
where
    Vec<R>: Weigh,
{
    fn bytes(&self) -> usize {
        shared::<Vec<R>>(self.rows.bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::super::budget::Share;
    use super::*;

    impl Weigh for Vec<u32> {
        fn bytes(&self) -> usize {
            4 * self.capacity()
        }
    }

    #[test]
    fn new_rows_join_the_keys_held_and_a_key_they_do_not_account_for_is_read_whole() {
        let mut table: Incremental<&str, Rows<u32>> = Incremental::new(Share::fixed(1 << 20));
        let first = table.catch_up(3);
        assert!(first.restart, "nothing read yet");
        table.apply(first, 3, [], [("a", (2, 2), vec![1, 2]), ("b", (1, 3), vec![3])], |k| {
            k.len()
        });
        let next = table.catch_up(5);
        assert_eq!(
            next,
            CatchUp {
                restart: false,
                after: Some(3)
            }
        );
        // Row 4 of a and row 5 of c arrived; b lost its row 3 (count 0).
        let new = [("a", 4), ("c", 5)];
        let whole = table.unaccounted(
            next,
            [("a", (3, 4)), ("b", (0, 0)), ("c", (1, 5))].into_iter(),
            new.iter().map(|(k, n)| (k, *n)),
        );
        assert_eq!(whole, ["b", "c"], "b's rows were deleted, c was never read");
        table.apply(
            next,
            5,
            [("a", 4, Some(4)), ("c", 5, Some(5))],
            [("b", (0, 0), vec![]), ("c", (1, 5), vec![5])],
            |k| k.len(),
        );
        assert_eq!(*table.get(&"a").unwrap().rows, vec![1, 2, 4]);
        assert!(table.get(&"b").unwrap().rows.is_empty());
        assert_eq!(
            table.catch_up(2),
            CatchUp {
                restart: true,
                after: None
            },
            "the highest key went down"
        );
    }
}

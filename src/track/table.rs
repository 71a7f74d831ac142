//! The connection table: a small open-addressing hash table built so that a lookup can be
//! fetched into the cache in stages, several packets ahead of its use (see
//! [`Table::prefetch_bucket`] and [`Table::prefetch_entry`]).
//!
//! Two arrays:
//! - an index of buckets, each `tag << 32 | (entry + 1)` (0: empty), where the tag is the high
//!   32 bits of the key's hash and the bucket a key starts probing at (its home) is given by
//!   the tag's top bits; linear probing, at most half full, so that probing always ends at an
//!   empty bucket; deletion by backward shift (no tombstones);
//! - the entries, dense (key, value and tag), so that iterating reads nothing else; removal
//!   by `swap_remove`, the moved entry's bucket updated.
//!
//! The caller hashes the keys (every method takes the key's 64-bit hash, which must be the
//! same for equal keys), so that a hash computed once serves several calls.

/// One entry: its key, its value, and the tag its bucket holds.
#[derive(Clone, Debug)]
pub struct Entry<K, V> {
    pub key: K,
    pub value: V,
    tag: u32,
}

#[derive(Clone, Debug)]
pub struct Table<K, V> {
    /// Buckets; a power of two in length (or empty, before the first insertion).
    index: Vec<u64>,
    /// log2 of `index.len()`.
    bits: u32,
    entries: Vec<Entry<K, V>>,
}

impl<K, V> Default for Table<K, V> {
    fn default() -> Self {
        Table {
            index: Vec::new(),
            bits: 0,
            entries: Vec::new(),
        }
    }
}

const EMPTY: u64 = 0;
/// The smallest index.
const MIN_BITS: u32 = 3;

fn tag_of(hash: u64) -> u32 {
    (hash >> 32) as u32
}

fn bucket(tag: u32, entry: usize) -> u64 {
    u64::from(tag) << 32 | (entry as u64 + 1)
}

fn bucket_tag(b: u64) -> u32 {
    (b >> 32) as u32
}

fn bucket_entry(b: u64) -> usize {
    (b as u32 as usize) - 1
}

impl<K: Eq, V> Table<K, V> {
    /// A table that holds `n` entries without growing.
    pub fn with_capacity(n: usize) -> Self {
        let mut t = Table {
            entries: Vec::with_capacity(n),
            ..Table::default()
        };
        t.resize(Table::<K, V>::bits_for(n));
        t
    }

    /// The index size (log2) for `n` entries at most half full.
    fn bits_for(n: usize) -> u32 {
        let buckets = n.saturating_mul(2).max(1 << MIN_BITS).next_power_of_two();
        buckets.trailing_zeros()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn mask(&self) -> usize {
        self.index.len() - 1
    }

    /// The bucket a tag starts probing at: the tag's top `bits` bits.
    fn home(&self, tag: u32) -> usize {
        // `bits` is at least MIN_BITS when the index exists, and at most 32 (see `resize`).
        (u64::from(tag) >> (32 - self.bits)) as usize
    }

    /// The first entry, in probing order, whose bucket carries the tag of `hash` (the only
    /// entries that can hold a key with that hash) and that `wanted` accepts. A plain loop:
    /// as an iterator chain, the probe was a function call of its own on every lookup.
    #[inline]
    fn probe(&self, hash: u64, mut wanted: impl FnMut(usize) -> bool) -> Option<usize> {
        if self.index.is_empty() {
            return None;
        }
        let tag = tag_of(hash);
        let mask = self.mask();
        let mut i = self.home(tag);
        // Probing ends at an empty bucket: there is always one (at most half full).
        loop {
            let b = self.index[i];
            if b == EMPTY {
                return None;
            }
            if bucket_tag(b) == tag && wanted(bucket_entry(b)) {
                return Some(bucket_entry(b));
            }
            i = (i + 1) & mask;
        }
    }

    /// The entry of `key`, by position in [`Table::entries`].
    #[inline]
    pub fn find(&self, hash: u64, key: &K) -> Option<usize> {
        self.probe(hash, |e| self.entries[e].key == *key)
    }

    /// [`Table::find`], trying position `e` first (found for `key` a moment ago, before
    /// entries may have moved): one comparison when it still holds `key`.
    #[inline]
    pub fn find_at(&self, e: usize, hash: u64, key: &K) -> Option<usize> {
        match self.entries.get(e) {
            Some(entry) if entry.key == *key => Some(e),
            _ => self.find(hash, key),
        }
    }

    /// The value of the entry at position `e`.
    pub fn value(&self, e: usize) -> &V {
        &self.entries[e].value
    }

    #[cfg(test)]
    pub fn get(&self, hash: u64, key: &K) -> Option<&V> {
        self.find(hash, key).map(|e| &self.entries[e].value)
    }

    #[cfg(test)]
    pub fn get_mut(&mut self, hash: u64, key: &K) -> Option<&mut V> {
        self.find(hash, key).map(|e| &mut self.entries[e].value)
    }

    /// Add `key`, which must not be in the table yet; its value, to fill in further.
    pub fn insert_new(&mut self, hash: u64, key: K, value: V) -> &mut V {
        debug_assert!(self.find(hash, &key).is_none(), "key inserted twice");
        if (self.entries.len() + 1) * 2 > self.index.len() {
            let bits = (self.bits + 1).max(MIN_BITS);
            self.resize(bits);
        }
        let tag = tag_of(hash);
        let e = self.entries.len();
        self.entries.push(Entry { key, value, tag });
        let slot = self.free_bucket(tag);
        self.index[slot] = bucket(tag, e);
        &mut self.entries[e].value
    }

    /// The first empty bucket from the home of `tag`.
    fn free_bucket(&self, tag: u32) -> usize {
        let mask = self.mask();
        let mut i = self.home(tag);
        while self.index[i] != EMPTY {
            i = (i + 1) & mask;
        }
        i
    }

    /// Rebuild the index with `2^bits` buckets (from the tags: no key is hashed again).
    fn resize(&mut self, bits: u32) {
        assert!(bits <= 32, "connection table too large");
        self.bits = bits;
        // Fresh zeroed memory (EMPTY is 0): the allocator's zeroed pages cost nothing until
        // touched, which matters for short captures and the default capacity.
        self.index = vec![EMPTY; 1 << bits];
        for e in 0..self.entries.len() {
            let tag = self.entries[e].tag;
            let slot = self.free_bucket(tag);
            self.index[slot] = bucket(tag, e);
        }
    }

    /// Take `key` out of the table (the tracker removes by position; the model tests by key).
    #[cfg(test)]
    pub fn remove(&mut self, hash: u64, key: &K) -> Option<(K, V)> {
        let e = self.find(hash, key)?;
        Some(self.remove_entry(e))
    }

    /// Take the entry at position `e` out of the table: the last entry moves into its place.
    pub fn remove_entry(&mut self, e: usize) -> (K, V) {
        let tag = self.entries[e].tag;
        let slot = self.bucket_of(tag, e);
        self.clear_bucket(slot);
        let last = self.entries.len() - 1;
        let removed = self.entries.swap_remove(e);
        if e != last {
            let moved_tag = self.entries[e].tag;
            let slot = self.bucket_of(moved_tag, last);
            self.index[slot] = bucket(moved_tag, e);
        }
        (removed.key, removed.value)
    }

    /// The bucket that points at entry `e`, whose tag is `tag`.
    fn bucket_of(&self, tag: u32, e: usize) -> usize {
        let want = bucket(tag, e);
        let mask = self.mask();
        let mut i = self.home(tag);
        while self.index[i] != want {
            debug_assert!(self.index[i] != EMPTY, "entry without a bucket");
            i = (i + 1) & mask;
        }
        i
    }

    /// Empty bucket `hole`, and move back the buckets after it that may move (backward
    /// shift), so that no probe sequence has a gap.
    fn clear_bucket(&mut self, mut hole: usize) {
        let mask = self.mask();
        let mut i = (hole + 1) & mask;
        loop {
            let b = self.index[i];
            if b == EMPTY {
                break;
            }
            let home = self.home(bucket_tag(b));
            // The bucket at `i` may move to `hole` if `hole` lies on its probe sequence
            // (cyclically between its home and `i`).
            if (i.wrapping_sub(home) & mask) >= (i.wrapping_sub(hole) & mask) {
                self.index[hole] = b;
                hole = i;
            }
            i = (i + 1) & mask;
        }
        self.index[hole] = EMPTY;
    }

    /// All entries, in no particular order.
    #[cfg(test)]
    pub fn entries(&self) -> &[Entry<K, V>] {
        &self.entries
    }

    /// First stage of a lookup ahead of time: bring the home bucket of `hash` into the cache.
    #[inline]
    pub fn prefetch_bucket(&self, hash: u64) {
        if !self.index.is_empty() {
            crate::sys::prefetch(&self.index[self.home(tag_of(hash))]);
        }
    }

    /// Second stage, once the bucket is cached: bring the first entry whose tag is that of
    /// `hash` into the cache (without reading it: it is the one missing), and say which it
    /// is, for [`Table::find_at`] once it is cached. `None`: no key with this hash is in the
    /// table.
    #[inline]
    pub fn prefetch_entry(&self, hash: u64) -> Option<usize> {
        let e = self.probe(hash, |_| true)?;
        crate::sys::prefetch(&self.entries[e]);
        Some(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Every key findable, every bucket pointing at an entry with its tag, every entry
    /// pointed at once.
    fn check<K: Eq + std::fmt::Debug, V>(t: &Table<K, V>, hash: impl Fn(&K) -> u64) {
        let mut pointed = vec![0; t.entries.len()];
        for b in t.index.iter().copied().filter(|b| *b != EMPTY) {
            let e = bucket_entry(b);
            assert_eq!(t.entries[e].tag, bucket_tag(b));
            pointed[e] += 1;
        }
        assert!(pointed.iter().all(|n| *n == 1), "{pointed:?}");
        for (e, entry) in t.entries.iter().enumerate() {
            assert_eq!(entry.tag, tag_of(hash(&entry.key)));
            assert_eq!(
                t.find(hash(&entry.key), &entry.key),
                Some(e),
                "{:?}",
                entry.key
            );
        }
        assert!(t.entries.len() * 2 <= t.index.len());
    }

    /// A hash whose tag puts key `k` at home bucket `k / 100` of an 8-bucket index, so that
    /// tests choose collisions; `k % 100` tells keys of one home apart (same tag when equal).
    fn chosen(k: &u32) -> u64 {
        let home = u64::from(k / 100);
        let low = u64::from(k % 100);
        (home << 61) | (low << 32) | u64::from(*k)
    }

    #[test]
    fn empty_table_finds_nothing() {
        let t: Table<u32, u32> = Table::default();
        assert_eq!(t.find(chosen(&1), &1), None);
        t.prefetch_bucket(1);
        assert_eq!(t.prefetch_entry(1), None);
        let mut t: Table<u32, u32> = Table::default();
        assert_eq!(t.remove(chosen(&1), &1), None);
        assert!(t.is_empty());
    }

    #[test]
    fn insert_find_remove_with_collisions() {
        let mut t = Table::with_capacity(4);
        assert_eq!(t.index.len(), 8);
        // Three keys with home 2, one with home 3 (pushed to 5 by them).
        for k in [200, 201, 202, 300] {
            *t.insert_new(chosen(&k), k, 0) = k * 10;
            check(&t, chosen);
        }
        assert_eq!(t.index[2..6].iter().filter(|b| **b != EMPTY).count(), 4);
        for k in [200, 201, 202, 300] {
            assert_eq!(t.get(chosen(&k), &k), Some(&(k * 10)));
        }
        // Same tag as 201, other key: not found.
        assert_eq!(t.find(chosen(&201), &999), None);
        assert_eq!(t.get(chosen(&203), &203), None);
        *t.get_mut(chosen(&202), &202).unwrap() += 1;
        assert_eq!(t.get(chosen(&202), &202), Some(&2021));
        // Removing the first of the chain moves the others back.
        assert_eq!(t.remove(chosen(&200), &200), Some((200, 2000)));
        check(&t, chosen);
        assert_eq!(
            bucket_entry(t.index[2]),
            t.find(chosen(&201), &201).unwrap()
        );
        assert_eq!(t.index[5], EMPTY);
        assert_eq!(t.remove(chosen(&200), &200), None);
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn probing_wraps_around_the_end() {
        let mut t = Table::with_capacity(4);
        // Home 7 is the last bucket: the second and third key wrap to 0 and 1.
        for k in [700, 701, 702] {
            t.insert_new(chosen(&k), k, k);
        }
        check(&t, chosen);
        assert_ne!(t.index[7], EMPTY);
        assert_ne!(t.index[0], EMPTY);
        assert_ne!(t.index[1], EMPTY);
        // A key at home 0 goes after the wrapped ones.
        t.insert_new(chosen(&0), 0, 0);
        assert_eq!(bucket_entry(t.index[2]), 3);
        // Removing at the end shifts the wrapped keys back over the edge, and key 0 one
        // bucket nearer its home.
        t.remove(chosen(&700), &700);
        check(&t, chosen);
        let key_at = |t: &Table<u32, u32>, i: usize| t.entries[bucket_entry(t.index[i])].key;
        assert_eq!(key_at(&t, 7), 701);
        assert_eq!(key_at(&t, 0), 702);
        assert_eq!(key_at(&t, 1), 0);
        assert_eq!(t.index[2], EMPTY);
    }

    #[test]
    fn backward_shift_leaves_keys_at_home() {
        let mut t = Table::with_capacity(4);
        // 100 at its home 1, 200 and 201 at their home 2 and next, 300 pushed to 4.
        for k in [100, 200, 201, 300] {
            t.insert_new(chosen(&k), k, k);
        }
        assert_eq!(bucket_entry(t.index[4]), 3);
        t.remove(chosen(&100), &100);
        check(&t, chosen);
        // Nothing may move into bucket 1: the keys after it are at or after their homes.
        assert_eq!(t.index[1], EMPTY);
        t.remove(chosen(&200), &200);
        check(&t, chosen);
        // 201 moves back to its home 2, 300 to its home 3.
        assert_eq!(t.index[4], EMPTY);
        assert_eq!(t.entries[bucket_entry(t.index[2])].key, 201);
        assert_eq!(t.entries[bucket_entry(t.index[3])].key, 300);
    }

    #[test]
    fn find_at_a_stale_position_still_finds_the_key() {
        let mut t = Table::with_capacity(4);
        for k in [100, 500, 600] {
            t.insert_new(chosen(&k), k, k);
        }
        let at = t.find(chosen(&600), &600).unwrap();
        assert_eq!(t.find_at(at, chosen(&600), &600), Some(at));
        // Removing the first entry moves 600 (the last) into its place.
        t.remove(chosen(&100), &100);
        let now = t.find(chosen(&600), &600).unwrap();
        assert_ne!(now, at);
        assert_eq!(t.find_at(at, chosen(&600), &600), Some(now));
        // A position holding another key, or past the end, falls back to probing.
        assert_eq!(
            t.find_at(now, chosen(&500), &500),
            t.find(chosen(&500), &500)
        );
        assert_eq!(
            t.find_at(usize::MAX, chosen(&500), &500),
            t.find(chosen(&500), &500)
        );
        assert_eq!(t.find_at(0, chosen(&100), &100), None);
    }

    #[test]
    fn swap_remove_moves_the_last_entry_and_its_bucket() {
        let mut t = Table::with_capacity(4);
        for k in [100, 500, 600] {
            t.insert_new(chosen(&k), k, k);
        }
        assert_eq!(t.entries[2].key, 600);
        t.remove(chosen(&100), &100);
        // 600 moved into position 0; its bucket (6) follows.
        assert_eq!(t.entries[0].key, 600);
        assert_eq!(bucket_entry(t.index[6]), 0);
        check(&t, chosen);
        // Removing the last entry moves nothing.
        let (k, v) = t.remove_entry(1);
        assert_eq!((k, v), (500, 500));
        assert_eq!(t.entries.len(), 1);
        check(&t, chosen);
    }

    #[test]
    fn grows_by_doubling_and_keeps_everything() {
        let mut t = Table::default();
        let hash = |k: &u64| k.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        for k in 0..1000u64 {
            t.insert_new(hash(&k), k, k * 2);
            assert!(t.len() * 2 <= t.index.len());
        }
        assert_eq!(t.index.len(), 2048);
        check(&t, hash);
        for k in 0..1000u64 {
            assert_eq!(t.get(hash(&k), &k), Some(&(k * 2)));
        }
        // All keys on one tag: still correct (just slow).
        let mut t = Table::default();
        for k in 0..100u64 {
            t.insert_new(7 << 32, k, k);
        }
        check(&t, |_| 7 << 32);
        for k in (0..100u64).step_by(3) {
            assert_eq!(t.remove(7 << 32, &k), Some((k, k)));
            check(&t, |_| 7 << 32);
        }
    }

    /// A small xorshift generator: deterministic, no dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn behaves_like_std_hashmap() {
        // Few keys and a poor hash (many shared tags and homes): long chains, wrap-around,
        // removals in the middle of chains, growth and shrinking in turns.
        for (seed, keys) in [(1u64, 40u64), (2, 300), (3, 3000)] {
            let poor = move |k: &u64| (k % 13).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (k % 7) << 32;
            let mut rng = Rng(0x2545_f491_4f6c_dd1d ^ seed);
            let mut t: Table<u64, u64> = Table::with_capacity(4);
            let mut m: HashMap<u64, u64> = HashMap::new();
            for step in 0..5000 {
                let k = rng.next() % keys;
                let h = poor(&k);
                match rng.next() % 4 {
                    0 | 1 => {
                        if let Some(v) = t.get_mut(h, &k) {
                            *v += 1;
                            *m.get_mut(&k).unwrap() += 1;
                        } else {
                            assert!(!m.contains_key(&k));
                            t.insert_new(h, k, step);
                            m.insert(k, step);
                        }
                    }
                    2 => assert_eq!(t.remove(h, &k).map(|(_, v)| v), m.remove(&k)),
                    _ => assert_eq!(t.get(h, &k), m.get(&k)),
                }
                assert_eq!(t.len(), m.len());
                if step % 97 == 0 {
                    check(&t, poor);
                }
            }
            check(&t, poor);
            let mut all: Vec<_> = t.entries().iter().map(|e| (e.key, e.value)).collect();
            all.sort_unstable();
            let mut want: Vec<_> = m.into_iter().collect();
            want.sort_unstable();
            assert_eq!(all, want);
        }
    }
}

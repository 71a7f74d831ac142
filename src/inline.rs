//! Short lists and strings kept inline, without the heap: for per-segment facts whose count
//! has a small bound (state changes, SACK blocks), so that analysing a segment allocates
//! nothing, and for per-connection ones that are nearly always short (state paths, Zeek's
//! history), which spill to the heap only when they grow long.

use std::collections::VecDeque;
use std::fmt;
use std::ops::Deref;

/// At most `N` items of a small `Copy` type, stored in place. Pushing onto a full list drops
/// the item.
#[derive(Clone, Copy)]
pub struct InlineVec<T: Copy + Default, const N: usize> {
    len: u8,
    items: [T; N],
}

impl<T: Copy + Default, const N: usize> InlineVec<T, N> {
    pub fn new() -> Self {
        InlineVec {
            len: 0,
            items: [T::default(); N],
        }
    }

    /// Append `item`, unless the list is full (the bound of each use is one that valid
    /// input cannot exceed, so only nonsense is dropped).
    pub fn push(&mut self, item: T) {
        if let Some(slot) = self.items.get_mut(usize::from(self.len)) {
            *slot = item;
            self.len += 1;
        }
    }

    pub fn as_slice(&self) -> &[T] {
        &self.items[..usize::from(self.len)]
    }

    /// Empty the list in place (the items past its length are never read).
    pub fn clear(&mut self) {
        self.len = 0;
    }
}

impl<T: Copy + Default, const N: usize> Default for InlineVec<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Copy + Default, const N: usize> Deref for InlineVec<T, N> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<'a, T: Copy + Default, const N: usize> IntoIterator for &'a InlineVec<T, N> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

/// Collects at most `N` items; the rest are dropped.
impl<T: Copy + Default, const N: usize> FromIterator<T> for InlineVec<T, N> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut list = Self::new();
        for item in iter.into_iter().take(N) {
            list.push(item);
        }
        list
    }
}

impl<T: Copy + Default + fmt::Debug, const N: usize> fmt::Debug for InlineVec<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl<T: Copy + Default + PartialEq, const N: usize> PartialEq for InlineVec<T, N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Copy + Default + Eq, const N: usize> Eq for InlineVec<T, N> {}

impl<T: Copy + Default + PartialEq, const N: usize> PartialEq<Vec<T>> for InlineVec<T, N> {
    fn eq(&self, other: &Vec<T>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Copy + Default + PartialEq, const N: usize, const M: usize> PartialEq<[T; M]>
    for InlineVec<T, N>
{
    fn eq(&self, other: &[T; M]) -> bool {
        self.as_slice() == other.as_slice()
    }
}

/// Up to `N` items in place; more move to the heap.
#[derive(Clone)]
pub enum SmallVec<T: Copy + Default, const N: usize> {
    Inline(InlineVec<T, N>),
    /// Boxed: a box is 8 bytes in place, a `Vec` 24.
    #[allow(clippy::box_collection)]
    Heap(Box<Vec<T>>),
}

impl<T: Copy + Default, const N: usize> SmallVec<T, N> {
    pub fn new() -> Self {
        SmallVec::Inline(InlineVec::new())
    }

    /// In place while there is room (inline: nearly every push), else on the heap.
    #[inline]
    pub fn push(&mut self, item: T) {
        match self {
            SmallVec::Inline(list) if list.len() < N => list.push(item),
            _ => self.push_spilled(item),
        }
    }

    #[cold]
    #[inline(never)]
    fn push_spilled(&mut self, item: T) {
        match self {
            SmallVec::Inline(list) => {
                let mut heap = Vec::with_capacity(2 * N);
                heap.extend_from_slice(list);
                heap.push(item);
                *self = SmallVec::Heap(Box::new(heap));
            }
            SmallVec::Heap(heap) => heap.push(item),
        }
    }

    pub fn as_slice(&self) -> &[T] {
        match self {
            SmallVec::Inline(list) => list.as_slice(),
            SmallVec::Heap(heap) => heap,
        }
    }
}

impl<T: Copy + Default, const N: usize> Default for SmallVec<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Copy + Default, const N: usize> Deref for SmallVec<T, N> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<'a, T: Copy + Default, const N: usize> IntoIterator for &'a SmallVec<T, N> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

impl<T: Copy + Default, const N: usize> FromIterator<T> for SmallVec<T, N> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut list = Self::new();
        for item in iter {
            list.push(item);
        }
        list
    }
}

impl<T: Copy + Default + fmt::Debug, const N: usize> fmt::Debug for SmallVec<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl<T: Copy + Default + PartialEq, const N: usize> PartialEq for SmallVec<T, N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Copy + Default + PartialEq, const N: usize> PartialEq<Vec<T>> for SmallVec<T, N> {
    fn eq(&self, other: &Vec<T>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Copy + Default + PartialEq, const N: usize, const M: usize> PartialEq<[T; M]>
    for SmallVec<T, N>
{
    fn eq(&self, other: &[T; M]) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Copy + Default + serde::Serialize, const N: usize> serde::Serialize for SmallVec<T, N> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.as_slice())
    }
}

/// A queue of up to `N` items in place, front first; more move to a boxed `VecDeque`
/// (and stay there until the queue is replaced). For per-connection queues that are nearly
/// always short (segments awaiting their ACK, timestamps awaiting their echo): in place, they
/// cost no allocation and share the connection's cache lines.
#[derive(Clone)]
pub enum SmallDeque<T: Copy + Default, const N: usize> {
    Inline(InlineVec<T, N>),
    /// Boxed: a `VecDeque` is 32 bytes in place, a box 8.
    #[allow(clippy::box_collection)]
    Heap(Box<VecDeque<T>>),
}

impl<T: Copy + Default, const N: usize> SmallDeque<T, N> {
    pub fn new() -> Self {
        SmallDeque::Inline(InlineVec::new())
    }

    pub fn len(&self) -> usize {
        match self {
            SmallDeque::Inline(list) => usize::from(list.len),
            SmallDeque::Heap(heap) => heap.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The items in order, as the two parts of a ring (the second empty in place).
    pub fn as_slices(&self) -> (&[T], &[T]) {
        match self {
            SmallDeque::Inline(list) => (list.as_slice(), &[]),
            SmallDeque::Heap(heap) => heap.as_slices(),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        let (a, b) = self.as_slices();
        a.iter().chain(b)
    }

    pub fn get(&self, index: usize) -> Option<&T> {
        match self {
            SmallDeque::Inline(list) => list.as_slice().get(index),
            SmallDeque::Heap(heap) => heap.get(index),
        }
    }

    /// The heap queue, the items in place moved into it first (when all `N` places are full).
    fn spill(&mut self) -> Option<&mut VecDeque<T>> {
        if let SmallDeque::Inline(list) = self {
            let mut heap = VecDeque::with_capacity(2 * N.max(1));
            heap.extend(list.as_slice());
            *self = SmallDeque::Heap(Box::new(heap));
        }
        match self {
            SmallDeque::Heap(heap) => Some(heap),
            SmallDeque::Inline(_) => None,
        }
    }

    pub fn push_front(&mut self, item: T) {
        match self {
            SmallDeque::Inline(list) if usize::from(list.len) < N => {
                // Every place moves up one, used or not: a fixed run of copies (the places past
                // the length are never read), where shifting only the used ones was a call to
                // `memmove` of a varying length on most segments.
                for k in (1..N).rev() {
                    list.items[k] = list.items[k - 1];
                }
                list.items[0] = item;
                list.len += 1;
            }
            _ => {
                if let Some(heap) = self.spill() {
                    heap.push_front(item);
                }
            }
        }
    }

    pub fn push_back(&mut self, item: T) {
        match self {
            SmallDeque::Inline(list) if usize::from(list.len) < N => list.push(item),
            _ => {
                if let Some(heap) = self.spill() {
                    heap.push_back(item);
                }
            }
        }
    }

    pub fn pop_front(&mut self) -> Option<T> {
        match self {
            SmallDeque::Inline(list) => {
                let first = *list.as_slice().first()?;
                // Every place moves down one (see `push_front`).
                for k in 1..N {
                    list.items[k - 1] = list.items[k];
                }
                list.len -= 1;
                Some(first)
            }
            SmallDeque::Heap(heap) => heap.pop_front(),
        }
    }

    /// Remove the first `n` items (all of them, if there are fewer).
    pub fn drop_front(&mut self, n: usize) {
        match self {
            SmallDeque::Inline(list) => {
                let n = n.min(usize::from(list.len));
                // Every place moves down `n` (see `push_front`); the places past the new length
                // take copies of the last place.
                for k in 0..N {
                    list.items[k] = list.items[(k + n).min(N - 1)];
                }
                list.len -= n as u8;
            }
            SmallDeque::Heap(heap) => {
                heap.drain(..n.min(heap.len()));
            }
        }
    }

    /// Keep the items for which `keep` is true, in order; `keep` sees every item once, front
    /// first (as `VecDeque::retain_mut`).
    pub fn retain_mut(&mut self, mut keep: impl FnMut(&mut T) -> bool) {
        match self {
            SmallDeque::Inline(list) => {
                let len = usize::from(list.len);
                let mut kept = 0;
                for i in 0..len {
                    let mut item = list.items[i];
                    if keep(&mut item) {
                        list.items[kept] = item;
                        kept += 1;
                    }
                }
                list.len = kept as u8;
            }
            SmallDeque::Heap(heap) => heap.retain_mut(keep),
        }
    }
}

impl<T: Copy + Default, const N: usize> Default for SmallDeque<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Copy + Default + fmt::Debug, const N: usize> fmt::Debug for SmallDeque<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// A string of up to `N` bytes in place; longer ones move to the heap.
#[derive(Clone)]
pub enum SmallString<const N: usize> {
    Inline {
        len: u8,
        bytes: [u8; N],
    },
    /// Boxed: a box is 8 bytes in place, a `String` 24.
    #[allow(clippy::box_collection)]
    Heap(Box<String>),
}

impl<const N: usize> SmallString<N> {
    pub fn new() -> Self {
        SmallString::Inline {
            len: 0,
            bytes: [0; N],
        }
    }

    /// An ASCII character in place while there is room (inline: Zeek's history letters,
    /// nearly every push), anything else through [`SmallString::push_slow`].
    #[inline]
    pub fn push(&mut self, c: char) {
        match self {
            SmallString::Inline { len, bytes } if c.is_ascii() && usize::from(*len) < N => {
                bytes[usize::from(*len)] = c as u8;
                *len += 1;
            }
            _ => self.push_slow(c),
        }
    }

    #[cold]
    #[inline(never)]
    fn push_slow(&mut self, c: char) {
        let mut utf8 = [0u8; 4];
        let add = c.encode_utf8(&mut utf8).as_bytes();
        match self {
            SmallString::Inline { len, bytes } if usize::from(*len) + add.len() <= N => {
                let at = usize::from(*len);
                bytes[at..at + add.len()].copy_from_slice(add);
                *len += add.len() as u8;
            }
            SmallString::Inline { .. } => {
                let mut heap = String::with_capacity(2 * N);
                heap.push_str(self.as_str());
                heap.push(c);
                *self = SmallString::Heap(Box::new(heap));
            }
            SmallString::Heap(heap) => heap.push(c),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            // Only whole characters are ever copied in, so this is always valid UTF-8.
            SmallString::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            SmallString::Heap(heap) => heap,
        }
    }
}

impl<const N: usize> Default for SmallString<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Deref for SmallString<N> {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl<const N: usize> fmt::Debug for SmallString<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl<const N: usize> fmt::Display for SmallString<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<const N: usize> PartialEq for SmallString<N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl<const N: usize> PartialEq<str> for SmallString<N> {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl<const N: usize> PartialEq<&str> for SmallString<N> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl<const N: usize> serde::Serialize for SmallString<N> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::{InlineVec, SmallDeque, SmallString, SmallVec};
    use std::collections::VecDeque;

    #[test]
    fn small_vec_spills_to_the_heap_keeping_order() {
        let mut v: SmallVec<u8, 3> = SmallVec::new();
        for i in 0..3 {
            v.push(i);
        }
        assert!(matches!(v, SmallVec::Inline(_)));
        v.push(3);
        v.push(4);
        assert!(matches!(v, SmallVec::Heap(_)));
        assert_eq!(v, [0, 1, 2, 3, 4]);
    }

    #[test]
    fn small_string_spills_to_the_heap_whole_characters_only() {
        let mut s: SmallString<4> = SmallString::new();
        s.push('S');
        s.push('h');
        s.push('é');
        assert!(matches!(s, SmallString::Inline { .. }), "é takes two bytes");
        assert_eq!(s, "Shé");
        s.push('A');
        assert!(matches!(s, SmallString::Heap(_)));
        assert_eq!(s, "ShéA");
        let mut s: SmallString<4> = SmallString::new();
        "ShADdfFa".chars().for_each(|c| s.push(c));
        assert_eq!(s.to_string(), "ShADdfFa");
    }

    #[test]
    fn keeps_at_most_n_items_in_order() {
        let mut v: InlineVec<u32, 2> = InlineVec::new();
        assert!(v.is_empty());
        v.push(1);
        v.push(2);
        v.push(3);
        assert_eq!(v, [1, 2]);
        assert_eq!(v.iter().sum::<u32>(), 3);
        let w: InlineVec<u32, 2> = (5..9).collect();
        assert_eq!(w, vec![5, 6]);
        assert_eq!(format!("{w:?}"), "[5, 6]");
    }

    /// Random pushes, pops and retains on a `SmallDeque` and a `VecDeque` side by side: the
    /// same items in the same order, across spilling to the heap.
    #[test]
    fn small_deque_behaves_as_a_vec_deque() {
        let mut rng = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        for round in 0..200 {
            let mut small: SmallDeque<u32, 3> = SmallDeque::new();
            let mut model: VecDeque<u32> = VecDeque::new();
            for step in 0..(round % 40) {
                let value = (next() % 100) as u32;
                match next() % 6 {
                    0 | 1 => {
                        small.push_front(value);
                        model.push_front(value);
                    }
                    2 => {
                        small.push_back(value);
                        model.push_back(value);
                    }
                    3 => assert_eq!(small.pop_front(), model.pop_front()),
                    4 => {
                        let n = (value % 4) as usize;
                        small.drop_front(n);
                        model.drain(..n.min(model.len()));
                    }
                    _ => {
                        let (mut seen_small, mut seen_model) = (vec![], vec![]);
                        small.retain_mut(|x| {
                            seen_small.push(*x);
                            *x += 1;
                            *x % 3 != 0
                        });
                        model.retain_mut(|x| {
                            seen_model.push(*x);
                            *x += 1;
                            *x % 3 != 0
                        });
                        assert_eq!(seen_small, seen_model, "round {round} step {step}");
                    }
                }
                assert_eq!(small.len(), model.len());
                assert_eq!(small.is_empty(), model.is_empty());
                assert!(small.iter().eq(model.iter()), "round {round} step {step}");
                assert_eq!(small.get(1), model.get(1));
                if model.len() <= 3 && matches!(small, SmallDeque::Inline(_)) {
                    continue;
                }
                assert!(
                    matches!(small, SmallDeque::Heap(_)),
                    "more than 3 stay on the heap"
                );
            }
        }
    }
}

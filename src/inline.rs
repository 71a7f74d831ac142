//! Short lists and strings kept inline, without the heap: for per-segment facts whose count
//! has a small bound (state changes, SACK blocks), so that analysing a segment allocates
//! nothing, and for per-connection ones that are nearly always short (state paths, Zeek's
//! history), which spill to the heap only when they grow long.

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
    Heap(Vec<T>),
}

impl<T: Copy + Default, const N: usize> SmallVec<T, N> {
    pub fn new() -> Self {
        SmallVec::Inline(InlineVec::new())
    }

    pub fn push(&mut self, item: T) {
        match self {
            SmallVec::Inline(list) if list.len() < N => list.push(item),
            SmallVec::Inline(list) => {
                let mut heap = Vec::with_capacity(2 * N);
                heap.extend_from_slice(list);
                heap.push(item);
                *self = SmallVec::Heap(heap);
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

/// A string of up to `N` bytes in place; longer ones move to the heap.
#[derive(Clone)]
pub enum SmallString<const N: usize> {
    Inline { len: u8, bytes: [u8; N] },
    Heap(String),
}

impl<const N: usize> SmallString<N> {
    pub fn new() -> Self {
        SmallString::Inline {
            len: 0,
            bytes: [0; N],
        }
    }

    pub fn push(&mut self, c: char) {
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
                *self = SmallString::Heap(heap);
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
    use super::{InlineVec, SmallString, SmallVec};

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
}

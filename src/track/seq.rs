//! Sequence numbers: 32-bit, compared with wrap-around (RFC 9293 section 3.4).

use std::cmp::Ordering;
use std::fmt;

/// A TCP sequence number. Ordered by wrapping difference, like smoltcp's `SeqNumber`, but
/// with wrapping arithmetic only: an observer must never panic on overflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct SeqNum(pub u32);

impl SeqNum {
    /// `self + n`, wrapping.
    pub fn plus(self, n: u32) -> SeqNum {
        SeqNum(self.0.wrapping_add(n))
    }

    /// Signed distance from `other` to `self` (positive when `self` is later).
    pub fn diff(self, other: SeqNum) -> i64 {
        i64::from(self.0.wrapping_sub(other.0) as i32)
    }
}

impl PartialOrd for SeqNum {
    fn partial_cmp(&self, other: &SeqNum) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

// A total order is not transitive across more than 2^31 apart, which is inherent to TCP
// sequence space; within a connection's window it is what every stack uses.
impl Ord for SeqNum {
    fn cmp(&self, other: &SeqNum) -> Ordering {
        self.diff(*other).cmp(&0)
    }
}

impl fmt::Display for SeqNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An optional value in one byte more than the value (an `Option<u32>` takes 8 bytes, this 5):
/// for the sequence numbers an endpoint may not have sent yet. A connection holds ten of them,
/// and its size in cache lines is most of what tracking it costs (issue 7).
#[derive(Clone, Copy, Default)]
#[repr(C, packed)]
pub struct Maybe<T: Copy> {
    known: bool,
    value: T,
}

impl<T: Copy + Default> Maybe<T> {
    pub fn none() -> Maybe<T> {
        Maybe {
            known: false,
            value: T::default(),
        }
    }

    pub fn get(self) -> Option<T> {
        let Maybe { known, value } = self;
        known.then_some(value)
    }

    pub fn set(&mut self, value: T) {
        *self = Maybe { known: true, value };
    }

    pub fn is_some(self) -> bool {
        self.known
    }

    pub fn is_none(self) -> bool {
        !self.known
    }

    /// The value, set to `value` first if there was none.
    pub fn get_or_insert(&mut self, value: T) -> T {
        match self.get() {
            Some(v) => v,
            None => {
                self.set(value);
                value
            }
        }
    }
}

impl<T: Copy + Default + fmt::Debug> fmt::Debug for Maybe<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.get(), f)
    }
}

impl<T: Copy + Default + PartialEq> PartialEq for Maybe<T> {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

#[cfg(test)]
mod tests {
    use super::{Maybe, SeqNum};

    #[test]
    fn compares_across_wrap() {
        let near_end = SeqNum(u32::MAX - 5);
        let wrapped = near_end.plus(10);
        assert_eq!(wrapped, SeqNum(4));
        assert!(wrapped > near_end);
        assert!(near_end < wrapped);
        assert_eq!(wrapped.diff(near_end), 10);
        assert_eq!(near_end.diff(wrapped), -10);
    }

    #[test]
    fn ordinary_order() {
        assert!(SeqNum(100) > SeqNum(99));
        assert!(SeqNum(0) < SeqNum(1 << 30));
        assert_eq!(SeqNum(7).cmp(&SeqNum(7)), std::cmp::Ordering::Equal);
    }

    #[test]
    fn maybe_is_an_option_in_five_bytes() {
        assert_eq!(std::mem::size_of::<Maybe<SeqNum>>(), 5);
        let mut m: Maybe<SeqNum> = Maybe::none();
        assert_eq!((m.get(), m.is_none(), m.is_some()), (None, true, false));
        assert_eq!(
            m.get_or_insert(SeqNum(0)),
            SeqNum(0),
            "zero is a value, not \"none\""
        );
        assert_eq!(
            m.get_or_insert(SeqNum(9)),
            SeqNum(0),
            "the first value stays"
        );
        m.set(SeqNum(u32::MAX));
        assert_eq!(m.get(), Some(SeqNum(u32::MAX)));
        assert_eq!(format!("{m:?}"), format!("{:?}", Some(SeqNum(u32::MAX))));
        assert_ne!(m, Maybe::none());
    }
}

//! source: where frames come from. Files, live capture and the demo differ only here.

mod classic;
pub mod file;
pub mod live;

use crate::decode::Linktype;

/// A capture timestamp: seconds and nanoseconds since the Unix epoch.
///
/// Packed to 4-byte alignment: 12 bytes rather than 16 (and 16 rather than 24 as an
/// `Option`). A connection holds a dozen of them, and its size in cache lines is what
/// tracking a connection costs (issue 7).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(C, packed(4))]
pub struct Timestamp {
    pub secs: i64,
    pub nanos: u32,
}

impl Timestamp {
    pub fn new(secs: i64, nanos: u32) -> Timestamp {
        Timestamp {
            secs: secs + i64::from(nanos / 1_000_000_000),
            nanos: nanos % 1_000_000_000,
        }
    }

    /// Seconds as a float (microsecond-exact for present-day times).
    pub fn as_f64(self) -> f64 {
        self.secs as f64 + f64::from(self.nanos) / 1e9
    }

    /// `self - earlier` in seconds (negative when `earlier` is later).
    /// This time plus `secs` seconds (saturating; nothing is added for a negative or NaN).
    pub fn plus(self, secs: f64) -> Timestamp {
        if secs.is_nan() || secs <= 0.0 {
            return self;
        }
        let whole = secs.floor();
        // `as` saturates: an absurd timeout gives the far future, not a wrap.
        let mut s = self.secs.saturating_add(whole as i64);
        let mut nanos = u64::from(self.nanos) + ((secs - whole) * 1e9) as u64;
        if nanos >= 1_000_000_000 {
            nanos -= 1_000_000_000;
            s = s.saturating_add(1);
        }
        Timestamp {
            secs: s,
            nanos: nanos.min(999_999_999) as u32,
        }
    }

    pub fn since(self, earlier: Timestamp) -> f64 {
        (self.secs - earlier.secs) as f64 + (f64::from(self.nanos) - f64::from(earlier.nanos)) / 1e9
    }
}

/// One captured frame, borrowed from the source's buffer.
#[derive(Debug)]
pub struct Frame<'a> {
    /// 1-based position in the capture, counting every frame (as Wireshark numbers them).
    pub number: u64,
    pub ts: Timestamp,
    pub linktype: Linktype,
    pub data: &'a [u8],
    /// Length on the wire (more than `data.len()` when the snapshot length cut it).
    pub orig_len: u32,
}

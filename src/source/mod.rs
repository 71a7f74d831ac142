//! source: where frames come from. Files, live capture and the demo differ only here.

pub mod file;
pub mod live;

use crate::decode::Linktype;

/// A capture timestamp: seconds and nanoseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

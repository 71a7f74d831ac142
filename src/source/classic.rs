//! Classic pcap savefiles read straight from a large buffer: the common case of `replay`
//! (no BPF filter, pcap version 2.4), where libpcap's two `fread`s per record were about an
//! eighth of the CPU of a summary-only replay. Every other file (pcapng, older versions, a
//! filter) is read by libpcap. Frames, timestamps and the errors that end a damaged file are
//! libpcap's own (`tests/classic_reader.rs` compares the two on cut and corrupted files).

use std::fs::File;
use std::io::{self, Read};

/// libpcap's largest captured length for the link types tcpscope reads
/// (`max_snaplen_for_dlt`).
const MAX_SNAPLEN: u32 = 262_144;

/// Bytes asked of the file at a time: more than any record (its header and `MAX_SNAPLEN`
/// bytes), so that the buffer never grows.
const CHUNK: usize = 1 << 20;
const _: () = assert!(CHUNK >= 16 + MAX_SNAPLEN as usize);

/// The 24-byte file header, when it is one this reader takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Records are big-endian.
    pub big_endian: bool,
    /// Timestamps are in nanoseconds (magic 0xa1b23c4d), else microseconds.
    pub nanos: bool,
    /// The file's snapshot length as libpcap uses it (0, or above `i32::MAX`: the maximum).
    pub snaplen: u32,
    /// The link type (LINKTYPE_ number, without the FCS bits).
    pub linktype: u32,
}

impl Header {
    /// The file's byte order is not this machine's: libpcap then reads the timestamps as
    /// unsigned, and swaps some link types' pseudo-headers.
    pub fn swapped(&self) -> bool {
        self.big_endian != cfg!(target_endian = "big")
    }

    /// The header of a classic pcap 2.4 file, or `None` for anything else (pcapng, other
    /// versions, "modified" pcap), which is left to libpcap.
    pub fn parse(bytes: &[u8]) -> Option<Header> {
        let bytes: &[u8; 24] = bytes.get(..24)?.try_into().ok()?;
        let (big_endian, nanos) = match [bytes[0], bytes[1], bytes[2], bytes[3]] {
            [0xd4, 0xc3, 0xb2, 0xa1] => (false, false),
            [0xa1, 0xb2, 0xc3, 0xd4] => (true, false),
            [0x4d, 0x3c, 0xb2, 0xa1] => (false, true),
            [0xa1, 0xb2, 0x3c, 0x4d] => (true, true),
            _ => return None,
        };
        let u16_at = |i: usize| {
            let b = [bytes[i], bytes[i + 1]];
            if big_endian {
                u16::from_be_bytes(b)
            } else {
                u16::from_le_bytes(b)
            }
        };
        let u32_at = |i: usize| word(bytes, i, big_endian);
        if (u16_at(4), u16_at(6)) != (2, 4) {
            return None;
        }
        // libpcap keeps any positive snapshot length (as a C int), even one above the
        // largest record it accepts.
        let snaplen = match u32_at(16) {
            n if i32::try_from(n).is_ok_and(|n| n > 0) => n,
            _ => MAX_SNAPLEN,
        };
        Some(Header {
            big_endian,
            nanos,
            snaplen,
            linktype: u32_at(20) & 0x03ff_ffff,
        })
    }
}

fn word(bytes: &[u8], at: usize, big_endian: bool) -> u32 {
    let b = [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]];
    if big_endian {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    }
}

/// A failed read, worded as libpcap words it (`strerror`, without Rust's "(os error N)").
fn read_error(e: io::Error) -> String {
    let text = e.to_string();
    let text = match (e.raw_os_error(), text.rfind(" (os error ")) {
        (Some(_), Some(at)) => &text[..at],
        _ => &text,
    };
    format!("error reading dump file: {text}")
}

/// One record as libpcap returns it.
pub struct Record<'a> {
    pub secs: i64,
    pub nanos: u32,
    pub orig_len: u32,
    pub data: &'a [u8],
    /// Bytes the record's data took in the file (more than `data` when it was cut to the
    /// snapshot length).
    pub stored: u32,
}

/// The records of a classic pcap file, after its header.
pub struct ClassicReader {
    file: File,
    header: Header,
    buf: Vec<u8>,
    /// Unread bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    eof: bool,
}

impl ClassicReader {
    /// Read records from `file`, positioned just after the file header `header`.
    pub fn new(file: File, header: Header) -> ClassicReader {
        ClassicReader {
            file,
            header,
            buf: vec![0; CHUNK],
            start: 0,
            end: 0,
            eof: false,
        }
    }

    /// Make at least `n` unread bytes available if the file has them; how many there are.
    /// Twice per record: the test inline, the reading out of line (once per megabyte).
    #[inline]
    fn fill(&mut self, n: usize) -> io::Result<usize> {
        if self.end - self.start >= n || self.eof {
            return Ok(self.end - self.start);
        }
        self.refill(n)
    }

    /// [`ClassicReader::fill`] when the buffer holds fewer than `n` unread bytes.
    #[inline(never)]
    fn refill(&mut self, n: usize) -> io::Result<usize> {
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        debug_assert!(
            n <= self.buf.len(),
            "a record is checked against MAX_SNAPLEN first"
        );
        while self.end < n {
            match self.file.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(k) => self.end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.end - self.start)
    }

    /// The next record, `Ok(None)` at the end, or libpcap's message for a damaged one.
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>, String> {
        let have = self.fill(16).map_err(read_error)?;
        if have == 0 {
            return Ok(None);
        }
        if have < 16 {
            self.start = self.end;
            return Err(format!(
                "truncated dump file; tried to read 16 header bytes, only got {have}"
            ));
        }
        let h = &self.buf[self.start..self.start + 16];
        let be = self.header.big_endian;
        // In the machine's byte order libpcap reads the timestamp as signed (`struct
        // pcap_timeval`); swapped, as unsigned (`SWAPLONG`).
        let (secs, frac) = (word(h, 0, be), word(h, 4, be));
        let (secs, frac) = if self.header.swapped() {
            (i64::from(secs), i64::from(frac))
        } else {
            (i64::from(secs as i32), i64::from(frac as i32))
        };
        let caplen = word(h, 8, be);
        let orig_len = word(h, 12, be);
        self.start += 16;
        if caplen > MAX_SNAPLEN {
            return Err(if caplen > self.header.snaplen {
                format!(
                    "invalid packet capture length {caplen}, bigger than snaplen of {}",
                    self.header.snaplen
                )
            } else {
                format!(
                    "invalid packet capture length {caplen}, bigger than maximum of {MAX_SNAPLEN}"
                )
            });
        }
        // A record longer than the file's snapshot length (a damaged file, or an old
        // Solaris bug): libpcap keeps the first `snaplen` bytes and skips the rest.
        let keep = caplen.min(self.header.snaplen) as usize;
        let have = self.fill(caplen as usize).map_err(read_error)?;
        if have < caplen as usize {
            self.start = self.end;
            // libpcap reads the bytes it keeps, then those it skips: a cut in the first
            // part names how many it wanted to keep.
            let wanted = if have < keep { keep } else { caplen as usize };
            return Err(format!(
                "truncated dump file; tried to read {wanted} captured bytes, only got {have}"
            ));
        }
        let data = &self.buf[self.start..self.start + keep];
        self.start += caplen as usize;
        // libpcap scales microseconds up to the nanoseconds asked for; a fraction that is
        // negative or out of range is read as 0, as `FileSource` reads libpcap's.
        let scale = if self.header.nanos { 1 } else { 1000 };
        let nanos = u32::try_from(frac * scale).unwrap_or(0);
        Ok(Some(Record {
            secs,
            nanos,
            orig_len,
            data,
            stored: caplen,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::read_error;
    use std::io;

    #[test]
    fn read_errors_are_worded_as_libpcap_words_them() {
        assert_eq!(
            read_error(io::Error::from_raw_os_error(5)),
            "error reading dump file: Input/output error"
        );
        assert_eq!(
            read_error(io::Error::other("gone")),
            "error reading dump file: gone"
        );
    }
}

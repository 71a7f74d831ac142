//! tcpscope's own reader of classic pcap files (`src/source/classic.rs`) against libpcap,
//! which reads every other file: the captures that ship and the corpus, then damaged and
//! unusual variants of one capture (cut at every byte, record lengths and timestamps
//! corrupted, small and absurd snapshot lengths, big-endian, nanosecond, FCS bits in the
//! link type, records across the reader's 1 MiB buffer). Each must give the same frames as
//! libpcap does, and the same error at the same frame.

mod common;

use pcap::{Capture, Precision};
use std::path::{Path, PathBuf};
use tcpscope::source::file::{FileSource, Next};
use tcpscope::source::Timestamp;

#[derive(Debug, PartialEq)]
enum Item {
    Frame {
        ts: Timestamp,
        orig_len: u32,
        data: Vec<u8>,
    },
    Error {
        frame: u64,
        reason: String,
    },
}

/// What tcpscope's file source reads, and whether libpcap read it.
fn ours(path: &Path) -> Option<(Vec<Item>, bool)> {
    let mut src = FileSource::open(path, None).ok()?;
    let mut items = Vec::new();
    loop {
        match src.next_frame() {
            Ok(Next::Frame(f)) => items.push(Item::Frame {
                ts: f.ts,
                orig_len: f.orig_len,
                data: f.data.to_vec(),
            }),
            Ok(Next::Filtered) => unreachable!("no filter"),
            Ok(Next::End) => break,
            Err(tcpscope::Error::Read { frame, reason, .. }) => {
                items.push(Item::Error { frame, reason });
                break;
            }
            Err(e) => panic!("{}: {e}", path.display()),
        }
    }
    Some((items, src.uses_libpcap()))
}

/// What libpcap reads (nanosecond precision, as tcpscope asks for).
fn libpcap(path: &Path) -> Option<Vec<Item>> {
    let mut cap = Capture::from_file_with_precision(path, Precision::Nano).ok()?;
    let mut items = Vec::new();
    loop {
        match cap.next_packet() {
            Ok(p) => items.push(Item::Frame {
                ts: Timestamp::new(
                    p.header.ts.tv_sec,
                    u32::try_from(p.header.ts.tv_usec).unwrap_or(0),
                ),
                orig_len: p.header.len,
                data: p.data.to_vec(),
            }),
            Err(pcap::Error::NoMorePackets) => break,
            Err(e) => {
                items.push(Item::Error {
                    frame: items.len() as u64 + 1,
                    reason: tcpscope::source::file::reason(e),
                });
                break;
            }
        }
    }
    Some(items)
}

/// Compare the two on `path`; whether tcpscope's own reader took the file.
fn same(path: &Path) -> bool {
    let theirs = libpcap(path);
    let Some((items, by_libpcap)) = ours(path) else {
        // Only a file libpcap cannot open either (or of a link type tcpscope does not read).
        if let Some(theirs) = theirs {
            assert!(
                FileSource::open(path, None)
                    .is_err_and(|e| matches!(e, tcpscope::Error::UnsupportedLinktype { .. })),
                "{}: libpcap reads {} items, tcpscope cannot open it",
                path.display(),
                theirs.len()
            );
        }
        return false;
    };
    let theirs = theirs.unwrap_or_else(|| panic!("{}: libpcap cannot open it", path.display()));
    assert_eq!(items.len(), theirs.len(), "{}: item count", path.display());
    for (i, (a, b)) in items.iter().zip(&theirs).enumerate() {
        assert_eq!(a, b, "{}: item {}", path.display(), i + 1);
    }
    !by_libpcap
}

/// A classic pcap file taken apart, to be put together again with changes.
#[derive(Clone)]
struct Pcap {
    big_endian: bool,
    nanos: bool,
    version: (u16, u16),
    snaplen: u32,
    linktype: u32,
    /// Seconds, fraction, captured length field, original length, bytes.
    records: Vec<(u32, u32, u32, u32, Vec<u8>)>,
}

impl Pcap {
    fn parse(bytes: &[u8]) -> Pcap {
        let le = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap());
        assert_eq!(le(0), 0xa1b2_c3d4, "a little-endian microsecond pcap");
        let mut records = Vec::new();
        let mut at = 24;
        while at < bytes.len() {
            let caplen = le(at + 8) as usize;
            records.push((
                le(at),
                le(at + 4),
                caplen as u32,
                le(at + 12),
                bytes[at + 16..at + 16 + caplen].to_vec(),
            ));
            at += 16 + caplen;
        }
        Pcap {
            big_endian: false,
            nanos: false,
            version: (2, 4),
            snaplen: le(16),
            linktype: le(20),
            records,
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let word = |out: &mut Vec<u8>, w: u32| {
            out.extend_from_slice(&if self.big_endian {
                w.to_be_bytes()
            } else {
                w.to_le_bytes()
            })
        };
        let half = |out: &mut Vec<u8>, h: u16| {
            out.extend_from_slice(&if self.big_endian {
                h.to_be_bytes()
            } else {
                h.to_le_bytes()
            })
        };
        word(&mut out, if self.nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 });
        half(&mut out, self.version.0);
        half(&mut out, self.version.1);
        word(&mut out, 0);
        word(&mut out, 0);
        word(&mut out, self.snaplen);
        word(&mut out, self.linktype);
        for (secs, frac, caplen, len, data) in &self.records {
            word(&mut out, *secs);
            word(&mut out, *frac);
            word(&mut out, *caplen);
            word(&mut out, *len);
            out.extend_from_slice(data);
        }
        out
    }
}

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("tcpscope-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn base() -> Pcap {
    Pcap::parse(&std::fs::read(common::root().join("captures/echo.pcap")).unwrap())
}

#[test]
fn shipped_and_corpus_captures_read_as_libpcap_reads_them() {
    let mut files = Vec::new();
    for dir in [
        common::root().join("captures"),
        common::corpus().join("pcaps"),
        common::root().join("tests/data/fidelity"),
    ] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("pcap" | "pcapng" | "cap")
            ) {
                files.push(path);
            }
        }
    }
    files.sort();
    let ours = files.iter().filter(|p| same(p)).count();
    assert!(
        ours >= 30,
        "tcpscope's reader took only {ours} of {} files",
        files.len()
    );
}

#[test]
fn a_capture_cut_at_every_byte_ends_as_libpcap_ends_it() {
    let scratch = Scratch::new("cut");
    let bytes = base().bytes();
    let mut ours = 0;
    for len in 0..=bytes.len() {
        ours += usize::from(same(&scratch.write("cut.pcap", &bytes[..len])));
    }
    // Below 24 bytes there is no header to take.
    assert_eq!(ours, bytes.len() + 1 - 24);
}

#[test]
fn corrupt_record_headers_read_as_libpcap_reads_them() {
    let scratch = Scratch::new("corrupt");
    // In the machine's byte order and the other (libpcap reads timestamps as signed in one,
    // unsigned in the other), with microseconds and nanoseconds.
    let mut cases = Vec::new();
    for (big_endian, nanos) in [(false, false), (true, false), (false, true), (true, true)] {
        let mut base = base();
        base.big_endian = big_endian;
        base.nanos = nanos;
        let n = base.records.len();
        for k in [0, 1, n - 1] {
            let caplen = base.records[k].2;
            for bad in [
                0,
                1,
                65_535,
                65_536,
                262_144,
                262_145,
                u32::MAX,
                caplen + 100,
            ] {
                let mut p = base.clone();
                p.records[k].2 = bad;
                cases.push(p);
            }
            for frac in [
                999_999,
                1_000_000,
                4_294_968,
                999_999_999,
                1_000_000_000,
                0x7fff_ffff,
                0x8000_0000,
                u32::MAX,
            ] {
                let mut p = base.clone();
                p.records[k].1 = frac;
                cases.push(p);
            }
            for secs in [0x7fff_ffff, 0x8000_0000, u32::MAX] {
                let mut p = base.clone();
                p.records[k].0 = secs;
                cases.push(p);
            }
            let mut p = base.clone();
            p.records[k].3 = 0;
            cases.push(p);
        }
    }
    for (i, p) in cases.iter().enumerate() {
        assert!(
            same(&scratch.write(&format!("{i}.pcap"), &p.bytes())),
            "case {i}"
        );
    }
}

#[test]
fn large_snapshot_lengths_with_large_records_read_as_libpcap_reads_them() {
    // libpcap keeps a snapshot length above its largest record (262,144 bytes), and words
    // the error for a record above that by which of the two it exceeds.
    let scratch = Scratch::new("bigsnap");
    let base = base();
    let mut i = 0;
    for snaplen in [100, 262_144, 262_145, 300_000, 1_000_000, 0x7fff_ffff] {
        for caplen in [262_144, 262_145, 300_000, 1_000_001] {
            let mut p = base.clone();
            p.snaplen = snaplen;
            p.records[2].2 = caplen;
            assert!(
                same(&scratch.write(&format!("{i}.pcap"), &p.bytes())),
                "{snaplen} {caplen}"
            );
            i += 1;
        }
    }
}

#[test]
fn linux_cooked_files_of_the_other_byte_order_go_to_libpcap() {
    // libpcap swaps the CAN ID behind a cooked header in such files; tcpscope leaves them to it.
    let scratch = Scratch::new("sll");
    for linktype in [113, 276] {
        for big_endian in [false, true] {
            let mut p = base();
            p.linktype = linktype;
            p.big_endian = big_endian;
            let ours = same(&scratch.write("sll.pcap", &p.bytes()));
            assert_eq!(
                ours,
                big_endian == cfg!(target_endian = "big"),
                "{linktype}"
            );
        }
    }
}

#[test]
fn snapshot_lengths_byte_orders_and_precisions_read_as_libpcap_reads_them() {
    let scratch = Scratch::new("variants");
    let base = base();
    let mut cases: Vec<(Pcap, bool)> = Vec::new();
    for snaplen in [
        0,
        1,
        40,
        54,
        65_535,
        262_144,
        262_145,
        0x8000_0000,
        u32::MAX,
    ] {
        let mut p = base.clone();
        p.snaplen = snaplen;
        cases.push((p, true));
    }
    for (big_endian, nanos) in [(true, false), (false, true), (true, true)] {
        let mut p = base.clone();
        p.big_endian = big_endian;
        p.nanos = nanos;
        if nanos {
            for r in &mut p.records {
                r.1 = r.1 * 1000 + 7;
            }
        }
        cases.push((p, true));
    }
    // FCS bits beside the link type: still Ethernet.
    let mut p = base.clone();
    p.linktype |= 0x0400_0000 | (4 << 28);
    cases.push((p, true));
    // A cut record that is also longer than the snapshot length.
    let mut p = base.clone();
    p.snaplen = 40;
    let last = p.records.len() - 1;
    p.records[last].2 += 500;
    cases.push((p, true));
    // Versions before 2.4 (lengths possibly swapped): left to libpcap.
    let mut p = base.clone();
    p.version = (2, 3);
    cases.push((p, false));
    for (i, (p, ours)) in cases.iter().enumerate() {
        assert_eq!(
            same(&scratch.write(&format!("{i}.pcap"), &p.bytes())),
            *ours,
            "case {i}"
        );
    }
}

#[test]
fn records_across_the_buffer_read_as_libpcap_reads_them() {
    let scratch = Scratch::new("large");
    let base = base();
    let mut p = base.clone();
    p.records.clear();
    // About 3 MiB: records of every length up to 2,000 bytes, so that record and header
    // boundaries fall at every offset of the 1 MiB buffer's refills.
    let mut i = 0u32;
    let mut size = 24;
    while size < 3 << 20 {
        let mut r = base.records[i as usize % base.records.len()].clone();
        let len = (i * 7) % 2000;
        r.4.resize(len as usize, (i % 251) as u8);
        r.2 = len;
        r.3 = len.max(r.3);
        size += 16 + len as usize;
        p.records.push(r);
        i += 1;
    }
    let bytes = p.bytes();
    assert!(same(&scratch.write("large.pcap", &bytes)));
    for cut in [
        1 << 20,
        (1 << 20) + 1,
        (1 << 20) + 17,
        2 << 20,
        bytes.len() - 1,
    ] {
        assert!(
            same(&scratch.write("large-cut.pcap", &bytes[..cut])),
            "cut at {cut}"
        );
    }
}

#[test]
fn a_pipe_is_read_whole_whatever_its_format() {
    // A pipe cannot be opened twice, so its first bytes must not be spent on a look at the
    // header: libpcap reads it from the start.
    let scratch = Scratch::new("fifo");
    for name in [
        "captures/echo.pcap",
        "tests/data/corpus/pcaps/zeek-tcp-retransmit-timeout.pcapng",
    ] {
        let file = common::root().join(name);
        let fifo = scratch.0.join("pipe");
        let _ = std::fs::remove_file(&fifo);
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        let bytes = std::fs::read(&file).unwrap();
        let writer = {
            let fifo = fifo.clone();
            // An early reader exit is a write error here, not a hang.
            std::thread::spawn(move || std::fs::write(&fifo, bytes))
        };
        let (from_pipe, by_libpcap) = ours(&fifo).expect("the pipe opens");
        let _ = writer.join();
        assert!(by_libpcap, "{name}: a pipe goes to libpcap");
        let (from_file, _) = ours(&file).unwrap();
        assert!(!from_pipe.is_empty());
        assert_eq!(from_pipe, from_file, "{name}");
    }
}

mod random {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// Any byte order, precision and snapshot length, then random bytes of the file
        /// overwritten (mostly in record headers, where lengths and timestamps live) and a
        /// random cut: the same frames and the same error as libpcap.
        #[test]
        fn randomly_damaged_files_read_as_libpcap_reads_them(
            big_endian in any::<bool>(),
            nanos in any::<bool>(),
            snaplen in prop_oneof![Just(0u32), 1u32..300, Just(65_535), Just(262_144), any::<u32>()],
            flips in prop::collection::vec((any::<prop::sample::Index>(), 0usize..16, any::<u8>()), 0..6),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut p = base();
            p.big_endian = big_endian;
            p.nanos = nanos;
            p.snaplen = snaplen;
            // Record header offsets, so that most flips land in a length or a timestamp.
            let mut headers = Vec::new();
            let mut at = 24;
            for r in &p.records {
                headers.push(at);
                at += 16 + r.4.len();
            }
            let mut bytes = p.bytes();
            for (record, offset, value) in &flips {
                let i = headers[record.index(headers.len())] + offset;
                bytes[i] = *value;
            }
            let len = 24 + cut.index(bytes.len() - 23);
            let scratch = Scratch::new("random");
            same(&scratch.write("random.pcap", &bytes[..len]));
        }
    }
}

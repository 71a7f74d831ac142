//! Issue 7: no per-packet allocation on the hot path of `--summary-only`. A counting
//! allocator watches the analysis of a long connection's segments (data, ACKs, TCP
//! timestamps, duplicate ACKs, retransmissions, SACK, frames cut by the snapshot length):
//! once the connection is under way, analysing a segment must not allocate.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use tcpscope::annotate::{Analyzer, AnalyzerOptions};
use tcpscope::decode::Linktype;
use tcpscope::event::Event;
use tcpscope::source::{Frame, Timestamp};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed on unchanged to the system allocator, which upholds the
// GlobalAlloc contract; the only addition is a relaxed counter.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same layout, same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const PSH: u8 = 0x08;
const FIN: u8 = 0x01;

/// An Ethernet/IPv4/TCP frame with NOP, NOP, timestamps (and a SACK block when given), and
/// `len` payload bytes of which only the headers are kept (as `tcpdump -s 96` would).
fn frame(
    c2s: bool,
    flags: u8,
    seq: u32,
    ack: u32,
    len: u16,
    tsval: u32,
    sack: Option<(u32, u32)>,
) -> (Vec<u8>, u32) {
    let mut opts = vec![1, 1, 8, 10];
    opts.extend_from_slice(&tsval.to_be_bytes());
    opts.extend_from_slice(&tsval.wrapping_sub(1).to_be_bytes());
    if let Some((l, r)) = sack {
        opts.extend_from_slice(&[1, 1, 5, 10]);
        opts.extend_from_slice(&l.to_be_bytes());
        opts.extend_from_slice(&r.to_be_bytes());
    }
    let tcp_len = 20 + opts.len();
    let ip_len = 20 + tcp_len + usize::from(len);
    let (src, dst, sport, dport) = if c2s {
        ([10, 0, 0, 1], [10, 0, 0, 2], 40000u16, 7788u16)
    } else {
        ([10, 0, 0, 2], [10, 0, 0, 1], 7788, 40000)
    };
    let mut f = vec![0u8; 12];
    f.extend_from_slice(&[0x08, 0x00]);
    f.extend_from_slice(&[
        0x45,
        0,
        (ip_len >> 8) as u8,
        ip_len as u8,
        0,
        0,
        0x40,
        0,
        64,
        6,
        0,
        0,
    ]);
    f.extend_from_slice(&src);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&sport.to_be_bytes());
    f.extend_from_slice(&dport.to_be_bytes());
    f.extend_from_slice(&seq.to_be_bytes());
    f.extend_from_slice(&ack.to_be_bytes());
    f.extend_from_slice(&[((tcp_len / 4) << 4) as u8, flags, 0xff, 0xff, 0, 0, 0, 0]);
    f.extend_from_slice(&opts);
    let orig = (14 + ip_len) as u32;
    (f, orig)
}

#[test]
fn analysing_a_segment_allocates_nothing_once_the_connection_runs() {
    // The whole conversation, built before counting starts.
    let (c, s) = (1_000u32, 9_000u32);
    let mut frames = vec![
        frame(true, SYN, c, 0, 0, 1, None),
        frame(false, SYN | ACK, s, c + 1, 0, 1, None),
        frame(true, ACK, c + 1, s + 1, 0, 2, None),
    ];
    let rounds = 20_000u32;
    let mut seq = c + 1;
    for i in 0..rounds {
        let ts = 3 + i;
        frames.push(frame(true, ACK | PSH, seq, s + 1, 100, ts, None));
        if i % 100 == 7 {
            // A lost segment's story: duplicate ACKs with SACK, then the retransmission.
            frames.push(frame(true, ACK | PSH, seq + 100, s + 1, 100, ts, None));
            let dup_ack = frame(false, ACK, s + 1, seq, 0, ts, Some((seq + 100, seq + 200)));
            frames.push(dup_ack.clone());
            frames.push(dup_ack);
            frames.push(frame(true, ACK | PSH, seq, s + 1, 100, ts, None));
            seq += 100;
        }
        seq += 100;
        frames.push(frame(false, ACK, s + 1, seq, 0, ts, None));
    }
    frames.push(frame(true, FIN | ACK, seq, s + 1, 0, rounds + 3, None));
    frames.push(frame(false, FIN | ACK, s + 1, seq + 1, 0, rounds + 3, None));
    frames.push(frame(true, ACK, seq + 1, s + 2, 0, rounds + 4, None));

    let mut analyzer = Analyzer::new(AnalyzerOptions {
        skip_segments: true,
        ..AnalyzerOptions::default()
    });
    let mut summaries = 0;
    let mut sink = |ev: Event| -> Result<(), ()> {
        if matches!(ev, Event::Connection(_)) {
            summaries += 1;
        }
        Ok(())
    };
    let warm_up = 200;
    let mut during = 0;
    for (i, (data, orig_len)) in frames.iter().enumerate() {
        if i == warm_up {
            during = ALLOCATIONS.load(Ordering::Relaxed);
        }
        let f = Frame {
            number: i as u64 + 1,
            // A millisecond apart.
            ts: Timestamp::new(
                1_700_000_000 + i as i64 / 1000,
                (i as u32 % 1000) * 1_000_000,
            ),
            linktype: Linktype::Ethernet,
            data: &data[..data.len().min(96)],
            orig_len: *orig_len,
        };
        analyzer.push(&f, &mut sink).unwrap();
    }
    let allocated = ALLOCATIONS.load(Ordering::Relaxed) - during;
    let analysed = frames.len() - warm_up;
    // The connection's buffers may still grow a few times (they double); the summary at the
    // close allocates its strings. Nothing per segment.
    assert!(
        allocated < 30,
        "{allocated} allocations while analysing {analysed} segments"
    );
    analyzer.finish(&mut sink).unwrap();
    assert_eq!(summaries, 1);
}

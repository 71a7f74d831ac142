//! The decode fast path against the full decoder: `decode_frame` (fast path, falling back to
//! the full decoder) must give exactly what `decode_frame_slow` (the full decoder alone)
//! gives, on every frame of every capture we have, on every prefix of those frames, and on
//! frames mutated at random (bit flips, length fields, truncation, snapshot lengths, the
//! wrong link type). A second check makes sure the fast path is actually taken for the
//! common frames, so the comparison is not vacuous.

mod common;

use proptest::prelude::*;
use std::path::PathBuf;
use std::sync::OnceLock;
use tcpscope::decode::{
    decode_frame, decode_frame_fast, decode_frame_into, decode_frame_slow, Decoded, Linktype, Skip,
    TcpFlags,
};
use tcpscope::source::file::{FileSource, Next};

/// One frame, owned.
#[derive(Clone, Debug)]
struct Frame {
    linktype: Linktype,
    data: Vec<u8>,
    orig_len: u32,
}

thread_local! {
    /// The slot `decode_frame_into` decodes into, kept from one frame to the next as the
    /// replay's batches keep theirs: every frame is decoded over what the one before left.
    static SLOT: std::cell::RefCell<Result<Decoded<'static>, Skip>> =
        const { std::cell::RefCell::new(Err(Skip::Fragment)) };
}

/// Both paths on one frame must agree, and decoding in place must give the same answer;
/// on a mismatch, say which frame and how.
fn same(linktype: Linktype, data: &[u8], orig_len: u32) -> Result<(), String> {
    let fast = decode_frame(linktype, data, orig_len);
    let slow = decode_frame_slow(linktype, data, orig_len);
    if fast != slow {
        return Err(format!(
            "{linktype}, orig_len {orig_len}, bytes {data:02x?}\n fast: {fast:?}\n slow: {slow:?}"
        ));
    }
    SLOT.with_borrow_mut(|slot| {
        let payload = decode_frame_into(linktype, data, orig_len, slot);
        let (want, want_payload) = match slow {
            Ok(d) => (
                Ok(Decoded {
                    payload: &[],
                    ..d
                }),
                d.payload,
            ),
            Err(skip) => (Err(skip), &[][..]),
        };
        if *slot == want && payload == want_payload {
            Ok(())
        } else {
            Err(format!(
                "{linktype}, orig_len {orig_len}, bytes {data:02x?}\n in place: {slot:?}, payload {payload:02x?}\n full: {want:?}, payload {want_payload:02x?}"
            ))
        }
    })
}

/// Every frame of every capture under captures/ and tests/data/ (and of the full corpus in
/// ../shared/corpus when it is there), read by the crate's own file source.
fn capture_frames() -> &'static [(PathBuf, Vec<Frame>)] {
    static FRAMES: OnceLock<Vec<(PathBuf, Vec<Frame>)>> = OnceLock::new();
    FRAMES.get_or_init(|| {
        let mut out = Vec::new();
        for path in common::every_capture() {
            let Ok(mut src) = FileSource::open(&path, None) else {
                continue;
            };
            let mut frames = Vec::new();
            // A read error ends a file, as it does for replay.
            while let Ok(next) = src.next_frame() {
                match next {
                    Next::Frame(f) => frames.push(Frame {
                        linktype: f.linktype,
                        data: f.data.to_vec(),
                        orig_len: f.orig_len,
                    }),
                    Next::Filtered => {}
                    Next::End => break,
                }
            }
            out.push((path, frames));
        }
        out
    })
}

#[test]
fn every_capture_frame_decodes_the_same() {
    let files = capture_frames();
    assert!(files.len() >= 50, "only {} captures found", files.len());
    let (mut frames, mut fast) = (0usize, 0usize);
    let mut mismatches = Vec::new();
    for (path, file) in files {
        for (i, f) in file.iter().enumerate() {
            frames += 1;
            fast += usize::from(decode_frame_fast(f.linktype, &f.data, f.orig_len).is_some());
            if let Err(e) = same(f.linktype, &f.data, f.orig_len) {
                mismatches.push(format!("{} frame {}: {e}", path.display(), i + 1));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {frames} frames differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    // The captures are mostly plain TCP: the fast path must be the one answering.
    assert!(
        fast * 10 >= frames * 9,
        "fast path took only {fast} of {frames} frames"
    );
}

/// Every prefix of every capture frame, both as cut by the snapshot length (the original
/// length kept) and as a whole frame whose headers claim too much.
#[test]
fn every_prefix_of_every_capture_frame_decodes_the_same() {
    let mut mismatches = Vec::new();
    for (path, file) in capture_frames() {
        // The first frames of a capture (handshakes, options) and a spread of the rest: the
        // long captures repeat the same header shapes thousands of times.
        let sample = file
            .iter()
            .enumerate()
            .filter(|(i, _)| *i < 200 || i % 50 == 0);
        for (i, f) in sample {
            // Headers end well before 160 bytes; past that, a cut changes only how much
            // payload is there, so every 61st length is enough.
            let cuts = (0..f.data.len().min(160)).chain((160..f.data.len()).step_by(61));
            for cut in cuts {
                let data = &f.data[..cut];
                for orig_len in [f.orig_len, cut as u32] {
                    if let Err(e) = same(f.linktype, data, orig_len) {
                        mismatches.push(format!(
                            "{} frame {} cut {cut}: {e}",
                            path.display(),
                            i + 1
                        ));
                    }
                }
            }
            if mismatches.len() > 20 {
                break;
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

// ---- Synthetic frames of every shape either path knows ----

fn tcp(flags: u16, options: &[u8], payload: &[u8]) -> Vec<u8> {
    assert_eq!(options.len() % 4, 0);
    let doff = (20 + options.len()) / 4;
    let mut b = Vec::new();
    b.extend_from_slice(&40000u16.to_be_bytes());
    b.extend_from_slice(&443u16.to_be_bytes());
    b.extend_from_slice(&0xfffe_0001u32.to_be_bytes());
    b.extend_from_slice(&77u32.to_be_bytes());
    b.push(((doff as u8) << 4) | ((flags >> 8) as u8 & 1));
    b.push(flags as u8);
    b.extend_from_slice(&29200u16.to_be_bytes());
    b.extend_from_slice(&[0, 0, 0, 0]);
    b.extend_from_slice(options);
    b.extend_from_slice(payload);
    b
}

fn ipv4(proto: u8, ip_options: &[u8], transport: &[u8], frag: u16) -> Vec<u8> {
    let hlen = 20 + ip_options.len();
    let total = (hlen + transport.len()) as u16;
    let mut b = vec![0x40 | (hlen / 4) as u8, 0];
    b.extend_from_slice(&total.to_be_bytes());
    b.extend_from_slice(&[0, 1]);
    b.extend_from_slice(&frag.to_be_bytes());
    b.extend_from_slice(&[64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    b.extend_from_slice(ip_options);
    b.extend_from_slice(transport);
    b
}

fn ipv6(next: u8, ext: &[u8], transport: &[u8]) -> Vec<u8> {
    let plen = (ext.len() + transport.len()) as u16;
    let mut b = vec![0x60, 0, 0, 0];
    b.extend_from_slice(&plen.to_be_bytes());
    b.extend_from_slice(&[next, 64]);
    b.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
    b.extend_from_slice(&[0; 11]);
    b.push(1);
    b.extend_from_slice(&[0xfe, 0x80]);
    b.extend_from_slice(&[0; 13]);
    b.push(2);
    b.extend_from_slice(ext);
    b.extend_from_slice(transport);
    b
}

fn with_header(header: &[u8], rest: &[u8]) -> Vec<u8> {
    let mut b = header.to_vec();
    b.extend_from_slice(rest);
    b
}

fn ether(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut header = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
    header.extend_from_slice(&ethertype.to_be_bytes());
    with_header(&header, payload)
}

fn synthetic_frames() -> Vec<(Linktype, Vec<u8>)> {
    // SYN options as Linux sends them; then the everyday NOP,NOP,timestamps; SACK blocks;
    // unknown and malformed options.
    let syn_opts = [
        2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
    ];
    let ts_opts = [1, 1, 8, 10, 0, 0, 1, 0, 0, 0, 2, 0];
    let sack_opts = [
        1, 1, 5, 18, 0, 0, 0, 10, 0, 0, 0, 20, 0, 0, 0, 30, 0, 0, 0, 40,
    ];
    let odd_opts = [30, 4, 1, 2, 2, 3, 5, 0, 0, 1, 0, 0];
    let bad_opts = [1, 2, 1, 0];
    let data = b"GET / HTTP/1.1\r\n\r\n";
    let segs = [
        tcp(TcpFlags::SYN, &syn_opts, &[]),
        tcp(TcpFlags::ACK | TcpFlags::PSH, &ts_opts, data),
        tcp(TcpFlags::ACK, &sack_opts, &[]),
        tcp(TcpFlags::ACK | TcpFlags::NS, &odd_opts, data),
        tcp(TcpFlags::RST, &bad_opts, &[]),
        tcp(TcpFlags::FIN | TcpFlags::ACK, &[], &[]),
    ];
    let mut out = Vec::new();
    for seg in &segs {
        let v4 = ipv4(6, &[], seg, 0);
        let v6 = ipv6(6, &[], seg);
        out.push((Linktype::Ethernet, ether(0x0800, &v4)));
        out.push((Linktype::Ethernet, ether(0x86dd, &v6)));
        out.push((Linktype::Raw, v4.clone()));
        out.push((Linktype::Raw, v6.clone()));
        out.push((Linktype::Ipv4, v4.clone()));
        out.push((Linktype::Ipv6, v6.clone()));
        let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0];
        sll.extend_from_slice(&0x0800u16.to_be_bytes());
        out.push((Linktype::LinuxSll, with_header(&sll, &v4)));
        let mut sll2 = 0x86ddu16.to_be_bytes().to_vec();
        sll2.extend_from_slice(&[0, 0, 0, 0, 0, 2, 0, 1, 0, 0, 6, 2, 0, 0, 0, 0, 1, 0]);
        out.push((Linktype::LinuxSll2, with_header(&sll2, &v6)));
        out.push((Linktype::Null, with_header(&2u32.to_le_bytes(), &v4)));
        out.push((Linktype::Null, with_header(&30u32.to_be_bytes(), &v6)));
        out.push((Linktype::Loop, with_header(&24u32.to_be_bytes(), &v6)));
    }
    let syn = &segs[0];
    let ack = &segs[5];
    // Ethernet padding; IPv4 options; zero lengths (segmentation offload).
    let mut padded = ether(0x0800, &ipv4(6, &[], ack, 0));
    padded.extend_from_slice(&[0; 6]);
    out.push((Linktype::Ethernet, padded));
    out.push((
        Linktype::Ethernet,
        ether(0x0800, &ipv4(6, &[1, 1, 1, 0, 0x94, 4, 0, 0], syn, 0)),
    ));
    let mut offload = ipv4(6, &[], &segs[1], 0);
    offload[2..4].copy_from_slice(&[0, 0]);
    out.push((Linktype::Raw, offload));
    let mut offload6 = ipv6(6, &[], &segs[1]);
    offload6[4..6].copy_from_slice(&[0, 0]);
    out.push((Linktype::Raw, offload6));
    // Fragments, UDP, ICMPv6, IPv6 extension headers.
    out.push((Linktype::Raw, ipv4(6, &[], syn, 0x2000)));
    out.push((Linktype::Raw, ipv4(6, &[], syn, 0x0003)));
    out.push((Linktype::Raw, ipv4(6, &[], syn, 0x4000)));
    out.push((Linktype::Raw, ipv4(17, &[], &[0; 12], 0)));
    out.push((Linktype::Raw, ipv6(58, &[], &[0; 12])));
    let hop_dst = [60, 0, 1, 4, 0, 0, 0, 0, 6, 0, 1, 4, 0, 0, 0, 0];
    out.push((Linktype::Raw, ipv6(0, &hop_dst, syn)));
    out.push((Linktype::Raw, ipv6(44, &[6, 0, 0, 1, 0, 0, 0, 9], syn)));
    // VLAN, QinQ, MPLS, PPPoE, ARP.
    let v4 = ipv4(6, &[], &segs[1], 0);
    let vlan = with_header(&[0, 5, 0x08, 0x00], &v4);
    out.push((Linktype::Ethernet, ether(0x8100, &vlan)));
    out.push((
        Linktype::Ethernet,
        ether(0x88a8, &with_header(&[0, 7, 0x81, 0x00], &vlan)),
    ));
    out.push((
        Linktype::Ethernet,
        ether(0x8847, &with_header(&[0, 0x10, 0x01, 0x40], &v4)),
    ));
    let mut pppoe = vec![0x11, 0, 0x0f, 0x07];
    pppoe.extend_from_slice(&((v4.len() + 2) as u16).to_be_bytes());
    pppoe.extend_from_slice(&[0, 0x21]);
    out.push((Linktype::Ethernet, ether(0x8864, &with_header(&pppoe, &v4))));
    out.push((Linktype::Ethernet, ether(0x0806, &[0; 28])));
    out
}

#[test]
fn fast_path_takes_the_common_shapes() {
    let frames = synthetic_frames();
    // The first 66 are plain TCP over every link type the fast path reads.
    for (i, (linktype, data)) in frames.iter().enumerate().take(66) {
        assert!(
            matches!(
                decode_frame_fast(*linktype, data, data.len() as u32),
                Some(Ok(_))
            ),
            "synthetic frame {i} ({linktype}) took the slow path"
        );
    }
    for (linktype, data) in &frames {
        same(*linktype, data, data.len() as u32).unwrap();
    }
}

// ---- Random mutations ----

/// A seed frame from the captures or the synthetic set.
fn seeds() -> &'static [Frame] {
    static SEEDS: OnceLock<Vec<Frame>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut out: Vec<Frame> = synthetic_frames()
            .into_iter()
            .map(|(linktype, data)| Frame {
                linktype,
                orig_len: data.len() as u32,
                data,
            })
            .collect();
        for (_, file) in capture_frames() {
            // A few frames of each capture: its first ones (handshakes) and a spread.
            let step = (file.len() / 8).max(1);
            out.extend(file.iter().take(4).cloned());
            out.extend(file.iter().skip(4).step_by(step).cloned());
        }
        out
    })
}

#[derive(Clone, Debug)]
enum Mutation {
    /// Flip one bit; positions are mostly in the headers.
    Flip(usize, u8),
    /// Overwrite one byte (length fields, versions, protocol numbers).
    Set(usize, u8),
    /// Overwrite a big-endian 16-bit field with an interesting or random value.
    Set16(usize, u16),
    /// Keep only the first bytes.
    Truncate(usize),
    /// Pretend the snapshot length cut the frame (or that it is whole).
    OrigLen(u32),
    /// Read the bytes as another link type.
    Linktype(usize),
}

fn position() -> impl Strategy<Value = usize> {
    prop_oneof![4 => 0usize..80, 1 => 0usize..2000]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (position(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip(at, bit)),
        3 => (position(), any::<u8>()).prop_map(|(at, v)| Mutation::Set(at, v)),
        3 => (
            position(),
            prop_oneof![Just(0u16), Just(1), Just(19), Just(20), Just(40), Just(0xffff), any::<u16>()]
        )
            .prop_map(|(at, v)| Mutation::Set16(at, v)),
        3 => (0usize..200).prop_map(Mutation::Truncate),
        1 => any::<u32>().prop_map(Mutation::OrigLen),
        1 => (0usize..Linktype::ALL.len()).prop_map(Mutation::Linktype),
    ]
}

fn mutate(seed: &Frame, mutations: &[Mutation]) -> Frame {
    let mut f = seed.clone();
    for m in mutations {
        match *m {
            Mutation::Flip(at, bit) => {
                if let Some(b) = f.data.get_mut(at) {
                    *b ^= 1 << bit;
                }
            }
            Mutation::Set(at, v) => {
                if let Some(b) = f.data.get_mut(at) {
                    *b = v;
                }
            }
            Mutation::Set16(at, v) => {
                if let Some(b) = f.data.get_mut(at..at + 2) {
                    b.copy_from_slice(&v.to_be_bytes());
                }
            }
            Mutation::Truncate(len) => f.data.truncate(len),
            Mutation::OrigLen(len) => f.orig_len = len,
            Mutation::Linktype(i) => f.linktype = Linktype::ALL[i],
        }
    }
    f
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    /// A valid frame, mutated a few times, decodes to the same answer both ways.
    #[test]
    fn mutated_frames_decode_the_same(
        seed in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 0..5),
    ) {
        let seeds = seeds();
        let f = mutate(&seeds[seed.index(seeds.len())], &mutations);
        if let Err(e) = same(f.linktype, &f.data, f.orig_len) {
            return Err(TestCaseError::fail(e));
        }
    }

    /// Random bytes under every link type.
    #[test]
    fn random_bytes_decode_the_same(
        bytes in prop::collection::vec(any::<u8>(), 0..120),
        extra in prop_oneof![Just(0u32), 0u32..3000],
    ) {
        for linktype in Linktype::ALL {
            if let Err(e) = same(linktype, &bytes, bytes.len() as u32 + extra) {
                return Err(TestCaseError::fail(e));
            }
        }
    }
}

//! Decode tests: every link type, IP version, option and malformation, built byte by byte.

use super::*;
use proptest::prelude::*;
use std::net::SocketAddr;

fn tcp(
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u16,
    options: &[u8],
    payload: &[u8],
) -> Vec<u8> {
    assert_eq!(options.len() % 4, 0);
    let doff = (20 + options.len()) / 4;
    let mut b = Vec::new();
    b.extend_from_slice(&sport.to_be_bytes());
    b.extend_from_slice(&dport.to_be_bytes());
    b.extend_from_slice(&seq.to_be_bytes());
    b.extend_from_slice(&ack.to_be_bytes());
    b.push(((doff as u8) << 4) | ((flags >> 8) as u8 & 1));
    b.push(flags as u8);
    b.extend_from_slice(&1000u16.to_be_bytes()); // window
    b.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent
    b.extend_from_slice(options);
    b.extend_from_slice(payload);
    b
}

fn ipv4_with(proto: u8, ip_options: &[u8], transport: &[u8], frag: u16) -> Vec<u8> {
    let hlen = 20 + ip_options.len();
    let total = (hlen + transport.len()) as u16;
    let mut b = vec![0x40 | (hlen / 4) as u8, 0];
    b.extend_from_slice(&total.to_be_bytes());
    b.extend_from_slice(&[0, 1]);
    b.extend_from_slice(&frag.to_be_bytes());
    b.extend_from_slice(&[64, proto, 0, 0]);
    b.extend_from_slice(&[192, 168, 0, 1, 192, 168, 0, 2]);
    b.extend_from_slice(ip_options);
    b.extend_from_slice(transport);
    b
}

fn ipv4(transport: &[u8]) -> Vec<u8> {
    ipv4_with(6, &[], transport, 0)
}

fn ipv6_with(next: u8, ext: &[u8], transport: &[u8]) -> Vec<u8> {
    let plen = (ext.len() + transport.len()) as u16;
    let mut b = vec![0x60, 0, 0, 0];
    b.extend_from_slice(&plen.to_be_bytes());
    b.push(next);
    b.push(64);
    let mut src = [0u8; 16];
    src[15] = 1;
    let mut dst = [0u8; 16];
    dst[0] = 0xfe;
    dst[1] = 0x80;
    dst[15] = 2;
    b.extend_from_slice(&src);
    b.extend_from_slice(&dst);
    b.extend_from_slice(ext);
    b.extend_from_slice(transport);
    b
}

fn ether(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut b = vec![0u8; 12];
    b.extend_from_slice(&ethertype.to_be_bytes());
    b.extend_from_slice(payload);
    b
}

fn syn() -> Vec<u8> {
    tcp(40000, 7788, 1000, 0, TcpFlags::SYN, &[], &[])
}

/// A decoded frame that owns its payload, so tests can decode temporaries.
struct Owned {
    segment: Segment,
    payload: Vec<u8>,
    notes: Vec<DecodeNote>,
}

fn ok(linktype: Linktype, frame: &[u8]) -> Owned {
    match decode_frame(linktype, frame, frame.len() as u32) {
        Ok(d) => Owned {
            segment: d.segment,
            payload: d.payload.to_vec(),
            notes: d.notes.to_vec(),
        },
        Err(e) => panic!("{linktype}: expected a segment, got {e:?}"),
    }
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

#[test]
fn ethernet_ipv4() {
    let payload = b"hello";
    let frame = ether(
        0x0800,
        &ipv4(&tcp(
            40000,
            7788,
            7,
            9,
            TcpFlags::ACK | TcpFlags::PSH,
            &[],
            payload,
        )),
    );
    let d = ok(Linktype::Ethernet, &frame);
    let s = &d.segment;
    assert_eq!(s.src, addr("192.168.0.1:40000"));
    assert_eq!(s.dst, addr("192.168.0.2:7788"));
    assert_eq!((s.seq, s.ack, s.window, s.payload_len), (7, 9, 1000, 5));
    assert_eq!(s.flags.names().collect::<Vec<_>>(), ["ACK", "PSH"]);
    assert_eq!(d.payload, b"hello");
    assert!(d.notes.is_empty());
}

#[test]
fn ethernet_padding_is_not_payload() {
    let mut frame = ether(0x0800, &ipv4(&syn()));
    frame.extend_from_slice(&[0xaa; 6]); // padded to the 60-byte minimum
    let d = ok(Linktype::Ethernet, &frame);
    assert_eq!(d.segment.payload_len, 0);
    assert!(d.payload.is_empty());
}

#[test]
fn vlan_qinq_mpls_pppoe() {
    let ip = ipv4(&syn());
    // 802.1Q
    let mut tagged = vec![0, 5];
    tagged.extend_from_slice(&0x0800u16.to_be_bytes());
    tagged.extend_from_slice(&ip);
    assert_eq!(
        ok(Linktype::Ethernet, &ether(0x8100, &tagged)).segment.seq,
        1000
    );
    // QinQ: 802.1ad outer tag, 802.1Q inner tag.
    let mut qinq = vec![0, 7];
    qinq.extend_from_slice(&0x8100u16.to_be_bytes());
    qinq.extend_from_slice(&tagged);
    assert_eq!(
        ok(Linktype::Ethernet, &ether(0x88a8, &qinq)).segment.seq,
        1000
    );
    // MPLS: two labels, the second with bottom-of-stack.
    let mut mpls = vec![0, 0x10, 0x00, 0x40, 0, 0x20, 0x01, 0x40];
    mpls.extend_from_slice(&ip);
    assert_eq!(
        ok(Linktype::Ethernet, &ether(0x8847, &mpls)).segment.seq,
        1000
    );
    // PPPoE session, PPP protocol IPv4; trailing padding beyond the PPPoE length is ignored.
    let mut pppoe = vec![0x11, 0x00, 0x0f, 0x07];
    pppoe.extend_from_slice(&((ip.len() + 2) as u16).to_be_bytes());
    pppoe.extend_from_slice(&[0x00, 0x21]);
    pppoe.extend_from_slice(&ip);
    pppoe.extend_from_slice(&[0; 6]);
    let d = ok(Linktype::Ethernet, &ether(0x8864, &pppoe));
    assert_eq!((d.segment.seq, d.segment.payload_len), (1000, 0));
}

#[test]
fn linux_cooked_v1_and_v2() {
    let ip = ipv4(&syn());
    let mut sll = vec![0u8; 14];
    sll.extend_from_slice(&0x0800u16.to_be_bytes());
    sll.extend_from_slice(&ip);
    assert_eq!(ok(Linktype::LinuxSll, &sll).segment.dst.port(), 7788);
    let mut sll2 = 0x86ddu16.to_be_bytes().to_vec();
    sll2.extend_from_slice(&[0u8; 18]);
    sll2.extend_from_slice(&ipv6_with(6, &[], &syn()));
    let d = ok(Linktype::LinuxSll2, &sll2);
    assert_eq!(d.segment.dst, addr("[fe80::2]:7788"));
}

#[test]
fn raw_ip_both_versions() {
    assert_eq!(ok(Linktype::Raw, &ipv4(&syn())).segment.src.port(), 40000);
    assert_eq!(
        ok(Linktype::Raw, &ipv6_with(6, &[], &syn())).segment.src,
        addr("[::1]:40000")
    );
    assert_eq!(ok(Linktype::Ipv4, &ipv4(&syn())).segment.seq, 1000);
    assert_eq!(
        ok(Linktype::Ipv6, &ipv6_with(6, &[], &syn())).segment.seq,
        1000
    );
}

#[test]
fn bsd_loopback_families() {
    for (linktype, family) in [
        (Linktype::Null, 2u32.to_le_bytes()),
        (Linktype::Null, 2u32.to_be_bytes()),
        (Linktype::Loop, 2u32.to_be_bytes()),
    ] {
        let mut f = family.to_vec();
        f.extend_from_slice(&ipv4(&syn()));
        assert_eq!(ok(linktype, &f).segment.seq, 1000, "{linktype}");
    }
    // macOS lo0: AF_INET6 = 30, host byte order.
    let mut f = 30u32.to_le_bytes().to_vec();
    f.extend_from_slice(&ipv6_with(6, &[], &syn()));
    assert_eq!(ok(Linktype::Null, &f).segment.seq, 1000);
    let mut other = 7u32.to_le_bytes().to_vec();
    other.extend_from_slice(&ipv4(&syn()));
    assert_eq!(
        decode_frame(Linktype::Null, &other, 100).unwrap_err(),
        Skip::NotIp(7)
    );
}

#[test]
fn ipv4_options_are_skipped() {
    let frame = ipv4_with(6, &[1, 1, 1, 0], &syn(), 0);
    let d = ok(Linktype::Raw, &frame);
    assert_eq!((d.segment.seq, d.segment.src.port()), (1000, 40000));
}

#[test]
fn ipv6_extension_headers_are_skipped() {
    // Hop-by-hop (8 bytes) → destination options (8 bytes) → TCP.
    let ext = [60, 0, 1, 4, 0, 0, 0, 0, 6, 0, 1, 4, 0, 0, 0, 0];
    let d = ok(Linktype::Raw, &ipv6_with(0, &ext, &syn()));
    assert_eq!(d.segment.seq, 1000);
    // A first fragment carries the TCP header; a later one does not.
    let first = [6, 0, 0, 1, 0, 0, 0, 9];
    assert_eq!(
        ok(Linktype::Raw, &ipv6_with(44, &first, &syn()))
            .segment
            .seq,
        1000
    );
    let later = [6, 0, 0x05, 0x00, 0, 0, 0, 9];
    assert_eq!(
        decode_frame(Linktype::Raw, &ipv6_with(44, &later, &syn()), 200).unwrap_err(),
        Skip::Fragment
    );
}

#[test]
fn ipv6_extension_chain_that_overruns_or_loops() {
    // A hop-by-hop header claiming 2 KiB.
    let ext = [0, 255, 0, 0, 0, 0, 0, 0];
    let frame = ipv6_with(0, &ext, &syn());
    assert!(matches!(
        decode_frame(Linktype::Raw, &frame, frame.len() as u32),
        Err(Skip::Bad(_))
    ));
    // Twenty hop-by-hop headers in a row.
    let mut chain = Vec::new();
    for _ in 0..20 {
        chain.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]);
    }
    let frame = ipv6_with(0, &chain, &syn());
    let err = decode_frame(Linktype::Raw, &frame, frame.len() as u32).unwrap_err();
    assert!(
        matches!(err, Skip::Bad(DecodeError::Invalid { .. })),
        "{err:?}"
    );
}

#[test]
fn other_traffic_is_counted_not_decoded() {
    assert_eq!(
        decode_frame(Linktype::Ethernet, &ether(0x0806, &[0; 28]), 42).unwrap_err(),
        Skip::NotIp(0x0806)
    );
    let udp = ipv4_with(17, &[], &[0; 8], 0);
    assert_eq!(
        decode_frame(Linktype::Raw, &udp, 28).unwrap_err(),
        Skip::NotTcp(17)
    );
    let frag = ipv4_with(6, &[], &syn(), 0x0010);
    assert_eq!(
        decode_frame(Linktype::Raw, &frag, 40).unwrap_err(),
        Skip::Fragment
    );
}

#[test]
fn malformed_headers_say_where() {
    // Ethernet cut inside its header.
    let err = decode_frame(Linktype::Ethernet, &[0; 10], 10).unwrap_err();
    assert!(
        matches!(
            err,
            Skip::Bad(DecodeError::Truncated {
                layer: Layer::Link,
                needed: 14,
                available: 10,
                ..
            })
        ),
        "{err:?}"
    );
    // IHL below 5.
    let mut bad_ihl = ipv4(&syn());
    bad_ihl[0] = 0x43;
    let err = decode_frame(Linktype::Raw, &bad_ihl, 40).unwrap_err();
    assert!(err_text(&err).contains("IHL 3 < 5"), "{err:?}");
    // TCP data offset below 5 words.
    let mut seg = syn();
    seg[12] = 0x30;
    let err = decode_frame(Linktype::Raw, &ipv4(&seg), 40).unwrap_err();
    assert!(err_text(&err).contains("data offset"), "{err:?}");
    // Data offset past the end of the IP packet.
    let mut seg = syn();
    seg[12] = 0xf0;
    let err = decode_frame(Linktype::Raw, &ipv4(&seg), 40).unwrap_err();
    assert!(err_text(&err).contains("60 header bytes"), "{err:?}");
    // TCP header cut to 12 bytes.
    let frame = ipv4(&syn()[..12]);
    let err = decode_frame(Linktype::Raw, &frame, frame.len() as u32).unwrap_err();
    assert!(
        matches!(
            err,
            Skip::Bad(DecodeError::Truncated {
                layer: Layer::Tcp,
                needed: 20,
                available: 12,
                ..
            })
        ),
        "{err:?}"
    );
}

fn err_text(s: &Skip) -> String {
    match s {
        Skip::Bad(e) => e.to_string(),
        other => format!("{other:?}"),
    }
}

#[test]
fn options_are_decoded() {
    let opts = [
        2, 4, 0x05, 0xb4, // MSS 1460
        1, 3, 3, 7, // NOP, window scale 7
        4, 2, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6, // SACK permitted, timestamps 5/6
        5, 10, 0, 0, 0, 100, 0, 0, 0, 200, // one SACK block
        99, 4, 1, 2, // unknown kind 99
        0, 0, // end of list, padding
    ];
    let frame = ipv4(&tcp(1, 2, 0, 0, TcpFlags::SYN, &opts, &[]));
    let o = ok(Linktype::Raw, &frame).segment.options;
    assert_eq!(o.mss, Some(1460));
    assert_eq!(o.window_scale, Some(7));
    assert!(o.sack_permitted);
    assert_eq!(o.timestamps, Some((5, 6)));
    assert_eq!(o.sack, vec![(100, 200)]);
    assert_eq!(o.unknown, vec![UnknownOption { kind: 99, len: 4 }]);
    assert!(!o.malformed && !o.truncated);
}

#[test]
fn impossible_option_lengths_stop_parsing() {
    for opts in [[2u8, 0, 0, 0], [2, 1, 0, 0], [8, 40, 0, 0]] {
        let frame = ipv4(&tcp(1, 2, 0, 0, TcpFlags::SYN, &opts, &[]));
        let d = ok(Linktype::Raw, &frame);
        assert!(d.segment.options.malformed, "{opts:?}");
        assert!(d.notes.contains(&DecodeNote::OptionsMalformed));
    }
}

#[test]
fn snaplen_cut_keeps_the_headers() {
    let opts = [2, 4, 0x05, 0xb4, 1, 1, 1, 1];
    let full = ether(
        0x0800,
        &ipv4(&tcp(1, 2, 3, 4, TcpFlags::ACK, &opts, b"payload bytes")),
    );
    let cut = &full[..14 + 20 + 22];
    let d = decode_frame(Linktype::Ethernet, cut, full.len() as u32).expect("headers are there");
    assert_eq!(
        d.segment.payload_len, 13,
        "the real length, from the IP header"
    );
    assert_eq!(d.segment.captured_payload, 0);
    assert!(d.segment.options.truncated);
    assert!(matches!(
        d.notes[0],
        DecodeNote::SnaplenTruncated { captured: 56, .. }
    ));
}

#[test]
fn ip_length_longer_than_the_frame_uses_what_is_there() {
    let mut frame = ipv4(&tcp(1, 2, 3, 4, TcpFlags::ACK, &[], b"abc"));
    frame[3] += 10; // claims 10 bytes more than sent
    let d = ok(Linktype::Raw, &frame);
    assert_eq!(d.segment.payload_len, 3);
    assert!(matches!(
        d.notes[0],
        DecodeNote::IpLengthExceedsFrame { .. }
    ));
}

#[test]
fn ns_flag_is_kept() {
    let frame = ipv4(&tcp(
        1,
        2,
        0,
        0,
        TcpFlags::SYN | TcpFlags::NS | TcpFlags::ECE | TcpFlags::CWR,
        &[],
        &[],
    ));
    let f = ok(Linktype::Raw, &frame).segment.flags;
    assert_eq!(f.names().collect::<Vec<_>>(), ["NS", "CWR", "ECE", "SYN"]);
}

proptest! {
    /// Whatever the bytes, decoding returns (and never panics), for every link type.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200), extra in 0u32..5000) {
        for lt in Linktype::ALL {
            let _ = decode_frame(lt, &bytes, bytes.len() as u32 + extra);
        }
    }

    /// Every prefix of a valid frame decodes or fails cleanly; the payload is never longer
    /// than what was captured.
    #[test]
    fn every_prefix_is_safe(payload in proptest::collection::vec(any::<u8>(), 0..64), cut in 0usize..200) {
        let frame = ether(0x0800, &ipv4(&tcp(5, 6, 7, 8, TcpFlags::ACK, &[2, 4, 1, 1], &payload)));
        let cut = cut.min(frame.len());
        if let Ok(d) = decode_frame(Linktype::Ethernet, &frame[..cut], frame.len() as u32) {
            prop_assert!(d.payload.len() <= cut);
            prop_assert_eq!(d.segment.payload_len as usize, payload.len());
        }
    }

    /// A valid segment inside random link-layer junk still never panics, and a well-formed
    /// one round-trips its fields.
    #[test]
    fn fields_round_trip(seq in any::<u32>(), ack in any::<u32>(), flags in 0u16..0x200, sport in any::<u16>(), dport in any::<u16>()) {
        let frame = ipv4(&tcp(sport, dport, seq, ack, flags, &[], &[]));
        let d = decode_frame(Linktype::Raw, &frame, frame.len() as u32).unwrap();
        prop_assert_eq!((d.segment.seq, d.segment.ack, d.segment.flags.0), (seq, ack, flags));
        prop_assert_eq!((d.segment.src.port(), d.segment.dst.port()), (sport, dport));
    }
}

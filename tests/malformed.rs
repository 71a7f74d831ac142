//! Hostile and damaged capture files, made byte by byte: each damaged frame gives a notice
//! naming its frame number and the rest of the file is analyzed; a damaged file is analyzed
//! up to the damage.

mod common;

use common::*;
use serde_json::Value;
use std::process::Output;

/// The hand-made exchange (11 frames) with frame `n` (1-based) replaced.
fn exchange_with(n: usize, frame: Vec<u8>) -> Vec<Vec<u8>> {
    let mut frames = exchange(b"hello");
    frames[n - 1] = frame;
    frames
}

fn json_lines(out: &Output) -> Vec<Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

fn replay(name: &str, bytes: &[u8]) -> (Output, Vec<Value>) {
    let path = temp_file(name, bytes);
    let out = run(&["replay", path.to_str().unwrap(), "--format", "json"]);
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    let lines = json_lines(&out);
    (out, lines)
}

/// One notice, for frame `frame`, whose message contains `what`; `segments` segments
/// analyzed; the capture summary last.
fn assert_notice(lines: &[Value], frame: u64, what: &str, segments: usize) {
    let notices = of_type(lines, "notice");
    assert!(
        notices
            .iter()
            .any(|n| n["frame"] == frame && n["message"].as_str().unwrap().contains(what)),
        "no notice for frame {frame} with {what:?}: {notices:?}"
    );
    assert_eq!(
        of_type(lines, "segment").len(),
        segments,
        "the other frames are analyzed"
    );
    assert_eq!(lines.last().unwrap()["type"], "capture");
}

/// The frame's notice on stderr for the default (ladder) output.
fn assert_ladder_notice(name: &str, bytes: &[u8], frame: u64, what: &str) {
    let path = temp_file(name, bytes);
    let out = run(&["replay", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.lines().any(
            |l| l.starts_with(&format!("tcpscope: notice: frame {frame}: ")) && l.contains(what)
        ),
        "{err}"
    );
    assert!(stdout(&out).contains("summary:"), "the connection is drawn");
}

// ---- the file itself -------------------------------------------------------------------

#[test]
fn wrong_magic_is_one_clear_error() {
    let mut bytes = pcap_bytes(1, &exchange(b"hello"));
    bytes[..4].copy_from_slice(b"PCAP");
    let path = temp_file("magic.pcap", &bytes);
    let out = run(&["replay", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("is not a pcap or pcapng capture"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn file_cut_in_a_record_header() {
    let mut bytes = pcap_bytes(1, &exchange(b"hello"));
    // Ten complete records, then 7 bytes of the 11th record's 16-byte header.
    let last = exchange(b"hello")[10].len() + 16;
    bytes.truncate(bytes.len() - last + 7);
    let (out, lines) = replay("cut-header.pcap", &bytes);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_notice(&lines, 11, "the file is damaged here", 10);
}

#[test]
fn file_cut_in_a_record_body() {
    let mut bytes = pcap_bytes(1, &exchange(b"hello"));
    bytes.truncate(bytes.len() - 20);
    let (out, lines) = replay("cut-body.pcap", &bytes);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_notice(&lines, 11, "truncated", 10);
}

#[test]
fn a_record_claiming_4_gb_is_a_notice_and_what_came_before_is_analyzed() {
    let frames = exchange(b"hello");
    let mut bytes = pcap_bytes(1, &frames[..6]);
    // Record 7 claims 0xFFFFFFF0 captured bytes; real records follow.
    let tail = pcap_bytes(1, &frames[6..]);
    let mut records = tail[24..].to_vec();
    records[8..12].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    bytes.extend_from_slice(&records);
    let (out, lines) = replay("4gb.pcap", &bytes);
    assert!(out.status.success(), "{}", stderr(&out));
    // libpcap cannot find the next record after a length it refuses.
    assert_notice(&lines, 7, "4294967280", 6);
}

#[test]
fn zero_length_records_are_a_notice_each() {
    let mut frames = exchange(b"hello");
    frames.insert(3, Vec::new());
    frames.insert(6, Vec::new());
    let (out, lines) = replay("zero.pcap", &pcap_bytes(1, &frames));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_notice(&lines, 4, "cut short", 11);
    assert_notice(&lines, 7, "cut short", 11);
    let capture = of_type(&lines, "capture")[0];
    assert_eq!(capture["frames"], 13);
    assert_eq!(capture["malformed"], 2);
}

/// A pcapng block: type, total length, body (padded to 4), total length.
fn block(kind: u32, body: &[u8]) -> Vec<u8> {
    let mut body = body.to_vec();
    while body.len() % 4 != 0 {
        body.push(0);
    }
    let total = (12 + body.len()) as u32;
    let mut b = kind.to_le_bytes().to_vec();
    b.extend_from_slice(&total.to_le_bytes());
    b.extend_from_slice(&body);
    b.extend_from_slice(&total.to_le_bytes());
    b
}

#[test]
fn pcapng_with_unknown_blocks_is_read_around_them() {
    let mut shb = 0x1A2B_3C4Du32.to_le_bytes().to_vec();
    shb.extend_from_slice(&1u16.to_le_bytes());
    shb.extend_from_slice(&0u16.to_le_bytes());
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    let mut bytes = block(0x0A0D_0D0A, &shb);
    // Interface 0: Ethernet, snaplen 65535.
    let mut idb = 1u16.to_le_bytes().to_vec();
    idb.extend_from_slice(&[0, 0]);
    idb.extend_from_slice(&65535u32.to_le_bytes());
    bytes.extend(block(1, &idb));
    for (i, frame) in exchange(b"hello").iter().enumerate() {
        if i % 3 == 1 {
            // Unknown block types, a local-use one and one nobody defined, between packets.
            bytes.extend(block(0x8000_0BAD, b"hostile vendor data \x1b[2J"));
            bytes.extend(block(0x0000_0BAD, &[0xff; 13]));
        }
        let mut epb = 0u32.to_le_bytes().to_vec();
        let ts = 1_700_000_000_000_000u64 + i as u64 * 1000;
        epb.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(ts as u32).to_le_bytes());
        epb.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        epb.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        epb.extend_from_slice(frame);
        while epb.len() % 4 != 0 {
            epb.push(0);
        }
        bytes.extend(block(6, &epb));
    }
    let (out, lines) = replay("unknown-blocks.pcapng", &bytes);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(of_type(&lines, "segment").len(), 11, "{}", stderr(&out));
    assert_eq!(of_type(&lines, "connection")[0]["close"], "four-way");
}

// ---- frames --------------------------------------------------------------------------

/// Frame 5 of the exchange (the server's ACK) with `opts` as TCP options.
fn with_options(opts: &[u8]) -> Vec<u8> {
    let mut opts = opts.to_vec();
    while opts.len() % 4 != 0 {
        opts.push(1);
    }
    let mut f = exchange(b"hello")[4].clone();
    f.splice(54..54, opts.iter().copied());
    f[46] = (((20 + opts.len()) / 4) as u8) << 4;
    let total = u16::from_be_bytes([f[16], f[17]]) + opts.len() as u16;
    f[16..18].copy_from_slice(&total.to_be_bytes());
    f
}

#[test]
fn snaplen_truncated_tcp_header() {
    // Frame 5 cut 10 bytes into its TCP header by a 44-byte snapshot length.
    let frames = exchange(b"hello");
    let mut bytes = pcap_bytes(1, &frames[..4]);
    let cut = &frames[4][..44];
    bytes.extend_from_slice(&1_700_000_000u32.to_le_bytes());
    bytes.extend_from_slice(&4000u32.to_le_bytes());
    bytes.extend_from_slice(&44u32.to_le_bytes());
    bytes.extend_from_slice(&(frames[4].len() as u32).to_le_bytes());
    bytes.extend_from_slice(cut);
    bytes.extend_from_slice(&pcap_bytes(1, &frames[5..])[24..]);
    let (out, lines) = replay("snap-tcp.pcap", &bytes);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_notice(
        &lines,
        5,
        "TCP header cut short at byte 34: needs 20 bytes, 10 captured",
        10,
    );
}

#[test]
fn tcp_data_offset_below_five() {
    let mut f = exchange(b"hello")[4].clone();
    f[46] = 0x30;
    let bytes = pcap_bytes(1, &exchange_with(5, f));
    let (_, lines) = replay("doff3.pcap", &bytes);
    assert_notice(&lines, 5, "data offset 3 words", 10);
    assert_ladder_notice("doff3-ladder.pcap", &bytes, 5, "data offset 3 words");
}

#[test]
fn tcp_data_offset_past_the_packet() {
    let mut f = exchange(b"hello")[4].clone();
    f[46] = 0xf0;
    let (_, lines) = replay("doff15.pcap", &pcap_bytes(1, &exchange_with(5, f)));
    assert_notice(&lines, 5, "data offset says 60 header bytes", 10);
}

#[test]
fn ipv4_ihl_below_five() {
    for ihl in [0u8, 1, 4] {
        let mut f = exchange(b"hello")[4].clone();
        f[14] = 0x40 | ihl;
        let (_, lines) = replay("ihl.pcap", &pcap_bytes(1, &exchange_with(5, f)));
        assert_notice(&lines, 5, &format!("IHL {ihl} < 5"), 10);
    }
}

/// An IPv6 TCP segment on Ethernet (::1 port 7788 → ::1 port 40000) behind the extension
/// headers `ext`, the first of type `first`.
fn eth_tcp6(first: u8, ext: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8; 12];
    f.extend_from_slice(&[0x86, 0xdd]);
    f.extend_from_slice(&[0x60, 0, 0, 0]);
    f.extend_from_slice(&((ext.len() + 20) as u16).to_be_bytes());
    f.extend_from_slice(&[first, 64]);
    let one = std::net::Ipv6Addr::LOCALHOST.octets();
    f.extend_from_slice(&one);
    f.extend_from_slice(&one);
    f.extend_from_slice(ext);
    f.extend_from_slice(&7788u16.to_be_bytes());
    f.extend_from_slice(&40000u16.to_be_bytes());
    f.extend_from_slice(&[
        0, 0, 3, 133, 0, 0, 0, 106, 0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0,
    ]);
    f
}

#[test]
fn ipv6_extension_chain_that_loops() {
    // Destination options pointing at destination options, 20 times.
    let ext: Vec<u8> = (0..20).flat_map(|_| [60u8, 0, 1, 4, 0, 0, 0, 0]).collect();
    let (_, lines) = replay(
        "v6-loop.pcap",
        &pcap_bytes(1, &exchange_with(5, eth_tcp6(60, &ext))),
    );
    assert_notice(&lines, 5, "more than 16 extension headers", 10);
}

#[test]
fn ipv6_extension_header_overrunning_the_frame() {
    // A hop-by-hop header claiming (200 + 1) * 8 bytes in an 82-byte frame.
    let (_, lines) = replay(
        "v6-overrun.pcap",
        &pcap_bytes(
            1,
            &exchange_with(5, eth_tcp6(0, &[6, 200, 1, 4, 0, 0, 0, 0])),
        ),
    );
    assert_notice(
        &lines,
        5,
        "IPv6 extension header at byte 54 is invalid: its length (1608 bytes) runs past the end of the packet at byte 82",
        10,
    );
}

#[test]
fn ipv6_extension_headers_overrunning_the_payload_length() {
    let mut f = eth_tcp6(0, &[60, 0, 1, 4, 0, 0, 0, 0, 6, 0, 1, 4, 0, 0, 0, 0]);
    // The payload length covers only the first extension header.
    f[18..20].copy_from_slice(&8u16.to_be_bytes());
    let (_, lines) = replay("v6-plen.pcap", &pcap_bytes(1, &exchange_with(5, f)));
    assert_notice(&lines, 5, "overrun the payload length 8", 10);
}

#[test]
fn tcp_option_lengths_zero_one_and_overrunning() {
    for (name, opts) in [
        ("len0", vec![2u8, 0, 5, 180]),
        ("len1", vec![8, 1, 0, 0]),
        ("overrun", vec![1, 1, 8, 40, 0, 0, 0, 0, 0, 0, 0, 0]),
    ] {
        let bytes = pcap_bytes(1, &exchange_with(5, with_options(&opts)));
        let (out, lines) = replay(&format!("opt-{name}.pcap"), &bytes);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        // The segment itself is still analyzed, with the note on it.
        assert_notice(&lines, 5, "malformed TCP option", 11);
        let seg = of_type(&lines, "segment")
            .into_iter()
            .find(|s| s["frame"] == 5)
            .unwrap()
            .clone();
        assert_eq!(seg["label"], "ACK of data (5 bytes)", "{name}");
        assert_ladder_notice(
            &format!("opt-{name}-ladder.pcap"),
            &bytes,
            5,
            "malformed TCP option",
        );
    }
}

#[test]
fn every_damage_at_once() {
    // All the frame-level damage in one file: each is a notice, the good frames all count.
    let mut frames = exchange(b"hello");
    let mut bad_ihl = frames[4].clone();
    bad_ihl[14] = 0x43;
    let mut bad_doff = frames[4].clone();
    bad_doff[46] = 0x20;
    let ext: Vec<u8> = (0..20).flat_map(|_| [60u8, 0, 1, 4, 0, 0, 0, 0]).collect();
    for (at, f) in [
        (2, Vec::new()),
        (4, bad_ihl),
        (6, bad_doff),
        (8, eth_tcp6(60, &ext)),
        (10, vec![0xff; 13]),
    ] {
        frames.insert(at, f);
    }
    let (out, lines) = replay("all.pcap", &pcap_bytes(1, &frames));
    assert!(out.status.success(), "{}", stderr(&out));
    let notices: Vec<u64> = of_type(&lines, "notice")
        .iter()
        .map(|n| n["frame"].as_u64().unwrap())
        .collect();
    assert_eq!(notices, [3, 5, 7, 9, 11]);
    assert_eq!(of_type(&lines, "segment").len(), 11);
    assert_eq!(of_type(&lines, "connection")[0]["close"], "four-way");
}

//! tcpscope against tshark on real Linux TCP with loss, capture gaps, zero windows,
//! keep-alives and reused ports (tests/data/fidelity, made by its make-captures.sh): every
//! segment's flags, seq, ack and length, and every `tcp.analysis.*` flag.

mod common;

use common::*;
use serde_json::Value;
use std::collections::HashMap;

const CAPTURES: [&str; 6] = [
    "capture-gap",
    "keepalive",
    "loss-in",
    "loss-out",
    "reuse",
    "zerowindow",
];

fn dir() -> std::path::PathBuf {
    root().join("tests/data/fidelity")
}

/// One capture: our segments by frame number, and tshark's rows.
fn load(name: &str) -> (Vec<Value>, Vec<HashMap<String, String>>) {
    let lines = replay_json(&dir().join(format!("{name}.pcap")), &[]);
    let rows = tsv(&dir().join(format!("{name}.tshark-segments.tsv")));
    (lines, rows)
}

fn analysis(seg: &Value) -> Vec<&str> {
    seg["analysis"]
        .as_array()
        .map(|a| a.iter().map(|v| v.as_str().unwrap()).collect())
        .unwrap_or_default()
}

/// Flags, absolute and relative seq/ack, length, window and stream number of every segment.
#[test]
fn every_fidelity_segment_agrees_with_tshark() {
    let mut compared = 0usize;
    let mut mismatches = Vec::new();
    for name in CAPTURES {
        let (lines, rows) = load(name);
        let segs = by_frame(&lines);
        assert_eq!(segs.len(), rows.len(), "{name}: number of TCP segments");
        for row in rows {
            compared += 1;
            let frame: u64 = row["frame.number"].parse().unwrap();
            let seg = segs[&frame];
            mismatches.extend(tshark_field_mismatches(name, frame, seg, &row));
        }
    }
    eprintln!(
        "fidelity segments: {} of {compared} agree",
        compared - mismatches.len()
    );
    assert!(compared > 500, "compared {compared} segments");
    assert!(
        mismatches.is_empty(),
        "{} of {compared} differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// Where tcpscope's analysis differs from tshark 4.0.17 on these captures: (capture, frame,
/// tshark's flags, ours). Each is asserted exactly, so a change either way shows up.
///
/// capture-gap: after a segment missing from the capture, which later ACKs Wireshark marks
/// `ack_lost_segment` depends on how it resets the "max seq to be acked" and the
/// duplicate-ACK count of the other direction. We follow the rule in current Wireshark
/// sources (one report per stall of the other side: frames 12 and 28); tshark 4.0.17 marks
/// the ACK after each gap instead (12, 14, 21, 27, 29; not 19, though segment 801-901 is
/// missing too, and not 28). Not yet reproduced: an open difference, not a claim that
/// ours is right.
const KNOWN: [(&str, u64, &[&str], &[&str]); 3] = [
    ("capture-gap", 14, &["ack_lost_segment"], &[]),
    ("capture-gap", 21, &["ack_lost_segment"], &[]),
    (
        "capture-gap",
        28,
        &["lost_segment"],
        &["lost_segment", "ack_lost_segment"],
    ),
];

/// Every `tcp.analysis.*` flag and the duplicate-ACK number of every segment.
#[test]
fn every_fidelity_analysis_flag_agrees_with_tshark() {
    let (mut compared, mut flagged, mut known) = (0usize, 0usize, 0usize);
    let mut mismatches = Vec::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for name in CAPTURES {
        let (lines, rows) = load(name);
        let segs = by_frame(&lines);
        for row in rows {
            compared += 1;
            let frame: u64 = row["frame.number"].parse().unwrap();
            let seg = segs[&frame];
            let want: Vec<&str> = ANALYSIS_FLAGS
                .iter()
                .copied()
                .filter(|f| !row[&format!("tcp.analysis.{f}")].is_empty())
                .collect();
            for f in &want {
                *seen.entry(f).or_default() += 1;
            }
            flagged += usize::from(!want.is_empty());
            let got = analysis(seg);
            let want_num = row["tcp.analysis.duplicate_ack_num"].parse::<u64>().ok();
            if let Some(k) = KNOWN.iter().find(|k| k.0 == name && k.1 == frame) {
                assert_eq!(
                    (want.as_slice(), got.as_slice()),
                    (k.2, k.3),
                    "{name} {frame}"
                );
                known += 1;
                continue;
            }
            if want != got || want_num != seg["dup_ack_num"].as_u64() {
                mismatches.push(format!(
                    "{name} frame {frame}: tshark {want:?} {want_num:?}, ours {got:?} {:?}",
                    seg["dup_ack_num"]
                ));
            }
        }
    }
    let mut seen: Vec<_> = seen.into_iter().collect();
    seen.sort();
    eprintln!(
        "fidelity analysis flags: {} of {compared} segments agree ({flagged} flagged by tshark, \
         {known} known differences); flags in the captures: {seen:?}",
        compared - mismatches.len() - known
    );
    assert_eq!(known, KNOWN.len());
    assert!(
        mismatches.is_empty(),
        "{} of {compared} differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

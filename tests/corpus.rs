//! tcpscope against independent tools on 38 public captures (../shared/corpus): every TCP
//! segment against tshark 4.0's dissection, every connection against Zeek's conn.log (where
//! the corpus has it) or tshark's conversations.

mod common;

use common::*;
use serde_json::Value;
use std::collections::HashMap;

fn captures() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(corpus().join("pcaps"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names.len(),
        if full_corpus() { 38 } else { 29 },
        "captures in {}",
        corpus().display()
    );
    names
}

/// Flags, relative seq/ack, length and stream number of every segment, as tshark reads them.
#[test]
fn every_segment_agrees_with_tshark() {
    let mut compared = 0usize;
    let mut mismatches = Vec::new();
    for name in captures() {
        let expected = corpus()
            .join("expected")
            .join(format!("{name}.tshark-segments.tsv"));
        if !expected.is_file() {
            // Only the 12.5 MB reading of zeek-echo-connections is left out of tests/data.
            assert!(
                !full_corpus() && name == "zeek-echo-connections.pcap",
                "{name}: no tshark reading"
            );
            continue;
        }
        let lines = replay_json(&corpus().join("pcaps").join(&name), &[]);
        let segs = by_frame(&lines);
        let rows = tsv(&corpus()
            .join("expected")
            .join(format!("{name}.tshark-segments.tsv")));
        assert_eq!(segs.len(), rows.len(), "{name}: number of TCP segments");
        for row in rows {
            compared += 1;
            let frame: u64 = row["frame.number"].parse().unwrap();
            let Some(seg) = segs.get(&frame) else {
                mismatches.push(format!("{name} frame {frame}: missing"));
                continue;
            };
            mismatches.extend(tshark_field_mismatches(&name, frame, seg, &row));
            let ts = seg["ts"].as_f64().unwrap();
            let want_ts: f64 = row["frame.time_epoch"].parse().unwrap();
            if (ts - want_ts).abs() > 1e-6 {
                mismatches.push(format!("{name} frame {frame}: ts {ts} != {want_ts}"));
            }
        }
    }
    assert!(
        compared > if full_corpus() { 87_000 } else { 3_000 },
        "compared {compared} segments"
    );
    assert!(
        mismatches.is_empty(),
        "{} of {compared} differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// How Zeek's conn_state maps to our close verdicts.
fn close_for_zeek_state(state: &str) -> Option<&'static [&'static str]> {
    Some(match state {
        "SF" => &["four-way", "three-way", "simultaneous"],
        "S0" => &["no-answer"],
        "REJ" => &["refused"],
        "S1" => &["open"],
        "RSTO" | "RSTR" | "RSTOS0" | "RSTRH" => &["reset"],
        "SH" | "SHR" | "S2" | "S3" => &["half-closed"],
        // OTH: no SYN seen; anything goes. "-": the baseline lacks the column.
        _ => return None,
    })
}

fn endpoint(host: &str, port: &str) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Differences that are known and explained (see the README, "Agreement with tshark and Zeek").
fn known_difference(name: &str, row: &HashMap<String, String>, ours: &[&Value]) -> bool {
    match name {
        // Zeek starts a new connection for each retried SYN after an RST (3 REJ rows per
        // 4-tuple); tshark and tcpscope see retransmissions of one SYN (same ISN): one refused
        // connection with 3 segments each way.
        "zeek-pop3-pop3.pcap" => {
            row["conn_state"] == "REJ"
                && ours.iter().any(|c| {
                    c["close"] == "refused"
                        && c["segments"]["c2s"] == 3
                        && c["segments"]["s2c"] == 3
                })
        }
        // Zeek drops the SYN for its bad checksum; tcpscope, like tshark, does not verify
        // checksums and shows an unanswered SYN.
        "zeek-tcp-syn-bad.pcap" => ours.len() == 1 && ours[0]["close"] == "no-answer",
        _ => false,
    }
}

/// Client/server roles, per-direction packet counts and the close verdict of every
/// connection, against Zeek's conn.log rows or tshark's conversations.
#[test]
fn every_connection_agrees_with_the_oracles() {
    let mut problems = Vec::new();
    let mut rows_checked = 0;
    let mut zeek_states = 0;
    for name in captures() {
        let lines = replay_json(&corpus().join("pcaps").join(&name), &[]);
        let conns = of_type(&lines, "connection");
        for row in tsv(&corpus().join("expected").join(format!("{name}.tsv"))) {
            rows_checked += 1;
            let candidates: Vec<&Value> = if row["orig_h"] == "-" {
                conns.clone()
            } else {
                let (c, s) = (
                    endpoint(&row["orig_h"], &row["orig_p"]),
                    endpoint(&row["resp_h"], &row["resp_p"]),
                );
                conns
                    .iter()
                    .copied()
                    .filter(|v| v["client"] == c.as_str() && v["server"] == s.as_str())
                    .collect()
            };
            let expected_close = close_for_zeek_state(&row["conn_state"]);
            if expected_close.is_some() {
                zeek_states += 1;
            }
            let matches = candidates.iter().any(|c| {
                let pkts = row["orig_pkts"] == "-"
                    || (row["orig_pkts"].parse::<u64>().ok() == c["segments"]["c2s"].as_u64()
                        && row["resp_pkts"].parse::<u64>().ok() == c["segments"]["s2c"].as_u64());
                let close =
                    expected_close.is_none_or(|want| want.contains(&c["close"].as_str().unwrap()));
                pkts && close
            });
            if !matches && !known_difference(&name, &row, &candidates) {
                problems.push(format!(
                    "{name}: {row:?} — ours: {:?}",
                    candidates
                        .iter()
                        .map(|c| (&c["client"], &c["close"], &c["segments"]))
                        .collect::<Vec<_>>()
                ));
            }
        }
    }
    let min_rows = if full_corpus() { 2600 } else { 600 };
    assert!(
        rows_checked >= min_rows && zeek_states >= 55,
        "{rows_checked} rows, {zeek_states} Zeek states"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The handshake and close of the corpus's lifecycle features are recognised by name.
#[test]
fn lifecycle_features_are_named() {
    let close_of = |name: &str| -> Vec<String> {
        of_type(
            &replay_json(&corpus().join("pcaps").join(name), &[]),
            "connection",
        )
        .iter()
        .map(|c| c["close"].as_str().unwrap().to_string())
        .collect()
    };
    assert_eq!(close_of("zeek-tcp-syn-then-rst.pcap"), ["reset"]);
    assert_eq!(close_of("zeek-mysql-auth.pcap"), vec!["simultaneous"; 13]);
    let ssh = close_of("zeek-ssh-ssh.pcap");
    // tshark streams 3, 6, 8, 10 and 12 are simultaneous closes (corpus README).
    for i in [3, 6, 8, 10, 12] {
        assert_eq!(ssh[i], "simultaneous", "ssh stream {i}");
    }
    let pop3 = close_of("zeek-pop3-pop3.pcap");
    assert_eq!(pop3.iter().filter(|c| *c == "refused").count(), 2);
    let nmap = close_of("zeek-nmap-vsn.pcap");
    assert_eq!(
        nmap.iter().filter(|c| *c == "refused").count(),
        6,
        "{nmap:?}"
    );
    assert_eq!(
        nmap.iter().filter(|c| *c == "no-answer").count(),
        8,
        "{nmap:?}"
    );
    // The handshake's three labels and the four of the wave.
    let lines = replay_json(&corpus().join("pcaps/zeek-tcp-miss_end_data.pcap"), &[]);
    let labels: Vec<&str> = of_type(&lines, "segment")
        .iter()
        .map(|s| s["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels[..3],
        [
            "handshake 1/3: SYN",
            "handshake 2/3: SYN-ACK",
            "handshake 3/3: ACK — ESTABLISHED"
        ]
    );
    assert_eq!(
        labels[5..],
        [
            "wave 1/4: FIN",
            "wave 2/4: ACK of FIN",
            "wave 3/4: FIN",
            "wave 4/4: ACK — TIME_WAIT"
        ]
    );
}

/// The licence-free PPA captures exist only in the shared corpus: checks, not committed.
#[test]
fn ppa_lifecycle_checks() {
    if !full_corpus() {
        eprintln!("the shared corpus is not beside the repository: PPA checks not run");
        return;
    }
    let close_of = |name: &str| -> Vec<String> {
        of_type(
            &replay_json(&corpus().join("pcaps").join(name), &[]),
            "connection",
        )
        .iter()
        .map(|c| c["close"].as_str().unwrap().to_string())
        .collect()
    };
    assert_eq!(close_of("ppa-tcp_refuseconnection.pcapng"), ["refused"]);
    assert_eq!(close_of("ppa-tcp_teardown.pcapng"), ["four-way"]);
    let synscan = close_of("ppa-synscan.pcapng");
    assert_eq!(synscan.iter().filter(|c| *c == "refused").count(), 5);
    let lines = replay_json(&corpus().join("pcaps/ppa-tcp_handshake.pcapng"), &[]);
    let labels: Vec<&str> = of_type(&lines, "segment")
        .iter()
        .map(|s| s["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "handshake 1/3: SYN",
            "handshake 2/3: SYN-ACK",
            "handshake 3/3: ACK — ESTABLISHED"
        ]
    );
}

/// Every `tcp.analysis.*` flag of every segment, and the duplicate-ACK number, against
/// tshark 4.0.17 (default preferences). Measured: 87,747 of 87,747 segments agree.
#[test]
fn every_analysis_flag_agrees_with_tshark() {
    let (mut compared, mut flagged) = (0usize, 0usize);
    let mut mismatches = Vec::new();
    for name in captures() {
        let expected = corpus()
            .join("expected")
            .join(format!("{name}.tshark-segments.tsv"));
        if !expected.is_file() {
            continue;
        }
        let lines = replay_json(&corpus().join("pcaps").join(&name), &[]);
        let segs = by_frame(&lines);
        for row in tsv(&expected) {
            compared += 1;
            let frame: u64 = row["frame.number"].parse().unwrap();
            let seg = segs[&frame];
            let want: Vec<&str> = ANALYSIS_FLAGS
                .iter()
                .copied()
                .filter(|f| !row[&format!("tcp.analysis.{f}")].is_empty())
                .collect();
            let got: Vec<&str> = seg["analysis"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            flagged += usize::from(!want.is_empty());
            let want_num = row["tcp.analysis.duplicate_ack_num"].parse::<u64>().ok();
            if want != got || want_num != seg["dup_ack_num"].as_u64() {
                mismatches.push(format!(
                    "{name} frame {frame}: tshark {want:?} {want_num:?}, ours {got:?} {:?}",
                    seg["dup_ack_num"]
                ));
            }
        }
    }
    eprintln!(
        "analysis flags: {} of {compared} segments agree ({flagged} flagged by tshark)",
        compared - mismatches.len()
    );
    assert!(flagged > if full_corpus() { 700 } else { 100 });
    assert!(
        mismatches.is_empty(),
        "{} of {compared} differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// Zeek's conn_state and history, where tcpscope knowingly differs, and why.
fn known_zeek_difference(name: &str, field: &str, ours: &str) -> bool {
    match (name, field) {
        // The only SYN has a bad TCP checksum: Zeek drops it (history "C", OTH); tcpscope,
        // like tshark, does not verify checksums and sees an unanswered SYN.
        ("zeek-tcp-syn-bad.pcap", "conn_state") => ours == "S0",
        ("zeek-tcp-syn-bad.pcap", "history") => ours == "S",
        // Zeek flips a connection that starts with a SYN-ACK ("^h..."), except when the
        // SYN follows (here it gives "Hs^..."): when Zeek makes that choice is not yet
        // reproduced; the letters after the flip agree.
        ("zeek-tcp-handshake-reorder.pcap", "history") => ours == "^hSADadFf",
        // Zeek's reassembler reports content gaps ("G", "g") where every byte was captured,
        // and counts one more responder retransmission before the FIN; both depend on
        // Zeek's reassembly internals, not on the segments.
        ("zeek-tcp-retransmit-fast009.pcap", "history") => ours == "ShADadtR",
        ("zeek-pppoe-over-qinq.pcap", "history") => ours == "ShADdtaTTFft",
        _ => false,
    }
}

/// conn_state and history of every Zeek row. Measured: conn_state 63 of 64 rows (the bad
/// checksum), history 65 of 69 rows (the four known differences).
#[test]
fn conn_state_and_history_agree_with_zeek() {
    let mut problems = Vec::new();
    let (mut states, mut states_ok, mut hists, mut hists_ok) = (0, 0, 0, 0);
    for name in captures() {
        let lines = replay_json(&corpus().join("pcaps").join(&name), &[]);
        let conns = of_type(&lines, "connection");
        for row in tsv(&corpus().join("expected").join(format!("{name}.tsv"))) {
            if row["source"] != "zeek" {
                continue;
            }
            let candidates: Vec<&Value> = if row["orig_h"] == "-" {
                conns.clone()
            } else {
                let (c, s) = (
                    endpoint(&row["orig_h"], &row["orig_p"]),
                    endpoint(&row["resp_h"], &row["resp_p"]),
                );
                conns
                    .iter()
                    .copied()
                    .filter(|v| {
                        (v["client"] == c.as_str() && v["server"] == s.as_str())
                            || (v["client"] == s.as_str() && v["server"] == c.as_str())
                    })
                    .collect()
            };
            for (field, count, ok) in [
                ("conn_state", &mut states, &mut states_ok),
                ("history", &mut hists, &mut hists_ok),
            ] {
                let want = &row[field];
                if want == "-" {
                    continue;
                }
                *count += 1;
                let ours: Vec<&str> = candidates
                    .iter()
                    .map(|c| c[field].as_str().unwrap())
                    .collect();
                if ours.contains(&want.as_str()) {
                    *ok += 1;
                } else if !ours.iter().any(|o| known_zeek_difference(&name, field, o)) {
                    problems.push(format!("{name}: {field} Zeek {want}, ours {ours:?}"));
                }
            }
        }
    }
    eprintln!("conn_state: {states_ok} of {states} Zeek rows; history: {hists_ok} of {hists}");
    assert!(
        states >= 60 && hists >= 65,
        "{states} states, {hists} histories"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

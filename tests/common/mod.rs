//! Helpers for the binary tests: run tcpscope, parse its JSON Lines.
#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tcpscope"));
    cmd.env_remove("NO_COLOR")
        .env("LANG", "C.UTF-8")
        .env_remove("LC_ALL");
    cmd
}

pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("tcpscope runs")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every JSON line of `tcpscope replay FILE --format json [extra]`.
pub fn replay_json(file: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["replay", file.to_str().unwrap(), "--format", "json"];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert!(out.status.success(), "{}: {}", file.display(), stderr(&out));
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

/// Run tcpscope, read the first line it prints, then go away as `| head -1` does: the
/// line and how tcpscope ended.
pub fn first_line_then_close(args: &[&str]) -> (String, Output) {
    let mut child = bin()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    (first, child.wait_with_output().unwrap())
}

/// Each line of `text` parsed as JSON.
pub fn json_lines_of(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect()
}

/// The label of every segment.
pub fn labels(lines: &[Value]) -> Vec<String> {
    of_type(lines, "segment")
        .iter()
        .map(|s| s["label"].as_str().unwrap().to_string())
        .collect()
}

pub fn of_type<'a>(lines: &'a [Value], kind: &str) -> Vec<&'a Value> {
    lines.iter().filter(|v| v["type"] == kind).collect()
}

/// Segments by frame number.
pub fn by_frame(lines: &[Value]) -> std::collections::HashMap<u64, &Value> {
    of_type(lines, "segment")
        .into_iter()
        .map(|s| (s["frame"].as_u64().unwrap(), s))
        .collect()
}

/// TCP flags in bit order, as tshark's `tcp.flags` numbers them.
pub const FLAG_NAMES: [&str; 9] = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "NS"];

/// A segment's JSON flag names as tshark's `tcp.flags` bits.
pub fn flag_bits(seg: &Value) -> u64 {
    let names: Vec<&str> = seg["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    FLAG_NAMES
        .iter()
        .enumerate()
        .filter(|(_, n)| names.contains(n))
        .map(|(i, _)| 1u64 << i)
        .sum()
}

/// The `tcp.analysis.*` flags tcpscope reports, by tshark's names.
pub const ANALYSIS_FLAGS: [&str; 15] = [
    "retransmission",
    "fast_retransmission",
    "spurious_retransmission",
    "out_of_order",
    "lost_segment",
    "ack_lost_segment",
    "duplicate_ack",
    "zero_window",
    "zero_window_probe",
    "zero_window_probe_ack",
    "window_full",
    "window_update",
    "keep_alive",
    "keep_alive_ack",
    "reused_ports",
];

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The corpus of public captures with tshark and Zeek readings: `TCPSCOPE_CORPUS`, else the
/// shared corpus beside the repository (38 captures), else the licensed copy in tests/data
/// (29 captures).
pub fn corpus() -> PathBuf {
    let dir = std::env::var_os("TCPSCOPE_CORPUS")
        .map(PathBuf::from)
        .or_else(|| Some(root().join("../shared/corpus")).filter(|d| d.join("pcaps").is_dir()))
        .unwrap_or_else(|| root().join("tests/data/corpus"));
    assert!(
        dir.join("pcaps").is_dir(),
        "no capture corpus at {}",
        dir.display()
    );
    dir
}

/// Every capture under captures/ and tests/data/ (and of the full corpus in ../shared/corpus
/// when it is there), each once: a capture in both tests/data/corpus and ../shared/corpus
/// (the same name and size) counts once.
pub fn every_capture() -> Vec<PathBuf> {
    fn under(dir: &Path, out: &mut std::collections::BTreeMap<(std::ffi::OsString, u64), PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                under(&path, out);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("pcap" | "pcapng")
            ) {
                let key = (
                    path.file_name().unwrap().to_owned(),
                    path.metadata().unwrap().len(),
                );
                out.entry(key).or_insert(path);
            }
        }
    }
    let mut files = std::collections::BTreeMap::new();
    for dir in [root().join("captures"), root().join("tests/data"), corpus()] {
        under(&dir, &mut files);
    }
    files.into_values().collect()
}

/// Is this the full shared corpus (with the unlicensed PPA captures)?
pub fn full_corpus() -> bool {
    corpus().join("pcaps/ppa-tcp_handshake.pcapng").is_file()
}

/// Rows of a tab-separated file with a header line; `#` lines are comments.
pub fn tsv(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let header: Vec<String> = lines
        .next()
        .expect("header")
        .split('\t')
        .map(String::from)
        .collect();
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split('\t').map(String::from))
                .collect()
        })
        .collect()
}

/// A TCP/IPv4 segment inside an Ethernet frame, for hand-made captures.
pub fn eth_tcp(c2s: bool, flags: u8, seq: u32, ack: u32, payload: &[u8]) -> Vec<u8> {
    let (a, b) = ([127, 0, 0, 1], [127, 0, 0, 1]);
    let (sp, dp) = if c2s {
        (40000u16, 7788u16)
    } else {
        (7788, 40000)
    };
    let mut f = vec![0u8; 12];
    f.extend_from_slice(&[0x08, 0x00]);
    let total = (40 + payload.len()) as u16;
    f.extend_from_slice(&[0x45, 0]);
    f.extend_from_slice(&total.to_be_bytes());
    f.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
    f.extend_from_slice(&a);
    f.extend_from_slice(&b);
    f.extend_from_slice(&sp.to_be_bytes());
    f.extend_from_slice(&dp.to_be_bytes());
    f.extend_from_slice(&seq.to_be_bytes());
    f.extend_from_slice(&ack.to_be_bytes());
    f.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    f.extend_from_slice(payload);
    f
}

pub const SYN: u8 = 0x02;
pub const ACK: u8 = 0x10;
pub const FIN: u8 = 0x01;
pub const PSH: u8 = 0x08;
pub const RST: u8 = 0x04;

/// A classic pcap file (microsecond timestamps) with the given link type and frames.
pub fn pcap_bytes(linktype: u32, frames: &[Vec<u8>]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&4u16.to_le_bytes());
    b.extend_from_slice(&[0; 8]);
    b.extend_from_slice(&65535u32.to_le_bytes());
    b.extend_from_slice(&linktype.to_le_bytes());
    for (i, f) in frames.iter().enumerate() {
        b.extend_from_slice(&1_700_000_000u32.to_le_bytes());
        b.extend_from_slice(&(i as u32 * 1000).to_le_bytes());
        b.extend_from_slice(&(f.len() as u32).to_le_bytes());
        b.extend_from_slice(&(f.len() as u32).to_le_bytes());
        b.extend_from_slice(f);
    }
    b
}

/// A hand-made loopback exchange: handshake, one request with `payload`, a reply, a
/// four-way close.
pub fn exchange(payload: &[u8]) -> Vec<Vec<u8>> {
    let n = payload.len() as u32;
    vec![
        eth_tcp(true, SYN, 100, 0, &[]),
        eth_tcp(false, SYN | ACK, 900, 101, &[]),
        eth_tcp(true, ACK, 101, 901, &[]),
        eth_tcp(true, PSH | ACK, 101, 901, payload),
        eth_tcp(false, ACK, 901, 101 + n, &[]),
        eth_tcp(false, PSH | ACK, 901, 101 + n, b"thank you !"),
        eth_tcp(true, ACK, 101 + n, 912, &[]),
        eth_tcp(true, FIN | ACK, 101 + n, 912, &[]),
        eth_tcp(false, ACK, 912, 102 + n, &[]),
        eth_tcp(false, FIN | ACK, 912, 102 + n, &[]),
        eth_tcp(true, ACK, 102 + n, 913, &[]),
    ]
}

/// Write bytes to a fresh temporary file and return its path.
pub fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tcpscope-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The per-segment fields tshark and tcpscope both give (flags, relative and absolute seq
/// and ack, length, stream, window): one line per field that differs.
pub fn tshark_field_mismatches(
    name: &str,
    frame: u64,
    seg: &Value,
    row: &std::collections::HashMap<String, String>,
) -> Vec<String> {
    let num = |key: &str| -> u64 {
        row[key]
            .parse()
            .unwrap_or_else(|e| panic!("{name} frame {frame} {key}: {e}"))
    };
    let want_flags =
        u64::from_str_radix(row["tcp.flags"].trim_start_matches("0x"), 16).unwrap() & 0x1ff;
    let checks = [
        ("flags", flag_bits(seg), want_flags),
        ("rel_seq", seg["rel_seq"].as_u64().unwrap(), num("tcp.seq")),
        ("rel_ack", seg["rel_ack"].as_u64().unwrap(), num("tcp.ack")),
        ("seq", seg["seq"].as_u64().unwrap(), num("tcp.seq_raw")),
        ("ack", seg["ack"].as_u64().unwrap(), num("tcp.ack_raw")),
        ("len", seg["len"].as_u64().unwrap(), num("tcp.len")),
        ("conn", seg["conn"].as_u64().unwrap(), num("tcp.stream")),
        (
            "win",
            seg["win"].as_u64().unwrap(),
            num("tcp.window_size_value"),
        ),
    ];
    checks
        .into_iter()
        .filter(|(_, got, want)| got != want)
        .map(|(field, got, want)| format!("{name} frame {frame}: {field} {got} != tshark {want}"))
        .collect()
}

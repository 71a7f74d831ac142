//! Helpers for the binary tests: run tcpscope, parse its JSON Lines.
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

pub fn of_type<'a>(lines: &'a [Value], kind: &str) -> Vec<&'a Value> {
    lines.iter().filter(|v| v["type"] == kind).collect()
}

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

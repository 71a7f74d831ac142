//! Memory stays flat whatever the size of the capture (issue 7: peak RSS under 64 MB from
//! 200 k to 5 M packets; bench/README.md measures 5.9 M): tcpscope replays synthetic captures
//! of 210 k and 630 k packets from the benchmark's generator (`examples/gencap.rs`) while the
//! test reads its peak resident size (VmHWM) from /proc.

mod common;

#[allow(dead_code)]
#[path = "../examples/gencap.rs"]
mod gencap;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

/// The bound.
const LIMIT_KIB: u64 = 64 * 1024;

/// A synthetic capture of `connections` connections, 1000 open at once, about six packets
/// each (the benchmark's captures, smaller).
fn capture(dir: &Path, connections: u64) -> PathBuf {
    let path = dir.join(format!("c{connections}.pcap"));
    let out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let packets = gencap::generate(out, connections, 1000, 0x7cb5_c0de).unwrap();
    assert!(packets > connections * 5, "{packets} packets");
    path
}

/// The peak resident size of `tcpscope ARGS`, in KiB: VmHWM, read until the process ends
/// (a high-water mark, so the last reading misses at most its last few milliseconds).
fn peak_kib(args: &[&str]) -> u64 {
    let mut child = common::bin()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status) {
            let hwm = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
            peak = peak.max(hwm.unwrap_or(0));
        }
        if let Some(exit) = child.try_wait().unwrap() {
            assert!(exit.success(), "tcpscope {args:?}: {exit}");
            return peak;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn peak_memory_stays_under_64_mb_and_flat_as_captures_grow() {
    let dir = Scratch(std::env::temp_dir().join(format!("tcpscope-memory-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    // About 210 k and 630 k packets: both past the point where the table holds as many
    // connections as it will (those open, and the finished ones lingering 2 s).
    let small = capture(&dir.0, 35_000);
    let large = capture(&dir.0, 105_000);
    for mode in [&["--summary-only"][..], &["--format", "json"]] {
        let peaks: Vec<u64> = [&small, &large]
            .iter()
            .map(|file| {
                let mut args = vec!["replay", file.to_str().unwrap()];
                args.extend_from_slice(mode);
                peak_kib(&args)
            })
            .collect();
        eprintln!("{mode:?}: peak {} KiB, then {} KiB", peaks[0], peaks[1]);
        for peak in &peaks {
            assert!(*peak > 0, "{mode:?}: no reading of VmHWM");
            assert!(*peak < LIMIT_KIB, "{mode:?}: peak {peak} KiB");
        }
        // Three times the capture, not three times the memory: within 8 MB.
        assert!(
            peaks[1] < peaks[0] + 8 * 1024,
            "{mode:?}: {} KiB, then {} KiB for three times the capture",
            peaks[0],
            peaks[1]
        );
    }
}

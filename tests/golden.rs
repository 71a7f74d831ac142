//! Golden files: the ladder (no colour) and the JSON of every capture in captures/, compared
//! byte for byte. `TCPSCOPE_BLESS=1 cargo test --test golden` rewrites them after a deliberate
//! change; review the diff before committing.

mod common;

use common::*;
use std::path::Path;

fn check(name: &str, got: &str) {
    let path = root().join("tests/golden").join(name);
    if std::env::var_os("TCPSCOPE_BLESS").is_some() {
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (TCPSCOPE_BLESS=1 creates it)", path.display()));
    if want != got {
        let first = want
            .lines()
            .zip(got.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(want.lines().count().min(got.lines().count()));
        panic!(
            "{name} differs from line {}:\n--- expected\n{}\n--- got\n{}\n",
            first + 1,
            want.lines()
                .skip(first)
                .take(5)
                .collect::<Vec<_>>()
                .join("\n"),
            got.lines()
                .skip(first)
                .take(5)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

fn captures() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("captures"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".pcap") || n.ends_with(".pcapng"))
        .collect();
    names.sort();
    assert!(names.len() >= 11, "captures/ has its sample files");
    names
}

fn replay(file: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "replay",
        file.to_str().unwrap(),
        "--color",
        "never",
        "--width",
        "120",
    ];
    args.extend_from_slice(extra);
    if !extra.contains(&"--lang") {
        args.extend_from_slice(&["--lang", "en"]);
    }
    let out = run(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

#[test]
fn ladders_of_the_sample_captures() {
    for name in captures() {
        let file = root().join("captures").join(&name);
        check(
            &format!("{name}.ladder.txt"),
            &replay(&file, &["--payload"]),
        );
        check(
            &format!("{name}.json"),
            &replay(&file, &["--format", "json"]),
        );
    }
}

#[test]
fn chinese_ladder() {
    let file = root().join("captures/gbk-chat.pcap");
    check(
        "gbk-chat.pcap.zh.txt",
        &replay(&file, &["--lang", "zh", "--payload", "--encoding", "gbk"]),
    );
}

#[test]
fn interleaved_and_summary_views() {
    let file = root().join("captures/concurrent.pcap");
    check(
        "concurrent.pcap.interleave.txt",
        &replay(&file, &["--interleave"]),
    );
    check(
        "concurrent.pcap.summary.txt",
        &replay(&file, &["--summary-only"]),
    );
}

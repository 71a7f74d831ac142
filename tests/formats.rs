//! The output formats beside the ladder and JSON: every line of every format parses back
//! (CSV with a CSV reader, conn.log as Zeek TSV, SVG and HTML as XML, Mermaid by its
//! grammar's basics), in English and Chinese.

mod common;

use common::*;
use std::path::PathBuf;

fn sample(name: &str) -> PathBuf {
    root().join("captures").join(name)
}

fn captures() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("captures"))
        .unwrap()
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    files.sort();
    files
}

fn replay(file: &std::path::Path, extra: &[&str]) -> String {
    let mut args = vec!["replay", file.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

#[test]
fn csv_parses_back_with_one_row_per_connection() {
    for file in captures() {
        let text = replay(&file, &["--format", "csv"]);
        let json = replay_json(&file, &[]);
        let conns = of_type(&json, "connection");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header = reader.headers().unwrap().clone();
        assert_eq!(
            header.iter().collect::<Vec<_>>(),
            tcpscope::render::table::CSV_COLUMNS
        );
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), conns.len(), "{}", file.display());
        for (row, conn) in rows.iter().zip(&conns) {
            assert_eq!(row[0], conn["conn"].to_string());
            assert_eq!(&row[1], conn["client"].as_str().unwrap());
            assert_eq!(&row[12], conn["close"].as_str().unwrap());
            assert_eq!(row[3], conn["segments"]["c2s"].to_string());
        }
    }
}

#[test]
fn table_is_aligned_and_plain_when_piped() {
    for lang in ["en", "zh"] {
        let text = replay(
            &sample("concurrent.pcap"),
            &["--format", "table", "--lang", lang],
        );
        assert!(!text.contains('\x1b'), "no colour in a pipe");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2 + 3, "{text}");
        let head = if lang == "en" { "conn" } else { "连接" };
        assert!(lines[0].starts_with(head), "{text}");
        let ended = if lang == "en" {
            "3-segment close"
        } else {
            "三段关闭"
        };
        assert!(lines[2].contains(ended), "{text}");
        // Aligned: every row's state columns end where the header's do.
        let w = |l: &str| {
            l.chars()
                .map(|c| if c > '\u{2e80}' { 2 } else { 1 })
                .sum::<usize>()
        };
        assert!(lines[2..].iter().all(|l| w(l) == w(lines[2])), "{text}");
    }
    let coloured = replay(
        &sample("refused.pcap"),
        &["--format", "table", "--color", "always"],
    );
    assert!(coloured.contains("\x1b["), "{coloured}");
}

#[test]
fn connlog_is_zeek_tsv() {
    for file in captures() {
        let text = replay(&file, &["--format", "connlog"]);
        let json = replay_json(&file, &[]);
        let conns = of_type(&json, "connection");
        let fields: Vec<&str> = text
            .lines()
            .find_map(|l| l.strip_prefix("#fields\t"))
            .expect("#fields line")
            .split('\t')
            .collect();
        assert_eq!(
            fields,
            [
                "ts",
                "uid",
                "id.orig_h",
                "id.orig_p",
                "id.resp_h",
                "id.resp_p",
                "proto",
                "duration",
                "orig_bytes",
                "resp_bytes",
                "conn_state",
                "history",
                "orig_pkts",
                "resp_pkts"
            ]
        );
        let rows: Vec<Vec<&str>> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.split('\t').collect())
            .collect();
        assert_eq!(rows.len(), conns.len());
        for (row, conn) in rows.iter().zip(&conns) {
            assert_eq!(row.len(), fields.len());
            assert_eq!(row[1], conn["conn"].to_string());
            let client = conn["client"].as_str().unwrap();
            assert!(
                client.ends_with(&format!(":{}", row[3])),
                "{client} {row:?}"
            );
            assert_eq!(row[6], "tcp");
            assert_eq!(row[8], conn["bytes"]["c2s"].to_string());
            assert_eq!(row[13], conn["segments"]["s2c"].to_string());
            let ts: f64 = row[0].parse().unwrap();
            assert!((ts - conn["start"].as_f64().unwrap()).abs() < 1e-5);
        }
    }
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish"] {
        let out = run(&["completions", shell]);
        assert!(out.status.success());
        let text = stdout(&out);
        assert!(
            text.contains("tcpscope") && text.contains("replay"),
            "{shell}"
        );
        assert!(
            text.contains("connlog"),
            "{shell}: the formats are completed"
        );
    }
    let out = run(&["man"]);
    assert!(out.status.success());
    let man = stdout(&out);
    assert!(
        man.starts_with(".ie") || man.contains(".TH tcpscope 1"),
        "{man}"
    );
    assert!(man.contains(".SH NAME") && man.contains("replay"));
}

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

fn xml(text: &str, what: &str) -> usize {
    let doc = roxmltree::Document::parse_with_options(
        text,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{what} is not well-formed XML: {e}"));
    doc.descendants()
        .filter(|n| n.attribute("class").is_some_and(|c| c.starts_with("seg ")))
        .count()
}

#[test]
fn svg_and_html_parse_as_xml_with_one_arrow_per_segment() {
    for file in captures() {
        let segments = of_type(&replay_json(&file, &[]), "segment").len();
        for lang in ["en", "zh"] {
            let name = format!("{} {lang}", file.display());
            let svg = replay(&file, &["--format", "svg", "--payload", "--lang", lang]);
            assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
            assert_eq!(xml(&svg, &name), segments, "{name}");
            let html = replay(&file, &["--format", "html", "--payload", "--lang", lang]);
            assert!(html.starts_with("<!DOCTYPE html>"));
            assert!(
                !html.contains("http://") || !html.contains("src=\"http"),
                "offline"
            );
            assert_eq!(xml(&html, &name), segments, "{name}");
            // The panel's data: one object per segment, parsed back with serde.
            let start = html.find("id=\"tcpscope-data\">").unwrap() + 19;
            let end = start + html[start..].find("</script>").unwrap();
            let data: Vec<serde_json::Value> = serde_json::from_str(&html[start..end]).unwrap();
            assert_eq!(data.len(), segments);
            assert!(data
                .iter()
                .all(|d| d["frame"].is_u64() && d["label"].is_string()));
        }
    }
    let zh = replay(&sample("echo.pcap"), &["--format", "svg", "--lang", "zh"]);
    assert!(
        zh.contains("三次握手 1/3") && zh.contains("客户端"),
        "Chinese labels"
    );
    let en = replay(&sample("echo.pcap"), &["--format", "html", "--lang", "en"]);
    assert!(en.contains("handshake 1/3") && en.contains("Segment fields"));
}

/// Every line is a statement Mermaid's sequenceDiagram grammar knows.
fn check_mermaid(text: &str) {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("sequenceDiagram"));
    let mut depth = 0i32;
    let participants: Vec<String> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("participant "))
        .map(|p| p.split(" as ").next().unwrap().to_string())
        .collect();
    let known = |p: &str| participants.iter().any(|q| q == p);
    for line in lines {
        let l = line.trim();
        if l.is_empty() || l.starts_with("%%") {
            continue;
        }
        if let Some(rest) = l.strip_prefix("participant ") {
            assert!(rest.contains(" as "), "{l}");
        } else if l.starts_with("rect rgb(") {
            depth += 1;
        } else if l == "end" {
            depth -= 1;
            assert!(depth >= 0, "unbalanced end");
        } else if let Some(rest) = l.strip_prefix("Note ") {
            let (place, _) = rest.split_once(": ").expect("note text");
            let who = place
                .strip_prefix("left of ")
                .or_else(|| place.strip_prefix("right of "))
                .or_else(|| place.strip_prefix("over "))
                .expect("note placement");
            assert!(who.split(',').all(known), "{l}");
        } else {
            let (head, msg) = l.split_once(": ").unwrap_or_else(|| panic!("message: {l}"));
            let (from, to) = head
                .split_once("->>")
                .or_else(|| head.split_once("-x"))
                .unwrap_or_else(|| panic!("arrow: {l}"));
            assert!(known(from) && known(to), "{l}");
            assert!(!msg.contains(';') || msg.contains("#59;"), "{l}");
        }
        assert!(!l.contains('\t') && !l.contains('<'), "{l}");
    }
    assert_eq!(depth, 0, "every rect ends");
}

#[test]
fn mermaid_follows_the_sequence_diagram_grammar() {
    for file in captures() {
        for lang in ["en", "zh"] {
            let text = replay(&file, &["--format", "mermaid", "--lang", lang]);
            check_mermaid(&text);
            let segments = of_type(&replay_json(&file, &[]), "segment").len();
            let arrows = text
                .lines()
                .filter(|l| l.contains("->>") || l.contains("-x"))
                .count();
            assert_eq!(arrows, segments, "{}", file.display());
        }
    }
}

#[test]
fn json_lines_all_parse_and_carry_the_schema_version() {
    for file in captures() {
        let lines = replay_json(&file, &["--payload"]);
        let capture = of_type(&lines, "capture");
        assert_eq!(capture.len(), 1);
        assert_eq!(capture[0]["schema"], tcpscope::render::json::SCHEMA_VERSION);
    }
}

/// The compatibility promise: fields are only added. These fields (the README's table) must
/// stay, with these JSON types; new ones may appear.
#[test]
fn json_schema_keeps_its_documented_fields() {
    let lines = replay_json(&sample("echo.pcap"), &["--payload"]);
    let has = |kind: &str, fields: &[(&str, &str)]| {
        for v in of_type(&lines, kind) {
            for (f, t) in fields {
                let x = &v[*f];
                let ok = match *t {
                    "u" => x.is_u64(),
                    "f" => x.is_f64() || x.is_u64(),
                    "s" => x.is_string(),
                    "a" => x.is_array(),
                    "o" => x.is_object(),
                    "b" => x.is_boolean(),
                    "f?" => x.is_null() || x.is_number(),
                    "s?" => x.is_null() || x.is_string(),
                    _ => unreachable!(),
                };
                assert!(ok, "{kind}.{f} should be {t}: {v}");
            }
        }
    };
    has(
        "segment",
        &[
            ("conn", "u"),
            ("frame", "u"),
            ("ts", "f"),
            ("rel_time", "f"),
            ("src", "s"),
            ("dst", "s"),
            ("dir", "s"),
            ("flags", "a"),
            ("seq", "u"),
            ("ack", "u"),
            ("rel_seq", "u"),
            ("rel_ack", "u"),
            ("len", "u"),
            ("win", "u"),
            ("win_scaled", "f?"),
            ("options", "o"),
            ("phase", "s"),
            ("label", "s"),
            ("client_state", "s"),
            ("server_state", "s"),
            ("state_changes", "a"),
            ("notes", "a"),
        ],
    );
    has(
        "connection",
        &[
            ("conn", "u"),
            ("client", "s"),
            ("server", "s"),
            ("start", "f"),
            ("duration", "f"),
            ("segments", "o"),
            ("bytes", "o"),
            ("handshake_rtt", "f?"),
            ("close", "s"),
            ("half_close", "b"),
            ("closed_by", "s?"),
            ("origin", "s"),
            ("client_state", "s"),
            ("server_state", "s"),
            ("client_path", "a"),
            ("server_path", "a"),
        ],
    );
    has(
        "capture",
        &[
            ("schema", "u"),
            ("frames", "u"),
            ("tcp_segments", "u"),
            ("filtered_out", "u"),
            ("not_ip", "u"),
            ("not_tcp", "u"),
            ("fragments", "u"),
            ("malformed", "u"),
            ("connections", "u"),
        ],
    );
}

#[test]
fn hostile_payload_cannot_break_out_of_svg_html_or_mermaid() {
    let evil = b"</text></svg><script>alert(1)</script>&#x3c;\x1b[31m;#%%";
    let path = temp_file("evil.pcap", &pcap_bytes(1, &exchange(evil)));
    for format in ["svg", "html"] {
        let text = replay(&path, &["--format", format, "--payload"]);
        xml(&text, format);
        assert!(!text.contains("<script>alert"), "{format}");
        assert!(!text.contains('\x1b'), "{format}");
    }
    let text = replay(&path, &["--format", "mermaid", "--payload"]);
    check_mermaid(&text);
}

#[test]
fn pictures_of_long_captures_say_what_was_left_out() {
    let file = sample("concurrent.pcap");
    let svg = replay(&file, &["--format", "svg", "--max-conns", "1"]);
    assert!(
        svg.contains("2 more connection(s) not drawn (numbers 1–2)"),
        "{svg}"
    );
    let one = replay(&file, &["--format", "mermaid", "--conn", "2"]);
    assert!(one.contains("participant C2") && !one.contains("participant C0"));
    let zh = replay(
        &file,
        &["--format", "mermaid", "--max-conns", "2", "--lang", "zh"],
    );
    assert!(zh.contains("另有 1 条连接未画出（编号 2）"), "{zh}");
}

fn annotated(file: &std::path::Path, lang: &str) -> (PathBuf, Vec<serde_json::Value>) {
    let out = temp_file(
        &format!(
            "{}.{lang}.annotated.pcapng",
            file.file_name().unwrap().to_str().unwrap()
        ),
        b"",
    );
    let json = replay_json(
        file,
        &["--lang", lang, "--write-annotated", out.to_str().unwrap()],
    );
    (out, json)
}

#[test]
fn annotated_pcapng_reads_back_with_the_same_segments() {
    for file in captures() {
        let (out, before) = annotated(&file, "en");
        let after = replay_json(&out, &[]);
        let strip = |v: &[serde_json::Value]| -> Vec<(u64, u64, u64)> {
            of_type(v, "segment")
                .iter()
                .map(|s| {
                    (
                        s["frame"].as_u64().unwrap(),
                        s["seq"].as_u64().unwrap(),
                        (s["ts"].as_f64().unwrap() * 1e6).round() as u64,
                    )
                })
                .collect()
        };
        assert_eq!(strip(&before), strip(&after), "{}", file.display());
        let bytes = std::fs::read(&out).unwrap();
        assert_eq!(&bytes[..4], &[0x0a, 0x0d, 0x0d, 0x0a], "pcapng");
    }
}

#[test]
fn tshark_shows_the_labels_as_frame_comments() {
    if std::process::Command::new("tshark")
        .arg("-v")
        .output()
        .is_err()
    {
        eprintln!(
            "SKIPPED: tshark is not installed; the pcapng comments were not checked by tshark"
        );
        return;
    }
    for lang in ["en", "zh"] {
        let (out, json) = annotated(&sample("half-close.pcap"), lang);
        let tshark = std::process::Command::new("tshark")
            .args([
                "-r",
                out.to_str().unwrap(),
                "-T",
                "fields",
                "-e",
                "frame.comment",
            ])
            .output()
            .unwrap();
        assert!(tshark.status.success(), "{}", stderr(&tshark));
        let comments = String::from_utf8(tshark.stdout).unwrap();
        let segments = of_type(&json, "segment");
        assert_eq!(comments.lines().count(), segments.len());
        for (line, seg) in comments.lines().zip(&segments) {
            let label = seg["label"].as_str().unwrap();
            assert!(line.starts_with("tcpscope #0: "), "{line}");
            assert!(line.contains(label), "{line} should carry {label}");
        }
    }
}

#[test]
fn state_diagram_plain_and_with_a_connection_path() {
    for (lang, title) in [("en", "RFC 9293"), ("zh", "TCP 连接状态图")] {
        let out = run(&["states", "--lang", lang, "--color", "never"]);
        assert!(out.status.success());
        let text = stdout(&out);
        assert!(text.contains(title), "{text}");
        for state in [
            "LISTEN",
            "SYN_RECEIVED",
            "FIN_WAIT_2",
            "CLOSING",
            "TIME_WAIT",
        ] {
            assert!(text.contains(&format!("│ {state} │")), "{state}");
        }
        assert!(
            !text.contains('*'),
            "nothing highlighted without a connection"
        );
    }
    let path = sample("echo.pcap");
    let text = replay(&path, &["--conn", "0", "--states", "--color", "never"]);
    assert!(
        text.contains("│*FIN_WAIT_2*│") && text.contains("│ CLOSING │"),
        "{text}"
    );
    assert!(text.contains("* (14) FIN_WAIT_2 → TIME_WAIT"), "{text}");
    assert!(text.contains("[client]") && text.contains("[server]"));
    let zh = replay(
        &path,
        &[
            "--conn", "0", "--states", "--lang", "zh", "--color", "always",
        ],
    );
    assert!(zh.contains("\x1b[") && zh.contains("[客户端]"), "{zh}");
    let refused = replay(&sample("refused.pcap"), &["--states", "--color", "never"]);
    assert!(refused.contains("* (21) any state → CLOSED"), "{refused}");
}

/// The browser check: scripts/check-render.sh screenshots the SVG and the HTML in headless
/// Chromium. Without chromium it says so and passes.
#[test]
fn svg_and_html_render_in_headless_chromium() {
    let found = ["chromium", "chromium-browser"].iter().any(|b| {
        std::process::Command::new("sh")
            .args(["-c", &format!("command -v {b}")])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !found {
        eprintln!("SKIPPED: chromium is not installed; the SVG/HTML were only parsed as XML, not rendered");
        return;
    }
    let outdir = std::env::temp_dir().join(format!("tcpscope-render-{}", std::process::id()));
    let out = std::process::Command::new(root().join("scripts/check-render.sh"))
        .arg(sample("echo.pcap"))
        .arg(&outdir)
        .env("TCPSCOPE", env!("CARGO_BIN_EXE_tcpscope"))
        .current_dir(root())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    for f in ["ladder.svg.png", "ladder.html.png"] {
        let png = std::fs::read(outdir.join(f)).unwrap();
        assert_eq!(&png[1..4], b"PNG", "{f}");
    }
}

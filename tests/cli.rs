//! The command line as a user meets it: errors, options, output hygiene.

mod common;

use common::*;
use std::process::Stdio;

fn one_error_line(out: &std::process::Output) -> String {
    assert!(!out.status.success(), "expected a failure");
    let err = stderr(out);
    assert_eq!(err.lines().count(), 1, "one clear line: {err:?}");
    assert!(err.starts_with("tcpscope: error: "), "{err:?}");
    assert!(!err.contains("panicked"));
    err
}

#[test]
fn missing_file() {
    let err = one_error_line(&run(&["replay", "/nonexistent/x.pcap"]));
    assert!(
        err.contains("cannot open /nonexistent/x.pcap") && err.contains("No such file"),
        "{err}"
    );
}

#[test]
fn not_a_capture() {
    let path = temp_file("notes.txt", b"this is not a capture file at all\n");
    let err = one_error_line(&run(&["replay", path.to_str().unwrap()]));
    assert!(err.contains("is not a pcap or pcapng capture"), "{err}");
}

#[test]
fn unsupported_link_type() {
    // DLT 105: IEEE 802.11.
    let path = temp_file("wifi.pcap", &pcap_bytes(105, &[vec![0u8; 30]]));
    let err = one_error_line(&run(&["replay", path.to_str().unwrap()]));
    assert!(
        err.contains("link type 105") && err.contains("not supported"),
        "{err}"
    );
}

#[test]
fn bad_bpf_filter() {
    let path = temp_file("ok.pcap", &pcap_bytes(1, &exchange(b"hi")));
    let err = one_error_line(&run(&[
        "replay",
        path.to_str().unwrap(),
        "--filter",
        "tcp port banana",
    ]));
    assert!(
        err.contains("bad capture filter \"tcp port banana\""),
        "{err}"
    );
}

#[test]
fn bad_arguments_are_usage_errors() {
    let out = run(&["replay"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["replay", "x.pcap", "--format", "yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("yaml"));
}

#[test]
fn a_damaged_record_becomes_a_notice_and_the_rest_is_analyzed() {
    // A file cut in the middle of its last record.
    let mut bytes = pcap_bytes(1, &exchange(b"hello"));
    bytes.truncate(bytes.len() - 20);
    let path = temp_file("cut.pcap", &bytes);
    let out = run(&["replay", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("notice: frame 11"),
        "{}",
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("wave 3/4: FIN"),
        "what came before is analyzed"
    );
}

#[test]
fn a_malformed_frame_in_the_middle_is_a_notice() {
    let mut frames = exchange(b"hello");
    // Frame 5: an IPv4 header with IHL 3.
    frames[4][14] = 0x43;
    let path = temp_file("bad-ihl.pcap", &pcap_bytes(1, &frames));
    let lines = replay_json(&path, &[]);
    let notices = of_type(&lines, "notice");
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0]["frame"], 5);
    assert!(notices[0]["message"]
        .as_str()
        .unwrap()
        .contains("IHL 3 < 5"));
    assert_eq!(
        of_type(&lines, "segment").len(),
        10,
        "every other frame analyzed"
    );
    let capture = of_type(&lines, "capture")[0];
    assert_eq!(
        (capture["frames"].as_u64(), capture["malformed"].as_u64()),
        (Some(11), Some(1))
    );
}

#[test]
fn closed_pipe_is_not_an_error() {
    let corpus_file = corpus().join("pcaps/zeek-echo-connections.pcap");
    // The reader goes away after one line, as `| head -1` does.
    let (first, out) = first_line_then_close(&["replay", corpus_file.to_str().unwrap()]);
    assert!(first.starts_with("connection 0"), "{first:?}");
    assert!(out.status.success(), "exit {:?}", out.status);
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
}

#[test]
fn color_follows_the_flag_the_terminal_and_no_color() {
    let path = temp_file("color.pcap", &pcap_bytes(1, &exchange(b"hi")));
    let p = path.to_str().unwrap();
    // Not a terminal: no colour by default.
    assert!(!stdout(&run(&["replay", p])).contains('\x1b'));
    assert!(stdout(&run(&["replay", p, "--color", "always"])).contains("\x1b["));
    assert!(!stdout(&run(&["replay", p, "--color", "never"])).contains('\x1b'));
    let out = bin()
        .args(["replay", p])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!stdout(&out).contains('\x1b'));
}

#[test]
fn hostile_payload_never_reaches_the_terminal() {
    let evil = b"\x1b]0;pwned\x07\x1b[2J\x9b31m\xc2\x9b1m\xe2\x80\xaeevil\r\n";
    let path = temp_file("evil.pcap", &pcap_bytes(1, &exchange(evil)));
    let p = path.to_str().unwrap();
    for format in ["ladder", "json"] {
        let out = run(&[
            "replay",
            p,
            "--payload",
            "--format",
            format,
            "--color",
            "never",
        ]);
        let text = stdout(&out);
        assert!(
            !text.contains('\x1b')
                && !text.contains('\x07')
                && !text.contains('\u{9b}')
                && !text.contains('\u{202e}'),
            "{format}: {text}"
        );
        let shown = if format == "json" {
            let lines: Vec<serde_json::Value> = text
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            of_type(&lines, "segment")[3]["payload"]
                .as_str()
                .unwrap()
                .to_string()
        } else {
            text
        };
        assert!(
            shown.contains("\\x1b]0;pwned\\x07\\x1b[2J"),
            "{format}: visible escapes: {shown}"
        );
        assert!(
            shown.contains("\\x9b31m\\u{9b}1m\\u{202e}"),
            "{format}: {shown}"
        );
    }
}

#[test]
fn gbk_payload_is_decoded_on_request() {
    // "你好" in GBK, as the lessons send it.
    let path = temp_file(
        "gbk.pcap",
        &pcap_bytes(1, &exchange(&[0xc4, 0xe3, 0xba, 0xc3])),
    );
    let p = path.to_str().unwrap();
    let gbk = stdout(&run(&["replay", p, "--payload", "--encoding", "gbk"]));
    assert!(gbk.contains("\"你好\""), "{gbk}");
    let utf8 = stdout(&run(&["replay", p, "--payload"]));
    assert!(utf8.contains("\\xc4\\xe3\\xba\\xc3"), "{utf8}");
}

#[test]
fn summary_only_interleave_conn_port_and_filter() {
    let file = corpus().join("pcaps/zeek-ftp-ipv6.pcap");
    let p = file.to_str().unwrap();
    let summary = stdout(&run(&["replay", p, "--summary-only"]));
    assert!(
        !summary.contains('▶') && !summary.contains('◀'),
        "no arrows"
    );
    assert_eq!(summary.matches("summary:").count(), 6);
    let inter = stdout(&run(&["replay", p, "--interleave"]));
    assert!(
        inter.lines().any(|l| l.starts_with("#3 ")),
        "lines carry the connection number"
    );
    let only = replay_json(&file, &["--conn", "2"]);
    assert!(of_type(&only, "segment").iter().all(|s| s["conn"] == 2));
    assert_eq!(of_type(&only, "connection").len(), 1);
    // --port 21 keeps the control connection only; the BPF filter keeps Wireshark's frame
    // numbers.
    let ctrl = replay_json(&file, &["--port", "21"]);
    assert_eq!(of_type(&ctrl, "connection").len(), 1);
    let bpf = replay_json(&file, &["--filter", "tcp port 21"]);
    let frames: Vec<u64> = of_type(&bpf, "segment")
        .iter()
        .map(|s| s["frame"].as_u64().unwrap())
        .collect();
    let port: Vec<u64> = of_type(&ctrl, "segment")
        .iter()
        .map(|s| s["frame"].as_u64().unwrap())
        .collect();
    assert_eq!(frames, port);
    assert!(frames[0] >= 1 && frames.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(
        of_type(&bpf, "capture")[0]["frames"],
        136,
        "every frame counts"
    );
}

#[test]
fn absolute_sequence_numbers() {
    let path = temp_file("abs.pcap", &pcap_bytes(1, &exchange(b"hi")));
    let p = path.to_str().unwrap();
    let rel = stdout(&run(&["replay", p]));
    let abs = stdout(&run(&["replay", p, "--absolute-seq"]));
    assert!(rel.contains("SYN,ACK seq=0 ack=1"), "{rel}");
    assert!(abs.contains("SYN,ACK seq=900 ack=101"), "{abs}");
}

#[test]
fn width_is_respected() {
    let path = temp_file("width.pcap", &pcap_bytes(1, &exchange(b"hi")));
    let p = path.to_str().unwrap();
    let arrow_len = |w: &str| {
        stdout(&run(&["replay", p, "--width", w]))
            .lines()
            .find(|l| l.contains('▶'))
            .map(|l| l.chars().filter(|c| *c == '─').count())
            .unwrap()
    };
    assert!(arrow_len("200") > arrow_len("80"));
    let narrow = stdout(&run(&["replay", p, "--width", "80", "--lang", "en"]));
    for line in narrow.lines().filter(|l| l.contains('│')) {
        let before_label = line.rsplit_once('│').unwrap().0;
        assert!(before_label.chars().count() <= 80, "{line}");
    }
}

#[test]
fn chinese_annotations() {
    let path = temp_file("zh.pcap", &pcap_bytes(1, &exchange(b"hi")));
    let p = path.to_str().unwrap();
    let zh = stdout(&run(&["replay", p, "--lang", "zh"]));
    assert!(zh.contains("三次握手 1/3：SYN"), "{zh}");
    assert!(zh.contains("四次挥手 1/4：FIN"), "{zh}");
    let from_env = bin()
        .args(["replay", p])
        .env("LANG", "zh_CN.UTF-8")
        .output()
        .unwrap();
    assert!(stdout(&from_env).contains("三次握手"));
}

#[test]
fn help_lists_the_replay_options() {
    let out = run(&["replay", "--help"]);
    let help = stdout(&out);
    for flag in [
        "--filter",
        "--port",
        "--conn",
        "--absolute-seq",
        "--payload",
        "--encoding",
        "--summary-only",
        "--format",
        "--color",
        "--interleave",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
}

#[test]
fn replay_explains_paces_and_steps_like_the_demo() {
    let file = root().join("captures/echo.pcap");
    let p = file.to_str().unwrap();
    let explained = stdout(&run(&["replay", p, "--explain", "--color", "never"]));
    assert!(
        explained.contains("↳ The client opens: SYN carries its initial sequence number"),
        "{explained}"
    );
    assert!(
        explained.contains(
            "↳ 14 bytes occupy seq 1..14: the receiver will answer ack = seq + len = 15."
        ),
        "{explained}"
    );
    let zh = stdout(&run(&[
        "replay",
        p,
        "--explain",
        "--lang",
        "zh",
        "--color",
        "never",
    ]));
    assert!(
        zh.contains("↳ 14 字节占用序号 1..14：接收方将回复 ack = seq + len = 15。"),
        "{zh}"
    );
    // --pace waits before each of the 11 segments (and shows them in time order).
    let started = std::time::Instant::now();
    let paced = stdout(&run(&["replay", p, "--pace", "40ms", "--color", "never"]));
    assert!(started.elapsed() >= std::time::Duration::from_millis(11 * 40));
    assert!(
        paced.lines().any(|l| l.starts_with("#0 ")),
        "paced replay is drawn in time order"
    );
    // --step waits for Enter only on a terminal; from a pipe it runs through.
    let stepped = bin()
        .args(["replay", p, "--step"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(stepped.status.success());
    assert!(stdout(&stepped).contains("wave 4/4: ACK — TIME_WAIT"));
}

/// `TCPSCOPE_STAGE_TIMES`: one line per stage on stderr, each with a CPU time; the output
/// itself does not change.
#[test]
fn stage_times_on_stderr() {
    let file = common::root().join("captures/concurrent.pcap");
    let file = file.to_str().unwrap();
    let plain = common::run(&["replay", file, "--summary-only"]);
    let timed = common::bin()
        .env("TCPSCOPE_STAGE_TIMES", "1")
        .args(["replay", file, "--summary-only"])
        .output()
        .unwrap();
    assert!(plain.status.success() && timed.status.success());
    assert_eq!(plain.stdout, timed.stdout);
    assert!(!common::stderr(&plain).contains("stage"));
    let err = common::stderr(&timed);
    let stages: Vec<&str> = err.lines().filter(|l| l.contains(": stage ")).collect();
    assert_eq!(stages.len(), 3, "{err}");
    for stage in ["reading and decoding", "tracking", "drawing"] {
        let line = stages
            .iter()
            .find(|l| l.starts_with(&format!("tcpscope: stage {stage}: CPU ")))
            .unwrap_or_else(|| panic!("no line for {stage}: {err}"));
        let cpu = line.split("CPU ").nth(1).unwrap();
        let secs: f64 = cpu.split(' ').next().unwrap().parse().unwrap();
        assert!((0.0..60.0).contains(&secs), "{line}");
    }
    assert!(stages.iter().any(|l| l.contains("waited for frames")));
}

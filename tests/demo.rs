//! Every demo scenario runs for real (a client and a server on loopback, captured with
//! libpcap) and shows what it exists to show. As root the demo uses the host's loopback; as
//! an ordinary user it opens a private network namespace; both paths are tested.

mod common;

use common::*;
use serde_json::Value;

fn demo_json(scenario: &str, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["demo", scenario, "--format", "json"];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert!(out.status.success(), "demo {scenario}: {}", stderr(&out));
    json_lines_of(&stdout(&out))
}

fn calls<'a>(lines: &'a [Value], side: &str, call: &str) -> Vec<&'a Value> {
    of_type(lines, "app")
        .into_iter()
        .filter(|a| a["side"] == side && a["call"] == call)
        .collect()
}

fn conns(lines: &[Value]) -> Vec<&Value> {
    of_type(lines, "connection")
}

const HANDSHAKE: [&str; 3] = [
    "handshake 1/3: SYN",
    "handshake 2/3: SYN-ACK",
    "handshake 3/3: ACK — ESTABLISHED",
];

#[test]
fn list_names_every_scenario() {
    let out = run(&["demo", "--list"]);
    let text = stdout(&out);
    let names: Vec<&str> = text
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "echo",
            "quick-close",
            "long",
            "short",
            "sticky",
            "framed",
            "refused",
            "half-close",
            "server-close",
            "abort",
            "concurrent",
            "bulk"
        ]
    );
    let zh = stdout(&run(&["demo", "--list", "--lang", "zh"]));
    assert!(
        zh.contains("粘包") && zh.contains("长连接") && zh.contains("短连接"),
        "{zh}"
    );
}

#[test]
fn unknown_scenario_is_one_clear_error() {
    let out = run(&["demo", "teleport"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("no demo scenario \"teleport\"") && err.contains("sticky"),
        "{err}"
    );
}

#[test]
fn echo_shows_the_handshake_and_four_separate_wave_segments() {
    let lines = demo_json("echo", &[]);
    let l = labels(&lines);
    assert_eq!(l[..3], HANDSHAKE);
    let wave: Vec<&String> = l.iter().filter(|x| x.starts_with("wave")).collect();
    assert_eq!(
        wave,
        [
            "wave 1/4: FIN",
            "wave 2/4: ACK of FIN",
            "wave 3/4: FIN",
            "wave 4/4: ACK — TIME_WAIT"
        ]
    );
    let c = conns(&lines);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0]["close"], "four-way");
    assert_eq!(
        c[0]["client_path"],
        serde_json::json!([
            "CLOSED",
            "SYN_SENT",
            "ESTABLISHED",
            "FIN_WAIT_1",
            "FIN_WAIT_2",
            "TIME_WAIT"
        ])
    );
    assert_eq!(
        c[0]["server_path"],
        serde_json::json!([
            "LISTEN",
            "SYN_RECEIVED",
            "ESTABLISHED",
            "CLOSE_WAIT",
            "LAST_ACK",
            "CLOSED"
        ])
    );
    // The application overlay: the calls of both sides, on the capture's clock.
    let sends = calls(&lines, "client", "send");
    assert_eq!(
        (sends[0]["bytes"].as_u64(), sends[0]["data"].as_str()),
        (Some(14), Some("hello tcpscope"))
    );
    let reply = calls(&lines, "server", "send");
    assert_eq!(reply[0]["data"], "thank you !");
    assert_eq!(calls(&lines, "client", "connect").len(), 1);
    assert_eq!(calls(&lines, "server", "accept").len(), 1);
    // The kernel shows what the wire cannot: the server in CLOSE_WAIT after recv() saw EOF.
    let eof = calls(&lines, "server", "recv")
        .into_iter()
        .find(|r| r["bytes"] == 0)
        .expect("recv of b''");
    assert_eq!(eof["kernel_state"], "CLOSE_WAIT");
    // Time order: connect() before the SYN, the SYN before accept() returns.
    let order: Vec<String> = lines
        .iter()
        .filter(|v| v["type"] == "segment" || v["type"] == "app")
        .map(|v| {
            if v["type"] == "app" {
                v["call"].as_str().unwrap().to_string()
            } else {
                v["label"].as_str().unwrap().to_string()
            }
        })
        .collect();
    let pos = |x: &str| order.iter().position(|o| o == x).unwrap();
    assert!(pos("connect") < pos("handshake 1/3: SYN"));
    assert!(pos("handshake 1/3: SYN") < pos("accept"));
    let ts: Vec<f64> = lines
        .iter()
        .filter(|v| v["type"] == "segment" || v["type"] == "app")
        .map(|v| v["ts"].as_f64().unwrap())
        .collect();
    assert!(ts.windows(2).all(|w| w[0] <= w[1]), "events in time order");
}

#[test]
fn quick_close_piggybacks_the_fin_on_the_ack() {
    // The server closes as soon as recv() returns b''; the kernel's delayed ACK (40 ms) has
    // not fired yet, so the FIN carries the ACK. Under heavy load the ACK may go first:
    // up to three tries.
    let mut last = None;
    for _ in 0..3 {
        let lines = demo_json("quick-close", &[]);
        if conns(&lines)[0]["close"] == "three-way" {
            let l = labels(&lines);
            let wave: Vec<&String> = l.iter().filter(|x| x.starts_with("wave")).collect();
            assert_eq!(
                wave,
                [
                    "wave 1/3: FIN",
                    "wave 2/3: FIN+ACK (ACK piggy-backed on the FIN)",
                    "wave 3/3: ACK — TIME_WAIT"
                ]
            );
            return;
        }
        last = Some(conns(&lines)[0]["close"].clone());
    }
    panic!("no 3-segment close in three tries: {last:?}");
}

#[test]
fn long_and_short_connections() {
    let long = demo_json("long", &[]);
    assert_eq!(conns(&long).len(), 1);
    assert_eq!(calls(&long, "client", "send").len(), 3);
    assert_eq!(
        labels(&long)
            .iter()
            .filter(|l| l.starts_with("handshake 1/3"))
            .count(),
        1
    );
    let short = demo_json("short", &[]);
    assert_eq!(conns(&short).len(), 3);
    assert_eq!(
        labels(&short)
            .iter()
            .filter(|l| l.starts_with("handshake 1/3"))
            .count(),
        3
    );
    assert!(conns(&short).iter().all(|c| c["close"] == "four-way"));
    // The ladder's closing lesson compares the cost.
    let out = run(&["demo", "short", "--color", "never"]);
    let err = stderr(&out);
    assert!(
        err.contains("cost: 3 connection(s) · 9 handshake segments · 12 close segments"),
        "{err}"
    );
    assert!(err.contains("tcpscope demo long"), "{err}");
}

#[test]
fn sticky_packets_three_sends_one_recv() {
    let lines = demo_json("sticky", &[]);
    let sends: Vec<u64> = calls(&lines, "client", "send")
        .iter()
        .map(|s| s["bytes"].as_u64().unwrap())
        .collect();
    assert_eq!(sends[..3], [5, 5, 5]);
    let recvs = calls(&lines, "server", "recv");
    assert_eq!(
        (recvs[0]["bytes"].as_u64(), recvs[0]["data"].as_str()),
        (Some(15), Some("hellohellohello"))
    );
    // recv(5) splits the longer message.
    let split: Vec<&str> = recvs[1..4]
        .iter()
        .map(|r| r["data"].as_str().unwrap())
        .collect();
    assert_eq!(split, ["hello", " tcps", "cope"]);
    for lang in ["en", "zh"] {
        let out = run(&["demo", "sticky", "--lang", lang, "--color", "never"]);
        let err = stderr(&out);
        let want = if lang == "en" {
            "the first recv() got 15 bytes at once"
        } else {
            "第一次 recv() 却一次收到 15 字节"
        };
        assert!(err.contains(want), "{lang}: {err}");
        assert!(stdout(&out).contains(if lang == "en" {
            "\"hellohellohello\""
        } else {
            "15 字节 \"hellohellohello\""
        }));
    }
}

#[test]
fn framed_messages_are_read_exactly() {
    let lines = demo_json("framed", &[]);
    let recvs: Vec<u64> = calls(&lines, "server", "recv")
        .iter()
        .map(|r| r["bytes"].as_u64().unwrap())
        .collect();
    // header, "hello"; header, "你好" (6 bytes of UTF-8); header, "quit"
    assert_eq!(recvs[..6], [4, 5, 4, 6, 4, 4]);
    let bodies: Vec<&str> = calls(&lines, "server", "recv")
        .iter()
        .skip(1)
        .step_by(2)
        .take(3)
        .map(|r| r["data"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["hello", "你好", "quit"]);
}

#[test]
fn refused_is_syn_then_rst() {
    let lines = demo_json("refused", &[]);
    let segs = of_type(&lines, "segment");
    assert_eq!(segs.len(), 2);
    assert_eq!(segs[0]["flags"], serde_json::json!(["SYN"]));
    assert_eq!(segs[1]["flags"], serde_json::json!(["ACK", "RST"]));
    assert_eq!(
        segs[1]["label"],
        "RST answers the SYN: connection refused (nobody listening)"
    );
    assert_eq!(conns(&lines)[0]["close"], "refused");
    let connect = calls(&lines, "client", "connect");
    assert!(
        connect[0]["error"]
            .as_str()
            .unwrap()
            .starts_with("ECONNREFUSED"),
        "{}",
        connect[0]
    );
}

#[test]
fn half_close_keeps_the_data_flowing() {
    let lines = demo_json("half-close", &[]);
    assert_eq!(calls(&lines, "client", "shutdown").len(), 1);
    let c = conns(&lines)[0];
    assert_eq!(
        (c["close"].as_str(), c["half_close"].as_bool()),
        (Some("four-way"), Some(true))
    );
    assert_eq!(c["closed_by"], "client");
    let after_fin = of_type(&lines, "segment")
        .into_iter()
        .filter(|s| {
            s["dir"] == "s2c" && s["len"].as_u64() > Some(0) && s["client_state"] == "FIN_WAIT_2"
        })
        .count();
    assert_eq!(after_fin, 3, "three chunks after the client's FIN");
}

#[test]
fn server_close_puts_the_server_in_time_wait() {
    let lines = demo_json("server-close", &[]);
    let c = conns(&lines)[0];
    assert_eq!(c["closed_by"], "server");
    assert_eq!(c["server_state"], "TIME_WAIT");
    assert_eq!(c["client_state"], "CLOSED");
    let out = run(&["demo", "server-close", "--lang", "zh", "--color", "never"]);
    assert!(
        stdout(&out).contains("四次挥手 4/4：ACK — 进入 TIME_WAIT"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn abort_sends_rst_instead_of_fin() {
    let lines = demo_json("abort", &[]);
    let rst: Vec<&Value> = of_type(&lines, "segment")
        .into_iter()
        .filter(|s| s["flags"].as_array().unwrap().contains(&"RST".into()))
        .collect();
    assert_eq!(rst.len(), 1);
    assert_eq!(rst[0]["dir"], "c2s");
    assert!(
        !labels(&lines).iter().any(|l| l.starts_with("wave")),
        "no FIN"
    );
    assert_eq!(conns(&lines)[0]["close"], "reset");
    assert_eq!(calls(&lines, "client", "abort").len(), 1);
}

#[test]
fn concurrent_clients_on_one_listener() {
    let lines = demo_json("concurrent", &[]);
    let c = conns(&lines);
    assert_eq!(c.len(), 3);
    let server: Vec<&Value> = c.iter().map(|c| &c["server"]).collect();
    assert!(
        server.windows(2).all(|w| w[0] == w[1]),
        "one listening port"
    );
    assert_eq!(calls(&lines, "server", "accept").len(), 3);
    assert!(
        of_type(&lines, "app")
            .iter()
            .filter(|a| a["call"] != "listen")
            .all(|a| a["conn"].is_u64()),
        "every call maps to its connection"
    );
}

#[test]
fn bulk_is_summarised() {
    let lines = demo_json("bulk", &["--bytes", "2000000"]);
    // Payload bytes on the wire count retransmissions too (loopback under load has some).
    assert!(conns(&lines)[0]["bytes"]["c2s"].as_u64().unwrap() >= 2_000_000);
    let got = calls(&lines, "server", "recv");
    assert_eq!(got[0]["bytes"], 2_000_000, "the server read every byte");
    let out = run(&["demo", "bulk", "--bytes", "2000000", "--color", "never"]);
    let text = stdout(&out);
    assert!(
        text.contains("more data segments and ACKs not drawn"),
        "{text}"
    );
    let all = run(&[
        "demo", "bulk", "--bytes", "300000", "--all", "--color", "never",
    ]);
    assert!(!stdout(&all).contains("not drawn"));
}

#[test]
fn explain_adds_a_sentence_per_event() {
    let out = run(&["demo", "echo", "--explain", "--color", "never"]);
    let text = stdout(&out);
    assert!(
        text.contains("↳ The client opens: SYN carries its initial sequence number"),
        "{text}"
    );
    assert!(text.contains("ack = seq + len"), "{text}");
    let zh = stdout(&run(&[
        "demo",
        "echo",
        "--explain",
        "--lang",
        "zh",
        "--color",
        "never",
    ]));
    assert!(zh.contains("↳ 客户端发起连接"), "{zh}");
}

#[test]
fn write_saves_a_capture_replay_reads() {
    let dir = std::env::temp_dir().join(format!("tcpscope-demo-write-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("echo.pcap");
    let lines = demo_json("echo", &["--write", file.to_str().unwrap()]);
    let replayed = replay_json(&file, &[]);
    let a = of_type(&lines, "segment");
    let b = of_type(&replayed, "segment");
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        for field in [
            "flags",
            "seq",
            "ack",
            "len",
            "label",
            "client_state",
            "server_state",
        ] {
            assert_eq!(x[field], y[field], "{field}");
        }
    }
    assert!(
        of_type(&replayed, "app").is_empty(),
        "a capture file has no application calls"
    );
}

#[test]
fn private_namespace_path() {
    // --netns private works for root too; for an ordinary user it is what auto picks.
    let lines = demo_json("echo", &["--netns", "private"]);
    assert_eq!(conns(&lines)[0]["close"], "four-way");
    let as_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    if as_root {
        // Drop to nobody: the demo must still run, in its own namespace.
        let out = std::process::Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--inh-caps=-all",
                "--bounding-set=-all",
            ])
            .arg(env!("CARGO_BIN_EXE_tcpscope"))
            .args(["demo", "refused", "--format", "json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "as nobody: {}", stderr(&out));
        assert!(stdout(&out).contains("\"close\":\"refused\""));
        assert!(
            stderr(&out).contains("a private network namespace"),
            "{}",
            stderr(&out)
        );
    }
}

//! Live capture of real loopback traffic from programs tcpscope did not write: Python socket
//! programs like the lessons' and `python3 -m http.server`. Each test runs in a private user
//! and network namespace (`unshare -Urn`) with its own loopback, so it needs no root and sees
//! only its own traffic; the same tests pass as root.

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tcpscope-live-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Run `script` in a private user+network namespace with loopback up. `$TCPSCOPE` is the
/// binary, `$DIR` a scratch directory, `$PEERS` tests/peers. The script starts tcpscope live
/// in the background with `start_live ARGS...`, runs its peers, then `stop_live` (SIGINT).
fn in_private_netns(dir: &Path, script: &str) -> std::process::Output {
    let prelude = r#"
set -e
ip link set lo up
start_live() {
    "$TCPSCOPE" live "$@" > "$DIR/out" 2> "$DIR/err" &
    LIVE=$!
    for i in $(seq 1 100); do grep -q "capturing on" "$DIR/err" 2>/dev/null && return 0; sleep 0.05; done
    echo "live capture did not start" >&2; cat "$DIR/err" >&2; return 1
}
stop_live() {
    sleep 0.3
    kill -INT "$LIVE"
    set +e; wait "$LIVE"; echo $? > "$DIR/status"; set -e
}
"#;
    let out = Command::new("unshare")
        .args(["--user", "--map-root-user", "--net", "bash", "-c"])
        .arg(format!("{prelude}\n{script}"))
        .env("TCPSCOPE", env!("CARGO_BIN_EXE_tcpscope"))
        .env("DIR", dir)
        .env("PEERS", root().join("tests/peers"))
        .env("LANG", "C.UTF-8")
        .output()
        .expect("unshare (util-linux) runs");
    assert!(
        out.status.success(),
        "script failed: {}\nstdout: {}\ntcpscope stderr: {}",
        stderr(&out),
        stdout(&out),
        std::fs::read_to_string(dir.join("err")).unwrap_or_default()
    );
    out
}

fn read_lines(path: &Path) -> Vec<Value> {
    json_lines_of(&std::fs::read_to_string(path).unwrap())
}

#[test]
fn lesson_programs_are_drawn_live_and_saved() {
    let dir = scratch("lesson");
    in_private_netns(
        &dir,
        r#"
start_live --port 7788 --write "$DIR/live.pcap" --write-annotated "$DIR/live.pcapng" --format json --payload --encoding gbk
python3 "$PEERS/lesson.py" 7788 > "$DIR/peers.out"
stop_live
"#,
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("status")).unwrap().trim(),
        "0",
        "SIGINT is a clean stop"
    );
    let peers = std::fs::read_to_string(dir.join("peers.out")).unwrap();
    assert!(peers.contains("client got: thank you !"), "{peers}");
    let lines = read_lines(&dir.join("out"));
    let l = labels(&lines);
    assert_eq!(
        l[..3],
        [
            "handshake 1/3: SYN",
            "handshake 2/3: SYN-ACK",
            "handshake 3/3: ACK — ESTABLISHED"
        ]
    );
    // Live mode labels the first FIN at once (no look-ahead), then the shape shows.
    assert!(l.contains(&"wave 1: FIN".to_string()), "{l:?}");
    assert!(l.contains(&"wave 2/4: ACK of FIN".to_string()), "{l:?}");
    assert!(l.contains(&"wave 3/4: FIN".to_string()), "{l:?}");
    assert_eq!(l.last().unwrap(), "wave 4/4: ACK — TIME_WAIT");
    let segs = of_type(&lines, "segment");
    let request = segs
        .iter()
        .find(|s| s["dir"] == "c2s" && s["len"] == 12)
        .expect("the GBK request");
    assert_eq!(request["payload"], "你好，服务器");
    assert_eq!(
        (
            request["client_state"].as_str(),
            request["server_state"].as_str()
        ),
        (Some("ESTABLISHED"), Some("ESTABLISHED"))
    );
    let conn = of_type(&lines, "connection")[0];
    assert_eq!(conn["server"], "127.0.0.1:7788");
    assert_eq!(conn["close"], "four-way");
    assert_eq!(
        (conn["client_state"].as_str(), conn["server_state"].as_str()),
        (Some("TIME_WAIT"), Some("CLOSED"))
    );
    let capture = of_type(&lines, "capture")[0];
    assert_eq!(capture["tcp_segments"], segs.len());
    assert!(
        capture["received"].as_u64().unwrap() >= segs.len() as u64,
        "libpcap counters: {capture}"
    );
    assert_eq!(capture["dropped_by_kernel"], 0);

    // The written file holds every captured packet, segment by segment.
    let saved = replay_json(&dir.join("live.pcap"), &[]);
    let saved_segs = of_type(&saved, "segment");
    assert_eq!(saved_segs.len(), segs.len());
    for (a, b) in saved_segs.iter().zip(&segs) {
        for field in ["frame", "flags", "seq", "ack", "len", "win", "src", "dst"] {
            assert_eq!(a[field], b[field], "{field} of frame {}", a["frame"]);
        }
    }
    // And the replay, with its look-ahead, names the first FIN by its final shape.
    assert!(labels(&saved).contains(&"wave 1/4: FIN".to_string()));
    // The annotated pcapng holds the same packets, each with its label as the frame comment.
    let annotated = replay_json(&dir.join("live.pcapng"), &[]);
    assert_eq!(of_type(&annotated, "segment").len(), segs.len());
    if let Ok(out) = Command::new("tshark")
        .args(["-r"])
        .arg(dir.join("live.pcapng"))
        .args(["-T", "fields", "-e", "frame.comment"])
        .output()
    {
        let comments = String::from_utf8_lossy(&out.stdout);
        let comments: Vec<&str> = comments.lines().collect();
        assert_eq!(comments.len(), segs.len(), "one comment per frame");
        assert!(comments[0].contains("handshake 1/3: SYN"), "{comments:?}");
    }
    if let Ok(out) = Command::new("tcpdump")
        .args(["-nn", "-r"])
        .arg(dir.join("live.pcap"))
        .output()
    {
        assert!(
            out.status.success(),
            "tcpdump reads the file: {}",
            stderr(&out)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).lines().count(),
            segs.len()
        );
    }
}

#[test]
fn http_server_and_client_in_ladder_form() {
    let dir = scratch("http");
    in_private_netns(
        &dir,
        r#"
mkdir -p "$DIR/www" && echo "hello from http.server" > "$DIR/www/index.html"
python3 -m http.server 7790 --bind 127.0.0.1 --directory "$DIR/www" > /dev/null 2>&1 &
HTTP=$!
for i in $(seq 1 100); do python3 -c 'import socket; socket.create_connection(("127.0.0.1", 7790)).close()' 2>/dev/null && break; sleep 0.05; done
start_live --port 7790 --color never --width 120
python3 -c 'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:7790/index.html").read().decode())' > "$DIR/client.out"
stop_live
kill $HTTP
"#,
    );
    assert!(std::fs::read_to_string(dir.join("client.out"))
        .unwrap()
        .contains("hello from http.server"));
    let out = std::fs::read_to_string(dir.join("out")).unwrap();
    assert!(out.contains("handshake 1/3: SYN"), "{out}");
    assert!(out.contains("handshake 3/3: ACK — ESTABLISHED"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("#0") && l.contains("data") && l.contains("▶")),
        "the request: {out}"
    );
    assert!(out.contains("TIME_WAIT"), "{out}");
    assert!(out.contains("libpcap:"), "counters at the end: {out}");
    // Lines are interleaved with their connection number.
    assert!(
        out.lines()
            .filter(|l| l.contains('│'))
            .skip(1)
            .all(|l| l.starts_with('#')),
        "{out}"
    );
}

#[test]
fn count_and_duration_stop_cleanly() {
    let dir = scratch("count");
    in_private_netns(
        &dir,
        r#"
"$TCPSCOPE" live --port 7791 --count 3 --format json > "$DIR/count.out" 2> "$DIR/err" &
C=$!
"$TCPSCOPE" live --port 7792 --duration 300ms --format json > "$DIR/duration.out" 2>> "$DIR/err" &
D=$!
for i in $(seq 1 100); do [ "$(grep -c 'capturing on' "$DIR/err")" = 2 ] && break; sleep 0.05; done
python3 "$PEERS/lesson.py" 7791 > /dev/null
wait $C; echo "count $?" > "$DIR/status"
wait $D; echo "duration $?" >> "$DIR/status"
"#,
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("status")).unwrap(),
        "count 0\nduration 0\n"
    );
    let counted = read_lines(&dir.join("count.out"));
    assert_eq!(
        of_type(&counted, "segment").len(),
        3,
        "stops after 3 packets"
    );
    assert_eq!(
        labels(&counted),
        [
            "handshake 1/3: SYN",
            "handshake 2/3: SYN-ACK",
            "handshake 3/3: ACK — ESTABLISHED"
        ]
    );
    let timed = read_lines(&dir.join("duration.out"));
    assert_eq!(
        of_type(&timed, "capture").len(),
        1,
        "a summary after the duration"
    );
}

#[test]
fn without_permission_the_message_says_what_to_run() {
    // An ordinary user (or root turned into nobody) cannot open a capture on the host.
    let mut cmd = if is_root() {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
        ]);
        c.arg(env!("CARGO_BIN_EXE_tcpscope"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_tcpscope"))
    };
    let out = cmd
        .args(["live", "--port", "7793", "--duration", "1s"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("no permission to capture on lo"), "{err}");
    assert!(
        err.contains("sudo")
            && err.contains("setcap cap_net_raw,cap_net_admin=eip")
            && err.contains("tcpscope demo"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn root_is_dropped_to_the_sudo_user_after_opening() {
    if !is_root() {
        eprintln!("not root: nothing to drop (the permission test covers this case)");
        return;
    }
    let dir = scratch("drop");
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let file = dir.join("owned.pcap");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tcpscope"))
        .args(["live", "--port", "7794", "--format", "json", "--write"])
        .arg(&file)
        .env("SUDO_UID", "65534")
        .env("SUDO_GID", "65534")
        .env("SUDO_USER", "nobody")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the capture to be open, then read the process's ids.
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut err, &mut line).unwrap();
    assert!(line.contains("capturing on lo"), "{line}");
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    let uid_line = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .unwrap()
        .to_string();
    let gid_line = status
        .lines()
        .find(|l| l.starts_with("Gid:"))
        .unwrap()
        .to_string();
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let exit = child.wait().unwrap();
    assert!(
        uid_line.split_whitespace().skip(1).all(|id| id == "65534"),
        "{uid_line}"
    );
    assert!(
        gid_line.split_whitespace().skip(1).all(|id| id == "65534"),
        "{gid_line}"
    );
    assert!(exit.success());
    let owner = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&file).unwrap());
    assert_eq!(
        owner, 65534,
        "the written file belongs to the invoking user"
    );
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

#[test]
fn interfaces_lists_loopback() {
    let out = run(&["interfaces"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out)
            .lines()
            .any(|l| l.starts_with("lo ") && l.contains("loopback")),
        "{}",
        stdout(&out)
    );
}

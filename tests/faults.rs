//! Faults while running: a full disk, a closed pipe, SIGINT at any moment, the capture
//! interface disappearing. Each ends with a clear message, a valid file up to the last
//! complete packet, no panic and the right exit code. Live cases run in a private user and
//! network namespace (`unshare -Urn`), as in tests/live.rs.

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tcpscope-faults-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn no_panic(err: &str) {
    assert!(!err.contains("panicked"), "{err}");
}

/// The stderr a script left in `DIR/err`, for a run whose exit status (in `DIR/status`)
/// must be 1 and that must not have panicked.
fn failed_without_panic(dir: &Path) -> String {
    let err = std::fs::read_to_string(dir.join("err")).unwrap();
    no_panic(&err);
    assert_eq!(
        std::fs::read_to_string(dir.join("status")).unwrap().trim(),
        "1",
        "{err}"
    );
    err
}

// ---- replay --------------------------------------------------------------------------

#[test]
fn replay_to_a_full_disk_is_a_clear_error() {
    for format in ["ladder", "json"] {
        let out = bin()
            .args(["replay", "captures/echo.pcap", "--format", format])
            .current_dir(root())
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        let err = stderr(&out);
        no_panic(&err);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("cannot write to standard output: No space left on device"),
            "{err}"
        );
    }
}

#[test]
fn annotated_copy_to_a_full_disk_is_a_clear_error() {
    let out = bin()
        .args([
            "replay",
            "captures/echo.pcap",
            "--summary-only",
            "--write-annotated",
            "/dev/full",
        ])
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    no_panic(&err);
    assert!(
        err.contains("cannot write /dev/full: No space left on device"),
        "{err}"
    );
}

#[test]
fn closed_pipe_on_json_output_is_not_an_error() {
    let corpus_file = corpus().join("pcaps/zeek-echo-connections.pcap");
    let (first, out) =
        first_line_then_close(&["replay", corpus_file.to_str().unwrap(), "--format", "json"]);
    serde_json::from_str::<Value>(&first).expect("a whole JSON line");
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
}

#[test]
fn nothing_is_written_but_what_was_asked() {
    // Payload shown, every format: no file appears in the working directory, $HOME or $TMPDIR.
    let dir = scratch("nowrite");
    let (cwd, home, tmp) = (dir.join("cwd"), dir.join("home"), dir.join("tmp"));
    for d in [&cwd, &home, &tmp] {
        std::fs::create_dir_all(d).unwrap();
    }
    let file = root().join("captures/gbk-chat.pcap");
    for format in [
        "ladder", "json", "table", "csv", "connlog", "svg", "html", "mermaid",
    ] {
        let out = bin()
            .args([
                "replay",
                file.to_str().unwrap(),
                "--payload",
                "--format",
                format,
            ])
            .current_dir(&cwd)
            .env("HOME", &home)
            .env("TMPDIR", &tmp)
            .output()
            .unwrap();
        assert!(out.status.success(), "{format}: {}", stderr(&out));
    }
    for d in [&cwd, &home, &tmp] {
        assert_eq!(std::fs::read_dir(d).unwrap().count(), 0, "{}", d.display());
    }
}

// ---- live ----------------------------------------------------------------------------

/// Run `script` in a private user, network and mount namespace with job control on (so background
/// jobs get SIGINT), loopback up, and `traffic SECONDS PORT` starting connections in the
/// background. `$TCPSCOPE` is the binary, `$DIR` a scratch directory.
fn in_netns(dir: &Path, script: &str) -> std::process::Output {
    let prelude = r#"
set -m
ip link set lo up
traffic() {
    python3 - "$1" "$2" <<'PY' &
import socket, sys, threading, time
end, port = time.time() + float(sys.argv[1]), int(sys.argv[2])
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(64)
def serve():
    while True:
        c, _ = srv.accept()
        c.recv(100)
        c.sendall(b"ok")
        c.close()
threading.Thread(target=serve, daemon=True).start()
while time.time() < end:
    c = socket.create_connection(("127.0.0.1", port))
    c.sendall(b"hello")
    c.recv(10)
    c.close()
    time.sleep(0.005)
PY
}
"#;
    let out = Command::new("unshare")
        .args([
            "--user",
            "--map-root-user",
            "--net",
            "--mount",
            "bash",
            "-c",
        ])
        .arg(format!("{prelude}\n{script}"))
        .env("TCPSCOPE", env!("CARGO_BIN_EXE_tcpscope"))
        .env("DIR", dir)
        .env("LANG", "C.UTF-8")
        .output()
        .expect("unshare (util-linux) runs");
    assert!(
        out.status.success(),
        "script failed: {}\n{}",
        stderr(&out),
        stdout(&out)
    );
    out
}

/// Replay a file tcpscope wrote: it must read cleanly to its end.
fn replay_clean(file: &Path) -> Vec<Value> {
    let lines = replay_json(file, &[]);
    assert!(
        of_type(&lines, "notice").is_empty(),
        "{}: {:?}",
        file.display(),
        of_type(&lines, "notice")
    );
    lines
}

#[test]
fn live_savefile_on_a_full_disk_is_a_clear_error() {
    let dir = scratch("full");
    in_netns(
        &dir,
        r#"
traffic 6 7791
# A 16 KiB file system that fills while capturing.
mkdir -p "$DIR/small"
mount -t tmpfs -o size=16k tmpfs "$DIR/small"
set +e
"$TCPSCOPE" live --port 7791 --write "$DIR/small/cap.pcap" --duration 5s > "$DIR/out" 2> "$DIR/err"
echo $? > "$DIR/status"
cp "$DIR/small/cap.pcap" "$DIR/cap.pcap"
# A device that is full from the start.
"$TCPSCOPE" live --port 7791 --write /dev/full --duration 1s > "$DIR/out-dev" 2> "$DIR/err-dev"
echo $? > "$DIR/status-dev"
wait
"#,
    );
    let err = failed_without_panic(&dir);
    assert!(
        err.contains("/small/cap.pcap: No space left on device"),
        "{err}"
    );
    let out = std::fs::read_to_string(dir.join("out")).unwrap();
    assert!(
        out.contains("TCP segments"),
        "the summary still comes: {out}"
    );
    // Cut back to the last whole record: it reads cleanly to its end.
    let saved = replay_clean(&dir.join("cap.pcap"));
    assert!(of_type(&saved, "segment").len() > 20);

    let err = std::fs::read_to_string(dir.join("err-dev")).unwrap();
    no_panic(&err);
    assert_eq!(
        std::fs::read_to_string(dir.join("status-dev"))
            .unwrap()
            .trim(),
        "1"
    );
    assert!(
        err.contains("cannot write /dev/full: No space left on device"),
        "{err}"
    );
}

#[test]
fn live_closed_pipe_is_not_an_error() {
    let dir = scratch("pipe");
    in_netns(
        &dir,
        r#"
traffic 4 7792
sleep 0.3
set +e
"$TCPSCOPE" live --port 7792 --format json --duration 3s 2> "$DIR/err" | head -n 2 > "$DIR/head"
echo "${PIPESTATUS[0]}" > "$DIR/status"
wait
"#,
    );
    let err = std::fs::read_to_string(dir.join("err")).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join("status")).unwrap().trim(),
        "0",
        "{err}"
    );
    assert!(!err.contains("error"), "{err}");
    let head = std::fs::read_to_string(dir.join("head")).unwrap();
    assert_eq!(head.lines().count(), 2);
}

#[test]
fn sigint_at_any_moment() {
    // Moments from right after the start (before the handler may be in place) to mid-flow;
    // a few fixed, a few from the clock.
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let mut delays_ms = vec![0u32, 5, 30, 150, 400];
    delays_ms.extend((0..3).map(|i| (seed >> (i * 9)) % 700));
    eprintln!("SIGINT after (ms): {delays_ms:?}");
    let dir = scratch("sigint");
    let script = format!(
        r#"
traffic 8 7793
sleep 0.3
for ms in {}; do
    "$TCPSCOPE" live --port 7793 --write "$DIR/cap$ms.pcap" --format json > "$DIR/out$ms" 2> "$DIR/err$ms" &
    P=$!
    sleep $(printf '0.%03d' $ms)
    started=$(grep -c "capturing on" "$DIR/err$ms" || true)
    kill -INT $P
    set +e; wait $P; echo "$ms $? $started" >> "$DIR/results"; set -e
done
wait
"#,
        delays_ms
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    );
    in_netns(&dir, &script);
    let results = std::fs::read_to_string(dir.join("results")).unwrap();
    assert_eq!(results.lines().count(), delays_ms.len(), "{results}");
    let mut captured = 0;
    for line in results.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (ms, status, started) = (f[0], f[1], f[2] != "0");
        let err = std::fs::read_to_string(dir.join(format!("err{ms}"))).unwrap();
        no_panic(&err);
        let file = dir.join(format!("cap{ms}.pcap"));
        if started {
            // The handler was in place: a clean stop, a summary, a whole file.
            assert_eq!(status, "0", "SIGINT after {ms} ms: {err}");
            let out = std::fs::read_to_string(dir.join(format!("out{ms}"))).unwrap();
            let last: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
            assert_eq!(last["type"], "capture", "after {ms} ms");
            let saved = replay_clean(&file);
            assert_eq!(
                of_type(&saved, "segment").len() as u64,
                last["tcp_segments"].as_u64().unwrap(),
                "the file holds every packet shown (after {ms} ms)"
            );
            captured += 1;
        } else {
            // Interrupted while starting: killed by the signal, or a clean stop.
            assert!(status == "0" || status == "130", "{ms} ms: {status} {err}");
            if status == "0" && file.exists() {
                replay_clean(&file);
            }
        }
    }
    assert!(captured >= 2, "{results}");
}

#[test]
fn interface_disappearing_ends_with_a_clear_message_and_a_valid_file() {
    let dir = scratch("vanish");
    in_netns(
        &dir,
        r#"
ip link add v0 type veth peer name v1
ip link set v0 up
ip link set v1 up
ip addr add 10.9.0.1/24 dev v0
ip neigh add 10.9.0.2 lladdr 02:00:00:00:00:02 dev v0
"$TCPSCOPE" live -i v0 --filter "tcp port 7794" --write "$DIR/v0.pcap" > "$DIR/out" 2> "$DIR/err" &
P=$!
for i in $(seq 1 100); do grep -q "capturing on" "$DIR/err" 2>/dev/null && break; sleep 0.05; done
# SYNs to a neighbour that never answers go out on v0.
python3 -c 'import socket
s = socket.socket(); s.settimeout(1.2)
try: s.connect(("10.9.0.2", 7794))
except OSError: pass' &
sleep 1.5
ip link del v0
set +e; wait $P; echo $? > "$DIR/status"; set -e
wait
"#,
    );
    let err = failed_without_panic(&dir);
    assert!(
        err.contains("live capture on v0: cannot capture on v0")
            && err.contains("The interface disappeared"),
        "{err}"
    );
    let out = std::fs::read_to_string(dir.join("out")).unwrap();
    assert!(out.contains("TCP segments"), "the summary comes: {out}");
    let saved = replay_clean(&dir.join("v0.pcap"));
    let segs = of_type(&saved, "segment");
    assert!(
        !segs.is_empty(),
        "the SYNs sent before it went are in the file"
    );
    assert!(
        segs.iter()
            .all(|s| s["flags"] == serde_json::json!(["SYN"])),
        "{segs:?}"
    );
}

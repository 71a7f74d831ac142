#!/usr/bin/env bash
# Live capture under load: a bulk loopback transfer (default 1 GiB) while `tcpscope live`
# captures it with a headers-only snapshot length and writes JSON to a file; prints libpcap's
# counters (received, dropped by the kernel). Runs in a private user+network namespace, so it
# needs no root and disturbs nothing else. Results: bench/README.md.
#
#   bench/live-load.sh [BYTES] [MTU]     default: 1073741824 65536 (loopback's own MTU)
#   BUFFER_MIB=512 bench/live-load.sh    a larger kernel capture buffer (default 64)
set -euo pipefail
cd "$(dirname "$0")/.."
BYTES=${1:-1073741824}
MTU=${2:-65536}
cargo build --release --quiet --bin tcpscope
OUT=$(mktemp -d)
export BYTES MTU OUT BUFFER_MIB TCPSCOPE=$PWD/target/release/tcpscope
unshare --user --map-root-user --net bash -c '
set -e
ip link set lo mtu "$MTU" up
# With an MTU below 64 KiB, also turn segmentation offloads off so the capture sees
# MTU-sized segments rather than offload super-segments (needs ethtool).
if [ "$MTU" -lt 65536 ] && command -v ethtool > /dev/null; then
    ethtool -K lo tso off gso off gro off > /dev/null 2>&1 || true
fi
"$TCPSCOPE" live --port 9000 --snaplen 96 --buffer-size "${BUFFER_MIB:-64}" --format json > "$OUT/live.json" 2> "$OUT/err" &
LIVE=$!
for i in $(seq 1 100); do grep -q "capturing on" "$OUT/err" && break; sleep 0.05; done
python3 - <<PY
import os, socket, threading, time
n = int(os.environ["BYTES"])
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 9000)); srv.listen(1)
got = 0
def sink():
    global got
    c, _ = srv.accept()
    while True:
        b = c.recv(1 << 20)
        if not b:
            break
        got += len(b)
    c.close()
t = threading.Thread(target=sink); t.start()
cl = socket.create_connection(("127.0.0.1", 9000))
chunk = b"x" * (1 << 20)
start = time.monotonic()
sent = 0
while sent < n:
    cl.sendall(chunk[: min(len(chunk), n - sent)])
    sent += min(len(chunk), n - sent)
cl.close(); t.join()
secs = time.monotonic() - start
print(f"transfer: {got} bytes in {secs:.2f} s = {got * 8 / secs / 1e9:.2f} Gbit/s")
PY
sleep 0.5
kill -INT $LIVE; wait $LIVE
'
tail -n 1 "$OUT/live.json"
python3 - "$OUT/live.json" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
cap = [l for l in lines if l["type"] == "capture"][0]
segs = sum(1 for l in lines if l["type"] == "segment")
print(f"segments drawn: {segs}; libpcap received {cap['received']}, dropped by kernel {cap['dropped_by_kernel']}, dropped by interface {cap['dropped_by_interface']}")
PY
rm -rf "$OUT"

#!/usr/bin/env bash
# Benchmark kit: time tcpscope against the tools people would otherwise use, on the same
# synthetic captures, in one run. Prints a Markdown table (median of RUNS runs, taken in turns
# with the other tools', packets/s, peak RSS) to stdout; bench/README.md records the results
# and how to read them.
#
#   bench/run.sh [CONNECTIONS...]        default: 10000 100000 1000000
#   RUNS=3 LIMIT=300 BENCH_DIR=target/bench bench/run.sh 100000
#   PGO=1 bench/run.sh 1000000           also the PGO build (scripts/pgo-build.sh), in rows of its own
#
# Needs: gcc and libpcap-dev (for the libpcap floor), and, when installed, tcpdump, tshark,
# tcptrace (`apt-get install tcpdump tshark tcptrace`); missing tools are reported as n/a.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
LIMIT=${LIMIT:-300}   # seconds a tool may take on one file before it is reported as "> LIMIT"
DIR=${BENCH_DIR:-target/bench}
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(10000 100000 1000000)
mkdir -p "$DIR"

cargo build --release --quiet --bin tcpscope --example gencap
gcc -O2 -o "$DIR/pcap_floor" bench/pcap_floor.c -lpcap
TCPSCOPE=target/release/tcpscope
PGO_TCPSCOPE=
if [ "${PGO:-0}" = 1 ]; then
    scripts/pgo-build.sh >&2
    PGO_TCPSCOPE=target/pgo/tcpscope
fi

# The median of some numbers.
median() {
    printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"
}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

echo "| capture | packets | tool | median s | packets/s | peak RSS MB |"
echo "|---|---:|---|---:|---:|---:|"
for n in "${SIZES[@]}"; do
    f="$DIR/c$n.pcap"
    [ -f "$f" ] || target/release/examples/gencap "$f" "$n" 2> /dev/null
    packets=$("$DIR/pcap_floor" "$f" | cut -d' ' -f1)
    tools=("libpcap floor (pcap_next_ex only)|$DIR/pcap_floor $f")
    # Each of the PGO build's replays beside the plain build's, so that both run after the same
    # load: timed right after the plain build's JSON and ladder (17 s), the PGO build's
    # summaries came out as slow as the plain build's, where side by side they took 8 % less.
    for replay in "--summary-only|--summary-only" "--format json|--format json" "(ladder)|"; do
        tools+=("tcpscope replay ${replay%%|*}|$TCPSCOPE replay $f ${replay#*|}")
        if [ -n "$PGO_TCPSCOPE" ]; then
            tools+=("tcpscope PGO build: replay ${replay%%|*}|$PGO_TCPSCOPE replay $f ${replay#*|}")
        fi
    done
    tools+=(
        "tcpdump -nn -r|tcpdump -nn -r $f"
        "tshark -q -z conv,tcp|tshark -q -z conv,tcp -r $f"
        "tcptrace -n|tcptrace -n $f"
    )
    # Run one of every tool, then run two of every tool, and so on: a machine whose speed
    # drifts (a shared VM; bench/README.md) then treats all tools alike, and the ratios between
    # them hold within the run. A tool stopped at the time limit is not run again.
    times=() rss=() over=()
    for _ in $(seq "$RUNS"); do
        for i in "${!tools[@]}"; do
            cmd=${tools[$i]#*|}
            if ! command -v "${cmd%% *}" > /dev/null || [ -n "${over[$i]:-}" ]; then
                continue
            fi
            : > "$tmp"
            if ! timeout "$LIMIT" /usr/bin/time -o "$tmp" -f "%e %M" bash -c "$cmd" > /dev/null 2>&1; then
                # Killed at the time limit (or failed): reported as more than the limit.
                if ! grep -q '^[0-9.]* [0-9]*$' "$tmp"; then
                    over[$i]=1
                    continue
                fi
            fi
            out=$(tail -1 "$tmp")
            times[$i]="${times[$i]:-} ${out% *}"
            [ "${out#* }" -gt "${rss[$i]:-0}" ] && rss[$i]=${out#* }
        done
    done
    for i in "${!tools[@]}"; do
        name=${tools[$i]%%|*}
        cmd=${tools[$i]#*|}
        if ! command -v "${cmd%% *}" > /dev/null; then
            echo "| c$n | $packets | $name | n/a | n/a | n/a |"
        elif [ -n "${over[$i]:-}" ]; then
            echo "| c$n | $packets | $name | > $LIMIT | < $(( packets / LIMIT )) | n/a |"
        else
            # shellcheck disable=SC2086 # the times, one word each
            secs=$(median ${times[$i]})
            pps=$(awk -v p="$packets" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? p / s : 0) }')
            echo "| c$n | $packets | $name | $secs | $pps | $(( rss[$i] / 1024 )) |"
        fi
    done
done

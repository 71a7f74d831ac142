#!/usr/bin/env bash
# A/B timing of two tcpscope builds on the same command line, in turns (A, B, B, A, A, B, ...),
# so that a machine whose speed drifts (a shared VM) treats both alike, and neither always runs
# first in a pair (on the project's VM the first of a pair ran slower often enough to fake a
# gain of 1-3 %; bench/README.md, twelfth round). Prints each build's wall
# times sorted, its median, and its median user+system CPU time; for a threaded replay also
# the median CPU time of each stage (TCPSCOPE_STAGE_TIMES, see bench/README.md).
#
#   bench/ab.sh OLD_BINARY NEW_BINARY [TCPSCOPE ARGS...]
#   RUNS=7 bench/ab.sh /tmp/tcpscope.before target/release/tcpscope replay c1000000.pcap --summary-only
#
# Keep a copy of the "before" binary (cp target/release/tcpscope /tmp/tcpscope.before) before
# rebuilding. Output goes to /dev/null; a run that fails stops the script.
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: bench/ab.sh OLD_BINARY NEW_BINARY TCPSCOPE_ARGS..." >&2
    exit 2
fi
RUNS=${RUNS:-5}
a=$1
b=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for i in $(seq "$RUNS"); do
    order="a b"
    [ $((i % 2)) -eq 0 ] && order="b a"
    for side in $order; do
        bin=$a
        [ "$side" = b ] && bin=$b
        TCPSCOPE_STAGE_TIMES=1 /usr/bin/time -o "$tmp/t" -f "%e %U %S" "$bin" "$@" \
            > /dev/null 2> "$tmp/err" || {
            echo "$bin failed:" >&2
            cat "$tmp/err" >&2
            exit 1
        }
        cat "$tmp/t" >> "$tmp/$side"
        # "tcpscope: stage tracking: CPU 1.234 s, ..." -> "tracking 1.234"
        sed -n 's/^tcpscope: stage \([a-z ]*\): CPU \([0-9.]*\) s.*/\1|\2/p' "$tmp/err" \
            >> "$tmp/$side.stages"
    done
done
mid=$(( (RUNS + 1) / 2 ))
for side in a b; do
    bin=$a
    [ "$side" = b ] && bin=$b
    walls=$(cut -d' ' -f1 "$tmp/$side" | sort -g | tr '\n' ' ')
    wall=$(cut -d' ' -f1 "$tmp/$side" | sort -g | sed -n "${mid}p")
    cpu=$(awk '{ printf "%.2f\n", $2 + $3 }' "$tmp/$side" | sort -g | sed -n "${mid}p")
    echo "$bin: wall ${walls}s; median $wall s, CPU $cpu s"
    if [ -s "$tmp/$side.stages" ]; then
        cut -d'|' -f1 "$tmp/$side.stages" | awk '!seen[$0]++' | while read -r stage; do
            t=$(grep "^$stage|" "$tmp/$side.stages" | cut -d'|' -f2 | sort -g | sed -n "${mid}p")
            echo "    stage $stage: median CPU $t s"
        done
    fi
done

#!/usr/bin/env bash
# Build tcpscope with profile-guided optimisation (PGO) into target/pgo/tcpscope: an
# instrumented build replays a synthetic capture (bench's generator, 100,000 connections) and
# the sample captures in the main output formats, and the counts it records guide the final
# build's code layout, inlining and branches. Replays take about 10 % less time than with the
# plain release build (2-20 % by capture and output; bench/README.md, fourteenth round); the
# output is the same, which the script checks before it says so.
#
#   scripts/pgo-build.sh            then run target/pgo/tcpscope, or copy it onto your PATH
#
# Needs llvm-profdata from the LLVM that rustc is built on (`rustc -vV` tells its version):
# `rustup component add llvm-tools`, or the distribution's package (Debian 12:
# `apt-get install llvm-22` for rustc 1.95's LLVM 22). Exits 2 with that advice when it is
# missing; 1 when a step fails or the PGO build's output differs from the instrumented one's.
set -euo pipefail
trap 'echo "pgo-build: failed (line $LINENO)" >&2; exit 1' ERR
cd "$(dirname "$0")/.."
out=$PWD/target/pgo

major=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
host=$(rustc -vV | sed -n 's/^host: //p')
# llvm-profdata's own LLVM major version, or nothing when the command does not run.
profdata_major() {
    "$1" --version 2>/dev/null | sed -n 's/.*LLVM version \([0-9]*\).*/\1/p' | head -1
}
profdata=
for candidate in "$(rustc --print sysroot)/lib/rustlib/$host/bin/llvm-profdata" \
    "llvm-profdata-$major" "/usr/lib/llvm-$major/bin/llvm-profdata" llvm-profdata; do
    if [ "$(profdata_major "$candidate")" = "$major" ]; then
        profdata=$candidate
        break
    fi
done
if [ -z "$profdata" ]; then
    echo "pgo-build: needs llvm-profdata from LLVM $major (the LLVM rustc is built on):" \
        "rustup component add llvm-tools, or apt-get install llvm-$major" >&2
    exit 2
fi

# 1. The instrumented build (its own target directory: the plain build stays as it is).
rm -rf "$out/profiles" "$out/train" "$out/check"
mkdir -p "$out/profiles" "$out/train" "$out/check"
echo "pgo-build: instrumented build (LLVM $major, $profdata)"
# The binary alone: building the generator with it would bring in the dev-dependencies'
# features, and a dependency built otherwise than in the final build does not match its
# profile (the build that followed was slower than a plain one).
RUSTFLAGS="${RUSTFLAGS:-} -Cprofile-generate=$out/profiles" \
    cargo build --release --locked --quiet --target-dir "$out/gen" --bin tcpscope
gen=$out/gen/release/tcpscope
cargo build --release --locked --quiet --example gencap

# 2. Training: the replays people run, on a busy synthetic capture and on the samples.
target/release/examples/gencap "$out/train/c100000.pcap" 100000 2> /dev/null
runs=()
for args in "--summary-only" "--format json" "" "--format connlog" "--format table"; do
    runs+=("$out/train/c100000.pcap $args")
done
for capture in captures/*.pcap; do
    runs+=("$capture --payload --color always" "$capture --format json --payload" "$capture --summary-only")
done
echo "pgo-build: training on ${#runs[@]} replays"
i=0
for run in "${runs[@]}"; do
    # shellcheck disable=SC2086 # each run is a file and its options, split on purpose
    LLVM_PROFILE_FILE="$out/profiles/%p-%m.profraw" "$gen" replay $run \
        > "$out/check/$i.instrumented" 2> /dev/null
    i=$((i + 1))
done
"$profdata" merge -o "$out/tcpscope.profdata" "$out/profiles"
rm -rf "$out/profiles"

# 3. The build the profile guides.
echo "pgo-build: optimised build"
RUSTFLAGS="${RUSTFLAGS:-} -Cprofile-use=$out/tcpscope.profdata" \
    cargo build --release --locked --quiet --target-dir "$out/use" --bin tcpscope
cp "$out/use/release/tcpscope" "$out/tcpscope.new"

# 4. The same output as the instrumented build's, replay by replay, before it is offered.
i=0
for run in "${runs[@]}"; do
    # shellcheck disable=SC2086
    "$out/tcpscope.new" replay $run > "$out/check/$i.pgo" 2> /dev/null
    if ! cmp -s "$out/check/$i.instrumented" "$out/check/$i.pgo"; then
        echo "pgo-build: the PGO build's output differs on: replay $run" >&2
        exit 1
    fi
    i=$((i + 1))
done
mv "$out/tcpscope.new" "$out/tcpscope"
rm -rf "$out/check" "$out/train"
echo "pgo-build: target/pgo/tcpscope (same output as the instrumented build on ${#runs[@]} replays)"

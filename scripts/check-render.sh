#!/bin/sh
# Render a capture as SVG and HTML and screenshot both in headless Chromium (Debian's
# `chromium` package). Usage: scripts/check-render.sh [CAPTURE] [OUTDIR]
# Exits 0 with a message when chromium is absent; 1 when a screenshot is not written.
set -eu
capture=${1:-captures/echo.pcap}
outdir=${2:-$(mktemp -d)}
bin=${TCPSCOPE:-target/debug/tcpscope}
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    echo "check-render: chromium is not installed (apt-get install -y chromium); nothing checked"
    exit 0
fi
mkdir -p "$outdir"
for format in svg html; do
    "$bin" replay "$capture" --format "$format" --payload --lang en > "$outdir/ladder.$format"
    profile=$(mktemp -d)
    timeout 90 "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
        --screenshot="$outdir/ladder.$format.png" --window-size=1400,900 \
        "file://$(realpath "$outdir/ladder.$format")" > /dev/null 2>&1 || true
    rm -rf "$profile"
    size=$(stat -c %s "$outdir/ladder.$format.png" 2>/dev/null || echo 0)
    if [ "$size" -lt 10000 ]; then
        echo "check-render: no usable screenshot of the $format ($size bytes)" >&2
        exit 1
    fi
    echo "check-render: $outdir/ladder.$format.png ($size bytes)"
done

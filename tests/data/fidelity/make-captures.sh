#!/bin/sh
# Make tcpscope's fidelity captures: real Linux TCP on loopback inside a private network
# namespace, with nftables dropping segments, and tshark's reading of each.
#
#   tests/data/fidelity/make-captures.sh            (as root; needs nft, tc, tcpdump, tshark, python3)
#
# Re-running gives captures of the same shape, not the same bytes (timing, ISNs, ports).
set -eu
cd "$(dirname "$0")"

if [ "${1:-}" != inner ]; then
    # A fresh network namespace: its own loopback, nftables rules and qdiscs.
    if [ "$(id -u)" = 0 ]; then exec unshare --net "$0" inner; fi
    exec unshare -Urn "$0" inner
fi

ip link set lo up
# Ethernet-sized segments, so a transfer takes many segments.
ip link set lo mtu 1500
# No GSO/TSO: one capture record per wire-sized segment.
ip link set lo gso_max_segs 1 gso_max_size 1500

nft -f - <<'NFT'
table inet fidelity {
    chain in {
        type filter hook input priority 0;
        # loss-in: every 9th client data segment is dropped after the capture point,
        # so the capture shows the original and then its retransmission.
        tcp dport 9001 meta length > 100 numgen inc mod 9 == 4 drop
    }
}
table netdev fidelity {
    chain egress {
        type filter hook egress device lo priority 0;
        # loss-out: every 9th client data segment is dropped on the way out of the device,
        # before the capture point and without telling the sender: the capture never sees
        # it (a lost segment), then its retransmission.
        tcp dport 9002 meta length > 100 numgen inc mod 9 == 4 drop
    }
}
NFT

capture() { # name port scenario [extra capture filter]
    tcpdump -q -i lo -s 96 -U --immediate-mode -Z "$(id -un)" -w "$1.pcap" "tcp port $2 ${4:-}" 2>/dev/null &
    tdpid=$!
    sleep 1
    python3 scenarios.py "$3" "$2"
    sleep 1
    kill "$tdpid"
    wait "$tdpid" || true
}

capture loss-in 9001 bulk
capture loss-out 9002 bulk
capture zerowindow 9004 zerowindow
capture keepalive 9005 keepalive
capture reuse 9006 reuse
# The capture misses the two segments whose payload starts with "MISS" (the receiver gets
# them): tshark sees ACKs of segments it never saw.
capture capture-gap 9007 messages 'and not (tcp[13] & 8 != 0 and tcp[((tcp[12] & 0xf0) >> 2):4] = 0x4d495353)'

for f in loss-in loss-out zerowindow keepalive reuse capture-gap; do
    tshark -r "$f.pcap" -Y tcp -T fields -E header=y -E separator=/t -E quote=n \
        -e frame.number -e ip.src -e ipv6.src -e tcp.srcport -e ip.dst -e ipv6.dst \
        -e tcp.dstport -e tcp.stream -e tcp.flags.str -e tcp.seq -e tcp.ack -e tcp.len \
        -e tcp.analysis.retransmission -e tcp.analysis.fast_retransmission \
        -e tcp.analysis.spurious_retransmission -e tcp.analysis.out_of_order \
        -e tcp.analysis.lost_segment -e tcp.analysis.ack_lost_segment \
        -e tcp.analysis.duplicate_ack -e tcp.analysis.duplicate_ack_num \
        -e tcp.analysis.zero_window -e tcp.analysis.zero_window_probe \
        -e tcp.analysis.zero_window_probe_ack -e tcp.analysis.window_full \
        -e tcp.analysis.window_update -e tcp.analysis.keep_alive \
        -e tcp.analysis.keep_alive_ack -e tcp.analysis.reused_ports \
        -e _ws.expert.message -e tcp.flags -e tcp.seq_raw -e tcp.ack_raw \
        -e tcp.window_size_value -e frame.time_epoch -e frame.cap_len -e frame.len \
        > "$f.tshark-segments.tsv" 2>/dev/null
done
ls -l ./*.pcap

#!/usr/bin/env python3
"""Seed corpora for the fuzz targets from captures/ and tests/data/corpus (classic pcap).

decode_frame: one file per frame, [link type index][frame bytes].
pipeline:     one file per capture, [settings][len u16 LE][dt u8][frame]... (first 200 frames),
              with a few settings variants.

python3 fuzz/seeds.py   (from the repository root; writes fuzz/corpus/<target>/)
"""
import glob
import hashlib
import os
import struct

# The order of LINKTYPES in the fuzz targets.
INDEX = {0: 0, 1: 1, 12: 2, 14: 2, 101: 2, 108: 3, 113: 4, 276: 5, 228: 6, 229: 7}


def frames(path):
    data = open(path, "rb").read()
    if len(data) < 24:
        return None, []
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return None, []
    linktype = struct.unpack(e + "I", data[20:24])[0] & 0xFFFF
    out, off = [], 24
    while off + 16 <= len(data):
        _, _, caplen, origlen = struct.unpack(e + "IIII", data[off : off + 16])
        off += 16
        out.append((data[off : off + caplen], origlen))
        off += caplen
    return linktype, out


def write(directory, blob):
    os.makedirs(directory, exist_ok=True)
    name = hashlib.sha1(blob).hexdigest()
    with open(os.path.join(directory, name), "wb") as f:
        f.write(blob)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # Ours, then the licensed public corpus (VLAN, MPLS, PPPoE, cooked, IPv6: 50 frames each).
    paths = sorted(glob.glob(os.path.join(root, "captures", "*.pcap")))
    paths += sorted(glob.glob(os.path.join(root, "tests/data/corpus/pcaps", "*.pcap")))
    n_frames = n_caps = 0
    for path in paths:
        linktype, fs = frames(path)
        if linktype not in INDEX:
            continue
        idx = INDEX[linktype]
        for data, _ in fs if "/captures/" in path else fs[:50]:
            write(os.path.join(root, "fuzz/corpus/decode_frame"), bytes([idx]) + data)
            n_frames += 1
        for settings in (idx, idx | 0x08 | 0x10, idx | 0x20 | 0x40, idx | 0x80):
            blob = bytearray([settings])
            for data, origlen in fs[:200]:
                word = len(data) | (0x8000 if origlen > len(data) else 0)
                blob += struct.pack("<HB", word, 1) + data
            write(os.path.join(root, "fuzz/corpus/pipeline"), bytes(blob))
        n_caps += 1
    print(f"{n_frames} frame seeds, {n_caps} capture seeds (x4 settings) from {len(paths)} files")


if __name__ == "__main__":
    main()

//! IPv4 (with options) and IPv6 (with extension headers).

use super::link::{IpVersion, Network};
use super::{DecodeError, DecodeNote, Layer, Skip};
use pnet_packet::ipv4::Ipv4Packet;
use pnet_packet::ipv6::Ipv6Packet;
use std::net::IpAddr;

const IPPROTO_TCP: u8 = 6;

/// The transport part of an IP packet.
#[derive(Debug)]
pub struct IpPacket<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// The transport header and payload bytes the capture holds, bounded by the IP length
    /// (so Ethernet padding is not taken for payload).
    pub transport: &'a [u8],
    /// Byte offset of `transport` in the frame.
    pub offset: usize,
    /// Transport length as the IP header claims it.
    pub claimed_len: usize,
    pub notes: super::DecodeNotes,
}

fn truncated(layer: Layer, offset: usize, needed: usize, available: usize) -> Skip {
    Skip::Bad(DecodeError::Truncated {
        layer,
        offset,
        needed,
        available,
    })
}

fn invalid(layer: Layer, offset: usize, what: String) -> Skip {
    Skip::Bad(DecodeError::Invalid {
        layer,
        offset,
        what,
    })
}

/// Parse the IP header at the start of `net`, of the version the link layer announced.
/// `snap_cut` tells whether the snapshot length cut the frame (then a short packet is
/// expected, not a lie of the IP header).
pub fn parse<'a>(net: &Network<'a>, snap_cut: bool) -> Result<IpPacket<'a>, Skip> {
    let nibble = net
        .bytes
        .first()
        .map(|b| b >> 4)
        .ok_or_else(|| truncated(Layer::Ipv4, net.offset, 20, 0))?;
    match (net.version, nibble) {
        (IpVersion::V4, _) | (IpVersion::Sniff, 4) => ipv4(net.bytes, net.offset, snap_cut),
        (IpVersion::V6, _) | (IpVersion::Sniff, 6) => ipv6(net.bytes, net.offset, snap_cut),
        (IpVersion::Sniff, v) => Err(invalid(
            Layer::Ipv4,
            net.offset,
            format!("IP version {v} is neither 4 nor 6"),
        )),
    }
}

/// Bound the transport bytes by the IP length (so Ethernet padding is not taken for payload).
/// A length that overruns a frame the snapshot length did not cut is a lie: the bytes that are
/// there are what was sent (as Wireshark reads it), and a note says so. Returns the byte range
/// of the transport part and its real length.
fn bounded(
    bytes: &[u8],
    header_len: usize,
    claimed_len: usize,
    snap_cut: bool,
    notes: &mut super::DecodeNotes,
) -> (std::ops::Range<usize>, usize) {
    let end = header_len.saturating_add(claimed_len);
    let mut len = claimed_len;
    if end > bytes.len() && !snap_cut {
        // IP lengths fit in 32 bits (a jumbogram's too).
        notes.push(DecodeNote::IpLengthExceedsFrame {
            claimed: u32::try_from(end).unwrap_or(u32::MAX),
            available: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
        });
        len = bytes.len().saturating_sub(header_len);
    }
    (header_len.min(bytes.len())..end.min(bytes.len()), len)
}

fn ipv4(bytes: &[u8], offset: usize, snap_cut: bool) -> Result<IpPacket<'_>, Skip> {
    if bytes.len() < 20 {
        return Err(truncated(Layer::Ipv4, offset, 20, bytes.len()));
    }
    let pkt =
        Ipv4Packet::new(bytes).ok_or_else(|| truncated(Layer::Ipv4, offset, 20, bytes.len()))?;
    if pkt.get_version() != 4 {
        return Err(invalid(
            Layer::Ipv4,
            offset,
            format!("version {} in an IPv4 header", pkt.get_version()),
        ));
    }
    let ihl = usize::from(pkt.get_header_length());
    if ihl < 5 {
        return Err(invalid(Layer::Ipv4, offset, format!("IHL {ihl} < 5")));
    }
    let header_len = ihl * 4;
    if header_len > bytes.len() {
        return Err(truncated(Layer::Ipv4, offset, header_len, bytes.len()));
    }
    let total = usize::from(pkt.get_total_length());
    let claimed_len = if total == 0 {
        // Segmentation offload on the capturing host leaves the length at 0.
        bytes.len() - header_len
    } else if total < header_len {
        return Err(invalid(
            Layer::Ipv4,
            offset,
            format!("total length {total} is shorter than its header ({header_len})"),
        ));
    } else {
        total - header_len
    };
    if pkt.get_fragment_offset() != 0 {
        return Err(Skip::Fragment);
    }
    let protocol = pkt.get_next_level_protocol().0;
    if protocol != IPPROTO_TCP {
        return Err(Skip::NotTcp(protocol));
    }
    let mut notes = super::DecodeNotes::new();
    let (range, claimed_len) = bounded(bytes, header_len, claimed_len, snap_cut, &mut notes);
    Ok(IpPacket {
        src: IpAddr::V4(pkt.get_source()),
        dst: IpAddr::V4(pkt.get_destination()),
        offset: offset + range.start,
        transport: &bytes[range],
        claimed_len,
        notes,
    })
}

/// More extension headers than this is a loop or an attack, not a packet.
const MAX_EXTENSION_HEADERS: usize = 16;

/// The first `len` bytes of the IPv6 extension header at `at`, or how far short the frame is.
fn extension_header(bytes: &[u8], offset: usize, at: usize, len: usize) -> Result<&[u8], Skip> {
    bytes.get(at..at + len).ok_or_else(|| {
        truncated(
            Layer::Ipv6Extension,
            offset + at,
            len,
            bytes.len().saturating_sub(at),
        )
    })
}

fn ipv6(bytes: &[u8], offset: usize, snap_cut: bool) -> Result<IpPacket<'_>, Skip> {
    if bytes.len() < 40 {
        return Err(truncated(Layer::Ipv6, offset, 40, bytes.len()));
    }
    let pkt =
        Ipv6Packet::new(bytes).ok_or_else(|| truncated(Layer::Ipv6, offset, 40, bytes.len()))?;
    if pkt.get_version() != 6 {
        return Err(invalid(
            Layer::Ipv6,
            offset,
            format!("version {} in an IPv6 header", pkt.get_version()),
        ));
    }
    let payload_len = usize::from(pkt.get_payload_length());
    // 0: a jumbogram or segmentation offload; take what was captured.
    let payload_len = if payload_len == 0 {
        bytes.len() - 40
    } else {
        payload_len
    };
    let mut next = pkt.get_next_header().0;
    let mut at = 40usize;
    for _ in 0..MAX_EXTENSION_HEADERS {
        let header_at = at;
        match next {
            IPPROTO_TCP => {
                let claimed_len = payload_len.checked_sub(at - 40).ok_or_else(|| {
                    invalid(
                        Layer::Ipv6Extension,
                        offset + at,
                        format!(
                            "extension headers ({} bytes) overrun the payload length {payload_len}",
                            at - 40
                        ),
                    )
                })?;
                let mut notes = super::DecodeNotes::new();
                let (range, claimed_len) = bounded(bytes, at, claimed_len, snap_cut, &mut notes);
                return Ok(IpPacket {
                    src: IpAddr::V6(pkt.get_source()),
                    dst: IpAddr::V6(pkt.get_destination()),
                    offset: offset + range.start,
                    transport: &bytes[range],
                    claimed_len,
                    notes,
                });
            }
            // Hop-by-hop, routing, destination options, mobility, HIP, shim6.
            0 | 43 | 60 | 135 | 139 | 140 => {
                let hdr = extension_header(bytes, offset, at, 2)?;
                next = hdr[0];
                at += (usize::from(hdr[1]) + 1) * 8;
            }
            // Authentication header: length in 4-byte units, minus 2.
            51 => {
                let hdr = extension_header(bytes, offset, at, 2)?;
                next = hdr[0];
                at += (usize::from(hdr[1]) + 2) * 4;
            }
            // Fragment header.
            44 => {
                let hdr = extension_header(bytes, offset, at, 8)?;
                let frag_offset = u16::from_be_bytes([hdr[2], hdr[3]]) >> 3;
                if frag_offset != 0 {
                    return Err(Skip::Fragment);
                }
                next = hdr[0];
                at += 8;
            }
            other => return Err(Skip::NotTcp(other)),
        }
        if at > bytes.len() {
            if snap_cut {
                return Err(truncated(Layer::Ipv6Extension, offset, at, bytes.len()));
            }
            // The frame is whole: the header's own length field overruns the packet.
            return Err(invalid(
                Layer::Ipv6Extension,
                offset + header_at,
                format!(
                    "its length ({} bytes) runs past the end of the packet at byte {}",
                    at - header_at,
                    offset + bytes.len()
                ),
            ));
        }
    }
    Err(invalid(
        Layer::Ipv6Extension,
        offset + at,
        format!("more than {MAX_EXTENSION_HEADERS} extension headers"),
    ))
}

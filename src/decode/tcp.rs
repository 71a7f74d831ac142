//! The TCP header and its options.

use super::ip::IpPacket;
use super::{
    DecodeError, DecodeNote, Decoded, Layer, Segment, Skip, TcpFlags, TcpOptions, UnknownOption,
};
use pnet_packet::tcp::TcpPacket;
use std::net::SocketAddr;

/// Parse the TCP header in `ip.transport`.
pub fn parse<'a>(ip: &IpPacket<'a>, snap_cut: bool) -> Result<Decoded<'a>, Skip> {
    let bytes = ip.transport;
    let mut notes = ip.notes;
    // pnet reads 20 bytes; we need them all for the base header.
    if bytes.len() < 20 {
        return Err(Skip::Bad(DecodeError::Truncated {
            layer: Layer::Tcp,
            offset: ip.offset,
            needed: 20,
            available: bytes.len(),
        }));
    }
    let pkt = TcpPacket::new(bytes).ok_or(Skip::Bad(DecodeError::Truncated {
        layer: Layer::Tcp,
        offset: ip.offset,
        needed: 20,
        available: bytes.len(),
    }))?;
    let header_len = usize::from(pkt.get_data_offset()) * 4;
    if header_len < 20 {
        return Err(Skip::Bad(DecodeError::Invalid {
            layer: Layer::Tcp,
            offset: ip.offset,
            what: format!(
                "data offset {} words ({header_len} bytes) is below the 20-byte minimum",
                header_len / 4
            ),
        }));
    }
    if header_len > ip.claimed_len {
        return Err(Skip::Bad(DecodeError::Invalid {
            layer: Layer::Tcp,
            offset: ip.offset,
            what: format!(
                "data offset says {header_len} header bytes but the IP packet carries only {} TCP bytes",
                ip.claimed_len
            ),
        }));
    }
    let options_end = header_len.min(bytes.len());
    let mut options = parse_options(bytes.get(20..options_end).unwrap_or(&[]));
    if options_end < header_len {
        options.truncated = true;
        if !snap_cut {
            notes.push(DecodeNote::TcpHeaderTruncated);
        }
    }
    if options.malformed {
        notes.push(DecodeNote::OptionsMalformed);
    }
    let payload = bytes.get(header_len..).unwrap_or(&[]);
    let payload_len = (ip.claimed_len - header_len) as u32;
    let segment = Segment {
        src: SocketAddr::new(ip.src, pkt.get_source()),
        dst: SocketAddr::new(ip.dst, pkt.get_destination()),
        seq: pkt.get_sequence(),
        ack: pkt.get_acknowledgement(),
        // NS is the lowest bit of the data-offset byte (pnet gives only the other eight).
        flags: TcpFlags(u16::from(pkt.get_flags()) | (u16::from(bytes[12] & 1) << 8)),
        window: pkt.get_window(),
        options,
        payload_len,
        captured_payload: payload.len().min(payload_len as usize) as u32,
    };
    Ok(Decoded {
        segment,
        payload: payload.get(..payload_len as usize).unwrap_or(payload),
        notes,
    })
}

/// Parse the option area (the bytes after the fixed 20-byte header). Stops at the end-of-list
/// option or at the first option whose length is impossible, marking the options malformed.
pub fn parse_options(area: &[u8]) -> TcpOptions {
    let mut opts = TcpOptions::default();
    parse_options_into(area, &mut opts);
    opts
}

/// [`parse_options`] into `opts`, in place (the fast path decodes into a frame it reuses:
/// built apart, the 100-byte result was copied in from the narrow stores just made, a
/// stalled store forwarding).
pub fn parse_options_into(area: &[u8], opts: &mut TcpOptions) {
    *opts = TcpOptions::default();
    let mut at = 0usize;
    while let Some(&kind) = area.get(at) {
        match kind {
            0 => break,
            1 => {
                at += 1;
                continue;
            }
            _ => {}
        }
        let Some(&len) = area.get(at + 1) else {
            opts.truncated = true;
            break;
        };
        let len_usize = usize::from(len);
        if len_usize < 2 {
            opts.malformed = true;
            break;
        }
        let Some(body) = area.get(at + 2..at + len_usize) else {
            opts.malformed = true;
            break;
        };
        match (kind, len) {
            (2, 4) => opts.mss = Some(u16::from_be_bytes([body[0], body[1]])),
            (3, 3) => opts.window_scale = Some(body[0]),
            (4, 2) => opts.sack_permitted = true,
            (5, _) if (len_usize - 2) % 8 == 0 => {
                for block in body.chunks_exact(8) {
                    let left = u32::from_be_bytes([block[0], block[1], block[2], block[3]]);
                    let right = u32::from_be_bytes([block[4], block[5], block[6], block[7]]);
                    opts.sack.push((left, right));
                }
            }
            (8, 10) => {
                let val = u32::from_be_bytes([body[0], body[1], body[2], body[3]]);
                let ecr = u32::from_be_bytes([body[4], body[5], body[6], body[7]]);
                opts.timestamps = Some((val, ecr));
            }
            // A known kind with the wrong length is kept as unknown rather than misread.
            _ => opts.unknown.push(UnknownOption { kind, len }),
        }
        at += len_usize;
    }
}

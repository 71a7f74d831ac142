//! The fast path of [`decode_frame`](super::decode_frame): the frames nearly every capture is
//! made of, read straight from the byte slice.
//!
//! Covered: Ethernet II, Linux cooked v1/v2, raw IP, BSD/OpenBSD loopback carrying an
//! unfragmented IPv4 packet (options allowed) or an IPv6 packet without extension headers,
//! carrying a TCP header (options allowed) that the capture holds whole. Also the plain "IP,
//! but not TCP" answer once such an IP header has been checked.
//!
//! Anything else (anything this path is not sure of) goes to the full decoder
//! ([`decode_frame_slow`](super::decode_frame_slow): [`link`](super::link) →
//! [`ip`](super::ip) → [`tcp`](super::tcp)), which knows VLAN, MPLS, PPPoE, extension
//! headers, fragments, truncation and every error message. The rule: this path either gives
//! the full decoder's exact answer or none at all, which `tests/decode_fast.rs` checks on
//! every frame of every capture, on every prefix of those frames and on mutated frames.
//!
//! Every header is checked once, as a fixed-size array (`first_chunk`), then read with
//! constant indices: no read can go out of bounds, and the compiler can see that.

use super::link::Linktype;
use super::{tcp, DecodeNote, DecodeNotes, Decoded, Segment, Skip, TcpFlags, TcpOptions};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const IPPROTO_TCP: u8 = 6;

/// The IP version the link layer announced.
#[derive(Clone, Copy)]
enum Version {
    V4,
    V6,
}

/// The transport part of an IP packet, as [`ip::IpPacket`](super::ip::IpPacket) has it, with
/// addresses of one version (`Ipv4Addr` or `Ipv6Addr`).
struct Transport<'a, A> {
    src: A,
    dst: A,
    /// Bounded by the IP length, so Ethernet padding is not taken for payload.
    bytes: &'a [u8],
    /// Transport length as the IP header claims it (cut to what is there, with a note, when
    /// the IP length overruns a frame the snapshot length did not cut).
    claimed_len: usize,
    note: Option<DecodeNote>,
}

/// Decode `frame`: straight from the bytes if it is one of the common shapes, else by the
/// full decoder. (The `Decoded` is built here, in the caller's return slot: moving a
/// 256-byte result through an `Option` costs as much as reading the headers.)
#[inline]
pub(super) fn decode(linktype: Linktype, frame: &[u8], orig_len: u32) -> Result<Decoded<'_>, Skip> {
    match headers(linktype, frame, orig_len) {
        Some(Ok(h)) => Ok(build(h)),
        Some(Err(skip)) => Err(skip),
        None => super::decode_frame_slow(linktype, frame, orig_len),
    }
}

/// [`decode`] into `out` (see [`super::decode_frame_into`]); the payload is returned.
#[inline]
pub(super) fn decode_into<'f>(
    linktype: Linktype,
    frame: &'f [u8],
    orig_len: u32,
    out: &mut Result<Decoded<'static>, Skip>,
) -> &'f [u8] {
    match headers(linktype, frame, orig_len) {
        Some(Ok(h)) => build_into(h, out),
        Some(Err(skip)) => {
            *out = Err(skip);
            &[]
        }
        None => match super::decode_frame_slow(linktype, frame, orig_len) {
            Ok(d) => store(d, out),
            Err(skip) => {
                *out = Err(skip);
                &[]
            }
        },
    }
}

/// `d` into `out` without its payload, which is returned.
fn store<'f>(d: Decoded<'f>, out: &mut Result<Decoded<'static>, Skip>) -> &'f [u8] {
    let Decoded {
        segment,
        payload,
        notes,
    } = d;
    *out = Ok(Decoded {
        segment,
        payload: &[],
        notes,
    });
    payload
}

/// The fast path alone: `None` when the frame is not one of the shapes it reads.
pub(super) fn decode_only(
    linktype: Linktype,
    frame: &[u8],
    orig_len: u32,
) -> Option<Result<Decoded<'_>, Skip>> {
    headers(linktype, frame, orig_len).map(|h| h.map(build))
}

/// The checked headers of a common frame, before the segment is built.
struct Headers<'a> {
    src: SocketAddr,
    dst: SocketAddr,
    /// The fixed part of the TCP header.
    fixed: &'a [u8; 20],
    /// The TCP option area, whole.
    option_area: &'a [u8],
    /// The captured payload (bounded by the IP length).
    payload: &'a [u8],
    /// The payload length the IP header claims.
    payload_len: u32,
    /// `SnaplenTruncated`, when the snapshot length cut the frame.
    snap_note: Option<DecodeNote>,
    /// `IpLengthExceedsFrame`, when the IP length overruns a whole frame.
    ip_note: Option<DecodeNote>,
}

/// Check the headers of `frame`; `None` means "ask the full decoder".
#[inline]
fn headers(linktype: Linktype, frame: &[u8], orig_len: u32) -> Option<Result<Headers<'_>, Skip>> {
    let (version, offset) = link(linktype, frame)?;
    let network = frame.get(offset..)?;
    let snap_cut = (frame.len() as u64) < u64::from(orig_len);
    // One monomorphic path per IP version until the socket addresses are built: an `IpAddr`
    // (a tag byte before the address) carried past a join costs store-forwarding stalls.
    let ip_header = match version {
        Version::V4 => ipv4(network, snap_cut)?.map(tcp_header),
        Version::V6 => ipv6(network, snap_cut)?.map(tcp_header),
    };
    let headers = match ip_header {
        Ok(headers) => headers?,
        Err(skip) => return Some(Err(skip)),
    };
    let snap_note = snap_cut.then_some(DecodeNote::SnaplenTruncated {
        captured: frame.len() as u32,
        original: orig_len,
    });
    Some(Ok(Headers {
        snap_note,
        ..headers
    }))
}

/// A TCP header the capture holds whole, with a data offset that fits the IP length.
#[inline]
fn tcp_header<A: Into<IpAddr>>(ip: Transport<'_, A>) -> Option<Headers<'_>> {
    let (fixed, rest) = ip.bytes.split_first_chunk::<20>()?;
    let header_len = usize::from(fixed[12] >> 4) * 4;
    if header_len < 20 || header_len > ip.claimed_len {
        return None;
    }
    let (option_area, payload) = rest.split_at_checked(header_len - 20)?;
    let headers = Headers {
        src: SocketAddr::new(ip.src.into(), u16::from_be_bytes([fixed[0], fixed[1]])),
        dst: SocketAddr::new(ip.dst.into(), u16::from_be_bytes([fixed[2], fixed[3]])),
        fixed,
        option_area,
        payload,
        payload_len: (ip.claimed_len - header_len) as u32,
        snap_note: None,
        ip_note: ip.note,
    };
    Some(headers)
}

/// The IP version and the offset of the IP header, for an untagged frame.
#[inline]
fn link(linktype: Linktype, frame: &[u8]) -> Option<(Version, usize)> {
    match linktype {
        Linktype::Ethernet => by_ethertype(be16(frame.get(12..)?)?, 14),
        Linktype::LinuxSll => by_ethertype(be16(frame.get(14..)?)?, 16),
        Linktype::LinuxSll2 => {
            // The full decoder wants the whole 20-byte header before it reads the protocol.
            if frame.len() < 20 {
                return None;
            }
            by_ethertype(be16(frame)?, 20)
        }
        Linktype::Null | Linktype::Loop => {
            let family = super::link::loopback_family(linktype, *frame.first_chunk::<4>()?);
            match family {
                2 => Some((Version::V4, 4)),
                24 | 28 | 30 | 10 => Some((Version::V6, 4)),
                _ => None,
            }
        }
        Linktype::Raw => match frame.first()? >> 4 {
            4 => Some((Version::V4, 0)),
            6 => Some((Version::V6, 0)),
            _ => None,
        },
        Linktype::Ipv4 => Some((Version::V4, 0)),
        Linktype::Ipv6 => Some((Version::V6, 0)),
    }
}

/// IPv4 or IPv6 directly; VLAN, MPLS, PPPoE and non-IP are the full decoder's.
#[inline]
fn by_ethertype(ethertype: u16, offset: usize) -> Option<(Version, usize)> {
    match ethertype {
        ETHERTYPE_IPV4 => Some((Version::V4, offset)),
        ETHERTYPE_IPV6 => Some((Version::V6, offset)),
        _ => None,
    }
}

#[inline]
fn be16(bytes: &[u8]) -> Option<u16> {
    bytes.first_chunk::<2>().map(|b| u16::from_be_bytes(*b))
}

/// An IPv4 header whose every field is sane, not a fragment (nor a first fragment).
#[inline]
fn ipv4(net: &[u8], snap_cut: bool) -> Option<Result<Transport<'_, Ipv4Addr>, Skip>> {
    let h = net.first_chunk::<20>()?;
    if h[0] >> 4 != 4 {
        return None;
    }
    let header_len = usize::from(h[0] & 0x0f) * 4;
    if header_len < 20 || header_len > net.len() {
        return None;
    }
    let total = usize::from(u16::from_be_bytes([h[2], h[3]]));
    let claimed_len = if total == 0 {
        // Segmentation offload on the capturing host leaves the length at 0.
        net.len() - header_len
    } else {
        total.checked_sub(header_len)?
    };
    // More-fragments flag or a fragment offset: the full decoder's business.
    if u16::from_be_bytes([h[6], h[7]]) & 0x3fff != 0 {
        return None;
    }
    if h[9] != IPPROTO_TCP {
        return Some(Err(Skip::NotTcp(h[9])));
    }
    let src = Ipv4Addr::new(h[12], h[13], h[14], h[15]);
    let dst = Ipv4Addr::new(h[16], h[17], h[18], h[19]);
    bounded(net, header_len, claimed_len, snap_cut, src, dst).map(Ok)
}

/// An IPv6 header followed directly by TCP (or by a transport that is not an extension
/// header).
#[inline]
fn ipv6(net: &[u8], snap_cut: bool) -> Option<Result<Transport<'_, Ipv6Addr>, Skip>> {
    let h = net.first_chunk::<40>()?;
    if h[0] >> 4 != 6 {
        return None;
    }
    match h[6] {
        IPPROTO_TCP => {}
        // Hop-by-hop, routing, fragment, AH, destination options, mobility, HIP, shim6.
        0 | 43 | 44 | 51 | 60 | 135 | 139 | 140 => return None,
        other => return Some(Err(Skip::NotTcp(other))),
    }
    let payload_len = usize::from(u16::from_be_bytes([h[4], h[5]]));
    // 0: a jumbogram or segmentation offload; take what was captured.
    let payload_len = if payload_len == 0 {
        net.len() - 40
    } else {
        payload_len
    };
    let src = Ipv6Addr::from(*h.get(8..)?.first_chunk::<16>()?);
    let dst = Ipv6Addr::from(*h.get(24..)?.first_chunk::<16>()?);
    bounded(net, 40, payload_len, snap_cut, src, dst).map(Ok)
}

/// `ip::bounded`: bound the transport bytes by the IP length; a length that overruns a frame
/// the snapshot length did not cut gets a note and is cut to what is there.
#[inline]
fn bounded<A>(
    net: &[u8],
    header_len: usize,
    claimed_len: usize,
    snap_cut: bool,
    src: A,
    dst: A,
) -> Option<Transport<'_, A>> {
    let end = header_len.saturating_add(claimed_len);
    let mut claimed_len = claimed_len;
    let mut note = None;
    if end > net.len() && !snap_cut {
        note = Some(DecodeNote::IpLengthExceedsFrame {
            claimed: u32::try_from(end).unwrap_or(u32::MAX),
            available: u32::try_from(net.len()).unwrap_or(u32::MAX),
        });
        claimed_len = net.len() - header_len;
    }
    Some(Transport {
        src,
        dst,
        bytes: net.get(header_len..end.min(net.len()))?,
        claimed_len,
        note,
    })
}

/// The segment of checked headers, as `tcp::parse` builds it.
#[inline]
fn build(headers: Headers<'_>) -> Decoded<'_> {
    let options = options(headers.option_area);
    // (Everything is built first and the result written once, in the caller's return slot:
    // copying a finished 256-byte `Decoded` costs more than the parsing.)
    let notes = notes(&headers, &options);
    let h = headers.fixed;
    Decoded {
        segment: Segment {
            src: headers.src,
            dst: headers.dst,
            seq: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
            ack: u32::from_be_bytes([h[8], h[9], h[10], h[11]]),
            flags: flags(h),
            window: u16::from_be_bytes([h[14], h[15]]),
            options,
            payload_len: headers.payload_len,
            captured_payload: captured(&headers),
        },
        payload: payload(&headers),
        notes,
    }
}

/// [`build`] into `out`, field by field where it already holds a segment (nearly always:
/// the reading thread decodes into the frames of a batch it reuses); the payload is returned.
#[inline]
fn build_into<'f>(headers: Headers<'f>, out: &mut Result<Decoded<'static>, Skip>) -> &'f [u8] {
    let Ok(d) = out else {
        return store(build(headers), out);
    };
    // Every field named, so that one added later cannot be left from the frame before.
    let Decoded {
        segment:
            Segment {
                src,
                dst,
                seq,
                ack,
                flags: seg_flags,
                window,
                options,
                payload_len,
                captured_payload,
            },
        payload: _,
        notes: seg_notes,
    } = d;
    options_into(headers.option_area, options);
    notes_into(&headers, options, seg_notes);
    let h = headers.fixed;
    *src = headers.src;
    *dst = headers.dst;
    *seq = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
    *ack = u32::from_be_bytes([h[8], h[9], h[10], h[11]]);
    *seg_flags = flags(h);
    *window = u16::from_be_bytes([h[14], h[15]]);
    *payload_len = headers.payload_len;
    *captured_payload = captured(&headers);
    // The slot's payload stays empty (it outlives the frame); the frame's is returned.
    payload(&headers)
}

/// The notes, in `decode_frame`'s order: the snapshot length, then IP, then TCP.
#[inline]
fn notes(headers: &Headers<'_>, options: &TcpOptions) -> DecodeNotes {
    let mut notes = DecodeNotes::new();
    notes_into(headers, options, &mut notes);
    notes
}

/// [`notes`] into `out`, in place: built apart, the list was copied into the frame in wide
/// loads from the narrow stores just made (a stalled store forwarding on every frame), though
/// nearly every frame has none.
#[inline]
fn notes_into(headers: &Headers<'_>, options: &TcpOptions, out: &mut DecodeNotes) {
    out.clear();
    for note in [headers.snap_note, headers.ip_note].into_iter().flatten() {
        out.push(note);
    }
    if options.malformed {
        out.push(DecodeNote::OptionsMalformed);
    }
}

/// The flags; NS is the lowest bit of the data-offset byte.
#[inline]
fn flags(h: &[u8; 20]) -> TcpFlags {
    TcpFlags(u16::from(h[13]) | (u16::from(h[12] & 1) << 8))
}

/// The payload, bounded by the length the IP header claims.
#[inline]
fn payload<'a>(headers: &Headers<'a>) -> &'a [u8] {
    let p = headers.payload;
    p.get(..headers.payload_len as usize).unwrap_or(p)
}

#[inline]
fn captured(headers: &Headers<'_>) -> u32 {
    headers.payload.len().min(headers.payload_len as usize) as u32
}

/// [`options`] into `out`.
#[inline]
fn options_into(area: &[u8], out: &mut TcpOptions) {
    match *area {
        [] => *out = TcpOptions::default(),
        [1, 1, 8, 10, v0, v1, v2, v3, e0, e1, e2, e3] => {
            *out = TcpOptions::default();
            out.timestamps = Some((
                u32::from_be_bytes([v0, v1, v2, v3]),
                u32::from_be_bytes([e0, e1, e2, e3]),
            ));
        }
        _ => tcp::parse_options_into(area, out),
    }
}

/// `tcp::parse_options`, with the everyday layouts read at once.
#[inline]
fn options(area: &[u8]) -> TcpOptions {
    match *area {
        [] => TcpOptions::default(),
        // NOP, NOP, timestamps: every segment of a connection that uses timestamps.
        [1, 1, 8, 10, v0, v1, v2, v3, e0, e1, e2, e3] => TcpOptions {
            timestamps: Some((
                u32::from_be_bytes([v0, v1, v2, v3]),
                u32::from_be_bytes([e0, e1, e2, e3]),
            )),
            ..TcpOptions::default()
        },
        _ => tcp::parse_options(area),
    }
}

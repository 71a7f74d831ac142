//! decode: one captured frame → our own [`Segment`] (or a reason why not).
//!
//! [`decode_frame`] first tries the fast path (`fast.rs`), which reads the common frames
//! (untagged Ethernet, Linux cooked, raw IP or loopback → plain IPv4 or IPv6 → a whole TCP
//! header) straight from the bytes, and answers only when it is sure to give the full decoder's
//! exact result. Everything else goes the full way.
//!
//! Layers: [`link`] (Ethernet, VLAN, MPLS, PPPoE, Linux cooked, BSD loopback, raw IP) →
//! [`ip`] (IPv4 with options, IPv6 with extension headers) → [`tcp`] (header and options).
//! Every length is checked here before anything is read; pnet's packet types are used only
//! on slices whose length has already been validated, and only inside this module.

mod fast;
pub mod ip;
pub mod link;
mod segment;
pub mod tcp;

pub use link::Linktype;
pub use segment::{Segment, TcpFlags, TcpOptions, UnknownOption};

use std::fmt;

/// Why a frame gave no TCP segment. Non-TCP traffic is not an error; truncated or malformed
/// headers are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    /// Not IP at all (ARP, LLDP, ...): the value is the EtherType or link protocol.
    NotIp(u16),
    /// IP, but another transport (UDP, ICMP, ...): the IP protocol number.
    NotTcp(u8),
    /// A non-first IP fragment: it carries no TCP header.
    Fragment,
    /// The frame is malformed or cut short before a usable TCP header.
    Bad(DecodeError),
}

/// A header that could not be read: which layer, what was needed, what was there, at which
/// byte offset of the frame.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error(
        "{layer} header cut short at byte {offset}: needs {needed} bytes, {available} captured"
    )]
    Truncated {
        layer: Layer,
        offset: usize,
        needed: usize,
        available: usize,
    },
    #[error("{layer} header at byte {offset} is invalid: {what}")]
    Invalid {
        layer: Layer,
        offset: usize,
        what: String,
    },
}

/// The protocol layer a decode error happened in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layer {
    Link,
    Vlan,
    Mpls,
    Pppoe,
    Ipv4,
    Ipv6,
    Ipv6Extension,
    Tcp,
    TcpOption,
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layer::Link => "link-layer",
            Layer::Vlan => "802.1Q VLAN",
            Layer::Mpls => "MPLS",
            Layer::Pppoe => "PPPoE",
            Layer::Ipv4 => "IPv4",
            Layer::Ipv6 => "IPv6",
            Layer::Ipv6Extension => "IPv6 extension",
            Layer::Tcp => "TCP",
            Layer::TcpOption => "TCP option",
        })
    }
}

/// Something odd about a frame that still gave a segment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DecodeNote {
    /// The snapshot length cut the frame: `captured` of `original` bytes.
    SnaplenTruncated { captured: u32, original: u32 },
    /// The IP header claims more bytes than the frame carries (and the frame was not cut by
    /// the snapshot length).
    IpLengthExceedsFrame { claimed: u32, available: u32 },
    /// The TCP option area could not be fully parsed.
    #[default]
    OptionsMalformed,
    /// The TCP header was cut before its end: fields past the cut are missing.
    TcpHeaderTruncated,
}

impl fmt::Display for DecodeNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeNote::SnaplenTruncated { captured, original } => {
                write!(
                    f,
                    "frame cut by snapshot length: {captured} of {original} bytes captured"
                )
            }
            DecodeNote::IpLengthExceedsFrame { claimed, available } => write!(
                f,
                "IP header claims {claimed} bytes but the frame holds {available}"
            ),
            DecodeNote::OptionsMalformed => {
                f.write_str("malformed TCP option; rest of options skipped")
            }
            DecodeNote::TcpHeaderTruncated => f.write_str("TCP header cut short; options missing"),
        }
    }
}

/// A frame decoded into a segment, with the captured payload bytes borrowed from the frame.
#[derive(Debug, PartialEq, Eq)]
pub struct Decoded<'a> {
    pub segment: Segment,
    pub payload: &'a [u8],
    pub notes: DecodeNotes,
}

/// The notes of one frame: at most one of each kind, kept inline.
pub type DecodeNotes = crate::inline::InlineVec<DecodeNote, 4>;

/// Decode one frame. `orig_len` is the frame's length on the wire (libpcap's `len`), which is
/// larger than `bytes.len()` when the snapshot length cut the frame. Common frames take the
/// fast path; the answer is always exactly [`decode_frame_slow`]'s.
pub fn decode_frame(linktype: Linktype, bytes: &[u8], orig_len: u32) -> Result<Decoded<'_>, Skip> {
    fast::decode(linktype, bytes, orig_len)
}

/// [`decode_frame`] into `out`, in place, the payload left out (`Decoded::payload` empty, so
/// that it can outlive the frame) and returned: the same answer, without building a
/// 256-byte `Decoded` apart and copying it in (for the replay's reading thread, which decodes
/// into the frames of a batch it reuses).
#[inline]
pub fn decode_frame_into<'f>(
    linktype: Linktype,
    bytes: &'f [u8],
    orig_len: u32,
    out: &mut Result<Decoded<'static>, Skip>,
) -> &'f [u8] {
    fast::decode_into(linktype, bytes, orig_len, out)
}

/// The fast path alone: `None` when the frame is not one of the common shapes it reads.
/// For tests that check it agrees with [`decode_frame_slow`] and is taken where it should be.
#[doc(hidden)]
pub fn decode_frame_fast(
    linktype: Linktype,
    bytes: &[u8],
    orig_len: u32,
) -> Option<Result<Decoded<'_>, Skip>> {
    fast::decode_only(linktype, bytes, orig_len)
}

/// The full decoder alone (link → IP → TCP layer by layer), without the fast path: what
/// [`decode_frame`] answers for every frame. Public for the differential tests.
#[doc(hidden)]
#[inline(never)]
pub fn decode_frame_slow(
    linktype: Linktype,
    bytes: &[u8],
    orig_len: u32,
) -> Result<Decoded<'_>, Skip> {
    let network = link::strip(linktype, bytes)?;
    let snap_cut = (bytes.len() as u64) < u64::from(orig_len);
    let ip = ip::parse(&network, snap_cut)?;
    let mut decoded = tcp::parse(&ip, snap_cut)?;
    if snap_cut {
        let mut notes = DecodeNotes::new();
        notes.push(DecodeNote::SnaplenTruncated {
            captured: bytes.len() as u32,
            original: orig_len,
        });
        for note in decoded.notes.iter() {
            notes.push(*note);
        }
        decoded.notes = notes;
    }
    Ok(decoded)
}

#[cfg(test)]
mod tests;

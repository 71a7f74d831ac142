//! Link layers: find where the IP packet starts in a frame.

use super::{DecodeError, Layer, Skip};
use std::fmt;

/// The link-layer header types tcpscope understands (libpcap DLT / LINKTYPE values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Linktype {
    /// DLT_NULL: BSD loopback, 4-byte address family in host byte order (macOS `lo0`).
    Null,
    /// DLT_EN10MB: Ethernet (also Linux `lo`).
    Ethernet,
    /// DLT_RAW / LINKTYPE_RAW: the frame is an IPv4 or IPv6 packet.
    Raw,
    /// DLT_LOOP: OpenBSD loopback, address family in network byte order.
    Loop,
    /// DLT_LINUX_SLL: Linux cooked capture (`tcpdump -i any`).
    LinuxSll,
    /// DLT_LINUX_SLL2: Linux cooked capture v2.
    LinuxSll2,
    /// LINKTYPE_IPV4: raw IPv4.
    Ipv4,
    /// LINKTYPE_IPV6: raw IPv6.
    Ipv6,
}

impl Linktype {
    /// Every link type tcpscope decodes.
    pub const ALL: [Linktype; 8] = [
        Linktype::Null,
        Linktype::Ethernet,
        Linktype::Raw,
        Linktype::Loop,
        Linktype::LinuxSll,
        Linktype::LinuxSll2,
        Linktype::Ipv4,
        Linktype::Ipv6,
    ];

    /// Map a libpcap data-link type number; `None` for types tcpscope cannot decode.
    pub fn from_dlt(dlt: i32) -> Option<Linktype> {
        Some(match dlt {
            0 => Linktype::Null,
            1 => Linktype::Ethernet,
            12 | 14 | 101 => Linktype::Raw,
            108 => Linktype::Loop,
            113 => Linktype::LinuxSll,
            276 => Linktype::LinuxSll2,
            228 => Linktype::Ipv4,
            229 => Linktype::Ipv6,
            _ => return None,
        })
    }

    /// The LINKTYPE_ number written in capture files.
    pub fn linktype_number(self) -> i32 {
        match self {
            Linktype::Null => 0,
            Linktype::Ethernet => 1,
            Linktype::Raw => 101,
            Linktype::Loop => 108,
            Linktype::LinuxSll => 113,
            Linktype::LinuxSll2 => 276,
            Linktype::Ipv4 => 228,
            Linktype::Ipv6 => 229,
        }
    }
}

impl fmt::Display for Linktype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Linktype::Null => "NULL (BSD loopback)",
            Linktype::Ethernet => "EN10MB (Ethernet)",
            Linktype::Raw => "RAW (IP)",
            Linktype::Loop => "LOOP (OpenBSD loopback)",
            Linktype::LinuxSll => "LINUX_SLL (Linux cooked)",
            Linktype::LinuxSll2 => "LINUX_SLL2 (Linux cooked v2)",
            Linktype::Ipv4 => "IPV4",
            Linktype::Ipv6 => "IPV6",
        })
    }
}

/// Which IP version the link layer announced (or `Sniff`: look at the version nibble).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpVersion {
    V4,
    V6,
    Sniff,
}

/// The network-layer part of a frame.
#[derive(Debug)]
pub struct Network<'a> {
    pub version: IpVersion,
    pub bytes: &'a [u8],
    /// Byte offset of `bytes` within the frame (for error messages).
    pub offset: usize,
}

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88a8;
const ETHERTYPE_QINQ_OLD: u16 = 0x9100;
const ETHERTYPE_QINQ_OLD2: u16 = 0x9200;
const ETHERTYPE_MPLS: u16 = 0x8847;
const ETHERTYPE_MPLS_MCAST: u16 = 0x8848;
const ETHERTYPE_PPPOE_SESSION: u16 = 0x8864;

/// A tag or label stack deeper than this is not a real frame.
const MAX_ENCAPSULATIONS: usize = 32;

fn truncated(layer: Layer, offset: usize, needed: usize, available: usize) -> Skip {
    Skip::Bad(DecodeError::Truncated {
        layer,
        offset,
        needed,
        available,
    })
}

fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([b[0], b[1]]))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<[u8; 4]> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some([b[0], b[1], b[2], b[3]])
}

/// Strip the link layer of `frame`.
pub fn strip(linktype: Linktype, frame: &[u8]) -> Result<Network<'_>, Skip> {
    match linktype {
        Linktype::Ethernet => {
            let ethertype =
                be16(frame, 12).ok_or_else(|| truncated(Layer::Link, 0, 14, frame.len()))?;
            by_ethertype(ethertype, frame, 14)
        }
        Linktype::LinuxSll => {
            let proto =
                be16(frame, 14).ok_or_else(|| truncated(Layer::Link, 0, 16, frame.len()))?;
            by_ethertype(proto, frame, 16)
        }
        Linktype::LinuxSll2 => {
            if frame.len() < 20 {
                return Err(truncated(Layer::Link, 0, 20, frame.len()));
            }
            let proto = be16(frame, 0).ok_or_else(|| truncated(Layer::Link, 0, 20, frame.len()))?;
            by_ethertype(proto, frame, 20)
        }
        Linktype::Null | Linktype::Loop => {
            let family =
                u32_at(frame, 0).ok_or_else(|| truncated(Layer::Link, 0, 4, frame.len()))?;
            let family = loopback_family(linktype, family);
            let version = match family {
                2 => IpVersion::V4,
                // AF_INET6 on NetBSD/OpenBSD (24), FreeBSD (28), Darwin (30), Linux (10).
                24 | 28 | 30 | 10 => IpVersion::V6,
                other => return Err(Skip::NotIp(other.min(0xffff) as u16)),
            };
            ip_at(version, frame, 4)
        }
        Linktype::Raw => ip_at(IpVersion::Sniff, frame, 0),
        Linktype::Ipv4 => ip_at(IpVersion::V4, frame, 0),
        Linktype::Ipv6 => ip_at(IpVersion::V6, frame, 0),
    }
}

fn ip_at(version: IpVersion, frame: &[u8], offset: usize) -> Result<Network<'_>, Skip> {
    let bytes = frame
        .get(offset..)
        .ok_or_else(|| truncated(Layer::Link, 0, offset, frame.len()))?;
    Ok(Network {
        version,
        bytes,
        offset,
    })
}

/// Follow EtherTypes through VLAN tags, MPLS labels and PPPoE to the IP header.
fn by_ethertype(mut ethertype: u16, frame: &[u8], mut offset: usize) -> Result<Network<'_>, Skip> {
    for _ in 0..MAX_ENCAPSULATIONS {
        match ethertype {
            ETHERTYPE_IPV4 => return ip_at(IpVersion::V4, frame, offset),
            ETHERTYPE_IPV6 => return ip_at(IpVersion::V6, frame, offset),
            ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD | ETHERTYPE_QINQ_OLD2 => {
                // 2 bytes TCI, 2 bytes inner EtherType.
                ethertype = be16(frame, offset + 2).ok_or_else(|| {
                    truncated(Layer::Vlan, offset, 4, frame.len().saturating_sub(offset))
                })?;
                offset += 4;
            }
            ETHERTYPE_MPLS | ETHERTYPE_MPLS_MCAST => {
                // Pop labels until the bottom-of-stack bit, then guess by the version nibble.
                loop {
                    let label = u32_at(frame, offset).ok_or_else(|| {
                        truncated(Layer::Mpls, offset, 4, frame.len().saturating_sub(offset))
                    })?;
                    offset += 4;
                    if label[2] & 0x01 != 0 {
                        break;
                    }
                    if offset > frame.len() {
                        return Err(truncated(Layer::Mpls, offset, 4, 0));
                    }
                }
                return match frame.get(offset).map(|b| b >> 4) {
                    Some(4) => ip_at(IpVersion::V4, frame, offset),
                    Some(6) => ip_at(IpVersion::V6, frame, offset),
                    Some(_) => Err(Skip::NotIp(ethertype)),
                    None => Err(truncated(Layer::Mpls, offset, 1, 0)),
                };
            }
            ETHERTYPE_PPPOE_SESSION => {
                // version/type, code, session id (2), length (2), then the PPP protocol (2).
                // The length bounds the PPP frame: what follows is Ethernet padding.
                let proto = be16(frame, offset + 6).ok_or_else(|| {
                    truncated(Layer::Pppoe, offset, 8, frame.len().saturating_sub(offset))
                })?;
                let ppp_len = usize::from(be16(frame, offset + 4).unwrap_or(0));
                let end = (offset + 6 + ppp_len).clamp(offset + 8, frame.len());
                offset += 8;
                let frame = frame.get(..end).unwrap_or(frame);
                return match proto {
                    0x0021 => ip_at(IpVersion::V4, frame, offset),
                    0x0057 => ip_at(IpVersion::V6, frame, offset),
                    other => Err(Skip::NotIp(other)),
                };
            }
            other => return Err(Skip::NotIp(other)),
        }
    }
    Err(Skip::Bad(DecodeError::Invalid {
        layer: Layer::Vlan,
        offset,
        what: format!("more than {MAX_ENCAPSULATIONS} nested VLAN tags"),
    }))
}

/// The address family of a NULL or LOOP header: LOOP is big-endian; NULL is in the byte order
/// of the machine that wrote the file, so both are tried (families are small numbers).
pub(super) fn loopback_family(linktype: Linktype, bytes: [u8; 4]) -> u32 {
    let le = u32::from_le_bytes(bytes);
    if linktype == Linktype::Loop || le > 0xffff {
        u32::from_be_bytes(bytes)
    } else {
        le
    }
}

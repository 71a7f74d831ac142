//! `Segment`: our own owned, validated representation of one TCP segment (the "Repr" of
//! smoltcp's view/representation split). pnet types never leave `decode`.

use crate::inline::InlineVec;
use std::fmt;
use std::net::SocketAddr;

/// TCP header flags (the 9 bits after the data offset).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TcpFlags(pub u16);

impl TcpFlags {
    pub const FIN: u16 = 0x001;
    pub const SYN: u16 = 0x002;
    pub const RST: u16 = 0x004;
    pub const PSH: u16 = 0x008;
    pub const ACK: u16 = 0x010;
    pub const URG: u16 = 0x020;
    pub const ECE: u16 = 0x040;
    pub const CWR: u16 = 0x080;
    pub const NS: u16 = 0x100;

    /// Names in the order Wireshark prints them, most significant first.
    const NAMES: [(u16, &'static str); 9] = [
        (Self::NS, "NS"),
        (Self::CWR, "CWR"),
        (Self::ECE, "ECE"),
        (Self::URG, "URG"),
        (Self::ACK, "ACK"),
        (Self::PSH, "PSH"),
        (Self::RST, "RST"),
        (Self::SYN, "SYN"),
        (Self::FIN, "FIN"),
    ];

    pub fn has(self, bit: u16) -> bool {
        self.0 & bit != 0
    }
    pub fn syn(self) -> bool {
        self.has(Self::SYN)
    }
    pub fn ack(self) -> bool {
        self.has(Self::ACK)
    }
    pub fn fin(self) -> bool {
        self.has(Self::FIN)
    }
    pub fn rst(self) -> bool {
        self.has(Self::RST)
    }
    pub fn psh(self) -> bool {
        self.has(Self::PSH)
    }

    /// The set flag names, Wireshark order (`["ACK", "PSH"]`).
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::NAMES
            .into_iter()
            .filter(move |(bit, _)| self.has(*bit))
            .map(|(_, name)| name)
    }

    /// Short form for the ladder: the flags that matter for the story first
    /// (`SYN`, `SYN,ACK`, `FIN,ACK`, `PSH,ACK`, `RST,ACK`), then the others.
    pub fn short(self) -> String {
        const ORDER: [(u16, &str); 9] = [
            (TcpFlags::SYN, "SYN"),
            (TcpFlags::FIN, "FIN"),
            (TcpFlags::RST, "RST"),
            (TcpFlags::PSH, "PSH"),
            (TcpFlags::ACK, "ACK"),
            (TcpFlags::URG, "URG"),
            (TcpFlags::ECE, "ECE"),
            (TcpFlags::CWR, "CWR"),
            (TcpFlags::NS, "NS"),
        ];
        let mut out = String::new();
        for (bit, name) in ORDER {
            if self.has(bit) {
                if !out.is_empty() {
                    out.push(',');
                }
                out.push_str(name);
            }
        }
        if out.is_empty() {
            out.push_str("<none>");
        }
        out
    }
}

/// A TCP option we do not decode, kept as kind and length.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UnknownOption {
    pub kind: u8,
    pub len: u8,
}

/// The decoded TCP options of one segment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpOptions {
    pub mss: Option<u16>,
    pub window_scale: Option<u8>,
    pub sack_permitted: bool,
    /// SACK blocks as (left edge, right edge), absolute sequence numbers.
    /// At most four fit in the 40 bytes of option space.
    pub sack: InlineVec<(u32, u32), 4>,
    /// Timestamps (TSval, TSecr).
    pub timestamps: Option<(u32, u32)>,
    /// At most twenty fit in the 40 bytes of option space.
    pub unknown: InlineVec<UnknownOption, 20>,
    /// The option area was cut short by the snapshot length.
    pub truncated: bool,
    /// An option had a length that is impossible (0, 1, or past the header); parsing stopped there.
    pub malformed: bool,
}

impl TcpOptions {
    pub fn is_empty(&self) -> bool {
        self.mss.is_none()
            && self.window_scale.is_none()
            && !self.sack_permitted
            && self.sack.is_empty()
            && self.timestamps.is_none()
            && self.unknown.is_empty()
    }
}

/// One TCP segment as seen on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    pub window: u16,
    pub options: TcpOptions,
    /// Payload length as the IP header claims it (the real segment length, even when the
    /// capture kept fewer bytes).
    pub payload_len: u32,
    /// How many payload bytes the capture actually holds (at most `payload_len`).
    pub captured_payload: u32,
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TCP src={} dst={} {} seq={} ack={} win={} len={}",
            self.src,
            self.dst,
            self.flags.short(),
            self.seq,
            self.ack,
            self.window,
            self.payload_len
        )
    }
}

//! One side of a connection: its RFC 9293 state and what it has sent.

use super::seq::{Maybe, SeqNum};
use serde::Serialize;
use std::fmt;
use std::net::SocketAddr;

/// The connection states of RFC 9293, section 3.3.2.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TcpState {
    #[default]
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
}

impl TcpState {
    pub const ALL: [TcpState; 11] = [
        TcpState::Closed,
        TcpState::Listen,
        TcpState::SynSent,
        TcpState::SynReceived,
        TcpState::Established,
        TcpState::FinWait1,
        TcpState::FinWait2,
        TcpState::CloseWait,
        TcpState::Closing,
        TcpState::LastAck,
        TcpState::TimeWait,
    ];

    /// The RFC name, upper case with underscores (`SYN_SENT`, `FIN_WAIT_1`).
    pub fn name(self) -> &'static str {
        match self {
            TcpState::Closed => "CLOSED",
            TcpState::Listen => "LISTEN",
            TcpState::SynSent => "SYN_SENT",
            TcpState::SynReceived => "SYN_RECEIVED",
            TcpState::Established => "ESTABLISHED",
            TcpState::FinWait1 => "FIN_WAIT_1",
            TcpState::FinWait2 => "FIN_WAIT_2",
            TcpState::CloseWait => "CLOSE_WAIT",
            TcpState::Closing => "CLOSING",
            TcpState::LastAck => "LAST_ACK",
            TcpState::TimeWait => "TIME_WAIT",
        }
    }

    /// Has this side sent its FIN (or gone away)?
    pub fn is_closing(self) -> bool {
        matches!(
            self,
            TcpState::FinWait1
                | TcpState::FinWait2
                | TcpState::Closing
                | TcpState::LastAck
                | TcpState::TimeWait
                | TcpState::Closed
        )
    }

    /// States in which data flows (or may still flow one way).
    pub fn is_synchronized(self) -> bool {
        !matches!(
            self,
            TcpState::Closed | TcpState::Listen | TcpState::SynSent | TcpState::SynReceived
        )
    }
}

/// Serialized as the RFC name with underscores (`FIN_WAIT_1`), like `Display`.
impl Serialize for TcpState {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl fmt::Display for TcpState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// What the observer knows of one endpoint.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub addr: SocketAddr,
    pub state: TcpState,
    /// Wireshark's base for relative sequence numbers of this side.
    pub base: Maybe<u32>,
    /// The sequence number of this side's SYN.
    pub isn: Maybe<SeqNum>,
    /// One past the highest sequence number this side has sent (SYN and FIN count one).
    pub next_seq: Maybe<SeqNum>,
    /// The sequence number this side's FIN occupies.
    pub fin_seq: Maybe<SeqNum>,
    /// The peer has acknowledged this side's FIN.
    pub fin_acked: bool,
    /// This side has sent a SYN without ACK / a SYN-ACK.
    pub syn_sent: bool,
    pub synack_sent: bool,
    /// The highest acknowledgment number this side has sent.
    pub highest_ack: Maybe<SeqNum>,
    /// Window scale announced in this side's SYN.
    pub window_scale: Option<u8>,
    pub mss: Option<u16>,
    pub segments: u64,
    /// Payload bytes sent, retransmissions included (like Zeek's and tshark's byte counts).
    pub bytes: u64,
}

impl Endpoint {
    pub fn new(addr: SocketAddr, state: TcpState) -> Endpoint {
        Endpoint {
            addr,
            state,
            base: Maybe::none(),
            isn: Maybe::none(),
            next_seq: Maybe::none(),
            fin_seq: Maybe::none(),
            fin_acked: false,
            syn_sent: false,
            synack_sent: false,
            highest_ack: Maybe::none(),
            window_scale: None,
            mss: None,
            segments: 0,
            bytes: 0,
        }
    }

    /// Does `ack` (sent by the peer) acknowledge this side's SYN?
    pub fn syn_acked_by(&self, ack: u32) -> bool {
        match self.isn.get() {
            Some(isn) => SeqNum(ack) > isn,
            None => true,
        }
    }

    /// Does `ack` (sent by the peer) acknowledge this side's FIN?
    pub fn fin_acked_by(&self, ack: u32) -> bool {
        matches!(self.fin_seq.get(), Some(fin) if SeqNum(ack) > fin)
    }
}

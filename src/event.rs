//! Events: what annotate hands to the renderers. Renderers read these and never re-derive TCP.

use crate::decode::{DecodeNote, TcpFlags, TcpOptions};
use crate::source::Timestamp;
use crate::track::TcpState;
use std::net::SocketAddr;

/// Direction of a segment relative to the connection's roles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dir {
    /// Client to server.
    C2S,
    /// Server to client.
    S2C,
}

impl Dir {
    pub fn as_str(self) -> &'static str {
        match self {
            Dir::C2S => "c2s",
            Dir::S2C => "s2c",
        }
    }
    pub fn sender(self) -> Side {
        match self {
            Dir::C2S => Side::Client,
            Dir::S2C => Side::Server,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Side {
    #[default]
    Client,
    Server,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Client => "client",
            Side::Server => "server",
        }
    }
    pub fn other(self) -> Side {
        match self {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }
}

/// Which part of a connection's life a segment belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Handshake,
    Data,
    Close,
    Reset,
    Other,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Handshake => "handshake",
            Phase::Data => "data",
            Phase::Close => "close",
            Phase::Reset => "reset",
            Phase::Other => "other",
        }
    }
}

/// The shape a connection close took, once it is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaveShape {
    /// Not known yet (live) or never became clear (the capture ended).
    Unknown,
    /// FIN, ACK, FIN, ACK: each FIN acknowledged by its own segment.
    FourWay,
    /// FIN, FIN+ACK, ACK: the second FIN carries the ACK of the first.
    ThreeWay,
    /// Both FINs sent before either was acknowledged.
    Simultaneous,
}

/// What part of the wave a segment is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaveStep {
    /// The first FIN.
    FirstFin,
    /// A pure ACK of the first FIN.
    AckOfFirstFin,
    /// The second FIN, alone (four-way) or carrying the ACK of the first (three-way), or
    /// crossing it (simultaneous).
    SecondFin,
    /// The ACK of the second FIN.
    LastAck,
    /// In a simultaneous close, the ACK of the first FIN after both FINs crossed.
    AckOfFirstFinLate,
}

/// A segment's plain-words meaning. Language-independent; `lang` turns it into text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Label {
    /// Handshake 1/3.
    Syn,
    SynRetransmit,
    /// The other side's SYN crossing ours (simultaneous open).
    SimultaneousSyn,
    /// Handshake 2/3.
    SynAck,
    SynAckRetransmit,
    /// Handshake 3/3 (it may carry data).
    HandshakeAck {
        data: u32,
    },
    Data {
        len: u32,
    },
    DataRetransmit {
        len: u32,
    },
    /// A pure ACK acknowledging new data.
    AckOfData {
        bytes: u64,
    },
    /// A pure ACK acknowledging nothing new.
    Ack,
    /// Part of the close; `data` is payload carried on the same segment.
    Wave {
        step: WaveStep,
        shape: WaveShape,
        data: u32,
    },
    FinRetransmit,
    /// RST answering a SYN: nobody listens on that port.
    Refused,
    /// RST that aborts the connection.
    Reset,
    /// RST after both sides had closed.
    ResetAfterClose,
    /// A segment with no flags at all, or none that a stack would act on.
    NoFlags,
}

impl Label {
    pub fn phase(self) -> Phase {
        match self {
            Label::Syn
            | Label::SynRetransmit
            | Label::SimultaneousSyn
            | Label::SynAck
            | Label::SynAckRetransmit
            | Label::HandshakeAck { .. } => Phase::Handshake,
            Label::Data { .. } | Label::DataRetransmit { .. } | Label::AckOfData { .. } => {
                Phase::Data
            }
            Label::Wave { .. } | Label::FinRetransmit => Phase::Close,
            Label::Refused | Label::Reset | Label::ResetAfterClose => Phase::Reset,
            Label::Ack | Label::NoFlags => Phase::Other,
        }
    }
}

/// A remark on a segment, beside its label.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Note {
    /// A flag combination a stack would reject (SYN+FIN, SYN+RST, ...).
    OddFlags(&'static str),
    /// The connection was already open when the capture started.
    #[default]
    JoinedMidStream,
    /// The capture starts with the SYN-ACK: the client's SYN was not captured.
    SynNotCaptured,
    /// This segment (carrying data) also acknowledges the peer's FIN.
    AcksFin,
    /// Data sent after the peer closed its sending side (half-close).
    AfterPeerFin,
    /// The sender advertises a zero window: the peer must stop sending.
    ZeroWindow,
    /// Something odd in the frame itself.
    Decode(DecodeNote),
}

/// The notes the tracker puts on a segment, as a set; they iterate in the order the ladder
/// shows them. (Decode notes come from the frame, not the tracker: they are not in it.)
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct NoteSet(u16);

impl NoteSet {
    const ORDER: [Note; 9] = [
        Note::OddFlags("SYN+FIN"),
        Note::OddFlags("SYN+RST"),
        Note::OddFlags("FIN+RST"),
        Note::OddFlags("FIN without ACK"),
        Note::ZeroWindow,
        Note::AcksFin,
        Note::AfterPeerFin,
        Note::JoinedMidStream,
        Note::SynNotCaptured,
    ];

    /// Add `note` (one of the tracker's own; others are ignored).
    pub fn insert(&mut self, note: Note) {
        if let Some(i) = Self::ORDER.iter().position(|n| *n == note) {
            self.0 |= 1 << i;
        }
    }
    pub fn contains(&self, note: &Note) -> bool {
        self.iter().any(|n| n == *note)
    }
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }
    pub fn iter(&self) -> impl Iterator<Item = Note> + '_ {
        Self::ORDER
            .into_iter()
            .enumerate()
            .filter(|(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, n)| n)
    }
}

impl std::fmt::Debug for NoteSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// A state change of one endpoint on this segment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StateChange {
    pub side: Side,
    pub from: TcpState,
    pub to: TcpState,
}

/// One TCP segment, annotated.
#[derive(Clone, Debug)]
pub struct SegmentEvent {
    pub conn: u64,
    pub frame: u64,
    pub ts: Timestamp,
    /// Seconds since the connection's first segment.
    pub rel_time: f64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub dir: Dir,
    pub flags: TcpFlags,
    pub seq: u32,
    pub ack: u32,
    pub rel_seq: u32,
    pub rel_ack: u32,
    pub len: u32,
    pub win: u16,
    /// The window in bytes once both SYNs announced window scaling, else `None`.
    pub scaled_win: Option<u64>,
    pub options: TcpOptions,
    pub label: Label,
    pub client_state: TcpState,
    pub server_state: TcpState,
    pub changes: Vec<StateChange>,
    pub notes: Vec<Note>,
    /// A bounded copy of the payload's first bytes, when previews were asked for.
    pub payload: Option<Vec<u8>>,
    /// Wireshark's TCP analysis of this segment.
    pub tcp: SegAnalysis,
}

impl SegmentEvent {
    pub fn phase(&self) -> Phase {
        self.label.phase()
    }
}

/// How a connection ended, judged from its segments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseKind {
    FourWay,
    ThreeWay,
    Simultaneous,
    HalfClosed,
    Reset,
    Refused,
    NoAnswer,
    Open,
}

impl CloseKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CloseKind::FourWay => "four-way",
            CloseKind::ThreeWay => "three-way",
            CloseKind::Simultaneous => "simultaneous",
            CloseKind::HalfClosed => "half-closed",
            CloseKind::Reset => "reset",
            CloseKind::Refused => "refused",
            CloseKind::NoAnswer => "no-answer",
            CloseKind::Open => "open",
        }
    }
}

/// How the observer learned of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The client's SYN was captured.
    Handshake,
    /// The capture starts with the server's SYN-ACK.
    SynAckFirst,
    /// The connection was already open: no SYN was seen.
    MidStream,
}

/// Per-direction counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PerDir {
    pub c2s: u64,
    pub s2c: u64,
}

/// The states one side went through, in order (inline up to 15, which is all a
/// well-behaved connection needs).
pub type StatePath = crate::inline::SmallVec<TcpState, 15>;

/// Zeek's history letters (inline up to 22).
pub type History = crate::inline::SmallString<22>;

/// The end-of-life summary of one connection.
#[derive(Clone, Debug)]
pub struct ConnSummary {
    pub conn: u64,
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub start: Timestamp,
    /// Seconds from the capture's first frame to this connection's first segment.
    pub rel_start: f64,
    pub duration: f64,
    pub segments: PerDir,
    pub bytes: PerDir,
    /// SYN to the ACK that completes the handshake (Wireshark's iRTT), in seconds.
    pub handshake_rtt: Option<f64>,
    pub close: CloseKind,
    /// Data flowed after one side's FIN (a half-close), whatever the close became.
    pub half_close: bool,
    /// Who sent the first FIN or RST.
    pub closed_by: Option<Side>,
    pub origin: Origin,
    pub client_state: TcpState,
    pub server_state: TcpState,
    /// Every state each side went through, in order, starting with the initial one.
    pub client_path: StatePath,
    pub server_path: StatePath,
    /// Zeek's verdicts, RTTs, retransmitted bytes and bytes in flight.
    pub fidelity: Fidelity,
}

/// A non-fatal problem with one frame.
#[derive(Clone, Debug)]
pub struct Notice {
    pub frame: u64,
    pub message: String,
}

/// libpcap's counters at the end of a live capture.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CaptureStats {
    pub received: u32,
    pub dropped_by_kernel: u32,
    pub dropped_by_interface: u32,
}

/// Totals for the whole capture.
#[derive(Clone, Debug, Default)]
pub struct CaptureSummary {
    /// libpcap's counters (live capture only).
    pub stats: Option<CaptureStats>,
    pub frames: u64,
    pub tcp_segments: u64,
    pub filtered_out: u64,
    pub not_ip: u64,
    pub not_tcp: u64,
    pub fragments: u64,
    pub malformed: u64,
    pub connections: u64,
    /// Connections summarised before the end because they were over or idle.
    pub expired: u64,
    /// Connections summarised early because too many were open at once.
    pub evicted: u64,
}

/// A socket call made by the demo's own client or server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppCall {
    Listen,
    Connect,
    Accept,
    Send,
    Recv,
    Shutdown,
    Close,
    /// close() with SO_LINGER 0: the kernel resets instead of closing.
    Abort,
}

impl AppCall {
    pub fn as_str(self) -> &'static str {
        match self {
            AppCall::Listen => "listen",
            AppCall::Connect => "connect",
            AppCall::Accept => "accept",
            AppCall::Send => "send",
            AppCall::Recv => "recv",
            AppCall::Shutdown => "shutdown",
            AppCall::Close => "close",
            AppCall::Abort => "abort",
        }
    }
}

/// One application call, on the capture's clock.
#[derive(Clone, Debug)]
pub struct AppEvent {
    pub ts: Timestamp,
    pub side: Side,
    pub call: AppCall,
    /// Bytes passed to send() or returned by recv().
    pub bytes: Option<usize>,
    /// The first bytes sent or received.
    pub data: Option<Vec<u8>>,
    /// An error the call returned (`ECONNREFUSED`, ...).
    pub error: Option<String>,
    /// The client's address, which names the connection.
    pub client: Option<SocketAddr>,
    /// The connection number, once the segments show it.
    pub conn: Option<u64>,
    /// The kernel's own state of this side's socket right after the call (/proc/net/tcp).
    pub kernel_state: Option<TcpState>,
    /// How many calls this event stands for (a read loop is one event).
    pub count: u32,
}

#[derive(Clone, Debug)]
pub enum Event {
    Segment(Box<SegmentEvent>),
    App(Box<AppEvent>),
    Connection(Box<ConnSummary>),
    Notice(Notice),
    Capture(Box<CaptureSummary>),
}

/// One flag of Wireshark's TCP analysis (`tcp.analysis.*`), with Wireshark's definitions
/// (Wireshark User's Guide, "TCP Analysis").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AnalysisFlag {
    Retransmission,
    FastRetransmission,
    SpuriousRetransmission,
    OutOfOrder,
    LostSegment,
    AckLostSegment,
    DuplicateAck,
    ZeroWindow,
    ZeroWindowProbe,
    ZeroWindowProbeAck,
    WindowFull,
    WindowUpdate,
    KeepAlive,
    KeepAliveAck,
    ReusedPorts,
}

impl AnalysisFlag {
    pub const ALL: [AnalysisFlag; 15] = [
        AnalysisFlag::Retransmission,
        AnalysisFlag::FastRetransmission,
        AnalysisFlag::SpuriousRetransmission,
        AnalysisFlag::OutOfOrder,
        AnalysisFlag::LostSegment,
        AnalysisFlag::AckLostSegment,
        AnalysisFlag::DuplicateAck,
        AnalysisFlag::ZeroWindow,
        AnalysisFlag::ZeroWindowProbe,
        AnalysisFlag::ZeroWindowProbeAck,
        AnalysisFlag::WindowFull,
        AnalysisFlag::WindowUpdate,
        AnalysisFlag::KeepAlive,
        AnalysisFlag::KeepAliveAck,
        AnalysisFlag::ReusedPorts,
    ];

    /// The name of Wireshark's field, `tcp.analysis.<name>`.
    pub fn name(self) -> &'static str {
        match self {
            AnalysisFlag::Retransmission => "retransmission",
            AnalysisFlag::FastRetransmission => "fast_retransmission",
            AnalysisFlag::SpuriousRetransmission => "spurious_retransmission",
            AnalysisFlag::OutOfOrder => "out_of_order",
            AnalysisFlag::LostSegment => "lost_segment",
            AnalysisFlag::AckLostSegment => "ack_lost_segment",
            AnalysisFlag::DuplicateAck => "duplicate_ack",
            AnalysisFlag::ZeroWindow => "zero_window",
            AnalysisFlag::ZeroWindowProbe => "zero_window_probe",
            AnalysisFlag::ZeroWindowProbeAck => "zero_window_probe_ack",
            AnalysisFlag::WindowFull => "window_full",
            AnalysisFlag::WindowUpdate => "window_update",
            AnalysisFlag::KeepAlive => "keep_alive",
            AnalysisFlag::KeepAliveAck => "keep_alive_ack",
            AnalysisFlag::ReusedPorts => "reused_ports",
        }
    }
}

/// A set of [`AnalysisFlag`]s, one bit each; iterates in [`AnalysisFlag::ALL`] order.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct FlagSet(u16);

impl FlagSet {
    pub fn insert(&mut self, f: AnalysisFlag) {
        self.0 |= 1 << f as u16;
    }
    pub fn contains(&self, f: AnalysisFlag) -> bool {
        self.0 & (1 << f as u16) != 0
    }
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }
    pub fn len(&self) -> usize {
        self.0.count_ones() as usize
    }
    pub fn iter(&self) -> impl Iterator<Item = AnalysisFlag> + '_ {
        AnalysisFlag::ALL.into_iter().filter(|f| self.contains(*f))
    }
    pub fn to_vec(&self) -> Vec<AnalysisFlag> {
        self.iter().collect()
    }
}

impl std::fmt::Debug for FlagSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<const M: usize> PartialEq<[AnalysisFlag; M]> for FlagSet {
    fn eq(&self, other: &[AnalysisFlag; M]) -> bool {
        self.to_vec() == other.as_slice()
    }
}

impl FromIterator<AnalysisFlag> for FlagSet {
    fn from_iter<I: IntoIterator<Item = AnalysisFlag>>(iter: I) -> Self {
        let mut set = FlagSet::default();
        for f in iter {
            set.insert(f);
        }
        set
    }
}

/// Wireshark-grade sequence analysis of one segment. Numbers are relative, like `rel_seq`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SegAnalysis {
    /// Every flag Wireshark sets on this frame, in [`AnalysisFlag::ALL`] order (a fast or
    /// spurious retransmission is also a retransmission).
    pub flags: FlagSet,
    /// The number of this duplicate ACK (1 for the first repeat).
    pub dup_ack_num: Option<u32>,
    /// The sender's next expected sequence number before this segment.
    pub next_seq: Option<u32>,
    /// The last acknowledgment number the receiver sent before this segment.
    pub peer_ack: Option<u32>,
    /// Seconds since the segment this one acknowledges was sent (Wireshark's `ack_rtt`).
    pub ack_rtt: Option<f64>,
    /// Bytes sent and not yet acknowledged after this segment.
    pub bytes_in_flight: Option<u32>,
    /// SACK blocks, relative to the receiver's base (as Wireshark shows them).
    pub sack: crate::inline::InlineVec<(u32, u32), 4>,
    /// The first SACK block reports data already acknowledged (D-SACK, RFC 2883).
    pub dsack: bool,
}

impl SegAnalysis {
    pub fn has(&self, f: AnalysisFlag) -> bool {
        self.flags.contains(f)
    }
}

/// Round-trip time samples of one direction, in seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RttStats {
    pub samples: u64,
    pub min: f64,
    pub max: f64,
    pub sum: f64,
}

impl RttStats {
    pub fn add(&mut self, rtt: f64) {
        // Selections rather than branches (`|`, not `||`): whether a sample is a new minimum
        // or maximum is as good as random, and a mispredicted branch costs more than both.
        let first = self.samples == 0;
        self.min = if first | (rtt < self.min) {
            rtt
        } else {
            self.min
        };
        self.max = if first | (rtt > self.max) {
            rtt
        } else {
            self.max
        };
        self.samples += 1;
        self.sum += rtt;
    }
    pub fn avg(&self) -> Option<f64> {
        (self.samples > 0).then(|| self.sum / self.samples as f64)
    }
}

/// Zeek's and Wireshark's connection-level figures, added to [`ConnSummary`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fidelity {
    /// Zeek's `conn_state` (S0 S1 SF REJ S2 S3 RSTO RSTR RSTOS0 RSTRH SH SHR OTH).
    pub conn_state: &'static str,
    /// Zeek's `history`, upper case for Zeek's originator.
    pub history: History,
    /// SYN → SYN-ACK → ACK, in seconds (Wireshark's iRTT).
    pub irtt: Option<f64>,
    /// RTT samples of data sent each way (client→server data acknowledged by the server).
    pub rtt_c2s: RttStats,
    pub rtt_s2c: RttStats,
    /// Payload bytes sent again (segments Wireshark flags as retransmissions).
    pub retransmitted_bytes: PerDir,
    /// The most bytes in flight (sent, not yet acknowledged) each way.
    pub max_in_flight: PerDir,
}

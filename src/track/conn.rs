//! One connection: two endpoints and the transition table that moves them.
//!
//! States are inferred passively from both directions. A segment changes its sender's state
//! when it is sent (SYN, FIN, RST) and its receiver's state when it arrives (the ACK of a SYN
//! or FIN, a FIN, an RST), as in the ladder diagrams of RFC 9293 section 3.6. One exception:
//! a server is shown in LISTEN until it answers the SYN, because a SYN that is refused or
//! never answered shows that nobody was listening.

use super::analysis::{self, FlowAnalysis, SynTiming};
use super::endpoint::{Endpoint, TcpState};
use super::seq::SeqNum;
use super::zeek::ZeekConn;
use crate::decode::Segment;
use crate::event::{
    CloseKind, ConnSummary, Dir, Fidelity, History, Label, Note, NoteSet, Origin, PerDir,
    SegAnalysis, Side, StateChange, StatePath, WaveShape, WaveStep,
};
use crate::inline::InlineVec;
use crate::source::Timestamp;
use std::net::SocketAddr;

/// What the tracker concluded about one segment.
#[derive(Clone, Debug)]
pub struct Analysis {
    pub dir: Dir,
    pub rel_seq: u32,
    pub rel_ack: u32,
    pub label: Label,
    /// At most one change per side.
    pub changes: InlineVec<StateChange, 2>,
    pub notes: NoteSet,
    /// The window in bytes, when the scale factor is known.
    pub scaled_win: Option<u64>,
    /// This segment made the shape of the close known (for the first FIN's label).
    pub resolved: Option<WaveShape>,
    /// Wireshark's sequence analysis of this segment.
    pub tcp: SegAnalysis,
}

impl Default for Analysis {
    fn default() -> Self {
        Analysis {
            dir: Dir::C2S,
            rel_seq: 0,
            rel_ack: 0,
            label: Label::NoFlags,
            changes: InlineVec::new(),
            notes: NoteSet::default(),
            scaled_win: None,
            resolved: None,
            tcp: SegAnalysis::default(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Connection {
    pub client: Endpoint,
    pub server: Endpoint,
    pub start: Timestamp,
    pub last: Timestamp,
    pub origin: Origin,
    syn_ts: Option<Timestamp>,
    /// NaN while not known (no time difference is NaN): 8 bytes, not an `Option`'s 16.
    handshake_rtt: f64,
    first_fin: Option<Side>,
    wave_shape: WaveShape,
    wave_pending: bool,
    closed_by: Option<Side>,
    /// The client is the first endpoint of the connection's key (the lower address and
    /// port), so that a segment's direction follows from the key's order
    /// ([`Connection::dir_from`]).
    client_first: bool,
    rst: bool,
    refused: bool,
    server_sent: bool,
    half_close: bool,
    client_path: StatePath,
    server_path: StatePath,
    /// Wireshark's per-direction sequence analysis (client's data, server's data).
    c_flow: FlowAnalysis,
    s_flow: FlowAnalysis,
    syn: SynTiming,
    zeek: ZeekConn,
}

impl Connection {
    /// Start tracking with the first segment seen; it decides who is the client.
    pub fn new(seg: &Segment, ts: Timestamp) -> Connection {
        let (client, server, origin, client_state, server_state) = roles(seg);
        let client_addr = client;
        let mut client = Endpoint::new(client, client_state);
        if origin == Origin::SynAckFirst {
            // The SYN-ACK acknowledges the client's ISN + 1.
            client.isn.set(SeqNum(seg.ack.wrapping_sub(1)));
        }
        Connection {
            client,
            server: Endpoint::new(server, server_state),
            start: ts,
            last: ts,
            origin,
            syn_ts: None,
            handshake_rtt: f64::NAN,
            first_fin: None,
            wave_shape: WaveShape::Unknown,
            wave_pending: false,
            closed_by: None,
            client_first: is_first(client_addr, server),
            rst: false,
            refused: false,
            server_sent: false,
            half_close: false,
            client_path: [client_state].into_iter().collect(),
            server_path: [server_state].into_iter().collect(),
            c_flow: FlowAnalysis::default(),
            s_flow: FlowAnalysis::default(),
            syn: SynTiming::default(),
            zeek: ZeekConn::new(seg, client_addr),
        }
    }

    /// This connection (a retired one, whose buffers were released) made into
    /// `Connection::new(seg, ts)` in place, field by field: assigning a new connection
    /// whole built it apart and copied its kilobyte in (≈ 4 % of tracking on a million
    /// connections). The pattern names every field, so a new one cannot be forgotten here.
    pub fn reset(&mut self, seg: &Segment, ts: Timestamp) {
        let (client_addr, server_addr, new_origin, client_state, server_state) = roles(seg);
        let Connection {
            client,
            server,
            start,
            last,
            origin,
            syn_ts,
            handshake_rtt,
            first_fin,
            wave_shape,
            wave_pending,
            closed_by,
            client_first,
            rst,
            refused,
            server_sent,
            half_close,
            client_path,
            server_path,
            c_flow,
            s_flow,
            syn,
            zeek,
        } = self;
        *client = Endpoint::new(client_addr, client_state);
        if new_origin == Origin::SynAckFirst {
            client.isn.set(SeqNum(seg.ack.wrapping_sub(1)));
        }
        *server = Endpoint::new(server_addr, server_state);
        *start = ts;
        *last = ts;
        *origin = new_origin;
        *syn_ts = None;
        *handshake_rtt = f64::NAN;
        *first_fin = None;
        *wave_shape = WaveShape::Unknown;
        *wave_pending = false;
        *closed_by = None;
        *client_first = is_first(client_addr, server_addr);
        *rst = false;
        *refused = false;
        *server_sent = false;
        *half_close = false;
        *client_path = [client_state].into_iter().collect();
        *server_path = [server_state].into_iter().collect();
        c_flow.reset();
        s_flow.reset();
        *syn = SynTiming::default();
        zeek.reset(seg, client_addr);
    }

    /// The time from the client's SYN to the ACK that completed the handshake, when known.
    fn handshake_rtt(&self) -> Option<f64> {
        (!self.handshake_rtt.is_nan()).then_some(self.handshake_rtt)
    }

    /// The direction of a segment whose source is the first endpoint of the connection's key
    /// (`src_first`) or not: the same as [`Connection::dir_of`], without comparing addresses.
    pub fn dir_from(&self, src_first: bool) -> Dir {
        if src_first == self.client_first {
            Dir::C2S
        } else {
            Dir::S2C
        }
    }

    pub fn dir_of(&self, seg: &Segment) -> Dir {
        // Ports first: they nearly always differ, and compare in one instruction.
        if seg.src.port() == self.client.addr.port()
            && seg.dst.port() == self.server.addr.port()
            && seg.src == self.client.addr
            && seg.dst == self.server.addr
        {
            Dir::C2S
        } else {
            Dir::S2C
        }
    }

    pub fn endpoint(&self, side: Side) -> &Endpoint {
        match side {
            Side::Client => &self.client,
            Side::Server => &self.server,
        }
    }

    /// Is this a SYN that opens a new connection on the same ports (port reuse)? Wireshark's
    /// rule: a SYN whose sequence number differs from the sender's base.
    pub fn is_reuse(&self, seg: &Segment) -> bool {
        if !seg.flags.syn() || seg.flags.ack() {
            return false;
        }
        let sender = self.endpoint(self.dir_of(seg).sender());
        matches!(sender.base.get(), Some(base) if base != seg.seq)
    }

    /// (sender, receiver) for a direction.
    fn sides_mut(&mut self, dir: Dir) -> (&mut Endpoint, &mut Endpoint) {
        match dir {
            Dir::C2S => (&mut self.client, &mut self.server),
            Dir::S2C => (&mut self.server, &mut self.client),
        }
    }

    /// A connection attempt nobody has answered yet (only the client's SYNs so far).
    pub fn is_unanswered_attempt(&self) -> bool {
        !self.server_sent && self.origin == Origin::Handshake && !self.rst
    }

    /// A finished connection keeps only what its summary and late segments need.
    pub fn compact(&mut self) {
        self.c_flow.release_buffers();
        self.s_flow.release_buffers();
    }

    /// A retired connection, summarised, whose slot waits to be reused: give back every
    /// buffer it holds, so that waiting slots hold no more than their own kilobyte.
    pub fn release_buffers(&mut self) {
        self.compact();
        self.zeek.release_buffers();
    }

    /// Has the close finished (both FINs acknowledged, or reset)?
    pub fn is_finished(&self) -> bool {
        // `|` and `&`, not `||` and `&&`: no branches on values that vary from segment to
        // segment (tested twice a segment).
        self.rst | (self.client.fin_acked & self.server.fin_acked)
    }

    /// Process one segment: relative numbers, state transitions, label.
    pub fn on_segment(&mut self, seg: &Segment, ts: Timestamp) -> Analysis {
        let mut out = Analysis::default();
        self.on_segment_as::<true>(seg, self.dir_of(seg), ts, &mut out);
        out
    }

    /// [`Connection::on_segment`], written into `out` (every field) when `DETAIL`; without
    /// it, only what the connection's summary needs is worked out and `out` is left as it was
    /// (summaries only: nothing reads it). The tracker keeps one `Analysis` for this: nothing
    /// is copied. Built apart and returned, it was copied at once with wide loads over the
    /// narrow stores just made, which stalled on store forwarding (bench/README.md).
    /// `dir` is the segment's direction ([`Connection::dir_of`], or from the key's order).
    pub fn on_segment_as<const DETAIL: bool>(
        &mut self,
        seg: &Segment,
        dir: Dir,
        ts: Timestamp,
        out: &mut Analysis,
    ) {
        let side = dir.sender();
        let before = (self.client.state, self.server.state);
        let first_segment = self.client.segments + self.server.segments == 0;
        self.last = ts;
        self.server_sent |= dir == Dir::S2C;
        let flags = seg.flags;
        let (syn, ackf, fin, rst) = (flags.syn(), flags.ack(), flags.fin(), flags.rst());
        let len = seg.payload_len;
        let seq = SeqNum(seg.seq);
        let mut notes = NoteSet::default();
        let mut resolved = None;

        let (s, r) = self.sides_mut(dir);

        // Relative numbers, exactly as Wireshark derives its bases.
        let s_base = s.base.get_or_insert(if syn {
            seg.seq
        } else {
            seg.seq.wrapping_sub(1)
        });
        if ackf && r.base.is_none() {
            r.base.set(seg.ack.wrapping_sub(1));
        }
        let rel_seq = seg.seq.wrapping_sub(s_base);
        let rel_ack = if ackf {
            seg.ack.wrapping_sub(r.base.get().unwrap_or(0))
        } else {
            seg.ack
        };

        s.segments += 1;
        s.bytes += u64::from(len);
        if syn {
            s.mss = seg.options.mss.or(s.mss);
            s.window_scale = seg.options.window_scale;
        }
        let scaled_win = match (s.isn.get(), r.isn.get()) {
            _ if syn => Some(u64::from(seg.window)),
            (Some(_), Some(_)) => match (s.window_scale, r.window_scale) {
                (Some(shift), Some(_)) => Some(u64::from(seg.window) << shift.min(14)),
                _ => Some(u64::from(seg.window)),
            },
            _ => None,
        };

        // Flag combinations a stack would reject.
        if syn && fin {
            notes.insert(Note::OddFlags("SYN+FIN"));
        }
        if syn && rst {
            notes.insert(Note::OddFlags("SYN+RST"));
        }
        if fin && rst {
            notes.insert(Note::OddFlags("FIN+RST"));
        }
        if fin && !ackf && !syn {
            notes.insert(Note::OddFlags("FIN without ACK"));
        }
        if seg.window == 0 && !rst && !syn {
            notes.insert(Note::ZeroWindow);
        }

        let prev_ack = s.highest_ack.get();
        if ackf {
            s.highest_ack.set(match prev_ack {
                Some(prev) if prev >= SeqNum(seg.ack) => prev,
                _ => SeqNum(seg.ack),
            });
        }
        let end = seq.plus(len).plus(u32::from(syn)).plus(u32::from(fin));
        let retransmitted_data =
            len > 0 && matches!(s.next_seq.get(), Some(next) if seq.plus(len) <= next);
        if s.next_seq.get().is_none_or(|next| end > next) {
            s.next_seq.set(end);
        }

        let mut label = None;
        let mut refused = false;
        if rst {
            refused = dir == Dir::S2C && r.state == TcpState::SynSent && !s.synack_sent;
            label = Some(if refused {
                Label::Refused
            } else if matches!(s.state, TcpState::Closed | TcpState::TimeWait)
                && matches!(r.state, TcpState::Closed | TcpState::TimeWait)
            {
                Label::ResetAfterClose
            } else {
                Label::Reset
            });
            s.state = TcpState::Closed;
            r.state = TcpState::Closed;
        } else {
            // SYN: the sender opens; a receiver in SYN_SENT sees a simultaneous open.
            if syn {
                let retrans =
                    s.isn.get() == Some(seq) && if ackf { s.synack_sent } else { s.syn_sent };
                if s.isn.is_none() || !retrans {
                    s.isn.set(seq);
                }
                if ackf {
                    s.synack_sent = true;
                    if matches!(
                        s.state,
                        TcpState::Closed | TcpState::Listen | TcpState::SynSent
                    ) {
                        s.state = TcpState::SynReceived;
                    }
                    if matches!(r.state, TcpState::SynSent | TcpState::SynReceived)
                        && r.syn_acked_by(seg.ack)
                    {
                        r.state = TcpState::Established;
                    }
                    label = Some(if retrans {
                        Label::SynAckRetransmit
                    } else {
                        Label::SynAck
                    });
                } else {
                    s.syn_sent = true;
                    if matches!(s.state, TcpState::Closed | TcpState::Listen) {
                        s.state = TcpState::SynSent;
                    }
                    let crossing = r.state == TcpState::SynSent && r.syn_sent && !retrans;
                    if crossing {
                        r.state = TcpState::SynReceived;
                    }
                    label = Some(if retrans {
                        Label::SynRetransmit
                    } else if crossing {
                        Label::SimultaneousSyn
                    } else {
                        Label::Syn
                    });
                }
            }

            // ACK: completes the receiver's handshake, or acknowledges its FIN.
            let mut completed_handshake = false;
            let mut acked_fin = false;
            let fin_was_acked = r.fin_acked;
            if ackf && !syn {
                if r.state == TcpState::SynReceived && r.syn_acked_by(seg.ack) {
                    r.state = TcpState::Established;
                    completed_handshake = true;
                }
                if !r.fin_acked && r.fin_acked_by(seg.ack) {
                    r.fin_acked = true;
                    acked_fin = true;
                    r.state = match r.state {
                        TcpState::FinWait1 => TcpState::FinWait2,
                        TcpState::Closing => TcpState::TimeWait,
                        TcpState::LastAck => TcpState::Closed,
                        other => other,
                    };
                }
            }

            // FIN: the sender closes its side; the receiver learns of it.
            let mut first_fin_of_sender = false;
            if fin && s.fin_seq.is_none() {
                first_fin_of_sender = true;
                s.fin_seq.set(seq.plus(len).plus(u32::from(syn)));
                // A FIN that does not acknowledge the peer's FIN was sent before the peer's
                // FIN arrived: both FINs crossed (simultaneous close, RFC 9293 figure 13).
                let crossed = r.fin_seq.is_some() && !(ackf && r.fin_acked_by(seg.ack));
                s.state = match s.state {
                    TcpState::Established | TcpState::SynReceived => TcpState::FinWait1,
                    TcpState::CloseWait if crossed => TcpState::Closing,
                    TcpState::CloseWait => TcpState::LastAck,
                    other => other,
                };
                r.state = match r.state {
                    TcpState::Established | TcpState::SynReceived => TcpState::CloseWait,
                    TcpState::FinWait1 if r.fin_acked => TcpState::TimeWait,
                    TcpState::FinWait1 => TcpState::Closing,
                    TcpState::FinWait2 => TcpState::TimeWait,
                    other => other,
                };
            }
            let peer_has_closed = r.fin_seq.is_some();
            let sender_fin_sent = s.fin_seq.is_some();

            if completed_handshake {
                if let Some(syn_ts) = self.syn_ts {
                    if self.handshake_rtt.is_nan() {
                        self.handshake_rtt = ts.since(syn_ts);
                    }
                }
            }

            // The wave: first FIN, its ACK, the second FIN, the last ACK.
            if first_fin_of_sender {
                self.closed_by.get_or_insert(side);
                match self.first_fin {
                    None => {
                        self.first_fin = Some(side);
                        self.wave_pending = true;
                        label = Some(Label::Wave {
                            step: WaveStep::FirstFin,
                            shape: WaveShape::Unknown,
                            data: len,
                        });
                    }
                    Some(_) => {
                        let shape = if fin_was_acked {
                            WaveShape::FourWay
                        } else if acked_fin {
                            WaveShape::ThreeWay
                        } else {
                            WaveShape::Simultaneous
                        };
                        self.wave_shape = shape;
                        if std::mem::take(&mut self.wave_pending) {
                            resolved = Some(shape);
                        }
                        label = Some(Label::Wave {
                            step: WaveStep::SecondFin,
                            shape,
                            data: len,
                        });
                    }
                }
            } else if acked_fin && label.is_none() {
                let acking_first = self.first_fin == Some(side.other());
                if acking_first && !sender_fin_sent {
                    self.wave_shape = WaveShape::FourWay;
                    if std::mem::take(&mut self.wave_pending) {
                        resolved = Some(WaveShape::FourWay);
                    }
                }
                if len == 0 {
                    let step = match (acking_first, sender_fin_sent) {
                        (true, false) => WaveStep::AckOfFirstFin,
                        (true, true) => WaveStep::AckOfFirstFinLate,
                        (false, _) => WaveStep::LastAck,
                    };
                    label = Some(Label::Wave {
                        step,
                        shape: self.wave_shape,
                        data: 0,
                    });
                } else {
                    notes.insert(Note::AcksFin);
                }
            }

            if label.is_none() && completed_handshake {
                label = Some(Label::HandshakeAck { data: len });
            }
            if len > 0 && peer_has_closed && !fin {
                notes.insert(Note::AfterPeerFin);
                self.half_close = true;
            }
            if label.is_none() {
                label = Some(if len > 0 {
                    if retransmitted_data {
                        Label::DataRetransmit { len }
                    } else {
                        Label::Data { len }
                    }
                } else if fin {
                    Label::FinRetransmit
                } else if flags.0 == 0 {
                    Label::NoFlags
                } else if ackf {
                    match prev_ack {
                        Some(prev) if SeqNum(seg.ack) > prev => Label::AckOfData {
                            bytes: SeqNum(seg.ack).diff(prev) as u64,
                        },
                        _ => Label::Ack,
                    }
                } else {
                    Label::NoFlags
                });
            }
        }
        if syn && !ackf && dir == Dir::C2S && self.syn_ts.is_none() {
            self.syn_ts = Some(ts);
        }
        if rst {
            self.rst = true;
            self.refused |= refused;
            self.closed_by.get_or_insert(side);
        }
        if first_segment {
            match self.origin {
                Origin::MidStream => notes.insert(Note::JoinedMidStream),
                Origin::SynAckFirst => notes.insert(Note::SynNotCaptured),
                Origin::Handshake => {}
            }
        }

        let (fwd_base, rev_base) = match dir {
            Dir::C2S => (self.client.base.get(), self.server.base.get()),
            Dir::S2C => (self.server.base.get(), self.client.base.get()),
        };
        let cx = analysis::Context {
            ts,
            fwd_base: fwd_base.unwrap_or(0),
            rev_base: rev_base.unwrap_or(0),
        };
        // One call with the two directions' analyses in order, not one call per direction:
        // inlined, each call is a copy of the whole analysis.
        let (fwd, rev) = match dir {
            Dir::C2S => (&mut self.c_flow, &mut self.s_flow),
            Dir::S2C => (&mut self.s_flow, &mut self.c_flow),
        };
        analysis::analyze::<DETAIL>(fwd, rev, &mut self.syn, seg, cx, &mut out.tcp);
        self.zeek.on_segment(seg, dir == Dir::C2S);

        if self.client.state != before.0 {
            self.client_path.push(self.client.state);
        }
        if self.server.state != before.1 {
            self.server_path.push(self.server.state);
        }
        if !DETAIL {
            return;
        }
        out.dir = dir;
        out.rel_seq = rel_seq;
        out.rel_ack = rel_ack;
        out.label = label.unwrap_or(Label::NoFlags);
        out.changes = InlineVec::new();
        out.notes = notes;
        out.scaled_win = scaled_win;
        out.resolved = resolved;
        if self.client.state != before.0 {
            out.changes.push(StateChange {
                side: Side::Client,
                from: before.0,
                to: self.client.state,
            });
        }
        if self.server.state != before.1 {
            out.changes.push(StateChange {
                side: Side::Server,
                from: before.1,
                to: self.server.state,
            });
        }
    }

    /// How the connection ended (so far).
    pub fn close_kind(&self) -> CloseKind {
        let fins =
            usize::from(self.client.fin_seq.is_some()) + usize::from(self.server.fin_seq.is_some());
        if self.refused {
            CloseKind::Refused
        } else if fins == 2 {
            match self.wave_shape {
                WaveShape::ThreeWay => CloseKind::ThreeWay,
                WaveShape::Simultaneous => CloseKind::Simultaneous,
                WaveShape::FourWay | WaveShape::Unknown => CloseKind::FourWay,
            }
        } else if self.rst {
            CloseKind::Reset
        } else if fins == 1 {
            CloseKind::HalfClosed
        } else if !self.server_sent && self.client.syn_sent && self.origin == Origin::Handshake {
            CloseKind::NoAnswer
        } else {
            CloseKind::Open
        }
    }

    /// The summary of a connection about to be dropped: its state paths and history move
    /// into it rather than being copied.
    pub fn take_summary(&mut self, id: u64) -> ConnSummary {
        let mut summary = self.summary(id);
        summary.client_path = std::mem::take(&mut self.client_path);
        summary.server_path = std::mem::take(&mut self.server_path);
        summary.fidelity.history = self.zeek.take_history();
        summary
    }

    fn fidelity(&self) -> Fidelity {
        Fidelity {
            conn_state: self.zeek.conn_state(),
            history: History::new(),
            irtt: self.handshake_rtt(),
            rtt_c2s: self.c_flow.rtt,
            rtt_s2c: self.s_flow.rtt,
            retransmitted_bytes: PerDir {
                c2s: self.c_flow.retransmitted_bytes,
                s2c: self.s_flow.retransmitted_bytes,
            },
            max_in_flight: PerDir {
                c2s: self.c_flow.max_in_flight,
                s2c: self.s_flow.max_in_flight,
            },
        }
    }

    /// The summary so far, without the state paths and history (those come with
    /// [`Connection::take_summary`]).
    fn summary(&self, id: u64) -> ConnSummary {
        ConnSummary {
            conn: id,
            client: self.client.addr,
            server: self.server.addr,
            start: self.start,
            rel_start: 0.0,
            duration: self.last.since(self.start),
            segments: PerDir {
                c2s: self.client.segments,
                s2c: self.server.segments,
            },
            bytes: PerDir {
                c2s: self.client.bytes,
                s2c: self.server.bytes,
            },
            handshake_rtt: self.handshake_rtt(),
            close: self.close_kind(),
            half_close: self.half_close,
            closed_by: self.closed_by,
            origin: self.origin,
            client_state: self.client.state,
            server_state: self.server.state,
            client_path: StatePath::new(),
            server_path: StatePath::new(),
            fidelity: self.fidelity(),
        }
    }
}

/// Is `client` the first endpoint of the connection's key, which puts the lower first?
fn is_first(client: SocketAddr, server: SocketAddr) -> bool {
    super::KeyAddr::of(&client) <= super::KeyAddr::of(&server)
}

/// Who is the client and who the server of a connection whose first segment is `seg`, how it
/// was joined, and the two sides' first states.
fn roles(seg: &Segment) -> (SocketAddr, SocketAddr, Origin, TcpState, TcpState) {
    match (seg.flags.syn(), seg.flags.ack()) {
        (true, false) => (
            seg.src,
            seg.dst,
            Origin::Handshake,
            TcpState::Closed,
            TcpState::Listen,
        ),
        (true, true) => (
            seg.dst,
            seg.src,
            Origin::SynAckFirst,
            TcpState::SynSent,
            TcpState::Listen,
        ),
        // Mid-stream: the side that sent first is taken as the client (as tshark's
        // conversations do); the connection is marked as joined mid-stream.
        _ => (
            seg.src,
            seg.dst,
            Origin::MidStream,
            TcpState::Established,
            TcpState::Established,
        ),
    }
}

//! Tracker tests, by state: each test drives both endpoints through one story and checks the
//! states, labels and close verdict at every step (fixtures in the style of smoltcp's).

use super::*;
use crate::decode::{Segment, TcpFlags, TcpOptions};
use crate::event::{CloseKind, Label, Note, Origin, WaveShape, WaveStep};
use TcpState::*;

const SYN: u16 = TcpFlags::SYN;
const ACK: u16 = TcpFlags::ACK;
const FIN: u16 = TcpFlags::FIN;
const RST: u16 = TcpFlags::RST;
const PSH: u16 = TcpFlags::PSH;

const CLIENT_ISN: u32 = 1000;
const SERVER_ISN: u32 = 5000;

/// A conversation between 10.0.0.1:40000 (client) and 10.0.0.2:7788 (server).
struct Talk {
    tracker: Tracker,
    micros: i64,
}

impl Talk {
    fn new() -> Talk {
        Talk {
            tracker: Tracker::new(),
            micros: 0,
        }
    }

    fn send(&mut self, from_client: bool, flags: u16, seq: u32, ack: u32, len: u32) -> Tracked {
        let (c, s) = (
            "10.0.0.1:40000".parse().unwrap(),
            "10.0.0.2:7788".parse().unwrap(),
        );
        let (src, dst) = if from_client { (c, s) } else { (s, c) };
        let seg = Segment {
            src,
            dst,
            seq,
            ack,
            flags: TcpFlags(flags),
            window: 512,
            options: TcpOptions::default(),
            payload_len: len,
            captured_payload: len,
        };
        self.micros += 100;
        let ts = crate::source::Timestamp::new(
            self.micros / 1_000_000,
            (self.micros % 1_000_000) as u32 * 1000,
        );
        self.tracker.on_segment(&seg, ts)
    }

    fn c(&mut self, flags: u16, seq: u32, ack: u32, len: u32) -> Tracked {
        self.send(true, flags, seq, ack, len)
    }

    fn s(&mut self, flags: u16, seq: u32, ack: u32, len: u32) -> Tracked {
        self.send(false, flags, seq, ack, len)
    }

    fn summary(&mut self) -> crate::event::ConnSummary {
        let mut all = self.tracker.finish();
        assert_eq!(all.len(), 1, "one connection expected");
        *all.remove(0)
    }
}

fn states(t: &Tracked) -> (TcpState, TcpState) {
    (t.client_state, t.server_state)
}

/// Fixture: a completed handshake (client seq 1001, server seq 5001 next).
fn established() -> Talk {
    let mut t = Talk::new();
    t.c(SYN, CLIENT_ISN, 0, 0);
    t.s(SYN | ACK, SERVER_ISN, CLIENT_ISN + 1, 0);
    let r = t.c(ACK, CLIENT_ISN + 1, SERVER_ISN + 1, 0);
    assert_eq!(states(&r), (Established, Established));
    t
}

fn wave(step: WaveStep, shape: WaveShape) -> Label {
    Label::Wave {
        step,
        shape,
        data: 0,
    }
}

// --- handshake ---------------------------------------------------------------------------

#[test]
fn three_way_handshake() {
    let mut t = Talk::new();
    let r = t.c(SYN, CLIENT_ISN, 0, 0);
    assert_eq!(states(&r), (SynSent, Listen));
    assert_eq!(r.analysis.label, Label::Syn);
    assert_eq!((r.analysis.rel_seq, r.analysis.rel_ack), (0, 0));
    let r = t.s(SYN | ACK, SERVER_ISN, CLIENT_ISN + 1, 0);
    assert_eq!(states(&r), (Established, SynReceived));
    assert_eq!(r.analysis.label, Label::SynAck);
    assert_eq!((r.analysis.rel_seq, r.analysis.rel_ack), (0, 1));
    let r = t.c(ACK, CLIENT_ISN + 1, SERVER_ISN + 1, 0);
    assert_eq!(states(&r), (Established, Established));
    assert_eq!(r.analysis.label, Label::HandshakeAck { data: 0 });
    assert_eq!((r.analysis.rel_seq, r.analysis.rel_ack), (1, 1));
    let s = t.summary();
    assert_eq!(s.close, CloseKind::Open);
    assert_eq!(s.client_path, [Closed, SynSent, Established]);
    assert_eq!(s.server_path, [Listen, SynReceived, Established]);
    assert!(s.handshake_rtt.is_some_and(|r| (r - 0.0002).abs() < 1e-9));
}

#[test]
fn simultaneous_open() {
    let mut t = Talk::new();
    t.c(SYN, CLIENT_ISN, 0, 0);
    let r = t.s(SYN, SERVER_ISN, 0, 0);
    assert_eq!(r.analysis.label, Label::SimultaneousSyn);
    assert_eq!(states(&r), (SynReceived, SynSent));
    let r = t.c(SYN | ACK, CLIENT_ISN, SERVER_ISN + 1, 0);
    assert_eq!(states(&r), (SynReceived, Established));
    let r = t.s(ACK, SERVER_ISN + 1, CLIENT_ISN + 1, 0);
    assert_eq!(states(&r), (Established, Established));
}

#[test]
fn unanswered_syn() {
    let mut t = Talk::new();
    t.c(SYN, CLIENT_ISN, 0, 0);
    let r = t.c(SYN, CLIENT_ISN, 0, 0);
    assert_eq!(r.analysis.label, Label::SynRetransmit);
    assert_eq!(r.conn, 0, "a retransmitted SYN is the same connection");
    let s = t.summary();
    assert_eq!(s.close, CloseKind::NoAnswer);
    assert_eq!(s.segments.c2s, 2);
}

#[test]
fn refused() {
    let mut t = Talk::new();
    t.c(SYN, CLIENT_ISN, 0, 0);
    let r = t.s(RST | ACK, 0, CLIENT_ISN + 1, 0);
    assert_eq!(r.analysis.label, Label::Refused);
    assert_eq!(states(&r), (Closed, Closed));
    assert_eq!(t.summary().close, CloseKind::Refused);
}

#[test]
fn client_gives_up_with_rst() {
    let mut t = Talk::new();
    t.c(SYN, CLIENT_ISN, 0, 0);
    let r = t.c(RST, CLIENT_ISN + 1, 0, 0);
    assert_eq!(r.analysis.label, Label::Reset);
    assert_eq!(t.summary().close, CloseKind::Reset);
}

#[test]
fn syn_ack_first_means_the_syn_was_missed() {
    let mut t = Talk::new();
    let r = t.s(SYN | ACK, SERVER_ISN, CLIENT_ISN + 1, 0);
    assert_eq!(states(&r), (Established, SynReceived));
    assert!(r.analysis.notes.contains(&Note::SynNotCaptured));
    let r = t.c(ACK, CLIENT_ISN + 1, SERVER_ISN + 1, 0);
    assert_eq!(states(&r), (Established, Established));
    let s = t.summary();
    assert_eq!(s.origin, Origin::SynAckFirst);
    assert_eq!(
        s.client.port(),
        40000,
        "the receiver of the SYN-ACK is the client"
    );
}

// --- data ------------------------------------------------------------------------------------

#[test]
fn data_and_acks() {
    let mut t = established();
    let r = t.c(PSH | ACK, 1001, 5001, 12);
    assert_eq!(r.analysis.label, Label::Data { len: 12 });
    assert_eq!((r.analysis.rel_seq, r.analysis.rel_ack), (1, 1));
    let r = t.s(ACK, 5001, 1013, 0);
    assert_eq!(r.analysis.label, Label::AckOfData { bytes: 12 });
    assert_eq!(r.analysis.rel_ack, 13);
    let r = t.c(PSH | ACK, 1001, 5001, 12);
    assert_eq!(r.analysis.label, Label::DataRetransmit { len: 12 });
    let r = t.s(ACK, 5001, 1013, 0);
    assert_eq!(r.analysis.label, Label::Ack, "nothing new acknowledged");
}

#[test]
fn mid_stream_join() {
    let mut t = Talk::new();
    let r = t.c(PSH | ACK, 77_000, 99_000, 10);
    assert_eq!(states(&r), (Established, Established));
    assert!(r.analysis.notes.contains(&Note::JoinedMidStream));
    assert_eq!(
        (r.analysis.rel_seq, r.analysis.rel_ack),
        (1, 1),
        "Wireshark's bases without a SYN"
    );
    let s = t.summary();
    assert_eq!(s.origin, Origin::MidStream);
    assert_eq!(s.client.port(), 40000, "the side that sent first");
}

#[test]
fn sequence_numbers_wrap() {
    let isn = u32::MAX - 5;
    let mut t = Talk::new();
    t.c(SYN, isn, 0, 0);
    t.s(SYN | ACK, SERVER_ISN, isn.wrapping_add(1), 0);
    t.c(ACK, isn.wrapping_add(1), SERVER_ISN + 1, 0);
    let r = t.c(PSH | ACK, isn.wrapping_add(1), SERVER_ISN + 1, 100);
    assert_eq!(r.analysis.rel_seq, 1);
    let r = t.s(ACK, SERVER_ISN + 1, isn.wrapping_add(101), 0);
    assert_eq!(r.analysis.rel_ack, 101);
    assert_eq!(r.analysis.label, Label::AckOfData { bytes: 100 });
    // The FIN sits past the wrap; its ACK must still be recognised.
    let fin_seq = isn.wrapping_add(101);
    t.c(FIN | ACK, fin_seq, SERVER_ISN + 1, 0);
    let r = t.s(ACK, SERVER_ISN + 1, fin_seq.wrapping_add(1), 0);
    assert_eq!(states(&r), (FinWait2, CloseWait));
}

// --- closes ----------------------------------------------------------------------------------

#[test]
fn four_way_wave() {
    let mut t = established();
    let r = t.c(FIN | ACK, 1001, 5001, 0);
    assert_eq!(states(&r), (FinWait1, CloseWait));
    assert_eq!(
        r.analysis.label,
        wave(WaveStep::FirstFin, WaveShape::Unknown)
    );
    let r = t.s(ACK, 5001, 1002, 0);
    assert_eq!(states(&r), (FinWait2, CloseWait));
    assert_eq!(
        r.analysis.label,
        wave(WaveStep::AckOfFirstFin, WaveShape::FourWay)
    );
    assert_eq!(r.analysis.resolved, Some(WaveShape::FourWay));
    let r = t.s(FIN | ACK, 5001, 1002, 0);
    assert_eq!(states(&r), (TimeWait, LastAck));
    assert_eq!(
        r.analysis.label,
        wave(WaveStep::SecondFin, WaveShape::FourWay)
    );
    let r = t.c(ACK, 1002, 5002, 0);
    assert_eq!(states(&r), (TimeWait, Closed));
    assert_eq!(
        r.analysis.label,
        wave(WaveStep::LastAck, WaveShape::FourWay)
    );
    let s = t.summary();
    assert_eq!(s.close, CloseKind::FourWay);
    assert_eq!(s.closed_by, Some(crate::event::Side::Client));
    assert_eq!(
        s.client_path,
        [Closed, SynSent, Established, FinWait1, FinWait2, TimeWait]
    );
    assert_eq!(
        s.server_path,
        [Listen, SynReceived, Established, CloseWait, LastAck, Closed]
    );
}

#[test]
fn three_segment_close() {
    let mut t = established();
    t.c(FIN | ACK, 1001, 5001, 0);
    let r = t.s(FIN | ACK, 5001, 1002, 0);
    assert_eq!(
        r.analysis.label,
        wave(WaveStep::SecondFin, WaveShape::ThreeWay)
    );
    assert_eq!(r.analysis.resolved, Some(WaveShape::ThreeWay));
    assert_eq!(
        states(&r),
        (TimeWait, LastAck),
        "FIN_WAIT_1 → TIME_WAIT in one step"
    );
    assert_eq!(r.analysis.changes[0].from, FinWait1);
    let r = t.c(ACK, 1002, 5002, 0);
    assert_eq!(
        r.analysis.label,
        wave(WaveStep::LastAck, WaveShape::ThreeWay)
    );
    assert_eq!(states(&r), (TimeWait, Closed));
    assert_eq!(t.summary().close, CloseKind::ThreeWay);
}

#[test]
fn simultaneous_close() {
    let mut t = established();
    t.c(FIN | ACK, 1001, 5001, 0);
    let r = t.s(FIN | ACK, 5001, 1001, 0);
    assert_eq!(states(&r), (Closing, Closing));
    assert_eq!(
        r.analysis.label,
        wave(WaveStep::SecondFin, WaveShape::Simultaneous)
    );
    let r = t.c(ACK, 1002, 5002, 0);
    assert_eq!(states(&r), (Closing, TimeWait));
    let r = t.s(ACK, 5002, 1002, 0);
    assert_eq!(states(&r), (TimeWait, TimeWait));
    assert_eq!(t.summary().close, CloseKind::Simultaneous);
}

#[test]
fn half_close_then_close() {
    let mut t = established();
    t.c(FIN | ACK, 1001, 5001, 0);
    t.s(ACK, 5001, 1002, 0);
    let r = t.s(PSH | ACK, 5001, 1002, 100);
    assert_eq!(r.analysis.label, Label::Data { len: 100 });
    assert!(r.analysis.notes.contains(&Note::AfterPeerFin));
    assert_eq!(states(&r), (FinWait2, CloseWait));
    t.c(ACK, 1002, 5101, 0);
    {
        // The capture could end here: one FIN only.
        let mut copy = Tracker {
            conns: t.tracker.conns.clone(),
            slab: t.tracker.slab.clone(),
            activity: t.tracker.activity.clone(),
            ..Tracker::default()
        };
        assert_eq!(copy.finish()[0].close, CloseKind::HalfClosed);
    }
    t.s(FIN | ACK, 5101, 1002, 0);
    t.c(ACK, 1002, 5102, 0);
    let s = t.summary();
    assert_eq!(s.close, CloseKind::FourWay);
    assert!(s.half_close);
}

#[test]
fn server_closes_first() {
    let mut t = established();
    let r = t.s(FIN | ACK, 5001, 1001, 0);
    assert_eq!(states(&r), (CloseWait, FinWait1));
    t.c(ACK, 1001, 5002, 0);
    t.c(FIN | ACK, 1001, 5002, 0);
    let r = t.s(ACK, 5002, 1002, 0);
    assert_eq!(states(&r), (Closed, TimeWait));
    let s = t.summary();
    assert_eq!(s.closed_by, Some(crate::event::Side::Server));
    assert_eq!(s.server_state, TimeWait);
}

#[test]
fn fin_carrying_data() {
    let mut t = established();
    let r = t.c(FIN | PSH | ACK, 1001, 5001, 5);
    assert_eq!(
        r.analysis.label,
        Label::Wave {
            step: WaveStep::FirstFin,
            shape: WaveShape::Unknown,
            data: 5
        }
    );
    let r = t.s(ACK, 5001, 1007, 0);
    assert_eq!(
        states(&r),
        (FinWait2, CloseWait),
        "the FIN sits after the 5 data bytes"
    );
}

#[test]
fn retransmitted_fin() {
    let mut t = established();
    t.c(FIN | ACK, 1001, 5001, 0);
    let r = t.c(FIN | ACK, 1001, 5001, 0);
    assert_eq!(r.analysis.label, Label::FinRetransmit);
    assert_eq!(states(&r), (FinWait1, CloseWait));
}

#[test]
fn reset_aborts() {
    let mut t = established();
    t.c(PSH | ACK, 1001, 5001, 10);
    let r = t.c(RST | ACK, 1011, 5001, 0);
    assert_eq!(r.analysis.label, Label::Reset);
    assert_eq!(states(&r), (Closed, Closed));
    let s = t.summary();
    assert_eq!(s.close, CloseKind::Reset);
    assert_eq!(s.closed_by, Some(crate::event::Side::Client));
}

#[test]
fn reset_after_a_complete_close_keeps_the_close() {
    let mut t = established();
    t.c(FIN | ACK, 1001, 5001, 0);
    t.s(FIN | ACK, 5001, 1002, 0);
    t.c(ACK, 1002, 5002, 0);
    let r = t.c(RST, 1002, 0, 0);
    assert_eq!(r.analysis.label, Label::ResetAfterClose);
    assert_eq!(t.summary().close, CloseKind::ThreeWay);
}

#[test]
fn odd_flags_are_noted_and_tracking_goes_on() {
    let mut t = Talk::new();
    let r = t.c(SYN | FIN, CLIENT_ISN, 0, 0);
    assert!(r.analysis.notes.contains(&Note::OddFlags("SYN+FIN")));
    let r = t.s(SYN | ACK, SERVER_ISN, CLIENT_ISN + 2, 0);
    assert_eq!(r.analysis.label, Label::SynAck);
    let r = t.c(0, CLIENT_ISN + 2, 0, 0);
    assert_eq!(r.analysis.label, Label::NoFlags);
}

// --- port reuse ------------------------------------------------------------------------------

#[test]
fn new_isn_after_close_is_a_new_connection() {
    let mut t = established();
    t.c(FIN | ACK, 1001, 5001, 0);
    t.s(FIN | ACK, 5001, 1002, 0);
    t.c(ACK, 1002, 5002, 0);
    let r = t.c(SYN, 900_000, 0, 0);
    assert_eq!(r.conn, 1);
    assert_eq!(states(&r), (SynSent, Listen));
    assert_eq!(r.analysis.rel_seq, 0, "relative numbers start again");
    let ended = t
        .tracker
        .next_ended()
        .expect("the old connection is summarised");
    assert_eq!((ended.conn, ended.close), (0, CloseKind::ThreeWay));
    let r = t.c(SYN, 900_000, 0, 0);
    assert_eq!((r.conn, r.analysis.label), (1, Label::SynRetransmit));
}

// --- the look-ahead of annotate ----------------------------------------------------------

#[test]
fn annotate_labels_the_first_fin_with_its_final_shape() {
    use crate::annotate::{Analyzer, AnalyzerOptions};
    use crate::event::Event;
    // Build real frames (raw IPv4) for a handshake and a three-segment close.
    fn frame(c2s: bool, flags: u16, seq: u32, ack: u32) -> Vec<u8> {
        let (a, b) = ([10, 0, 0, 1], [10, 0, 0, 2]);
        let (src, dst, sp, dp) = if c2s {
            (a, b, 40000u16, 7788u16)
        } else {
            (b, a, 7788, 40000)
        };
        let mut f = vec![0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0];
        f.extend_from_slice(&src);
        f.extend_from_slice(&dst);
        f.extend_from_slice(&sp.to_be_bytes());
        f.extend_from_slice(&dp.to_be_bytes());
        f.extend_from_slice(&seq.to_be_bytes());
        f.extend_from_slice(&ack.to_be_bytes());
        f.extend_from_slice(&[0x50, flags as u8, 2, 0, 0, 0, 0, 0]);
        f
    }
    let frames = [
        frame(true, SYN, 1000, 0),
        frame(false, SYN | ACK, 5000, 1001),
        frame(true, ACK, 1001, 5001),
        frame(true, FIN | ACK, 1001, 5001),
        frame(false, FIN | ACK, 5001, 1002),
        frame(true, ACK, 1002, 5002),
    ];
    for lookahead in [true, false] {
        let mut analyzer = Analyzer::new(AnalyzerOptions {
            lookahead,
            ..Default::default()
        });
        let mut labels = Vec::new();
        let mut sink = |ev: Event| -> Result<(), ()> {
            if let Event::Segment(s) = ev {
                labels.push((s.frame, s.label));
            }
            Ok(())
        };
        for (i, bytes) in frames.iter().enumerate() {
            let f = crate::source::Frame {
                number: i as u64 + 1,
                ts: crate::source::Timestamp::new(1, i as u32 * 1000),
                linktype: crate::decode::Linktype::Raw,
                data: bytes,
                orig_len: bytes.len() as u32,
            };
            analyzer.push(&f, &mut sink).unwrap();
        }
        analyzer.finish(&mut sink).unwrap();
        let frames: Vec<u64> = labels.iter().map(|(f, _)| *f).collect();
        assert_eq!(frames, [1, 2, 3, 4, 5, 6], "order is kept");
        let expected = if lookahead {
            WaveShape::ThreeWay
        } else {
            WaveShape::Unknown
        };
        assert_eq!(labels[3].1, wave(WaveStep::FirstFin, expected));
    }
}

/// A retired connection reset for a new one (`Connection::reset`, how the tracker reuses a
/// connection's memory) is the connection `Connection::new` makes, whatever it went through.
#[test]
fn a_reset_connection_is_a_new_one() {
    let seg = |from_client: bool, flags: u16, seq: u32, ack: u32, len: u32| {
        let (c, s): (std::net::SocketAddr, std::net::SocketAddr) = (
            "10.0.0.1:40000".parse().unwrap(),
            "[2001:db8::2]:7788".parse().unwrap(),
        );
        let (src, dst) = if from_client { (c, s) } else { (s, c) };
        Segment {
            src,
            dst,
            seq,
            ack,
            flags: TcpFlags(flags),
            window: if len == 7 { 0 } else { 512 },
            options: TcpOptions {
                timestamps: Some((seq, ack)),
                window_scale: Some(7),
                mss: Some(1460),
                ..TcpOptions::default()
            },
            payload_len: len,
            captured_payload: len,
        }
    };
    let ts = |ms: i64| crate::source::Timestamp::new(ms / 1000, (ms % 1000) as u32 * 1_000_000);
    // A SYN-ACK first, so the Zeek history starts with '^' and the roles are flipped.
    let mut conn = Connection::new(&seg(false, SYN | ACK, SERVER_ISN, CLIENT_ISN + 1, 0), ts(0));
    let story = [
        (true, ACK, CLIENT_ISN + 1, SERVER_ISN + 1, 0),
        (true, ACK | PSH, CLIENT_ISN + 1, SERVER_ISN + 1, 100),
        (true, ACK | PSH, CLIENT_ISN + 201, SERVER_ISN + 1, 100), // a gap
        (true, ACK | PSH, CLIENT_ISN + 1, SERVER_ISN + 1, 100),   // a retransmission
        (false, ACK, SERVER_ISN + 1, CLIENT_ISN + 101, 0),
        (false, ACK | PSH, SERVER_ISN + 1, CLIENT_ISN + 101, 7), // zero window
        (true, FIN | ACK, CLIENT_ISN + 301, SERVER_ISN + 8, 0),
        (false, RST, SERVER_ISN + 8, 0, 0),
    ];
    for (i, &(c, flags, seq, ack, len)) in story.iter().enumerate() {
        conn.on_segment(&seg(c, flags, seq, ack, len), ts(10 * (i as i64 + 1)));
    }
    conn.take_summary(3);
    conn.release_buffers();
    for first in [
        seg(true, SYN, 77, 0, 0),
        seg(false, SYN | ACK, 88, 78, 0),
        seg(true, ACK, 99, 55, 10),
    ] {
        let mut reused = conn.clone();
        reused.reset(&first, ts(500));
        let fresh = Connection::new(&first, ts(500));
        assert_eq!(format!("{reused:?}"), format!("{fresh:?}"));
    }
}

/// A connection must stay within 1,024 bytes. Tracking reads and prefetches the whole
/// connection on every segment, and past a kilobyte it costs a step more: the same build with
/// the connection padded from 888 to 1,104 bytes tracked c1000000 15 % slower (issue 7,
/// bench/README "Ninth round").
#[test]
fn a_connection_fits_in_a_kilobyte() {
    let size = std::mem::size_of::<Connection>();
    assert!(size <= 1024, "a connection takes {size} bytes");
}

/// Eviction's selection, against the plain sort it replaces: the `n` least recently active by
/// (last activity, number), positions ascending, with many equal times, and with times before
/// 1970 (out of the fast key's range).
#[test]
fn least_recent_is_the_oldest_by_time_then_number() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |m: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % m
    };
    let (mut keys, mut out) = (Vec::new(), Vec::new());
    for round in 0..300 {
        let len = 1 + next(200) as usize;
        let activity: Vec<Activity> = (0..len)
            .map(|_| Activity {
                // Few distinct times, so that ties are common; a negative second now and then.
                last: crate::source::Timestamp::new(
                    next(4) as i64 - i64::from(round % 5 == 0),
                    next(3) as u32 * 1000,
                ),
                id: next(1 << 40),
                status: Status::Open,
            })
            .collect();
        // Numbers are unique in a table.
        let mut ids: Vec<u64> = activity.iter().map(|a| a.id).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.len() != len {
            continue;
        }
        let n = 1 + next(len as u64) as usize;
        let mut expected: Vec<usize> = (0..len).collect();
        expected.sort_by_key(|&e| (activity[e].last, activity[e].id));
        expected.truncate(n);
        expected.sort_unstable();
        out.push(usize::MAX); // what was there goes
        least_recent(&activity, n, &mut keys, &mut out);
        assert_eq!(out, expected, "round {round}, n {n}");
    }
}

/// A full table makes room by summarising its least recently active eighth: of two
/// connections last active at the same moment, the older goes; summaries come in order of
/// connection number, and the evictions are counted.
#[test]
fn a_full_table_evicts_the_least_recently_active() {
    let mut tracker = Tracker::with_limits(Limits {
        max_connections: 16,
        ..Limits::default()
    });
    let syn = |port: u16| Segment {
        src: format!("10.0.0.1:{port}").parse().unwrap(),
        dst: "10.0.0.2:80".parse().unwrap(),
        seq: 1,
        ack: 0,
        flags: TcpFlags(SYN),
        window: 512,
        options: TcpOptions::default(),
        payload_len: 0,
        captured_payload: 0,
    };
    let at = |ms: u32| crate::source::Timestamp::new(1_700_000_000, ms * 1_000_000);
    // Connections 0..16 (ports 1000..1016), the first at 1 ms, then one a millisecond; then
    // 0 speaks again at 100 ms, and 1, 2 and 5 all at 101 ms.
    for i in 0..16u16 {
        tracker.on_segment(&syn(1000 + i), at(u32::from(i) + 1));
    }
    tracker.on_segment(&syn(1000), at(100));
    tracker.on_segment(&syn(1001), at(101));
    tracker.on_segment(&syn(1002), at(101));
    tracker.on_segment(&syn(1005), at(101));
    assert!(!tracker.has_ended());
    // A 17th connection: room for it is made by the two least recently active (16 / 8):
    // connections 3 and 4.
    tracker.on_segment(&syn(2000), at(102));
    let ended: Vec<u64> = tracker.take_ended().map(|s| s.conn).collect();
    assert_eq!(ended, [3, 4]);
    assert_eq!(tracker.dropped().evicted, 2);
    // Now connections 6..16 are the oldest; then 0 (100 ms); 1, 2 and 5 tie at 101 ms, and
    // number decides. Fill the table again and evict: 6 and 7 go.
    tracker.on_segment(&syn(2001), at(103));
    tracker.on_segment(&syn(2002), at(104));
    let ended: Vec<u64> = tracker.take_ended().map(|s| s.conn).collect();
    assert_eq!(ended, [6, 7]);
    // 8..16 speak again at 200 ms: the oldest are now 0 (100 ms), then 1, 2 and 5 (tied at
    // 101 ms), then the new connections 16, 17 and 18 (102–104 ms).
    for i in 8..16u16 {
        tracker.on_segment(&syn(1000 + i), at(200));
    }
    tracker.on_segment(&syn(2003), at(201));
    tracker.on_segment(&syn(2004), at(202));
    let ended: Vec<u64> = tracker.take_ended().map(|s| s.conn).collect();
    assert_eq!(ended, [0, 1]);
    tracker.on_segment(&syn(2005), at(203));
    tracker.on_segment(&syn(2006), at(204));
    let ended: Vec<u64> = tracker.take_ended().map(|s| s.conn).collect();
    assert_eq!(ended, [2, 5]);
    assert_eq!(tracker.dropped().evicted, 8);
}

//! Wireshark's TCP sequence analysis, one direction at a time: the rules of packet-tcp.c's
//! `tcp_analyze_sequence_number` (Wireshark 4.0, default preferences), documented in the
//! Wireshark User's Guide, "TCP Analysis". Each rule is a small function over the state
//! Wireshark keeps per direction (`nextseq`, `lastack`, `window`, duplicate-ACK count, the
//! list of unacknowledged segments), so the flags mean exactly what they mean in Wireshark.
//!
//! Pure: time comes from packet timestamps; sequence arithmetic wraps, never panics.

use super::seq::SeqNum;
use crate::decode::Segment;
use crate::event::{AnalysisFlag, FlagSet, RttStats, SegAnalysis};
use crate::inline::SmallDeque;
use crate::source::Timestamp;

/// Wireshark stops recording unacknowledged segments beyond this many per direction.
const MAX_UNACKED: usize = 10_000;
/// A retransmission within this long of the peer's last duplicate ACK is "fast".
const FAST_RETRANS_SECS: f64 = 0.020;
/// A segment this soon after the highest one may be out of order (Wireshark's default).
const DEFAULT_OOO_SECS: f64 = 0.003;
/// TSvals remembered per direction for timestamp RTT samples.
const MAX_TSVALS: usize = 4096;
/// Segments awaiting their ACK, and TSvals awaiting their echo, kept in the connection itself
/// before they move to the heap: most connections never have more.
const UNACKED_IN_PLACE: usize = 2;
const TSVALS_IN_PLACE: usize = 1;

/// One segment sent and not yet acknowledged.
#[derive(Clone, Copy, Debug, Default)]
struct Unacked {
    seq: u32,
    next_seq: u32,
    ts: Timestamp,
    /// Sent once only (Karn: only these give RTT samples without timestamps).
    original: bool,
}

/// What Wireshark remembers of one direction (`tcp_flow_t` and its `tcp_analyze_seq_info`).
/// Zero stands for "not known yet", as in Wireshark.
#[derive(Clone, Debug)]
pub struct FlowAnalysis {
    next_seq: u32,
    next_seq_time: Timestamp,
    max_seq_to_be_acked: u32,
    last_ack: u32,
    last_ack_time: Timestamp,
    /// The last window field (unscaled); `u32::MAX` until a segment is seen.
    window: u32,
    /// -1: not known (no SYN seen); -2: no scaling; else the shift count.
    win_scale: i8,
    /// This direction has sent nothing but SYNs so far (its window is unscaled).
    first_ack: bool,
    dup_ack_num: i32,
    last_flags: FlagSet,
    unacked: SmallDeque<Unacked, UNACKED_IN_PLACE>,
    valid_bif: bool,
    /// Our own figures, beyond Wireshark's per-frame fields.
    pub rtt: RttStats,
    pub retransmitted_bytes: u64,
    pub max_in_flight: u64,
    /// TSval → when this direction first sent it, on segments that occupy sequence space.
    tsvals: SmallDeque<(u32, Timestamp), TSVALS_IN_PLACE>,
}

/// Per connection in Wireshark (`ts_mru_syn`, `ts_first_rtt`): when the latest SYN without
/// ACK was seen, and the time from it to the first segment with ACK and without SYN (the
/// out-of-order threshold once known).
#[derive(Clone, Copy, Debug, Default)]
pub struct SynTiming {
    mru_syn: Option<Timestamp>,
    /// 0 while not known (a zero delta never counts, as in Wireshark).
    first_rtt: f64,
}

impl Default for FlowAnalysis {
    fn default() -> Self {
        FlowAnalysis {
            next_seq: 0,
            next_seq_time: Timestamp::default(),
            max_seq_to_be_acked: 0,
            last_ack: 0,
            last_ack_time: Timestamp::default(),
            window: u32::MAX,
            win_scale: -1,
            first_ack: true,
            dup_ack_num: 0,
            last_flags: FlagSet::default(),
            unacked: SmallDeque::new(),
            valid_bif: true,
            rtt: RttStats::default(),
            retransmitted_bytes: 0,
            max_in_flight: 0,
            tsvals: SmallDeque::new(),
        }
    }
}

impl FlowAnalysis {
    /// As new, in place.
    pub fn reset(&mut self) {
        *self = FlowAnalysis::default();
    }

    /// Give back the buffers of a finished connection (segments awaiting their ACK, sent
    /// timestamps): only late retransmissions could still use them, and those are analysed
    /// from the scalar state. Keeps memory flat while finished connections linger.
    pub fn release_buffers(&mut self) {
        self.unacked = SmallDeque::new();
        self.tsvals = SmallDeque::new();
    }
}

fn gt(a: u32, b: u32) -> bool {
    SeqNum(a) > SeqNum(b)
}
fn lt(a: u32, b: u32) -> bool {
    SeqNum(a) < SeqNum(b)
}
fn le(a: u32, b: u32) -> bool {
    SeqNum(a) <= SeqNum(b)
}

/// What the analysis needs to know of the connection around one segment.
#[derive(Clone, Copy, Debug)]
pub struct Context {
    pub ts: Timestamp,
    /// Relative-number bases of the sender and the receiver.
    pub fwd_base: u32,
    pub rev_base: u32,
}

/// Run Wireshark's sequence analysis of `seg`, sent by `fwd` to `rev`, into `out` when
/// `DETAIL`; without it only the flows' own state and figures (for the summary) are kept up.
pub fn analyze<const DETAIL: bool>(
    fwd: &mut FlowAnalysis,
    rev: &mut FlowAnalysis,
    timing: &mut SynTiming,
    seg: &Segment,
    cx: Context,
    out: &mut SegAnalysis,
) {
    use AnalysisFlag::*;
    let (seq, ack, seglen) = (seg.seq, seg.ack, seg.payload_len);
    let f = seg.flags;
    let (syn, fin, rst, ackf) = (f.syn(), f.fin(), f.rst(), f.ack());
    let sfr = syn || fin || rst;
    let window = u32::from(seg.window);
    let mut flags = FlagSet::default();
    // The result's fields, as locals until the end, where `out` is written in one go.
    let next_seq = (fwd.next_seq != 0).then(|| fwd.next_seq.wrapping_sub(cx.fwd_base));
    let peer_ack = (rev.last_ack != 0).then(|| rev.last_ack.wrapping_sub(cx.fwd_base));
    let mut dup_ack_num = None;
    let mut ack_rtt = None;
    let mut bytes_in_flight = None;

    // Window scaling, as Wireshark settles it on each SYN (verify_tcp_window_scaling).
    if syn {
        if let Some(shift) = seg.options.window_scale {
            fwd.win_scale = shift.min(14) as i8;
        }
        if fwd.win_scale == -1 {
            fwd.win_scale = -2;
            rev.win_scale = -2;
        } else if ackf && rev.win_scale == -2 {
            fwd.win_scale = -2;
        }
    }
    if ackf {
        rev.valid_bif = true;
    }

    'fwd: {
        // ZERO WINDOW PROBE: exactly one byte at the next expected sequence number while
        // the receiver's window is zero.
        if (seglen == 1) & (seq == fwd.next_seq) & (rev.window == 0) {
            flags.insert(ZeroWindowProbe);
            break 'fwd;
        }
        // ZERO WINDOW: window 0 on a segment without SYN, FIN or RST.
        if (window == 0) & !sfr {
            flags.insert(ZeroWindow);
        }
        // LOST SEGMENT: beyond the next expected sequence number (not on RSTs).
        if (fwd.next_seq != 0) & gt(seq, fwd.next_seq) & !rst {
            flags.insert(LostSegment);
            fwd.valid_bif = false;
        }
        // KEEP-ALIVE: 0 or 1 byte, one before the next expected sequence number.
        if (seglen <= 1) & (seq == fwd.next_seq.wrapping_sub(1)) & !sfr {
            flags.insert(KeepAlive);
        }
        // WINDOW UPDATE: no data, same seq and ack, a new non-zero window.
        if (seglen == 0)
            & (window != 0)
            & (window != fwd.window)
            & (seq == fwd.next_seq)
            & (ack == fwd.last_ack)
            & !sfr
        {
            flags.insert(WindowUpdate);
        }
        // WINDOW FULL: data reaching exactly the right edge of the receiver's window.
        if (seglen > 0) & (rev.win_scale != -1) & !sfr {
            let shift = if rev.first_ack || rev.win_scale < 0 {
                0
            } else {
                rev.win_scale as u32
            };
            let edge = rev.last_ack.wrapping_add(rev.window.wrapping_shl(shift));
            if rev.window != u32::MAX && seq.wrapping_add(seglen) == edge {
                flags.insert(WindowFull);
            }
        }
        let repeats = (seglen == 0) & (seq == fwd.next_seq) & (ack == fwd.last_ack) & !sfr;
        // KEEP-ALIVE ACK: repeats the last ACK, answering a keep-alive.
        if repeats && window != 0 && window == fwd.window && rev.last_flags.contains(KeepAlive) {
            flags.insert(KeepAliveAck);
            break 'fwd;
        }
        // ZERO WINDOW PROBE ACK: repeats the last ACK and the zero window, answering a probe.
        if repeats
            && window == 0
            && window == fwd.window
            && rev.last_flags.contains(ZeroWindowProbe)
        {
            flags.insert(ZeroWindowProbeAck);
            break 'fwd;
        }
        // DUPLICATE ACK: no data, same window, same seq and ack as before.
        if repeats && window != 0 && window == fwd.window {
            fwd.dup_ack_num = if fwd.dup_ack_num == -1 {
                1
            } else {
                fwd.dup_ack_num.saturating_add(1)
            };
            flags.insert(DuplicateAck);
            dup_ack_num = Some(fwd.dup_ack_num.max(0) as u32);
        }
    }
    // The ACK moved on: the duplicate-ACK count starts again.
    fwd.dup_ack_num = if ack != fwd.last_ack {
        0
    } else {
        fwd.dup_ack_num
    };

    // ACKED UNSEEN SEGMENT: acknowledges beyond the highest contiguous data seen the other way.
    if (rev.max_seq_to_be_acked != 0) & gt(ack, rev.max_seq_to_be_acked) & ackf {
        // An unsigned comparison in Wireshark, not a sequence-space one.
        if rev.max_seq_to_be_acked > rev.next_seq {
            rev.max_seq_to_be_acked = rev.next_seq;
            flags.insert(AckLostSegment);
        } else {
            if rev.dup_ack_num == 0 {
                flags.insert(AckLostSegment);
            }
            rev.dup_ack_num = -1;
        }
    }

    // RETRANSMISSION / FAST RETRANSMISSION / OUT-OF-ORDER / SPURIOUS.
    let mut retransmitted = false;
    if ((seglen > 0) | syn | fin) & !flags.contains(KeepAlive) {
        let mut not_advanced = (fwd.next_seq != 0) & lt(seq, fwd.next_seq);
        // More than one byte starting just before nextseq adds new data (after a probe).
        if (seglen > 1) & (fwd.next_seq.wrapping_sub(1) == seq) {
            not_advanced = false;
        }
        let since_dup = cx.ts.since(rev.last_ack_time);
        let since_next = cx.ts.since(fwd.next_seq_time);
        // Wireshark's threshold is the connection's first RTT (SYN to the first segment
        // with ACK and without SYN) once it has one, else 3 ms.
        let ooo_thres = if timing.first_rtt != 0.0 {
            timing.first_rtt
        } else {
            DEFAULT_OOO_SECS
        };
        let occupied = seglen.wrapping_add(u32::from(syn || fin)).wrapping_add(seq);
        // Wireshark 4.0 checks for a spurious retransmission (data the receiver has
        // already acknowledged) first; a fast retransmission starts at the receiver's ACK,
        // so the two never meet, but an acknowledged resend soon after the highest segment
        // is spurious, not out of order (tshark 4.0.17 on tests/data/fidelity/loss-out).
        if (seglen > 0) & (rev.last_ack != 0) & le(seq.wrapping_add(seglen), rev.last_ack) {
            flags.insert(SpuriousRetransmission);
            flags.insert(Retransmission);
            retransmitted = true;
        } else if not_advanced
            & (rev.dup_ack_num >= 2)
            & (rev.last_ack == seq)
            & (since_dup < FAST_RETRANS_SECS)
        {
            flags.insert(FastRetransmission);
            flags.insert(Retransmission);
            retransmitted = true;
        } else if not_advanced & (since_next < ooo_thres) & (fwd.next_seq != occupied) {
            flags.insert(OutOfOrder);
        } else if not_advanced {
            flags.insert(Retransmission);
            retransmitted = true;
        }
    }
    if retransmitted {
        fwd.retransmitted_bytes += u64::from(seglen);
    }

    // Remember the segment, the highest sequence number, what to expect next.
    let probe = flags.contains(ZeroWindowProbe);
    let next = seq.wrapping_add(seglen).wrapping_add(u32::from(syn || fin));
    if ((seglen > 0) | syn | fin) & (fwd.unacked.len() < MAX_UNACKED) {
        fwd.unacked.push_front(Unacked {
            seq,
            next_seq: next,
            ts: cx.ts,
            original: !retransmitted && !flags.contains(OutOfOrder),
        });
    }
    if (gt(next, fwd.next_seq) | (fwd.next_seq == 0)) & !probe {
        fwd.next_seq = next;
        fwd.next_seq_time = cx.ts;
    }
    if ((seq == fwd.max_seq_to_be_acked) | (fwd.max_seq_to_be_acked == 0)) & !probe {
        fwd.max_seq_to_be_acked = fwd.next_seq;
    }
    fwd.window = window;
    fwd.last_ack = ack;
    fwd.last_ack_time = cx.ts;
    if !syn {
        fwd.first_ack = false;
    }

    // The connection's first RTT, after the analysis of this segment, as Wireshark's
    // dissect_tcp: from the latest SYN without ACK to the first segment with ACK and without
    // SYN (either way). A zero delta counts as not known yet, as Wireshark's nstime_is_zero.
    if syn && !ackf {
        timing.mru_syn = Some(cx.ts);
    } else if ackf & !syn & (timing.first_rtt == 0.0) {
        if let Some(syn_ts) = timing.mru_syn {
            let rtt = cx.ts.since(syn_ts);
            if rtt != 0.0 {
                timing.first_rtt = rtt;
            }
        }
    }

    // Timestamps: remember this TSval; an echo of the peer's TSval is an RTT sample.
    let ts_opt = seg.options.timestamps;
    if let Some((tsval, _)) = ts_opt {
        if (seglen > 0 || syn || fin) && !fwd.tsvals.iter().any(|(v, _)| *v == tsval) {
            if fwd.tsvals.len() >= MAX_TSVALS {
                fwd.tsvals.pop_front();
            }
            fwd.tsvals.push_back((tsval, cx.ts));
        }
    }

    // The ACK removes what it acknowledges from the other direction's list.
    if ackf {
        let mut sample = None;
        rev.unacked.retain_mut(|u| {
            if ack == u.next_seq {
                if u.original {
                    sample = Some(cx.ts.since(u.ts));
                }
                ack_rtt = Some(cx.ts.since(u.ts));
                false
            } else if gt(ack, u.seq) && le(ack, u.next_seq) {
                u.seq = ack;
                true
            } else {
                gt(u.next_seq, ack)
            }
        });
        // With timestamps, the echoed TSval dates the data it acknowledges (RFC 7323).
        let ts_sample = match ts_opt {
            Some((_, tsecr)) if ackf && tsecr != 0 => {
                let pos = rev.tsvals.iter().position(|(v, _)| *v == tsecr);
                pos.and_then(|p| {
                    let (_, sent) = *rev.tsvals.get(p)?;
                    rev.tsvals.drop_front(p + 1);
                    Some(cx.ts.since(sent))
                })
            }
            _ => None,
        };
        if let Some(rtt) = ts_sample.or(sample) {
            if rtt >= 0.0 && ack_rtt.is_some() {
                rev.rtt.add(rtt);
            }
        }
    }

    // Bytes in flight after this segment (Wireshark's payload-based method).
    if (seglen != 0) & fwd.valid_bif & !fwd.unacked.is_empty() {
        let base = cx.fwd_base;
        let mut first = u32::MAX;
        let mut last = 0u32;
        for u in fwd.unacked.iter() {
            first = first.min(u.seq.wrapping_sub(base));
            last = last.max(u.next_seq.wrapping_sub(base));
        }
        let in_flight = last.wrapping_sub(first);
        if in_flight > 0 && in_flight < 2_000_000_000 {
            let n = in_flight - u32::from(syn || fin);
            bytes_in_flight = Some(n);
            fwd.max_in_flight = fwd.max_in_flight.max(u64::from(n));
        }
    }

    fwd.last_flags = flags;
    if !DETAIL {
        return;
    }
    // SACK blocks, relative to the receiver's base; D-SACK when the first block lies below
    // the cumulative ACK or inside the second block (RFC 2883).
    let sack = seg
        .options
        .sack
        .iter()
        .map(|&(l, r)| (l.wrapping_sub(cx.rev_base), r.wrapping_sub(cx.rev_base)))
        .collect();
    let mut dsack = false;
    if let Some(&(l, r)) = seg.options.sack.first() {
        let below_ack = ackf && le(r, ack);
        let inside_second = seg
            .options
            .sack
            .get(1)
            .is_some_and(|&(l2, r2)| le(l2, l) && le(r, r2));
        dsack = below_ack || inside_second;
    }
    *out = SegAnalysis {
        flags,
        dup_ack_num,
        next_seq,
        peer_ack,
        ack_rtt,
        bytes_in_flight,
        sack,
        dsack,
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{Segment, TcpFlags, TcpOptions};

    const SYN: u16 = 0x002;
    const ACK: u16 = 0x010;
    const FIN: u16 = 0x001;

    fn seg(seq: u32, ack: u32, flags: u16, len: u32, win: u16) -> Segment {
        Segment {
            src: "10.0.0.1:1000".parse().unwrap(),
            dst: "10.0.0.2:80".parse().unwrap(),
            seq,
            ack,
            flags: TcpFlags(flags),
            window: win,
            options: TcpOptions::default(),
            payload_len: len,
            captured_payload: len,
        }
    }

    /// A client and a server flow after a handshake: client ISN 100, server ISN 500.
    struct Pair {
        c: FlowAnalysis,
        s: FlowAnalysis,
        syn: SynTiming,
        t: f64,
    }

    impl Pair {
        fn new() -> Pair {
            let mut p = Pair {
                c: FlowAnalysis::default(),
                s: FlowAnalysis::default(),
                syn: SynTiming::default(),
                t: 0.0,
            };
            p.c2s(seg(100, 0, SYN, 0, 1000), 0.0);
            p.s2c(seg(500, 101, SYN | ACK, 0, 1000), 0.001);
            p.c2s(seg(101, 501, ACK, 0, 1000), 0.002);
            p
        }
        fn cx(&self, ts: f64) -> Context {
            Context {
                ts: Timestamp::new(ts as i64, ((ts.fract()) * 1e9).round() as u32),
                fwd_base: 0,
                rev_base: 0,
            }
        }
        fn c2s(&mut self, s: Segment, dt: f64) -> SegAnalysis {
            self.t += dt;
            let cx = self.cx(self.t);
            let mut out = SegAnalysis::default();
            analyze::<true>(&mut self.c, &mut self.s, &mut self.syn, &s, cx, &mut out);
            out
        }
        fn s2c(&mut self, s: Segment, dt: f64) -> SegAnalysis {
            self.t += dt;
            let cx = self.cx(self.t);
            let mut out = SegAnalysis::default();
            analyze::<true>(&mut self.s, &mut self.c, &mut self.syn, &s, cx, &mut out);
            out
        }
    }

    use AnalysisFlag::*;

    #[test]
    fn clean_handshake_and_data_have_no_flags() {
        let mut p = Pair::new();
        assert!(p.c2s(seg(101, 501, ACK, 10, 1000), 0.01).flags.is_empty());
        let a = p.s2c(seg(501, 111, ACK, 0, 1000), 0.01);
        assert!(a.flags.is_empty());
        assert!(a.ack_rtt.is_some());
        assert_eq!(p.c.rtt.samples, 2, "SYN and data each acknowledged once");
    }

    #[test]
    fn retransmission_after_rto() {
        let mut p = Pair::new();
        p.c2s(seg(101, 501, ACK, 10, 1000), 0.01);
        let a = p.c2s(seg(101, 501, ACK, 10, 1000), 1.0);
        assert_eq!(a.flags, [Retransmission]);
        assert_eq!(p.c.retransmitted_bytes, 10);
    }

    #[test]
    fn duplicate_acks_count_and_fast_retransmission() {
        let mut p = Pair::new();
        p.c2s(seg(101, 501, ACK, 10, 1000), 0.01);
        p.c2s(seg(111, 501, ACK, 10, 1000), 0.0);
        p.c2s(seg(121, 501, ACK, 10, 1000), 0.0);
        // The first segment is lost: the server repeats the ACK of its SYN-ACK (ack 101,
        // same window, no data): each repeat is a duplicate ACK, counted.
        let d1 = p.s2c(seg(501, 101, ACK, 0, 1000), 0.01);
        assert_eq!(
            (d1.flags.to_vec(), d1.dup_ack_num),
            (vec![DuplicateAck], Some(1))
        );
        let d2 = p.s2c(seg(501, 101, ACK, 0, 1000), 0.001);
        assert_eq!(d2.dup_ack_num, Some(2));
        // A new window is not a duplicate ACK but a window update.
        let mut q = Pair::new();
        let wu = q.s2c(seg(501, 101, ACK, 0, 2000), 0.01);
        assert_eq!(wu.flags, [WindowUpdate]);
        let r = p.c2s(seg(101, 501, ACK, 10, 1000), 0.001);
        assert_eq!(r.flags, [Retransmission, FastRetransmission]);
    }

    #[test]
    fn spurious_retransmission_resends_acknowledged_data() {
        let mut p = Pair::new();
        p.c2s(seg(101, 501, ACK, 10, 1000), 0.01);
        p.s2c(seg(501, 111, ACK, 0, 1000), 0.01);
        let a = p.c2s(seg(101, 501, ACK, 10, 1000), 1.0);
        assert_eq!(a.flags, [Retransmission, SpuriousRetransmission]);
    }

    #[test]
    fn out_of_order_and_lost_segment() {
        let mut p = Pair::new();
        let lost = p.c2s(seg(111, 501, ACK, 10, 1000), 0.01);
        assert_eq!(lost.flags, [LostSegment]);
        let ooo = p.c2s(seg(101, 501, ACK, 10, 1000), 0.0005);
        assert_eq!(ooo.flags, [OutOfOrder]);
    }

    #[test]
    fn ack_of_unseen_segment() {
        let mut p = Pair::new();
        p.c2s(seg(101, 501, ACK, 10, 1000), 0.01);
        let a = p.s2c(seg(501, 131, ACK, 0, 1000), 0.01);
        assert_eq!(a.flags, [AckLostSegment]);
    }

    #[test]
    fn keep_alive_and_its_ack() {
        let mut p = Pair::new();
        p.c2s(seg(101, 501, ACK, 10, 1000), 0.01);
        p.s2c(seg(501, 111, ACK, 0, 1000), 0.01);
        let ka = p.c2s(seg(110, 501, ACK, 0, 1000), 60.0);
        assert_eq!(ka.flags, [KeepAlive]);
        let kaa = p.s2c(seg(501, 111, ACK, 0, 1000), 0.001);
        assert_eq!(kaa.flags, [KeepAliveAck]);
    }

    #[test]
    fn zero_window_probe_update() {
        let mut p = Pair::new();
        p.c2s(seg(101, 501, ACK, 10, 1000), 0.01);
        let zw = p.s2c(seg(501, 111, ACK, 0, 0), 0.01);
        assert_eq!(zw.flags, [ZeroWindow]);
        let probe = p.c2s(seg(111, 501, ACK, 1, 1000), 0.5);
        assert_eq!(probe.flags, [ZeroWindowProbe]);
        let pa = p.s2c(seg(501, 111, ACK, 0, 0), 0.001);
        assert_eq!(pa.flags, [ZeroWindow, ZeroWindowProbeAck]);
        let up = p.s2c(seg(501, 111, ACK, 0, 1000), 0.5);
        assert_eq!(up.flags, [WindowUpdate]);
    }

    #[test]
    fn window_full_reaches_the_right_edge() {
        let mut p = Pair::new();
        // The server's window is 1000 (no scaling) from ack 501... here ack 101.
        let a = p.c2s(seg(101, 501, ACK, 1000, 1000), 0.01);
        assert_eq!(a.flags, [WindowFull]);
    }

    #[test]
    fn fin_retransmission() {
        let mut p = Pair::new();
        p.c2s(seg(101, 501, ACK | FIN, 0, 1000), 0.01);
        let a = p.c2s(seg(101, 501, ACK | FIN, 0, 1000), 1.0);
        assert_eq!(a.flags, [Retransmission]);
    }

    #[test]
    fn wrapping_sequence_numbers_do_not_panic() {
        let mut c = FlowAnalysis::default();
        let mut s = FlowAnalysis::default();
        let mut syn = SynTiming::default();
        let cx = Context {
            ts: Timestamp::new(0, 0),
            fwd_base: u32::MAX,
            rev_base: 0,
        };
        for seq in [u32::MAX - 1, u32::MAX, 0, 5, u32::MAX - 10] {
            let mut out = SegAnalysis::default();
            analyze::<true>(
                &mut c,
                &mut s,
                &mut syn,
                &seg(seq, u32::MAX, ACK, 7, 0),
                cx,
                &mut out,
            );
            analyze::<true>(
                &mut s,
                &mut c,
                &mut syn,
                &seg(3, seq, ACK, 0, 65535),
                cx,
                &mut out,
            );
        }
    }
}

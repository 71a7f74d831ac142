//! Zeek's view of a connection: its `history` letters and its `conn_state`, by Zeek's rules
//! (src/analyzer/protocol/tcp/TCP.cc: `update_history`, `update_last_seq`, the endpoint
//! state machine `UpdateStateMachine`; base/protocols/conn/main.zeek: `conn_state`).
//!
//! Zeek names the sides originator and responder. The originator is the sender of the first
//! packet, except that a connection starting with a SYN-ACK, or mid-stream from a
//! well-known server port, is flipped (history `^`). Upper-case letters are the
//! originator's.

use crate::decode::Segment;
use std::net::SocketAddr;

/// Zeek's TCP endpoint states (`TCP_ENDPOINT_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ZState {
    Inactive,
    SynSent,
    SynAckSent,
    Partial,
    Established,
    Closed,
    Reset,
}

/// Letters recorded on the 1st, 10th, 100th, ... occurrence (`ScaledHistoryEntry`). 32-bit
/// counts: past four billion occurrences on one connection no more letters are added.
#[derive(Clone, Copy, Debug)]
struct Scaled {
    count: u32,
    threshold: u32,
}

impl Default for Scaled {
    fn default() -> Self {
        Scaled {
            count: 0,
            threshold: 1,
        }
    }
}

impl Scaled {
    fn hit(&mut self) -> bool {
        self.count = self.count.saturating_add(1);
        if self.count == self.threshold {
            self.threshold = self.threshold.saturating_mul(10);
            true
        } else {
            false
        }
    }
}

/// No position: relative positions are below 2^33 (a 32-bit offset plus a length).
const NOWHERE: u64 = u64::MAX;

#[derive(Clone, Debug)]
struct ZEndpoint {
    state: ZState,
    prev_state: ZState,
    start_seq: u32,
    last_seq: u32,
    ack_seq: u32,
    /// Where the last SYN, FIN and RST were (relative), or `NOWHERE`.
    last_syn: u64,
    last_fin: u64,
    last_rst: u64,
    rxmit: Scaled,
    win0: Scaled,
    gap: Scaled,
    fin_cnt: u32,
    fin_seq: u64,
    /// Reassembly: everything below this relative sequence number was delivered.
    delivered: u64,
    /// Data seen above `delivered`, as [start, end) relative ranges. Boxed: rarely any (only
    /// after a gap), and a box is a third of a `Vec` in the connection.
    #[allow(clippy::box_collection)]
    blocks: Option<Box<Vec<(u64, u64)>>>,
}

impl ZEndpoint {
    fn new() -> ZEndpoint {
        ZEndpoint {
            state: ZState::Inactive,
            prev_state: ZState::Inactive,
            start_seq: 0,
            last_seq: 0,
            ack_seq: 0,
            last_syn: NOWHERE,
            last_fin: NOWHERE,
            last_rst: NOWHERE,
            rxmit: Scaled::default(),
            win0: Scaled::default(),
            gap: Scaled::default(),
            fin_cnt: 0,
            fin_seq: 0,
            delivered: 1,
            blocks: None,
        }
    }

    /// [`ZEndpoint::new`], in place (the reassembly buffer kept, emptied).
    fn reset(&mut self) {
        let ZEndpoint {
            state,
            prev_state,
            start_seq,
            last_seq,
            ack_seq,
            last_syn,
            last_fin,
            last_rst,
            rxmit,
            win0,
            gap,
            fin_cnt,
            fin_seq,
            delivered,
            blocks,
        } = self;
        *state = ZState::Inactive;
        *prev_state = ZState::Inactive;
        *start_seq = 0;
        *last_seq = 0;
        *ack_seq = 0;
        *last_syn = NOWHERE;
        *last_fin = NOWHERE;
        *last_rst = NOWHERE;
        *rxmit = Scaled::default();
        *win0 = Scaled::default();
        *gap = Scaled::default();
        *fin_cnt = 0;
        *fin_seq = 0;
        *delivered = 1;
        if let Some(blocks) = blocks {
            blocks.clear();
        }
    }

    fn set_state(&mut self, s: ZState) {
        if s != self.state {
            self.prev_state = self.state;
            self.state = s;
        }
    }

    fn init_seq(&mut self, start: u32, last: u32) {
        self.start_seq = start;
        self.ack_seq = start;
        self.last_seq = last;
    }

    fn rel(&self, seq: u32) -> u64 {
        u64::from(seq.wrapping_sub(self.start_seq))
    }

    /// Payload bytes in sequence space (Zeek's `Size()`, without 64-bit wraps).
    fn size(&self) -> u64 {
        let delta = self.last_seq.wrapping_sub(self.ack_seq) as i32;
        let top = if delta > 0 || self.ack_seq == self.start_seq.wrapping_add(1) {
            self.last_seq
        } else {
            self.ack_seq
        };
        let mut size = u64::from(top.wrapping_sub(self.start_seq));
        size = size.saturating_sub(1);
        if self.fin_cnt > 0 && size != 0 {
            size -= 1;
        }
        size
    }

    fn data(&mut self, rel_seq: u64, len: u32) {
        if len == 0 {
            return;
        }
        let end = rel_seq + u64::from(len);
        if end <= self.delivered {
            return;
        }
        if rel_seq <= self.delivered && self.blocks().is_empty() {
            // In order, nothing waiting: the common case, without touching the list.
            self.delivered = end;
            return;
        }
        self.blocks
            .get_or_insert_with(Box::default)
            .push((rel_seq.max(self.delivered), end));
        self.settle();
    }

    /// Deliver blocks that now join the delivered prefix.
    fn settle(&mut self) {
        let Some(blocks) = self.blocks.as_mut() else {
            return;
        };
        blocks.sort_unstable();
        let mut delivered = self.delivered;
        for &(s, e) in blocks.iter() {
            if s <= delivered {
                delivered = delivered.max(e);
            }
        }
        self.delivered = delivered;
        blocks.retain(|&(_, e)| e > delivered);
    }

    /// The ranges waiting above `delivered`, lowest first after [`ZEndpoint::settle`].
    fn blocks(&self) -> &[(u64, u64)] {
        self.blocks.as_deref().map_or(&[], Vec::as_slice)
    }
}

/// Ports Zeek's default scripts register as likely servers (`likely_server_ports`).
const LIKELY_SERVER_PORTS: [u16; 21] = [
    21, 22, 23, 25, 53, 80, 81, 110, 143, 443, 465, 587, 631, 993, 995, 1080, 3128, 3306, 8000,
    8080, 8888,
];

/// Zeek's analysis of one connection.
#[derive(Clone, Debug)]
pub struct ZeekConn {
    /// The originator is the connection's client (else its server).
    orig_is_client: bool,
    orig: ZEndpoint,
    resp: ZEndpoint,
    history: crate::event::History,
    seen: u32,
}

const HIST_SYN: u32 = 1;
const HIST_FIN: u32 = 2;
const HIST_RST: u32 = 4;
const HIST_FIN_RST: u32 = 8;
const HIST_DATA: u32 = 16;
const HIST_ACK: u32 = 32;
const HIST_MULTI: u32 = 64;

impl ZeekConn {
    /// Give back the reassembly buffers (the connection is retired).
    pub fn release_buffers(&mut self) {
        self.orig.blocks = None;
        self.resp.blocks = None;
    }

    /// [`ZeekConn::new`], in place, field by field (a retired connection's, whose history
    /// was taken and buffers released).
    pub fn reset(&mut self, first: &Segment, client: SocketAddr) {
        let flip = ZeekConn::flips(first);
        let ZeekConn {
            orig_is_client,
            orig,
            resp,
            history,
            seen,
        } = self;
        *orig_is_client = client == if flip { first.dst } else { first.src };
        orig.reset();
        resp.reset();
        *history = crate::event::History::new();
        if flip {
            history.push('^');
        }
        *seen = 0;
    }

    /// Does Zeek take the first segment's receiver as the originator?
    fn flips(first: &Segment) -> bool {
        let f = first.flags;
        let (sp, dp) = (first.src.port(), first.dst.port());
        if f.syn() && !f.ack() {
            false
        } else if f.syn() {
            true
        } else if LIKELY_SERVER_PORTS.contains(&sp) {
            !LIKELY_SERVER_PORTS.contains(&dp) || sp < dp
        } else {
            false
        }
    }

    /// Start with the connection's first segment (Zeek's `WantConnection` decides the roles);
    /// `client` is the address of the connection's client.
    pub fn new(first: &Segment, client: SocketAddr) -> ZeekConn {
        let flip = ZeekConn::flips(first);
        ZeekConn {
            orig_is_client: client == if flip { first.dst } else { first.src },
            orig: ZEndpoint::new(),
            resp: ZEndpoint::new(),
            history: {
                let mut h = crate::event::History::new();
                if flip {
                    h.push('^');
                }
                h
            },
            seen: 0,
        }
    }

    fn add(&mut self, is_orig: bool, code: char) {
        self.history.push(if is_orig {
            code
        } else {
            code.to_ascii_lowercase()
        });
    }

    /// Zeek's `CheckHistory`: record the letter the first time; true if seen before.
    fn check(&mut self, is_orig: bool, mask: u32, code: char) -> bool {
        let mask = if is_orig { mask } else { mask << 16 };
        if self.seen & mask == 0 {
            self.seen |= mask;
            self.add(is_orig, code);
            false
        } else {
            true
        }
    }

    /// One segment, sent by the client (`from_client`) or the server.
    pub fn on_segment(&mut self, seg: &Segment, from_client: bool) {
        let is_orig = from_client == self.orig_is_client;
        let f = seg.flags;
        let (syn, fin, rst, ackf) = (f.syn(), f.fin(), f.rst(), f.ack());
        let len = seg.payload_len;
        let base_seq = seg.seq;
        let ack_seq = seg.ack;
        let mut seg_len = len
            .wrapping_add(u32::from(syn))
            .wrapping_add(u32::from(fin));
        if rst {
            seg_len = seg_len.wrapping_sub(len);
        }
        let one_past = base_seq.wrapping_add(seg_len);

        // init_endpoint. Without SYN only an inactive endpoint starts: tested first, a SYN
        // and the endpoint's state are two branches that rarely change their way, where a
        // `match` on the state was a jump through a table, to a target that changes from
        // segment to segment (mispredicted on about half of them, callgrind's branch
        // simulation).
        {
            let ep = self.ep_mut(is_orig);
            if !syn {
                if ep.state == ZState::Inactive {
                    ep.init_seq(base_seq.wrapping_sub(1), base_seq);
                }
            } else {
                let start = match ep.state {
                    ZState::Inactive | ZState::Established | ZState::Partial => true,
                    ZState::SynSent | ZState::SynAckSent => base_seq != ep.start_seq,
                    ZState::Reset => ep.prev_state == ZState::Inactive,
                    ZState::Closed => false,
                };
                if start {
                    ep.init_seq(base_seq, one_past);
                }
            }
        }
        let rel_seq = self.ep(is_orig).rel(base_seq);

        // update_history
        let bits = u32::from(syn) + u32::from(fin) + u32::from(rst);
        if bits > 1 {
            if fin && rst {
                self.check(is_orig, HIST_FIN_RST, 'I');
            } else {
                self.check(is_orig, HIST_MULTI, 'Q');
            }
        } else if bits == 1 {
            if syn {
                let code = if ackf { 'H' } else { 'S' };
                let last = self.ep(is_orig).last_syn;
                if self.check(is_orig, HIST_SYN, code) && last != rel_seq {
                    self.add(is_orig, code);
                }
                self.ep_mut(is_orig).last_syn = rel_seq;
            }
            if fin {
                let at = rel_seq + u64::from(len);
                let last = self.ep(is_orig).last_fin;
                if self.check(is_orig, HIST_FIN, 'F') && last != at {
                    self.add(is_orig, 'F');
                }
                self.ep_mut(is_orig).last_fin = at;
            }
            if rst {
                let last = self.ep(is_orig).last_rst;
                if self.check(is_orig, HIST_RST, 'R') && last != rel_seq {
                    self.add(is_orig, 'R');
                }
                self.ep_mut(is_orig).last_rst = rel_seq;
            }
        } else if len > 0 {
            self.check(is_orig, HIST_DATA, 'D');
        } else if ackf {
            self.check(is_orig, HIST_ACK, 'A');
        }

        // update_window: a zero window, unless it comes with or after a RST or after the
        // peer's FIN.
        let peer_state = self.ep(!is_orig).state;
        if seg.window == 0
            && !rst
            && peer_state != ZState::Closed
            && self.ep(is_orig).state != ZState::Reset
            && self.ep_mut(is_orig).win0.hit()
        {
            self.add(is_orig, 'W');
        }

        if fin {
            let ep = self.ep_mut(is_orig);
            ep.fin_cnt += 1;
            ep.fin_seq = rel_seq + u64::from(seg_len);
        }

        let mut rel_ack = None;
        if ackf {
            let peer = self.ep_mut(!is_orig);
            if peer.state == ZState::Inactive {
                let a = ack_seq.wrapping_sub(1);
                peer.init_seq(a, a);
                rel_ack = Some(1);
            } else if (ack_seq.wrapping_sub(peer.start_seq) as i32) < 0 {
                rel_ack = Some(0);
            } else {
                rel_ack = Some(peer.rel(ack_seq));
                // A selection, not a branch: whether an ACK moves on varies segment by segment.
                let moves_on = !rst & ((ack_seq.wrapping_sub(peer.ack_seq) as i32) > 0);
                peer.ack_seq = if moves_on { ack_seq } else { peer.ack_seq };
            }
        }

        // update_last_seq: data at or below the last sequence number is a retransmission.
        {
            let ep = self.ep_mut(is_orig);
            let delta = one_past.wrapping_sub(ep.last_seq) as i32;
            const TOO_LARGE: i32 = 1_048_576;
            let mut rxmit = false;
            if (syn || rst) && !(-TOO_LARGE..=TOO_LARGE).contains(&delta) {
            } else if fin && ep.last_seq == ep.start_seq.wrapping_add(1) {
                ep.last_seq = one_past;
            } else if ep.state == ZState::Reset {
            } else if delta > 0 {
                ep.last_seq = one_past;
            } else if len > 0 {
                rxmit = ep.rxmit.hit();
            }
            if rxmit {
                self.add(is_orig, 'T');
            }
        }

        self.update_state(from_client, is_orig, syn, fin, rst, ackf, len);

        // The roles may have flipped: find the sender again.
        let is_orig = from_client == self.orig_is_client;
        if let Some(rel_ack) = rel_ack {
            self.ack_received(!is_orig, rel_ack);
        }
        if len > 0 && !rst {
            self.ep_mut(is_orig).data(rel_seq, len);
        }
    }

    /// The peer acknowledged up to `rel_ack` of `whose` data: holes below it are gaps.
    fn ack_received(&mut self, whose: bool, rel_ack: u64) {
        let established = true;
        let ep = self.ep_mut(whose);
        let mut seq = rel_ack;
        if (ep.fin_cnt > 0) & (seq >= ep.fin_seq) {
            seq = ep.fin_seq.saturating_sub(1);
        }
        if seq <= ep.delivered {
            return;
        }
        let mut holes = 0;
        let mut at = ep.delivered;
        for &(s, e) in ep.blocks() {
            if s >= seq {
                break;
            }
            if s > at {
                holes += 1;
            }
            at = at.max(e);
        }
        if at < seq {
            holes += 1;
        }
        ep.delivered = seq;
        ep.settle();
        let mut record = 0;
        if established {
            for _ in 0..holes {
                if ep.gap.hit() {
                    record += 1;
                }
            }
        }
        for _ in 0..record {
            self.add(whose, 'G');
        }
    }

    fn ep(&self, is_orig: bool) -> &ZEndpoint {
        if is_orig {
            &self.orig
        } else {
            &self.resp
        }
    }

    fn ep_mut(&mut self, is_orig: bool) -> &mut ZEndpoint {
        if is_orig {
            &mut self.orig
        } else {
            &mut self.resp
        }
    }

    /// Zeek's `UpdateStateMachine`, by the sender's state.
    #[allow(clippy::too_many_arguments)]
    fn update_state(
        &mut self,
        from_client: bool,
        is_orig: bool,
        syn: bool,
        fin: bool,
        rst: bool,
        ack: bool,
        len: u32,
    ) {
        use ZState::*;
        let state = self.ep(is_orig).state;
        // Without SYN, FIN or RST only an inactive sender changes state: most segments
        // leave here, by one branch that rarely changes its way, rather than through the
        // `match`'s jump table (see init_endpoint in `on_segment`).
        if state != Inactive && !(syn | fin | rst) {
            return;
        }
        let peer = self.ep(!is_orig).state;
        match state {
            Inactive => {
                if syn {
                    if is_orig {
                        self.ep_mut(true)
                            .set_state(if ack { SynAckSent } else { SynSent });
                    } else {
                        let mut sender_is_orig = false;
                        if !ack && peer == SynAckSent {
                            // A SYN answering the originator's SYN-ACK: a SYN/SYN-ACK
                            // reversal. Zeek flips the roles and establishes both sides.
                            std::mem::swap(&mut self.orig, &mut self.resp);
                            self.orig_is_client = from_client;
                            self.history.push('^');
                            sender_is_orig = true;
                            self.ep_mut(false).set_state(Established);
                        }
                        if self.ep(!sender_is_orig).state == SynSent {
                            self.ep_mut(!sender_is_orig).set_state(Established);
                        }
                        self.ep_mut(sender_is_orig).set_state(Established);
                        return self.after_inactive(sender_is_orig, fin, rst, ack, len);
                    }
                }
                self.after_inactive(is_orig, fin, rst, ack, len);
            }
            SynSent | SynAckSent => {
                if fin {
                    self.ep_mut(is_orig).set_state(Closed);
                }
                if rst {
                    self.ep_mut(is_orig).set_state(Reset);
                }
            }
            Established | Partial => {
                if syn && state == Partial && peer == Inactive && !ack {
                    self.ep_mut(is_orig).set_state(SynSent);
                }
                if fin && !rst {
                    self.ep_mut(is_orig).set_state(Closed);
                    let p = self.ep_mut(!is_orig);
                    if p.state == Reset && p.prev_state == Closed {
                        p.set_state(Closed);
                    }
                }
                if rst {
                    self.ep_mut(is_orig).set_state(Reset);
                }
            }
            Closed => {
                if rst && peer != Closed {
                    self.ep_mut(is_orig).set_state(Reset);
                }
            }
            Reset => {}
        }
    }

    fn after_inactive(&mut self, is_orig: bool, fin: bool, rst: bool, ack: bool, len: u32) {
        use ZState::*;
        if fin {
            self.ep_mut(is_orig).set_state(Closed);
        }
        if rst {
            self.ep_mut(is_orig).set_state(Reset);
        }
        if self.ep(is_orig).state == Inactive {
            let orig_state = self.orig.state;
            let peer = self.ep(!is_orig).state;
            if !is_orig && len == 0 && orig_state == SynSent {
                // An ACK of the SYN before the SYN-ACK: not a partial connection.
            } else if ack && peer == Established {
                self.ep_mut(is_orig).set_state(Established);
            } else {
                self.ep_mut(is_orig).set_state(Partial);
            }
        }
    }

    /// Zeek's `conn_state` (base/protocols/conn/main.zeek).
    pub fn conn_state(&self) -> &'static str {
        use ZState::*;
        let (os, rs) = (self.orig.state, self.resp.state);
        let o_inactive = matches!(os, Inactive | Partial);
        let r_inactive = matches!(rs, Inactive | Partial);
        if rs == Reset {
            if matches!(os, SynSent | SynAckSent)
                || (os == Reset && self.orig.size() == 0 && self.resp.size() == 0)
            {
                "REJ"
            } else if o_inactive {
                "RSTRH"
            } else {
                "RSTR"
            }
        } else if os == Reset {
            if r_inactive {
                if rstos0(&self.history) {
                    "RSTOS0"
                } else {
                    "OTH"
                }
            } else {
                "RSTO"
            }
        } else if rs == Closed && os == Closed {
            "SF"
        } else if os == Closed {
            if r_inactive {
                "SH"
            } else {
                "S2"
            }
        } else if rs == Closed {
            if o_inactive {
                "SHR"
            } else {
                "S3"
            }
        } else if os == SynSent && rs == Inactive {
            "S0"
        } else if os == Established && rs == Established {
            "S1"
        } else {
            "OTH"
        }
    }

    /// The history, leaving an empty one (for a connection about to be dropped).
    pub fn take_history(&mut self) -> crate::event::History {
        std::mem::take(&mut self.history)
    }
}

/// `/\^?S[^HAFGIQ]*R.*/` matched against the whole history.
fn rstos0(h: &str) -> bool {
    let h = h.strip_prefix('^').unwrap_or(h);
    let Some(rest) = h.strip_prefix('S') else {
        return false;
    };
    for c in rest.chars() {
        if c == 'R' {
            return true;
        }
        if "HAFGIQ".contains(c) {
            return false;
        }
    }
    false
}

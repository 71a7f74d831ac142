//! track: connections keyed by their endpoints, each with two RFC 9293 state machines.
//! Pure: no I/O, no clock (time comes from packet timestamps), no colour.

mod analysis;
mod conn;
mod endpoint;
mod seq;
mod zeek;

pub use conn::{Analysis, Connection};
pub use endpoint::{Endpoint, TcpState};
pub use seq::SeqNum;

use crate::decode::Segment;
use crate::event::ConnSummary;
use crate::source::Timestamp;
use std::collections::HashMap;
use std::net::SocketAddr;

/// The two endpoints in canonical order, so both directions find the same connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConnKey(SocketAddr, SocketAddr);

impl ConnKey {
    pub fn of(seg: &Segment) -> ConnKey {
        if seg.src <= seg.dst {
            ConnKey(seg.src, seg.dst)
        } else {
            ConnKey(seg.dst, seg.src)
        }
    }
}

/// What the tracker made of one segment.
#[derive(Debug)]
pub struct Tracked {
    pub conn: u64,
    pub rel_time: f64,
    pub client_state: TcpState,
    pub server_state: TcpState,
    pub analysis: Analysis,
    /// A connection this segment's SYN replaced on the same ports (port reuse).
    pub ended: Option<ConnSummary>,
}

/// All connections of a capture.
#[derive(Debug, Default)]
pub struct Tracker {
    conns: HashMap<ConnKey, Connection>,
    next_id: u64,
}

impl Tracker {
    pub fn new() -> Tracker {
        Tracker::default()
    }

    /// Connections numbered so far.
    pub fn connections(&self) -> u64 {
        self.next_id
    }

    pub fn on_segment(&mut self, seg: &Segment, ts: Timestamp) -> Tracked {
        let key = ConnKey::of(seg);
        let mut ended = None;
        let reuse = self.conns.get(&key).is_some_and(|c| c.is_reuse(seg));
        if reuse {
            if let Some(old) = self.conns.remove(&key) {
                ended = Some(old.summary());
            }
        }
        let next_id = &mut self.next_id;
        let conn = self.conns.entry(key).or_insert_with(|| {
            let id = *next_id;
            *next_id += 1;
            Connection::new(id, seg, ts)
        });
        let mut analysis = conn.on_segment(seg, ts);
        if reuse {
            // Wireshark: a SYN with a new ISN on ports already used starts a new stream.
            analysis
                .tcp
                .flags
                .insert(0, crate::event::AnalysisFlag::ReusedPorts);
            analysis.tcp.flags.sort();
        }
        Tracked {
            conn: conn.id,
            rel_time: ts.since(conn.start),
            client_state: conn.client.state,
            server_state: conn.server.state,
            analysis,
            ended,
        }
    }

    /// Connections whose close has not finished (both FINs acknowledged, or a reset).
    pub fn open_connections(&self) -> usize {
        self.conns.values().filter(|c| !c.is_finished()).count()
    }

    /// End of input: the summaries of every connection still tracked, in order of first packet.
    pub fn finish(&mut self) -> Vec<ConnSummary> {
        let mut all: Vec<ConnSummary> = self.conns.drain().map(|(_, c)| c.summary()).collect();
        all.sort_by_key(|s| s.conn);
        all
    }
}

#[cfg(test)]
mod tests;

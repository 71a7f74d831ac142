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

/// A fast hasher for connection keys (the Fx hash of rustc and Firefox). Keys come from the
/// wire, so a hostile capture could aim at collisions; the table's size is capped
/// (`Limits::max_connections`), which bounds what that can cost.
#[derive(Clone, Copy, Default)]
pub struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }
    fn write_u16(&mut self, n: u16) {
        self.add(u64::from(n));
    }
    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type FxBuild = std::hash::BuildHasherDefault<FxHasher>;

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
    /// Connections that ended on this segment's arrival: the one its SYN replaced on the same
    /// ports (port reuse), or the least recently active ones evicted to stay under the cap.
    pub ended: Vec<ConnSummary>,
}

/// How long connections are kept, and how many: what keeps memory flat on any capture.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// A finished connection (both FINs acknowledged, or reset) is kept this long after its
    /// last segment, for late retransmissions, then summarised and dropped (seconds of
    /// capture time).
    pub linger: f64,
    /// An unanswered connection attempt (SYNs only) is dropped after this much silence.
    pub attempt_timeout: f64,
    /// Any other connection is dropped after this much silence.
    pub idle_timeout: f64,
    /// At most this many connections are tracked; beyond it the least recently active are
    /// summarised and dropped (evicted), and counted.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            linger: 2.0,
            attempt_timeout: 10.0,
            idle_timeout: 900.0,
            max_connections: 20_000,
        }
    }
}

/// Counts of connections dropped before the end of the capture.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dropped {
    /// Finished or idle connections summarised on time.
    pub expired: u64,
    /// Connections summarised early because the table was full.
    pub evicted: u64,
}

/// All connections of a capture.
#[derive(Debug, Default)]
pub struct Tracker {
    /// Boxed: a connection is about a kilobyte, and the table moves its entries when it grows.
    conns: HashMap<ConnKey, Box<Connection>, FxBuild>,
    next_id: u64,
    limits: Limits,
    dropped: Dropped,
    last_sweep: Option<Timestamp>,
    since_sweep: usize,
}

impl Tracker {
    pub fn new() -> Tracker {
        Tracker::default()
    }

    pub fn with_limits(limits: Limits) -> Tracker {
        Tracker {
            limits,
            ..Tracker::default()
        }
    }

    /// Connections numbered so far.
    pub fn connections(&self) -> u64 {
        self.next_id
    }

    /// Connections tracked right now.
    pub fn tracked(&self) -> usize {
        self.conns.len()
    }

    pub fn dropped(&self) -> Dropped {
        self.dropped
    }

    pub fn on_segment(&mut self, seg: &Segment, ts: Timestamp) -> Tracked {
        let key = ConnKey::of(seg);
        let mut ended = Vec::new();
        let reuse = self.conns.get(&key).is_some_and(|c| c.is_reuse(seg));
        if reuse {
            if let Some(old) = self.conns.remove(&key) {
                ended.push(old.into_summary());
            }
        }
        if !self.conns.contains_key(&key) && self.conns.len() >= self.limits.max_connections.max(1)
        {
            self.evict(&mut ended);
        }
        let next_id = &mut self.next_id;
        let conn = self.conns.entry(key).or_insert_with(|| {
            let id = *next_id;
            *next_id += 1;
            Box::new(Connection::new(id, seg, ts))
        });
        let mut analysis = conn.on_segment(seg, ts);
        if conn.is_finished() {
            conn.compact();
        }
        if reuse {
            // Wireshark: a SYN with a new ISN on ports already used starts a new stream.
            analysis
                .tcp
                .flags
                .insert(crate::event::AnalysisFlag::ReusedPorts);
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

    /// Make room: summarise and drop the least recently active eighth of the table.
    fn evict(&mut self, ended: &mut Vec<ConnSummary>) {
        let n = (self.conns.len() / 8).max(1);
        let mut by_age: Vec<(Timestamp, ConnKey)> =
            self.conns.iter().map(|(k, c)| (c.last, *k)).collect();
        by_age.select_nth_unstable_by_key(n - 1, |(t, _)| *t);
        by_age.truncate(n);
        for (_, key) in by_age {
            if let Some(c) = self.conns.remove(&key) {
                ended.push(c.into_summary());
                self.dropped.evicted += 1;
            }
        }
    }

    /// Summarise and drop the connections that are over (finished and lingered) or silent
    /// for too long at capture time `now`. Cheap to call often: it only sweeps the table
    /// once a second of capture time, and not more often than its size in segments.
    pub fn expire(&mut self, now: Timestamp) -> Vec<ConnSummary> {
        self.since_sweep += 1;
        let due = match self.last_sweep {
            None => {
                self.last_sweep = Some(now);
                false
            }
            Some(last) => now.since(last) >= 1.0 && self.since_sweep >= self.conns.len() / 8,
        };
        if !due {
            return Vec::new();
        }
        self.last_sweep = Some(now);
        self.since_sweep = 0;
        let limits = self.limits;
        let over: Vec<ConnKey> = self
            .conns
            .iter()
            .filter(|(_, c)| {
                let idle = now.since(c.last);
                (c.is_finished() && idle > limits.linger)
                    || (c.is_unanswered_attempt() && idle > limits.attempt_timeout)
                    || idle > limits.idle_timeout
            })
            .map(|(k, _)| *k)
            .collect();
        let mut out: Vec<ConnSummary> = over
            .iter()
            .filter_map(|k| self.conns.remove(k))
            .map(|c| c.into_summary())
            .collect();
        self.dropped.expired += out.len() as u64;
        out.sort_by_key(|s| s.conn);
        out
    }

    /// Connections whose close has not finished (both FINs acknowledged, or a reset).
    pub fn open_connections(&self) -> usize {
        self.conns.values().filter(|c| !c.is_finished()).count()
    }

    /// End of input: the summaries of every connection still tracked, in order of first packet.
    pub fn finish(&mut self) -> Vec<ConnSummary> {
        let mut all: Vec<ConnSummary> = self.conns.drain().map(|(_, c)| c.into_summary()).collect();
        all.sort_by_key(|s| s.conn);
        all
    }
}

#[cfg(test)]
mod tests;

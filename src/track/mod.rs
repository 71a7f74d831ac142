//! track: connections keyed by their endpoints, each with two RFC 9293 state machines.
//! Pure: no I/O, no clock (time comes from packet timestamps), no colour.

mod analysis;
mod conn;
mod endpoint;
mod seq;
mod slab;
mod table;
mod zeek;

pub use conn::{Analysis, Connection};
pub use endpoint::{Endpoint, TcpState};
pub use seq::SeqNum;

use crate::decode::Segment;
use crate::event::ConnSummary;
use crate::source::Timestamp;
use slab::{Slab, Slot};
use std::collections::VecDeque;
use std::net::SocketAddr;
use table::Table;

/// The Fx hash (of rustc and Firefox) of some 64-bit words, started from a number drawn once
/// per process. Keys come from the wire, so a hostile capture could aim at collisions: an
/// unknown start makes that harder, and the table's size is capped
/// (`Limits::max_connections`), which bounds what it can cost. Nothing shown depends on the
/// hash: the table's order is that of insertions and removals, and connections are
/// summarised by number.
fn fx_hash(words: [u64; 5]) -> u64 {
    use std::hash::BuildHasher;
    static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let seed = *SEED.get_or_init(|| std::collections::hash_map::RandomState::new().hash_one(0u64));
    words.iter().fold(seed, |h, w| {
        (h.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95)
    })
}

/// One endpoint as the table keys it: the address as two 64-bit halves (IPv4 mapped into
/// IPv6) and the port. Compared and hashed as three integers, unlike `SocketAddr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct KeyAddr(u64, u64, u16);

impl KeyAddr {
    fn of(addr: &SocketAddr) -> KeyAddr {
        match addr {
            SocketAddr::V4(a) => {
                KeyAddr(0, 0xffff_0000_0000 | u64::from(a.ip().to_bits()), a.port())
            }
            SocketAddr::V6(a) => {
                let bits = a.ip().to_bits();
                KeyAddr((bits >> 64) as u64, bits as u64, a.port())
            }
        }
    }
}

/// The two endpoints in canonical order, so both directions find the same connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConnKey(KeyAddr, KeyAddr);

impl ConnKey {
    pub fn of(seg: &Segment) -> ConnKey {
        ConnKey::ordered(seg).0
    }

    /// The key, and whether the segment's source is the key's first endpoint (the lower).
    fn ordered(seg: &Segment) -> (ConnKey, bool) {
        let (src, dst) = (KeyAddr::of(&seg.src), KeyAddr::of(&seg.dst));
        if src <= dst {
            (ConnKey(src, dst), true)
        } else {
            (ConnKey(dst, src), false)
        }
    }

    /// The key's hash, for the table.
    fn hash(&self) -> u64 {
        let (a, b) = (&self.0, &self.1);
        fx_hash([a.0, a.1, b.0, b.1, u64::from(a.2) << 16 | u64::from(b.2)])
    }
}

/// A segment's connection key and its hash, computed once for the stages of a lookup ahead of
/// time ([`Tracker::prefetch_bucket`], [`Tracker::prefetch_entry`],
/// [`Tracker::prefetch_conn`]) and the lookup itself ([`Tracker::on_segment_with`]).
#[derive(Clone, Copy, Debug)]
pub struct Hint {
    key: ConnKey,
    hash: u64,
    /// Where the lookups ahead ([`Tracker::prefetch_entry`], then
    /// [`Tracker::prefetch_conn`]) found the connection's entry in the table (`usize::MAX`:
    /// not looked up, or not there): each later stage tries it first, and checks it.
    at: usize,
    /// The segment comes from the key's first endpoint: with the connection's own
    /// orientation, its direction, without comparing addresses ([`Connection::dir_from`]).
    src_first: bool,
}

impl Hint {
    #[inline]
    pub fn of(seg: &Segment) -> Hint {
        let (key, src_first) = ConnKey::ordered(seg);
        Hint {
            key,
            hash: key.hash(),
            at: usize::MAX,
            src_first,
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
}

/// [`Tracked`] without the analysis, which [`Tracker::on_segment_with`] leaves in the
/// tracker ([`Tracker::analysis`]) rather than copy it out.
#[derive(Clone, Copy, Debug)]
pub struct Outcome {
    pub conn: u64,
    /// The connection's first segment's time (`rel_time` is the segment's time since then;
    /// left to the caller, which with summaries only never needs it).
    pub start: Timestamp,
    pub client_state: TcpState,
    pub server_state: TcpState,
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

/// The table is sized for this many connections (or the cap, if lower) from the start, and
/// grows as needed: growing rebuilds its index from the tags kept in the entries, and a
/// short capture does not pay for a large table.
const INITIAL_TABLE: usize = 1024;

/// The most connections the slab makes room for from the start (56 MiB of address space,
/// used only as connections come).
const MAX_INITIAL_SLAB: usize = 1 << 16;

/// Where a connection stands, for expiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Open,
    /// Only the client's SYNs so far.
    Attempt,
    /// Both FINs acknowledged, or reset.
    Finished,
}

/// What expiry and eviction read of a connection, kept apart from the table (in
/// [`Tracker::activity`], at the connection's position in the table) so that sweeping reads
/// a dense array of 32-byte records rather than the table's entries, and a table entry (key,
/// slot and tag) fits one cache line.
#[derive(Clone, Copy, Debug)]
struct Activity {
    last: Timestamp,
    id: u64,
    status: Status,
}

impl Activity {
    fn is_over(&self, now: Timestamp, limits: &Limits) -> bool {
        let idle = now.since(self.last);
        let timeout = match self.status {
            Status::Finished => limits.linger,
            Status::Attempt => limits.attempt_timeout,
            Status::Open => limits.idle_timeout,
        };
        idle > timeout || idle > limits.idle_timeout
    }
}

/// All connections of a capture.
#[derive(Debug, Default)]
pub struct Tracker {
    /// Where each connection is in `slab`: a connection is about a kilobyte, and the table
    /// moves its entries.
    conns: Table<ConnKey, Slot>,
    /// The connections themselves, and the memory of retired ones, for new ones.
    slab: Slab,
    /// The [`Activity`] of each connection, at its position in `conns`: pushed when a
    /// connection is inserted, and `swap_remove`d at the same position when it is removed,
    /// as the table's entries are.
    activity: Vec<Activity>,
    next_id: u64,
    limits: Limits,
    dropped: Dropped,
    last_sweep: Option<Timestamp>,
    since_sweep: usize,
    /// Summaries of connections that ended and were dropped, until [`Tracker::take_ended`].
    /// Boxed once, here: they travel on boxed (`Event::Connection`), and a summary is a few
    /// hundred bytes.
    ended: VecDeque<Box<ConnSummary>>,
    /// Scratch space of `evict` and `expire`, kept between calls.
    ages: Vec<u128>,
    positions: Vec<usize>,
    /// Scratch space of `retire_all`: the connections out of the table (number and slot), to
    /// summarise.
    retiring: VecDeque<(u64, Slot)>,
    /// The analysis of the last segment, written in place by [`Connection::on_segment_as`].
    analysis: Analysis,
    /// Nothing reads the analysis of each segment (summaries only): it is not made.
    summaries_only: bool,
}

impl Tracker {
    pub fn new() -> Tracker {
        Tracker::default()
    }

    pub fn with_limits(limits: Limits) -> Tracker {
        Tracker {
            limits,
            conns: Table::with_capacity(limits.max_connections.min(INITIAL_TABLE)),
            // Room for the cap from the start (up to a point), so that the connections never
            // move: growing copies them all.
            slab: Slab::with_capacity(limits.max_connections.min(MAX_INITIAL_SLAB)),
            activity: Vec::with_capacity(limits.max_connections.min(INITIAL_TABLE)),
            ..Tracker::default()
        }
    }

    /// The summaries of connections dropped since the last call, in the order they ended:
    /// those [`Tracker::expire`] found over, the one a SYN replaced on the same ports (port
    /// reuse), and those evicted to stay under the cap.
    pub fn take_ended(&mut self) -> std::collections::vec_deque::Drain<'_, Box<ConnSummary>> {
        self.ended.drain(..)
    }

    /// The next of [`Tracker::take_ended`]'s summaries.
    pub fn next_ended(&mut self) -> Option<Box<ConnSummary>> {
        self.ended.pop_front()
    }

    /// Are there summaries waiting for [`Tracker::take_ended`]?
    pub fn has_ended(&self) -> bool {
        !self.ended.is_empty()
    }

    /// Take the connection at table position `e` out of the table (the last one moves into
    /// its place, in the table and in `activity` alike).
    fn remove(&mut self, e: usize) -> (Activity, Slot) {
        let (_, slot) = self.conns.remove_entry(e);
        let activity = self.activity.swap_remove(e);
        debug_assert_eq!(
            activity.last,
            self.slab.get(slot).last,
            "activity out of step with the table"
        );
        (activity, slot)
    }

    /// Summarise connection number `id`, taken out of the table, and give its slot back.
    fn retire(&mut self, id: u64, slot: Slot) {
        self.ended
            .push_back(Box::new(self.slab.get_mut(slot).take_summary(id)));
        self.slab.remove(slot);
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

    /// A hint that the segment of `hint` comes in a while (say 16 segments): bring the
    /// table's bucket for it into the cache. The first of three stages, each of which reads
    /// only what the stage before brought in, so that none waits on memory.
    #[inline]
    pub fn prefetch_bucket(&self, hint: &Hint) {
        self.conns.prefetch_bucket(hint.hash);
    }

    /// Second stage (say 8 segments ahead): bring the table entry into the cache, and note in
    /// the hint which entry it is (its key not yet compared: it is not in the cache yet).
    #[inline]
    pub fn prefetch_entry(&self, hint: &mut Hint) {
        hint.at = self.conns.prefetch_entry(hint.hash).unwrap_or(usize::MAX);
    }

    /// Third stage (say 4 segments ahead): bring the connection into the cache, and note in
    /// the hint where it is, for the lookup itself. The entry the second stage noted is
    /// compared first, so the table is not probed again: a second probe's branches, on
    /// whether a bucket is empty or holds the key, go one way or the other at random (new
    /// connections, collisions), and mispredicted cost more than the probe's loads.
    #[inline]
    pub fn prefetch_conn(&self, hint: &mut Hint) {
        // Not in the table a moment ago: a new connection, with nothing to fetch (or one
        // that a segment in between opened, which the lookup itself finds).
        if hint.at == usize::MAX {
            return;
        }
        match self.conns.find_at(hint.at, hint.hash, &hint.key) {
            Some(e) => {
                hint.at = e;
                self.slab.prefetch(*self.conns.value(e));
                crate::sys::prefetch(&self.activity[e]);
            }
            None => hint.at = usize::MAX,
        }
    }

    pub fn on_segment(&mut self, seg: &Segment, ts: Timestamp) -> Tracked {
        let o = self.on_segment_with(seg, ts, &Hint::of(seg));
        Tracked {
            conn: o.conn,
            rel_time: ts.since(o.start),
            client_state: o.client_state,
            server_state: o.server_state,
            analysis: self.analysis.clone(),
        }
    }

    /// Track for the summaries alone: from now on [`Tracker::analysis`] is not written. The
    /// segment's labels, notes, relative numbers and Wireshark's per-segment fields are then
    /// not worked out: about a tenth of the instructions per segment (bench/README.md).
    pub fn summaries_only(&mut self) {
        self.summaries_only = true;
    }

    /// The analysis of the segment last passed to [`Tracker::on_segment_with`] (unless
    /// [`Tracker::summaries_only`]).
    pub fn analysis(&self) -> &Analysis {
        &self.analysis
    }

    /// [`Tracker::on_segment`] with the segment's [`Hint`] computed beforehand, and the
    /// analysis left in [`Tracker::analysis`].
    pub fn on_segment_with(&mut self, seg: &Segment, ts: Timestamp, hint: &Hint) -> Outcome {
        debug_assert_eq!(hint.key, ConnKey::of(seg), "hint of another segment");
        let (key, hash) = (hint.key, hint.hash);
        // Entries may have moved since the hint was taken (removals move the last entry):
        // `find_at` checks the key there.
        let mut found = self.conns.find_at(hint.at, hash, &key);
        // Only a SYN can reuse ports: other segments skip that test.
        let mut reuse = false;
        if let Some(e) = found {
            if seg.flags.syn()
                && !seg.flags.ack()
                && self.slab.get(*self.conns.value(e)).is_reuse(seg)
            {
                reuse = true;
                let (activity, old) = self.remove(e);
                self.retire(activity.id, old);
                found = None;
            }
        }
        if let Some(e) = found {
            return Tracker::track(
                self.slab.get_mut(*self.conns.value(e)),
                &mut self.activity[e],
                &mut self.analysis,
                seg,
                hint.src_first,
                ts,
                reuse,
                self.summaries_only,
            );
        }
        if self.conns.len() >= self.limits.max_connections.max(1) {
            self.evict();
        }
        let id = self.next_id;
        self.next_id += 1;
        let slot = self.slab.insert(seg, ts);
        self.activity.push(Activity {
            last: ts,
            id,
            status: Status::Open,
        });
        self.conns.insert_new(hash, key, slot);
        let activity = self.activity.last_mut().expect("pushed above");
        Tracker::track(
            self.slab.get_mut(slot),
            activity,
            &mut self.analysis,
            seg,
            hint.src_first,
            ts,
            reuse,
            self.summaries_only,
        )
    }

    /// Run `seg` through `conn` (its analysis into `analysis`), and note in `activity` where
    /// the connection stands.
    #[allow(clippy::too_many_arguments)]
    fn track(
        conn: &mut Connection,
        activity: &mut Activity,
        analysis: &mut Analysis,
        seg: &Segment,
        src_first: bool,
        ts: Timestamp,
        reuse: bool,
        summaries_only: bool,
    ) -> Outcome {
        let was_finished = conn.is_finished();
        let dir = conn.dir_from(src_first);
        debug_assert_eq!(dir, conn.dir_of(seg), "direction by key order");
        if summaries_only {
            conn.on_segment_as::<false>(seg, dir, ts, analysis);
        } else {
            conn.on_segment_as::<true>(seg, dir, ts, analysis);
        }
        activity.last = conn.last;
        activity.status = if conn.is_finished() {
            if !was_finished {
                conn.compact();
            }
            Status::Finished
        } else if conn.is_unanswered_attempt() {
            Status::Attempt
        } else {
            Status::Open
        };
        if reuse && !summaries_only {
            // Wireshark: a SYN with a new ISN on ports already used starts a new stream.
            analysis
                .tcp
                .flags
                .insert(crate::event::AnalysisFlag::ReusedPorts);
        }
        Outcome {
            conn: activity.id,
            start: conn.start,
            client_state: conn.client.state,
            server_state: conn.server.state,
        }
    }

    /// Make room: summarise and drop the least recently active eighth of the table (the
    /// summaries in order of connection number). Of connections last active at the same time,
    /// the older (lower number) goes first, whatever the order of the table.
    fn evict(&mut self) {
        let n = (self.conns.len() / 8).max(1);
        let mut positions = std::mem::take(&mut self.positions);
        least_recent(&self.activity, n, &mut self.ages, &mut positions);
        self.dropped.evicted += self.retire_all(&mut positions);
        self.positions = positions;
    }

    /// Retire the connections at the table positions `positions` (ascending), in order of
    /// their numbers; how many there were.
    fn retire_all(&mut self, positions: &mut Vec<usize>) -> u64 {
        // Taken out of the table from the last position down: each removal moves the table's
        // last entry into its place, which is never one still to be taken. No key is looked
        // up again.
        debug_assert!(
            positions.windows(2).all(|w| w[0] < w[1]),
            "positions not strictly ascending"
        );
        let mut slots = std::mem::take(&mut self.retiring);
        slots.clear();
        slots.extend(positions.drain(..).rev().map(|e| {
            let (activity, slot) = self.remove(e);
            (activity.id, slot)
        }));
        slots.make_contiguous().sort_unstable_by_key(|&(id, _)| id);
        // These connections went cold (that is why they are over): each is fetched into the
        // cache a few ahead of the one being summarised, so that their misses overlap.
        const AHEAD: usize = 4;
        for (_, slot) in slots.iter().take(AHEAD) {
            self.slab.prefetch(*slot);
        }
        let n = slots.len() as u64;
        while let Some((id, slot)) = slots.pop_front() {
            if let Some((_, next)) = slots.get(AHEAD - 1) {
                self.slab.prefetch(*next);
            }
            self.retire(id, slot);
        }
        self.retiring = slots;
        n
    }

    /// Summarise and drop the connections that are over at capture time `now`: finished
    /// ones after `linger`, unanswered attempts after `attempt_timeout`, others after
    /// `idle_timeout` of silence. Cheap to call on every segment: it sweeps the table once a
    /// second of capture time (and not more often than its size in segments), reading only
    /// the table's own entries. The summaries wait for [`Tracker::take_ended`], in order of
    /// connection number.
    #[inline]
    pub fn expire(&mut self, now: Timestamp) {
        self.since_sweep += 1;
        match self.last_sweep {
            None => self.last_sweep = Some(now),
            // The count first: it is the cheaper test, and nearly always false.
            Some(last) if self.since_sweep >= self.conns.len() / 8 && now.since(last) >= 1.0 => {
                self.sweep(now)
            }
            Some(_) => {}
        }
    }

    /// The sweep of [`Tracker::expire`], when due.
    #[inline(never)]
    fn sweep(&mut self, now: Timestamp) {
        self.last_sweep = Some(now);
        self.since_sweep = 0;
        let limits = self.limits;
        let mut over = std::mem::take(&mut self.positions);
        over.clear();
        over.extend(
            self.activity
                .iter()
                .enumerate()
                .filter(|(_, a)| a.is_over(now, &limits))
                .map(|(e, _)| e),
        );
        self.dropped.expired += self.retire_all(&mut over);
        self.positions = over;
    }

    /// Connections whose close has not finished (both FINs acknowledged, or a reset).
    pub fn open_connections(&self) -> usize {
        self.activity
            .iter()
            .filter(|a| a.status != Status::Finished)
            .count()
    }

    /// End of input: the summaries of every connection still tracked, in order of first packet.
    pub fn finish(&mut self) -> Vec<Box<ConnSummary>> {
        let mut open: Vec<usize> = (0..self.conns.len()).collect();
        self.retire_all(&mut open);
        self.ended.drain(..).collect()
    }
}

/// The order eviction goes by as one integer: last activity, then connection number (which
/// is unique). A 16-byte key compares in a few instructions, where the (time, number,
/// position) tuples it replaced took a chain of them. `None` for a time before 1970 or after
/// 2554, which only a damaged capture has.
fn age_key(a: &Activity) -> Option<u128> {
    let nanos = u64::try_from(a.last.secs)
        .ok()?
        .checked_mul(1_000_000_000)?
        .checked_add(u64::from(a.last.nanos))?;
    Some((u128::from(nanos) << 64) | u128::from(a.id))
}

/// Set `out` to the positions in `activity`, ascending, of its `n` least recently active
/// connections (of two last active at the same time, the lower number). `keys` is scratch
/// space.
fn least_recent(activity: &[Activity], n: usize, keys: &mut Vec<u128>, out: &mut Vec<usize>) {
    out.clear();
    let n = n.min(activity.len());
    if n == 0 {
        return;
    }
    keys.clear();
    keys.extend(activity.iter().map_while(age_key));
    if keys.len() == activity.len() {
        // The n-th smallest key is the last one in; the keys are unique, so exactly n are
        // at most it, and a pass in position order finds them already sorted.
        let (_, &mut last, _) = keys.select_nth_unstable(n - 1);
        out.extend(
            activity
                .iter()
                .enumerate()
                .filter(|(_, a)| age_key(a).is_some_and(|k| k <= last))
                .map(|(e, _)| e),
        );
        debug_assert_eq!(out.len(), n, "age keys not unique");
    } else {
        // A time out of the key's range: compare the times themselves.
        let mut by_age: Vec<(Timestamp, u64, usize)> = activity
            .iter()
            .enumerate()
            .map(|(e, a)| (a.last, a.id, e))
            .collect();
        by_age.select_nth_unstable_by_key(n - 1, |&(t, id, _)| (t, id));
        out.extend(by_age[..n].iter().map(|&(_, _, e)| e));
        out.sort_unstable();
    }
}

#[cfg(test)]
mod tests;

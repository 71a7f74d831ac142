//! Property tests of the tracker on random segment sequences (the invariants the `pipeline`
//! fuzz target checks, in the normal test suite): no panic, every state change starts from
//! the state it claims, paths end where the connection is, relative sequence numbers are
//! offsets from the ISN, and every segment is counted in exactly one connection summary.

use proptest::prelude::*;
use std::collections::HashMap;
use std::net::SocketAddr;
use tcpscope::decode::{Segment, TcpFlags, TcpOptions};
use tcpscope::event::{ConnSummary, Side};
use tcpscope::source::Timestamp;
use tcpscope::track::{Limits, TcpState, Tracker};

const ISNS: [u32; 4] = [0, 1000, 0x7fff_fff0, 0xffff_fff0];

#[derive(Clone, Debug)]
struct Step {
    /// Which of a few address pairs (so connections collide and ports get reused).
    pair: u8,
    from_a: bool,
    flags: u16,
    /// Sequence and acknowledgment numbers near one of a few ISNs (or anywhere).
    seq: (u8, u32),
    ack: (u8, u32),
    len: u32,
    /// Capture time advance in milliseconds (sometimes past every timeout).
    dt_ms: u64,
}

fn step() -> impl Strategy<Value = Step> {
    (
        0u8..6,
        any::<bool>(),
        prop_oneof![
            Just(TcpFlags::SYN),
            Just(TcpFlags::SYN | TcpFlags::ACK),
            Just(TcpFlags::ACK),
            Just(TcpFlags::ACK | TcpFlags::PSH),
            Just(TcpFlags::FIN | TcpFlags::ACK),
            Just(TcpFlags::RST),
            Just(TcpFlags::RST | TcpFlags::ACK),
            0u16..0x200,
        ],
        (0u8..5, 0u32..3000),
        (0u8..5, 0u32..3000),
        prop_oneof![Just(0u32), 0u32..1500, Just(u32::MAX - 20)],
        prop_oneof![0u64..50, 0u64..5_000, Just(2_000_000)],
    )
        .prop_map(|(pair, from_a, flags, seq, ack, len, dt_ms)| Step {
            pair,
            from_a,
            flags,
            seq,
            ack,
            len,
            dt_ms,
        })
}

fn number((base, off): (u8, u32)) -> u32 {
    match ISNS.get(usize::from(base)) {
        Some(isn) => isn.wrapping_add(off),
        None => off.wrapping_mul(2_654_435_761),
    }
}

fn segment(s: &Step) -> Segment {
    let a: SocketAddr = format!(
        "10.0.0.{}:{}",
        1 + s.pair % 2,
        40000 + u16::from(s.pair / 2)
    )
    .parse()
    .unwrap();
    let b: SocketAddr = "10.0.0.9:80".parse().unwrap();
    let (src, dst) = if s.from_a { (a, b) } else { (b, a) };
    Segment {
        src,
        dst,
        seq: number(s.seq),
        ack: number(s.ack),
        flags: TcpFlags(s.flags),
        window: 1000,
        options: TcpOptions::default(),
        payload_len: s.len,
        captured_payload: 0,
    }
}

fn check_summary(c: &ConnSummary) -> Result<(), TestCaseError> {
    prop_assert_eq!(c.client_path.last(), Some(&c.client_state));
    prop_assert_eq!(c.server_path.last(), Some(&c.server_state));
    for path in [&c.client_path, &c.server_path] {
        prop_assert!(path.windows(2).all(|w| w[0] != w[1]), "{:?}", path);
    }
    prop_assert!(c.duration >= 0.0);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_segments_keep_the_tracker_consistent(
        steps in proptest::collection::vec(step(), 1..120),
        small_table in any::<bool>(),
    ) {
        let limits = Limits {
            max_connections: if small_table { 2 } else { 100_000 },
            ..Limits::default()
        };
        let mut tracker = Tracker::with_limits(limits);
        let mut now_ms = 1_700_000_000_000u64;
        let mut summaries: Vec<ConnSummary> = Vec::new();
        // The states each live connection's sides were left in.
        let mut states: HashMap<u64, (TcpState, TcpState)> = HashMap::new();
        for s in &steps {
            now_ms += s.dt_ms;
            let ts = Timestamp::new((now_ms / 1000) as i64, (now_ms % 1000) as u32 * 1_000_000);
            tracker.expire(ts);
            let t = tracker.on_segment(&segment(s), ts);
            for ended in tracker.take_ended() {
                states.remove(&ended.conn);
                summaries.push(*ended);
            }
            prop_assert!(t.rel_time >= 0.0);
            prop_assert!(tracker.tracked() <= limits.max_connections);
            let (mut client, mut server) = states
                .get(&t.conn)
                .copied()
                .unwrap_or((TcpState::Closed, TcpState::Listen));
            for change in &t.analysis.changes {
                prop_assert_ne!(change.from, change.to);
                let side = match change.side {
                    Side::Client => &mut client,
                    Side::Server => &mut server,
                };
                if states.contains_key(&t.conn) {
                    prop_assert_eq!(change.from, *side, "a change starts where the side was");
                }
                *side = change.to;
            }
            if states.contains_key(&t.conn) || !t.analysis.changes.is_empty() {
                prop_assert_eq!((client, server), (t.client_state, t.server_state));
            }
            prop_assert_ne!(t.client_state, TcpState::Listen, "a client never listens");
            states.insert(t.conn, (t.client_state, t.server_state));
        }
        summaries.extend(tracker.finish().into_iter().map(|s| *s));
        let mut ids: Vec<u64> = summaries.iter().map(|c| c.conn).collect();
        ids.sort_unstable();
        ids.dedup();
        prop_assert_eq!(ids.len(), summaries.len(), "one summary per connection");
        prop_assert_eq!(ids.len() as u64, tracker.connections());
        let counted: u64 = summaries.iter().map(|c| c.segments.c2s + c.segments.s2c).sum();
        prop_assert_eq!(counted, steps.len() as u64, "every segment in one summary");
        for c in &summaries {
            check_summary(c)?;
        }
        let dropped = tracker.dropped();
        if !small_table {
            prop_assert_eq!(dropped.evicted, 0);
        }
    }

    /// After a handshake with any ISNs (wrapping included), each segment's relative sequence
    /// and acknowledgment numbers are its offsets from the ISNs.
    #[test]
    fn relative_numbers_are_offsets_from_the_isn(
        cisn in any::<u32>(),
        sisn in any::<u32>(),
        offsets in proptest::collection::vec((any::<bool>(), 0u32..1_000_000, 0u32..1_000_000), 1..40),
    ) {
        let mut tracker = Tracker::new();
        let c: SocketAddr = "10.0.0.1:40000".parse().unwrap();
        let s: SocketAddr = "10.0.0.2:80".parse().unwrap();
        let seg = |from_client: bool, flags: u16, seq: u32, ack: u32| Segment {
            src: if from_client { c } else { s },
            dst: if from_client { s } else { c },
            seq,
            ack,
            flags: TcpFlags(flags),
            window: 1000,
            options: TcpOptions::default(),
            payload_len: 0,
            captured_payload: 0,
        };
        let ts = |i: usize| Timestamp::new(1_700_000_000, i as u32 * 1000);
        tracker.on_segment(&seg(true, TcpFlags::SYN, cisn, 0), ts(0));
        let t = tracker.on_segment(&seg(false, TcpFlags::SYN | TcpFlags::ACK, sisn, cisn.wrapping_add(1)), ts(1));
        prop_assert_eq!((t.analysis.rel_seq, t.analysis.rel_ack), (0, 1));
        for (i, (from_client, a, b)) in offsets.into_iter().enumerate() {
            let (isn, peer) = if from_client { (cisn, sisn) } else { (sisn, cisn) };
            let t = tracker.on_segment(
                &seg(from_client, TcpFlags::ACK, isn.wrapping_add(a), peer.wrapping_add(b)),
                ts(i + 2),
            );
            prop_assert_eq!((t.analysis.rel_seq, t.analysis.rel_ack), (a, b));
        }
    }
}

//! A deterministic generator of synthetic TCP captures for benchmarks: many concurrent
//! connections with handshakes, data, 3- and 4-segment closes, resets, refused and unanswered
//! SYNs, retransmissions and mid-stream joins, over IPv4 and IPv6, in a classic pcap file
//! with a headers-only snapshot length (like `tcpdump -s 128`).
//!
//! cargo run --release --example gencap -- OUT.pcap CONNECTIONS [CONCURRENCY] [SEED]

use std::io::{BufWriter, Write};
use std::net::IpAddr;

/// xorshift64*: small, fast, and the same sequence on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const SNAPLEN: usize = 128;
const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const FIN: u8 = 0x01;
const RST: u8 = 0x04;
const PSH: u8 = 0x08;

#[derive(Clone, Copy)]
struct Pkt {
    c2s: bool,
    flags: u8,
    /// Offsets from each side's ISN.
    seq: u32,
    ack: u32,
    len: u32,
}

struct Conn {
    client: (IpAddr, u16),
    server: (IpAddr, u16),
    cisn: u32,
    sisn: u32,
    script: Vec<Pkt>,
    at: usize,
}

fn p(c2s: bool, flags: u8, seq: u32, ack: u32, len: u32) -> Pkt {
    Pkt {
        c2s,
        flags,
        seq,
        ack,
        len,
    }
}

/// The segments of one connection, as offsets from the ISNs.
fn script(rng: &mut Rng) -> Vec<Pkt> {
    let kind = rng.below(100);
    let mut s = Vec::new();
    let handshake = |s: &mut Vec<Pkt>| {
        s.push(p(true, SYN, 0, 0, 0));
        s.push(p(false, SYN | ACK, 0, 1, 0));
        s.push(p(true, ACK, 1, 1, 0));
    };
    match kind {
        // Refused: SYN, RST-ACK.
        0..=9 => {
            s.push(p(true, SYN, 0, 0, 0));
            s.push(p(false, RST | ACK, 0, 1, 0));
        }
        // Unanswered SYN, sometimes retried.
        10..=29 => {
            for _ in 0..=rng.below(2) {
                s.push(p(true, SYN, 0, 0, 0));
            }
        }
        // Reset after a request.
        30..=39 => {
            handshake(&mut s);
            let req = 1 + rng.below(500) as u32;
            s.push(p(true, PSH | ACK, 1, 1, req));
            s.push(p(false, ACK, 1, 1 + req, 0));
            s.push(p(rng.chance(50), RST | ACK, 1 + req, 1, 0));
        }
        // Joined mid-stream: data, then a close.
        40..=49 => {
            let (a, b) = (
                1000 + rng.below(100_000) as u32,
                1000 + rng.below(100_000) as u32,
            );
            let n = 1 + rng.below(1400) as u32;
            s.push(p(true, PSH | ACK, a, b, n));
            s.push(p(false, ACK, b, a + n, 0));
            s.push(p(true, FIN | ACK, a + n, b, 0));
            s.push(p(false, FIN | ACK, b, a + n + 1, 0));
            s.push(p(true, ACK, a + n + 1, b + 1, 0));
        }
        // A normal exchange, with a retransmission one time in ten.
        _ => {
            handshake(&mut s);
            let req = 1 + rng.below(800) as u32;
            let resp = 1 + rng.below(1460) as u32;
            s.push(p(true, PSH | ACK, 1, 1, req));
            if rng.chance(10) {
                s.push(p(true, PSH | ACK, 1, 1, req));
            }
            s.push(p(false, PSH | ACK, 1, 1 + req, resp));
            let (c, sv) = (1 + req, 1 + resp);
            let client_first = rng.chance(70);
            let (f, o) = if client_first {
                (true, false)
            } else {
                (false, true)
            };
            let (fs, os) = if client_first { (c, sv) } else { (sv, c) };
            s.push(p(f, FIN | ACK, fs, os, 0));
            if rng.chance(50) {
                // Four segments.
                s.push(p(o, ACK, os, fs + 1, 0));
                s.push(p(o, FIN | ACK, os, fs + 1, 0));
            } else {
                // Three: FIN+ACK.
                s.push(p(o, FIN | ACK, os, fs + 1, 0));
            }
            s.push(p(f, ACK, fs + 1, os + 1, 0));
        }
    }
    s
}

fn frame(conn: &Conn, pkt: &Pkt, out: &mut Vec<u8>) -> u32 {
    out.clear();
    let ((sa, sp), (da, dp)) = if pkt.c2s {
        (conn.client, conn.server)
    } else {
        (conn.server, conn.client)
    };
    let (my_isn, peer_isn) = if pkt.c2s {
        (conn.cisn, conn.sisn)
    } else {
        (conn.sisn, conn.cisn)
    };
    let syn = pkt.flags & SYN != 0;
    let options: &[u8] = if syn {
        &[2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 1, 1]
    } else {
        &[]
    };
    let tcp_len = 20 + options.len();
    out.extend_from_slice(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    let ip_len = match (sa, da) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            out.extend_from_slice(&0x0800u16.to_be_bytes());
            let total = (20 + tcp_len + pkt.len as usize) as u16;
            out.extend_from_slice(&[0x45, 0]);
            out.extend_from_slice(&total.to_be_bytes());
            out.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
            out.extend_from_slice(&s.octets());
            out.extend_from_slice(&d.octets());
            20
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            out.extend_from_slice(&0x86ddu16.to_be_bytes());
            out.extend_from_slice(&[0x60, 0, 0, 0]);
            out.extend_from_slice(&((tcp_len + pkt.len as usize) as u16).to_be_bytes());
            out.extend_from_slice(&[6, 64]);
            out.extend_from_slice(&s.octets());
            out.extend_from_slice(&d.octets());
            40
        }
        _ => unreachable!("both ends of a connection have the same family"),
    };
    out.extend_from_slice(&sp.to_be_bytes());
    out.extend_from_slice(&dp.to_be_bytes());
    out.extend_from_slice(&my_isn.wrapping_add(pkt.seq).to_be_bytes());
    let ack = if pkt.flags & ACK != 0 {
        peer_isn.wrapping_add(pkt.ack)
    } else {
        0
    };
    out.extend_from_slice(&ack.to_be_bytes());
    out.push(((tcp_len / 4) as u8) << 4);
    out.push(pkt.flags);
    out.extend_from_slice(&65535u16.to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(options);
    let wire = 14 + ip_len + tcp_len + pkt.len as usize;
    // Headers only: the payload is not stored, as with `tcpdump -s 128`.
    out.resize((14 + ip_len + tcp_len).min(SNAPLEN), 0);
    wire as u32
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: gencap OUT.pcap CONNECTIONS [CONCURRENCY] [SEED]");
        std::process::exit(2);
    }
    let total: u64 = args[2].parse().expect("CONNECTIONS is a number");
    let concurrency: usize = args
        .get(3)
        .map_or(1000, |c| c.parse().expect("CONCURRENCY is a number"));
    let seed = args
        .get(4)
        .map_or(0x7cb5_c0de, |s| s.parse().expect("SEED is a number"));
    let out = BufWriter::with_capacity(1 << 20, std::fs::File::create(&args[1])?);
    let packets = generate(out, total, concurrency, seed)?;
    eprintln!("{}: {total} connections, {packets} packets", args[1]);
    Ok(())
}

/// Write a capture of `total` connections, `concurrency` of them open at once, to `out`;
/// how many packets it holds. The same arguments give the same bytes.
pub fn generate(
    mut out: impl Write,
    total: u64,
    concurrency: usize,
    seed: u64,
) -> std::io::Result<u64> {
    let mut rng = Rng(seed | 1);
    out.write_all(&0xa1b2c3d4u32.to_le_bytes())?;
    out.write_all(&2u16.to_le_bytes())?;
    out.write_all(&4u16.to_le_bytes())?;
    out.write_all(&[0; 8])?;
    out.write_all(&(SNAPLEN as u32).to_le_bytes())?;
    out.write_all(&1u32.to_le_bytes())?;

    let mut started = 0u64;
    let mut active: Vec<Conn> = Vec::new();
    let mut micros: u64 = 1_700_000_000 * 1_000_000;
    let mut packets = 0u64;
    let mut buf = Vec::with_capacity(256);
    let new_conn = |rng: &mut Rng, n: u64| -> Conn {
        let v6 = rng.chance(25);
        let host = 1 + rng.below(60_000) as u32;
        let (client, server) = if v6 {
            let mut c = [0u16; 8];
            c[0] = 0x2001;
            c[1] = 0xdb8;
            c[6] = (host >> 16) as u16;
            c[7] = host as u16;
            let mut s = c;
            s[5] = 0xffff;
            s[7] = 1 + (n % 8) as u16;
            (IpAddr::from(c), IpAddr::from(s))
        } else {
            (
                IpAddr::from([10, (host >> 16) as u8, (host >> 8) as u8, host as u8]),
                IpAddr::from([192, 0, 2, 1 + (n % 8) as u8]),
            )
        };
        let sport = 1024 + (n % 64_000) as u16;
        let dport = [80u16, 443, 7788, 22][rng.below(4) as usize];
        Conn {
            client: (client, sport),
            server: (server, dport),
            cisn: rng.next() as u32,
            sisn: rng.next() as u32,
            script: script(rng),
            at: 0,
        }
    };
    while started < total || !active.is_empty() {
        while active.len() < concurrency && started < total {
            active.push(new_conn(&mut rng, started));
            started += 1;
        }
        let i = rng.below(active.len() as u64) as usize;
        let conn = &mut active[i];
        let pkt = conn.script[conn.at];
        conn.at += 1;
        let wire = frame(conn, &pkt, &mut buf);
        micros += rng.below(50);
        out.write_all(&((micros / 1_000_000) as u32).to_le_bytes())?;
        out.write_all(&((micros % 1_000_000) as u32).to_le_bytes())?;
        out.write_all(&(buf.len() as u32).to_le_bytes())?;
        out.write_all(&wire.to_le_bytes())?;
        out.write_all(&buf)?;
        packets += 1;
        if conn.at == conn.script.len() {
            active.swap_remove(i);
        }
    }
    out.flush()?;
    Ok(packets)
}

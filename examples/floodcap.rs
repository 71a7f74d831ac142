//! Captures for the bounded-memory figures, headers only (54-byte records):
//!
//! cargo run --release --example floodcap -- syn-flood OUT.pcap 1000000   # N half-open SYNs
//! cargo run --release --example floodcap -- bulk OUT.pcap 10000000000    # one connection, N bytes
use std::io::{BufWriter, Write};

fn frame(
    src: ([u8; 4], u16),
    dst: ([u8; 4], u16),
    flags: u8,
    seq: u32,
    ack: u32,
    len: u16,
) -> Vec<u8> {
    let mut f = vec![0u8; 12];
    f.extend_from_slice(&[0x08, 0x00, 0x45, 0]);
    f.extend_from_slice(&(40 + len).to_be_bytes());
    f.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
    f.extend_from_slice(&src.0);
    f.extend_from_slice(&dst.0);
    f.extend_from_slice(&src.1.to_be_bytes());
    f.extend_from_slice(&dst.1.to_be_bytes());
    f.extend_from_slice(&seq.to_be_bytes());
    f.extend_from_slice(&ack.to_be_bytes());
    f.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    f
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (mode, path, n) = match &args[1..] {
        [m, p, n] => (m.as_str(), p, n.parse::<u64>().expect("a number")),
        _ => panic!("usage: floodcap syn-flood|bulk OUT.pcap N"),
    };
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    out.write_all(&0xa1b2c3d4u32.to_le_bytes())?;
    out.write_all(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0])?;
    out.write_all(&54u32.to_le_bytes())?;
    out.write_all(&1u32.to_le_bytes())?;
    let mut usec = 0u64;
    let mut record = |out: &mut BufWriter<std::fs::File>, f: &[u8], wire: usize| {
        usec += 10;
        let mut h = Vec::with_capacity(16);
        h.extend_from_slice(&((1_700_000_000 + usec / 1_000_000) as u32).to_le_bytes());
        h.extend_from_slice(&((usec % 1_000_000) as u32).to_le_bytes());
        h.extend_from_slice(&(f.len() as u32).to_le_bytes());
        h.extend_from_slice(&(wire as u32).to_le_bytes());
        out.write_all(&h)?;
        out.write_all(f)
    };
    let server = ([10, 0, 0, 1], 80);
    match mode {
        "syn-flood" => {
            for i in 0..n {
                let ip = [11, (i >> 16) as u8, (i >> 8) as u8, i as u8];
                let f = frame(
                    (ip, 1024 + (i % 60000) as u16),
                    server,
                    0x02,
                    i as u32,
                    0,
                    0,
                );
                record(&mut out, &f, 54)?;
            }
        }
        "bulk" => {
            let client = ([10, 0, 0, 2], 40000);
            let (c, s) = (1000u32, 5000u32);
            record(&mut out, &frame(client, server, 0x02, c, 0, 0), 54)?;
            record(&mut out, &frame(server, client, 0x12, s, c + 1, 0), 54)?;
            record(&mut out, &frame(client, server, 0x10, c + 1, s + 1, 0), 54)?;
            let mut sent = 0u64;
            let mut i = 0u64;
            while sent < n {
                let len = (n - sent).min(1460) as u16;
                let seq = c.wrapping_add(1).wrapping_add(sent as u32);
                let f = frame(client, server, 0x18, seq, s + 1, len);
                record(&mut out, &f, 54 + usize::from(len))?;
                sent += u64::from(len);
                i += 1;
                if i % 2 == 0 {
                    let ack = c.wrapping_add(1).wrapping_add(sent as u32);
                    record(&mut out, &frame(server, client, 0x10, s + 1, ack, 0), 54)?;
                }
            }
            let end = c.wrapping_add(1).wrapping_add(n as u32);
            record(&mut out, &frame(client, server, 0x11, end, s + 1, 0), 54)?;
            record(
                &mut out,
                &frame(server, client, 0x11, s + 1, end.wrapping_add(1), 0),
                54,
            )?;
            record(
                &mut out,
                &frame(client, server, 0x10, end.wrapping_add(1), s + 2, 0),
                54,
            )?;
        }
        other => panic!("unknown mode {other}"),
    }
    out.flush()
}

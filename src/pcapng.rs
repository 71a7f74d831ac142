//! `--write-annotated FILE.pcapng`: the capture again, with tcpscope's label of each segment
//! as its packet comment (Wireshark shows it as the frame comment, `frame.comment`).
//! libpcap cannot write comments, so this is a minimal pcapng writer: one Section Header
//! Block, one Interface Description Block (the capture's link type and snapshot length,
//! microsecond timestamps) and an Enhanced Packet Block per frame with `opt_comment`.

use crate::error::Error;
use pcap::{Capture, Precision};
use std::io::{self, Write};
use std::path::Path;

fn pad4(n: usize) -> usize {
    (4 - n % 4) % 4
}

/// Writes pcapng blocks (little-endian) to any `io::Write`.
pub struct PcapngWriter<W: Write> {
    out: W,
}

impl<W: Write> PcapngWriter<W> {
    /// Write the section header and the one interface.
    pub fn new(mut out: W, linktype: u16, snaplen: u32) -> io::Result<Self> {
        // Section Header Block: type, length, byte-order magic, version 1.0, unknown length.
        let mut shb = Vec::with_capacity(28);
        shb.extend_from_slice(&0x0A0D_0D0Au32.to_le_bytes());
        shb.extend_from_slice(&28u32.to_le_bytes());
        shb.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
        shb.extend_from_slice(&1u16.to_le_bytes());
        shb.extend_from_slice(&0u16.to_le_bytes());
        shb.extend_from_slice(&(-1i64).to_le_bytes());
        shb.extend_from_slice(&28u32.to_le_bytes());
        out.write_all(&shb)?;
        // Interface Description Block: no options, so if_tsresol is the default (µs).
        let mut idb = Vec::with_capacity(20);
        idb.extend_from_slice(&1u32.to_le_bytes());
        idb.extend_from_slice(&20u32.to_le_bytes());
        idb.extend_from_slice(&linktype.to_le_bytes());
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&snaplen.to_le_bytes());
        idb.extend_from_slice(&20u32.to_le_bytes());
        out.write_all(&idb)?;
        Ok(PcapngWriter { out })
    }

    /// One Enhanced Packet Block; `micros` since the Unix epoch.
    pub fn packet(
        &mut self,
        micros: u64,
        data: &[u8],
        orig_len: u32,
        comment: Option<&str>,
    ) -> io::Result<()> {
        let caplen = u32::try_from(data.len()).map_err(io::Error::other)?;
        let mut options = Vec::new();
        if let Some(c) = comment.filter(|c| !c.is_empty()) {
            // An option's length is 16 bits: cut long comments at a character boundary.
            let mut end = c.len().min(60_000);
            while !c.is_char_boundary(end) {
                end -= 1;
            }
            let text = &c.as_bytes()[..end];
            options.extend_from_slice(&1u16.to_le_bytes());
            options.extend_from_slice(&(text.len() as u16).to_le_bytes());
            options.extend_from_slice(text);
            options.resize(options.len() + pad4(text.len()), 0);
            options.extend_from_slice(&[0, 0, 0, 0]);
        }
        let total = 32 + data.len() + pad4(data.len()) + options.len();
        let total = u32::try_from(total).map_err(io::Error::other)?;
        let mut b = Vec::with_capacity(total as usize);
        b.extend_from_slice(&6u32.to_le_bytes());
        b.extend_from_slice(&total.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&((micros >> 32) as u32).to_le_bytes());
        b.extend_from_slice(&(micros as u32).to_le_bytes());
        b.extend_from_slice(&caplen.to_le_bytes());
        b.extend_from_slice(&orig_len.to_le_bytes());
        b.extend_from_slice(data);
        b.resize(b.len() + pad4(data.len()), 0);
        b.extend_from_slice(&options);
        b.extend_from_slice(&total.to_le_bytes());
        self.out.write_all(&b)
    }

    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// The snapshot length in a capture file's header (pcap, or the first pcapng interface);
/// 0 (no limit) when it cannot be read.
pub fn file_snaplen(path: &Path) -> u32 {
    let mut bytes = Vec::with_capacity(4096);
    let read = std::fs::File::open(path)
        .and_then(|f| std::io::Read::read_to_end(&mut std::io::Read::take(f, 4096), &mut bytes));
    if read.is_err() {
        return 0;
    }
    let u32_at = |i: usize, le: bool| -> Option<u32> {
        let b: [u8; 4] = bytes.get(i..i + 4)?.try_into().ok()?;
        Some(if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let magic = u32_at(0, true).unwrap_or(0);
    let found = match magic {
        0xa1b2c3d4 | 0xa1b23c4d => u32_at(16, true),
        0xd4c3b2a1 | 0x4d3cb2a1 => u32_at(16, false),
        0x0A0D0D0A => {
            let le = u32_at(8, true) == Some(0x1A2B3C4D);
            u32_at(4, le).and_then(|shb_len| {
                let idb = shb_len as usize;
                (u32_at(idb, le) == Some(1)).then(|| u32_at(idb + 12, le))?
            })
        }
        _ => None,
    };
    found.unwrap_or(0)
}

/// Copy `input` to `output` as pcapng, each frame with its comment (by 1-based frame number).
/// Returns how many frames were written.
pub fn write_annotated(
    input: &Path,
    output: &Path,
    comments: &std::collections::HashMap<u64, String>,
) -> Result<u64, Error> {
    let write_err = |e: io::Error| Error::Write {
        path: output.to_owned(),
        reason: e.to_string(),
    };
    let mut capture = Capture::from_file_with_precision(input, Precision::Micro).map_err(|e| {
        Error::NotACapture {
            path: input.to_owned(),
            reason: e.to_string(),
        }
    })?;
    let linktype = u16::try_from(capture.get_datalink().0).unwrap_or(0);
    let file = std::fs::File::create(output).map_err(write_err)?;
    let mut w = PcapngWriter::new(io::BufWriter::new(file), linktype, file_snaplen(input))
        .map_err(write_err)?;
    let mut frame = 0u64;
    while let Ok(p) = capture.next_packet() {
        frame += 1;
        let micros = u64::try_from(p.header.ts.tv_sec).unwrap_or(0) * 1_000_000
            + u64::try_from(p.header.ts.tv_usec).unwrap_or(0);
        let comment = comments.get(&frame).map(String::as_str);
        w.packet(micros, p.data, p.header.len, comment)
            .map_err(write_err)?;
    }
    w.finish().map_err(write_err)?;
    Ok(frame)
}

#[cfg(test)]
mod tests {
    use super::PcapngWriter;

    #[test]
    fn blocks_are_aligned_and_lengths_repeat() {
        let mut w = PcapngWriter::new(Vec::new(), 1, 65535).unwrap();
        w.packet(1_700_000_000_123_456, &[1, 2, 3, 4, 5], 5, Some("hé"))
            .unwrap();
        w.packet(1_700_000_000_123_457, &[9; 8], 60, None).unwrap();
        let b = w.finish().unwrap();
        assert_eq!(b.len() % 4, 0);
        let mut at = 0;
        let mut types = Vec::new();
        while at < b.len() {
            let t = u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
            let len = u32::from_le_bytes(b[at + 4..at + 8].try_into().unwrap()) as usize;
            let tail = u32::from_le_bytes(b[at + len - 4..at + len].try_into().unwrap()) as usize;
            assert_eq!(len, tail);
            types.push(t);
            at += len;
        }
        assert_eq!(types, [0x0A0D0D0A, 1, 6, 6]);
        // The first EPB carries the comment option (code 1, 3 bytes "hé").
        let epb = &b[48..];
        assert_eq!(&epb[36..40], &[1, 0, 3, 0]);
        assert_eq!(&epb[40..43], "hé".as_bytes());
    }
}

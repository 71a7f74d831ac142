//! Live capture through libpcap: immediate mode (no batching), a short read timeout so the
//! caller can check for a stop request, and an optional savefile of everything captured.

use super::{Frame, Timestamp};
use crate::decode::Linktype;
use crate::error::Error;
use crate::event::CaptureStats;
use pcap::{Active, Capture, Device, Precision};
use std::io::Write;
use std::path::Path;

/// How long one read waits before it returns to let the caller look around (ms).
const READ_TIMEOUT_MS: i32 = 50;

pub struct LiveSource {
    interface: String,
    capture: Capture<Active>,
    linktype: Linktype,
    savefile: Option<SaveFile>,
    snaplen: i32,
    number: u64,
}

/// A classic pcap file written by us rather than by libpcap's `pcap_dump`, whose buffered
/// writes drop errors (a full disk would go unnoticed). When a write fails the file is cut
/// back to its last complete record, so it stays valid, and the error names the file.
struct SaveFile {
    /// `None` once a write failed.
    out: Option<std::io::BufWriter<std::fs::File>>,
    path: std::path::PathBuf,
    /// Bytes handed to the writer, and bytes known to be on disk.
    written: u64,
    flushed: u64,
    /// Where each record written since the last flush ends.
    ends: Vec<u64>,
}

impl SaveFile {
    fn create(path: &Path, linktype: Linktype, snaplen: i32) -> std::io::Result<SaveFile> {
        let file = std::fs::File::create(path)?;
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, file);
        let mut header = Vec::with_capacity(24);
        header.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        header.extend_from_slice(&2u16.to_le_bytes());
        header.extend_from_slice(&4u16.to_le_bytes());
        header.extend_from_slice(&[0; 8]);
        header.extend_from_slice(&u32::try_from(snaplen).unwrap_or(262_144).to_le_bytes());
        header.extend_from_slice(&(linktype.linktype_number() as u32).to_le_bytes());
        out.write_all(&header)?;
        out.flush()?;
        Ok(SaveFile {
            out: Some(out),
            path: path.to_owned(),
            written: 24,
            flushed: 24,
            ends: Vec::new(),
        })
    }

    fn write(&mut self, header: &pcap::PacketHeader, data: &[u8]) -> Result<(), Error> {
        let Some(out) = self.out.as_mut() else {
            return Ok(());
        };
        let mut record = [0u8; 16];
        // Seconds as the format's 32 bits (until 2106).
        record[..4].copy_from_slice(&(header.ts.tv_sec as u32).to_le_bytes());
        record[4..8].copy_from_slice(&(header.ts.tv_usec as u32).to_le_bytes());
        record[8..12].copy_from_slice(&(data.len() as u32).to_le_bytes());
        record[12..].copy_from_slice(&header.len.to_le_bytes());
        match out.write_all(&record).and_then(|()| out.write_all(data)) {
            Ok(()) => {
                self.written += 16 + data.len() as u64;
                self.ends.push(self.written);
                Ok(())
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    fn flush(&mut self) -> Result<(), Error> {
        let Some(out) = self.out.as_mut() else {
            return Ok(());
        };
        match out.flush() {
            Ok(()) => {
                self.flushed = self.written;
                self.ends.clear();
                Ok(())
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Stop writing; cut the file back to the last record that reached the disk whole.
    fn fail(&mut self, e: std::io::Error) -> Error {
        if let Some(out) = self.out.take() {
            // Without flushing what is still buffered.
            let (file, _) = out.into_parts();
            let on_disk = file.metadata().map(|m| m.len()).unwrap_or(self.flushed);
            let keep = self
                .ends
                .iter()
                .rev()
                .find(|&&end| end <= on_disk)
                .copied()
                .unwrap_or(self.flushed)
                .min(on_disk);
            let _ = file.set_len(keep);
        }
        Error::Write {
            path: self.path.clone(),
            reason: e.to_string(),
        }
    }
}

/// What [`LiveSource::next_frame`] found.
pub enum LiveNext<'a> {
    Frame(Frame<'a>),
    /// Nothing arrived within the read timeout.
    Idle,
    /// libpcap says the capture is over.
    Stopped,
}

/// A capture device libpcap offers.
#[derive(Clone, Debug)]
pub struct Interface {
    pub name: String,
    pub description: Option<String>,
    pub addresses: Vec<std::net::IpAddr>,
    pub up: bool,
    pub loopback: bool,
}

/// The capture devices on this machine.
pub fn interfaces() -> Result<Vec<Interface>, Error> {
    let devices = Device::list().map_err(|e| Error::Capture {
        interface: "(list)".into(),
        reason: e.to_string(),
    })?;
    Ok(devices
        .into_iter()
        .map(|d| Interface {
            up: d.flags.is_up(),
            loopback: d.flags.is_loopback(),
            addresses: d.addresses.iter().map(|a| a.addr).collect(),
            name: d.name,
            description: d.desc,
        })
        .collect())
}

fn is_permission_problem(reason: &str) -> bool {
    let r = reason.to_ascii_lowercase();
    r.contains("permission") || r.contains("not permitted")
}

impl LiveSource {
    /// Open `interface` for capture: immediate mode, `snaplen` bytes per packet, an optional
    /// BPF filter. The capture is active when this returns.
    pub fn open(
        interface: &str,
        filter: Option<&str>,
        snaplen: i32,
        buffer_mib: u32,
    ) -> Result<LiveSource, Error> {
        let capture_error = |reason: String| {
            if is_permission_problem(&reason) {
                Error::Permission {
                    interface: interface.to_string(),
                    reason,
                }
            } else {
                Error::Capture {
                    interface: interface.to_string(),
                    reason,
                }
            }
        };
        let inactive = Capture::from_device(interface)
            .map_err(|e| capture_error(e.to_string()))?
            .immediate_mode(true)
            .snaplen(snaplen)
            .timeout(READ_TIMEOUT_MS)
            .buffer_size(i32::try_from(u64::from(buffer_mib.max(1)) << 20).unwrap_or(i32::MAX))
            .precision(Precision::Micro);
        // Non-blocking: an idle capture returns at once, and the caller waits on the
        // descriptor with its own timeout (libpcap's immediate mode ignores read timeouts).
        let mut capture = inactive
            .open()
            .and_then(|c| c.setnonblock())
            .map_err(|e| capture_error(e.to_string()))?;
        let dlt = capture.get_datalink();
        let linktype = Linktype::from_dlt(dlt.0).ok_or_else(|| Error::UnsupportedLinktype {
            path: interface.into(),
            dlt: dlt.0,
            name: dlt.get_name().unwrap_or_else(|_| "unknown".into()),
        })?;
        if let Some(expr) = filter {
            capture.filter(expr, true).map_err(|e| Error::BadFilter {
                filter: expr.to_owned(),
                reason: e.to_string(),
            })?;
        }
        Ok(LiveSource {
            interface: interface.to_string(),
            capture,
            linktype,
            savefile: None,
            snaplen,
            number: 0,
        })
    }

    /// Also write every captured packet to `path` (pcap format).
    pub fn write_to(&mut self, path: &Path) -> Result<(), Error> {
        let savefile =
            SaveFile::create(path, self.linktype, self.snaplen).map_err(|e| Error::Write {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
        self.savefile = Some(savefile);
        Ok(())
    }

    pub fn linktype(&self) -> Linktype {
        self.linktype
    }

    pub fn interface(&self) -> &str {
        &self.interface
    }

    /// After `Idle`: wait until a packet may be there, at most `timeout`.
    pub fn wait(&self, timeout: std::time::Duration) -> Result<(), Error> {
        let fd = std::os::fd::AsRawFd::as_raw_fd(&self.capture);
        crate::sys::wait_readable(fd, timeout)
            .map(|_| ())
            .map_err(|e| Error::Capture {
                interface: self.interface.clone(),
                reason: e.to_string(),
            })
    }

    /// The next packet if one is there now, else `Idle`.
    pub fn next_frame(&mut self) -> Result<LiveNext<'_>, Error> {
        match self.capture.next_packet() {
            Ok(packet) => {
                self.number += 1;
                if let Some(file) = self.savefile.as_mut() {
                    file.write(packet.header, packet.data)?;
                }
                Ok(LiveNext::Frame(Frame {
                    number: self.number,
                    ts: Timestamp::new(
                        packet.header.ts.tv_sec,
                        u32::try_from(packet.header.ts.tv_usec).unwrap_or(0) * 1000,
                    ),
                    linktype: self.linktype,
                    data: packet.data,
                    orig_len: packet.header.len,
                }))
            }
            Err(pcap::Error::TimeoutExpired) => Ok(LiveNext::Idle),
            Err(pcap::Error::NoMorePackets) => Ok(LiveNext::Stopped),
            Err(e) => Err(Error::Capture {
                interface: self.interface.clone(),
                reason: e.to_string(),
            }),
        }
    }

    /// Flush the savefile so that a reader sees every packet written so far. A full disk
    /// shows here at the latest.
    pub fn flush(&mut self) -> Result<(), Error> {
        if let Some(file) = self.savefile.as_mut() {
            file.flush()?;
        }
        Ok(())
    }

    pub fn stats(&mut self) -> Option<CaptureStats> {
        self.capture.stats().ok().map(|s| CaptureStats {
            received: s.received,
            dropped_by_kernel: s.dropped,
            dropped_by_interface: s.if_dropped,
        })
    }
}

//! Capture files (.pcap, .pcapng): classic pcap files read by `classic.rs`, everything else
//! (pcapng, older versions, pipes, a BPF filter) through libpcap.

use super::classic::{self, ClassicReader};
use super::{Frame, Timestamp};
use crate::decode::Linktype;
use crate::error::Error;
use pcap::{BpfProgram, Capture, Offline, Precision};
use std::io::Read;
use std::path::{Path, PathBuf};

/// A capture file opened for reading, frame by frame.
pub struct FileSource {
    path: PathBuf,
    reader: Reader,
    linktype: Linktype,
    number: u64,
    size: u64,
    /// Estimated bytes read: the file header, then 16 + caplen per record.
    bytes_read: u64,
}

/// Who reads the records.
enum Reader {
    /// Classic pcap without a filter: tcpscope, from a large buffer.
    Classic(ClassicReader),
    /// Everything else.
    Libpcap {
        capture: Capture<Offline>,
        filter: Option<BpfProgram>,
    },
}

/// What [`FileSource::next_frame`] found.
pub enum Next<'a> {
    Frame(Frame<'a>),
    /// The frame did not match the BPF filter (it still counts for frame numbers).
    Filtered,
    End,
}

impl FileSource {
    /// Open `path` (pcap or pcapng; libpcap decides) with an optional BPF filter.
    pub fn open(path: &Path, filter: Option<&str>) -> Result<FileSource, Error> {
        let meta = std::fs::metadata(path).map_err(|source| Error::Open {
            path: path.to_owned(),
            source,
        })?;
        if meta.is_dir() {
            return Err(Error::NotACapture {
                path: path.to_owned(),
                reason: "it is a directory".into(),
            });
        }
        // Only a regular file: to hand anything else to libpcap the file is opened again,
        // and a pipe's first bytes would be gone.
        if filter.is_none() && meta.is_file() {
            if let Some(source) = FileSource::open_classic(path, meta.len())? {
                return Ok(source);
            }
        }
        let capture = Capture::from_file_with_precision(path, Precision::Nano).map_err(|e| {
            Error::NotACapture {
                path: path.to_owned(),
                reason: e.to_string(),
            }
        })?;
        let dlt = capture.get_datalink();
        let linktype = Linktype::from_dlt(dlt.0).ok_or_else(|| Error::UnsupportedLinktype {
            path: path.to_owned(),
            dlt: dlt.0,
            name: dlt.get_name().unwrap_or_else(|_| "unknown".into()),
        })?;
        let filter = match filter {
            Some(expr) => Some(capture.compile(expr, true).map_err(|e| Error::BadFilter {
                filter: expr.to_owned(),
                reason: e.to_string(),
            })?),
            None => None,
        };
        Ok(FileSource {
            path: path.to_owned(),
            reader: Reader::Libpcap { capture, filter },
            linktype,
            number: 0,
            size: meta.len(),
            bytes_read: 24,
        })
    }

    /// A classic pcap file whose link type tcpscope reads, read without libpcap; `None`
    /// leaves the file to libpcap (which also gives the errors of anything else).
    fn open_classic(path: &Path, size: u64) -> Result<Option<FileSource>, Error> {
        let open_error = |source| Error::Open {
            path: path.to_owned(),
            source,
        };
        let mut file = std::fs::File::open(path).map_err(open_error)?;
        let mut bytes = [0u8; 24];
        if file.read_exact(&mut bytes).is_err() {
            return Ok(None);
        }
        let Some(header) = classic::Header::parse(&bytes) else {
            return Ok(None);
        };
        let linktype = i32::try_from(header.linktype)
            .ok()
            .and_then(Linktype::from_dlt);
        // In a file of the other byte order libpcap swaps the CAN ID behind a Linux cooked
        // header: those files stay with libpcap.
        if header.swapped() && matches!(linktype, Some(Linktype::LinuxSll | Linktype::LinuxSll2)) {
            return Ok(None);
        }
        let Some(linktype) = linktype else {
            return Ok(None);
        };
        Ok(Some(FileSource {
            path: path.to_owned(),
            reader: Reader::Classic(ClassicReader::new(file, header)),
            linktype,
            number: 0,
            size,
            bytes_read: 24,
        }))
    }

    /// Whether libpcap reads this file (pcapng, a pcap version before 2.4, a pipe, a filter,
    /// or Linux cooked frames in the other byte order), rather than tcpscope's own reader of
    /// classic pcap.
    pub fn uses_libpcap(&self) -> bool {
        matches!(self.reader, Reader::Libpcap { .. })
    }

    pub fn linktype(&self) -> Linktype {
        self.linktype
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// File size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// About how far into the file reading is (libpcap does not say): the pcap header and
    /// 16 bytes of record header plus the captured bytes per frame.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// Frames read so far.
    pub fn frames_read(&self) -> u64 {
        self.number
    }

    /// The next frame. A read error (a corrupt or cut record) ends the file: libpcap cannot
    /// find the next record after it.
    #[inline]
    pub fn next_frame(&mut self) -> Result<Next<'_>, Error> {
        let (capture, filter) = match &mut self.reader {
            Reader::Classic(reader) => {
                return match reader.next_record() {
                    Ok(Some(record)) => {
                        self.number += 1;
                        self.bytes_read += 16 + u64::from(record.stored);
                        Ok(Next::Frame(Frame {
                            number: self.number,
                            ts: Timestamp::new(record.secs, record.nanos),
                            linktype: self.linktype,
                            data: record.data,
                            orig_len: record.orig_len,
                        }))
                    }
                    Ok(None) => Ok(Next::End),
                    Err(reason) => Err(Error::Read {
                        path: self.path.clone(),
                        frame: self.number + 1,
                        reason,
                    }),
                };
            }
            Reader::Libpcap { capture, filter } => (capture, filter),
        };
        let packet = match capture.next_packet() {
            Ok(p) => p,
            Err(pcap::Error::NoMorePackets) => return Ok(Next::End),
            Err(e) => {
                return Err(Error::Read {
                    path: self.path.clone(),
                    frame: self.number + 1,
                    reason: reason(e),
                })
            }
        };
        self.number += 1;
        self.bytes_read += 16 + u64::from(packet.header.caplen);
        if let Some(filter) = filter {
            if !filter.filter(packet.data) {
                return Ok(Next::Filtered);
            }
        }
        let ts = Timestamp::new(
            packet.header.ts.tv_sec,
            // Precision::Nano: tv_usec holds nanoseconds.
            u32::try_from(packet.header.ts.tv_usec).unwrap_or(0),
        );
        Ok(Next::Frame(Frame {
            number: self.number,
            ts,
            linktype: self.linktype,
            data: packet.data,
            orig_len: packet.header.len,
        }))
    }
}

/// libpcap's message for a record it cannot read, as tcpscope's own reader gives it (without
/// the `pcap` crate's "libpcap error: " in front).
pub fn reason(e: pcap::Error) -> String {
    match e {
        pcap::Error::PcapError(message) => message,
        e => e.to_string(),
    }
}

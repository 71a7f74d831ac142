//! JSON Lines: one object per line, each with a "type". The schema is documented in the
//! README ("JSON output"); fields are only ever added.

use super::escape::{escape_payload, escape_text, Encoding};
use super::Render;
use crate::decode::TcpOptions;
use crate::event::{CaptureSummary, ConnSummary, Event, Notice, Origin, RttStats, SegmentEvent};
use crate::lang::{self, Lang};
use crate::track::TcpState;
use serde::Serialize;
use std::io::{self, Write};

/// Version of the JSON schema, in every "capture" line.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonOptions {
    #[serde(skip_serializing_if = "Option::is_none")]
    mss: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    wscale: Option<u8>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    sack_perm: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sack: Vec<[u32; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ts: Option<[u32; 2]>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    unknown: Vec<JsonUnknown>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    truncated: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    malformed: bool,
}

#[derive(Serialize)]
struct JsonUnknown {
    kind: u8,
    len: u8,
}

impl From<&TcpOptions> for JsonOptions {
    fn from(o: &TcpOptions) -> Self {
        JsonOptions {
            mss: o.mss,
            wscale: o.window_scale,
            sack_perm: o.sack_permitted,
            sack: o.sack.iter().map(|&(l, r)| [l, r]).collect(),
            ts: o.timestamps.map(|(v, e)| [v, e]),
            unknown: o
                .unknown
                .iter()
                .map(|u| JsonUnknown {
                    kind: u.kind,
                    len: u.len,
                })
                .collect(),
            truncated: o.truncated,
            malformed: o.malformed,
        }
    }
}

#[derive(Serialize)]
struct JsonChange {
    side: &'static str,
    from: TcpState,
    to: TcpState,
}

#[derive(Serialize)]
struct JsonSegment {
    #[serde(rename = "type")]
    kind: &'static str,
    conn: u64,
    frame: u64,
    ts: f64,
    rel_time: f64,
    src: String,
    dst: String,
    dir: &'static str,
    flags: Vec<&'static str>,
    seq: u32,
    ack: u32,
    rel_seq: u32,
    rel_ack: u32,
    len: u32,
    win: u16,
    win_scaled: Option<u64>,
    options: JsonOptions,
    phase: &'static str,
    label: String,
    client_state: TcpState,
    server_state: TcpState,
    state_changes: Vec<JsonChange>,
    notes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<String>,
    analysis: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dup_ack_num: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ack_rtt: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes_in_flight: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sack_rel: Vec<[u32; 2]>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    dsack: bool,
}

#[derive(Serialize)]
struct RttJson {
    min: Option<f64>,
    avg: Option<f64>,
    max: Option<f64>,
    samples: u64,
}

impl From<&RttStats> for RttJson {
    fn from(r: &RttStats) -> Self {
        let some = r.samples > 0;
        RttJson {
            min: some.then(|| micros(r.min)),
            avg: r.avg().map(micros),
            max: some.then(|| micros(r.max)),
            samples: r.samples,
        }
    }
}

#[derive(Serialize)]
struct RttPerDir {
    c2s: RttJson,
    s2c: RttJson,
}

#[derive(Serialize)]
struct PerDirJson {
    c2s: u64,
    s2c: u64,
}

#[derive(Serialize)]
struct JsonConnection<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    conn: u64,
    client: String,
    server: String,
    start: f64,
    duration: f64,
    segments: PerDirJson,
    bytes: PerDirJson,
    handshake_rtt: Option<f64>,
    close: &'static str,
    half_close: bool,
    closed_by: Option<&'static str>,
    origin: &'static str,
    client_state: TcpState,
    server_state: TcpState,
    client_path: &'a [TcpState],
    server_path: &'a [TcpState],
    conn_state: &'static str,
    history: &'a str,
    irtt: Option<f64>,
    rtt: RttPerDir,
    retransmitted_bytes: PerDirJson,
    max_in_flight: PerDirJson,
}

#[derive(Serialize)]
struct JsonApp {
    #[serde(rename = "type")]
    kind: &'static str,
    conn: Option<u64>,
    ts: f64,
    side: &'static str,
    call: &'static str,
    bytes: Option<usize>,
    data: Option<String>,
    calls: u32,
    error: Option<String>,
    kernel_state: Option<TcpState>,
    text: String,
}

#[derive(Serialize)]
struct JsonNotice<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    frame: u64,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonCapture {
    #[serde(rename = "type")]
    kind: &'static str,
    schema: u32,
    frames: u64,
    tcp_segments: u64,
    filtered_out: u64,
    not_ip: u64,
    not_tcp: u64,
    fragments: u64,
    malformed: u64,
    connections: u64,
    evicted: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    received: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dropped_by_kernel: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dropped_by_interface: Option<u32>,
}

/// `ip:port`, IPv6 as `[addr]:port` (what `SocketAddr` prints).
pub fn addr(a: &std::net::SocketAddr) -> String {
    a.to_string()
}

/// Round to microseconds so the text form stays short and stable.
fn micros(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

pub fn origin_name(o: Origin) -> &'static str {
    match o {
        Origin::Handshake => "handshake",
        Origin::SynAckFirst => "syn-ack-first",
        Origin::MidStream => "mid-stream",
    }
}

pub struct JsonRenderer<W: Write> {
    out: W,
    lang: Lang,
    encoding: Encoding,
    /// One line is serialised here, then written whole: serde writes token by token, and
    /// each small write through `W` costs more than the token.
    line: Vec<u8>,
}

impl<W: Write> JsonRenderer<W> {
    pub fn new(out: W, lang: Lang, encoding: Encoding) -> Self {
        JsonRenderer {
            out,
            lang,
            encoding,
            line: Vec::with_capacity(1024),
        }
    }

    fn line<T: Serialize>(&mut self, value: &T) -> io::Result<()> {
        self.line.clear();
        // Writing into a Vec cannot fail; serialising these types cannot either.
        serde_json::to_writer(&mut self.line, value).map_err(io::Error::from)?;
        self.line.push(b'\n');
        self.out.write_all(&self.line)
    }

    fn segment(&mut self, s: &SegmentEvent) -> io::Result<()> {
        let v = JsonSegment {
            kind: "segment",
            conn: s.conn,
            frame: s.frame,
            ts: micros(s.ts.as_f64()),
            rel_time: micros(s.rel_time),
            src: addr(&s.src),
            dst: addr(&s.dst),
            dir: s.dir.as_str(),
            flags: s.flags.names().collect(),
            seq: s.seq,
            ack: s.ack,
            rel_seq: s.rel_seq,
            rel_ack: s.rel_ack,
            len: s.len,
            win: s.win,
            win_scaled: s.scaled_win,
            options: (&s.options).into(),
            phase: s.phase().as_str(),
            label: lang::label(s.label, self.lang),
            client_state: s.client_state,
            server_state: s.server_state,
            state_changes: s
                .changes
                .iter()
                .map(|c| JsonChange {
                    side: c.side.as_str(),
                    from: c.from,
                    to: c.to,
                })
                .collect(),
            notes: s.notes.iter().map(|n| lang::note(n, self.lang)).collect(),
            payload: s.payload.as_ref().map(|p| escape_payload(p, self.encoding)),
            analysis: s.tcp.flags.iter().map(|f| f.name()).collect(),
            dup_ack_num: s.tcp.dup_ack_num,
            ack_rtt: s.tcp.ack_rtt.map(micros),
            bytes_in_flight: s.tcp.bytes_in_flight,
            sack_rel: s.tcp.sack.iter().map(|&(l, r)| [l, r]).collect(),
            dsack: s.tcp.dsack,
        };
        self.line(&v)
    }

    fn connection(&mut self, c: &ConnSummary) -> io::Result<()> {
        let v = JsonConnection {
            kind: "connection",
            conn: c.conn,
            client: addr(&c.client),
            server: addr(&c.server),
            start: micros(c.start.as_f64()),
            duration: micros(c.duration),
            segments: PerDirJson {
                c2s: c.segments.c2s,
                s2c: c.segments.s2c,
            },
            bytes: PerDirJson {
                c2s: c.bytes.c2s,
                s2c: c.bytes.s2c,
            },
            handshake_rtt: c.handshake_rtt.map(micros),
            close: c.close.as_str(),
            half_close: c.half_close,
            closed_by: c.closed_by.map(|s| s.as_str()),
            origin: origin_name(c.origin),
            client_state: c.client_state,
            server_state: c.server_state,
            client_path: &c.client_path,
            server_path: &c.server_path,
            conn_state: c.fidelity.conn_state,
            history: &c.fidelity.history,
            irtt: c.fidelity.irtt.map(micros),
            rtt: RttPerDir {
                c2s: (&c.fidelity.rtt_c2s).into(),
                s2c: (&c.fidelity.rtt_s2c).into(),
            },
            retransmitted_bytes: PerDirJson {
                c2s: c.fidelity.retransmitted_bytes.c2s,
                s2c: c.fidelity.retransmitted_bytes.s2c,
            },
            max_in_flight: PerDirJson {
                c2s: c.fidelity.max_in_flight.c2s,
                s2c: c.fidelity.max_in_flight.s2c,
            },
        };
        self.line(&v)
    }

    fn notice(&mut self, n: &Notice) -> io::Result<()> {
        let message = escape_text(&n.message);
        self.line(&JsonNotice {
            kind: "notice",
            frame: n.frame,
            message: &message,
        })
    }

    fn capture(&mut self, c: &CaptureSummary) -> io::Result<()> {
        self.line(&JsonCapture {
            kind: "capture",
            schema: SCHEMA_VERSION,
            frames: c.frames,
            tcp_segments: c.tcp_segments,
            filtered_out: c.filtered_out,
            not_ip: c.not_ip,
            not_tcp: c.not_tcp,
            fragments: c.fragments,
            malformed: c.malformed,
            connections: c.connections,
            evicted: c.evicted,
            received: c.stats.map(|s| s.received),
            dropped_by_kernel: c.stats.map(|s| s.dropped_by_kernel),
            dropped_by_interface: c.stats.map(|s| s.dropped_by_interface),
        })
    }
}

impl<W: Write> Render for JsonRenderer<W> {
    fn event(&mut self, ev: Event) -> io::Result<()> {
        match &ev {
            Event::Segment(s) => self.segment(s),
            Event::Connection(c) => self.connection(c),
            Event::App(a) => self.line(&JsonApp {
                kind: "app",
                conn: a.conn,
                ts: micros(a.ts.as_f64()),
                side: a.side.as_str(),
                call: a.call.as_str(),
                bytes: a.bytes,
                data: a.data.as_ref().map(|d| escape_payload(d, self.encoding)),
                calls: a.count,
                error: a.error.clone(),
                kernel_state: a.kernel_state,
                text: lang::app_call(a, self.lang, self.encoding),
            }),
            Event::Notice(n) => self.notice(n),
            Event::Capture(c) => self.capture(c),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

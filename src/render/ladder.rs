//! The ladder (sequence) diagram: a time column, the client's lifeline on the left, the
//! server's on the right, one arrow per segment, each endpoint's state where it changes, and
//! a plain-words annotation.

use super::escape::{escape_payload, escape_text, Encoding};
use super::text::{push_addr, push_secs, push_u64};
use super::{text_width, truncate, Render};
use crate::decode::TcpOptions;
use crate::event::{
    AppEvent, CaptureSummary, ConnSummary, Dir, Event, Notice, Phase, SegmentEvent, Side,
};
use crate::lang::{self, Lang, Word};
use crate::source::Timestamp;
use crate::track::TcpState;
use colored::{ColoredString, Colorize};
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::net::SocketAddr;

#[derive(Clone, Debug)]
pub struct LadderOptions {
    pub lang: Lang,
    /// Terminal width in columns.
    pub width: usize,
    pub absolute_seq: bool,
    /// One diagram in time order for all connections, each line with its connection number.
    pub interleave: bool,
    /// Only the per-connection summaries.
    pub summary_only: bool,
    pub encoding: Encoding,
    /// A plain sentence under each event for beginners.
    pub explain: bool,
    /// Per connection, draw only this many data segments and ACKs, then count the rest.
    pub elide_data_after: Option<usize>,
}

impl Default for LadderOptions {
    fn default() -> Self {
        LadderOptions {
            lang: Lang::En,
            width: 120,
            absolute_seq: false,
            interleave: false,
            summary_only: false,
            encoding: Encoding::Utf8,
            explain: false,
            elide_data_after: None,
        }
    }
}

const TIME_W: usize = 10;
const STATE_W: usize = 12;
const MIN_ARROW: usize = 28;
const MAX_ARROW: usize = 64;
const LABEL_ROOM: usize = 28;
const PREVIEW_MAX: usize = 48;

#[derive(Default)]
struct ConnBuf {
    segments: Vec<SegmentEvent>,
    summary: Option<Box<ConnSummary>>,
    /// Part of this connection's ladder was already written (the buffers were full).
    started: bool,
}

/// Segments held for per-connection ladders before the oldest are written out in part, so
/// that one long-lived connection cannot make memory grow with the capture.
const MAX_BUFFERED: usize = 2_500;

pub struct LadderRenderer<W: Write, E: Write> {
    out: W,
    err: E,
    opts: LadderOptions,
    arrow_w: usize,
    conns: BTreeMap<u64, ConnBuf>,
    capture_start: Option<Timestamp>,
    header_done: bool,
    /// Highest connection number seen (interleaved mode titles each new one).
    last_conn: Option<u64>,
    /// Per connection: data rows drawn, and rows left out since (`elide_data_after`).
    elided: std::collections::HashMap<u64, (usize, usize)>,
    /// Segments buffered in `conns`.
    buffered: usize,
    /// A reused buffer for building lines.
    line: String,
    /// Spaces under "states: " on a summary's second state line.
    states_pad: String,
}

fn state_color(s: TcpState) -> ColoredString {
    let name = s.name();
    match s {
        TcpState::Established => name.green().bold(),
        TcpState::Closed => name.red().bold(),
        TcpState::Listen | TcpState::SynSent | TcpState::SynReceived => name.blue().bold(),
        TcpState::TimeWait => name.magenta().bold(),
        _ => name.yellow().bold(),
    }
}

/// How a piece of text is coloured (when colour is on).
#[derive(Clone, Copy)]
enum Paint {
    Bold,
    Title,
    Dim,
    State(TcpState),
}

/// Is colour on (`--color`, `NO_COLOR`, a terminal)? Asked once per block drawn.
fn colour_on() -> bool {
    colored::control::SHOULD_COLORIZE.should_colorize()
}

/// Append `text`, coloured as `paint` says when `colour` is on.
fn paint(out: &mut String, text: &str, paint: Paint, colour: bool) {
    use std::fmt::Write as _;
    if !colour {
        out.push_str(text);
        return;
    }
    let _ = match paint {
        Paint::Bold => write!(out, "{}", text.bold()),
        Paint::Title => write!(out, "{}", text.bold().underline()),
        Paint::Dim => write!(out, "{}", text.dimmed()),
        Paint::State(s) => write!(out, "{}", state_color(s)),
    };
}

/// `sep`, then `dir` ("client→server ", [`lang::direction`]).
fn push_dir(t: &mut String, sep: &str, dir: &str) {
    t.push_str(sep);
    t.push_str(dir);
}

/// "connection 3: client 10.0.0.1:5000 → server 10.0.0.2:80", underlined, and a newline.
fn title_line(t: &mut String, conn: u64, client: &SocketAddr, server: &SocketAddr, l: Lang) {
    let start = t.len();
    t.push_str(lang::word(Word::Connection, l));
    t.push(' ');
    push_u64(t, conn);
    t.push_str(": ");
    t.push_str(lang::side(Side::Client, l));
    t.push(' ');
    push_addr(t, client);
    t.push_str(" → ");
    t.push_str(lang::side(Side::Server, l));
    t.push(' ');
    push_addr(t, server);
    if colour_on() {
        let title = t.split_off(start);
        paint(t, &title, Paint::Title, true);
    }
    t.push('\n');
}

fn phase_color(p: Phase, text: &str) -> ColoredString {
    match p {
        Phase::Handshake => text.green(),
        Phase::Data => text.cyan(),
        Phase::Close => text.yellow(),
        Phase::Reset => text.red().bold(),
        Phase::Other => text.normal(),
    }
}

fn pad_left(s: &str, w: usize) -> String {
    format!("{}{}", " ".repeat(w.saturating_sub(text_width(s))), s)
}

fn pad_right(s: &str, w: usize) -> String {
    format!("{}{}", s, " ".repeat(w.saturating_sub(text_width(s))))
}

impl<W: Write, E: Write> LadderRenderer<W, E> {
    pub fn new(out: W, err: E, opts: LadderOptions) -> Self {
        let states_pad = " ".repeat(text_width(lang::word(Word::FinalStates, opts.lang)) + 2);
        let prefix = if opts.interleave { 6 } else { 0 };
        let fixed = prefix + TIME_W + 2 + STATE_W + 1 + 2 + 1 + STATE_W + 2;
        let arrow_w = opts
            .width
            .saturating_sub(fixed + LABEL_ROOM)
            .clamp(MIN_ARROW, MAX_ARROW);
        LadderRenderer {
            out,
            err,
            opts,
            arrow_w,
            conns: BTreeMap::new(),
            capture_start: None,
            header_done: false,
            last_conn: None,
            elided: std::collections::HashMap::new(),
            buffered: 0,
            line: String::new(),
            states_pad,
        }
    }

    /// The text inside an arrow: flags, numbers, options.
    fn arrow_text(&self, s: &SegmentEvent) -> String {
        let (seq, ack) = if self.opts.absolute_seq {
            (s.seq, s.ack)
        } else {
            (s.rel_seq, s.rel_ack)
        };
        let mut t = format!("{} seq={seq}", s.flags.short());
        if s.flags.ack() {
            t.push_str(&format!(" ack={ack}"));
        }
        if s.len > 0 {
            t.push_str(&format!(" len={}", s.len));
        }
        match s.scaled_win {
            Some(w) if w != u64::from(s.win) => t.push_str(&format!(" win={w}")),
            _ => t.push_str(&format!(" win={}", s.win)),
        }
        t
    }

    fn arrow(&self, s: &SegmentEvent) -> ColoredString {
        let inner = self.arrow_w;
        let text = truncate(&self.arrow_text(s), inner.saturating_sub(5));
        let dashes = "─".repeat(inner.saturating_sub(text_width(&text) + 4).max(1));
        let arrow = match s.dir {
            Dir::C2S => format!("──{text} {dashes}▶"),
            Dir::S2C => format!("◀{dashes} {text}──"),
        };
        let f = s.flags;
        if f.rst() {
            arrow.red().bold()
        } else if f.syn() {
            arrow.green()
        } else if f.fin() {
            arrow.yellow()
        } else if s.len > 0 {
            arrow.cyan()
        } else {
            arrow.normal()
        }
    }

    fn state_cell(&self, s: &SegmentEvent, side: Side) -> (String, Option<TcpState>) {
        match s.changes.iter().find(|c| c.side == side) {
            Some(c) => (c.to.name().to_string(), Some(c.to)),
            None => (String::new(), None),
        }
    }

    /// Where the annotation column starts.
    fn label_indent(&self) -> usize {
        let prefix = if self.opts.interleave { 6 } else { 0 };
        prefix + TIME_W + 2 + STATE_W + 1 + 1 + self.arrow_w + 1 + 1 + STATE_W + 2
    }

    fn explain_line(&mut self, text: &str) -> io::Result<()> {
        let indent = " ".repeat(self.label_indent());
        writeln!(self.out, "{indent}{}", format!("↳ {text}").dimmed())
    }

    /// Say how many rows of `conn` were left out, if any.
    fn end_elision(&mut self, conn: u64) -> io::Result<()> {
        let Some((_, skipped)) = self.elided.get_mut(&conn) else {
            return Ok(());
        };
        if *skipped == 0 {
            return Ok(());
        }
        let n = std::mem::take(skipped);
        let prefix = if self.opts.interleave {
            format!("#{conn:<4} ")
        } else {
            String::new()
        };
        let text = match self.opts.lang {
            Lang::En => format!("… {n} more data segments and ACKs not drawn (--all draws them) …"),
            Lang::Zh => format!("… 另有 {n} 个数据与确认报文段未画出（--all 画出全部）…"),
        };
        writeln!(
            self.out,
            "{prefix}{}{}",
            " ".repeat(TIME_W + 2 + STATE_W + 1),
            text.dimmed()
        )
    }

    /// One segment: elided when asked, explained when asked.
    fn segment(&mut self, s: &SegmentEvent, time: f64) -> io::Result<()> {
        let is_data = matches!(s.phase(), Phase::Data | Phase::Other) && s.changes.is_empty();
        if let Some(limit) = self.opts.elide_data_after {
            let entry = self.elided.entry(s.conn).or_default();
            if is_data {
                if entry.0 >= limit {
                    entry.1 += 1;
                    return Ok(());
                }
                entry.0 += 1;
            } else {
                self.end_elision(s.conn)?;
            }
        }
        self.segment_line(s, time)?;
        if self.opts.explain {
            let text = lang::explain_segment(s, self.opts.lang);
            self.explain_line(&text)?;
        }
        Ok(())
    }

    /// An application call of the demo, beside the caller's lifeline.
    fn app_line(&mut self, a: &AppEvent, time: f64) -> io::Result<()> {
        let lane = truncate(&lang::app_lane(a), self.arrow_w.saturating_sub(3));
        let lane = match a.side {
            Side::Client => pad_right(&format!(" ● {lane}"), self.arrow_w),
            Side::Server => pad_left(&format!("{lane} ● "), self.arrow_w),
        };
        let kernel = a.kernel_state.map(|k| k.name()).unwrap_or("");
        let (ctext, stext) = match a.side {
            Side::Client => (pad_left(kernel, STATE_W), " ".repeat(STATE_W)),
            Side::Server => (" ".repeat(STATE_W), pad_right(kernel, STATE_W)),
        };
        let prefix = if self.opts.interleave {
            match a.conn {
                Some(c) => format!("#{c:<4} "),
                None => "      ".to_string(),
            }
        } else {
            String::new()
        };
        let text = lang::app_call(a, self.opts.lang, self.opts.encoding);
        let line = format!(
            "{prefix}{:>w$.6}  {} │{}│ {}  {}",
            time,
            ctext.dimmed(),
            lane.magenta().bold(),
            stext.dimmed(),
            text.magenta(),
            w = TIME_W
        );
        writeln!(self.out, "{}", line.trim_end())?;
        if self.opts.explain {
            self.explain_line(lang::explain_app(a.call, self.opts.lang))?;
        }
        Ok(())
    }

    fn segment_line(&mut self, s: &SegmentEvent, time: f64) -> io::Result<()> {
        let (ctext, cstate) = self.state_cell(s, Side::Client);
        let (stext, sstate) = self.state_cell(s, Side::Server);
        let cell = |text: &str, state: Option<TcpState>, left: bool| -> String {
            let padded = if left {
                pad_left(text, STATE_W)
            } else {
                pad_right(text, STATE_W)
            };
            match state {
                Some(st) => padded.replace(st.name(), &state_color(st).to_string()),
                None => padded,
            }
        };
        let mut label = lang::label(s.label, self.opts.lang);
        let options =
            if s.flags.syn() || !s.options.sack.is_empty() || !s.options.unknown.is_empty() {
                options_text(&s.options)
            } else {
                String::new()
            };
        if !options.is_empty() {
            label.push_str(&format!(" [{options}]"));
        }
        for n in &s.notes {
            label.push_str(" · ");
            label.push_str(&lang::note(n, self.opts.lang));
        }
        // Wireshark's analysis flags: a short tag each (a fast or spurious retransmission
        // already says it is a retransmission).
        let flags = &s.tcp.flags;
        for f in flags.iter() {
            use crate::event::AnalysisFlag::*;
            if f == Retransmission
                && (flags.contains(FastRetransmission) || flags.contains(SpuriousRetransmission))
            {
                continue;
            }
            let tag = format!("[{}]", lang::analysis_tag(f, s, self.opts.lang));
            label.push(' ');
            label.push_str(&tag.yellow().to_string());
        }
        let mut line = String::new();
        if self.opts.interleave {
            line.push_str(&format!("#{:<4} ", s.conn));
        }
        line.push_str(&format!(
            "{:>w$.6}  {} │{}│ {}  {}",
            time,
            cell(&ctext, cstate, true),
            self.arrow(s),
            cell(&stext, sstate, false),
            phase_color(s.phase(), &label),
            w = TIME_W
        ));
        if let Some(p) = &s.payload {
            let preview = escape_payload(p, self.opts.encoding);
            let more = if (p.len() as u32) < s.len { "…" } else { "" };
            let shown = truncate(&format!("\"{preview}\"{more}"), PREVIEW_MAX);
            line.push_str(&format!("  {}", shown.dimmed()));
        }
        writeln!(self.out, "{}", line.trim_end())
    }

    fn header_lines(&mut self, client: TcpState, server: TcpState) -> io::Result<()> {
        let prefix = if self.opts.interleave { "      " } else { "" };
        let l = self.opts.lang;
        writeln!(
            self.out,
            "{prefix}{}  {} {:^aw$} {}",
            pad_left(lang::word(Word::Time, l), TIME_W).dimmed(),
            pad_left(lang::side(Side::Client, l), STATE_W).bold(),
            "",
            lang::side(Side::Server, l).bold(),
            aw = self.arrow_w + 2
        )?;
        writeln!(
            self.out,
            "{prefix}{:>tw$}  {} │{}│ {}",
            "",
            pad_left(client.name(), STATE_W)
                .replace(client.name(), &state_color(client).to_string()),
            " ".repeat(self.arrow_w),
            state_color(server),
            tw = TIME_W
        )
    }

    fn initial_states(s: &SegmentEvent) -> (TcpState, TcpState) {
        let initial = |side: Side, now: TcpState| {
            s.changes
                .iter()
                .find(|c| c.side == side)
                .map_or(now, |c| c.from)
        };
        (
            initial(Side::Client, s.client_state),
            initial(Side::Server, s.server_state),
        )
    }

    fn conn_title(
        &mut self,
        conn: u64,
        client: &SocketAddr,
        server: &SocketAddr,
        frame: Option<u64>,
    ) -> io::Result<()> {
        let mut t = std::mem::take(&mut self.line);
        t.clear();
        title_line(&mut t, conn, client, server, self.opts.lang);
        if let Some(f) = frame {
            t.pop();
            let from = match self.opts.lang {
                Lang::En => format!("  (from frame {f})"),
                Lang::Zh => format!("  （从第 {f} 帧起）"),
            };
            paint(&mut t, &from, Paint::Dim, colour_on());
            t.push('\n');
        }
        let written = self.out.write_all(t.as_bytes());
        self.line = t;
        written
    }

    fn write_conn(&mut self, buf: ConnBuf) -> io::Result<()> {
        let Some(first) = buf.segments.first() else {
            if let Some(summary) = buf.summary {
                self.summary_block(&summary, !buf.started)?;
                writeln!(self.out)?;
            }
            return Ok(());
        };
        let conn = first.conn;
        let (client, server) = match first.dir {
            Dir::C2S => (first.src, first.dst),
            Dir::S2C => (first.dst, first.src),
        };
        if buf.started {
            let more = match self.opts.lang {
                Lang::En => format!("connection {conn} (continued)"),
                Lang::Zh => format!("连接 {conn}（续）"),
            };
            writeln!(self.out, "{}", more.bold().underline())?;
        } else {
            self.conn_title(conn, &client, &server, Some(first.frame))?;
            let (ci, si) = Self::initial_states(first);
            self.header_lines(ci, si)?;
        }
        for s in &buf.segments {
            self.segment(s, s.rel_time)?;
        }
        if let Some(first) = buf.segments.first() {
            self.end_elision(first.conn)?;
        }
        if let Some(summary) = buf.summary {
            self.summary_block(&summary, false)?;
        }
        writeln!(self.out)
    }

    /// A connection's summary: what happened, how it ended, Zeek's verdict, timing, and the
    /// path each side took through the states. Built in one reused line buffer: on a capture
    /// of a million connections this is most of the output.
    fn summary_block(&mut self, c: &ConnSummary, with_title: bool) -> io::Result<()> {
        use lang::FidelityWord as W;
        let l = self.opts.lang;
        let colour = colour_on();
        let mut t = std::mem::take(&mut self.line);
        t.clear();
        if with_title {
            title_line(&mut t, c.conn, &c.client, &c.server, l);
        }
        let indent: std::borrow::Cow<str> = if self.opts.interleave {
            format!("#{:<4}   ", c.conn).into()
        } else {
            "  ".into()
        };
        t.push_str(&indent);
        let (client, server) = (lang::side(Side::Client, l), lang::side(Side::Server, l));
        let (to_server, to_client) = (
            lang::direction(Side::Client, l),
            lang::direction(Side::Server, l),
        );
        let (segs, bytes) = (lang::word(Word::Segments, l), lang::word(Word::Bytes, l));
        // " client→server 3 bytes, server→client 0 bytes"
        let per_dir = |t: &mut String, c2s: u64, s2c: u64| {
            for (i, (dir, n)) in [(to_server, c2s), (to_client, s2c)].into_iter().enumerate() {
                push_dir(t, if i == 0 { " " } else { ", " }, dir);
                push_u64(t, n);
                t.push(' ');
                t.push_str(bytes);
            }
        };

        // summary: duration · handshake RTT · segments and bytes each way
        paint(&mut t, lang::word(Word::Summary, l), Paint::Bold, colour);
        t.push_str(": ");
        t.push_str(lang::word(Word::Duration, l));
        t.push(' ');
        push_secs(&mut t, c.duration);
        if let Some(r) = c.handshake_rtt {
            t.push_str(" · ");
            t.push_str(lang::word(Word::HandshakeRtt, l));
            t.push(' ');
            push_secs(&mut t, r);
        }
        t.push_str(" ·");
        // "client→server 3 segments, 639 bytes · server→client ..."
        for (i, (dir, n, b)) in [
            (to_server, c.segments.c2s, c.bytes.c2s),
            (to_client, c.segments.s2c, c.bytes.s2c),
        ]
        .into_iter()
        .enumerate()
        {
            push_dir(&mut t, if i == 0 { " " } else { " · " }, dir);
            push_u64(&mut t, n);
            t.push(' ');
            t.push_str(segs);
            t.push_str(", ");
            push_u64(&mut t, b);
            t.push(' ');
            t.push_str(bytes);
        }
        t.push('\n');

        // ended: how · who closed first · half-close · how the capture met it
        t.push_str(&indent);
        t.push_str(lang::word(Word::Ended, l));
        t.push_str(": ");
        paint(&mut t, lang::close_kind(c.close, l), Paint::Bold, colour);
        if let Some(side) = c.closed_by {
            t.push_str(" · ");
            t.push_str(lang::word(Word::FirstToClose, l));
            t.push_str(": ");
            t.push_str(lang::side(side, l));
        }
        if c.half_close {
            t.push_str(match l {
                Lang::En => " · after a half-close (data flowed after the first FIN)",
                Lang::Zh => " · 其间经历半关闭（第一个 FIN 之后仍有数据）",
            });
        }
        if let Some(o) = lang::origin(c.origin, l) {
            t.push_str(" · ");
            t.push_str(o);
        }
        t.push('\n');

        // zeek: conn_state · history
        let w = |x| lang::fidelity_word(x, l);
        let f = &c.fidelity;
        if !f.conn_state.is_empty() {
            t.push_str(&indent);
            paint(&mut t, w(W::Zeek), Paint::Bold, colour);
            t.push_str(": ");
            t.push_str(w(W::ConnState));
            t.push(' ');
            t.push_str(f.conn_state);
            t.push_str(" · ");
            t.push_str(w(W::History));
            t.push(' ');
            t.push_str(if f.history.is_empty() {
                "-"
            } else {
                &f.history
            });
            t.push('\n');
        }

        // timing: iRTT · RTT each way · retransmitted bytes · most bytes in flight
        t.push_str(&indent);
        paint(&mut t, w(W::Timing), Paint::Bold, colour);
        t.push_str(": ");
        if let Some(r) = f.irtt {
            t.push_str(w(W::Irtt));
            t.push(' ');
            push_secs(&mut t, r);
            t.push_str(" · ");
        }
        t.push_str(w(W::Rtt));
        for (i, (dir, r)) in [(to_server, &f.rtt_c2s), (to_client, &f.rtt_s2c)]
            .into_iter()
            .enumerate()
        {
            push_dir(&mut t, if i == 0 { " " } else { ", " }, dir);
            match r.avg() {
                Some(avg) => {
                    push_secs(&mut t, r.min);
                    t.push('/');
                    push_secs(&mut t, avg);
                    t.push('/');
                    push_secs(&mut t, r.max);
                    t.push_str(" (");
                    push_u64(&mut t, r.samples);
                    t.push(' ');
                    t.push_str(w(W::Samples));
                    t.push(')');
                }
                None => t.push_str(w(W::NoSamples)),
            }
        }
        t.push_str(" · ");
        t.push_str(w(W::Retransmitted));
        per_dir(&mut t, f.retransmitted_bytes.c2s, f.retransmitted_bytes.s2c);
        t.push_str(" · ");
        t.push_str(w(W::MaxInFlight));
        per_dir(&mut t, f.max_in_flight.c2s, f.max_in_flight.s2c);
        t.push('\n');

        // states: each side's path
        let states = lang::word(Word::FinalStates, l);
        for (i, (side, path)) in [(client, &c.client_path), (server, &c.server_path)]
            .into_iter()
            .enumerate()
        {
            t.push_str(&indent);
            if i == 0 {
                t.push_str(states);
                t.push_str(": ");
            } else {
                t.push_str(&self.states_pad);
            }
            t.push_str(side);
            t.push(' ');
            for (j, s) in path.iter().enumerate() {
                if j > 0 {
                    t.push_str(" → ");
                }
                paint(&mut t, s.name(), Paint::State(*s), colour);
            }
            t.push('\n');
        }
        let written = self.out.write_all(t.as_bytes());
        self.line = t;
        written
    }

    fn notice(&mut self, n: &Notice) -> io::Result<()> {
        let msg = escape_text(&n.message);
        match self.opts.lang {
            Lang::En => writeln!(self.err, "tcpscope: notice: frame {}: {msg}", n.frame),
            Lang::Zh => writeln!(self.err, "tcpscope: 提示：第 {} 帧：{msg}", n.frame),
        }
    }

    fn capture(&mut self, c: &CaptureSummary) -> io::Result<()> {
        let l = self.opts.lang;
        let conns = match (l, c.connections) {
            (Lang::En, 1) => "connection",
            _ => lang::word(Word::Connections, l),
        };
        let mut line = format!(
            "{} {} · {} {} · {} {conns} · {} {}",
            c.frames,
            lang::word(Word::Frames, l),
            c.tcp_segments,
            lang::word(Word::TcpSegments, l),
            c.connections,
            c.not_ip + c.not_tcp + c.fragments,
            lang::word(Word::NonTcp, l),
        );
        if c.malformed > 0 {
            line.push_str(&format!(
                " · {} {}",
                c.malformed,
                lang::word(Word::Malformed, l)
            ));
        }
        if c.filtered_out > 0 {
            line.push_str(&match l {
                Lang::En => format!(" · {} filtered out", c.filtered_out),
                Lang::Zh => format!(" · 过滤掉 {} 帧", c.filtered_out),
            });
        }
        writeln!(self.out, "{}", line.dimmed())?;
        if let Some(st) = c.stats {
            let text = match l {
                Lang::En => format!(
                    "libpcap: {} packets received, {} dropped by the kernel, {} dropped by the interface",
                    st.received, st.dropped_by_kernel, st.dropped_by_interface
                ),
                Lang::Zh => format!(
                    "libpcap：收到 {} 个包，内核丢弃 {} 个，网卡丢弃 {} 个",
                    st.received, st.dropped_by_kernel, st.dropped_by_interface
                ),
            };
            writeln!(self.out, "{}", text.dimmed())?;
        }
        Ok(())
    }

    /// Write every buffered connection whose summary has arrived, in order of first packet.
    fn flush_ready(&mut self) -> io::Result<()> {
        while let Some(entry) = self.conns.first_entry() {
            if entry.get().summary.is_none() {
                break;
            }
            let buf = entry.remove();
            self.buffered = self.buffered.saturating_sub(buf.segments.len());
            self.write_conn(buf)?;
        }
        Ok(())
    }

    /// The buffers are full: write what every open connection has so far, in order; their
    /// ladders continue in later blocks.
    fn flush_partial(&mut self) -> io::Result<()> {
        // One pass over the open connections (most have nothing buffered), then the writing.
        let parts: Vec<ConnBuf> = self
            .conns
            .values_mut()
            .filter(|buf| !buf.segments.is_empty())
            .map(|buf| {
                let part = ConnBuf {
                    segments: std::mem::take(&mut buf.segments),
                    summary: None,
                    started: buf.started,
                };
                buf.started = true;
                part
            })
            .collect();
        for part in parts {
            self.write_conn(part)?;
        }
        self.buffered = 0;
        Ok(())
    }
}

/// TCP options in a few words: `mss=1460 ws=7 sack_perm ts`.
pub fn options_text(o: &TcpOptions) -> String {
    let mut parts = Vec::new();
    if let Some(mss) = o.mss {
        parts.push(format!("mss={mss}"));
    }
    if let Some(ws) = o.window_scale {
        parts.push(format!("ws={ws}"));
    }
    if o.sack_permitted {
        parts.push("sack_perm".to_string());
    }
    if !o.sack.is_empty() {
        parts.push(format!("sack×{}", o.sack.len()));
    }
    if o.timestamps.is_some() {
        parts.push("ts".to_string());
    }
    for u in &o.unknown {
        parts.push(format!("opt{}/{}", u.kind, u.len));
    }
    parts.join(" ")
}

/// Seconds with a unit a person reads at a glance.
pub use super::text::fmt_secs;

impl<W: Write, E: Write> Render for LadderRenderer<W, E> {
    fn event(&mut self, ev: Event) -> io::Result<()> {
        match ev {
            Event::Segment(s) => {
                if self.opts.summary_only {
                    return Ok(());
                }
                if self.opts.interleave {
                    let start = *self.capture_start.get_or_insert(s.ts);
                    if !self.header_done {
                        self.header_done = true;
                        let (ci, si) = Self::initial_states(&s);
                        self.header_lines(ci, si)?;
                    }
                    if self.last_conn.is_none_or(|last| s.conn > last) {
                        self.last_conn = Some(s.conn);
                        let (client, server) = match s.dir {
                            Dir::C2S => (s.src, s.dst),
                            Dir::S2C => (s.dst, s.src),
                        };
                        let text = format!(
                            "#{:<4} {} {}: {} → {}",
                            s.conn,
                            lang::word(Word::Connection, self.opts.lang),
                            s.conn,
                            client,
                            server
                        );
                        writeln!(self.out, "{}", text.bold())?;
                    }
                    return self.segment(&s, s.ts.since(start));
                }
                self.conns.entry(s.conn).or_default().segments.push(*s);
                self.buffered += 1;
                if self.buffered > MAX_BUFFERED {
                    self.flush_partial()?;
                }
                Ok(())
            }
            Event::App(a) => {
                if self.opts.summary_only {
                    return Ok(());
                }
                let start = *self.capture_start.get_or_insert(a.ts);
                if !self.header_done {
                    self.header_done = true;
                    self.header_lines(TcpState::Closed, TcpState::Listen)?;
                }
                self.app_line(&a, a.ts.since(start))
            }
            Event::Connection(c) => {
                if self.opts.interleave {
                    self.end_elision(c.conn)?;
                    return self.summary_block(&c, false);
                }
                if self.opts.summary_only {
                    return self.summary_block(&c, true);
                }
                let conn = c.conn;
                self.conns.entry(conn).or_default().summary = Some(c);
                self.flush_ready()
            }
            Event::Notice(n) => self.notice(&n),
            Event::Capture(c) => {
                if !self.opts.interleave {
                    // Anything left (a summary-only run prints them all here).
                    let rest = std::mem::take(&mut self.conns);
                    for (_, buf) in rest {
                        self.write_conn(buf)?;
                    }
                }
                self.capture(&c)
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()?;
        self.err.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()?;
        self.err.flush()
    }
}

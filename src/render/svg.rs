//! `--format svg`: a self-contained SVG ladder for slides and notes. Two lifelines, one arrow
//! per segment labelled with its flags and numbers, a box where an endpoint's state changes,
//! arrows colored by phase, the demo's application calls beside their lifeline, and each
//! connection's summary. Every string from a packet is XML-escaped.

use super::diagram::{ConnRows, PictureFormat, PictureRenderer, Row};
use super::escape::{escape_payload, Encoding};
use super::ladder::{fmt_secs, options_text};
use crate::event::{ConnSummary, Dir, Phase, SegmentEvent, Side};
use crate::lang::{self, Lang, PictureWord, Word};
use crate::track::TcpState;
use std::fmt::Write as _;
use std::io::{self, Write};

const WIDTH: u32 = 1400;
const TIME_X: u32 = 16;
const CLIENT_X: u32 = 300;
const SERVER_X: u32 = 800;
const LABEL_X: u32 = SERVER_X + 140;
const ROW_H: u32 = 34;
const BOX_W: u32 = 118;

/// What the SVG renderer needs from the display options.
#[derive(Clone, Copy, Debug)]
pub struct PictureOptions {
    pub lang: Lang,
    pub absolute_seq: bool,
    pub encoding: Encoding,
    pub payload: bool,
    pub max_conns: usize,
}

/// Text safe inside XML elements and attributes: markup characters as entities, characters
/// XML 1.0 forbids (most C0 controls) as U+FFFD.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

pub fn phase_color(p: Phase) -> &'static str {
    match p {
        Phase::Handshake => "#2e7d32",
        Phase::Data => "#00838f",
        Phase::Close => "#e65100",
        Phase::Reset => "#c62828",
        Phase::Other => "#546e7a",
    }
}

fn state_fill(s: TcpState) -> &'static str {
    match s {
        TcpState::Established => "#e8f5e9",
        TcpState::Closed => "#ffebee",
        TcpState::Listen | TcpState::SynSent | TcpState::SynReceived => "#e3f2fd",
        TcpState::TimeWait => "#f3e5f5",
        _ => "#fff8e1",
    }
}

const PHASES: [Phase; 5] = [
    Phase::Handshake,
    Phase::Data,
    Phase::Close,
    Phase::Reset,
    Phase::Other,
];

/// The text inside an arrow: flags, numbers, window.
pub fn arrow_text(s: &SegmentEvent, absolute: bool) -> String {
    let (seq, ack) = if absolute {
        (s.seq, s.ack)
    } else {
        (s.rel_seq, s.rel_ack)
    };
    let mut t = format!("{} seq={seq}", s.flags.short());
    if s.flags.ack() {
        let _ = write!(t, " ack={ack}");
    }
    if s.len > 0 {
        let _ = write!(t, " len={}", s.len);
    }
    let _ = write!(t, " win={}", s.scaled_win.unwrap_or(u64::from(s.win)));
    t
}

/// The annotation of a segment: label, SYN options, notes.
pub fn annotation(s: &SegmentEvent, l: Lang) -> String {
    let mut label = lang::label(s.label, l);
    if s.flags.syn() || !s.options.sack.is_empty() || !s.options.unknown.is_empty() {
        let o = options_text(&s.options);
        if !o.is_empty() {
            let _ = write!(label, " [{o}]");
        }
    }
    for n in &s.notes {
        label.push_str(" · ");
        label.push_str(&lang::note(n, l));
    }
    label
}

/// The summary of a connection in three lines, as the ladder writes it.
pub fn summary_lines(c: &ConnSummary, l: Lang) -> Vec<String> {
    let rtt = c
        .handshake_rtt
        .map(|r| format!(" · {} {}", lang::word(Word::HandshakeRtt, l), fmt_secs(r)))
        .unwrap_or_default();
    let (segs, bytes) = (lang::word(Word::Segments, l), lang::word(Word::Bytes, l));
    let (cl, sv) = (lang::side(Side::Client, l), lang::side(Side::Server, l));
    let mut ended = format!(
        "{}: {}",
        lang::word(Word::Ended, l),
        lang::close_kind(c.close, l)
    );
    if let Some(side) = c.closed_by {
        let _ = write!(
            ended,
            " · {}: {}",
            lang::word(Word::FirstToClose, l),
            lang::side(side, l)
        );
    }
    let path = |p: &[TcpState]| p.iter().map(|s| s.name()).collect::<Vec<_>>().join(" → ");
    vec![
        format!(
            "{}: {} {}{rtt} · {cl}→{sv} {} {segs}, {} {bytes} · {sv}→{cl} {} {segs}, {} {bytes}",
            lang::word(Word::Summary, l),
            lang::word(Word::Duration, l),
            fmt_secs(c.duration),
            c.segments.c2s,
            c.bytes.c2s,
            c.segments.s2c,
            c.bytes.s2c
        ),
        ended,
        format!(
            "{}: {cl} {}",
            lang::word(Word::FinalStates, l),
            path(&c.client_path)
        ),
        format!(
            "{}: {sv} {}",
            lang::word(Word::FinalStates, l),
            path(&c.server_path)
        ),
    ]
}

/// The fields of a segment for the HTML panel (the JSON output's names).
fn segment_fields(s: &SegmentEvent, o: &PictureOptions) -> serde_json::Value {
    let changes: Vec<String> = s
        .changes
        .iter()
        .map(|c| format!("{} {} → {}", c.side.as_str(), c.from.name(), c.to.name()))
        .collect();
    let mut v = serde_json::json!({
        "conn": s.conn,
        "frame": s.frame,
        "ts": format!("{:.6}", s.ts.as_f64()),
        "rel_time": format!("{:.6}", s.rel_time),
        "src": s.src.to_string(),
        "dst": s.dst.to_string(),
        "dir": s.dir.as_str(),
        "flags": s.flags.names().collect::<Vec<_>>().join(" "),
        "seq": s.seq,
        "ack": s.ack,
        "rel_seq": s.rel_seq,
        "rel_ack": s.rel_ack,
        "len": s.len,
        "win": s.win,
        "win_scaled": s.scaled_win,
        "options": options_text(&s.options),
        "phase": s.phase().as_str(),
        "label": lang::label(s.label, o.lang),
        "client_state": s.client_state.name(),
        "server_state": s.server_state.name(),
        "state_changes": changes.join(", "),
        "notes": s.notes.iter().map(|n| lang::note(n, o.lang)).collect::<Vec<_>>().join(" · "),
    });
    if let Some(p) = &s.payload {
        v["payload"] = escape_payload(p, o.encoding).into();
    }
    v
}

/// Draws connections as one SVG document.
pub struct Picture {
    pub svg: String,
    /// Per drawn segment (in `data-i` order), its fields.
    pub fields: Vec<serde_json::Value>,
}

struct Canvas<'a> {
    o: &'a PictureOptions,
    body: String,
    y: u32,
    fields: Vec<serde_json::Value>,
    interactive: bool,
}

impl Canvas<'_> {
    fn text(&mut self, x: u32, y: u32, anchor: &str, class: &str, text: &str) {
        let _ = writeln!(
            self.body,
            r#"<text x="{x}" y="{y}" text-anchor="{anchor}" class="{class}">{}</text>"#,
            xml_escape(text)
        );
    }

    fn state_box(&mut self, side: Side, y: u32, st: TcpState) {
        let x = match side {
            Side::Client => CLIENT_X - 6 - BOX_W,
            Side::Server => SERVER_X + 6,
        };
        let _ = writeln!(
            self.body,
            r##"<g class="state"><rect x="{x}" y="{}" width="{BOX_W}" height="18" rx="4" fill="{}" stroke="#78909c"/><text x="{}" y="{}" text-anchor="middle" class="st">{}</text></g>"##,
            y - 13,
            state_fill(st),
            x + BOX_W / 2,
            y,
            st.name()
        );
    }

    fn connection(&mut self, conn: u64, c: &ConnRows) {
        let l = self.o.lang;
        let Some((client, server)) = c.endpoints() else {
            return;
        };
        let title = format!(
            "{} {conn}: {} {client} → {} {server}",
            lang::word(Word::Connection, l),
            lang::side(Side::Client, l),
            lang::side(Side::Server, l)
        );
        self.y += 28;
        self.text(TIME_X, self.y, "start", "title", &title);
        self.y += 20;
        let top = self.y;
        for (x, side, addr) in [
            (CLIENT_X, Side::Client, client),
            (SERVER_X, Side::Server, server),
        ] {
            let _ = writeln!(
                self.body,
                r##"<rect x="{}" y="{top}" width="180" height="34" rx="6" fill="#eceff1" stroke="#455a64"/>"##,
                x - 90
            );
            self.text(x, top + 14, "middle", "head", lang::side(side, l));
            self.text(x, top + 28, "middle", "addr", &addr.to_string());
        }
        self.y += 34 + 22;
        let (ci, si) = c.initial_states();
        self.state_box(Side::Client, self.y, ci);
        self.state_box(Side::Server, self.y, si);
        self.text(TIME_X, self.y, "start", "time", lang::word(Word::Time, l));
        let lifeline_top = top + 34;
        self.y += ROW_H;
        let start = c.rows.first().map(|r| r.ts());
        for row in &c.rows {
            match row {
                Row::Seg(s) => self.segment(s),
                Row::App(a) => {
                    let time = start.map_or(0.0, |t| a.ts.since(t));
                    self.text(TIME_X, self.y, "start", "time", &format!("{time:.6}"));
                    let (x, anchor, dx) = match a.side {
                        Side::Client => (CLIENT_X, "start", 10i64),
                        Side::Server => (SERVER_X, "end", -10),
                    };
                    let _ = writeln!(
                        self.body,
                        r##"<circle cx="{x}" cy="{}" r="5" fill="#8e24aa"/>"##,
                        self.y - 4
                    );
                    let tx = (i64::from(x) + dx) as u32;
                    self.text(tx, self.y, anchor, "app", &lang::app_lane(a));
                    let text = lang::app_call(a, l, self.o.encoding);
                    self.text(LABEL_X, self.y, "start", "appnote", &text);
                    if let Some(k) = a.kernel_state {
                        self.state_box(a.side, self.y + 16, k);
                        self.y += 18;
                    }
                    self.y += ROW_H;
                }
            }
        }
        if c.rows_left_out > 0 {
            let note = lang::rows_left_out(c.rows_left_out, super::diagram::MAX_ROWS, l);
            self.text(CLIENT_X, self.y, "start", "note", &note);
            self.y += ROW_H;
        }
        for x in [CLIENT_X, SERVER_X] {
            let _ = writeln!(
                self.body,
                r##"<line x1="{x}" y1="{lifeline_top}" x2="{x}" y2="{}" stroke="#455a64" stroke-width="2"/>"##,
                self.y - 16
            );
        }
        if let Some(s) = &c.summary {
            for line in summary_lines(s, l) {
                self.text(TIME_X, self.y, "start", "summary", &line);
                self.y += 18;
            }
        }
        self.y += 12;
    }

    fn segment(&mut self, s: &SegmentEvent) {
        let y = self.y;
        let color = phase_color(s.phase());
        let (x1, x2) = match s.dir {
            Dir::C2S => (CLIENT_X, SERVER_X - 2),
            Dir::S2C => (SERVER_X, CLIENT_X + 2),
        };
        let i = self.fields.len();
        if self.interactive {
            self.fields.push(segment_fields(s, self.o));
        }
        let _ = writeln!(
            self.body,
            r#"<g class="seg {phase}" data-i="{i}" data-frame="{frame}"><title>{title}</title>"#,
            phase = s.phase().as_str(),
            frame = s.frame,
            title = xml_escape(&format!(
                "frame {} · {} · {}",
                s.frame,
                arrow_text(s, self.o.absolute_seq),
                lang::label(s.label, self.o.lang)
            ))
        );
        // A wide invisible band makes the arrow easy to point at.
        let _ = writeln!(
            self.body,
            r#"<rect class="hit" x="{CLIENT_X}" y="{}" width="{}" height="{ROW_H}" fill="transparent"/>"#,
            y - 22,
            SERVER_X - CLIENT_X
        );
        let dash = if s.len == 0 && !s.flags.syn() && !s.flags.fin() && !s.flags.rst() {
            r#" stroke-dasharray="6 3""#
        } else {
            ""
        };
        let _ = writeln!(
            self.body,
            r#"<line x1="{x1}" y1="{}" x2="{x2}" y2="{}" stroke="{color}" stroke-width="2"{dash} marker-end="url(#arrow-{})"/>"#,
            y - 4,
            y + 4,
            s.phase().as_str()
        );
        let mid = (CLIENT_X + SERVER_X) / 2;
        let _ = writeln!(
            self.body,
            r#"<text x="{mid}" y="{}" text-anchor="middle" class="arrow" fill="{color}">{}</text>"#,
            y - 9,
            xml_escape(&arrow_text(s, self.o.absolute_seq))
        );
        self.body.push_str("</g>\n");
        self.text(
            TIME_X,
            y + 4,
            "start",
            "time",
            &format!("{:.6}", s.rel_time),
        );
        for c in &s.changes {
            self.state_box(c.side, y + 4, c.to);
        }
        let label = annotation(s, self.o.lang);
        let _ = writeln!(
            self.body,
            r#"<text x="{LABEL_X}" y="{}" class="label" fill="{color}">{}</text>"#,
            y + 4,
            xml_escape(&label)
        );
        if let Some(p) = s.payload.as_ref().filter(|_| self.o.payload) {
            let preview = super::truncate(&escape_payload(p, self.o.encoding), 60);
            self.text(
                LABEL_X,
                y + 17,
                "start",
                "payload",
                &format!("\"{preview}\""),
            );
        }
        self.y += ROW_H;
    }
}

const STYLE: &str = "text{font-family:'DejaVu Sans Mono','Noto Sans Mono CJK SC',ui-monospace,monospace;font-size:12px;fill:#263238}\
.title{font-size:15px;font-weight:bold}.head{font-weight:bold}.addr{font-size:11px}\
.time{fill:#78909c;font-size:11px}.st{font-size:10px;font-weight:bold}\
.arrow{font-size:11px}.label{font-size:12px}.payload{fill:#78909c;font-size:11px}\
.app{fill:#8e24aa;font-weight:bold;font-size:11px}.appnote{fill:#8e24aa;font-size:11px}\
.summary{font-size:12px}.note{fill:#78909c;font-style:italic}.legend{font-size:11px}\
g.seg:hover line,g.seg.sel line{stroke-width:4}";

/// Draw `conns` as one SVG document.
pub fn draw(
    conns: &[(u64, ConnRows)],
    note: Option<&str>,
    o: &PictureOptions,
    interactive: bool,
) -> Picture {
    let mut c = Canvas {
        o,
        body: String::new(),
        y: 8,
        fields: Vec::new(),
        interactive,
    };
    // A legend of the phase colours.
    let mut x = TIME_X;
    c.y += 14;
    for p in PHASES {
        let _ = writeln!(
            c.body,
            r#"<rect x="{x}" y="{}" width="22" height="4" fill="{}"/>"#,
            c.y - 5,
            phase_color(p)
        );
        let name = lang::phase_name(p, o.lang);
        c.text(x + 28, c.y, "start", "legend", name);
        x += 40 + 8 * super::text_width(name) as u32;
    }
    if conns.is_empty() {
        c.y += 30;
        let text = lang::picture_word(PictureWord::NoConnections, o.lang);
        c.text(TIME_X, c.y, "start", "note", text);
    }
    for (n, rows) in conns {
        c.connection(*n, rows);
    }
    if let Some(note) = note {
        c.y += 10;
        c.text(TIME_X, c.y, "start", "note", note);
    }
    let height = c.y + 20;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" role="img">"#
    );
    let _ = writeln!(
        svg,
        "<title>{}</title>",
        xml_escape(lang::picture_word(PictureWord::Title, o.lang))
    );
    let _ = writeln!(svg, "<style>{STYLE}</style>\n<defs>");
    for p in PHASES {
        let _ = writeln!(
            svg,
            r#"<marker id="arrow-{}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{}"/></marker>"#,
            p.as_str(),
            phase_color(p)
        );
    }
    let _ = writeln!(
        svg,
        r##"</defs>
<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>"##
    );
    svg.push_str(&c.body);
    svg.push_str("</svg>\n");
    Picture {
        svg,
        fields: c.fields,
    }
}

/// `--format svg`.
/// `--format svg`: the ladder as one SVG picture.
pub struct Svg;

impl PictureFormat for Svg {
    fn write<W: Write>(
        out: &mut W,
        conns: &[(u64, ConnRows)],
        note: Option<&str>,
        opts: &PictureOptions,
    ) -> io::Result<()> {
        out.write_all(draw(conns, note, opts, false).svg.as_bytes())
    }
}

pub type SvgRenderer<W, E> = PictureRenderer<W, E, Svg>;

#[cfg(test)]
mod tests {
    use super::xml_escape;

    #[test]
    fn escapes_markup_and_forbidden_controls() {
        assert_eq!(
            xml_escape("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(xml_escape("a\u{1b}[31m"), "a\u{fffd}[31m");
    }
}

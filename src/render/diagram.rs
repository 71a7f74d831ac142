//! What the whole-picture renderers (SVG, HTML, Mermaid) need before they can draw: the rows
//! of each connection, bounded. The first `max_conns` connections are kept (or the one asked
//! for with `--conn N`), at most [`MAX_ROWS`] rows each; what is left out is counted so the
//! picture can say so.

use super::svg::PictureOptions;
use super::{write_notice, Render};
use crate::event::{AppEvent, CaptureSummary, ConnSummary, Dir, Event, SegmentEvent};
use crate::lang::Lang;
use crate::track::TcpState;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::marker::PhantomData;

/// Rows kept per connection.
pub const MAX_ROWS: usize = 2000;

/// One line of a diagram, in time order.
#[derive(Clone, Debug)]
pub enum Row {
    Seg(Box<SegmentEvent>),
    App(Box<AppEvent>),
}

impl Row {
    pub fn ts(&self) -> crate::source::Timestamp {
        match self {
            Row::Seg(s) => s.ts,
            Row::App(a) => a.ts,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct ConnRows {
    pub rows: Vec<Row>,
    pub summary: Option<Box<ConnSummary>>,
    /// Rows not kept (beyond [`MAX_ROWS`]).
    pub rows_left_out: u64,
}

impl ConnRows {
    /// Client and server addresses, from the summary or the first segment.
    pub fn endpoints(&self) -> Option<(std::net::SocketAddr, std::net::SocketAddr)> {
        if let Some(s) = &self.summary {
            return Some((s.client, s.server));
        }
        self.rows.iter().find_map(|r| match r {
            Row::Seg(s) => Some(match s.dir {
                Dir::C2S => (s.src, s.dst),
                Dir::S2C => (s.dst, s.src),
            }),
            Row::App(_) => None,
        })
    }

    /// The states both sides start in.
    pub fn initial_states(&self) -> (TcpState, TcpState) {
        if let Some(s) = &self.summary {
            if let (Some(c), Some(v)) = (s.client_path.first(), s.server_path.first()) {
                return (*c, *v);
            }
        }
        for r in &self.rows {
            if let Row::Seg(s) = r {
                let first = |side, now| {
                    s.changes
                        .iter()
                        .find(|c| c.side == side)
                        .map_or(now, |c| c.from)
                };
                return (
                    first(crate::event::Side::Client, s.client_state),
                    first(crate::event::Side::Server, s.server_state),
                );
            }
        }
        (TcpState::Closed, TcpState::Listen)
    }
}

/// Connections buffered for drawing.
#[derive(Debug, Default)]
pub struct Diagrams {
    pub max_conns: usize,
    pub conns: BTreeMap<u64, ConnRows>,
    /// Application calls not yet tied to a connection (the demo's listen()).
    pub loose_apps: Vec<AppEvent>,
    /// Connections seen but not drawn: how many, first and last number.
    pub conns_left_out: u64,
    pub left_out_range: Option<(u64, u64)>,
    pub capture: Option<CaptureSummary>,
    pub notices: u64,
}

impl Diagrams {
    pub fn new(max_conns: usize) -> Diagrams {
        Diagrams {
            max_conns: max_conns.max(1),
            ..Diagrams::default()
        }
    }

    fn slot(&mut self, conn: u64) -> Option<&mut ConnRows> {
        if !self.conns.contains_key(&conn) {
            if self.conns.len() >= self.max_conns {
                let seen_before = self
                    .left_out_range
                    .is_some_and(|(lo, hi)| (lo..=hi).contains(&conn));
                if !seen_before {
                    self.conns_left_out += 1;
                    self.left_out_range = Some(match self.left_out_range {
                        Some((lo, hi)) => (lo.min(conn), hi.max(conn)),
                        None => (conn, conn),
                    });
                }
                return None;
            }
            self.conns.insert(conn, ConnRows::default());
        }
        self.conns.get_mut(&conn)
    }

    fn push_row(&mut self, conn: u64, row: Row) {
        if let Some(slot) = self.slot(conn) {
            if slot.rows.len() < MAX_ROWS {
                slot.rows.push(row);
            } else {
                slot.rows_left_out += 1;
            }
        }
    }

    pub fn push(&mut self, ev: &Event) {
        match ev {
            Event::Segment(s) => self.push_row(s.conn, Row::Seg(s.clone())),
            Event::App(a) => match a.conn {
                Some(c) => self.push_row(c, Row::App(a.clone())),
                None if self.loose_apps.len() < MAX_ROWS => self.loose_apps.push((**a).clone()),
                None => {}
            },
            Event::Connection(c) => {
                if let Some(slot) = self.slot(c.conn) {
                    slot.summary = Some(c.clone());
                }
            }
            Event::Notice(_) => self.notices += 1,
            Event::Capture(c) => self.capture = Some((**c).clone()),
        }
    }

    /// The connections to draw, each with its rows in time order; loose application calls go
    /// to the first connection.
    pub fn take(&mut self) -> Vec<(u64, ConnRows)> {
        let mut conns: Vec<(u64, ConnRows)> = std::mem::take(&mut self.conns).into_iter().collect();
        let loose = std::mem::take(&mut self.loose_apps);
        if let Some((_, first)) = conns.first_mut() {
            first
                .rows
                .extend(loose.into_iter().map(|a| Row::App(Box::new(a))));
        }
        for (_, c) in &mut conns {
            c.rows.sort_by_key(|r| r.ts());
        }
        conns
    }

    /// What was left out, in a sentence, or `None`.
    pub fn left_out_note(&self, conns: &[(u64, ConnRows)], lang: Lang) -> Option<String> {
        let rows: u64 = conns.iter().map(|(_, c)| c.rows_left_out).sum();
        let mut parts = Vec::new();
        if let Some((lo, hi)) = self.left_out_range {
            parts.push(crate::lang::conns_left_out(
                self.conns_left_out,
                lo,
                hi,
                lang,
            ));
        }
        if rows > 0 {
            parts.push(crate::lang::rows_left_out(rows, MAX_ROWS, lang));
        }
        (!parts.is_empty()).then(|| parts.join(" · "))
    }
}

/// One kind of whole picture, written once from every buffered connection.
pub trait PictureFormat {
    fn write<W: Write>(
        out: &mut W,
        conns: &[(u64, ConnRows)],
        note: Option<&str>,
        opts: &PictureOptions,
    ) -> io::Result<()>;
}

/// A renderer that buffers events and writes one picture `P` at the end of the capture;
/// notices go to stderr as they come.
pub struct PictureRenderer<W: Write, E: Write, P: PictureFormat> {
    out: W,
    err: E,
    opts: PictureOptions,
    diagrams: Diagrams,
    done: bool,
    picture: PhantomData<P>,
}

impl<W: Write, E: Write, P: PictureFormat> PictureRenderer<W, E, P> {
    pub fn new(out: W, err: E, opts: PictureOptions) -> Self {
        PictureRenderer {
            out,
            err,
            diagrams: Diagrams::new(opts.max_conns),
            opts,
            done: false,
            picture: PhantomData,
        }
    }
}

impl<W: Write, E: Write, P: PictureFormat> Render for PictureRenderer<W, E, P> {
    fn event(&mut self, ev: Event) -> io::Result<()> {
        if let Event::Notice(n) = &ev {
            write_notice(&mut self.err, n, self.opts.lang)?;
        }
        self.diagrams.push(&ev);
        if matches!(ev, Event::Capture(_)) {
            self.finish()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.err.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        if !self.done {
            self.done = true;
            let conns = self.diagrams.take();
            let note = self.diagrams.left_out_note(&conns, self.opts.lang);
            P::write(&mut self.out, &conns, note.as_deref(), &self.opts)?;
        }
        self.out.flush()?;
        self.err.flush()
    }
}

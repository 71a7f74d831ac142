//! The summary as a table: one row per connection, like `tshark -z conv,tcp`, plus how it
//! ended, the handshake RTT and the final states. `--format table` aligns the columns (colored
//! on a terminal); `--format csv` writes the same rows as CSV with stable English keys.

use super::ladder::fmt_secs;
use super::{text_width, write_notice, Render};
use crate::event::{CloseKind, ConnSummary, Event};
use crate::lang::{self, Lang, TableCol};
use colored::Colorize;
use std::io::{self, Write};

/// Column keys of `--format csv`, in order. Documented in the README; only ever added to.
pub const CSV_COLUMNS: [&str; 20] = [
    "conn",
    "client",
    "server",
    "c2s_segments",
    "c2s_bytes",
    "s2c_segments",
    "s2c_bytes",
    "segments",
    "bytes",
    "start",
    "rel_start",
    "duration",
    "close",
    "half_close",
    "closed_by",
    "handshake_rtt",
    "client_state",
    "server_state",
    "client_path",
    "server_path",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableStyle {
    Aligned,
    Csv,
}

pub struct TableRenderer<W: Write, E: Write> {
    out: W,
    err: E,
    lang: Lang,
    style: TableStyle,
    rows: Vec<ConnSummary>,
    /// The CSV header is written (rows then stream as connections end).
    csv_started: bool,
    /// Something was written already (a CSV header or a block of the aligned table).
    started: bool,
}

/// The aligned table holds at most this many rows before it writes them as a block (with
/// its own header), so memory stays flat on captures of millions of connections.
const TABLE_BLOCK: usize = 10_000;

impl<W: Write, E: Write> TableRenderer<W, E> {
    pub fn new(out: W, err: E, lang: Lang, style: TableStyle) -> Self {
        TableRenderer {
            out,
            err,
            lang,
            style,
            rows: Vec::new(),
            csv_started: false,
            started: false,
        }
    }

    fn write_all(&mut self) -> io::Result<()> {
        self.started = true;
        let mut rows = std::mem::take(&mut self.rows);
        rows.sort_by_key(|c| c.conn);
        match self.style {
            TableStyle::Csv => self.csv(&rows),
            TableStyle::Aligned => self.aligned(&rows),
        }
    }

    fn csv(&mut self, rows: &[ConnSummary]) -> io::Result<()> {
        if !self.csv_started {
            self.csv_started = true;
            writeln!(self.out, "{}", CSV_COLUMNS.join(","))?;
        }
        for c in rows {
            let path = |p: &[crate::track::TcpState]| {
                p.iter().map(|s| s.name()).collect::<Vec<_>>().join(" ")
            };
            let mut fields = Vec::from(count_cells(c));
            fields.extend([
                format!("{:.6}", c.start.as_f64()),
                format!("{:.6}", c.rel_start),
                format!("{:.6}", c.duration),
                c.close.as_str().to_string(),
                c.half_close.to_string(),
                c.closed_by.map(|s| s.as_str()).unwrap_or("").to_string(),
                c.handshake_rtt
                    .map(|r| format!("{r:.6}"))
                    .unwrap_or_default(),
                c.client_state.name().to_string(),
                c.server_state.name().to_string(),
                path(&c.client_path),
                path(&c.server_path),
            ]);
            let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            writeln!(self.out, "{}", line.join(","))?;
        }
        Ok(())
    }

    fn aligned(&mut self, rows: &[ConnSummary]) -> io::Result<()> {
        let l = self.lang;
        let header: Vec<String> = TableCol::ALL
            .iter()
            .map(|&c| lang::table_col(c, l).to_string())
            .collect();
        let body: Vec<(Vec<String>, CloseKind)> = rows
            .iter()
            .map(|c| {
                let mut ended = lang::close_short(c.close, l).to_string();
                if c.half_close {
                    ended.push_str(lang::half_close_mark(l));
                }
                let mut cells = Vec::from(count_cells(c));
                cells.extend([
                    format!("{:.6}", c.rel_start),
                    format!("{:.6}", c.duration),
                    ended,
                    c.handshake_rtt.map(fmt_secs).unwrap_or_else(|| "-".into()),
                    c.client_state.name().to_string(),
                    c.server_state.name().to_string(),
                ]);
                (cells, c.close)
            })
            .collect();
        let mut widths: Vec<usize> = header.iter().map(|h| text_width(h)).collect();
        for (cells, _) in &body {
            for (w, cell) in widths.iter_mut().zip(cells) {
                *w = (*w).max(text_width(cell));
            }
        }
        // Numbers are right-aligned, words left-aligned.
        let right = |i: usize| !matches!(i, 1 | 2 | 11 | 13 | 14);
        let pad = |text: &str, i: usize, w: usize| {
            let fill = " ".repeat(w.saturating_sub(text_width(text)));
            if right(i) {
                format!("{fill}{text}")
            } else {
                format!("{text}{fill}")
            }
        };
        let line: Vec<String> = header
            .iter()
            .enumerate()
            .map(|(i, h)| pad(h, i, widths[i]).bold().to_string())
            .collect();
        writeln!(self.out, "{}", line.join("  ").trim_end())?;
        let rule: Vec<String> = widths.iter().map(|&w| "─".repeat(w)).collect();
        writeln!(self.out, "{}", rule.join("  ").dimmed())?;
        for (cells, close) in &body {
            let line: Vec<String> = cells
                .iter()
                .enumerate()
                .map(|(i, cell)| {
                    let text = pad(cell, i, widths[i]);
                    if i == 11 {
                        close_color(*close, &text)
                    } else {
                        text
                    }
                })
                .collect();
            writeln!(self.out, "{}", line.join("  ").trim_end())?;
        }
        Ok(())
    }
}

fn close_color(k: CloseKind, text: &str) -> String {
    match k {
        CloseKind::FourWay | CloseKind::ThreeWay | CloseKind::Simultaneous => {
            text.green().to_string()
        }
        CloseKind::HalfClosed | CloseKind::Open => text.yellow().to_string(),
        CloseKind::Reset | CloseKind::Refused | CloseKind::NoAnswer => text.red().to_string(),
    }
}

/// One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
pub fn csv_field(f: &str) -> String {
    if f.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f.to_string()
    }
}

impl<W: Write, E: Write> Render for TableRenderer<W, E> {
    fn event(&mut self, ev: Event) -> io::Result<()> {
        match ev {
            Event::Connection(c) => {
                self.rows.push(*c);
                // CSV rows stream as connections end; the aligned table writes blocks.
                let full = match self.style {
                    TableStyle::Csv => true,
                    TableStyle::Aligned => self.rows.len() >= TABLE_BLOCK,
                };
                if full {
                    self.write_all()?;
                }
                Ok(())
            }
            Event::Notice(n) => write_notice(&mut self.err, &n, self.lang),
            // The end: the last rows, or the header alone when there were none.
            Event::Capture(_) if !self.rows.is_empty() || !self.started => self.write_all(),
            Event::Capture(_) => Ok(()),
            Event::Segment(_) | Event::App(_) => Ok(()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()?;
        self.err.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        if !self.rows.is_empty() {
            self.write_all()?;
        }
        self.out.flush()?;
        self.err.flush()
    }
}

/// The columns both tables start with: connection, endpoints, then segments and bytes each
/// way and in all.
fn count_cells(c: &ConnSummary) -> [String; 9] {
    [
        c.conn.to_string(),
        c.client.to_string(),
        c.server.to_string(),
        c.segments.c2s.to_string(),
        c.bytes.c2s.to_string(),
        c.segments.s2c.to_string(),
        c.bytes.s2c.to_string(),
        (c.segments.c2s + c.segments.s2c).to_string(),
        (c.bytes.c2s + c.bytes.s2c).to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_quoting() {
        assert_eq!(csv_field("[::1]:80"), "[::1]:80");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}

//! A Zeek conn.log-style TSV (`--format connlog`): Zeek's header lines and column names for
//! the fields tcpscope shares with it, so `zeek-cut` and existing log pipelines can read it.
//! Zeek's unset marker `-` stands for what is not known.

use super::{write_notice, Render};
use crate::event::{ConnSummary, Event};
use crate::lang::Lang;
use std::fmt::Write as _;
use std::io::{self, Write};

/// The columns, with Zeek's names and types.
pub const FIELDS: [(&str, &str); 14] = [
    ("ts", "time"),
    ("uid", "string"),
    ("id.orig_h", "addr"),
    ("id.orig_p", "port"),
    ("id.resp_h", "addr"),
    ("id.resp_p", "port"),
    ("proto", "enum"),
    ("duration", "interval"),
    ("orig_bytes", "count"),
    ("resp_bytes", "count"),
    ("conn_state", "string"),
    ("history", "string"),
    ("orig_pkts", "count"),
    ("resp_pkts", "count"),
];

/// Zeek's `conn_state` and `history` of a connection.
fn zeek_state(c: &ConnSummary) -> (&str, &str) {
    (c.fidelity.conn_state, c.fidelity.history.as_str())
}

/// A string field as Zeek writes it: `(empty)` when empty, separators and non-printable
/// bytes as `\xNN`.
pub fn zeek_field(s: &str) -> String {
    if s.is_empty() {
        return "(empty)".into();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '\t' || c == '\\' || c.is_control() {
            for b in c.to_string().bytes() {
                let _ = write!(out, "\\x{b:02x}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

pub struct ConnlogRenderer<W: Write, E: Write> {
    out: W,
    err: E,
    lang: Lang,
    header_done: bool,
}

impl<W: Write, E: Write> ConnlogRenderer<W, E> {
    pub fn new(out: W, err: E, lang: Lang) -> Self {
        ConnlogRenderer {
            out,
            err,
            lang,
            header_done: false,
        }
    }

    fn header(&mut self) -> io::Result<()> {
        if self.header_done {
            return Ok(());
        }
        self.header_done = true;
        let names: Vec<&str> = FIELDS.iter().map(|f| f.0).collect();
        let types: Vec<&str> = FIELDS.iter().map(|f| f.1).collect();
        write!(
            self.out,
            "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n"
        )?;
        writeln!(self.out, "#fields\t{}", names.join("\t"))?;
        writeln!(self.out, "#types\t{}", types.join("\t"))
    }

    fn row(&mut self, c: &ConnSummary) -> io::Result<()> {
        self.header()?;
        let (state, history) = zeek_state(c);
        let fields = [
            format!("{:.6}", c.start.as_f64()),
            c.conn.to_string(),
            c.client.ip().to_string(),
            c.client.port().to_string(),
            c.server.ip().to_string(),
            c.server.port().to_string(),
            "tcp".to_string(),
            format!("{:.6}", c.duration),
            c.bytes.c2s.to_string(),
            c.bytes.s2c.to_string(),
            zeek_field(state),
            zeek_field(history),
            c.segments.c2s.to_string(),
            c.segments.s2c.to_string(),
        ];
        writeln!(self.out, "{}", fields.join("\t"))
    }
}

impl<W: Write, E: Write> Render for ConnlogRenderer<W, E> {
    fn event(&mut self, ev: Event) -> io::Result<()> {
        match &ev {
            Event::Connection(c) => self.row(c),
            Event::Notice(n) => write_notice(&mut self.err, n, self.lang),
            Event::Capture(_) => self.header(),
            Event::Segment(_) | Event::App(_) => Ok(()),
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

#[cfg(test)]
mod tests {
    use super::zeek_field;

    #[test]
    fn zeek_escapes() {
        assert_eq!(zeek_field(""), "(empty)");
        assert_eq!(zeek_field("ShAdDaFf"), "ShAdDaFf");
        assert_eq!(zeek_field("a\tb"), "a\\x09b");
    }
}

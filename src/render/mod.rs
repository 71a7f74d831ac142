//! render: events → text. Renderers take any `io::Write`, so tests render into a `Vec<u8>`.

pub mod connlog;
pub mod diagram;
pub mod escape;
pub mod html;
pub mod json;
pub mod ladder;
pub mod mermaid;
pub mod svg;
pub mod table;
pub mod text;

use crate::event::Event;
use std::io;

pub use escape::Encoding;

/// A consumer of the event stream.
pub trait Render {
    /// One event, handed over (a renderer that keeps it, to draw later, keeps it as is).
    fn event(&mut self, ev: Event) -> io::Result<()>;
    /// Push what was written so far to the output (live capture draws as segments arrive).
    fn flush(&mut self) -> io::Result<()>;
    /// End of input: write whatever is still buffered.
    fn finish(&mut self) -> io::Result<()>;
}

/// Slows a renderer down for a class: a pause, or Enter on a terminal, before each segment
/// and application call.
pub struct Paced<R: Render> {
    inner: R,
    pace: Option<std::time::Duration>,
    step: bool,
}

impl<R: Render> Paced<R> {
    /// `step` only applies when standard input is a terminal.
    pub fn new(inner: R, pace: Option<std::time::Duration>, step: bool) -> Self {
        let step = step && std::io::IsTerminal::is_terminal(&std::io::stdin());
        Paced { inner, pace, step }
    }
}

impl<R: Render> Render for Paced<R> {
    fn event(&mut self, ev: Event) -> io::Result<()> {
        if matches!(ev, Event::Segment(_) | Event::App(_)) {
            self.inner.flush()?;
            if self.step {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
            } else if let Some(pace) = self.pace {
                std::thread::sleep(pace);
            }
        }
        self.inner.event(ev)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.inner.finish()
    }
}

impl<R: Render + ?Sized> Render for Box<R> {
    fn event(&mut self, ev: Event) -> io::Result<()> {
        (**self).event(ev)
    }
    fn flush(&mut self) -> io::Result<()> {
        (**self).flush()
    }
    fn finish(&mut self) -> io::Result<()> {
        (**self).finish()
    }
}

/// A notice on stderr, as the ladder writes it (for renderers whose stdout is a file format).
pub fn write_notice(
    err: &mut dyn io::Write,
    n: &crate::event::Notice,
    lang: crate::lang::Lang,
) -> io::Result<()> {
    let msg = escape::escape_text(&n.message);
    match lang {
        crate::lang::Lang::En => writeln!(err, "tcpscope: notice: frame {}: {msg}", n.frame),
        crate::lang::Lang::Zh => writeln!(err, "tcpscope: 提示：第 {} 帧：{msg}", n.frame),
    }
}

/// Display width of a character on a terminal (East Asian wide characters take two cells).
pub fn char_width(c: char) -> usize {
    let u = c as u32;
    let wide = matches!(u,
        0x1100..=0x115f
        | 0x2e80..=0x303e
        | 0x3041..=0x33ff
        | 0x3400..=0x4dbf
        | 0x4e00..=0x9fff
        | 0xa000..=0xa4cf
        | 0xac00..=0xd7a3
        | 0xf900..=0xfaff
        | 0xfe30..=0xfe4f
        | 0xff00..=0xff60
        | 0xffe0..=0xffe6
        | 0x1f300..=0x1f64f
        | 0x1f900..=0x1f9ff
        | 0x20000..=0x3fffd);
    if wide {
        2
    } else {
        1
    }
}

/// Display width of a string.
pub fn text_width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// Cut `s` to at most `max` display columns, ending in `…` when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if text_width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = char_width(c);
        if used + w + 1 > max {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

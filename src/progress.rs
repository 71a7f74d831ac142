//! A progress line on stderr while a large file is replayed: bytes read of the total and
//! packets per second, redrawn at most ten times a second, erased at the end. Only when
//! stderr is a terminal (and the output goes elsewhere, and is not JSON).

use crate::lang::Lang;
use std::io::Write;
use std::time::{Duration, Instant};

const EVERY: Duration = Duration::from_millis(100);
/// Small files finish before anything is drawn.
const FIRST_AFTER: Duration = Duration::from_millis(300);

pub struct Progress<W: Write> {
    out: W,
    total: u64,
    lang: Lang,
    started: Instant,
    last: Option<Instant>,
    drawn: bool,
}

fn mib(b: u64) -> f64 {
    b as f64 / (1024.0 * 1024.0)
}

/// The line itself.
pub fn line(read: u64, total: u64, packets: u64, secs: f64, lang: Lang) -> String {
    let read = read.min(total);
    let pct = if total > 0 {
        read as f64 * 100.0 / total as f64
    } else {
        100.0
    };
    let filled = (pct / 5.0).round() as usize;
    let bar = format!("{}{}", "█".repeat(filled), "░".repeat(20 - filled.min(20)));
    let pps = if secs > 0.0 {
        packets as f64 / secs
    } else {
        0.0
    };
    match lang {
        Lang::En => format!(
            "{bar} {pct:5.1} %  {:.1} of {:.1} MiB  {pps:.0} packets/s",
            mib(read),
            mib(total)
        ),
        Lang::Zh => format!(
            "{bar} {pct:5.1} %  已读 {:.1} / {:.1} MiB  每秒 {pps:.0} 个包",
            mib(read),
            mib(total)
        ),
    }
}

impl<W: Write> Progress<W> {
    pub fn new(out: W, total: u64, lang: Lang) -> Self {
        Progress {
            out,
            total,
            lang,
            started: Instant::now(),
            last: None,
            drawn: false,
        }
    }

    /// Call often; draws only when it is time.
    pub fn tick(&mut self, read: u64, packets: u64) {
        let now = Instant::now();
        let due = match self.last {
            None => now.duration_since(self.started) >= FIRST_AFTER,
            Some(t) => now.duration_since(t) >= EVERY,
        };
        if !due {
            return;
        }
        self.last = Some(now);
        let secs = now.duration_since(self.started).as_secs_f64();
        let text = line(read, self.total, packets, secs, self.lang);
        let _ = write!(self.out, "\r\x1b[2K{text}");
        let _ = self.out.flush();
        self.drawn = true;
    }

    /// Erase the line.
    pub fn finish(&mut self) {
        if self.drawn {
            let _ = write!(self.out, "\r\x1b[2K");
            let _ = self.out.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line() {
        let l = line(512 << 20, 1024 << 20, 50_000, 2.0, Lang::En);
        assert!(
            l.contains(" 50.0 %  512.0 of 1024.0 MiB  25000 packets/s"),
            "{l}"
        );
        assert_eq!(l.chars().filter(|&c| c == '█').count(), 10);
        let z = line(10, 0, 1, 0.0, Lang::Zh);
        assert!(z.contains("每秒"), "{z}");
    }

    #[test]
    fn nothing_is_drawn_for_a_quick_run() {
        let mut p = Progress::new(Vec::new(), 100, Lang::En);
        p.tick(50, 10);
        p.finish();
        assert!(p.out.is_empty());
    }
}

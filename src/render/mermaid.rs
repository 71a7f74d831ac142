//! `--format mermaid`: a Mermaid `sequenceDiagram` that common Markdown tools render. Each
//! connection has its own pair of participants; consecutive segments of one phase share a
//! colored `rect`; state changes are notes beside the lifeline; RST arrows end in a cross.

use super::diagram::{ConnRows, PictureFormat, PictureRenderer, Row};
use super::svg::{annotation, arrow_text, summary_lines, PictureOptions};
use crate::event::{Dir, Phase, Side};
use crate::lang::{self, PictureWord, Word};
use std::io::{self, Write};

/// Text safe in a Mermaid message or note: characters Mermaid's parser acts on become its
/// entity codes (`#59;`), line breaks are gone.
pub fn mermaid_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '#' | ';' | '<' | '>' | '%' | '{' | '}' | '"' => {
                out.push_str(&format!("#{};", c as u32))
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn phase_rgb(p: Phase) -> &'static str {
    match p {
        Phase::Handshake => "rgb(232, 245, 233)",
        Phase::Data => "rgb(224, 247, 250)",
        Phase::Close => "rgb(255, 243, 224)",
        Phase::Reset => "rgb(255, 235, 238)",
        Phase::Other => "rgb(236, 239, 241)",
    }
}

/// `--format mermaid`: a Mermaid `sequenceDiagram`.
pub struct Mermaid;

impl PictureFormat for Mermaid {
    fn write<W: Write>(
        o: &mut W,
        conns: &[(u64, ConnRows)],
        note: Option<&str>,
        opts: &PictureOptions,
    ) -> io::Result<()> {
        let l = opts.lang;
        writeln!(o, "sequenceDiagram")?;
        writeln!(
            o,
            "    %% {}",
            mermaid_text(lang::picture_word(PictureWord::Title, l))
        )?;
        if conns.is_empty() {
            writeln!(o, "    participant C as {}", lang::side(Side::Client, l))?;
            writeln!(o, "    participant S as {}", lang::side(Side::Server, l))?;
            writeln!(
                o,
                "    Note over C,S: {}",
                mermaid_text(lang::picture_word(PictureWord::NoConnections, l))
            )?;
        }
        for (n, c) in conns {
            let Some((client, server)) = c.endpoints() else {
                continue;
            };
            let (cp, sp) = (format!("C{n}"), format!("S{n}"));
            writeln!(
                o,
                "    participant {cp} as {} {}",
                lang::side(Side::Client, l),
                mermaid_text(&client.to_string())
            )?;
            writeln!(
                o,
                "    participant {sp} as {} {}",
                lang::side(Side::Server, l),
                mermaid_text(&server.to_string())
            )?;
            writeln!(
                o,
                "    Note over {cp},{sp}: {} {n}",
                lang::word(Word::Connection, l)
            )?;
            let (ci, si) = c.initial_states();
            writeln!(o, "    Note left of {cp}: {}", ci.name())?;
            writeln!(o, "    Note right of {sp}: {}", si.name())?;
            let mut open: Option<Phase> = None;
            for row in &c.rows {
                match row {
                    Row::Seg(s) => {
                        if open != Some(s.phase()) {
                            if open.is_some() {
                                writeln!(o, "    end")?;
                            }
                            writeln!(o, "    rect {}", phase_rgb(s.phase()))?;
                            open = Some(s.phase());
                        }
                        let (from, to) = match s.dir {
                            Dir::C2S => (&cp, &sp),
                            Dir::S2C => (&sp, &cp),
                        };
                        let arrow = if s.flags.rst() { "-x" } else { "->>" };
                        let text = format!(
                            "{} · {}",
                            arrow_text(s, opts.absolute_seq),
                            annotation(s, l)
                        );
                        writeln!(o, "    {from}{arrow}{to}: {}", mermaid_text(&text))?;
                        for ch in &s.changes {
                            match ch.side {
                                Side::Client => {
                                    writeln!(o, "    Note left of {cp}: {}", ch.to.name())?
                                }
                                Side::Server => {
                                    writeln!(o, "    Note right of {sp}: {}", ch.to.name())?
                                }
                            }
                        }
                    }
                    Row::App(a) => {
                        let text = mermaid_text(&lang::app_call(a, l, opts.encoding));
                        match a.side {
                            Side::Client => writeln!(o, "    Note left of {cp}: {text}")?,
                            Side::Server => writeln!(o, "    Note right of {sp}: {text}")?,
                        }
                    }
                }
            }
            if open.is_some() {
                writeln!(o, "    end")?;
            }
            if c.rows_left_out > 0 {
                let t = lang::rows_left_out(c.rows_left_out, super::diagram::MAX_ROWS, l);
                writeln!(o, "    Note over {cp},{sp}: {}", mermaid_text(&t))?;
            }
            if let Some(s) = &c.summary {
                for line in summary_lines(s, l) {
                    writeln!(o, "    Note over {cp},{sp}: {}", mermaid_text(&line))?;
                }
            }
        }
        if let Some(note) = note {
            writeln!(o, "    %% {}", mermaid_text(note))?;
        }
        Ok(())
    }
}

pub type MermaidRenderer<W, E> = PictureRenderer<W, E, Mermaid>;

#[cfg(test)]
mod tests {
    use super::mermaid_text;

    #[test]
    fn mermaid_escapes() {
        assert_eq!(mermaid_text("a;b#c"), "a#59;b#35;c");
        assert_eq!(mermaid_text("x\ny"), "x y");
        assert_eq!(mermaid_text("<br>"), "#60;br#62;");
    }
}

//! `tcpscope states`: the RFC 9293 state diagram (section 3.3.2, figure 5) as text, with the
//! states and transitions a connection went through highlighted (color, or `*` marks when
//! color is off): `tcpscope replay FILE --conn N --states`.

use crate::event::{ConnSummary, Side};
use crate::lang::{self, Lang};
use crate::track::TcpState;
use colored::Colorize;
use std::io::{self, Write};

/// The drawing. State names sit in boxes with a space on each side; `(n)` numbers the
/// transitions listed below it.
const DRAWING: &str = r"                         ┌────────┐
               ┌─────────│ CLOSED │──────────┐
           (1) │         └────────┘          │ (2)
               ▼                             ▼
          ┌────────┐          (4)       ┌──────────┐
          │ LISTEN │───────────────────▶│ SYN_SENT │
          └────────┘                    └──────────┘
           (3) │      ┌──────(5)─────────────┘  │ (6)
               ▼      ▼                         │
       ┌──────────────┐                         │
       │ SYN_RECEIVED │──────────┐              │
       └──────────────┘      (7) ▼              ▼
          (8) │            ┌─────────────────────┐
              │            │     ESTABLISHED     │
              │            └─────────────────────┘
              │        (10) │                │ (11)
              ▼             ▼                ▼
          ┌────────────┐◀───┘          ┌────────────┐
          │ FIN_WAIT_1 │               │ CLOSE_WAIT │
          └────────────┘               └────────────┘
     (12) │        │ (13)                    │ (16)
          ▼        ▼                         ▼
 ┌────────────┐ ┌─────────┐            ┌──────────┐
 │ FIN_WAIT_2 │ │ CLOSING │            │ LAST_ACK │
 └────────────┘ └─────────┘            └──────────┘
     (14) │        │ (15)                    │ (17)
          ▼        ▼                         ▼
      ┌───────────┐                    ┌────────┐
      │ TIME_WAIT │──── (18) 2MSL ────▶│ CLOSED │
      └───────────┘                    └────────┘";

use TcpState::*;

/// The transitions of the figure (and the two a passive observer also meets: straight from
/// FIN_WAIT_1 to TIME_WAIT when the FIN carries the ACK, and RST from any state).
pub const TRANSITIONS: [(u8, Option<TcpState>, TcpState); 21] = [
    (1, Some(Closed), Listen),
    (2, Some(Closed), SynSent),
    (3, Some(Listen), SynReceived),
    (4, Some(Listen), SynSent),
    (5, Some(SynSent), SynReceived),
    (6, Some(SynSent), Established),
    (7, Some(SynReceived), Established),
    (8, Some(SynReceived), FinWait1),
    (9, Some(SynReceived), Listen),
    (10, Some(Established), FinWait1),
    (11, Some(Established), CloseWait),
    (12, Some(FinWait1), FinWait2),
    (13, Some(FinWait1), Closing),
    (14, Some(FinWait2), TimeWait),
    (15, Some(Closing), TimeWait),
    (16, Some(CloseWait), LastAck),
    (17, Some(LastAck), Closed),
    (18, Some(TimeWait), Closed),
    (19, Some(Listen), Closed),
    (20, Some(FinWait1), TimeWait),
    (21, None, Closed),
];

/// The number of the transition `from → to`, if the figure has it.
pub fn transition(from: TcpState, to: TcpState) -> Option<u8> {
    // An observer never sees CLOSE of a listener (19): a side that falls to CLOSED other
    // than through LAST_ACK or TIME_WAIT was reset.
    if to == Closed && !matches!(from, LastAck | TimeWait) {
        return Some(21);
    }
    TRANSITIONS
        .iter()
        .find(|(_, f, t)| *f == Some(from) && *t == to)
        .or_else(|| {
            (to == Closed)
                .then(|| TRANSITIONS.iter().find(|(_, f, _)| f.is_none()))
                .flatten()
        })
        .map(|(n, _, _)| *n)
}

/// What a connection went through: states and transitions per side.
#[derive(Default)]
struct Walk {
    states: Vec<(TcpState, Side)>,
    steps: Vec<(u8, Side)>,
    other: Vec<(TcpState, TcpState, Side)>,
}

impl Walk {
    fn of(c: &ConnSummary) -> Walk {
        let mut w = Walk::default();
        for (side, path) in [
            (Side::Client, &c.client_path),
            (Side::Server, &c.server_path),
        ] {
            for s in path.iter() {
                w.states.push((*s, side));
            }
            for pair in path.windows(2) {
                match transition(pair[0], pair[1]) {
                    Some(n) => w.steps.push((n, side)),
                    None => w.other.push((pair[0], pair[1], side)),
                }
            }
        }
        w
    }

    fn sides_state(&self, s: TcpState) -> Vec<Side> {
        let mut v: Vec<Side> = self
            .states
            .iter()
            .filter(|(x, _)| *x == s)
            .map(|(_, side)| *side)
            .collect();
        v.dedup();
        v
    }

    fn sides_step(&self, n: u8) -> Vec<Side> {
        let mut v: Vec<Side> = self
            .steps
            .iter()
            .filter(|(x, _)| *x == n)
            .map(|(_, side)| *side)
            .collect();
        v.sort_by_key(|s| *s == Side::Server);
        v.dedup();
        v
    }
}

/// Client cyan, server magenta, both bold yellow; `*` marks when color is off.
fn mark(text: &str, sides: &[Side], color: bool) -> String {
    if sides.is_empty() {
        return text.to_string();
    }
    if !color {
        return text.to_string();
    }
    match sides {
        [Side::Client] => text.cyan().bold().to_string(),
        [Side::Server] => text.magenta().bold().to_string(),
        _ => text.yellow().bold().to_string(),
    }
}

/// One line of the drawing with the walked states and transitions highlighted.
fn highlight_line(line: &str, walk: Option<&Walk>, color: bool) -> String {
    let Some(walk) = walk else {
        return line.to_string();
    };
    let mut out = line.to_string();
    // Longest names first, so CLOSED is not found inside CLOSE_WAIT's box.
    let mut states = TcpState::ALL;
    states.sort_by_key(|s| std::cmp::Reverse(s.name().len()));
    for s in states {
        let boxed = format!(" {} ", s.name());
        let sides = walk.sides_state(s);
        if sides.is_empty() || !out.contains(&boxed) {
            continue;
        }
        let with = if color {
            format!(" {} ", mark(s.name(), &sides, true))
        } else {
            format!("*{}*", s.name())
        };
        out = out.replace(&boxed, &with);
    }
    for (n, _, _) in TRANSITIONS.iter().rev() {
        let tag = format!("({n})");
        let sides = walk.sides_step(*n);
        if sides.is_empty() || !out.contains(&tag) {
            continue;
        }
        let with = if color {
            mark(&tag, &sides, true)
        } else {
            format!("*{n}*")
        };
        out = out.replace(&tag, &with);
    }
    out
}

/// Print the diagram; with a connection, its path highlighted and a legend of who took what.
pub fn draw(
    out: &mut dyn Write,
    conn: Option<&ConnSummary>,
    l: Lang,
    color: bool,
) -> io::Result<()> {
    let walk = conn.map(Walk::of);
    let title = match conn {
        Some(c) => lang::states_title_conn(c.conn, l),
        None => lang::states_title(l).to_string(),
    };
    writeln!(
        out,
        "{}",
        if color {
            title.bold().to_string()
        } else {
            title
        }
    )?;
    writeln!(out)?;
    for line in DRAWING.lines() {
        writeln!(out, "{}", highlight_line(line, walk.as_ref(), color))?;
    }
    writeln!(out)?;
    for (n, from, to) in TRANSITIONS {
        let from = from.map_or_else(|| lang::any_state(l).to_string(), |f| f.name().to_string());
        let text = format!(
            "({n:>2}) {from} → {}: {}",
            to.name(),
            lang::transition_event(n, l)
        );
        let sides = walk.as_ref().map(|w| w.sides_step(n)).unwrap_or_default();
        let who: Vec<&str> = sides.iter().map(|s| lang::side(*s, l)).collect();
        let line = if sides.is_empty() {
            format!("  {text}")
        } else {
            let t = format!("{text}  [{}]", who.join(", "));
            if color {
                format!("  {}", mark(&t, &sides, true))
            } else {
                format!("* {t}")
            }
        };
        writeln!(out, "{}", line.trim_end())?;
    }
    if let Some(w) = &walk {
        for (from, to, side) in &w.other {
            writeln!(
                out,
                "! {} → {} [{}]: {}",
                from.name(),
                to.name(),
                lang::side(*side, l),
                lang::not_in_figure(l)
            )?;
        }
        writeln!(out)?;
        writeln!(out, "{}", lang::states_legend(color, l))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_has_a_box_and_every_drawn_number_a_transition() {
        for s in TcpState::ALL {
            assert!(
                DRAWING.contains(&format!("│ {} │", s.name()))
                    || DRAWING.contains(&format!(" {} ", s.name())),
                "{s:?}"
            );
        }
        for n in [1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18] {
            assert!(DRAWING.contains(&format!("({n})")), "{n}");
        }
        assert_eq!(transition(Established, FinWait1), Some(10));
        assert_eq!(transition(Established, Closed), Some(21));
        assert_eq!(transition(Established, Listen), None);
    }
}

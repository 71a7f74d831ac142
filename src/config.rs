//! Arguments → validated configuration, resolved once (colour, width, language).

use crate::annotate::AnalyzerOptions;
use crate::cli::{ColorArg, DisplayArgs, EncodingArg, Format, LangArg};
use crate::lang::Lang;
use crate::render::ladder::LadderOptions;
use crate::render::Encoding;
use std::io::IsTerminal;

/// Bytes of payload kept per segment for previews.
pub const PREVIEW_BYTES: usize = 64;

#[derive(Clone, Debug)]
pub struct DisplayConfig {
    pub format: Format,
    pub conn: Option<u64>,
    pub color: bool,
    pub ladder: LadderOptions,
    pub payload: bool,
    /// Replay: wait this long before each event.
    pub pace: Option<std::time::Duration>,
    /// Wait for Enter before each event.
    pub step: bool,
    pub limits: crate::track::Limits,
    /// After each connection, the state diagram with its path highlighted.
    pub states: bool,
    /// svg, html, mermaid: at most this many connections drawn.
    pub max_conns: usize,
}

impl DisplayConfig {
    /// Resolve `--color auto` (terminal and NO_COLOR), the width and the language.
    pub fn from_args(args: &DisplayArgs) -> DisplayConfig {
        let stdout_tty = std::io::stdout().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match args.color {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => {
                stdout_tty && !no_color && matches!(args.format, Format::Ladder | Format::Table)
            }
        };
        let width = args.width.unwrap_or_else(|| {
            if stdout_tty {
                terminal_size::terminal_size()
                    .map(|(w, _)| usize::from(w.0))
                    .or_else(|| std::env::var("COLUMNS").ok()?.parse().ok())
                    .unwrap_or(120)
            } else {
                120
            }
        });
        let lang = match args.lang {
            Some(LangArg::En) => Lang::En,
            Some(LangArg::Zh) => Lang::Zh,
            None => Lang::from_env(),
        };
        let encoding = match args.encoding {
            EncodingArg::Utf8 => Encoding::Utf8,
            EncodingArg::Gbk => Encoding::Gbk,
        };
        DisplayConfig {
            format: args.format,
            conn: args.conn,
            color,
            payload: args.payload,
            pace: args.pace,
            step: args.step,
            limits: crate::track::Limits {
                idle_timeout: args.idle_timeout.as_secs_f64(),
                max_connections: args.max_connections.max(1),
                ..crate::track::Limits::default()
            },
            states: args.states,
            max_conns: args.max_conns.max(1),
            ladder: LadderOptions {
                lang,
                width,
                absolute_seq: args.absolute_seq,
                interleave: args.interleave,
                summary_only: args.summary_only,
                encoding,
                explain: args.explain,
                elide_data_after: None,
            },
        }
    }

    /// What the SVG, HTML and Mermaid renderers need.
    pub fn picture_options(&self) -> crate::render::svg::PictureOptions {
        crate::render::svg::PictureOptions {
            lang: self.ladder.lang,
            absolute_seq: self.ladder.absolute_seq,
            encoding: self.ladder.encoding,
            payload: self.payload,
            max_conns: self.max_conns,
        }
    }

    /// Summaries only, or a format that shows nothing but summaries: no segment is drawn.
    pub fn summaries_only(&self) -> bool {
        self.ladder.summary_only
            || matches!(self.format, Format::Table | Format::Csv | Format::Connlog)
    }

    pub fn analyzer_options(&self, ports: Vec<u16>, lookahead: bool) -> AnalyzerOptions {
        AnalyzerOptions {
            skip_segments: self.summaries_only(),
            limits: self.limits,
            lookahead,
            payload_preview: if self.payload { PREVIEW_BYTES } else { 0 },
            ports,
        }
    }
}

/// A duration as a person writes it: `700ms`, `1.5s`, `30s`, `2m`, or plain seconds.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim();
    let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = t.strip_suffix('h') {
        (n, 3600.0)
    } else {
        (t, 1.0)
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (examples: 700ms, 1.5s, 30s, 2m)"))?;
    if !value.is_finite() || value < 0.0 || value * scale > 1e9 {
        return Err(format!("{text:?} is out of range"));
    }
    Ok(std::time::Duration::from_secs_f64(value * scale))
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("700ms"), Ok(Duration::from_millis(700)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-1s").is_err());
    }
}

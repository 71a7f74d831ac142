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
}

impl DisplayConfig {
    /// Resolve `--color auto` (terminal and NO_COLOR), the width and the language.
    pub fn from_args(args: &DisplayArgs) -> DisplayConfig {
        let stdout_tty = std::io::stdout().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match args.color {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => stdout_tty && !no_color && args.format == Format::Ladder,
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
            ladder: LadderOptions {
                lang,
                width,
                absolute_seq: args.absolute_seq,
                interleave: args.interleave,
                summary_only: args.summary_only,
                encoding,
            },
        }
    }

    pub fn analyzer_options(&self, ports: Vec<u16>, lookahead: bool) -> AnalyzerOptions {
        AnalyzerOptions {
            lookahead,
            payload_preview: if self.payload { PREVIEW_BYTES } else { 0 },
            ports,
        }
    }
}

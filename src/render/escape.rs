//! Terminal-safe text from bytes off the wire: nothing a packet carries can move the cursor,
//! change colours, set the window title or reorder text.

use std::fmt::Write;

/// How payload bytes are decoded into text before escaping.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Encoding {
    #[default]
    Utf8,
    Gbk,
}

/// Escape one character if a terminal could act on it; `\` is escaped too so that the
/// result is unambiguous.
fn push_char(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\\' => out.push_str("\\\\"),
        '"' => out.push_str("\\\""),
        c if (c as u32) < 0x20 || c == '\u{7f}' => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        // C1 controls (8-bit CSI, OSC, ...), bidirectional overrides and invisible format
        // characters: shown as code points.
        c if ('\u{80}'..='\u{9f}').contains(&c)
            || ('\u{200b}'..='\u{200f}').contains(&c)
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
            || c == '\u{feff}'
            || c == '\u{2028}'
            || c == '\u{2029}' =>
        {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

fn push_byte(out: &mut String, b: u8) {
    let _ = write!(out, "\\x{b:02x}");
}

/// Decode `bytes` as `encoding` and escape the result. Bytes that are not valid text in that
/// encoding appear as `\xNN`.
pub fn escape_payload(bytes: &[u8], encoding: Encoding) -> String {
    let mut out = String::with_capacity(bytes.len() + 8);
    match encoding {
        Encoding::Utf8 => {
            let mut rest = bytes;
            loop {
                match std::str::from_utf8(rest) {
                    Ok(text) => {
                        text.chars().for_each(|c| push_char(&mut out, c));
                        break;
                    }
                    Err(e) => {
                        let (good, bad) = rest.split_at(e.valid_up_to());
                        // `good` is valid UTF-8 by construction.
                        String::from_utf8_lossy(good)
                            .chars()
                            .for_each(|c| push_char(&mut out, c));
                        let skip = e.error_len().unwrap_or(bad.len()).max(1).min(bad.len());
                        bad[..skip].iter().for_each(|b| push_byte(&mut out, *b));
                        rest = &bad[skip..];
                        if rest.is_empty() {
                            break;
                        }
                    }
                }
            }
        }
        Encoding::Gbk => {
            let mut decoder = encoding_rs::GBK.new_decoder_without_bom_handling();
            let mut rest = bytes;
            let mut buf = String::with_capacity(bytes.len() * 2 + 8);
            // Decode piece by piece so that malformed bytes are shown as they are.
            while !rest.is_empty() {
                buf.clear();
                let (result, read) =
                    decoder.decode_to_string_without_replacement(rest, &mut buf, true);
                buf.chars().for_each(|c| push_char(&mut out, c));
                match result {
                    encoding_rs::DecoderResult::Malformed(bad_len, _) => {
                        let bad_len = usize::from(bad_len).min(read);
                        let start = read - bad_len;
                        rest[start..read]
                            .iter()
                            .for_each(|b| push_byte(&mut out, *b));
                        rest = &rest[read..];
                        decoder = encoding_rs::GBK.new_decoder_without_bom_handling();
                    }
                    encoding_rs::DecoderResult::InputEmpty => break,
                    encoding_rs::DecoderResult::OutputFull => {
                        rest = &rest[read..];
                        buf.reserve(rest.len() * 2 + 8);
                    }
                }
            }
        }
    }
    out
}

/// Escape text that came from a packet or a file (not payload): same rules.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    text.chars().for_each(|c| push_char(&mut out, c));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_passes() {
        assert_eq!(escape_payload(b"hello", Encoding::Utf8), "hello");
        assert_eq!(escape_payload("你好".as_bytes(), Encoding::Utf8), "你好");
    }

    #[test]
    fn controls_are_escaped() {
        assert_eq!(escape_payload(b"a\r\nb\tc", Encoding::Utf8), "a\\r\\nb\\tc");
        let ansi = escape_payload(b"\x1b[31mred\x1b]0;title\x07", Encoding::Utf8);
        assert!(!ansi.contains('\x1b') && !ansi.contains('\x07'), "{ansi}");
        assert_eq!(ansi, "\\x1b[31mred\\x1b]0;title\\x07");
        // 8-bit CSI as a UTF-8 encoded C1 control, and a right-to-left override.
        assert_eq!(
            escape_payload("\u{9b}2J".as_bytes(), Encoding::Utf8),
            "\\u{9b}2J"
        );
        assert_eq!(
            escape_payload("a\u{202e}b".as_bytes(), Encoding::Utf8),
            "a\\u{202e}b"
        );
    }

    #[test]
    fn invalid_utf8_bytes_are_hex() {
        assert_eq!(
            escape_payload(b"ok\xff\xfeend", Encoding::Utf8),
            "ok\\xff\\xfeend"
        );
        // A multi-byte character cut at the end of a preview.
        assert_eq!(
            escape_payload(&"你".as_bytes()[..2], Encoding::Utf8),
            "\\xe4\\xbd"
        );
    }

    #[test]
    fn gbk_is_decoded() {
        // "你好" in GBK.
        assert_eq!(
            escape_payload(&[0xc4, 0xe3, 0xba, 0xc3], Encoding::Gbk),
            "你好"
        );
        assert_eq!(escape_payload(b"thank you !", Encoding::Gbk), "thank you !");
        // Control bytes are still escaped, malformed bytes shown as hex.
        let s = escape_payload(&[0xc4, 0xe3, 0x1b, 0x80, 0xff], Encoding::Gbk);
        assert!(!s.contains('\x1b'), "{s}");
        assert!(s.starts_with("你\\x1b"), "{s}");
    }
}
